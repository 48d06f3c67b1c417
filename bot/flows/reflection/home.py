"""The member's next reflection prompt, for their Home: which, and when on their own clock.

"When" is when it will really reach them: the schedule's next run in their
zone, after their pause, moved out of their quiet hours and weekends
(:func:`bot.core.availability.next_allowed`), as the scheduler will send it.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.core import markup
from bot.core.availability import START, Person, next_allowed
from bot.core.context import Context
from bot.core.home import item
from bot.core.messages import Choice, HomeSection
from bot.flows.reflection.prompts import KIND, flow_settings, in_audience
from bot.scheduling.parse import parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.models import Flow

__all__ = ["next_prompt"]

TITLE = "Your next reflection"


def next_prompt(ctx: Context) -> HomeSection | None:
    m = ctx.member
    flows = ctx.session.exec(select(Flow).where(Flow.network_id == ctx.network.id, Flow.kind == KIND, Flow.enabled == True).order_by(col(Flow.id)))  # noqa: E712
    mine = [f for f in flows if f.schedule and in_audience(m, flow_settings(f)["audience"])]
    if not mine:
        return None
    if m.has_opted_out(KIND):
        return HomeSection(
            name="reflection.next", title=TITLE, text="Reflection prompts are off for you.", choices=(Choice("Turn them on", START, KIND),)
        )
    tz = ctx.tz_of(m)
    after = max(ctx.now, m.paused_until) if m.is_paused(ctx.now) else ctx.now
    person = Person.of(m, ctx.network)
    items = []
    for flow in mine:
        try:
            nxt = parse_schedule(flow.schedule).next_after(after, tz)
        except ScheduleError:
            continue
        if nxt is None:
            continue
        local = next_allowed(person, nxt).astimezone(tz)
        items.append(item(f"*{markup.literal(flow.name)}*: {local:%A} {local.day} {local:%B} at {local:%H:%M} (your time, {tz})"))
    paused = "You are paused, so this is the first one after your pause." if after > ctx.now else ""
    return HomeSection(name="reflection.next", title=TITLE, text=paused, items=tuple(items), empty="None planned.")
