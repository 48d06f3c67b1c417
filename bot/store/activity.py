"""A durable record of activity: one row per member and local day they did anything.

The digest's "active" figures used to read ``member.last_active_at``, which
moves forward: a member active only in week 1 vanished from week 1's figures
as soon as they wrote again in week 2. A row per (member, day) never moves,
so a period's figures stay what they were once the period is over.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Index, UniqueConstraint, bindparam
from sqlmodel import Field, Session, SQLModel

from bot.store.db import insert_or_skip
from bot.store.types import utc_field

__all__ = ["MemberActivity", "record_activity"]


class MemberActivity(SQLModel, table=True):
    """``at`` is the first sign of life on ``day`` (the network's local date)."""

    __tablename__ = "member_activity"
    __table_args__ = (
        UniqueConstraint("member_id", "day", name="uq_member_activity_day"),
        Index("ix_member_activity_network_at", "network_id", "at", "member_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")  # a count of days, nothing without its member
    day: date
    at: datetime = utc_field()


def record_activity(session: Session, *, network_id: int, member_id: int, at: datetime, zone: str) -> None:
    """Note that the member was active on ``at``'s local day (once a day; a second
    process writing the same day is a no-op, not an error)."""
    day = at.astimezone(ZoneInfo(zone)).date()
    values = {"network_id": network_id, "member_id": member_id, "day": day, "at": at}
    session.execute(_record(session.get_bind().dialect.name), values)


@functools.cache
def _record(dialect: str):
    """The insert, built once per database: a member's first event of each day runs it."""
    table = MemberActivity.__table__
    return insert_or_skip(dialect, table, ["member_id", "day"]).values({c: bindparam(c) for c in ("network_id", "member_id", "day", "at")})
