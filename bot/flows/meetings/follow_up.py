"""Meetings as a follow-up source: "bring one thing you tried", a few days before each meeting.

It goes with the member's open commitments (what they said they would try),
at the same lead time as the other items the next meeting times, so they all
arrive as one message. It asks nothing back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, literal
from sqlmodel import Session, col, select

from bot.core import markup
from bot.core.availability import Person
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.followups import LEAD, FollowUp, FollowUpSource, MeetingInfo, World, local_when
from bot.flows.commitments.commitment import OPEN_STATUSES
from bot.store.commitments import Commitment
from bot.store.db import IN_LIST
from bot.store.models import Member
from bot.store.nudges import raised

__all__ = ["SOURCE", "Reminders", "due", "in_reach", "load", "members"]

RULE = "before_meeting"
LISTED = 5  # open commitments named in the message


@dataclass(frozen=True)
class Reminders:
    """What the source loaded: open commitments by member, and who still waits for the next meeting's reminder."""

    commitments: dict[int, list[str]] = field(default_factory=dict)
    waiting: frozenset[int] | None = frozenset()  # None: everyone (a preview)


def load(session: Session, world: World) -> Reminders:
    """Once the next meeting's reminder is due: the members it has not reached yet, and
    their open commitments (the texts, soonest due first).

    Everyone gets the reminder once, over the three days of its lead time, so each hour
    names only those still waiting (in their quiet hours, or at their weekly cap), not
    the whole network again. A preview looks ahead across meetings: everyone.
    """
    if not in_reach(world):
        return Reminders()
    waiting = None
    if not world.horizon:
        subject = _subject(world.next_meeting(world.now))
        waiting = frozenset(session.exec(
            select(Member.id).where(Member.network_id == world.network.id,
                                    ~raised(world.network.id, Member.id, literal(subject, String), world.now))
        ).all())  # fmt: skip
        if not waiting:
            return Reminders()
    still_open = select(Commitment.member_id, Commitment.text).where(Commitment.network_id == world.network.id,
                                                                     col(Commitment.status).in_(OPEN_STATUSES))  # fmt: skip
    if waiting is not None and len(waiting) <= IN_LIST:  # only theirs are named: open ones pile up with the weeks
        still_open = still_open.where(col(Commitment.member_id).in_(waiting))
    mine: dict[int, list[str]] = {}
    for member_id, text in session.exec(still_open.order_by(col(Commitment.due_date), col(Commitment.id))):
        if waiting is None or member_id in waiting:
            mine.setdefault(member_id, []).append(text)
    return Reminders(mine, waiting)


def in_reach(world: World) -> bool:
    """Whether the reminder of the next meeting falls due by now (a preview looks ahead: always)."""
    meeting = world.next_meeting(world.now)
    return bool(world.horizon) or (meeting is not None and meeting.starts_at - LEAD <= world.now)


def members(loaded: Reminders, world: World) -> frozenset[int] | None:
    """Those the next meeting's reminder has not reached, while it is due (everyone, for a preview)."""
    return loaded.waiting


def due(loaded: Reminders, person: Person, world: World, now: datetime) -> list[FollowUp]:
    meeting = world.next_meeting(now)
    if meeting is None or (loaded.waiting is not None and person.id not in loaded.waiting):
        return []
    mine = loaded.commitments.get(person.id, [])
    text = (f"*{markup.literal(meeting.title)}* is on {local_when(meeting.starts_at, person.tz)} (your time)."
            " Bring one thing you tried since last time, however small.")  # fmt: skip
    if meeting.link:
        text += f" Link: {markup.literal(meeting.link)}"
    if mine:
        text += " Your open commitments: " + "; ".join(f"_{markup.literal(t)}_" for t in mine[:LISTED])
    return [FollowUp(RULE, _subject(meeting), person.id, meeting.starts_at - LEAD, meeting.starts_at, text)]


def _subject(meeting: MeetingInfo) -> str:
    """The reminder's subject in the nudge log: one per meeting and start time (a moved meeting is reminded again)."""
    return f"meeting:{meeting.id}:{meeting.starts_at.strftime('%Y%m%dT%H%M')}:before"


def answers(subject: str) -> tuple[tuple[str, str], ...]:
    return ()


def apply(ctx: Context, subject: str, code: str) -> str:
    raise UserError("That button no longer does anything.")  # the reminder has no answers


SOURCE = FollowUpSource(
    rule=RULE,
    description="\"bring one thing you tried\", a few days before each meeting, with the member's open commitments",
    load=load, due=due, answers=answers, apply=apply, members=members, order=40,
)  # fmt: skip
