"""Meetings as a follow-up source: "bring one thing you tried", a few days before each meeting.

It goes with the member's open commitments (what they said they would try),
at the same lead time as the other items the next meeting times, so they all
arrive as one message. It asks nothing back.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.core import markup
from bot.core.availability import Person
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.followups import LEAD, FollowUp, FollowUpSource, World, local_when
from bot.flows.commitments.commitment import OPEN_STATUSES
from bot.store.commitments import Commitment

__all__ = ["SOURCE", "due", "in_reach", "load", "members"]

RULE = "before_meeting"
LISTED = 5  # open commitments named in the message


def load(session: Session, world: World) -> dict[int, list[str]]:
    """Each member's open commitments (their texts, soonest due first), once the next meeting's reminder is due."""
    if not in_reach(world):
        return {}
    rows = session.exec(
        select(Commitment.member_id, Commitment.text)
        .where(Commitment.network_id == world.network.id, col(Commitment.status).in_(OPEN_STATUSES))
        .order_by(col(Commitment.due_date), col(Commitment.id))
    ).all()  # fmt: skip
    mine: dict[int, list[str]] = {}
    for member_id, text in rows:
        mine.setdefault(member_id, []).append(text)
    return mine


def in_reach(world: World) -> bool:
    """Whether the reminder of the next meeting falls due by now (a preview looks ahead: always)."""
    meeting = world.next_meeting(world.now)
    return bool(world.horizon) or (meeting is not None and meeting.starts_at - LEAD <= world.now)


def members(commitments: dict[int, list[str]], world: World) -> tuple[int, ...] | None:
    """Everyone, while a meeting's reminder is due; no one otherwise."""
    return None if in_reach(world) else ()


def due(commitments: dict[int, list[str]], person: Person, world: World, now: datetime) -> list[FollowUp]:
    meeting = world.next_meeting(now)
    if meeting is None:
        return []
    mine = commitments.get(person.id, [])
    text = (f"*{markup.literal(meeting.title)}* is on {local_when(meeting.starts_at, person.tz)} (your time)."
            " Bring one thing you tried since last time, however small.")  # fmt: skip
    if meeting.link:
        text += f" Link: {markup.literal(meeting.link)}"
    if mine:
        text += " Your open commitments: " + "; ".join(f"_{markup.literal(t)}_" for t in mine[:LISTED])
    stamp = meeting.starts_at.strftime("%Y%m%dT%H%M")
    return [FollowUp(RULE, f"meeting:{meeting.id}:{stamp}:before", person.id, meeting.starts_at - LEAD, meeting.starts_at, text)]


def answers(subject: str) -> tuple[tuple[str, str], ...]:
    return ()


def apply(ctx: Context, subject: str, code: str) -> str:
    raise UserError("That button no longer does anything.")  # the reminder has no answers


SOURCE = FollowUpSource(
    rule=RULE,
    description="\"bring one thing you tried\", a few days before each meeting, with the member's open commitments",
    load=load, due=due, answers=answers, apply=apply, members=members, order=40,
)  # fmt: skip
