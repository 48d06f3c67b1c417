"""The next meeting on a member's Home: when it is on their clock, and its link."""

from __future__ import annotations

from bot.core import markup
from bot.core.context import Context
from bot.core.home import item
from bot.core.messages import HomeSection
from bot.flows.meetings.calendar import upcoming, when_text

__all__ = ["next_meeting"]


def next_meeting(ctx: Context) -> HomeSection | None:
    """Read only (the Home is built often): the meetings already on the calendar."""
    rows = upcoming(ctx.session, ctx.network.id, ctx.now)
    if not rows:
        return None
    m, tz = rows[0], str(ctx.tz_of())
    link = f" {markup.literal(m.link)}" if m.link else ""
    return HomeSection(
        name="meetings.next",
        title="Next meeting",
        items=(item(f"*{markup.literal(m.title)}*, {when_text(m.starts_at, tz)} (your time, {tz}).{link}"),),
        text="`/beacon calendar` puts the meetings in your calendar.",
    )
