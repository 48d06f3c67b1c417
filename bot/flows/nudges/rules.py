"""Which follow-ups go to whom, and whether a nudge may go now: the pure planner.

The flows say what is due (each registered :class:`FollowUpSource`); the
planner keeps the limits that protect members, the same for every rule: the
network's rule switches, the member's opt-outs ("nudges", "nudges:<rule>"
and the source's own flow), never raising again what a member answered or
dismissed (a "Not now" comes back after a week), pauses and quiet hours in
the member's own zone (a nudge waits for the next allowed hour), the gap
after any other unprompted message, and a weekly cap on every unprompted
message, whichever flow sent it ("contrived collegiality" is what we avoid):
the scheduled prompts a member signed up for, pairing introductions and
digests always go and count; nudges (which carry every follow-up) go only
while the week has room, and otherwise wait.
Plain data and ``now`` only (no database, no clock), so the hourly run, the
facilitator's preview and the tests all ask the same questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.availability import WEEKLY_CAP, Person, blocked, opted_out
from bot.core.followups import FollowUp, FollowUpSource, World

__all__ = [
    "DEFAULT_CAP", "SNOOZE", "Sent", "Snapshot", "cap_used", "combined_text", "due_items", "eligible", "plan_member",
    "rule_on", "simulate",
]  # fmt: skip

DEFAULT_CAP = WEEKLY_CAP
CAP_WINDOW = timedelta(days=7)
SNOOZE = timedelta(days=7)


@dataclass(frozen=True)
class Sent:
    """A past nudge item (from the log)."""

    subject: str
    rule: str
    batch: str
    sent_at: datetime
    outcome: str | None = None
    snoozed_until: datetime | None = None


@dataclass
class Snapshot:
    """Everything the planner reads about one network, as plain data."""

    world: World
    sources: list[tuple[FollowUpSource, Any]] = field(default_factory=list)  # in order, each with what it loaded
    rules: dict[str, bool] = field(default_factory=dict)
    cap: int = DEFAULT_CAP
    history: dict[int, list[Sent]] = field(default_factory=dict)
    # the member's other unprompted messages (prompts, reminders, introductions, digests…), sent
    # in the last week or queued: they count towards the cap, and a nudge keeps ``gap`` from each
    unprompted: dict[int, list[datetime]] = field(default_factory=dict)
    gap: timedelta = timedelta(0)
    # each person's items at ``world.now`` (:func:`offered`), when the snapshot already asked the
    # sources for them (the hourly run does, to read the history they need): not asked twice
    offered_now: dict[int, list[FollowUp]] | None = None
    # who a nudge may reach at ``world.now`` (not in quiet hours, paused, opted out or unreachable,
    # and with room in their week), when the hourly run read only their history; None: everyone
    # in ``people`` is planned for
    open_now: frozenset[int] | None = None

    @property
    def people(self) -> dict[int, Person]:
        return self.world.people

    def planned_now(self) -> list[Person]:
        """Whom the hourly run plans for, in member order."""
        return [p for p in self.people.values() if self.open_now is None or p.id in self.open_now]


# -- small questions ------------------------------------------------------------------


def rule_on(rules: dict[str, bool], rule: str) -> bool:
    return bool(rules.get(rule, True))


def cap_used(history: list[Sent], now: datetime, others: list[datetime] = ()) -> int:
    """Unprompted messages in the last seven days: nudge messages (not items), across every
    rule, and ``others``, the member's other unprompted messages (prompts, reminders,
    introductions, follow-ups, digests). The cap is on what reaches the member, whichever flow sent it."""
    return len({s.batch for s in history if now - CAP_WINDOW < s.sent_at <= now}) + sum(1 for t in others if now - CAP_WINDOW < t <= now)


def eligible(history: list[Sent], subject: str, now: datetime) -> bool:
    """Never again once sent, unless the member said "Not now" and the week is up."""
    past = [s for s in history if s.subject == subject]
    if not past:
        return True
    last = max(past, key=lambda s: s.sent_at)
    return last.outcome == "snoozed" and last.snoozed_until is not None and last.snoozed_until <= now


# -- planning ----------------------------------------------------------------------------


def offered(sources: list[tuple[FollowUpSource, Any]], rules: dict[str, bool], person: Person, world: World, now: datetime) -> list[FollowUp]:
    """What the sources offer ``person`` at ``now``, from the rules that are on and they have not opted out of."""
    found = []
    for source, data in sources:
        if not rule_on(rules, source.rule) or opted_out(person, f"nudges:{source.rule}", source.opt_out or ""):
            continue
        found += source.due(data, person, world, now)
    return found


def due_items(snap: Snapshot, person: Person, now: datetime) -> list[FollowUp]:
    """What is due for ``person`` at ``now``: rules on, not opted out, not already raised."""
    history = snap.history.get(person.id, [])
    if snap.offered_now is not None and now == snap.world.now:
        items = snap.offered_now.get(person.id, [])
    else:
        items = offered(snap.sources, snap.rules, person, snap.world, now)
    return [i for i in items if i.due_at <= now and (i.expires_at is None or now < i.expires_at) and eligible(history, i.subject, now)]


def plan_member(snap: Snapshot, person: Person, now: datetime) -> tuple[list[FollowUp], str | None]:
    """The items to send ``person`` now as one message, or ([], why they wait)."""
    why = blocked(person, now, "nudges")
    if why and why != "quiet hours":
        return [], why
    items = due_items(snap, person, now)
    if not items:
        return [], None
    if why:
        return [], why
    history, others = snap.history.get(person.id, []), snap.unprompted.get(person.id, [])
    if cap_used(history, now, others) >= snap.cap:
        return [], "weekly cap"  # optional: they stay due, and go when the week has room (or expire)
    if snap.gap and any(abs(t - now) < snap.gap for t in [*others, *(s.sent_at for s in history)]):
        return [], "too soon"  # another unprompted message is near: the next hour asks again
    return items, None


def simulate(snap: Snapshot, start: datetime, *, hours: int = 7 * 24) -> list[tuple[int, datetime, list[FollowUp]]]:
    """Who would be nudged, when and why over the next ``hours`` (hourly runs), sending nothing."""
    history = {k: list(v) for k, v in snap.history.items()}
    sim = replace(snap, history=history)
    first = start.replace(minute=0, second=0, microsecond=0)
    planned = []
    for h in range(hours + 1):
        at = first + timedelta(hours=h)
        if at < start:
            continue
        for person in sim.people.values():
            items, _ = plan_member(sim, person, at)
            if items:
                planned.append((person.id, at, items))
                history.setdefault(person.id, []).extend(Sent(i.subject, i.rule, f"preview:{at.isoformat()}", at) for i in items)
    return planned


def combined_text(items: list[FollowUp]) -> str:
    """One message for all due items (numbered when there are several)."""
    if len(items) == 1:
        return f"*A gentle nudge*\n{items[0].text}"
    lines = [f"*A gentle nudge* ({len(items)} things, all in one message)"]
    lines += [f"{n}. {item.text}" for n, item in enumerate(items, start=1)]
    return "\n".join(lines)
