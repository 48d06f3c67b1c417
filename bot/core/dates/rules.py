"""The rules that spot date expressions in chat text.

Why a module of its own: the word tables, the ordered regular-expression rules
and the marker weighting ("by" beats "on" beats nothing) are one piece of
logic that grows a rule at a time; keeping them apart from the public parsers
in :mod:`bot.core.dates.friendly` (whose docstring states the conventions) lets a new rule
be added and reviewed in one place. Everything here works on a local ``today``
and never looks at a clock or a time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

__all__ = ["MAX_TEXT", "Found", "best_found", "find_dates"]

MAX_TEXT = 2000  # characters of a message we look at; caps regex work
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
class Found:
    """A date expression in a message: where it sits, its date, how it was marked."""

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


def find_dates(text: str, today: date) -> list[Found]:
    """Every date expression in ``text``, left to right, without overlaps."""
    s = text[:MAX_TEXT].lower()
    taken: list[Found] = []
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
                taken.append(Found(m.start(), m.end(), day, marked))
    return sorted(taken, key=lambda f: f.start)


def best_found(found: list[Found]) -> Found | None:
    """The most strongly marked expression; the first one among equals."""
    return max(found, key=lambda f: (f.marked, -f.start), default=None)
