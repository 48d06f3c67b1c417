"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

__all__ = ["UTCDateTime", "empty_dict", "empty_list", "utc_field"]


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, always hands back aware UTC datetimes.

    SQLite keeps no zone and PostgreSQL's ``timestamp`` would apply the
    session's; normalising here means no flow ever compares naive to aware.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use the Clock")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# Table models say ``default_factory=empty_list`` rather than ``list``: SQLModel
# asks pydantic for a table model's defaults at every construction, and pydantic
# reads the factory's signature each time. For a builtin like ``list`` that means
# parsing its text signature (~125 µs), which made a new Member cost 0.8 ms
# instead of 0.16 ms.
def empty_list() -> list:
    return []


def empty_dict() -> dict:
    return {}


def utc_field(**kwargs: Any) -> Any:
    """A model field stored as :class:`UTCDateTime` (every table's timestamps)."""
    return Field(sa_type=UTCDateTime, **kwargs)
