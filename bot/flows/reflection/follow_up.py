"""The after-meeting nudge, retired: "how did it go?" a few hours after a meeting.

It offered the after-meeting reflection ("Reflect now"); that reflection now
goes itself after each meeting (:mod:`bot.flows.reflection.after`), so the
nudge would only repeat it, a third message around one meeting. The source
stays registered, never due, so its rule name (persisted in the nudge log
and members' opt-outs) and the buttons already in members' chats still work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core import markup
from bot.core.availability import Person
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.followups import FollowUp, FollowUpSource, World
from bot.flows.reflection.prompts import KIND, send_prompt
from bot.store.flows import FLOW_OF_KIND
from bot.store.models import Flow

__all__ = ["SOURCE", "due", "load", "members"]

RULE = "after_meeting"
QUESTION_SET = "after_meeting"
DELAY = timedelta(hours=3)
WINDOW = timedelta(days=3)
ANSWERS = (("Reflect now", "reflect"),)


def _after_meeting_flows(session: Session, network_id: int) -> list[Flow]:
    flows = session.exec(FLOW_OF_KIND, params={"network_id": network_id, "kind": KIND}).all()
    return [f for f in flows if (f.settings or {}).get("question_set") == QUESTION_SET]


def load(session: Session, world: World) -> bool:
    """Never on: the reflection goes after each meeting by itself."""
    return False


def _after(world: World, now: datetime) -> list:
    return [m for m in world.meetings if m.starts_at + DELAY <= now < m.starts_at + WINDOW]


def members(on: bool, world: World) -> tuple[int, ...] | None:
    """Everyone in the hours after a meeting (while the reflection runs); no one otherwise."""
    return None if on and (world.horizon or _after(world, world.now)) else ()


def due(on: bool, person: Person, world: World, now: datetime) -> list[FollowUp]:
    if not on:
        return []
    done = _after(world, now)
    return [
        FollowUp(
            RULE,
            f"meeting:{m.id}:after",
            person.id,
            m.starts_at + DELAY,
            m.starts_at + WINDOW,
            f"How did *{markup.literal(m.title)}* go? A short after-meeting reflection is ready when you are.",
            ANSWERS,
        )  # fmt: skip
        for m in done[-1:]
    ]


def answers(subject: str) -> tuple[tuple[str, str], ...]:
    return ANSWERS


def apply(ctx: Context, subject: str, code: str) -> str:
    flow = next(iter(_after_meeting_flows(ctx.session, ctx.network.id)), None)
    if flow is None:
        raise UserError("The after-meeting reflection has been taken down. `/beacon reflect` starts another.")
    meeting_id = subject.split(":")[1]
    if send_prompt(ctx, flow, ctx.member, f"meeting:{meeting_id}") is None:
        return "Your after-meeting reflection for it is already in this chat."
    return "Reflection started below."


SOURCE = FollowUpSource(
    rule=RULE,
    description="retired: the after-meeting reflection now goes by itself after each meeting",
    load=load, due=due, answers=answers, apply=apply, members=members, opt_out="reflection", order=50, looks_back=WINDOW,
)  # fmt: skip
