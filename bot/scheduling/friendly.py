"""Friendly English schedules: "every friday 16:00", "every 2 weeks on monday 09:00".

Kept apart from cron because it is a small grammar of its own (day names and
ranges, am/pm times, weekly/fortnightly/monthly forms) with its own messages,
and because it owns the plain-English phrasing that cron descriptions reuse.
"""

from __future__ import annotations

import re

from bot.scheduling.rule import Rule, ScheduleError

__all__ = ["DAY_NAMES", "days_phrase", "ordinal", "parse_friendly"]

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EXAMPLE = 'e.g. "every friday 16:00"'

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
_MONTHLY = re.compile(r"(?:(?:every|each)\s+month|monthly)(?:\s+on)?(?:\s+the)?\s+([-+]?\d+)(?:st|nd|rd|th)?(?:\s+day)?")
_EVERY_N = re.compile(r"(?:every|each)\s+([-+]?\d+|" + "|".join(_WORD_NUMBERS) + r")\s+([a-z]+?)s?(?:\s+on)?(?:\s+(.+))?")
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
            raise ScheduleError(f'Time "{token}" is not valid: with am/pm the hour goes from 1 to 12, e.g. "4pm".')
        if minute > 59:
            raise ScheduleError(f'Time "{token}" is not valid: minutes go from 00 to 59, e.g. "4:30pm".')
        return hour % 12 + (12 if m[3][0] == "p" else 0), minute
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})", token)
    if m:
        hour, minute = int(m[1]), int(m[2])
        if hour > 23:
            raise ScheduleError(f'Time "{token}" is not valid: hours go from 00 to 23, {_EXAMPLE}.')
        if minute > 59:
            raise ScheduleError(f'Time "{token}" is not valid: minutes go from 00 to 59, e.g. "every friday 16:30".')
        return hour, minute
    if token.isdigit():
        raise ScheduleError(f'Time "{token}" is unclear: write "{int(token):02d}:00" or "{token}am"/"{token}pm", {_EXAMPLE}.')
    raise ScheduleError(f'Time "{token}" is not valid: use 24-hour "HH:MM" like "16:00", or "4pm", {_EXAMPLE}.')


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
        raise ScheduleError(f"Say which day, {_EXAMPLE}.")
    return frozenset(days)


def parse_friendly(text: str) -> tuple[Rule, str, str]:
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
            raise ScheduleError('The day of the month must be from the 1st to the 28th, e.g. "every month on the 1st 09:00".')
    elif mm := _EVERY_N.fullmatch(head):
        every = int(mm[1]) if mm[1] not in _WORD_NUMBERS else _WORD_NUMBERS[mm[1]]
        if mm[2] not in ("week", "wk"):
            raise ScheduleError('Repeats are counted in weeks, e.g. "every 2 weeks on monday 09:00" or "every day 09:00".')
        if every < 1:
            raise ScheduleError(f'The interval must be at least 1 week, not {every}: e.g. "every 2 weeks on monday 09:00".')
        if every > 52:
            raise ScheduleError('The interval can be at most 52 weeks, e.g. "every 2 weeks on monday 09:00".')
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
        canonical = description = f"every month on the {ordinal(monthday)} at {at}"
        rule = Rule(str(minute), str(hour), str(monthday), "*", None)
        return rule, canonical, description
    rule = Rule(str(minute), str(hour), "*", "*", None if days == _ALL_DAYS else days, every_weeks=every)
    names = [DAY_NAMES[d] for d in sorted(days)]
    if every > 1:
        canonical = f"every {every} weeks on {_join(names)} at {at}"
        description = f"every {every} weeks on {_join([n.title() for n in names])} at {at}"
    else:
        description = f"{days_phrase(days)} at {at}"
        canonical = description.lower()
    return rule, canonical, description


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def days_phrase(days: frozenset[int] | None) -> str:
    if days is None or days == _ALL_DAYS:
        return "every day"
    if days == _WORKDAYS:
        return "every weekday"
    return "every " + _join([DAY_NAMES[d].title() for d in sorted(days)])


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
