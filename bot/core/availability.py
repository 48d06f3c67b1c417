"""May this member get an unprompted message now? One answer for every flow.

Quiet hours, weekends, a pause, opt-outs and reachability are the member's
limits, not a flow's: prompts, reminders, follow-ups, nudges and digests all
ask :func:`blocked` (or :func:`is_quiet` for a moment in the future), so a
limit set once holds for every message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from bot.core.dates.zone import zone
from bot.store.models import Member, Network

__all__ = ["Person", "blocked", "is_quiet", "opted_out"]


@dataclass(frozen=True)
class Person:
    """A member's limits as plain data, so pure rules can ask about them."""

    id: int
    name: str = ""
    tz: str = "UTC"
    quiet_hours: str = "20:00-08:00"
    quiet_weekends: bool = True
    paused_until: datetime | None = None
    opted_out: tuple[str, ...] = ()
    unreachable: bool = False

    @classmethod
    def of(cls, member: Member, network: Network) -> Person:
        return cls(
            id=member.id,
            name=member.display_name,
            tz=member.timezone or network.timezone,
            quiet_hours=member.quiet_hours,
            quiet_weekends=member.quiet_weekends,
            paused_until=member.paused_until,
            opted_out=tuple(member.opted_out or ()),
            unreachable=member.unreachable,
        )


def _hhmm(text: str) -> time | None:
    m = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*", text)
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return time(int(m[1]), int(m[2]))


def is_quiet(local: datetime, quiet_hours: str | None, quiet_weekends: bool) -> bool:
    """Whether ``local`` (the member's wall clock) falls in their quiet time.

    ``quiet_hours`` is "20:00-08:00" (may wrap midnight); an unreadable or
    empty value means no quiet hours rather than an error.
    """
    if quiet_weekends and local.weekday() >= 5:
        return True
    start_text, _, end_text = (quiet_hours or "").partition("-")
    start, end = _hhmm(start_text), _hhmm(end_text)
    if start is None or end is None or start == end:
        return False
    now = local.time()
    if start < end:
        return start <= now < end
    return now >= start or now < end


def opted_out(person: Person, *keys: str) -> bool:
    """Whether the member said no to any of ``keys`` (a flow such as "pairing", or "nudges:pair")."""
    return any(k and k in person.opted_out for k in keys)


def blocked(person: Person, now: datetime, *keys: str) -> str | None:
    """Why nothing unprompted may reach ``person`` now, or None when it may.

    ``keys`` are the opt-outs that apply to this message (its flow, its rule);
    the reasons are "unreachable", "paused", "opted out" and "quiet hours".
    """
    if person.unreachable:
        return "unreachable"
    if person.paused_until is not None and person.paused_until > now:
        return "paused"
    if opted_out(person, *keys):
        return "opted out"
    if is_quiet(now.astimezone(zone(person.tz)), person.quiet_hours, person.quiet_weekends):
        return "quiet hours"
    return None
