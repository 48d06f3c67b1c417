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

from bot.scheduling.cron import looks_like_cron, parse_cron
from bot.scheduling.friendly import parse_friendly
from bot.scheduling.rule import Schedule, ScheduleError

__all__ = ["parse_schedule"]


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
    rule, canonical, description = parse_cron(cleaned) if looks_like_cron(cleaned) else parse_friendly(cleaned)
    return Schedule(canonical, rule, description)
