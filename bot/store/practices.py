"""Steal-with-pride tables and the narrow queries the practices flow needs.

A practice is a member's post; a steal is another member taking it (with
its mode: adapted, accelerated, closely_based) and, weeks later, how it went.
Full-text search lives in :mod:`bot.store.search`.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.answers import AnswerKind, record_answer
from bot.store.models import OutboxMessage
from bot.store.types import empty_list, utc_field

__all__ = [
    "Practice",
    "PracticeQuestion",
    "PracticeStatus",
    "SavedPractice",
    "Steal",
    "StealMode",
    "StealOutcome",
    "due_followups",
    "posted_card",
    "report_outcome",
    "steal_mixes",
    "steals_of",
]


def _text() -> Any:
    return Field(default="", sa_column=Column(Text, nullable=False, default=""))


# Stored as their plain values (not database enums) so raw search SQL and
# PostgreSQL need no enum types.


class PracticeStatus(str, Enum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    HIDDEN = "hidden"


class StealMode(str, Enum):
    """The Beacon survey's three ways an idea travels (63% / 29% / 8%)."""

    ADAPTED = "adapted"
    ACCELERATED = "accelerated"
    CLOSELY_BASED = "closely_based"


class StealOutcome(str, Enum):
    WORKED = "worked"
    PARTLY = "partly"
    DIDNT = "didnt"
    TOO_EARLY = "too_early"


class Practice(SQLModel, table=True):
    """A steal-with-pride post. ``author_id`` is None once the author has left."""

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    title: str = Field(max_length=200)
    problem: str = _text()
    what_we_did: str = _text()
    what_made_it_work: str = _text()
    watch_out_for: str = _text()
    evidence: str = _text()
    tags: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    contact: str = Field(default="", max_length=300)
    status: str = Field(default=PracticeStatus.ACTIVE.value, max_length=12, index=True)
    featured: bool = False
    channel_ref: str | None = Field(default=None, max_length=200)
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class Steal(SQLModel, table=True):
    """One member taking one practice; stealing again updates this row."""

    __table_args__ = (UniqueConstraint("practice_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    mode: str = Field(max_length=16)
    adaptation_note: str = _text()
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()
    follow_up_due: datetime | None = utc_field(default=None, index=True)
    follow_up_sent_at: datetime | None = utc_field(default=None)
    outcome: str | None = Field(default=None, max_length=12)
    outcome_note: str = _text()
    outcome_at: datetime | None = utc_field(default=None)


class SavedPractice(SQLModel, table=True):
    """A member's bookmark of a practice to come back to."""

    __tablename__ = "saved_practice"
    __table_args__ = (UniqueConstraint("practice_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime = utc_field()


class PracticeQuestion(SQLModel, table=True):
    """A question to a practice's author and its answer; public only if the author allows."""

    __tablename__ = "practice_question"

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    asker_id: int | None = Field(default=None, foreign_key="member.id", index=True)  # a member's export and forget-me find theirs
    question: str = _text()
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_at: datetime | None = utc_field(default=None)
    public: bool = False
    created_at: datetime = utc_field()


# -- queries ------------------------------------------------------------------


def posted_card(session: Session, p: Practice) -> OutboxMessage | None:
    """The practice's card as posted in its channel, once the platform has given it a reference."""
    if not p.channel_ref:
        return None
    row = session.exec(select(OutboxMessage).where(OutboxMessage.key == p.channel_ref)).first()
    return row if row is not None and row.platform_message_id else None


def steals_of(session: Session, practice_id: int) -> list[Steal]:
    return list(session.exec(select(Steal).where(Steal.practice_id == practice_id).order_by(Steal.id)))


def steal_mixes(session: Session, practice_ids: list[int]) -> dict[int, Counter]:
    """Per practice, how many steals of each mode (one query for a whole list)."""
    mixes: dict[int, Counter] = {pid: Counter() for pid in practice_ids}
    if not practice_ids:
        return mixes
    rows = session.exec(
        select(Steal.practice_id, Steal.mode, func.count()).where(col(Steal.practice_id).in_(practice_ids)).group_by(Steal.practice_id, Steal.mode)
    ).all()
    for pid, mode, n in rows:
        mixes[pid][StealMode(mode)] += n
    return mixes


def due_followups(session: Session, network_id: int, now: datetime) -> list[Steal]:
    """Steals whose "how did it go?" is due and not yet asked."""
    return list(
        session.exec(
            select(Steal)
            .join(Practice, col(Practice.id) == col(Steal.practice_id))
            .where(
                Practice.network_id == network_id,
                col(Steal.follow_up_due).is_not(None),
                col(Steal.follow_up_due) <= now,
                col(Steal.follow_up_sent_at).is_(None),
                col(Steal.outcome).is_(None),
            )
            .order_by(Steal.id)
        )
    )


def report_outcome(session: Session, steal: Steal, outcome: str, now: datetime) -> None:
    """How a steal went, on the steal and kept for good ("too early" one week and
    "worked" later are two answers, each counted in its own week)."""
    steal.outcome, steal.outcome_at = outcome, now
    session.add(steal)
    network_id = session.get(Practice, steal.practice_id).network_id
    record_answer(session, network_id=network_id, member_id=steal.member_id, kind=AnswerKind.STEAL, subject_id=steal.id, value=outcome, at=now)
