"""Tables of the reflection flow: prompts sent, reflections answered, commitments made.

A :class:`Prompt` is one member's copy of one occurrence; its unique
(flow, member, occurrence) key is what stops a member getting the same
occurrence twice, whatever the scheduler does. Answers and commitments are
personal: only their member reads them, facilitators see counts and what
members chose to share.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .types import UTCDateTime

__all__ = [
    "Commitment",
    "CommitmentStatus",
    "Prompt",
    "PromptStatus",
    "Reflection",
    "ReflectionAnswer",
]


def _dt(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class PromptStatus(str, Enum):
    SENT = "sent"
    ANSWERING = "answering"
    ANSWERED = "answered"
    SKIPPED = "skipped"
    LATER = "later"
    EXPIRED = "expired"


OPEN_PROMPT = (PromptStatus.SENT, PromptStatus.ANSWERING, PromptStatus.LATER)


class Prompt(SQLModel, table=True):
    """One member's prompt for one occurrence of a reflection flow.

    ``occurrence`` is the local wall time of the occurrence ("2026-11-06T16:00"),
    the same for every zone, or "now:<instant>" for one a member started.
    ``questions`` is a snapshot, so editing the set mid-week breaks no one.
    """

    __tablename__ = "reflection_prompt"
    __table_args__ = (UniqueConstraint("flow_id", "member_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    flow_id: int | None = Field(default=None, foreign_key="flow.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    occurrence: str = Field(max_length=60)
    questions: list[str] = Field(default_factory=list, sa_type=JSON)
    sent_at: datetime = _dt()
    window_closes_at: datetime = _dt()
    status: PromptStatus = Field(default=PromptStatus.SENT, max_length=12, index=True)
    later_at: datetime | None = _dt(default=None)
    reminded_at: datetime | None = _dt(default=None)


class Reflection(SQLModel, table=True):
    """A member's answers to one prompt (kept even when only partly answered)."""

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    prompt_id: int | None = Field(default=None, foreign_key="reflection_prompt.id", index=True)
    flow_id: int | None = Field(default=None, foreign_key="flow.id")
    started_at: datetime = _dt()
    completed_at: datetime | None = _dt(default=None)
    late: bool = False
    shared: str | None = Field(default=None, max_length=12)  # None, "anonymous" or "named"
    shared_at: datetime | None = _dt(default=None)


class ReflectionAnswer(SQLModel, table=True):
    """The answer to one question; ``answer`` is None when the member skipped it."""

    __tablename__ = "reflection_answer"
    __table_args__ = (UniqueConstraint("reflection_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    reflection_id: int = Field(foreign_key="reflection.id", index=True)
    position: int
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    late: bool = False
    shared: bool = False
    answered_at: datetime = _dt()


class CommitmentStatus(str, Enum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"
    STILL_GOING = "still_going"


class Commitment(SQLModel, table=True):
    """What a member said they will do next, and by when; the nudge flow follows it up."""

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    due_date: date | None = None
    status: CommitmentStatus = Field(default=CommitmentStatus.OPEN, max_length=12, index=True)
    confirmed: bool = False
    reflection_id: int | None = Field(default=None, foreign_key="reflection.id")
    created_at: datetime = _dt()
    updated_at: datetime = _dt()
    last_nudged_at: datetime | None = _dt(default=None)
