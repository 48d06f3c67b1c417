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
from bot.store.commitments import Commitment, CommitmentStatus

__all__ = ["SOURCE", "CommitmentInfo", "due", "load"]

RULE = "commitment"
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


def load(session: Session, world: World) -> list[CommitmentInfo]:
    """The network's open commitments, soonest due first."""
    rows = session.exec(
        select(Commitment).where(Commitment.network_id == world.network.id, col(Commitment.status).in_(OPEN_STATUSES))
        .order_by(col(Commitment.due_date), col(Commitment.id))
    ).all()  # fmt: skip
    return [CommitmentInfo(c.id, c.member_id, c.text, c.due_date, c.created_at) for c in rows]


def due(commitments: list[CommitmentInfo], person: Person, world: World, now: datetime) -> list[FollowUp]:
    meeting = world.next_meeting(now)
    tz = zone(person.tz)
    items = []
    for c in commitments:
        if c.member_id != person.id:
            continue
        if c.due_date is None:
            if c.created_at is None:
                continue
            made = c.created_at.astimezone(tz).date()
            when = f"{made:%a} {made.day} {made:%b}"
            items.append(FollowUp(
                RULE, f"commitment:{c.id}", person.id, resolve_local(datetime.combine(made + UNDATED_AFTER, DUE_DAY_TIME), tz), None,
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
            RULE, f"commitment:{c.id}", person.id, due_at, expires,
            f"You planned to: _{markup.literal(c.text)}_ (by {when}). How is it going?", ANSWERS,
        ))  # fmt: skip
    return items


def answers(subject: str) -> tuple[tuple[str, str], ...]:
    return ANSWERS


def apply(ctx: Context, subject: str, code: str) -> str:
    c = ctx.session.get(Commitment, subject_id(subject))
    if c is None or c.member_id != ctx.member.id or code not in STATUSES:
        raise UserError("That commitment is gone. `/beacon commitments` lists your open ones.")
    c.status, c.updated_at = STATUSES[code], ctx.now
    ctx.session.add(c)
    return NOTES[code]


def sent(session: Session, subject: str, now: datetime) -> None:
    """Record on the commitment when its member was last asked about it."""
    c = session.get(Commitment, subject_id(subject))
    if c is not None:
        c.last_nudged_at = now
        session.add(c)


SOURCE = FollowUpSource(
    rule=RULE,
    description="a commitment due before the next meeting: done, still going or drop it (a few days before the meeting)",
    load=load, due=due, answers=answers, apply=apply, sent=sent, order=10,
)  # fmt: skip
