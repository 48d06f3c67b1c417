"""The network's meeting calendar (:mod:`.calendar`), and "bring one thing you tried"
before each meeting (:mod:`.follow_up`, a follow-up source the nudges send)."""

from __future__ import annotations

from bot.core.followups import PLANNING
from bot.core.router import Router
from bot.flows.meetings import follow_up, invites
from bot.flows.meetings.calendar import (
    add_command,
    cancel_command,
    every_command,
    keep_rhythm,
    list_command,
    move_command,
    next_command,
    undo_meeting,
    undo_rhythm,
)
from bot.flows.meetings.home import next_meeting
from bot.store.models import Role

__all__ = ["register"]


def register(router: Router) -> None:
    F = Role.FACILITATOR
    router.group("meeting", "The network's meeting calendar")
    router.command(
        "meeting add",
        add_command,
        role=F,
        usage='<YYYY-MM-DD> <HH:MM> ["title"] [link]',
        help="Add a meeting (date and time in the network's time zone)",
        example='/beacon meeting add 2026-12-03 14:00 "Winter session" https://meet.example/winter',
    )
    router.command("meeting list", list_command, help="Upcoming meetings with their numbers", example="/beacon meeting list")
    router.command(
        "meeting move",
        move_command,
        role=F,
        usage="<number> <YYYY-MM-DD> <HH:MM>",
        help="Move a meeting to a new date and time",
        example="/beacon meeting move 3 2026-12-10 14:00",
    )
    router.command("meeting cancel", cancel_command, role=F, usage="<number>", help="Cancel a meeting", example="/beacon meeting cancel 3")
    router.command(
        "meeting every",
        every_command,
        role=F,
        usage='"<rhythm>" ["title"] | off',
        help="Meet on a rhythm; the next two meetings stay on the calendar",
        example='/beacon meeting every "every 6 weeks on thursday 14:00" "Network session"',
    )
    router.command(
        "calendar",
        invites.calendar_command,
        help="The meetings as a file for your calendar, kept up to date when they change",
        example="/beacon calendar",
    )
    router.command(
        "calendar feed",
        invites.feed_command,
        role=F,
        usage="[on | off | new]",
        help="A calendar feed URL for the whole network (revocable)",
        example="/beacon calendar feed on",
    )
    router.undo("calendar.feed", invites.undo_feed)
    router.page(invites.FEED_PATH, invites.feed_page)
    router.command("next", next_command, help="The next meeting on your clock, with your open commitments", example="/beacon next")
    router.undo("meeting.add", undo_meeting)
    router.undo("meeting.move", undo_meeting)
    router.undo("meeting.cancel", undo_meeting)
    router.undo("meeting.every", undo_rhythm)
    router.on(PLANNING, keep_rhythm)
    router.follow_up(follow_up.SOURCE)
    router.home_section("meetings.next", next_meeting, order=15)
