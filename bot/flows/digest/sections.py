"""The digest's activity sections: reflections (with the excerpts and themes
members chose to share), commitments, pairs and practices.

Each section is one function returning a small dataclass over the period;
kept apart from participation, which works in weekly buckets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, desc, func, literal_column, or_, select
from sqlmodel import Session, col

from bot.flows.digest.period import Period
from bot.flows.digest.query import answers, between, first_done, shared_answers, status_at, within
from bot.flows.digest.themes import themes
from bot.store.answers import AnswerKind
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.pairing import MetStatus, PairGroup, PairingRound, PairMember
from bot.store.practices import Practice, Steal, StealMode
from bot.store.reflection import Reflection

__all__ = [
    "Commitments", "Excerpt", "Pairs", "Practices", "Reflections", "commitments", "pairs", "practices", "reflections",
]  # fmt: skip

EXCERPTS = 5
EXCERPT_CHARS = 280
THEME_SOURCE_LIMIT = 2000  # shared answers read for themes in one period


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


def reflections(session: Session, network_id: int, period: Period) -> Reflections:
    done = col(Reflection.completed_at)
    cur, base = session.execute(
        select(
            func.sum(case((done >= period.start, 1), else_=0)),
            func.sum(case((done < period.start, 1), else_=0)),
        ).where(Reflection.network_id == network_id, between(done, period.baseline_start, period.end))
    ).one()
    shared = session.execute(
        select(func.count()).where(
            Reflection.network_id == network_id,
            col(Reflection.shared).in_(("anonymous", "named")),
            within(period, col(Reflection.shared_at)),
        )
    ).scalar_one()
    rows = session.execute(shared_answers(network_id, period.start, period.end).limit(THEME_SOURCE_LIMIT)).all()
    excerpts = tuple(Excerpt(who=name if mode == "named" and name else "a member", text=_clip(text)) for text, mode, name in rows[:EXCERPTS])
    return Reflections(completed=cur or 0, baseline_completed=base or 0, shared=shared, excerpts=excerpts,
                       themes=tuple(themes([r[0] for r in rows])))  # fmt: skip


# -- commitments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Commitments:
    made: int
    done: int
    overdue: int


def commitments(session: Session, network_id: int, period: Period) -> Commitments:
    made = session.execute(select(func.count()).where(Commitment.network_id == network_id, within(period, col(Commitment.created_at)))).scalar_one()
    first = first_done(network_id, period.end)
    done = session.execute(select(func.count()).select_from(first).where(first.c.at >= period.start)).scalar_one()
    # overdue when the period ended, not now: a commitment kept the week after still
    # counts as overdue in this period's figures, so a past digest never changes
    # untouched since the period ended, a commitment's status now is its status then; only one
    # changed since needs its answers read (the OR's second half)
    closed = (CommitmentStatus.DONE.value, CommitmentStatus.DROPPED.value)
    untouched_open = and_(col(Commitment.status).in_((CommitmentStatus.OPEN, CommitmentStatus.STILL_GOING)), col(Commitment.updated_at) < period.end)
    overdue = session.execute(
        select(func.count()).where(
            Commitment.network_id == network_id,
            col(Commitment.created_at) < period.end,
            col(Commitment.due_date) < period.end_day,
            or_(untouched_open, and_(col(Commitment.updated_at) >= period.end, status_at(period.end).not_in(closed))),
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
        .where(PairingRound.network_id == network_id, within(period, col(PairingRound.ran_at)))
    ).scalar_one()
    # each answer in the week it was given: "not yet" this week and "met" the next count once in each
    given = answers(network_id, AnswerKind.PAIR, period.start, period.end)
    met = session.execute(
        select(func.count(func.distinct(given.c.subject_id)),
               func.count(func.distinct(case((given.c.value == MetStatus.MET.value, given.c.subject_id)))))
    ).one()  # fmt: skip
    said_met = answers(network_id, AnswerKind.PAIR, period.start, period.end, MetStatus.MET.value)
    learned = (
        session.execute(
            select(PairMember.learned)
            .join(said_met, and_(said_met.c.subject_id == PairMember.group_id, said_met.c.member_id == PairMember.member_id))
            .where(PairMember.learned != "", PairMember.learned_shared == True)  # noqa: E712 - only what the member chose to share
            .group_by(PairMember.id, PairMember.learned)
            .order_by(func.min(said_met.c.at), PairMember.id)
            .limit(EXCERPTS)
        )
        .scalars()
        .all()
    )
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
            # every practice shared in the period, whatever became of it since: withdrawing one later changes no past figure
            Practice.network_id == network_id,
            within(period, col(Practice.created_at)),
        )
    ).scalar_one()
    joined = select(Steal.mode, func.count()).join(Practice, col(Practice.id) == col(Steal.practice_id)).where(Practice.network_id == network_id)
    in_period = within(period, col(Steal.created_at))
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
    # each follow-up answer in the week it was given ("too early" now and "worked" later are two)
    told = answers(network_id, AnswerKind.STEAL, period.start, period.end)
    outcomes = dict(session.execute(select(told.c.value, func.count(func.distinct(told.c.subject_id))).group_by(told.c.value)).all())
    return Practices(
        new_posts=new_posts, steals=sum(mix.values()), most_stolen=tuple((t, n) for t, n in top),
        mix={m: mix.get(m, 0) for m in MODES}, mix_all={m: mix_all.get(m, 0) for m in MODES}, outcomes=outcomes,
    )  # fmt: skip
