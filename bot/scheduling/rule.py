"""The Schedule object and its occurrence arithmetic.

Both notations (cron in :mod:`bot.scheduling.cron`, friendly English in
:mod:`bot.scheduling.friendly`) parse into one wall-clock :class:`Rule`; this
module turns that rule into fire instants, so DST handling lives in one place.

Evaluation walks the rule's wall-clock fire times with APScheduler's
``CronTrigger`` (run in a fake UTC so it never sees DST), then maps each wall
time to a real instant with :func:`bot.core.dates.friendly.resolve_local`: a time in a
spring-forward gap fires once when the gap ends, an ambiguous fall-back time
fires once, at its first occurrence.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger

from bot.core.dates.zone import resolve_local, to_zone

__all__ = ["APS_DAYS", "Rule", "Schedule", "ScheduleError", "compress"]

UTC = UTC
ANCHOR_MONDAY = date(1970, 1, 5)  # week 0 for "every N weeks"
_TICK = timedelta(microseconds=1)
_FOLD_PAD = timedelta(hours=3)  # wall times after `end` that can still map before it
APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleError(ValueError):
    """A schedule that cannot be used; str() is one line for a person in chat."""


@dataclass(frozen=True)
class Rule:
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
    _rule: Rule = field(repr=False, compare=False)
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

    def times_in_a_day(self) -> list[datetime]:
        """The wall-clock fire times of one day the schedule fires on, ascending.

        A rule's minutes and hours do not depend on the day, so every day it
        fires on has these same times: their number and spacing say how often
        the schedule runs within a day, whatever its days are.
        """
        first = next(self._walls(datetime.combine(ANCHOR_MONDAY, time()) - _TICK, None), None)
        if first is None:
            return []
        midnight = datetime.combine(first.date(), time())
        return list(self._walls(midnight - _TICK, midnight + timedelta(days=1) - _TICK))

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


def _build_triggers(rule: Rule) -> tuple[CronTrigger, ...]:
    def make(day: str, weekdays: frozenset[int] | None) -> CronTrigger:
        dow = "*" if weekdays is None else compress(sorted(weekdays), APS_DAYS)
        return CronTrigger(
            year="*", month=rule.month, day=day, week="*", day_of_week=dow,
            hour=rule.hour, minute=rule.minute, second=0, timezone=UTC,
        )  # fmt: skip

    if rule.either:
        return make(rule.day, None), make("*", rule.weekdays)
    return (make(rule.day, rule.weekdays),)


def compress(values: list[int], names: tuple[str, ...] | None = None) -> str:
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
