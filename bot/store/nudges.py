"""The nudges flow's table: a log of every nudge.

A :class:`NudgeLog` row is one
item of one nudge message to one member: the weekly cap counts messages
(``batch``) across every rule, and a subject (``"commitment:12"``) that was
answered or dismissed is never raised again.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, String, cast, literal, or_
from sqlmodel import Field, Session, SQLModel, col, delete, exists, select

from bot.store.types import utc_field

__all__ = [
    "NudgeLog",
    "NudgeOutcome",
    "export_member",
    "forget_member",
    "raised",
    "subject_sql",
]


class NudgeOutcome(str, Enum):
    ANSWERED = "answered"
    DISMISSED = "dismissed"
    SNOOZED = "snoozed"


class NudgeLog(SQLModel, table=True):
    """One thing one member was nudged about, in one message (``batch``)."""

    __tablename__ = "nudge_log"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    rule: str = Field(max_length=30)
    subject: str = Field(max_length=80, index=True)
    batch: str = Field(max_length=120, index=True)
    sent_at: datetime = utc_field()
    outcome: str | None = Field(default=None, max_length=12)
    answer: str | None = Field(default=None, max_length=20)
    answered_at: datetime | None = utc_field(default=None)
    snoozed_until: datetime | None = utc_field(default=None)


def raised(network_id: int, member_id: Any, subject: Any, now: datetime) -> ColumnElement[bool]:
    """SQL for "``subject`` was raised with ``member_id`` and may not be raised again at ``now``".

    The planner's "never twice" (:func:`bot.flows.nudges.rules.eligible`), for a
    follow-up source's load to leave out what the planner would drop anyway: a
    subject once raised stays settled, unless its member said "Not now" and the
    snooze is over (a subject is raised again only after such a snooze, so any
    other row of it settles it). ``member_id`` and ``subject`` are columns or SQL
    expressions of the query it goes in (:func:`subject_sql`); the
    ``(network_id, subject)`` index answers it.
    """
    until = col(NudgeLog.snoozed_until)
    settled = or_(col(NudgeLog.outcome).is_(None), NudgeLog.outcome != NudgeOutcome.SNOOZED.value, until.is_(None), until > now)
    return exists().where(NudgeLog.network_id == network_id, NudgeLog.member_id == member_id, NudgeLog.subject == subject, settled)


def subject_sql(prefix: str, record_id: Any) -> ColumnElement[str]:
    """A subject such as "commitment:12", in SQL, from its record's id column."""
    return literal(prefix, String) + cast(record_id, String)


def export_member(session: Session, member) -> list[dict[str, Any]]:
    rows = session.exec(select(NudgeLog).where(NudgeLog.member_id == member.id).order_by(NudgeLog.id)).all()
    return [
        {
            "rule": r.rule, "subject": r.subject, "sent_at": r.sent_at.isoformat(), "outcome": r.outcome,
            "answer": r.answer, "snoozed_until": r.snoozed_until.isoformat() if r.snoozed_until else None,
        }
        for r in rows
    ]  # fmt: skip


def forget_member(session: Session, member, keep_shared: bool = False) -> None:
    session.exec(delete(NudgeLog).where(NudgeLog.member_id == member.id))
