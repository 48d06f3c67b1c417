"""May this member get an unprompted message now? One answer for every flow.

Quiet hours, weekends, a pause, opt-outs and reachability are the member's
limits, not a flow's: prompts, reminders, follow-ups, nudges and digests all
ask :func:`blocked` (or :func:`is_quiet` for a moment in the future), so a
limit set once holds for every message. A message that may not go now is
not dropped but waits: :func:`next_allowed` says when it may go, in the
member's own zone, and :func:`answer_window_end` how long a prompt sent then
stays open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.dates.zone import zone
from bot.core.messages import Choice
from bot.store.models import Member, Network

__all__ = [
    "CAP_RULE", "GAP", "WEEKLY_CAP", "weekly_cap", "PAUSE_FOR", "PAUSE_MENU", "STOP", "START", "Person", "answer_window_end", "blocked", "held_back", "is_quiet", "message_gap",
    "next_allowed", "opted_out", "pause_choice", "spaced", "stop_choice",
]  # fmt: skip

# One tap to stop, on any unprompted message: the members flow answers these
# buttons, so every flow offers the same pause and opt-outs without knowing it.
PAUSE_MENU = "member.pause_menu"
PAUSE_FOR = "member.pause"
STOP = "member.stop"
START = "member.start"


def pause_choice() -> Choice:
    """ "Pause until…": offers a dated pause of everything (a week, two weeks, a month)."""
    return Choice("Pause until…", PAUSE_MENU, "")


def stop_choice(key: str, label: str) -> Choice:
    """Opt out of one flow (``key`` as the flows check it: "pairing", "practices", "reflection")."""
    return Choice(label, STOP, key)


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


def _quiet_end(local: datetime, quiet_hours: str | None, quiet_weekends: bool) -> datetime:
    """The next wall-clock moment after ``local`` (quiet) where this stretch of quiet may end."""
    if quiet_weekends and local.weekday() >= 5:
        return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = _hhmm((quiet_hours or "").partition("-")[2])
    if end is None:
        return local + timedelta(hours=1)
    at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)


def next_allowed(person: Person, after: datetime) -> datetime:
    """The first moment at or after ``after`` outside the member's quiet hours and weekends.

    Quiet time defers a message rather than dropping it: a prompt due at
    23:00 goes at 08:00, one due on Saturday goes on Monday morning, each in
    the member's own zone. Pause and opt-outs are not waited out here (they
    mean "not this one"; see :func:`blocked`).
    """
    tz = zone(person.tz)
    local = after.astimezone(tz)
    for _ in range(30):  # a week of nights and a weekend, with room to spare
        if not is_quiet(local, person.quiet_hours, person.quiet_weekends):
            return local.astimezone(after.tzinfo) if local != after else after
        local = _quiet_end(local.replace(tzinfo=None), person.quiet_hours, person.quiet_weekends).replace(tzinfo=tz)
    return after  # quiet all the time ("00:00-23:59" and weekends): never wait forever


GAP = timedelta(hours=2)
WEEKLY_CAP = 4  # every unprompted message counts: the weekly prompt and its reminder leave two for nudges
CAP_RULE = (
    "Every message a member did not ask for counts towards the weekly cap: the prompts they signed up for, pairing "
    'introductions and digests always go; nudges and follow-ups ("did you meet?", "how did it go?") go only while '
    "the week has room, and otherwise wait. Two such messages are at least two hours apart."
)


def weekly_cap(network: Network) -> int:
    """The most unprompted messages a member gets in seven days (the network's ``nudge_cap``, a persisted name).

    The cap is on what reaches the member, whichever flow sends it; only the
    optional messages (nudges, which carry every follow-up) wait for it.
    """
    try:
        return max(0, int((network.settings or {}).get("nudge_cap", WEEKLY_CAP)))
    except (TypeError, ValueError):
        return WEEKLY_CAP


def message_gap(network: Network) -> timedelta:
    """The least time between two unprompted messages to one member: the network's
    ``message_gap_hours`` setting, else :data:`GAP` (0 turns spacing off)."""
    try:
        hours = float((network.settings or {}).get("message_gap_hours", GAP.total_seconds() / 3600))
    except (TypeError, ValueError):
        return GAP
    return timedelta(hours=max(0.0, min(hours, 24.0)))


def spaced(person: Person, after: datetime, others: Iterable[datetime], gap: timedelta = GAP) -> datetime:
    """The first allowed moment at or after ``after`` at least ``gap`` away from each of ``others``.

    ``others`` are the member's other unprompted messages (sent lately or
    queued for later). Around a meeting a member otherwise got the weekly
    prompt, the after-meeting prompt and a nudge within one hour: a burst.
    The later one is spaced rather than merged with the earlier: each message
    has its own buttons, key and answer window, and a flow need not know
    another's words to wait its turn. It still lands in allowed hours
    (:func:`next_allowed`), so a gap that runs into the night waits for the morning.
    """
    at = next_allowed(person, after)
    if gap <= timedelta(0):
        return at
    times = sorted(others)
    for _ in range(len(times) + 30):
        clash = next((t for t in times if abs(at - t) < gap), None)
        if clash is None:
            return at
        later = next_allowed(person, clash + gap)
        if later <= at:
            return at  # quiet all the time: never wait forever
        at = later
    return at


def answer_window_end(person: Person, sent_at: datetime, hours: int) -> datetime:
    """When a prompt sent at ``sent_at`` with a ``hours``-hour answer window closes.

    The hours count on days the member may be messaged: a quiet weekend does
    not eat the window. So the default (every Friday 16:00, 48 hours) stays
    open until Tuesday 16:00 for a member with quiet weekends, and its one
    reminder can come on Monday, not at 20:00 on Friday (quiet) or never.
    Nights still count: the reminder waits for the morning instead.
    """
    if not person.quiet_weekends:
        return sent_at + timedelta(hours=hours)
    tz = zone(person.tz)
    local = sent_at.astimezone(tz).replace(tzinfo=None)
    left = timedelta(hours=hours)
    while True:
        if local.weekday() >= 5:
            local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            continue
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        if local + left <= midnight:
            return (local + left).replace(tzinfo=tz).astimezone(sent_at.tzinfo)
        left -= midnight - local
        local = midnight


def held_back(members: list[Member], network: Network, next_run) -> tuple[int, str | None]:
    """How many ``members`` a schedule's next run would reach in their quiet time, and when most get it instead.

    ``next_run(tz) -> datetime | None`` is the schedule's next run seen from a zone
    (a schedule in members' own zones runs at their local time). The same rule as
    sending (:func:`next_allowed`), so a facilitator who picks 23:00 or a Saturday
    learns what members will see: "most on Tue 08:00", their time.
    """
    later: dict[str, int] = {}
    for m in members:
        person = Person.of(m, network)
        tz = zone(person.tz, network.timezone)
        nxt = next_run(tz)
        if nxt is None:
            continue
        at = next_allowed(person, nxt)
        if at > nxt:
            local = at.astimezone(tz)
            key = f"{local:%a} {local:%H:%M}"
            later[key] = later.get(key, 0) + 1
    if not later:
        return 0, None
    return sum(later.values()), max(later, key=later.get)
