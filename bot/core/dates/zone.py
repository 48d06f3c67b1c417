"""Time zones and DST-safe local wall-clock times.

Why a module of its own: schedules, nudges and meeting times all store a local
wall-clock time and a member's zone, and twice a year some of those times are
ambiguous or do not exist. Resolving them lives here, apart from the text
parsing in :mod:`bot.core.dates.friendly`, so the schedule and nudge modules share one rule.
"""

from __future__ import annotations

import difflib
import functools
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = ["EXAMPLES", "UTC", "local_today", "parse_zone", "resolve_local", "to_zone", "zone"]

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


# -- what people type ------------------------------------------------------------------

_REGIONS = ("Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian", "Antarctica", "Arctic")
_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?$")
EXAMPLES = "Europe/London, Paris, America/New_York, UTC+2"


@functools.cache
def _names() -> tuple[dict[str, str], dict[str, str]]:
    """Every zone by its lower-cased full name, and the regional ones by city (``london``, ``new york``)."""
    full: dict[str, str] = {}
    cities: dict[str, str] = {}
    for name in sorted(available_timezones()):
        full[name.lower()] = name
        region, _, city = name.partition("/")
        if region in _REGIONS and city:
            for key in {city.lower(), city.rsplit("/", 1)[-1].lower()}:
                cities.setdefault(key.replace("_", " "), name)
    return full, cities


def parse_zone(text: str) -> str:
    """The IANA name for a time zone as people type it: ``London``, ``europe/london``,
    ``Europe/London``, ``New York``, ``UTC``, ``UTC+2``, ``GMT-5``.

    A whole-hour offset becomes the fixed zone ``Etc/GMT-2`` (IANA's sign is
    reversed); a city is better, since it follows daylight saving.

    Raises:
        ValueError: a plain sentence for the person, with a suggestion when one is close.
    """
    typed = " ".join(text.strip().split())
    probe = typed.lower().replace(" ", "_")
    if not typed:
        raise ValueError(f"Give a time zone: a city or a name such as {EXAMPLES}.")
    full, cities = _names()
    if probe in full:
        return full[probe]
    city = typed.lower().replace("_", " ")
    if city in cities:
        return cities[city]
    m = _OFFSET.match(typed.lower())
    if m and len(typed) <= 12:
        sign, hours, minutes = m.groups()
        if sign is None:
            return "UTC"
        h, mins = int(hours), int(minutes or 0)
        if mins or h > (12 if sign == "-" else 14):
            raise ValueError(f"I can't keep the offset `{typed}` on its own; give your city instead (for example Asia/Kolkata for UTC+5:30).")
        return "UTC" if h == 0 else f"Etc/GMT{'-' if sign == '+' else '+'}{h}"
    close = difflib.get_close_matches(city, list(cities), n=1, cutoff=0.75) or difflib.get_close_matches(probe, list(full), n=1, cutoff=0.75)
    name = (cities.get(close[0]) or full.get(close[0])) if close else None
    hint = f" Did you mean {name}?" if name else f" Try a city or a name such as {EXAMPLES}."
    raise ValueError(f"`{typed[:64]}` is not a time zone I know.{hint}")
