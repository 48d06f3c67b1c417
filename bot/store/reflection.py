"""Tables of the reflection flow: prompts sent, reflections answered, commitments made.

A :class:`Prompt` is one member's copy of one occurrence; its unique
(flow, member, occurrence) key is what stops a member getting the same
occurrence twice, whatever the scheduler does. Answers and commitments are
personal: only their member reads them, facilitators see counts and what
members chose to share.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint, bindparam
from sqlmodel import Field, Session, SQLModel, col, delete, select

from bot.store.commitments import Commitment
from bot.store.types import empty_list, utc_field

__all__ = [
    "ANSWERS_OF",
    "Prompt",
    "PromptStatus",
    "Reflection",
    "ReflectionAnswer",
    "export_member",
    "forget_member",
    "words_of",
]


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
    questions: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    sent_at: datetime = utc_field()
    window_closes_at: datetime = utc_field()
    status: PromptStatus = Field(default=PromptStatus.SENT, max_length=12, index=True)
    later_at: datetime | None = utc_field(default=None)
    reminded_at: datetime | None = utc_field(default=None)


class Reflection(SQLModel, table=True):
    """A member's answers to one prompt (kept even when only partly answered)."""

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    prompt_id: int | None = Field(default=None, foreign_key="reflection_prompt.id", index=True)
    flow_id: int | None = Field(default=None, foreign_key="flow.id")
    started_at: datetime = utc_field()
    completed_at: datetime | None = utc_field(default=None)
    late: bool = False
    shared: str | None = Field(default=None, max_length=12)  # None, "anonymous" or "named"
    shared_at: datetime | None = utc_field(default=None)


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
    answered_at: datetime = utc_field()


ANSWERS_OF = select(ReflectionAnswer).where(ReflectionAnswer.reflection_id == bindparam("reflection_id")).order_by(col(ReflectionAnswer.position))
"""A reflection's answers in question order (``params={"reflection_id": …}``), built once: every finished reflection reads them."""


# -- the member's rights: /beacon my-data and /beacon forget-me ----------------------


def export_member(session: Session, member) -> dict[str, Any]:
    """Everything of this member's in the reflection tables, JSON-able."""
    reflections = session.exec(select(Reflection).where(Reflection.member_id == member.id)).all()
    out = []
    for r in reflections:
        answers = session.exec(ANSWERS_OF, params={"reflection_id": r.id}).all()
        out.append({
            "started_at": r.started_at.isoformat(), "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            "late": r.late, "shared": r.shared,
            "answers": [{"question": a.question, "answer": a.answer, "late": a.late} for a in answers],
        })  # fmt: skip
    commitments = session.exec(select(Commitment).where(Commitment.member_id == member.id)).all()
    prompts = session.exec(select(Prompt).where(Prompt.member_id == member.id)).all()
    return {
        "reflections": out,
        "commitments": [{"text": c.text, "due_date": c.due_date.isoformat() if c.due_date else None, "status": c.status.value} for c in commitments],
        "prompts": [{"occurrence": p.occurrence, "sent_at": p.sent_at.isoformat(), "status": p.status.value} for p in prompts],
    }


def words_of(session: Session, member, keep_shared: bool = False) -> list[str]:
    """The member's answers and commitments: forgetting deletes them, and every copy
    (an excerpt they shared, a digest's quote) goes with them, ``keep_shared`` or not:
    only practices stay."""
    ids = list(session.exec(select(Reflection.id).where(Reflection.member_id == member.id)))
    answers = list(session.exec(select(ReflectionAnswer.answer).where(col(ReflectionAnswer.reflection_id).in_(ids)))) if ids else []
    commitments = list(session.exec(select(Commitment.text).where(Commitment.member_id == member.id)))
    return [t for t in answers + commitments if t]


def forget_member(session: Session, member, keep_shared: bool = False) -> None:
    """Delete the member's prompts, reflections, answers and commitments.

    Excerpts already posted in a channel stay there as posted (anonymous or
    named, as the member chose); nothing of them is left in these tables.
    """
    ids = list(session.exec(select(Reflection.id).where(Reflection.member_id == member.id)))
    if ids:
        session.exec(delete(ReflectionAnswer).where(col(ReflectionAnswer.reflection_id).in_(ids)))
    session.exec(delete(Commitment).where(Commitment.member_id == member.id))
    session.exec(delete(Reflection).where(Reflection.member_id == member.id))
    session.exec(delete(Prompt).where(Prompt.member_id == member.id))
