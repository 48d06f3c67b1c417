"""Time zones and DST-safe local wall-clock times.

Why a module of its own: schedules, nudges and meeting times all store a local
wall-clock time and a member's zone, and twice a year some of those times are
ambiguous or do not exist. Resolving them lives here, apart from the text
parsing in :mod:`bot.core.dates.friendly`, so the schedule and nudge modules share one rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["UTC", "local_today", "resolve_local", "to_zone", "zone"]

UTC = UTC


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


def local_today(now: datetime, tz: tzinfo | str) -> date:
    """The calendar date of ``now`` in ``tz``; relative dates count from it.

    Raises:
        ValueError: when ``now`` is naive, or ``tz`` is unknown.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(to_zone(tz)).date()


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """A ZoneInfo for ``name``, falling back rather than failing on bad data."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (KeyError, ValueError):
                continue
    return ZoneInfo("UTC")
