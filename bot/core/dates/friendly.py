"""Friendly dates: due dates, meeting times, durations and pauses typed in chat.

Members write "by Friday", "in 2 weeks" or "03/12/2026"; these functions turn
such text into dates relative to an injected ``now`` (never the real clock) and
a time zone. The rules are our own small regular expressions rather than a
fuzzy parser, so a stray number in a sentence never becomes a date.

Conventions (all relative to the local date of ``now`` in ``tz``):

* A bare weekday ("Friday", "by fri") is the next such day strictly after
  today, so on a Friday "by Friday" means next week's Friday.
* "this friday" is the Friday on or after today; "next friday" is the Friday
  of next week (weeks start on Monday).
* "this week" / "end of the week" is the Friday on or after today; "next week"
  is next week's Friday; "end of the month" / "this month" is the month's last
  day, "next month" the last day of next month.
* Numeric dates are day-first (UK): "03/12/2026" is 3 December 2026. A date
  without a year ("12 December") is its next occurrence on or after today.
* Abbreviated weekdays and "3/12"-style dates without a year only count after
  a marker such as "by", "on", "before", "due" or "until".

This module is the entry point every caller imports from; the rules that spot
date expressions live in :mod:`bot.core.dates.rules` and time zones with DST-safe
wall-clock times in :mod:`bot.core.dates.zone`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from bot.core.dates.rules import MAX_TEXT, best_found, find_dates
from bot.core.dates.zone import UTC, local_today, resolve_local, to_zone

__all__ = [
    "parse_due",
    "parse_duration",
    "parse_pause",
    "parse_when",
]

MAX_DURATION = timedelta(days=3650)
_F = re.ASCII


def parse_due(text: str, *, now: datetime, tz: tzinfo | str) -> date | None:
    """Find a due date anywhere in a chat message.

    "I'll call the youth team by Friday" gives the coming Friday. An expression
    after "by", "before", "due" or "until" wins over one after "on" or "for",
    which wins over an unmarked one; among equals the first counts. See the
    module docstring for the rules. Returns None when there is no date, and
    never raises on any text (only the first 2,000 characters are read).
    """
    today = local_today(now, tz)
    if not isinstance(text, str) or not text:
        return None
    best = best_found(find_dates(text, today))
    return best.day if best else None


_TIME_RE = re.compile(
    r"\b(?:(?P<h12>1[0-2]|0?[1-9])(?::(?P<m12>[0-5]\d))?\s*(?P<ampm>am|pm)\b"
    r"|(?P<h24>[01]?\d|2[0-3])[:h](?P<m24>[0-5]\d)\b(?!:\d)"
    r"|(?P<word>noon|midday|midnight)\b)",
    _F,
)


def parse_when(text: str, *, now: datetime, tz: tzinfo | str) -> datetime | None:
    """Read a meeting time such as "2026-12-03 14:00" or "friday at 2pm".

    The date follows :func:`parse_due`'s rules and the time is "HH:MM" (24-hour),
    "2pm"/"2:30pm", "noon" or "midnight"; both are needed. The wall-clock time is
    interpreted in ``tz`` (see :func:`resolve_local` for DST gaps and overlaps)
    and returned as an aware UTC datetime. Returns None when either is missing.
    """
    today = local_today(now, tz)
    if not isinstance(text, str) or not text:
        return None
    found = find_dates(text, today)
    best = best_found(found)
    if best is None:
        return None
    s = text[:MAX_TEXT].lower()
    for m in _TIME_RE.finditer(s):
        if any(m.start() < f.end and f.start < m.end() for f in found):
            continue
        if m["word"]:
            at = time(0) if m["word"] == "midnight" else time(12)
        elif m["ampm"]:
            hour = int(m["h12"]) % 12 + (12 if m["ampm"] == "pm" else 0)
            at = time(hour, int(m["m12"] or 0))
        else:
            at = time(int(m["h24"]), int(m["m24"]))
        return resolve_local(datetime.combine(best.day, at), tz)
    return None


_UNITS = {
    "w": 7 * 86400, "wk": 7 * 86400, "wks": 7 * 86400, "week": 7 * 86400,
    "weeks": 7 * 86400, "fortnight": 14 * 86400, "fortnights": 14 * 86400,
    "d": 86400, "day": 86400, "days": 86400,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
}  # fmt: skip
_DURATION_PART = re.compile(r"(\d{1,6}|\ban?\b)\s*([a-z]+)", _F)
_DURATION_HINT = 'Use a number and a unit, e.g. "2w", "10d", "3h", "90m" or "1w2d".'


def parse_duration(text: str) -> timedelta:
    """Read a length of time: "2w", "10d", "3h", "90m", "1w2d", "2 weeks".

    Units are w/week(s), fortnight(s), d/day(s), h/hour(s) and m/min(ute)s
    ("m" is minutes, never months). Parts add up: "1 week and 2 days".

    Raises:
        ValueError: with a one-line message a member can act on.
    """
    raw = " ".join(str(text)[:200].split())
    s = re.sub(r"\s*(?:,|\band\b|\+)\s*", " ", raw.lower()).strip()
    if not s:
        raise ValueError(f"Say how long. {_DURATION_HINT}")
    if s.startswith("-"):
        raise ValueError(f'"{raw}" is negative; a length of time must be more than zero, e.g. "2w".')
    total, pos = 0, 0
    for m in _DURATION_PART.finditer(s):
        if s[pos : m.start()].strip():
            break
        unit = m[2]
        if unit not in _UNITS:
            raise ValueError(f'Unknown unit "{unit}" in "{raw}". Use w (weeks), d (days), h (hours) or m (minutes), e.g. "2w" or "1w2d".')
        total += (1 if m[1] in ("a", "an") else int(m[1])) * _UNITS[unit]
        pos = m.end()
    if pos == 0 or s[pos:].strip():
        raise ValueError(f'Could not read "{raw}" as a length of time. {_DURATION_HINT}')
    if total <= 0:
        raise ValueError(f'"{raw}" is zero; a length of time must be more than zero, e.g. "2w".')
    if total > MAX_DURATION.total_seconds():
        raise ValueError(f'"{raw}" is longer than 10 years; pick something shorter, e.g. "8w".')
    return timedelta(seconds=total)


def parse_pause(text: str, *, now: datetime, tz: tzinfo | str) -> datetime:
    """Work out when a pause ends, as an aware UTC instant.

    * A length ("2w", "for 10 days", "3h"): whole days are counted on the local
      calendar (paused at 10:00 for "2w" resumes at 10:00 local two weeks later,
      even across a DST change); the rest (hours, minutes) is elapsed time.
    * A date ("until friday", "until 2026-12-24", "till 24 December", or a bare
      date such as "friday"): the pause ends at local midnight at the start of
      that day, so the member hears from us again on that day. The date follows
      :func:`parse_due`'s rules.

    Raises:
        ValueError: with a one-line message when the text is neither, or the
            date is not in the future.
    """
    today = local_today(now, tz)
    raw = " ".join(str(text)[:200].split())
    s = raw.lower()
    until = re.match(r"(?:until|till|til|'til|to)\s+(.*)$", s, _F)
    if not until:
        try:
            length = parse_duration(re.sub(r"^for\s+", "", s, flags=_F))
        except ValueError:
            if re.match(r"(?:for\s+)?\d+\s*[a-z]+$", s, _F):
                raise  # looks like a length with a typo: its message is the useful one
        else:
            if length.days == 0:
                return now.astimezone(UTC) + length
            wall = now.astimezone(to_zone(tz)).replace(tzinfo=None) + timedelta(days=length.days)
            return resolve_local(wall, tz) + timedelta(seconds=length.seconds)
    best = best_found(find_dates("by " + (until[1] if until else s), today))
    if best is None:
        raise ValueError(
            f'Could not read "{raw}". Use a length like "2w" or "10d", or a date like "until friday", "until 24 December" or "until 2026-12-24".'
        )
    ends = resolve_local(datetime.combine(best.day, time(0)), tz)
    if ends <= now:
        raise ValueError(f'"{raw}" is not in the future ({best.day.isoformat()} has already begun). Pick a later date, e.g. "until friday" or "2w".')
    return ends
