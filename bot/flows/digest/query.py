"""The SQL building blocks the digest's sections share with its CSV export:
period buckets (a CASE over local-midnight boundaries), a member's signs of
life in a window, and the answers members chose to share.

Kept apart so :mod:`bot.flows.digest.export` reuses exactly the queries the digest counts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select, union_all
from sqlmodel import col

from bot.flows.digest.period import Period
from bot.store.activity import MemberActivity
from bot.store.answers import AnswerKind, FollowUpAnswer
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.models import Member
from bot.store.practices import Practice, Steal
from bot.store.reflection import Prompt, PromptStatus, Reflection, ReflectionAnswer

__all__ = ["activity", "answered_late", "answers", "between", "bucket_of", "first_done", "shared_answers", "status_at", "within"]


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


def answered_late(network_id: int, bounds: tuple[datetime, ...] | list[datetime]):
    """(member_id, sent_at) of each prompt sent in ``[bounds[0], bounds[-1])`` and marked
    answered, whose answer came only after the bucket it was sent in had ended.

    A prompt counts as answered in its bucket only when the answer came before the
    bucket ended: one sent on Sunday night and answered on Monday stays unanswered
    in its own week (the answer counts among the next week's completed reflections),
    so a week's figures never change once it is over. Callers subtract these from
    the prompts marked answered, which keeps the count an index scan; the answer's
    time is its reflection's completion (a prompt marked answered with no reflection
    counts as answered in time).
    """
    sent, done = col(Prompt.sent_at), col(Reflection.completed_at)
    after_its_bucket = case(*[(sent >= bounds[i], done >= bounds[i + 1]) for i in range(len(bounds) - 2, -1, -1)], else_=False)
    return (
        select(Prompt.member_id.label("member_id"), Prompt.sent_at.label("sent_at"))
        .select_from(Reflection)
        .join(Prompt, col(Prompt.id) == col(Reflection.prompt_id))
        .where(Reflection.network_id == network_id, done >= bounds[1], Prompt.status == PromptStatus.ANSWERED,
               between(sent, bounds[0], bounds[-1]), after_its_bucket)
        .subquery("answered_late")
    )  # fmt: skip


def activity(network_id: int, lo: datetime, hi: datetime):
    """Every (member_id, at) sign of life in ``[lo, hi)``: reflections, practices,
    steals, answers to "did you meet?", and the durable per-day activity record (a union, one
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
        select(FollowUpAnswer.member_id, FollowUpAnswer.at).where(
            FollowUpAnswer.network_id == network_id, FollowUpAnswer.kind == AnswerKind.PAIR.value, between(col(FollowUpAnswer.at), lo, hi)
        ),
        select(MemberActivity.member_id, MemberActivity.at).where(MemberActivity.network_id == network_id, between(col(MemberActivity.at), lo, hi)),
    ).subquery("activity")


def answers(network_id: int, kind: AnswerKind, lo: datetime, hi: datetime, *values: str):
    """Follow-up answers of ``kind`` given in ``[lo, hi)`` (optionally only ``values``), as
    (member_id, subject_id, value, at): each answer counts in the period it was given,
    with what was said then, whatever was said after."""
    where = [FollowUpAnswer.network_id == network_id, FollowUpAnswer.kind == kind.value, between(col(FollowUpAnswer.at), lo, hi)]
    if values:
        where.append(col(FollowUpAnswer.value).in_(values))
    return select(FollowUpAnswer.member_id, FollowUpAnswer.subject_id, FollowUpAnswer.value, FollowUpAnswer.at).where(*where).subquery("answers")


def first_done(network_id: int, hi: datetime):
    """(member_id, subject_id, at): when each commitment was first marked done before ``hi``
    (pressing *Done* again later does not move it into a later week)."""
    done = [FollowUpAnswer.network_id == network_id, FollowUpAnswer.kind == AnswerKind.COMMITMENT.value,
            FollowUpAnswer.value == CommitmentStatus.DONE.value, col(FollowUpAnswer.at) < hi]  # fmt: skip
    return (
        select(FollowUpAnswer.member_id, FollowUpAnswer.subject_id, func.min(FollowUpAnswer.at).label("at"))
        .where(*done)
        .group_by(FollowUpAnswer.subject_id, FollowUpAnswer.member_id)
        .subquery("first_done")
    )


def status_at(end: datetime):
    """A commitment's status when ``end`` came: its latest answer before then, ``open``
    if none (a correlated subquery, one index lookup per commitment)."""
    latest = (
        select(FollowUpAnswer.value)
        .where(FollowUpAnswer.kind == AnswerKind.COMMITMENT.value, FollowUpAnswer.subject_id == Commitment.id, col(FollowUpAnswer.at) < end)
        .order_by(col(FollowUpAnswer.at).desc(), col(FollowUpAnswer.id).desc())
        .limit(1)
        .correlate(Commitment)
        .scalar_subquery()
    )
    return func.coalesce(latest, CommitmentStatus.OPEN.value)


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
