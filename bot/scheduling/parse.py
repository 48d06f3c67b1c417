"""Schedules facilitators type in slash commands, and when they fire.

Two notations are accepted (see :func:`parse_schedule`): standard 5-field cron
("0 16 * * FRI") and friendly English ("every friday at 4pm"). Both become
wall-clock rules that are evaluated in a time zone chosen at evaluation time,
so one network schedule fires at 16:00 for each member's own clock.

This is the public entry point. The parts live next to it:
:mod:`bot.scheduling.cron` (cron parsing and validation),
:mod:`bot.scheduling.friendly` (friendly English) and :mod:`bot.scheduling.rule`
(the :class:`Schedule` object and its DST-aware occurrence arithmetic).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from itertools import pairwise

from bot.scheduling.cron import looks_like_cron, parse_cron
from bot.scheduling.friendly import parse_friendly
from bot.scheduling.rule import Schedule, ScheduleError

__all__ = ["TOO_OFTEN", "parse_facilitator_schedule", "parse_schedule"]

TOO_OFTEN = "a schedule may run at most once a day, e.g. `every friday 16:00` or `every day 09:00`."


@functools.lru_cache(maxsize=1024)
def parse_schedule(text: str) -> Schedule:
    """Parse a schedule typed by a facilitator.

    Parsed once per text (a :class:`Schedule` is immutable): every tick reads
    every flow's schedule, and a Schedule remembers its last answer, which the
    next tick's question mostly reuses. A text that does not parse is not kept.

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
    rule, canonical, description = parse_cron(cleaned) if looks_like_cron(cleaned) else parse_friendly(cleaned)
    return Schedule(canonical, rule, description)


def parse_facilitator_schedule(text: str) -> Schedule:
    """Parse a schedule a facilitator typed for a flow that messages people.

    Like :func:`parse_schedule`, but a schedule that runs more than once a day
    is refused: one typo ("*/5 * * * *") would otherwise send a prompt to every
    member twelve times an hour. The bot's own hourly flows (reminders, nudges,
    follow-ups) are not typed by anyone and keep using :func:`parse_schedule`.

    Raises:
        ScheduleError: saying how often it would run and what is allowed.
    """
    schedule = parse_schedule(text)
    times = schedule.times_in_a_day()
    if len(times) > 1:
        raise ScheduleError(f"{_how_often(times)}: {TOO_OFTEN}")
    return schedule


def _how_often(times: list[datetime]) -> str:
    gaps = [b - a for a, b in pairwise(times)]
    first, last, closest = times[0], times[-1], min(gaps)
    if len(set(gaps)) == 1 and last - first + closest == timedelta(days=1):
        return f"That runs every {_span(closest, one='')}"
    if len(times) == 2:
        return f"That runs twice a day, at {first:%H:%M} and {last:%H:%M}"
    if len(set(gaps)) == 1:
        return f"That runs {len(times)} times a day, every {_span(closest, one='')} from {first:%H:%M} to {last:%H:%M}"
    return f"That runs {len(times)} times a day, {_span(closest)} apart at the closest"


def _span(gap: timedelta, one: str = "1 ") -> str:
    """5 minutes, 1 hour (or "hour" with ``one=""``), 2 hours, 90 minutes."""
    minutes = int(gap.total_seconds() // 60)
    count, unit = (minutes // 60, "hour") if minutes % 60 == 0 else (minutes, "minute")
    return f"{one}{unit}" if count == 1 else f"{count} {unit}s"
