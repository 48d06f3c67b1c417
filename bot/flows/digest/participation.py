"""The digest's participation section: the weekly chart's series, the
period against its baseline, and the members who have gone quiet.

Kept apart because it is the one section built from weekly buckets rather
than from the period alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from bot.flows.digest.period import BUCKETS, Period
from bot.flows.digest.query import activity, answered_late, between, bucket_of, within
from bot.store.models import Member
from bot.store.reflection import Prompt, PromptStatus

__all__ = ["Participation", "Quiet", "Week", "participation", "quiet_members", "weekly"]

QUIET_NAMES = 20


@dataclass(frozen=True)
class Week:
    """One bucket of the chart: prompts, answers, active and existing members."""

    start: object  # date
    sent: int = 0
    answered: int = 0
    active: int = 0
    members: int = 0

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None

    @property
    def participation(self) -> float | None:
        return self.active / self.members if self.members else None


def weekly(session: Session, network_id: int, period: Period) -> list[Week]:
    """The ``BUCKETS`` weeks ending with the period, oldest first (empty weeks included)."""
    lo, hi = period.bounds[0], period.end
    bucket = bucket_of(col(Prompt.sent_at), period.bounds)
    sent_counts = session.execute(
        select(bucket, func.count(), func.sum(case((Prompt.status == PromptStatus.ANSWERED, 1), else_=0)))
        .where(Prompt.network_id == network_id, between(col(Prompt.sent_at), lo, hi))
        .group_by(bucket)
    ).all()
    late = answered_late(network_id, period.bounds)  # answered only after their week: not answered in it
    lbucket = bucket_of(late.c.sent_at, period.bounds)
    late_counts = dict(session.execute(select(lbucket, func.count()).group_by(lbucket)).all())
    act = activity(network_id, lo, hi)
    abucket = bucket_of(act.c.at, period.bounds)
    active = session.execute(select(abucket, func.count(func.distinct(act.c.member_id))).group_by(abucket)).all()
    members = session.execute(
        select(*[func.sum(case((col(Member.created_at) < period.bounds[i + 1], 1), else_=0)) for i in range(BUCKETS)]).where(
            Member.network_id == network_id
        )
    ).one()
    sent = {b: (n, (a or 0) - late_counts.get(b, 0)) for b, n, a in sent_counts}
    actives = dict(active)
    days = period.bucket_days()
    return [
        Week(start=days[i], sent=sent.get(i, (0, 0))[0], answered=sent.get(i, (0, 0))[1],
             active=actives.get(i, 0), members=members[i] or 0)
        for i in range(BUCKETS)
    ]  # fmt: skip


@dataclass(frozen=True)
class Quiet:
    """Members with no sign of life in ``weeks`` weeks (names capped; count exact)."""

    weeks: int
    count: int
    names: tuple[str, ...] = ()


def quiet_members(session: Session, network_id: int, period: Period, weeks: int) -> Quiet:
    """Members who joined before the quiet window and did nothing in it."""
    cutoff = period.end - timedelta(weeks=weeks)
    act = activity(network_id, cutoff, period.end)
    stmt = (
        select(Member.id, Member.display_name)
        .where(
            Member.network_id == network_id,
            col(Member.created_at) < cutoff,
            Member.unreachable == False,  # noqa: E712
            # members only: the facilitators and coordinators reading the digest are not its subject
            Member.is_facilitator == False,  # noqa: E712
            Member.is_coordinator == False,  # noqa: E712
            col(Member.id).not_in(select(act.c.member_id).where(act.c.member_id.is_not(None))),
        )
        .order_by(Member.display_name, Member.id)
    )
    count = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    names = tuple(n or f"member {i}" for i, n in session.execute(stmt.limit(QUIET_NAMES)).all())
    return Quiet(weeks=weeks, count=count, names=names)


@dataclass(frozen=True)
class Participation:
    sent: int
    answered: int
    baseline_sent: int
    baseline_answered: int
    active: int
    baseline_active: float
    members: int
    new_members: int
    quiet: Quiet
    baseline_periods: int = 4  # of the BASELINE periods before, those the network existed in

    @property
    def rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None

    @property
    def baseline_rate(self) -> float | None:
        return self.baseline_answered / self.baseline_sent if self.baseline_sent else None


def participation(session: Session, network_id: int, period: Period, weeks: list[Week], quiet_weeks: int) -> Participation:
    cur = weeks[period.current]
    base = [weeks[i] for i in period.baseline if weeks[i].members]  # a period before anyone joined is no baseline
    new = session.execute(select(func.count()).where(Member.network_id == network_id, within(period, col(Member.created_at)))).scalar_one()
    return Participation(
        sent=cur.sent, answered=cur.answered,
        baseline_sent=sum(w.sent for w in base), baseline_answered=sum(w.answered for w in base),
        active=cur.active, baseline_active=sum(w.active for w in base) / len(base) if base else 0.0, baseline_periods=len(base),
        members=cur.members, new_members=new,
        quiet=quiet_members(session, network_id, period, quiet_weeks),
    )  # fmt: skip
