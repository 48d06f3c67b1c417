"""The meetings flow's table: the network's calendar.

A :class:`Meeting` is one dated session (a rhythm such as "every 6 weeks on
thursday 14:00" creates the next ones, each remembering its ``slot`` so a
cancelled or moved one is never re-created).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import utc_field

__all__ = ["Meeting", "MeetingStatus"]


class MeetingStatus(str, Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Meeting(SQLModel, table=True):
    """One meeting of a network; ``starts_at`` is UTC, shown in each reader's zone."""

    __table_args__ = (UniqueConstraint("network_id", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    starts_at: datetime = utc_field(index=True)
    title: str = Field(max_length=200)
    link: str | None = Field(default=None, max_length=500)
    status: str = Field(default=MeetingStatus.SCHEDULED.value, max_length=12)
    recurring: str | None = Field(default=None, max_length=200)  # the rhythm that created it
    slot: str | None = Field(default=None, max_length=80)  # the rhythm's original time, if any
    sequence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # changes so far: a calendar file's SEQUENCE
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()
