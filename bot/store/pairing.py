"""Pairing tables: rounds, the groups each formed, who was in them, and
facilitator-set excludes.

History is what the matching rules need (who met whom, who hosted), and the
follow-up answers ("did you meet? what did you learn?") feed the digest. A
member's place in a group is a :class:`PairMember` row, so history, answers
and forgetting a member are plain row operations.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.answers import AnswerKind, record_answer
from bot.store.types import empty_list, utc_field

__all__ = [
    "MetStatus",
    "PairExclude",
    "PairGroup",
    "PairMember",
    "PairingRound",
    "answer_met",
    "group_members",
    "hosted_counts",
    "latest_round",
    "past_groups",
]


class MetStatus(str, Enum):
    """A member's answer to "Did you meet?" (``rematched``: they moved group)."""

    PENDING = "pending"
    MET = "met"
    NOT_YET = "not_yet"
    WONT = "wont"
    REMATCHED = "rematched"


class PairingRound(SQLModel, table=True):
    """One round of a pairing flow. ``(flow, number)`` is unique, so a round runs once."""

    __tablename__ = "pairing_round"
    __table_args__ = (UniqueConstraint("flow_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    flow_id: int = Field(foreign_key="flow.id", index=True)
    number: int
    seed: str = Field(max_length=100)
    mode: str = Field(default="pairs", max_length=20)
    ran_at: datetime = utc_field()
    followup_at: datetime | None = utc_field(default=None, index=True)
    followup_sent: bool = False
    candidates: int = 0


class PairGroup(SQLModel, table=True):
    """A pair or trio formed in a round, with why it was formed."""

    __tablename__ = "pair_group"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="pairing_round.id", index=True)
    host_id: int | None = Field(default=None, foreign_key="member.id")
    score: float = 0.0
    reasons: list[Any] = Field(default_factory=empty_list, sa_type=JSON)
    status: str = Field(default=MetStatus.PENDING.value, max_length=20)
    created_at: datetime = utc_field()


class PairMember(SQLModel, table=True):
    """One member's place in a group, and their own follow-up answer."""

    __tablename__ = "pair_member"
    __table_args__ = (UniqueConstraint("group_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="pair_group.id", index=True)
    round_id: int = Field(foreign_key="pairing_round.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    met: str = Field(default=MetStatus.PENDING.value, max_length=20)
    learned: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    learned_shared: bool = False  # the member chose to let coordinators and facilitators read ``learned``
    answered_at: datetime | None = utc_field(default=None)


class PairExclude(SQLModel, table=True):
    """Two members a facilitator has said never to pair (``member_a < member_b``)."""

    __tablename__ = "pair_exclude"
    __table_args__ = (UniqueConstraint("network_id", "member_a", "member_b"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    member_a: int = Field(foreign_key="member.id", index=True)  # forget-me finds a member's on either side
    member_b: int = Field(foreign_key="member.id", index=True)
    created_at: datetime = utc_field()


def latest_round(session: Session, flow_id: int) -> PairingRound | None:
    return session.exec(select(PairingRound).where(PairingRound.flow_id == flow_id).order_by(col(PairingRound.number).desc())).first()


def group_members(session: Session, round_ids: list[int]) -> dict[int, list[PairMember]]:
    """Group id -> its member rows (rematched-away rows included), for the given rounds."""
    out: dict[int, list[PairMember]] = {}
    if not round_ids:
        return out
    rows = session.exec(select(PairMember).where(col(PairMember.round_id).in_(round_ids)).order_by(PairMember.id))
    for row in rows:
        out.setdefault(row.group_id, []).append(row)
    return out


def past_groups(session: Session, flow_id: int, rounds: int) -> list[list[list[int]]]:
    """The last ``rounds`` rounds' groups as member-id lists, oldest round first."""
    recent = list(
        session.exec(select(PairingRound.id).where(PairingRound.flow_id == flow_id).order_by(col(PairingRound.number).desc()).limit(rounds))
    )
    recent.reverse()
    rows = (
        session.exec(
            select(PairMember.round_id, PairMember.group_id, PairMember.member_id).where(
                col(PairMember.round_id).in_(recent), PairMember.met != MetStatus.REMATCHED.value
            )
        ).all()
        if recent
        else []
    )
    by_round: dict[int, dict[int, list[int]]] = {r: {} for r in recent}
    for round_id, group_id, member_id in rows:
        by_round[round_id].setdefault(group_id, []).append(member_id)
    return [list(by_round[r].values()) for r in recent]


def hosted_counts(session: Session, flow_id: int) -> dict[int, int]:
    """Member -> how many visits they have hosted in this flow (for host rotation)."""
    counts: dict[int, int] = {}
    rows = session.exec(
        select(PairGroup.host_id)
        .join(PairingRound, col(PairingRound.id) == col(PairGroup.round_id))
        .where(PairingRound.flow_id == flow_id, col(PairGroup.host_id).is_not(None))
    )
    for host in rows:
        counts[host] = counts.get(host, 0) + 1
    return counts


def answer_met(session: Session, row: PairMember, status: str, now: datetime) -> None:
    """A member's "did you meet?" answer, on their row and kept for good (the row holds
    only the latest: "not yet" one week and "met" the next are two answers in two weeks)."""
    row.met, row.answered_at = status, now
    session.add(row)
    network_id = session.get(PairingRound, row.round_id).network_id
    record_answer(session, network_id=network_id, member_id=row.member_id, kind=AnswerKind.PAIR, subject_id=row.group_id, value=status, at=now)
