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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

__all__ = [
    "parse_due",
    "parse_duration",
    "parse_pause",
    "parse_when",
    "resolve_local",
    "to_zone",
]

UTC = timezone.utc
MAX_TEXT = 2000  # characters of a message we look at; caps regex work
MAX_DURATION = timedelta(days=3650)
_F = re.ASCII

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBR = {
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3,
    "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "a couple of": 2, "couple of": 2,
}  # fmt: skip

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_RE = "|".join(_WEEKDAYS)
_ABBR_RE = "|".join(sorted(_WEEKDAY_ABBR, key=len, reverse=True))
_NUM_RE = r"\d{1,4}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_STRONG_MARKER = re.compile(
    r"(?:\bby|\bbefore|\bdue(?:\s+(?:on|by))?|\buntil|\btill|\btil"
    r"|\bno\s+later\s+than|\bdeadline:?|\bdate:?)\s+$",
    _F,
)
_WEAK_MARKER = re.compile(r"(?:\bon|\bfor)\s+$", _F)


def to_zone(tz: tzinfo | str) -> tzinfo:
    """Return a tzinfo for ``tz`` (an IANA name or a tzinfo).

    Raises:
        ValueError: for an unknown time-zone name.
    """
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f'Unknown time zone "{tz}". Use a name like "Europe/London".') from exc


def resolve_local(wall: datetime, tz: tzinfo | str) -> datetime:
    """Turn a wall-clock time in ``tz`` into an aware UTC instant.

    Why: schedules and meeting times are typed as local wall-clock times, and
    twice a year some of those are ambiguous or do not exist.

    An ambiguous time (autumn fall-back) resolves to its first occurrence; a
    time inside a spring-forward gap resolves to the instant the gap ends
    (e.g. 01:30 on the day London jumps from 01:00 to 02:00 becomes 02:00 BST).
    Any tzinfo on ``wall`` is ignored.
    """
    zone = to_zone(tz)
    naive = wall.replace(tzinfo=None, fold=0)
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    other = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(first, other), max(first, other)
    before = lo.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):  # find the transition instant
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def _local_today(now: datetime, tz: tzinfo | str) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(to_zone(tz)).date()


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[" ".join(word.split())]


def _friday_of_week(day: date, weeks_ahead: int = 0) -> date:
    return day - timedelta(days=day.weekday()) + timedelta(days=4 + 7 * weeks_ahead)


def _month_end(day: date, months_ahead: int = 0) -> date:
    first = day.replace(day=1) + relativedelta(months=months_ahead + 1)
    return first - timedelta(days=1)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_occurrence(today: date, month: int, day: int) -> date | None:
    for year in range(today.year, today.year + 9):  # 29 Feb needs a leap year
        found = _safe_date(year, month, day)
        if found and found >= today:
            return found
    return None


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if len(text) == 2 else year


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    day: date
    marked: int  # 2 after "by"/"before"/"due"/"until", 1 after "on"/"for", else 0


# Each rule: (pattern, needs a marker before it, function(match, today) -> date | None).
# Earlier rules win where matches overlap, so full dates come before fragments.
_RULES: list[tuple[re.Pattern[str], bool, object]] = []


def _rule(pattern: str, *, marked_only: bool = False):
    def register(func):
        _RULES.append((re.compile(pattern, _F), marked_only, func))
        return func

    return register


@_rule(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
def _iso(m, today):
    return _safe_date(int(m[1]), int(m[2]), int(m[3]))


@_rule(r"\b(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})\b(?![/.-]\d)")
def _numeric_dmy(m, today):
    if m[2] != "/" and len(m[4]) == 2:  # "1.2.33" is more likely a version than a date
        return None
    return _safe_date(_year(m[4]), int(m[3]), int(m[1]))


@_rule(rf"\b(?:the\s+)?(\d{{1,2}}){_ORD}\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}})\b)?")
def _day_month(m, today):
    month, day = _MONTHS[m[2]], int(m[1])
    return _safe_date(int(m[3]), month, day) if m[3] else _next_occurrence(today, month, day)


@_rule(rf"\b({_MONTH_RE})\b\.?\s+(?:the\s+)?(\d{{1,2}}){_ORD}\b(?:,?\s+(\d{{4}})\b)?(?!:)")
def _month_day(m, today):
    month, day = _MONTHS[m[1]], int(m[2])
    return _safe_date(int(m[3]), month, day) if m[3] else _next_occurrence(today, month, day)


@_rule(r"\b(?:the\s+)?day\s+after\s+tomorrow\b")
def _day_after_tomorrow(m, today):
    return today + timedelta(days=2)


@_rule(r"\b(?:tomorrow|tmrw|tmr)\b")
def _tomorrow(m, today):
    return today + timedelta(days=1)


@_rule(r"\b(?:today|tonight|eod|(?:the\s+)?end\s+of\s+(?:the\s+|to)?day)\b")
def _today(m, today):
    return today


@_rule(rf"\b(?:in|within)\s+({_NUM_RE})\s+(day|week|fortnight|month)s?\b")
@_rule(rf"\b({_NUM_RE})\s+(day|week|fortnight|month)s?(?:'s)?\s+(?:from\s+now|time)\b")
def _in_n(m, today):
    n = _number(m[1])
    if m[2] == "month":
        return today + relativedelta(months=min(n, 1200))
    days = n * {"day": 1, "week": 7, "fortnight": 14}[m[2]]
    return today + timedelta(days=min(days, 36500))


@_rule(r"\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(week|month|year)|eo(w|m|y))\b")
def _end_of(m, today):
    unit = m[1] or {"w": "week", "m": "month", "y": "year"}[m[2]]
    if unit == "week":
        return _friday_of_week(today) if today.weekday() <= 4 else _friday_of_week(today, 1)
    return _month_end(today) if unit == "month" else date(today.year, 12, 31)


@_rule(r"\b(?:(?:the\s+)?end\s+of\s+)?next\s+(week|month)\b")
def _next_unit(m, today):
    return _friday_of_week(today, 1) if m[1] == "week" else _month_end(today, 1)


@_rule(r"\bthis\s+(week|month)\b")
def _this_unit(m, today):
    if m[1] == "month":
        return _month_end(today)
    return _friday_of_week(today) if today.weekday() <= 4 else _friday_of_week(today, 1)


@_rule(rf"(?<!last )\b(?:(this|next|coming)\s+)?({_DAY_RE})s?\b")
@_rule(rf"(?<!last )\b(?:(this|next|coming)\s+)?({_ABBR_RE})\b\.?", marked_only=True)
def _weekday(m, today):
    target = _WEEKDAYS.index(m[2]) if m[2] in _WEEKDAYS else _WEEKDAY_ABBR[m[2]]
    ahead = (target - today.weekday()) % 7
    if m[1] == "next":
        return today - timedelta(days=today.weekday()) + timedelta(days=7 + target)
    if m[1] != "this" and ahead == 0:
        ahead = 7
    return today + timedelta(days=ahead)


@_rule(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b", marked_only=True)
def _ordinal(m, today):
    day = int(m[1])
    for months in range(0, 13):
        first = today.replace(day=1) + relativedelta(months=months)
        found = _safe_date(first.year, first.month, day)
        if found and found >= today:
            return found
    return None


@_rule(r"\b(\d{1,2})/(\d{1,2})\b(?![/.-]?\d)", marked_only=True)
def _numeric_dm(m, today):
    return _next_occurrence(today, int(m[2]), int(m[1]))


def _find_dates(text: str, today: date) -> list[_Found]:
    """Every date expression in ``text``, left to right, without overlaps."""
    s = text[:MAX_TEXT].lower()
    taken: list[_Found] = []
    for pattern, marked_only, func in _RULES:
        for m in pattern.finditer(s):
            if any(m.start() < f.end and f.start < m.end() for f in taken):
                continue
            window = max(0, m.start() - 30)
            marked = (
                2 if _STRONG_MARKER.search(s, window, m.start())
                else 1 if _WEAK_MARKER.search(s, window, m.start())
                else 0
            )  # fmt: skip
            if marked_only and not marked:
                continue
            day = func(m, today)
            if day is not None:
                taken.append(_Found(m.start(), m.end(), day, marked))
    return sorted(taken, key=lambda f: f.start)


def _best(found: list[_Found]) -> _Found | None:
    """The most strongly marked expression; the first one among equals."""
    return max(found, key=lambda f: (f.marked, -f.start), default=None)


def parse_due(text: str, *, now: datetime, tz: tzinfo | str) -> date | None:
    """Find a due date anywhere in a chat message.

    "I'll call the youth team by Friday" gives the coming Friday. An expression
    after "by", "before", "due" or "until" wins over one after "on" or "for",
    which wins over an unmarked one; among equals the first counts. See the
    module docstring for the rules. Returns None when there is no date, and
    never raises on any text (only the first 2,000 characters are read).
    """
    today = _local_today(now, tz)
    if not isinstance(text, str) or not text:
        return None
    best = _best(_find_dates(text, today))
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
    today = _local_today(now, tz)
    if not isinstance(text, str) or not text:
        return None
    found = _find_dates(text, today)
    best = _best(found)
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
            raise ValueError(
                f'Unknown unit "{unit}" in "{raw}". Use w (weeks), d (days), h (hours) '
                'or m (minutes), e.g. "2w" or "1w2d".'
            )
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
    today = _local_today(now, tz)
    raw = " ".join(str(text)[:200].split())
    s = raw.lower()
    until = re.match(r"(?:until|till|til|'til|to)\s+(.*)$", s, _F)
    if not until:
        try:
            length = parse_duration(re.sub(r"^for\s+", "", s, flags=_F))
        except ValueError as exc:
            if re.match(r"(?:for\s+)?\d+\s*[a-z]+$", s, _F):
                raise  # looks like a length with a typo: its message is the useful one
        else:
            if length.days == 0:
                return now.astimezone(UTC) + length
            wall = now.astimezone(to_zone(tz)).replace(tzinfo=None) + timedelta(days=length.days)
            return resolve_local(wall, tz) + timedelta(seconds=length.seconds)
    best = _best(_find_dates("by " + (until[1] if until else s), today))
    if best is None:
        raise ValueError(
            f'Could not read "{raw}". Use a length like "2w" or "10d", or a date like '
            '"until friday", "until 24 December" or "until 2026-12-24".'
        )
    ends = resolve_local(datetime.combine(best.day, time(0)), tz)
    if ends <= now:
        raise ValueError(
            f'"{raw}" is not in the future ({best.day.isoformat()} has already begun). '
            'Pick a later date, e.g. "until friday" or "2w".'
        )
    return ends
