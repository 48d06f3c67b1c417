"""Learning pairs and visit trios: the pairing round.

A round picks the members who can take part (available, reachable, not
opted out), forms groups with the pure rules in :mod:`bot.flows.pairing.matching`
(seeded per round, so a re-run gives the same groups), stores them and
introduces each group. The follow-up and re-match live in
:mod:`bot.flows.pairing.met`, facilitator commands in
:mod:`bot.flows.pairing.admin`, profiles in :mod:`bot.flows.pairing.profile`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.core.availability import pause_choice, stop_choice
from bot.core.context import Context
from bot.core.dates.zone import zone
from bot.core.messages import Address, Choice, Outgoing
from bot.flows.pairing.matching import Candidate, Group, Weights, form_groups, normalise_tag, recent_pairs
from bot.flows.pairing.text import intro_text
from bot.scheduling.parse import parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.flows import FLOW_OF_KIND
from bot.store.flows import ensure_flow as ensure_companion
from bot.store.models import Flow, Member, Network
from bot.store.pairing import (
    MetStatus,
    PairExclude,
    PairGroup,
    PairingRound,
    PairMember,
    hosted_counts,
    latest_round,
    past_groups,
)

__all__ = [
    "DEFAULTS",
    "FOLLOWUP_KIND",
    "KIND",
    "Plan",
    "REMATCH",
    "SNOOZE",
    "candidate_of",
    "ensure_flow",
    "exclusion_reason",
    "flow_settings",
    "next_round",
    "pairing_flow",
    "plan_round",
    "recent_and_excluded",
    "run_round",
    "weights_of",
]

logger = logging.getLogger(__name__)

KIND = "pairing"
FOLLOWUP_KIND = "pairing_followup"
FOLLOWUP_SCHEDULE = "0 * * * *"  # hourly: sends each round's "Did you meet?" when due
DEFAULTS: dict[str, Any] = {
    "mode": "pairs",
    "group_size": 2,
    "repeat_window": 3,
    "weights": {},
    "followup_days_before_next": 3,
}
NO_SCHEDULE_GAP = timedelta(days=14)  # follow-up timing when a round was run by hand, with no schedule
REMATCH = "pairing.rematch"
RELAY = "pairing.relay"
"""Write to the rest of one's group through the bot; the value is the group's id."""
SNOOZE = "pairing.snooze"


def flow_settings(flow: Flow | None) -> dict[str, Any]:
    return {**DEFAULTS, **((flow.settings if flow else None) or {})}


def weights_of(settings: dict[str, Any]) -> Weights:
    known = {f.name for f in fields(Weights)}
    return Weights(**{k: float(v) for k, v in (settings.get("weights") or {}).items() if k in known})


def pairing_flow(session: Session, network_id: int) -> Flow | None:
    return session.exec(FLOW_OF_KIND, params={"network_id": network_id, "kind": KIND}).first()


def ensure_flow(ctx: Context) -> Flow:
    """The network's pairing flow, created (unscheduled) on first use."""
    flow = pairing_flow(ctx.session, ctx.network.id)
    if flow is None:
        flow = Flow(network_id=ctx.network.id, kind=KIND, name="pairs", schedule=None, settings={},
                    created_at=ctx.now, updated_at=ctx.now, checked_until=ctx.now)  # fmt: skip
        ctx.session.add(flow)
        ctx.session.flush()
    return flow


def _ensure_followup_flow(ctx: Context) -> None:
    ensure_companion(ctx.session, network_id=ctx.network.id, kind=FOLLOWUP_KIND, name="followup",
                schedule=FOLLOWUP_SCHEDULE, now=ctx.now)  # fmt: skip


# -- who takes part ---------------------------------------------------------------


def paused_until_date(member: Member) -> date | None:
    """The date a pairing-only pause (availability ``paused:YYYY-MM-DD``) ends."""
    kind, _, value = (member.availability or "every").partition(":")
    if kind != "paused":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return date.max  # "paused" without a date: until they change it


def exclusion_reason(member: Member, *, now: datetime, today: date, platform: str, in_last_round: bool) -> str | None:
    """Why ``member`` sits this round out, or None when they take part."""
    if member.unreachable:
        return "unreachable"
    if member.is_paused(now):
        return "paused"
    if member.has_opted_out(KIND):
        return "opted out"
    until = paused_until_date(member)
    if until is not None and today < until:
        return "paused from pairing"
    if (member.availability or "").startswith("alternate") and in_last_round:
        return "every other round"
    if platform == "telegram" and not member.has_private_chat:
        return "no private chat with the bot yet"
    return None


def candidate_of(member: Member) -> Candidate:
    return Candidate(
        member_id=member.id,
        organisation=member.organisation,
        wants=frozenset(normalise_tag(t) for t in member.wants_tags or () if t.strip()),
        offers=frozenset(normalise_tag(t) for t in member.offers_tags or () if t.strip()),
    )


@dataclass
class Plan:
    """What a round would do: who takes part, who sits out (and why), the groups."""

    number: int
    seed: str
    mode: str
    members: dict[int, Member]
    groups: list[Group]
    excluded: dict[str, int] = field(default_factory=dict)


def recent_and_excluded(session: Session, network_id: int, flow: Flow, window: int) -> dict[frozenset[int], int]:
    """Pair -> rounds since they last met, a facilitator's excludes counted as last round:
    what a round and a re-match both avoid."""
    recent = recent_pairs(past_groups(session, flow.id, window))
    for a, b in session.exec(select(PairExclude.member_a, PairExclude.member_b).where(PairExclude.network_id == network_id)):
        recent[frozenset((a, b))] = 1  # a facilitator's exclude costs as much as meeting last round
    return recent


def plan_round(session: Session, network: Network, flow: Flow, *, now: datetime, number: int | None = None) -> Plan:
    """Form the next round's groups without storing or sending anything (also the preview)."""
    settings = flow_settings(flow)
    last = latest_round(session, flow.id)
    number = number if number is not None else (last.number + 1 if last else 1)
    in_last: set[int] = set()
    if last is not None:
        in_last = set(session.exec(select(PairMember.member_id).where(PairMember.round_id == last.id)))
    today = now.astimezone(zone(network.timezone)).date()
    members: dict[int, Member] = {}
    excluded: dict[str, int] = {}
    for m in session.exec(select(Member).where(Member.network_id == network.id).order_by(Member.id)):
        why = exclusion_reason(m, now=now, today=today, platform=network.platform, in_last_round=m.id in in_last)
        if why is None:
            members[m.id] = m
        elif m.unreachable_reason != "forgotten":
            excluded[why] = excluded.get(why, 0) + 1
    window = int(settings["repeat_window"])
    mode = settings["mode"] if settings["mode"] in ("pairs", "visit_trios") else "pairs"
    seed = f"{network.id}:{flow.id}:{number}"
    groups = form_groups(
        [candidate_of(m) for m in members.values()],
        weights=weights_of(settings),
        recent=recent_and_excluded(session, network.id, flow, window),
        repeat_window=window,
        seed=seed,
        mode=mode,
        group_size=3 if int(settings["group_size"]) == 3 else 2,
        hosted=hosted_counts(session, flow.id) if mode == "visit_trios" else None,
    )
    return Plan(number=number, seed=seed, mode=mode, members=members, groups=groups, excluded=excluded)


def next_round(flow: Flow, network: Network, after: datetime) -> datetime:
    """When the flow's next round runs (by its schedule; two weeks on when it has none)."""
    nxt = None
    if flow.schedule:
        try:
            nxt = parse_schedule(flow.schedule).next_after(after, network.timezone)
        except ScheduleError:
            nxt = None
    return nxt or after + NO_SCHEDULE_GAP


def followup_due(flow: Flow, network: Network, ran_at: datetime) -> datetime:
    """A few days before the next round (or halfway there when rounds are close)."""
    days = timedelta(days=float(flow_settings(flow)["followup_days_before_next"]))
    nxt = None
    if flow.schedule:
        try:
            nxt = parse_schedule(flow.schedule).next_after(ran_at, network.timezone)
        except ScheduleError:
            nxt = None
    nxt = nxt or ran_at + NO_SCHEDULE_GAP
    due = nxt - days
    return due if due > ran_at else ran_at + (nxt - ran_at) / 2


def intro_outgoing(group: Group, members: dict[int, Member], *, number: int, group_id: int, joined: int | None = None) -> Outgoing:
    reachable = [m for m in group.members if m in members and not members[m].unreachable]
    # a mention reaches a member without a @username on most clients, but not all
    # (their privacy settings decide): then the bot passes messages on
    relay = (Choice("Write to them through me", RELAY, str(group_id)),) if any(not members[m].username for m in reachable) else ()
    return Outgoing(
        text=intro_text(group, members, number=number, joined=joined),
        to=Address.group(reachable),
        # one tap to stop: sit the next round out, stop pairing, or pause everything
        choices=(
            *relay,
            Choice("Someone is unreachable", REMATCH, str(group_id)),
            Choice("Skip next round", SNOOZE, str(group_id)),
            stop_choice(KIND, "Stop pairing me"),
            pause_choice(),
        ),
        header="Your learning pair" if group.host is None else "Your visit",
    )


def run_round(ctx: Context, flow: Flow, *, number: int | None = None, ran_at: datetime | None = None) -> PairingRound | None:
    """Form, store and introduce one round; None when that round number already ran."""
    plan = plan_round(ctx.session, ctx.network, flow, now=ctx.now, number=number)
    ran_at = ran_at or ctx.now
    rnd = PairingRound(network_id=ctx.network.id, flow_id=flow.id, number=plan.number, seed=plan.seed,
                       mode=plan.mode, ran_at=ran_at, followup_at=followup_due(flow, ctx.network, ran_at),
                       candidates=len(plan.members))  # fmt: skip
    try:
        with ctx.session.begin_nested():
            ctx.session.add(rnd)
            ctx.session.flush()  # the unique (flow, number) row is the claim
    except IntegrityError:
        logger.info("pairing round %s of flow %s already ran", plan.number, flow.id)
        return None
    # Core executemany rather than ORM objects: a 10,000-member round is 15,000 rows
    group_ids = ctx.session.execute(
        insert(PairGroup).returning(PairGroup.id, sort_by_parameter_order=True),
        [{"round_id": rnd.id, "host_id": g.host, "score": g.score, "reasons": [list(r) for r in g.reasons],
          "status": MetStatus.PENDING.value, "created_at": ctx.now} for g in plan.groups],
    ).scalars().all() if plan.groups else []  # fmt: skip
    if plan.groups:
        ctx.session.execute(
            insert(PairMember),
            [{"group_id": gid, "round_id": rnd.id, "member_id": m, "met": MetStatus.PENDING.value, "learned": ""}
             for gid, g in zip(group_ids, plan.groups) for m in g.members],
        )  # fmt: skip
    ctx.send_unprompted([  # each introduction waits until its whole group's quiet time is over
        (f"pairing:intro:{rnd.id}:{gid}", intro_outgoing(g, plan.members, number=plan.number, group_id=gid))
        for gid, g in zip(group_ids, plan.groups)
    ], keys=(KIND,))  # fmt: skip
    _ensure_followup_flow(ctx)
    logger.info("pairing round %s of flow %s: %s groups from %s members", plan.number, flow.id, len(group_ids), len(plan.members))
    return rnd


def run(ctx: Context) -> None:
    """The scheduled round."""
    assert ctx.flow is not None
    run_round(ctx, ctx.flow, ran_at=ctx.due_at)
