"""The SQL building blocks the digest's sections share with its CSV export:
period buckets (a CASE over local-midnight boundaries), a member's signs of
life in a window, and the answers members chose to share.

Kept apart so :mod:`bot.flows.digest.export` reuses exactly the queries the digest counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, select, union_all
from sqlmodel import col

from bot.flows.digest.period import Period
from bot.store.activity import MemberActivity
from bot.store.models import Member
from bot.store.pairing import PairingRound, PairMember
from bot.store.practices import Practice, Steal
from bot.store.reflection import Reflection, ReflectionAnswer

__all__ = ["activity", "between", "bucket_of", "shared_answers", "within"]


def bucket_of(column, bounds: tuple[datetime, ...] | list[datetime]):
    """Index of the ``[bounds[i], bounds[i + 1])`` that holds ``column`` (newest tested
    first), for GROUP BY; callers filter to ``[bounds[0], bounds[-1])``."""
    return case(*[(column >= bounds[i], i) for i in range(len(bounds) - 2, -1, -1)], else_=-1)


def between(column, lo: datetime, hi: datetime):
    """``lo <= column < hi``: every window here is half-open, so periods never overlap."""
    return and_(column >= lo, column < hi)


def within(period: Period, column):
    """``column`` falls in the period itself (not its baseline weeks)."""
    return between(column, period.start, period.end)


def activity(network_id: int, lo: datetime, hi: datetime):
    """Every (member_id, at) sign of life in ``[lo, hi)``: reflections, practices,
    steals, pairing answers, and the durable per-day activity record (a union, one
    index range scan per table; none of these rows moves once written)."""
    return union_all(
        select(Reflection.member_id.label("member_id"), Reflection.started_at.label("at")).where(
            Reflection.network_id == network_id, between(col(Reflection.started_at), lo, hi)
        ),
        select(Practice.author_id, Practice.created_at).where(
            Practice.network_id == network_id, col(Practice.author_id).is_not(None), between(col(Practice.created_at), lo, hi)
        ),
        select(Steal.member_id, Steal.created_at)
        .join(Practice, col(Practice.id) == col(Steal.practice_id))
        .where(Practice.network_id == network_id, between(col(Steal.created_at), lo, hi)),
        select(PairMember.member_id, PairMember.answered_at)
        .join(PairingRound, col(PairingRound.id) == col(PairMember.round_id))
        .where(PairingRound.network_id == network_id, between(col(PairMember.answered_at), lo, hi)),
        select(MemberActivity.member_id, MemberActivity.at).where(MemberActivity.network_id == network_id, between(col(MemberActivity.at), lo, hi)),
    ).subquery("activity")


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
            between(col(Reflection.shared_at), lo, hi),
        )
        .order_by(Reflection.shared_at, ReflectionAnswer.id)
    )
