"""A durable record of follow-up answers: one row each time a member says how a
commitment, a pairing or a steal went, never changed afterwards.

The rows those answers land on keep only the latest answer and its time (a
commitment's status, a pair member's "met", a steal's outcome), so a pair who
said "not yet" in week 1 and "met" in week 2 moved week 1's answer into week 2,
and a past digest's figures changed after the fact. The digest counts these
rows instead: each answer in the period it was given, with what was said then.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel

from bot.store.types import utc_field

__all__ = ["AnswerKind", "FollowUpAnswer", "record_answer"]


class AnswerKind(str, Enum):
    """What was followed up (persisted)."""

    COMMITMENT = "commitment"  # subject: the commitment; value: its new status
    PAIR = "pair"  # subject: the pair group; value: the member's "did you meet?" answer
    STEAL = "steal"  # subject: the steal; value: its outcome


class FollowUpAnswer(SQLModel, table=True):
    """A code and a time, no text: what the digest counts, nothing a member wrote."""

    __tablename__ = "follow_up_answer"
    __table_args__ = (
        Index("ix_follow_up_answer_network_at", "network_id", "kind", "at", "subject_id", "value", "member_id"),
        Index("ix_follow_up_answer_subject", "kind", "subject_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    kind: str = Field(max_length=12)
    subject_id: int
    value: str = Field(max_length=20)
    at: datetime = utc_field()


def record_answer(session: Session, *, network_id: int, member_id: int, kind: AnswerKind, subject_id: int, value: str, at: datetime) -> None:
    """Keep this answer for good, beside the latest one its own row holds."""
    session.add(FollowUpAnswer(network_id=network_id, member_id=member_id, kind=kind.value, subject_id=subject_id, value=value, at=at))
