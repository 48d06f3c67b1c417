"""Reflections that go after each meeting or visit, not on a schedule.

A reflection with the ``after_meeting`` question set goes to its audience a
few hours after each meeting ends; one with ``after_visit`` goes to a visit
trio's members when they say the visit happened. Before, both ran on the
default "every Friday" schedule, meeting or not, on top of the weekly prompt
and the nudge offering them: a burst around a meeting and noise without one.

The hourly run (the reminders' flow) asks a due-based question, cheap when
nothing is due: which meetings ended long enough ago, and not too long, and
has each after-meeting reflection gone out for them yet? Each meeting's
prompt is the occurrence ``meeting:<id>``, so each member gets it once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.core.context import Context
from bot.flows.reflection.prompts import fan_out, reflection_flows, run_reminders, send_prompt, trigger
from bot.store.meetings import Meeting, MeetingStatus
from bot.store.reflection import Prompt

__all__ = ["DELAY", "WINDOW", "hourly", "run_after_meetings", "visit_done"]

LENGTH = timedelta(hours=1)  # meetings last an hour (as in the calendar files)
DELAY = timedelta(hours=2)  # after the end: time to get home, not so long that it has faded
WINDOW = timedelta(days=3)  # a meeting that ended longer ago than this is not reflected on any more


def hourly(ctx: Context) -> None:
    """The reflection flows' hourly run: reminders, then what meetings that ended call for."""
    run_reminders(ctx)
    run_after_meetings(ctx)


def run_after_meetings(ctx: Context) -> None:
    """Send each after-meeting reflection for each meeting that ended ``DELAY`` ago, once."""
    flows = [f for f in reflection_flows(ctx) if f.enabled and trigger(f) == "meeting"]
    if not flows:
        return
    ended = ctx.session.exec(
        select(Meeting).where(
            Meeting.network_id == ctx.network.id,
            Meeting.status == MeetingStatus.SCHEDULED.value,
            col(Meeting.starts_at) <= ctx.now - LENGTH - DELAY,
            col(Meeting.starts_at) > ctx.now - LENGTH - WINDOW,
        )
    ).all()
    for meeting in ended:
        for flow in flows:
            occurrence = f"meeting:{meeting.id}"
            started = ctx.session.exec(select(Prompt.id).where(Prompt.flow_id == flow.id, Prompt.occurrence == occurrence).limit(1)).first()
            if started is None:
                fan_out(ctx, flow, occurrence)


def visit_done(ctx: Context, *, group_id: int, **_: object) -> None:
    """A visit trio's member said the visit happened: their after-visit reflection, now.

    They have just answered, so it is not unprompted: it comes at once.
    """
    for flow in reflection_flows(ctx):
        if flow.enabled and trigger(flow) == "visit" and ctx.member is not None:
            send_prompt(ctx, flow, ctx.member, f"visit:{group_id}")
