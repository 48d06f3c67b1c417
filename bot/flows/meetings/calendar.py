"""The network's meeting calendar: dated sessions, a rhythm, and ``/beacon next``.

Facilitators add, move and cancel meetings (typed in the network's time
zone) or set a rhythm ("every 6 weeks on thursday 14:00") that keeps the
next two on the calendar. Members see the next meeting on their own clock
with their open commitments. Nudges read the calendar: before a meeting,
after it, and commitments due before it.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core import markup
from bot.core.context import Context
from bot.core.dates.friendly import parse_due
from bot.core.dates.zone import resolve_local, zone
from bot.core.errors import UsageError, UserError
from bot.core.followups import FOLLOW_UP_CREATED
from bot.core.numbers import parse_id
from bot.flows.commitments.commitment import OPEN_STATUSES, describe_due
from bot.flows.meetings.invites import changed, tell_holders
from bot.scheduling.parse import parse_facilitator_schedule, parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.commitments import Commitment
from bot.store.meetings import Meeting, MeetingStatus
from bot.store.models import Network

__all__ = [
    "add_command", "cancel_command", "ensure_upcoming", "every_command", "keep_rhythm", "list_command", "move_command",
    "next_command", "parse_meeting_time", "undo_meeting", "undo_rhythm", "upcoming", "when_text",
]  # fmt: skip

logger = logging.getLogger(__name__)

RHYTHM_KEY = "meeting_rhythm"
AHEAD = 2  # meetings a rhythm keeps on the calendar
DEFAULT_TITLE = "Network meeting"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_HHMM = re.compile(r"(\d{1,2})[:.h](\d{2})")
_AMPM = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip


# -- pure parsing -----------------------------------------------------------------------


def _parse_date(text: str, *, now: datetime, tz: str) -> date:
    m = _ISO.fullmatch(text.strip())
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        if not 1 <= month <= 12:
            raise UsageError(f"{text} is not a date: months go from 01 to 12.")
        try:
            return date(year, month, day)
        except ValueError:
            days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
            raise UsageError(f"{text} is not a date: {_MONTHS[month - 1]} {year} has {days} days.") from None
    found = parse_due("by " + text, now=now, tz=tz)
    if found is None:
        raise UsageError(f'I can\'t read "{markup.literal(text)}" as a date. Write it as YYYY-MM-DD, e.g. 2026-12-03.')
    return found


def _parse_time(text: str) -> time:
    s = text.strip().lower()
    if m := _HHMM.fullmatch(s):
        hour, minute = int(m[1]), int(m[2])
    elif m := _AMPM.fullmatch(s):
        hour, minute = int(m[1]), int(m[2] or 0)
        if not 1 <= hour <= 12:
            raise UsageError(f"{text} is not a time: with am/pm the hour goes from 1 to 12, e.g. 2pm.")
        hour = hour % 12 + (12 if m[3] == "pm" else 0)
    else:
        raise UsageError(f'I can\'t read "{markup.literal(text)}" as a time. Use 24-hour HH:MM, e.g. 14:00.')
    if hour > 23:
        raise UsageError(f"{text} is not a time: hours go from 00 to 23, e.g. 14:00.")
    if minute > 59:
        raise UsageError(f"{text} is not a time: minutes go from 00 to 59, e.g. 14:30.")
    return time(hour, minute)


def parse_meeting_time(date_text: str, time_text: str, *, now: datetime, tz: str) -> datetime:
    """The UTC instant of a meeting typed as a local date and time; it must be in the future.

    Raises:
        UsageError: one line saying what is wrong ("2026-02-30", "25:00", a past time).
    """
    day, at = _parse_date(date_text, now=now, tz=tz), _parse_time(time_text)
    starts = resolve_local(datetime.combine(day, at), tz)
    if starts <= now:
        raise UsageError(f"{date_text} {time_text} has already passed. Pick a time in the future.")
    return starts


def when_text(at: datetime, tz: str) -> str:
    local = at.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y} at {local:%H:%M}"


# -- the calendar ---------------------------------------------------------------------------


def upcoming(session: Session, network_id: int, now: datetime, *, include_cancelled: bool = False) -> list[Meeting]:
    stmt = select(Meeting).where(Meeting.network_id == network_id, col(Meeting.starts_at) > now)
    if not include_cancelled:
        stmt = stmt.where(Meeting.status == MeetingStatus.SCHEDULED.value)
    return list(session.exec(stmt.order_by(col(Meeting.starts_at), col(Meeting.id))))


def rhythm_of(network: Network) -> dict | None:
    value = (network.settings or {}).get(RHYTHM_KEY)
    return value if isinstance(value, dict) and value.get("rule") else None


def ensure_upcoming(session: Session, network: Network, now: datetime) -> int:
    """Put the rhythm's next meetings on the calendar (never one cancelled or moved before)."""
    rhythm = rhythm_of(network)
    if rhythm is None:
        return 0
    try:
        schedule = parse_schedule(rhythm["rule"])
    except ScheduleError:
        logger.warning("network %s has a bad meeting rhythm %r", network.id, rhythm["rule"])
        return 0
    added, t = 0, now
    for _ in range(AHEAD):
        t = schedule.next_after(t, network.timezone)
        if t is None:
            break
        slot = f"r:{t:%Y%m%dT%H%MZ}"
        if session.exec(select(Meeting.id).where(Meeting.network_id == network.id, Meeting.slot == slot)).first():
            continue
        try:
            with session.begin_nested():
                session.add(Meeting(network_id=network.id, starts_at=t, title=rhythm.get("title") or DEFAULT_TITLE,
                                    link=rhythm.get("link"), recurring=rhythm["rule"], slot=slot,
                                    created_at=now, updated_at=now))  # fmt: skip
                session.flush()
            added += 1
        except IntegrityError:
            continue  # another process added it
    return added


def _drop_generated(session: Session, network_id: int, rule: str, now: datetime) -> None:
    for m in session.exec(select(Meeting).where(Meeting.network_id == network_id, Meeting.recurring == rule, col(Meeting.starts_at) > now)):
        session.delete(m)
    session.flush()


def _meeting(ctx: Context, text: str) -> Meeting:
    number = text.lstrip("#")
    meeting_id = parse_id(number)
    m = ctx.session.get(Meeting, meeting_id) if meeting_id else None
    if m is None or m.network_id != ctx.network.id:
        raise UserError(f"There's no meeting {markup.literal(text)}. `/beacon meeting list` shows their numbers.")
    return m


def _snap(m: Meeting) -> dict:
    return {"starts_at": m.starts_at.isoformat(), "status": m.status, "title": m.title, "link": m.link}


def _line(m: Meeting, tz: str) -> str:
    extra = " _(cancelled)_" if m.status == MeetingStatus.CANCELLED.value else ""
    rhythm = " _(from the rhythm)_" if m.recurring else ""
    link = f" {markup.literal(m.link)}" if m.link else ""
    return f"#{m.id} *{markup.literal(m.title)}*: {when_text(m.starts_at, tz)}{link}{rhythm}{extra}"


def keep_rhythm(ctx: Context, **_: object) -> None:
    """Before the follow-ups are planned: the rhythm's next meetings are on the calendar."""
    ensure_upcoming(ctx.session, ctx.network, ctx.now)


# -- commands ----------------------------------------------------------------------------------


def add_command(ctx: Context) -> None:
    if len(ctx.args) < 2:
        raise UsageError("Give the date and the time of the meeting.")
    starts = parse_meeting_time(ctx.args[0], ctx.args[1], now=ctx.now, tz=ctx.network.timezone)
    title = (ctx.args[2] if len(ctx.args) > 2 else DEFAULT_TITLE).strip()[:200] or DEFAULT_TITLE
    link = ctx.args[3].strip() if len(ctx.args) > 3 else None
    if link and not re.match(r"https?://\S+$", link):
        raise UsageError(f'The link should start with https://, not "{markup.literal(link[:60])}".')
    if len(ctx.args) > 4:
        raise UsageError('Put the title in quotes, e.g. "Winter session".')
    m = Meeting(network_id=ctx.network.id, starts_at=starts, title=title, link=link, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(m)
    ctx.session.flush()
    ctx.emit(FOLLOW_UP_CREATED)  # the nudges time their follow-ups by the meetings
    ctx.audit("meeting.add", f"meeting:{m.id}", before=None, after=_snap(m))
    tell_holders(ctx, m, "added")
    ctx.reply(f"Added meeting {_line(m, ctx.network.timezone)} ({ctx.network.timezone}). "
              f"Members see it with `/beacon next`; `/beacon undo` takes it back.")  # fmt: skip


def list_command(ctx: Context) -> None:
    ensure_upcoming(ctx.session, ctx.network, ctx.now)
    rows = upcoming(ctx.session, ctx.network.id, ctx.now, include_cancelled=True)
    tz = str(ctx.tz_of())
    rhythm = rhythm_of(ctx.network)
    lines = [f"*Meetings* (times in {tz})"] + [_line(m, tz) for m in rows[:20]]
    if not rows:
        lines.append('None planned. A facilitator adds one with `/beacon meeting add 2026-12-03 14:00 "Winter session"`.')
    if rhythm:
        lines.append(f"Rhythm: {markup.literal(parse_schedule(rhythm['rule']).describe())} ({ctx.network.timezone}).")
    ctx.reply("\n".join(lines))


def move_command(ctx: Context) -> None:
    if len(ctx.args) < 3:
        raise UsageError("Give the meeting's number, the new date and the new time.")
    m = _meeting(ctx, ctx.args[0])
    if m.status == MeetingStatus.CANCELLED.value:
        raise UserError(f"Meeting #{m.id} is cancelled. Add a new one with `/beacon meeting add`.")
    starts = parse_meeting_time(ctx.args[1], ctx.args[2], now=ctx.now, tz=ctx.network.timezone)
    before = _snap(m)
    m.starts_at, m.updated_at = starts, ctx.now
    ctx.session.add(m)
    ctx.audit("meeting.move", f"meeting:{m.id}", before=before, after=_snap(m))
    changed(m)
    tell_holders(ctx, m, "moved")
    ctx.reply(f"Moved: {_line(m, ctx.network.timezone)}.")


def cancel_command(ctx: Context) -> None:
    if not ctx.args:
        raise UsageError("Give the meeting's number (see `/beacon meeting list`).")
    m = _meeting(ctx, ctx.args[0])
    if m.status == MeetingStatus.CANCELLED.value:
        raise UserError(f"Meeting #{m.id} is already cancelled.")
    if m.starts_at <= ctx.now:
        raise UserError(f"Meeting #{m.id} has already started; there's nothing to cancel.")
    before = _snap(m)
    m.status, m.updated_at = MeetingStatus.CANCELLED.value, ctx.now
    ctx.session.add(m)
    ctx.audit("meeting.cancel", f"meeting:{m.id}", before=before, after=_snap(m))
    changed(m)
    tell_holders(ctx, m, "cancelled")
    ctx.reply(f"Cancelled: {_line(m, ctx.network.timezone)}. No nudges will mention it. `/beacon undo` restores it.")


def _set_rhythm(ctx: Context, value: dict | None) -> None:
    settings = dict(ctx.network.settings or {})
    old = rhythm_of(ctx.network)
    if old:
        _drop_generated(ctx.session, ctx.network.id, old["rule"], ctx.now)
    if value:
        settings[RHYTHM_KEY] = value
    else:
        settings.pop(RHYTHM_KEY, None)
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    ctx.session.flush()
    ensure_upcoming(ctx.session, ctx.network, ctx.now)


def every_command(ctx: Context) -> None:
    if not ctx.args:
        raise UsageError('Give the rhythm in quotes, or "off".')
    before = rhythm_of(ctx.network)
    if ctx.args[0].lower() in ("off", "none", "stop"):
        if before is None:
            raise UserError("There's no meeting rhythm to stop.")
        _set_rhythm(ctx, None)
        ctx.audit("meeting.every", "network", before={RHYTHM_KEY: before}, after={RHYTHM_KEY: None})
        ctx.reply("The meeting rhythm is off; meetings already past or added by hand stay as they are.")
        return
    try:
        schedule = parse_facilitator_schedule(ctx.args[0])
    except ScheduleError as exc:
        raise UsageError(str(exc)) from None
    title = ctx.args[1].strip()[:200] if len(ctx.args) > 1 else (before or {}).get("title") or DEFAULT_TITLE
    value = {"rule": schedule.text, "title": title}
    _set_rhythm(ctx, value)
    ctx.emit(FOLLOW_UP_CREATED)  # the nudges time their follow-ups by the meetings
    ctx.audit("meeting.every", "network", before={RHYTHM_KEY: before}, after={RHYTHM_KEY: value})
    tz = ctx.network.timezone
    nxt = [when_text(m.starts_at, tz) for m in upcoming(ctx.session, ctx.network.id, ctx.now) if m.recurring == schedule.text]
    ctx.reply(f"Meetings now run {schedule.describe()} ({tz}). Next: {'; '.join(nxt) or 'none found'}. "
              "Move or cancel any one with `/beacon meeting move` / `cancel`.")  # fmt: skip


def next_command(ctx: Context) -> None:
    ensure_upcoming(ctx.session, ctx.network, ctx.now)
    rows = upcoming(ctx.session, ctx.network.id, ctx.now)
    tz = str(ctx.tz_of())
    if not rows:
        lines = ["No meeting is planned yet."]
    else:
        m = rows[0]
        link = f"\nLink: {markup.literal(m.link)}" if m.link else ""
        lines = [f"*Next meeting: {markup.literal(m.title)}*, {when_text(m.starts_at, tz)} (your time, {tz}).{link}"]
    mine = ctx.session.exec(
        select(Commitment).where(Commitment.member_id == ctx.member.id, col(Commitment.status).in_(OPEN_STATUSES))
        .order_by(col(Commitment.due_date).is_(None), col(Commitment.due_date), col(Commitment.id))
    ).all()  # fmt: skip
    if mine:
        lines.append("Your open commitments:")
        lines += [f"• {markup.literal(c.text)} _(due {describe_due(c.due_date)})_" for c in mine[:10]]
        lines.append("Bring one thing you tried. `/beacon commitments` marks them done.")
    ctx.reply("\n".join(lines))


# -- undo -------------------------------------------------------------------------------------


def undo_meeting(ctx: Context, entry) -> str:
    m = ctx.session.get(Meeting, int(entry.target.split(":", 1)[1]))
    if m is None or m.network_id != ctx.network.id:
        raise UserError("That meeting no longer exists.")
    if entry.action == "meeting.add":
        m.status = MeetingStatus.CANCELLED.value
        result = f"took meeting #{m.id} off the calendar"
    else:
        m.starts_at = datetime.fromisoformat(entry.before["starts_at"])
        m.status = entry.before["status"]
        result = f"put meeting #{m.id} back to {when_text(m.starts_at, ctx.network.timezone)}"
    m.updated_at = ctx.now
    ctx.session.add(m)
    changed(m)
    tell_holders(ctx, m, "cancelled" if m.status == MeetingStatus.CANCELLED.value else "moved back")
    return result


def undo_rhythm(ctx: Context, entry) -> str:
    _set_rhythm(ctx, (entry.before or {}).get(RHYTHM_KEY))
    return "put the meeting rhythm back as it was"
