"""Tables for network administration: cohorts within a network.

A member's cohort is :attr:`bot.store.models.Member.cohort` (the cohort's
name); this table says which cohorts exist, so a typo cannot invent one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime

__all__ = ["Cohort"]


class Cohort(SQLModel, table=True):
    """A named group of members in one network (e.g. "wave 2"), so flows can target a subset."""

    __table_args__ = (UniqueConstraint("network_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    name: str = Field(max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
