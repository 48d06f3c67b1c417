"""Schedules facilitators type in slash commands, and when they fire.

Two notations are accepted (see :func:`parse_schedule`): standard 5-field cron
("0 16 * * FRI") and friendly English ("every friday at 4pm"). Both become
wall-clock rules that are evaluated in a time zone chosen at evaluation time,
so one network schedule fires at 16:00 for each member's own clock.

Evaluation walks the rule's wall-clock fire times with APScheduler's
``CronTrigger`` (run in a fake UTC so it never sees DST), then maps each wall
time to a real instant with :func:`bot.dates.resolve_local`: a time in a
spring-forward gap fires once when the gap ends, an ambiguous fall-back time
fires once, at its first occurrence.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Iterator

from apscheduler.triggers.cron import CronTrigger

from bot.dates import resolve_local, to_zone

__all__ = ["Schedule", "ScheduleError", "parse_schedule"]

UTC = timezone.utc
ANCHOR_MONDAY = date(1970, 1, 5)  # week 0 for "every N weeks"
_FOLD_PAD = timedelta(hours=3)  # wall times after `end` that can still map before it
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EXAMPLE = 'e.g. "every friday 16:00"'


class ScheduleError(ValueError):
    """A schedule that cannot be used; str() is one line for a person in chat."""


@dataclass(frozen=True)
class _Rule:
    """Wall-clock rule. Sets hold allowed values; None means "any"."""

    minute: str  # APScheduler expressions
    hour: str
    day: str
    month: str
    weekdays: frozenset[int] | None  # Python numbering, Monday = 0
    either: bool = False  # cron: day-of-month OR day-of-week when both are restricted
    every_weeks: int = 1


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. Build it with :func:`parse_schedule`.

    Attributes:
        text: the canonical form; ``parse_schedule(s.text) == s``.
    """

    text: str
    _rule: _Rule = field(repr=False, compare=False)
    _description: str = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        triggers = _build_triggers(self._rule)
        object.__setattr__(self, "_triggers", triggers)
        # Per trigger: (after, fire) = "the first wall time after `after` is `fire`",
        # which also answers any later `after` up to `fire`. Scheduler ticks ask the
        # same question every minute, so this skips most CronTrigger work.
        object.__setattr__(self, "_memo", [None] * len(triggers))

    def describe(self) -> str:
        """Plain English, e.g. "every Friday at 16:00"."""
        return self._description

    def due_times(self, start: datetime, end: datetime, tz: tzinfo | str) -> list[datetime]:
        """All fire instants t with start < t <= end, as aware UTC datetimes.

        The schedule's wall-clock times are read in ``tz``. Cost grows with
        the number of fire times in the window, not with its length.
        """
        _check_aware(start, end)
        zone = to_zone(tz)
        if end <= start:
            return []
        lo = start.astimezone(zone).replace(tzinfo=None)
        hi = end.astimezone(zone).replace(tzinfo=None) + _FOLD_PAD
        found: list[datetime] = []
        for wall in self._walls(lo, hi):
            instant = resolve_local(wall, zone)
            if instant > end:
                break  # wall -> instant is monotonic
            if instant > start and (not found or instant != found[-1]):
                found.append(instant)
        return found

    def next_after(self, t: datetime, tz: tzinfo | str) -> datetime | None:
        """The first fire instant strictly after ``t`` (aware UTC), or None."""
        _check_aware(t)
        zone = to_zone(tz)
        for wall in self._walls(t.astimezone(zone).replace(tzinfo=None), None):
            instant = resolve_local(wall, zone)
            if instant > t:
                return instant
        return None

    def _walls(self, after: datetime, until: datetime | None) -> Iterator[datetime]:
        """Naive wall-clock fire times in (after, until], ascending, no repeats."""
        streams = [self._trigger_walls(i, after) for i in range(len(self._triggers))]
        merged = heapq.merge(*streams) if len(streams) > 1 else streams[0]
        every, last = self._rule.every_weeks, None
        for wall in merged:
            if until is not None and wall > until:
                return
            if wall == last:
                continue
            last = wall
            if every > 1 and ((wall.date() - ANCHOR_MONDAY).days // 7) % every:
                continue
            yield wall

    def _trigger_walls(self, index: int, after: datetime) -> Iterator[datetime]:
        trigger, memo = self._triggers[index], self._memo[index]
        if memo and memo[0] <= after < memo[1]:
            fire = memo[1]
        else:
            fire = _next_wall(trigger, after)
            if fire is not None:
                self._memo[index] = (after, fire)
        while fire is not None:
            yield fire
            fire = _next_wall(trigger, fire)


def _next_wall(trigger: CronTrigger, after: datetime) -> datetime | None:
    """The trigger's first wall time strictly after the naive ``after``."""
    fire = trigger.get_next_fire_time(None, after.replace(tzinfo=UTC) + timedelta(microseconds=1))
    return None if fire is None else fire.replace(tzinfo=None)


def _check_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("start, end and t must be timezone-aware datetimes")


def _build_triggers(rule: _Rule) -> tuple[CronTrigger, ...]:
    def make(day: str, weekdays: frozenset[int] | None) -> CronTrigger:
        dow = "*" if weekdays is None else _compress(sorted(weekdays), _APS_DAYS)
        return CronTrigger(
            year="*", month=rule.month, day=day, week="*", day_of_week=dow,
            hour=rule.hour, minute=rule.minute, second=0, timezone=UTC,
        )  # fmt: skip

    if rule.either:
        return make(rule.day, None), make("*", rule.weekdays)
    return (make(rule.day, rule.weekdays),)


def _compress(values: list[int], names: tuple[str, ...] | None = None) -> str:
    """[0,1,2,4] -> "0-2,4" (or with names: "mon-wed,fri")."""
    label = (lambda v: names[v]) if names else str
    parts, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{label(values[i])}-{label(values[j])}")
        else:
            parts.extend(label(v) for v in values[i : j + 1])
        i = j + 1
    return ",".join(parts)


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule typed by a facilitator.

    Accepts standard 5-field cron ("0 16 * * FRI", "30 9 * * 1-5"; weekday 0
    and 7 are Sunday; both day fields restricted means either may match, as in
    cron) and friendly forms, case-insensitive, with optional "at":
    "every friday 16:00", "every friday at 4pm", "every day 09:00",
    "daily 9:00", "every weekday 08:30", "every monday and thursday 09:00",
    "every mon,thu 9am", "weekly on friday 16:00", "every 2 weeks on monday
    09:00", "fortnightly on tuesday 10:00", "every month on the 1st 09:00".

    "Every N weeks" fires in weeks whose index since Monday 1970-01-05 is a
    multiple of N, so it needs no start date.

    Raises:
        ScheduleError: with a one-line explanation and a valid example.
    """
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise ScheduleError('The schedule is empty. Write one like "every friday 16:00".')
    if len(cleaned) > 200:
        raise ScheduleError('That schedule is too long. Write one like "every friday 16:00".')
    rule, canonical, description = (
        _parse_cron(cleaned) if _looks_like_cron(cleaned) else _parse_friendly(cleaned)
    )
    return Schedule(canonical, rule, description)


# --- cron ------------------------------------------------------------------

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_CRON_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")  # standard cron: 0 = Sunday
_CRON_FIELDS = (  # (name, low, high, names)
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {n: i + 1 for i, n in enumerate(_MONTH_NAMES)}),
    ("weekday", 0, 7, {n: i for i, n in enumerate(_CRON_DAYS)}),
)
_CRON_EXAMPLE = 'e.g. "0 16 * * FRI" is every Friday at 16:00'
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _looks_like_cron(text: str) -> bool:
    fields = text.split()
    return text[0] in "0123456789*" and len(fields) > 1 and ":" not in text


def _cron_field(raw: str, index: int) -> set[int]:
    name, low, high, names = _CRON_FIELDS[index]

    def value(token: str, range_end: bool = False) -> int:
        if token.isascii() and token.isdigit():
            number = int(token)
        elif token.upper() in names:
            number = names[token.upper()]
            if range_end and index == 4 and number == 0:
                number = 7  # "SAT-SUN"
        elif index == 4:
            raise ScheduleError(
                f'Cron weekday "{token}" is not valid: use 0-7 (0 and 7 are Sunday) '
                f"or MON..SUN, {_CRON_EXAMPLE}."
            )
        elif index == 3:
            raise ScheduleError(f'Cron month "{token}" is not valid: use 1-12 or JAN..DEC, {_CRON_EXAMPLE}.')
        else:
            raise ScheduleError(
                f'Cron {name} "{token}" is not supported: use numbers, ranges ("1-5"), '
                f'lists ("1,15") and steps ("*/15"), {_CRON_EXAMPLE}.'
            )
        if not low <= number <= high:
            raise ScheduleError(f"Cron {name} {number} is out of range: use {low}-{high}, {_CRON_EXAMPLE}.")
        return number

    values: set[int] = set()
    for item in raw.split(","):
        if not item:
            raise ScheduleError(f'Cron {name} field "{raw}" has an empty item, {_CRON_EXAMPLE}.')
        base, slash, step_text = item.partition("/")
        if slash and (not (step_text.isascii() and step_text.isdigit()) or int(step_text) < 1):
            raise ScheduleError(
                f'Cron {name} step in "{item}" must be a whole number of at least 1, e.g. "*/15".'
            )
        if base == "*":
            first, last = low, high
        else:
            start, dash, stop = base.partition("-")
            first = value(start)
            last = value(stop, range_end=True) if dash else (high if slash else first)
            if first > last:
                hint = ' (Sunday can also be 7, e.g. "5-7")' if index == 4 else ""
                raise ScheduleError(
                    f'Cron {name} range "{base}" goes backwards: write the smaller value first, '
                    f'e.g. "1-5"{hint}.'
                )
        values.update(range(first, last + 1, int(step_text) if slash else 1))
    return values


def _normalise_field(raw: str) -> str:
    return re.sub(r"[0-9]+", lambda m: str(int(m[0])), raw)


def _parse_cron(text: str) -> tuple[_Rule, str, str]:
    fields = text.split()
    if len(fields) != 5:
        raise ScheduleError(
            f'A cron schedule needs 5 fields (minute hour day month weekday) but "{text}" has '
            f'{len(fields)}: {_CRON_EXAMPLE}, or write "every friday 16:00".'
        )
    sets = [_cron_field(raw, i) for i, raw in enumerate(fields)]
    minute, hour, dom, month, dow = sets
    weekdays = frozenset((d - 1) % 7 for d in dow)
    dom_star, dow_star = fields[2].startswith("*"), fields[4].startswith("*")
    fields = [f.upper() for f in fields]
    if dom_star or dow_star:  # day-of-month AND weekday: the day must exist
        if not any(d <= _MONTH_DAYS[m - 1] for m in month for d in dom):
            raise ScheduleError(
                f'Cron schedule "{text}" never fires: none of its months has day {min(dom)}, '
                f"{_CRON_EXAMPLE}."
            )
    canonical = [_normalise_field(f) for f in fields]
    if not dow_star:
        canonical[4] = _compress(sorted(weekdays), tuple(n.upper() for n in _APS_DAYS))
    canonical_text = " ".join(canonical)

    def expr(raw: str, allowed: set[int]) -> str:
        return "*" if raw == "*" else _compress(sorted(allowed))

    rule = _Rule(
        minute=expr(fields[0], minute),
        hour=expr(fields[1], hour),
        day=expr(fields[2], dom),
        month=expr(fields[3], month),
        weekdays=None if len(weekdays) == 7 and dow_star else weekdays,
        either=not dom_star and not dow_star,
    )
    description = f'on the cron schedule "{canonical_text}" (minute hour day month weekday)'
    if len(minute) == 1 and len(hour) == 1 and fields[3] == "*":
        at = f"{min(hour):02d}:{min(minute):02d}"
        if fields[2] == "*":
            description = f"{_days_phrase(weekdays)} at {at}"
        elif fields[4] == "*" and len(dom) == 1:
            description = f"every month on the {_ordinal(min(dom))} at {at}"
    return rule, canonical_text, description


# --- friendly English --------------------------------------------------------

_DAY_ALIASES = {name: i for i, name in enumerate(DAY_NAMES)} | {
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3,
    "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_ALL_DAYS = frozenset(range(7))
_WORKDAYS = frozenset(range(5))
_TIME_AT_END = re.compile(
    r"(?P<head>.*?)\s+(?:at\s+)?(?P<time>\d{1,2}(?:[:.]\d+)?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|noon|midday|midnight|\S*\d\S*)"
)
_MONTHLY = re.compile(
    r"(?:(?:every|each)\s+month|monthly)(?:\s+on)?(?:\s+the)?\s+([-+]?\d+)(?:st|nd|rd|th)?(?:\s+day)?"
)
_EVERY_N = re.compile(
    r"(?:every|each)\s+([-+]?\d+|" + "|".join(_WORD_NUMBERS) + r")\s+([a-z]+?)s?(?:\s+on)?(?:\s+(.+))?"
)
_WEEKLY = re.compile(  # group 1 set: weekly; unset: every two weeks
    r"(?:fortnightly|(?:every|each)\s+(?:other\s+week|fortnight)|(weekly|(?:every|each)\s+week))"
    r"(?:\s+on)?(?:\s+(.+))?"
)
_MISSING_TIME = 'Add a time like "16:00" or "4pm", ' + _EXAMPLE + "."
_UNKNOWN = (
    'Could not understand "{}". Start with "every", "daily", "weekly" or "fortnightly", '
    f'{_EXAMPLE}, or use a 5-field cron line like "0 16 * * FRI".'
)


def _parse_time(token: str) -> tuple[int, int]:
    if token in ("noon", "midday"):
        return 12, 0
    if token == "midnight":
        return 0, 0
    m = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)", token)
    if m:
        hour, minute = int(m[1]), int(m[2] or 0)
        if not 1 <= hour <= 12:
            raise ScheduleError(
                f'Time "{token}" is not valid: with am/pm the hour goes from 1 to 12, e.g. "4pm".'
            )
        if minute > 59:
            raise ScheduleError(f'Time "{token}" is not valid: minutes go from 00 to 59, e.g. "4:30pm".')
        return hour % 12 + (12 if m[3][0] == "p" else 0), minute
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})", token)
    if m:
        hour, minute = int(m[1]), int(m[2])
        if hour > 23:
            raise ScheduleError(f'Time "{token}" is not valid: hours go from 00 to 23, {_EXAMPLE}.')
        if minute > 59:
            raise ScheduleError(
                f'Time "{token}" is not valid: minutes go from 00 to 59, e.g. "every friday 16:30".'
            )
        return hour, minute
    if token.isdigit():
        raise ScheduleError(
            f'Time "{token}" is unclear: write "{int(token):02d}:00" or "{token}am"/"{token}pm", '
            f"{_EXAMPLE}."
        )
    raise ScheduleError(
        f'Time "{token}" is not valid: use 24-hour "HH:MM" like "16:00", or "4pm", {_EXAMPLE}.'
    )


def _day(word: str) -> int:
    word = word.rstrip(".")
    if word in _DAY_ALIASES:
        return _DAY_ALIASES[word]
    if word.endswith("s") and word[:-1] in _DAY_ALIASES:
        return _DAY_ALIASES[word[:-1]]
    raise ScheduleError(f'Unknown day "{word}". Use a day name like "friday", {_EXAMPLE}.')


def _parse_days(text: str) -> frozenset[int]:
    text = re.sub(r"\s*(?:-|\bto\b|\bthrough\b|\bthru\b)\s*", "-", text)
    days: set[int] = set()
    for part in re.split(r"(?:[\s,&/+]|\band\b)+", text):
        if part in ("weekday", "weekdays"):
            days |= _WORKDAYS
        elif part in ("weekend", "weekends"):
            days |= {5, 6}
        elif "-" in part:
            start, _, stop = part.partition("-")
            first, last = _day(start), _day(stop)
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        elif part:
            days.add(_day(part))
    if not days:
        raise ScheduleError(f'Say which day, {_EXAMPLE}.')
    return frozenset(days)


def _parse_friendly(text: str) -> tuple[_Rule, str, str]:
    lowered = text.lower()
    m = _TIME_AT_END.fullmatch(lowered)
    if not m or re.fullmatch(r"\d+(?:st|nd|rd|th)", m["time"]):
        if lowered.split()[0] not in ("every", "each", "daily", "weekly", "fortnightly", "monthly", "on"):
            raise ScheduleError(_UNKNOWN.format(text))
        raise ScheduleError(f'"{text}" has no time. {_MISSING_TIME}')
    hour, minute = _parse_time(m["time"])
    head, every, monthday = m["head"], 1, None
    if re.fullmatch(r"(?:every|each)\s*day|daily", head):
        days = _ALL_DAYS
    elif re.fullmatch(r"(?:(?:every|each|on)\s+)?weekdays?|every\s+working\s+day", head):
        days = _WORKDAYS
    elif mm := re.fullmatch(r"(?:every|each)\s+month|monthly", head):
        raise ScheduleError('Say which day of the month, e.g. "every month on the 1st 09:00".')
    elif mm := _MONTHLY.fullmatch(head):
        monthday, days = int(mm[1]), _ALL_DAYS
        if 29 <= monthday <= 31:
            raise ScheduleError(
                f"Day {monthday} is not in every month: use the 1st to the 28th, "
                f'e.g. "every month on the 1st 09:00", or cron "{minute} {hour} {monthday} * *" '
                "to skip shorter months."
            )
        if not 1 <= monthday <= 28:
            raise ScheduleError(
                "The day of the month must be from the 1st to the 28th, "
                'e.g. "every month on the 1st 09:00".'
            )
    elif mm := _EVERY_N.fullmatch(head):
        every = int(mm[1]) if mm[1] not in _WORD_NUMBERS else _WORD_NUMBERS[mm[1]]
        if mm[2] not in ("week", "wk"):
            raise ScheduleError(
                'Repeats are counted in weeks, e.g. "every 2 weeks on monday 09:00" or "every day 09:00".'
            )
        if every < 1:
            raise ScheduleError(
                f'The interval must be at least 1 week, not {every}: e.g. "every 2 weeks on monday 09:00".'
            )
        if every > 52:
            raise ScheduleError(
                'The interval can be at most 52 weeks, e.g. "every 2 weeks on monday 09:00".'
            )
        if not mm[3]:
            raise ScheduleError('Say which day, e.g. "every 2 weeks on monday 09:00".')
        days = _parse_days(mm[3])
    elif mm := _WEEKLY.fullmatch(head):
        every = 1 if mm[1] else 2
        if not mm[2]:
            form = "weekly" if mm[1] else "fortnightly"
            raise ScheduleError(f'Say which day, e.g. "{form} on friday 16:00".')
        days = _parse_days(mm[2])
    elif mm := re.fullmatch(r"(?:every|each|on)\s+(.+)", head):
        days = _parse_days(mm[1])
    else:
        raise ScheduleError(_UNKNOWN.format(text))
    at = f"{hour:02d}:{minute:02d}"
    if monthday is not None:
        canonical = description = f"every month on the {_ordinal(monthday)} at {at}"
        rule = _Rule(str(minute), str(hour), str(monthday), "*", None)
        return rule, canonical, description
    rule = _Rule(str(minute), str(hour), "*", "*", None if days == _ALL_DAYS else days, every_weeks=every)
    names = [DAY_NAMES[d] for d in sorted(days)]
    if every > 1:
        canonical = f"every {every} weeks on {_join(names)} at {at}"
        description = f"every {every} weeks on {_join([n.title() for n in names])} at {at}"
    else:
        description = f"{_days_phrase(days)} at {at}"
        canonical = description.lower()
    return rule, canonical, description


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _days_phrase(days: frozenset[int] | None) -> str:
    if days is None or days == _ALL_DAYS:
        return "every day"
    if days == _WORKDAYS:
        return "every weekday"
    return "every " + _join([DAY_NAMES[d].title() for d in sorted(days)])


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
