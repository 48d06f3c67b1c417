"""Which nudges are due for whom, and whether one may go now: pure rules.

Everything here takes plain data and ``now`` (no database, no clock), so the
hourly run, the facilitator's preview and the tests all ask the same
questions. The limits that protect members live here too: a weekly cap
across all rules, quiet hours in the member's own zone (a nudge waits for
the next allowed hour), pauses and opt-outs, and never raising again what a
member answered or dismissed ("contrived collegiality" is what we avoid).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from bot.core import markup
from bot.core.dates.zone import zone
from bot.core.dates.friendly import resolve_local
from bot.flows.practices.cards import MODE_LABELS, OUTCOME_LABELS
from bot.core.availability import is_quiet

__all__ = [
    "DEFAULT_CAP", "RULES", "Item", "MeetingInfo", "CommitmentInfo", "PairInfo", "Person", "Sent", "Snapshot",
    "StealInfo", "blocked", "cap_used", "combined_text", "due_items", "eligible", "local_when", "next_meeting",
    "plan_member", "rule_on", "simulate",
]  # fmt: skip

RULES: dict[str, str] = {
    "commitment": "a commitment due before the next meeting: done, still going or drop it (a few days before the meeting)",
    "pair": "a pair or trio that hasn't met yet, with the next meeting or round a few days away",
    "steal": "\"how did it go?\" when a steal's follow-up falls due",
    "before_meeting": "\"bring one thing you tried\", a few days before each meeting, with the member's open commitments",
    "after_meeting": "the after-meeting reflection, a few hours after each meeting (when that reflection is set up)",
}
DEFAULT_CAP = 2
CAP_WINDOW = timedelta(days=7)
SNOOZE = timedelta(days=7)
LEAD = timedelta(days=3)  # commitment, pair and before-meeting nudges: so they can arrive together
PAIR_MIN_AGE = timedelta(days=5)  # give a new pair time to meet before asking
PAIR_ASKED_RECENTLY = timedelta(days=4)  # the pairing flow's own "did you meet?" is enough then
AFTER_MEETING_DELAY = timedelta(hours=3)
AFTER_MEETING_WINDOW = timedelta(days=3)
DUE_DAY_TIME = time(9, 0)  # without a meeting, a commitment is asked about on its due date


@dataclass(frozen=True)
class Person:
    id: int
    name: str = ""
    tz: str = "UTC"
    quiet_hours: str = "20:00-08:00"
    quiet_weekends: bool = True
    paused_until: datetime | None = None
    opted_out: tuple[str, ...] = ()
    unreachable: bool = False


@dataclass(frozen=True)
class MeetingInfo:
    id: int
    starts_at: datetime
    title: str
    link: str | None = None


@dataclass(frozen=True)
class CommitmentInfo:
    id: int
    member_id: int
    text: str
    due_date: date | None


@dataclass(frozen=True)
class PairInfo:
    group_id: int
    members: tuple[int, ...]
    waiting: tuple[int, ...]  # members who have not said "met" or "won't"
    ran_at: datetime
    next_round: datetime | None = None
    followup_at: datetime | None = None
    followup_sent: bool = False


@dataclass(frozen=True)
class StealInfo:
    id: int
    member_id: int
    title: str
    mode: str
    follow_up_due: datetime


@dataclass(frozen=True)
class Sent:
    """A past nudge item (from the log)."""

    subject: str
    rule: str
    batch: str
    sent_at: datetime
    outcome: str | None = None
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class Item:
    """One thing to nudge a member about; several go out as one message."""

    rule: str
    subject: str
    member_id: int
    due_at: datetime
    expires_at: datetime | None
    text: str
    answers: tuple[tuple[str, str], ...] = ()  # (button label, answer code)


@dataclass
class Snapshot:
    """Everything the rules read about one network, as plain data."""

    people: dict[int, Person]
    meetings: list[MeetingInfo] = field(default_factory=list)  # scheduled, by start
    commitments: list[CommitmentInfo] = field(default_factory=list)  # open ones
    pairs: list[PairInfo] = field(default_factory=list)
    steals: list[StealInfo] = field(default_factory=list)
    after_meeting_on: bool = False
    rules: dict[str, bool] = field(default_factory=dict)
    cap: int = DEFAULT_CAP
    history: dict[int, list[Sent]] = field(default_factory=dict)


# -- small questions ------------------------------------------------------------------


def rule_on(rules: dict[str, bool], rule: str) -> bool:
    return bool(rules.get(rule, True))


def local_when(at: datetime, tz: str) -> str:
    """ "Thu 3 Dec at 14:00", on the reader's clock."""
    local = at.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def next_meeting(meetings: list[MeetingInfo], now: datetime) -> MeetingInfo | None:
    return next((m for m in sorted(meetings, key=lambda m: m.starts_at) if m.starts_at > now), None)


def blocked(person: Person, now: datetime, rule: str | None = None) -> str | None:
    """Why nothing may reach ``person`` now (None: a nudge may go)."""
    if person.unreachable:
        return "unreachable"
    if person.paused_until is not None and person.paused_until > now:
        return "paused"
    if "nudges" in person.opted_out or (rule and f"nudges:{rule}" in person.opted_out):
        return "opted out"
    if is_quiet(now.astimezone(zone(person.tz)), person.quiet_hours, person.quiet_weekends):
        return "quiet hours"
    return None


def cap_used(history: list[Sent], now: datetime) -> int:
    """Nudge messages (not items) in the last seven days, across every rule."""
    return len({s.batch for s in history if now - CAP_WINDOW < s.sent_at <= now})


def eligible(history: list[Sent], subject: str, now: datetime) -> bool:
    """Never again once sent, unless the member said "Not now" and the week is up."""
    past = [s for s in history if s.subject == subject]
    if not past:
        return True
    last = max(past, key=lambda s: s.sent_at)
    return last.outcome == "snoozed" and last.snoozed_until is not None and last.snoozed_until <= now


# -- the rules ---------------------------------------------------------------------------


def _commitment_items(snap: Snapshot, person: Person, now: datetime) -> list[Item]:
    meeting = next_meeting(snap.meetings, now)
    tz = zone(person.tz)
    items = []
    for c in snap.commitments:
        if c.member_id != person.id or c.due_date is None:
            continue
        if meeting is not None and c.due_date <= meeting.starts_at.astimezone(tz).date():
            due, expires = meeting.starts_at - LEAD, meeting.starts_at
        elif meeting is None:
            due, expires = resolve_local(datetime.combine(c.due_date, DUE_DAY_TIME), tz), None
        else:
            continue  # due after the next meeting: its turn comes before a later one
        when = f"{c.due_date:%a} {c.due_date.day} {c.due_date:%b}"
        items.append(Item(
            "commitment", f"commitment:{c.id}", person.id, due, expires,
            f"You planned to: _{markup.literal(c.text)}_ (by {when}). How is it going?",
            (("Done", "done"), ("Still going", "going"), ("Drop it", "drop")),
        ))  # fmt: skip
    return items


def _pair_items(snap: Snapshot, person: Person, now: datetime) -> list[Item]:
    meeting = next_meeting(snap.meetings, now)
    items = []
    for p in snap.pairs:
        if person.id not in p.waiting or "pairing" in person.opted_out:
            continue
        horizons = [t for t in (meeting.starts_at if meeting else None, p.next_round) if t and t > now]
        if not horizons:
            continue
        horizon = min(horizons)
        if p.followup_at is not None and (
            (p.followup_sent and now - PAIR_ASKED_RECENTLY < p.followup_at <= now)
            or (not p.followup_sent and p.followup_at <= horizon)
        ):
            continue  # the pairing flow asks "did you meet?" itself around now
        due = max(horizon - LEAD, p.ran_at + PAIR_MIN_AGE)
        others = [snap.people[m].name for m in p.members if m != person.id and m in snap.people]
        who = _join([markup.literal(n or "a member") for n in others]) or "your pair"
        what = "the next meeting" if meeting and horizon == meeting.starts_at else "the next pairing round"
        items.append(Item(
            "pair", f"pair:{p.group_id}", person.id, due, horizon,
            f"You and {who} haven't met yet, and {what} is on {local_when(horizon, person.tz)}. A short call counts.",
            (("We met", "met"), ("Not yet", "not_yet"), ("We won't", "wont")),
        ))  # fmt: skip
    return items


def _steal_items(snap: Snapshot, person: Person, now: datetime) -> list[Item]:
    return [
        Item(
            "steal", f"steal:{s.id}", person.id, s.follow_up_due, None,
            f"A while ago you stole *{markup.literal(s.title)}* ({MODE_LABELS.get(s.mode, s.mode)}). How did it go?",
            tuple((label.capitalize(), value) for value, label in OUTCOME_LABELS.items()),
        )  # fmt: skip
        for s in snap.steals
        if s.member_id == person.id and "practices" not in person.opted_out
    ]


def _before_items(snap: Snapshot, person: Person, now: datetime) -> list[Item]:
    meeting = next_meeting(snap.meetings, now)
    if meeting is None:
        return []
    mine = [c for c in snap.commitments if c.member_id == person.id]
    text = (f"*{markup.literal(meeting.title)}* is on {local_when(meeting.starts_at, person.tz)} (your time)."
            " Bring one thing you tried since last time, however small.")  # fmt: skip
    if meeting.link:
        text += f" Link: {markup.literal(meeting.link)}"
    if mine:
        text += " Your open commitments: " + "; ".join(f"_{markup.literal(c.text)}_" for c in mine[:5])
    stamp = meeting.starts_at.strftime("%Y%m%dT%H%M")
    return [Item("before_meeting", f"meeting:{meeting.id}:{stamp}:before", person.id,
                 meeting.starts_at - LEAD, meeting.starts_at, text)]  # fmt: skip


def _after_items(snap: Snapshot, person: Person, now: datetime) -> list[Item]:
    if not snap.after_meeting_on or "reflection" in person.opted_out:
        return []
    done = [m for m in snap.meetings if m.starts_at + AFTER_MEETING_DELAY <= now < m.starts_at + AFTER_MEETING_WINDOW]
    return [
        Item("after_meeting", f"meeting:{m.id}:after", person.id, m.starts_at + AFTER_MEETING_DELAY,
             m.starts_at + AFTER_MEETING_WINDOW,
             f"How did *{markup.literal(m.title)}* go? A short after-meeting reflection is ready when you are.",
             (("Reflect now", "reflect"),))  # fmt: skip
        for m in done[-1:]
    ]


_RULE_ITEMS = {
    "commitment": _commitment_items,
    "pair": _pair_items,
    "steal": _steal_items,
    "before_meeting": _before_items,
    "after_meeting": _after_items,
}


def due_items(snap: Snapshot, person: Person, now: datetime) -> list[Item]:
    """What is due for ``person`` at ``now``: rules on, not opted out, not already raised."""
    history = snap.history.get(person.id, [])
    found = []
    for rule, make in _RULE_ITEMS.items():
        if not rule_on(snap.rules, rule) or f"nudges:{rule}" in person.opted_out:
            continue
        for item in make(snap, person, now):
            if item.due_at <= now and (item.expires_at is None or now < item.expires_at) and eligible(history, item.subject, now):
                found.append(item)
    return found


def plan_member(snap: Snapshot, person: Person, now: datetime) -> tuple[list[Item], str | None]:
    """The items to send ``person`` now as one message, or ([], why they wait)."""
    if person.unreachable or (person.paused_until and person.paused_until > now) or "nudges" in person.opted_out:
        return [], blocked(person, now)
    items = due_items(snap, person, now)
    if not items:
        return [], None
    why = blocked(person, now)
    if why:
        return [], why
    if cap_used(snap.history.get(person.id, []), now) >= snap.cap:
        return [], "weekly cap"
    return items, None


def simulate(snap: Snapshot, start: datetime, *, hours: int = 7 * 24) -> list[tuple[int, datetime, list[Item]]]:
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
                history.setdefault(person.id, []).extend(
                    Sent(i.subject, i.rule, f"preview:{at.isoformat()}", at) for i in items
                )
    return planned


def combined_text(items: list[Item]) -> str:
    """One message for all due items (numbered when there are several)."""
    if len(items) == 1:
        return f"*A gentle nudge*\n{items[0].text}"
    lines = [f"*A gentle nudge* ({len(items)} things, all in one message)"]
    lines += [f"{n}. {item.text}" for n, item in enumerate(items, start=1)]
    return "\n".join(lines)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""
