"""Standard 5-field cron schedules ("0 16 * * FRI"): parsing and validation.

Cron is validated here, field by field, rather than left to APScheduler, so a
mistake gets a message a facilitator can act on, and the line is put in one
canonical form that parses back to the same schedule.
"""

from __future__ import annotations

import re

from bot.scheduling.friendly import days_phrase, ordinal
from bot.scheduling.rule import APS_DAYS, Rule, ScheduleError, compress

__all__ = ["looks_like_cron", "parse_cron"]

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


def looks_like_cron(text: str) -> bool:
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
            raise ScheduleError(f'Cron weekday "{token}" is not valid: use 0-7 (0 and 7 are Sunday) or MON..SUN, {_CRON_EXAMPLE}.')
        elif index == 3:
            raise ScheduleError(f'Cron month "{token}" is not valid: use 1-12 or JAN..DEC, {_CRON_EXAMPLE}.')
        else:
            raise ScheduleError(
                f'Cron {name} "{token}" is not supported: use numbers, ranges ("1-5"), lists ("1,15") and steps ("*/15"), {_CRON_EXAMPLE}.'
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
            raise ScheduleError(f'Cron {name} step in "{item}" must be a whole number of at least 1, e.g. "*/15".')
        if base == "*":
            first, last = low, high
        else:
            start, dash, stop = base.partition("-")
            first = value(start)
            last = value(stop, range_end=True) if dash else (high if slash else first)
            if first > last:
                hint = ' (Sunday can also be 7, e.g. "5-7")' if index == 4 else ""
                raise ScheduleError(f'Cron {name} range "{base}" goes backwards: write the smaller value first, e.g. "1-5"{hint}.')
        values.update(range(first, last + 1, int(step_text) if slash else 1))
    return values


def _normalise_field(raw: str) -> str:
    return re.sub(r"[0-9]+", lambda m: str(int(m[0])), raw)


def parse_cron(text: str) -> tuple[Rule, str, str]:
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
            raise ScheduleError(f'Cron schedule "{text}" never fires: none of its months has day {min(dom)}, {_CRON_EXAMPLE}.')
    canonical = [_normalise_field(f) for f in fields]
    if not dow_star:
        canonical[4] = compress(sorted(weekdays), tuple(n.upper() for n in APS_DAYS))
    canonical_text = " ".join(canonical)

    def expr(raw: str, allowed: set[int]) -> str:
        return "*" if raw == "*" else compress(sorted(allowed))

    rule = Rule(
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
            description = f"{days_phrase(weekdays)} at {at}"
        elif fields[4] == "*" and len(dom) == 1:
            description = f"every month on the {ordinal(min(dom))} at {at}"
    return rule, canonical_text, description
