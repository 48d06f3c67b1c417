"""The commitments flow's table: what members said they will do next."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel

from bot.store.answers import AnswerKind, record_answer
from bot.store.types import utc_field

__all__ = ["Commitment", "CommitmentStatus", "set_status"]


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
    reflection_id: int | None = Field(default=None, foreign_key="reflection.id", index=True)  # a finished reflection finds its commitment
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


def set_status(session: Session, commitment: Commitment, status: CommitmentStatus, now: datetime) -> None:
    """The member's answer about their commitment, on the row and kept for good
    (the row holds only the latest; the digest counts each answer in its own week)."""
    commitment.status, commitment.updated_at = status, now
    session.add(commitment)
    record_answer(session, network_id=commitment.network_id, member_id=commitment.member_id, kind=AnswerKind.COMMITMENT,
                  subject_id=commitment.id, value=status.value, at=now)  # fmt: skip
