"""Commitments as a follow-up source: "how is it going?" before the next meeting.

A commitment due before the next meeting is asked about three days before
that meeting, with whatever else that meeting times, in one message; with no
meeting on the calendar it is asked about on its due date; one due after the
next meeting waits for its turn before a later one. One made with no date is
asked about two weeks after it was made (or before the next meeting, if that
comes first after then), so "no date" never means "never". The answer marks it done,
still going or dropped, as ``/beacon commitments`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.core import markup
from bot.core.availability import Person
from bot.core.context import Context
from bot.core.dates.zone import resolve_local, zone
from bot.core.errors import UserError
from bot.core.followups import LEAD, FollowUp, FollowUpSource, World, subject_id
from bot.flows.commitments.commitment import OPEN_STATUSES
from bot.store.commitments import Commitment, CommitmentStatus, set_status
from bot.store.nudges import raised, subject_sql

__all__ = ["SOURCE", "CommitmentInfo", "due", "load"]

RULE = "commitment"
SUBJECT = "commitment:"  # and the commitment's id: persisted in the nudge log
DUE_DAY_TIME = time(9, 0)
UNDATED_AFTER = timedelta(
    days=14
)  # a commitment with no date is asked about this long after it was made  # without a meeting, a commitment is asked about on its due date
ANSWERS = (("Done", "done"), ("Still going", "going"), ("Drop it", "drop"))
STATUSES = {"done": CommitmentStatus.DONE, "going": CommitmentStatus.STILL_GOING, "drop": CommitmentStatus.DROPPED}
NOTES = {"done": "Done. Well done!", "going": "Still going: it stays on your list.", "drop": "Dropped. That's fine."}


@dataclass(frozen=True)
class CommitmentInfo:
    """An open commitment, as plain data."""

    id: int
    member_id: int
    text: str
    due_date: date | None
    created_at: datetime | None = None


def load(session: Session, world: World) -> dict[int, list[CommitmentInfo]]:
    """Each member's open commitments that may be asked about by now (plus the horizon), soonest due first:
    dated ones by :func:`_latest_due_date`, undated ones made at least :data:`UNDATED_AFTER` ago (a day's margin).

    The hourly run leaves out those already asked (they pile up while members leave
    them open, and are never asked twice); a preview reads them all.
    """
    base = select(*_INFO).where(Commitment.network_id == world.network.id, col(Commitment.status).in_(OPEN_STATUSES))
    if not world.horizon:
        base = base.where(~raised(world.network.id, Commitment.member_id, subject_sql(SUBJECT, Commitment.id), world.now))
    latest = _latest_due_date(world)
    found: list[CommitmentInfo] = []
    if latest is not None:
        dated = base.where(col(Commitment.due_date).is_not(None))
        if latest is not date.max:
            dated = dated.where(col(Commitment.due_date) <= latest)
        found += (CommitmentInfo(*row) for row in session.exec(dated))
    undated = base.where(col(Commitment.due_date).is_(None))
    if not world.horizon:
        undated = undated.where(col(Commitment.created_at) <= world.now - UNDATED_AFTER + timedelta(days=1))
    found += (CommitmentInfo(*row) for row in session.exec(undated))
    mine: dict[int, list[CommitmentInfo]] = {}
    for c in sorted(found, key=lambda c: (c.due_date is None, c.due_date or date.max, c.id)):
        mine.setdefault(c.member_id, []).append(c)
    return mine


_INFO = (Commitment.id, Commitment.member_id, Commitment.text, Commitment.due_date, Commitment.created_at)  # as CommitmentInfo reads them


def _latest_due_date(world: World) -> date | None:
    """The latest due date that :func:`due` may ask about now (a day's margin for time zones); None for none.

    With a meeting ahead, nothing is asked before its lead time, and then only what is
    due by the meeting; without one, each on its own date. A preview plans across
    meetings, so it reads every open commitment.
    """
    if world.horizon:
        return date.max
    meeting = world.next_meeting(world.now)
    if meeting is None:
        return (world.now + timedelta(days=1)).date()
    if meeting.starts_at - LEAD > world.now:
        return None
    return (meeting.starts_at + timedelta(days=1)).date()


def due(commitments: dict[int, list[CommitmentInfo]], person: Person, world: World, now: datetime) -> list[FollowUp]:
    meeting = world.next_meeting(now)
    tz = zone(person.tz)
    items = []
    for c in commitments.get(person.id, ()):
        if c.due_date is None:
            if c.created_at is None:
                continue
            made = c.created_at.astimezone(tz).date()
            when = f"{made:%a} {made.day} {made:%b}"
            items.append(FollowUp(
                RULE, f"{SUBJECT}{c.id}", person.id, resolve_local(datetime.combine(made + UNDATED_AFTER, DUE_DAY_TIME), tz), None,
                f"On {when} you planned to: _{markup.literal(c.text)}_. How is it going?", ANSWERS,
            ))  # fmt: skip
            continue
        if meeting is not None and c.due_date <= meeting.starts_at.astimezone(tz).date():
            due_at, expires = meeting.starts_at - LEAD, meeting.starts_at
        elif meeting is None:
            due_at, expires = resolve_local(datetime.combine(c.due_date, DUE_DAY_TIME), tz), None
        else:
            continue  # due after the next meeting: its turn comes before a later one
        when = f"{c.due_date:%a} {c.due_date.day} {c.due_date:%b}"
        items.append(FollowUp(
            RULE, f"{SUBJECT}{c.id}", person.id, due_at, expires,
            f"You planned to: _{markup.literal(c.text)}_ (by {when}). How is it going?", ANSWERS,
        ))  # fmt: skip
    return items


def answers(subject: str) -> tuple[tuple[str, str], ...]:
    return ANSWERS


def apply(ctx: Context, subject: str, code: str) -> str:
    c = ctx.session.get(Commitment, subject_id(subject))
    if c is None or c.member_id != ctx.member.id or code not in STATUSES:
        raise UserError("That commitment is gone. `/beacon commitments` lists your open ones.")
    set_status(ctx.session, c, STATUSES[code], ctx.now)
    return NOTES[code]


SOURCE = FollowUpSource(
    rule=RULE,
    description="a commitment due before the next meeting: done, still going or drop it (a few days before the meeting)",
    load=load, due=due, answers=answers, apply=apply, order=10,
)  # fmt: skip
