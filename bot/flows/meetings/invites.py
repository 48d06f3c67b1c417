"""Meetings in people's own calendars: calendar files, updates when a meeting moves, a feed.

A member asks once (``/beacon calendar``) and gets the upcoming meetings as
a calendar file (iCalendar, RFC 5545, written by the ``icalendar`` library)
in their own time zone; from then on, when a facilitator adds, moves or
cancels a meeting, they get a file that updates their calendar (the same
UID, a higher SEQUENCE, ``METHOD:CANCEL`` for a cancellation). A facilitator
can instead give the whole network a feed URL (``/beacon calendar feed``),
served by Beacon's HTTP server under an unguessable token that can be
revoked; calendar apps that subscribe to it stay in step by themselves.

Meetings have a start and no end: each lasts :data:`LENGTH` in the file.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from bot.core import markup
from bot.core.context import Context
from bot.core.dates.zone import zone
from bot.core.errors import UsageError
from bot.core.members import is_forgotten
from bot.core.messages import Address, Attachment, Outgoing
from bot.core.router import WebPage
from bot.store.meetings import Meeting, MeetingStatus
from bot.store.models import Member, Network

__all__ = [
    "FEED_PATH", "HOLDERS_KEY", "TOKEN_KEY", "calendar_command", "calendar_file", "changed", "feed_command", "feed_page",
    "tell_holders", "undo_feed",
]  # fmt: skip

LENGTH = timedelta(hours=1)
AHEAD = timedelta(days=366)  # what a file or the feed holds: the coming year
BEHIND = timedelta(days=30)  # and the past month, so a cancellation still reaches a calendar that has the meeting
HOLDERS_KEY = "calendar_holders"  # network setting: members who took the calendar file and get its updates
TOKEN_KEY = "calendar_feed_token"
FEED_PATH = "/calendar/{token}.ics"
FILE_NAME = "beacon-meetings.ics"
MEDIA_TYPE = "text/calendar"


def uid_of(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}-network-{meeting.network_id}@beacon"


def changed(meeting: Meeting) -> None:
    """Count a change (moved, cancelled, restored): calendars take an update only with a higher SEQUENCE."""
    meeting.sequence = (meeting.sequence or 0) + 1


def calendar_file(meetings: list[Meeting], tz: ZoneInfo, *, name: str, method: str = "PUBLISH") -> bytes:
    """The meetings as one calendar, their times in ``tz`` (with its VTIMEZONE)."""
    cal = Calendar()
    cal.add("prodid", "-//Beacon//Learning network meetings//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add("x-wr-calname", name)
    for m in meetings:
        event = Event()
        event.add("uid", uid_of(m))
        event.add("dtstamp", m.updated_at)
        event.add("sequence", m.sequence or 0)
        event.add("dtstart", m.starts_at.astimezone(tz))
        event.add("duration", LENGTH)
        event.add("summary", m.title)
        if m.link:
            event.add("url", m.link)
            event.add("location", m.link)
        cancelled = m.status == MeetingStatus.CANCELLED.value
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _meetings(session: Session, network_id: int, now: datetime) -> list[Meeting]:
    return list(
        session.exec(
            select(Meeting)
            .where(Meeting.network_id == network_id, col(Meeting.starts_at) >= now - BEHIND, col(Meeting.starts_at) <= now + AHEAD)
            .order_by(col(Meeting.starts_at))
        ).all()
    )


# -- a member's calendar -----------------------------------------------------------------------


def calendar_command(ctx: Context) -> None:
    if ctx.args:
        raise UsageError("`/beacon calendar` takes no arguments (facilitators: `/beacon calendar feed`).")
    tz = ctx.tz_of()
    rows = _meetings(ctx.session, ctx.network.id, ctx.now)
    body = calendar_file(rows, tz, name=ctx.network.name)
    holders = list((ctx.network.settings or {}).get(HOLDERS_KEY) or [])
    if ctx.member.id not in holders:
        ctx.network.settings = {**(ctx.network.settings or {}), HOLDERS_KEY: [*holders, ctx.member.id]}
        ctx.session.add(ctx.network)
    planned = sum(1 for m in rows if m.status != MeetingStatus.CANCELLED.value and m.starts_at > ctx.now)
    what = f"{planned} upcoming meeting{'s' if planned != 1 else ''}" if planned else "no meeting yet"
    text = (
        f"Here is {markup.literal(ctx.network.name)}'s calendar ({what}), times in {tz.key}: open {FILE_NAME} to add it to your calendar. "
        "When a meeting is added, moved or cancelled I'll send you a file that updates it."
    )
    ctx.send(Outgoing(text=text, to=Address.member(ctx.member.id), attachment=Attachment.file(body, FILE_NAME, MEDIA_TYPE)))
    if ctx.incoming is not None and not ctx.incoming.is_private:
        ctx.reply("I've sent the calendar to you in a private message.")


def tell_holders(ctx: Context, meeting: Meeting, change: str) -> int:
    """Send each member holding the calendar file a file that updates it; returns how many."""
    holders = set((ctx.network.settings or {}).get(HOLDERS_KEY) or [])
    if not holders:
        return 0
    cancelled = meeting.status == MeetingStatus.CANCELLED.value
    members = ctx.session.exec(select(Member).where(Member.network_id == ctx.network.id, col(Member.id).in_(holders))).all()
    sent = 0
    for member in members:
        if member.unreachable or is_forgotten(member):
            continue
        tz = ctx.tz_of(member)
        body = calendar_file([meeting], tz, name=ctx.network.name, method="CANCEL" if cancelled else "REQUEST")
        when = meeting.starts_at.astimezone(tz).strftime("%a %d %b %Y, %H:%M")
        text = f"Meeting {change}: *{markup.literal(meeting.title)}*, {when} ({tz.key}). The attached file updates your calendar."
        key = f"calendar:{meeting.id}:{meeting.sequence}:{member.id}"
        ctx.send(Outgoing(text=text, to=Address.member(member.id), attachment=Attachment.file(body, FILE_NAME, MEDIA_TYPE)), key=key)
        sent += 1
    return sent


# -- the network's feed --------------------------------------------------------------------------


def feed_url(ctx: Context, token: str) -> str:
    path = FEED_PATH.format(token=token)
    return f"{ctx.router.public_url}{path}" if ctx.router.public_url else path


def feed_command(ctx: Context) -> None:
    arg = (ctx.args[0].lower() if ctx.args else "show") if len(ctx.args) <= 1 else None
    if arg not in ("show", "on", "off", "new"):
        raise UsageError("Use `/beacon calendar feed on`, `off` (revokes the link) or `new` (a new link; the old one stops working).")
    settings = dict(ctx.network.settings or {})
    current = settings.get(TOKEN_KEY)
    if arg == "show":
        if not current:
            ctx.reply("The network has no calendar feed. `/beacon calendar feed on` makes one.")
        else:
            ctx.reply(f"The network's calendar feed: {feed_url(ctx, current)}{_reachability(ctx)}")
        return
    if arg == "off":
        if not current:
            ctx.reply("The network has no calendar feed to turn off.")
            return
        settings.pop(TOKEN_KEY)
        reply = "The calendar feed is off: its link no longer works. (`/beacon undo` brings the same link back.)"
    elif arg == "on" and current:
        ctx.reply(f"The calendar feed is already on: {feed_url(ctx, current)}. `/beacon calendar feed new` replaces its link.")
        return
    else:
        settings[TOKEN_KEY] = secrets.token_urlsafe(24)
        reply = (
            f"Calendar feed {'replaced; the old link no longer works' if current else 'on'}: {feed_url(ctx, settings[TOKEN_KEY])}\n"
            "Share it with the members: they subscribe once in their calendar app and meetings stay up to date. "
            "Anyone with the link can read the meetings' titles, times and links; `/beacon calendar feed new` changes it."
            f"{_reachability(ctx)}"
        )
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    ctx.audit("calendar.feed", "network", before={TOKEN_KEY: current}, after={TOKEN_KEY: settings.get(TOKEN_KEY)})
    ctx.reply(reply)


def _reachability(ctx: Context) -> str:
    if ctx.router.public_url:
        return ""
    return "\n_Beacon's address is not set (`BEACON_PUBLIC_URL`), so this is only the path: calendar apps need the full address._"


def undo_feed(ctx: Context, entry) -> str:
    settings = dict(ctx.network.settings or {})
    token = (entry.before or {}).get(TOKEN_KEY)
    if token:
        settings[TOKEN_KEY] = token
    else:
        settings.pop(TOKEN_KEY, None)
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    return "put the calendar feed back as it was" if token else "turned the calendar feed off"


def feed_page(session: Session, now: datetime, token: str) -> WebPage | None:
    """``GET /calendar/<token>.ics``: the network's meetings in its own zone, or None for a wrong token."""
    if not token or len(token) > 100:
        return None
    for network in session.exec(select(Network)).all():
        known = (network.settings or {}).get(TOKEN_KEY)
        if known and hmac.compare_digest(known.encode(), token.encode()):
            body = calendar_file(_meetings(session, network.id, now), zone(None, network.timezone), name=network.name)
            return WebPage(body=body, media_type=MEDIA_TYPE)
    return None
