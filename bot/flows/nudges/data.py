"""Nudge settings, the flow row, and the one read the planner plans from.

Kept apart from sending and from the handlers so the one database read the
planner depends on (:func:`snapshot`: the members, the meetings, what was
already sent, then what each registered source loads for itself) can be read
and changed on its own; the hourly run and the facilitator's preview both
plan from it. The network's rule switches and weekly cap, and the nudges
flow row (:func:`ensure_flow`; :func:`flow_on` answers other flows'
``followups.planned``), live here too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.core.availability import Person, blocked, message_gap, weekly_cap
from bot.core.followups import FollowUpSource, MeetingInfo, World, members_of
from bot.flows.nudges import rules
from bot.store import outbox
from bot.store.db import IN_LIST, in_lists
from bot.store.flows import FLOW_OF_KIND
from bot.store.flows import ensure_flow as ensure_companion
from bot.store.meetings import Meeting, MeetingStatus
from bot.store.models import Member, Network
from bot.store.nudges import NudgeLog

__all__ = ["KIND", "SCHEDULE", "ensure_flow", "flow_on", "network_cap", "network_rules", "snapshot"]

KIND = "nudges"
SCHEDULE = "0 * * * *"


# -- settings and the flow row --------------------------------------------------------------


def network_rules(network: Network, names: Iterable[str]) -> dict[str, bool]:
    """Which of the rules ``names`` are on in the network (all are, until a facilitator turns one off)."""
    saved = (network.settings or {}).get("nudges")
    return {r: bool((saved or {}).get(r, True)) for r in names} if isinstance(saved, dict) or saved is None else {}


def network_cap(network: Network) -> int:
    """The weekly cap, decided with the member's other limits (:func:`bot.core.availability.weekly_cap`)."""
    return weekly_cap(network)


def ensure_flow(session: Session, network_id: int, now: datetime) -> None:
    """The network's hourly nudges flow, created on first use: something to follow up
    (a meeting on the calendar, a commitment, a stolen practice) or a facilitator's nudges command."""
    ensure_companion(session, network_id=network_id, kind=KIND, name="nudges", schedule=SCHEDULE, now=now)


def flow_on(session: Session, network_id: int) -> bool:
    """Whether this flow sends the follow-ups in the network (so the weekly cap and quiet hours apply)."""
    flow = session.exec(FLOW_OF_KIND, params={"network_id": network_id, "kind": KIND}).first()
    return flow is not None and flow.enabled


# -- loading plain data -------------------------------------------------------------------------


def snapshot(
    session: Session, network: Network, now: datetime, sources: list[FollowUpSource], *, horizon: timedelta = timedelta(0)
) -> rules.Snapshot:
    """Everything the planner needs, read once; ``horizon`` reaches ahead for the preview.

    The sources load first (each reads only what may fall due), then only the members
    they name are read, with their nudge history: an hour where nothing is due reads no
    member at all, however large the network.
    """
    since = now - max((s.looks_back for s in sources), default=timedelta(0))
    meetings = session.exec(
        select(Meeting).where(Meeting.network_id == network.id, Meeting.status == MeetingStatus.SCHEDULED.value,
                              col(Meeting.starts_at) > since)
        .order_by(col(Meeting.starts_at))
    ).all()  # fmt: skip
    world = World(network=network, now=now, horizon=horizon, people={},
                  meetings=[MeetingInfo(m.id, m.starts_at, m.title, m.link) for m in meetings])  # fmt: skip
    loaded = [(s, s.load(session, world)) for s in sources]
    wanted: set[int] | None = set()
    for source, data in loaded:
        ids = members_of(source, data, world)
        if ids is None:
            wanted = None
            break
        wanted.update(ids)
    members = _members(session, network.id, wanted)
    world = replace(world, people={m.id: Person.of(m, network) for m in members})
    on = network_rules(network, [s.rule for s in sources])
    gap, cap = message_gap(network), network_cap(network)
    if horizon:  # a preview plans a week ahead for everyone, so it reads every nudge they had
        ids = [m.id for m in members]
        history = _history(session, network.id, wanted, [None]) if ids else {}
        others = _others(session, ids, now)
        offered, now_open = None, None
    else:
        # the hourly run plans only for those a nudge may reach this hour: one in their quiet hours,
        # paused or unreachable gets nothing now whatever the history says, so theirs is not read (the
        # others still see them in ``world.people``: a pair's text names both). Nor does one whose
        # week is full (the cap, from the last week's messages): their items wait, and are not asked for.
        reachable = frozenset(p.id for p in world.people.values() if blocked(p, now, KIND) is None)
        ids = [m.id for m in members if m.id in reachable]
        recent = col(NudgeLog.sent_at) > now - max(rules.CAP_WINDOW, gap)
        history = _history(session, network.id, reachable, [recent]) if ids else {}
        others = _others(session, ids, now)
        now_open = frozenset(i for i in reachable if rules.cap_used(history.get(i, []), now, others.get(i, [])) < cap)
        offered = {i: rules.offered(loaded, on, world.people[i], world, now) for i in now_open}
        # "never twice" reads, of the older nudges, only those about what is offered now
        subjects = sorted({item.subject for items in offered.values() for item in items})
        about = [~recent & col(NudgeLog.subject).in_(chunk) for chunk in in_lists(subjects)]
        for member_id, sent in _history(session, network.id, now_open, about).items():
            history[member_id] = sorted([*history.get(member_id, []), *sent], key=lambda s: s.sent_at)
    return rules.Snapshot(
        world=world,
        sources=loaded,
        rules=on,
        cap=cap,
        history=history,
        unprompted=others,
        gap=gap,
        offered_now=offered,
        open_now=now_open,
    )


NUDGE_KEY = "nudge:"  # the outbox key prefix of nudge messages (bot.flows.nudges.send)


def _members(session: Session, network_id: int, wanted: set[int] | None) -> list:
    """The network's members in ``wanted`` (every member for ``None``), by id: rows of what
    :class:`~bot.core.availability.Person` reads, not whole members (the run reads the few it nudges)."""
    if wanted is not None and not wanted:
        return []
    stmt = select(*_PERSON).where(Member.network_id == network_id)
    if wanted is not None and len(wanted) <= IN_LIST:
        stmt = stmt.where(col(Member.id).in_(wanted))
    found = session.exec(stmt.order_by(Member.id)).all()
    return list(found) if wanted is None or len(wanted) <= IN_LIST else [m for m in found if m.id in wanted]


_PERSON = (Member.id, Member.display_name, Member.timezone, Member.quiet_hours, Member.quiet_weekends,
           Member.paused_until, Member.opted_out, Member.unreachable)  # fmt: skip


def _others(session: Session, ids: list[int], now: datetime) -> dict[int, list[datetime]]:
    """Each member's other unprompted messages of the last week (nudges are in the history):
    one indexed query per 500 members, none for no one."""
    if not ids:
        return {}
    recent = outbox.recent_unprompted(session, ids, since=now - rules.CAP_WINDOW)
    return {member_id: [at for at, key in sent if not key.startswith(NUDGE_KEY)] for member_id, sent in recent.items()}


def _history(session: Session, network_id: int, wanted: Collection[int] | None, where: list) -> dict[int, list[rules.Sent]]:
    """The nudges of members in ``wanted`` (all for None) matching any of ``where`` (None: all), by member, oldest first.

    What the planner reads of each member's past nudges, and no more: the hourly run
    reads the last week's (the cap and the gap), then those about the subjects offered
    now ("never twice"). Older nudges about anything else decide nothing, and they
    grow with every week of the network's history. A preview plans a week ahead
    across meetings, so it reads them all.
    """
    logs = select(*_SENT).where(NudgeLog.network_id == network_id)
    if wanted is not None and len(wanted) <= IN_LIST:
        logs = logs.where(col(NudgeLog.member_id).in_(wanted))
    seen: set[int] = set()
    history: dict[int, list[rules.Sent]] = {}
    for condition in where:
        for log in session.exec((logs if condition is None else logs.where(condition)).order_by(NudgeLog.id)):
            if log.id in seen or (wanted is not None and log.member_id not in wanted):
                continue
            seen.add(log.id)
            history.setdefault(log.member_id, []).append(rules.Sent(log.subject, log.rule, log.batch, log.sent_at, log.outcome, log.snoozed_until))
    for sent in history.values():
        sent.sort(key=lambda s: s.sent_at)
    return history


_SENT = (NudgeLog.id, NudgeLog.member_id, NudgeLog.subject, NudgeLog.rule, NudgeLog.batch, NudgeLog.sent_at, NudgeLog.outcome,
         NudgeLog.snoozed_until)  # fmt: skip
