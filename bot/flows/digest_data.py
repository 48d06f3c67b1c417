"""The digest's numbers, computed by the database (GROUP BY, COUNT, CASE).

Each section is one function returning a small dataclass; none loads a
network's history into Python. Weekly series bucket rows with a CASE over
the period's local-midnight boundaries (see :mod:`.digest_period`), so the
same SQL runs on SQLite and PostgreSQL and time zones are exact.

Privacy: only answers a member chose to share are ever read as text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, desc, func, literal_column, select, union_all
from sqlmodel import Session, col

from ..store.models import Member
from ..store.pairing import MetStatus, PairGroup, PairingRound, PairMember
from ..store.practices import Practice, PracticeStatus, Steal, StealMode
from ..store.reflection import Commitment, CommitmentStatus, Prompt, PromptStatus, Reflection, ReflectionAnswer
from .digest_period import BUCKETS, Period
from .digest_themes import themes

__all__ = [
    "Commitments", "Digest", "activity", "bucket_of", "Excerpt", "Pairs", "Participation", "Practices", "Quiet",
    "Reflections", "Week", "build_digest", "commitments", "pairs", "participation",
    "practices", "quiet_members", "reflections", "weekly",
]  # fmt: skip

logger = logging.getLogger(__name__)

EXCERPTS = 5
EXCERPT_CHARS = 280
QUIET_NAMES = 20
THEME_SOURCE_LIMIT = 2000  # shared answers read for themes in one period


def bucket_of(column, bounds: tuple[datetime, ...] | list[datetime]):
    """Index of the ``[bounds[i], bounds[i + 1])`` that holds ``column`` (newest tested
    first), for GROUP BY; callers filter to ``[bounds[0], bounds[-1])``."""
    return case(*[(column >= bounds[i], i) for i in range(len(bounds) - 2, -1, -1)], else_=-1)


def _bucket(column, period: Period):
    return bucket_of(column, period.bounds)


def _between(column, lo: datetime, hi: datetime):
    return and_(column >= lo, column < hi)


def _in(period: Period, column):
    return _between(column, period.start, period.end)


def activity(network_id: int, lo: datetime, hi: datetime):
    """Every (member_id, at) sign of life in ``[lo, hi)``: reflections, practices,
    steals, pairing answers, and the member's last message (a union, one index
    range scan per table)."""
    return union_all(
        select(Reflection.member_id.label("member_id"), Reflection.started_at.label("at"))
        .where(Reflection.network_id == network_id, _between(col(Reflection.started_at), lo, hi)),
        select(Practice.author_id, Practice.created_at)
        .where(Practice.network_id == network_id, col(Practice.author_id).is_not(None), _between(col(Practice.created_at), lo, hi)),
        select(Steal.member_id, Steal.created_at)
        .join(Practice, col(Practice.id) == col(Steal.practice_id))
        .where(Practice.network_id == network_id, _between(col(Steal.created_at), lo, hi)),
        select(PairMember.member_id, PairMember.answered_at)
        .join(PairingRound, col(PairingRound.id) == col(PairMember.round_id))
        .where(PairingRound.network_id == network_id, _between(col(PairMember.answered_at), lo, hi)),
        select(Member.id, Member.last_active_at)
        .where(Member.network_id == network_id, _between(col(Member.last_active_at), lo, hi)),
    ).subquery("activity")


# -- participation -----------------------------------------------------------------------


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
    bucket = _bucket(col(Prompt.sent_at), period)
    prompts = session.execute(
        select(bucket, func.count(), func.sum(case((Prompt.status == PromptStatus.ANSWERED, 1), else_=0)))
        .where(Prompt.network_id == network_id, _between(col(Prompt.sent_at), lo, hi))
        .group_by(bucket)
    ).all()
    act = activity(network_id, lo, hi)
    abucket = _bucket(act.c.at, period)
    active = session.execute(select(abucket, func.count(func.distinct(act.c.member_id))).group_by(abucket)).all()
    members = session.execute(
        select(*[func.sum(case((col(Member.created_at) < period.bounds[i + 1], 1), else_=0)) for i in range(BUCKETS)])
        .where(Member.network_id == network_id)
    ).one()
    sent = {b: (n, a or 0) for b, n, a in prompts}
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

    @property
    def rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None

    @property
    def baseline_rate(self) -> float | None:
        return self.baseline_answered / self.baseline_sent if self.baseline_sent else None


def participation(session: Session, network_id: int, period: Period, weeks: list[Week], quiet_weeks: int) -> Participation:
    cur = weeks[period.current]
    base = [weeks[i] for i in period.baseline]
    new = session.execute(
        select(func.count()).where(Member.network_id == network_id, _in(period, col(Member.created_at)))
    ).scalar_one()
    return Participation(
        sent=cur.sent, answered=cur.answered,
        baseline_sent=sum(w.sent for w in base), baseline_answered=sum(w.answered for w in base),
        active=cur.active, baseline_active=sum(w.active for w in base) / len(base),
        members=cur.members, new_members=new,
        quiet=quiet_members(session, network_id, period, quiet_weeks),
    )  # fmt: skip


# -- reflections --------------------------------------------------------------------------


@dataclass(frozen=True)
class Excerpt:
    """Text a member chose to share; ``who`` is their name or "a member"."""

    who: str
    text: str


@dataclass(frozen=True)
class Reflections:
    completed: int
    baseline_completed: int
    shared: int
    excerpts: tuple[Excerpt, ...] = ()
    themes: tuple[tuple[str, int], ...] = ()


def _clip(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shared_answers(network_id: int, lo: datetime, hi: datetime):
    """Answers whose member shared them (reflection shared AND the answer marked)."""
    return (
        select(ReflectionAnswer.answer, Reflection.shared, Member.display_name)
        .join(Reflection, col(Reflection.id) == col(ReflectionAnswer.reflection_id))
        .join(Member, col(Member.id) == col(Reflection.member_id))
        .where(
            Reflection.network_id == network_id,
            col(Reflection.shared).in_(("anonymous", "named")),
            ReflectionAnswer.shared == True,  # noqa: E712
            col(ReflectionAnswer.answer).is_not(None),
            _between(col(Reflection.shared_at), lo, hi),
        )
        .order_by(Reflection.shared_at, ReflectionAnswer.id)
    )


def reflections(session: Session, network_id: int, period: Period) -> Reflections:
    done = col(Reflection.completed_at)
    cur, base = session.execute(
        select(
            func.sum(case((done >= period.start, 1), else_=0)),
            func.sum(case((done < period.start, 1), else_=0)),
        ).where(Reflection.network_id == network_id, _between(done, period.baseline_start, period.end))
    ).one()
    shared = session.execute(
        select(func.count()).where(
            Reflection.network_id == network_id,
            col(Reflection.shared).in_(("anonymous", "named")),
            _in(period, col(Reflection.shared_at)),
        )
    ).scalar_one()
    rows = session.execute(shared_answers(network_id, period.start, period.end).limit(THEME_SOURCE_LIMIT)).all()
    excerpts = tuple(
        Excerpt(who=name if mode == "named" and name else "a member", text=_clip(text)) for text, mode, name in rows[:EXCERPTS]
    )
    return Reflections(completed=cur or 0, baseline_completed=base or 0, shared=shared, excerpts=excerpts,
                       themes=tuple(themes([r[0] for r in rows])))  # fmt: skip


# -- commitments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Commitments:
    made: int
    done: int
    overdue: int


def commitments(session: Session, network_id: int, period: Period) -> Commitments:
    made = session.execute(
        select(func.count()).where(Commitment.network_id == network_id, _in(period, col(Commitment.created_at)))
    ).scalar_one()
    done = session.execute(
        select(func.count()).where(
            Commitment.network_id == network_id, Commitment.status == CommitmentStatus.DONE, _in(period, col(Commitment.updated_at))
        )
    ).scalar_one()
    overdue = session.execute(
        select(func.count()).where(
            Commitment.network_id == network_id,
            col(Commitment.status).in_((CommitmentStatus.OPEN, CommitmentStatus.STILL_GOING)),
            col(Commitment.due_date) < period.end_day,
        )
    ).scalar_one()
    return Commitments(made=made, done=done, overdue=overdue)


# -- pairs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pairs:
    formed: int
    answered: int  # groups with a follow-up answer this period
    met: int
    learned: tuple[str, ...] = ()

    @property
    def met_rate(self) -> float | None:
        return self.met / self.answered if self.answered else None


def pairs(session: Session, network_id: int, period: Period) -> Pairs:
    formed = session.execute(
        select(func.count(PairGroup.id))
        .join(PairingRound, col(PairingRound.id) == col(PairGroup.round_id))
        .where(PairingRound.network_id == network_id, _in(period, col(PairingRound.ran_at)))
    ).scalar_one()
    answered_rows = (
        select(PairMember.group_id)
        .join(PairingRound, col(PairingRound.id) == col(PairMember.round_id))
        .where(
            PairingRound.network_id == network_id,
            _in(period, col(PairMember.answered_at)),
            PairMember.met != MetStatus.REMATCHED.value,
        )
    )
    met = session.execute(
        select(
            func.count(func.distinct(PairMember.group_id)),
            func.count(func.distinct(case((PairMember.met == MetStatus.MET.value, PairMember.group_id)))),
        ).where(col(PairMember.id).in_(answered_rows.with_only_columns(PairMember.id)))
    ).one()
    learned = session.execute(
        answered_rows.with_only_columns(PairMember.learned).where(PairMember.learned != "").order_by(PairMember.answered_at).limit(EXCERPTS)
    ).scalars().all()
    return Pairs(formed=formed, answered=met[0], met=met[1], learned=tuple(_clip(t) for t in learned))


# -- practices ------------------------------------------------------------------------------


MODES = tuple(m.value for m in StealMode)


@dataclass(frozen=True)
class Practices:
    new_posts: int
    steals: int
    most_stolen: tuple[tuple[str, int], ...] = ()
    mix: dict[str, int] = field(default_factory=dict)  # this period, by mode
    mix_all: dict[str, int] = field(default_factory=dict)  # all time
    outcomes: dict[str, int] = field(default_factory=dict)


def practices(session: Session, network_id: int, period: Period) -> Practices:
    new_posts = session.execute(
        select(func.count()).where(
            Practice.network_id == network_id, Practice.status == PracticeStatus.ACTIVE.value, _in(period, col(Practice.created_at))
        )
    ).scalar_one()
    joined = select(Steal.mode, func.count()).join(Practice, col(Practice.id) == col(Steal.practice_id)).where(Practice.network_id == network_id)
    in_period = _in(period, col(Steal.created_at))
    mix = dict(session.execute(joined.where(in_period).group_by(Steal.mode)).all())
    mix_all = dict(session.execute(joined.where(col(Steal.created_at) < period.end).group_by(Steal.mode)).all())
    top = session.execute(
        select(Practice.title, func.count(Steal.id).label("n"))
        .join(Steal, col(Steal.practice_id) == col(Practice.id))
        .where(Practice.network_id == network_id, in_period)
        .group_by(Practice.id, Practice.title)
        .order_by(desc(literal_column("n")), Practice.id)
        .limit(3)
    ).all()
    outcomes = dict(
        session.execute(
            select(Steal.outcome, func.count())
            .join(Practice, col(Practice.id) == col(Steal.practice_id))
            .where(Practice.network_id == network_id, col(Steal.outcome).is_not(None), _in(period, col(Steal.outcome_at)))
            .group_by(Steal.outcome)
        ).all()
    )
    return Practices(
        new_posts=new_posts, steals=sum(mix.values()), most_stolen=tuple((t, n) for t, n in top),
        mix={m: mix.get(m, 0) for m in MODES}, mix_all={m: mix_all.get(m, 0) for m in MODES}, outcomes=outcomes,
    )  # fmt: skip


# -- the whole digest ------------------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    network: str
    period: Period
    weeks: list[Week]
    participation: Participation
    reflections: Reflections
    commitments: Commitments
    pairs: Pairs
    practices: Practices


def build_digest(session: Session, network, period: Period, *, quiet_weeks: int = 3) -> Digest:
    weeks = weekly(session, network.id, period)
    return Digest(
        network=network.name,
        period=period,
        weeks=weeks,
        participation=participation(session, network.id, period, weeks, quiet_weeks),
        reflections=reflections(session, network.id, period),
        commitments=commitments(session, network.id, period),
        pairs=pairs(session, network.id, period),
        practices=practices(session, network.id, period),
    )
