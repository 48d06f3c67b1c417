"""Pairs as a follow-up source: a pair or trio that hasn't met, with the next meeting or round near.

The pairing flow asks "did you meet?" itself a few days before the next round
(:mod:`bot.flows.pairing.met`); this source covers the time between, so
a pair still waiting when the next meeting (or round) is three days away is
asked once, with the other nudges of that day. It stays quiet when the
pairing flow is asking around the same time, and gives a new pair five days
to meet first. The answer is the same "we met / not yet / we won't" the
pairing flow records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import false
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, exists, select

from bot.core import markup
from bot.core.availability import Person
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.followups import LEAD, FollowUp, FollowUpSource, World, local_when, subject_id
from bot.core.router import Router
from bot.flows.pairing.met import group_status
from bot.scheduling.parse import parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.models import Flow
from bot.store.nudges import raised, subject_sql
from bot.store.pairing import MetStatus, PairGroup, PairingRound, PairMember, answer_met

__all__ = ["SOURCE", "PairInfo", "due", "load", "members", "register_follow_up"]

RULE = "pair"
SUBJECT = "pair:"  # and the group's id: persisted in the nudge log
PAIR_MIN_AGE = timedelta(days=5)  # give a new pair time to meet before asking
PAIR_ASKED_RECENTLY = timedelta(days=4)  # the pairing flow's own "did you meet?" is enough then
ANSWERS = (("We met", "met"), ("Not yet", "not_yet"), ("We won't", "wont"))
STATUSES = {"met": MetStatus.MET.value, "not_yet": MetStatus.NOT_YET.value, "wont": MetStatus.WONT.value}
WAITING = (MetStatus.PENDING.value, MetStatus.NOT_YET.value)  # not "met", "won't" or rematched: still to meet
NOTES = {"met": "You met: thank you!", "not_yet": "Not yet: there's still time.", "wont": "Noted: you'll meet someone new next round."}


@dataclass(frozen=True)
class PairInfo:
    """A group of the latest round that some of its members say has not met yet."""

    group_id: int
    members: tuple[int, ...]
    waiting: tuple[int, ...]  # members who have not said "met" or "won't" (in the hourly run: nor been asked)
    ran_at: datetime
    next_round: datetime | None = None
    followup_at: datetime | None = None
    followup_sent: bool = False


def load(session: Session, world: World) -> dict[int, list[PairInfo]]:
    """The groups still waiting to meet in each running pairing flow's latest round, by waiting member.

    A round is read only once its follow-up may fall due (a few days before the next
    meeting or round, and not in a new pair's first days), so most hours read no group;
    the hourly run leaves out members already asked about their group.
    """
    network, now = world.network, world.now
    meeting = world.next_meeting(now)
    out: dict[int, list[PairInfo]] = {}
    flows = session.exec(select(Flow).where(Flow.network_id == network.id, Flow.kind == "pairing", Flow.enabled == True)).all()  # noqa: E712
    for flow in flows:
        rnd = session.exec(select(PairingRound).where(PairingRound.flow_id == flow.id)
                           .order_by(col(PairingRound.number).desc())).first()  # fmt: skip
        if rnd is None:
            continue
        next_round = None
        if flow.schedule:
            try:
                next_round = parse_schedule(flow.schedule).next_after(now, network.timezone)
            except ScheduleError:
                pass
        horizons = [t for t in (meeting.starts_at if meeting else None, next_round) if t and t > now]
        if not world.horizon and (not horizons or max(min(horizons) - LEAD, rnd.ran_at + PAIR_MIN_AGE) > now
                                  or _flow_asks(rnd.followup_at, rnd.followup_sent, min(horizons), now)):  # fmt: skip
            continue  # nothing of this round is due this hour
        by_group: dict[int, list[tuple[int, str, bool]]] = {}  # (member, met, asked already) of each open group
        for group_id, member_id, met, asked in session.exec(_open_groups(network.id, rnd.id, now, preview=bool(world.horizon))):
            by_group.setdefault(group_id, []).append((member_id, met, bool(asked)))
        for group_id, mine in by_group.items():
            waiting = tuple(m for m, met, asked in mine if met in WAITING and not asked)
            if len(mine) > 1 and waiting:
                info = PairInfo(group_id, tuple(m for m, _, _ in mine), waiting, rnd.ran_at, next_round, rnd.followup_at, rnd.followup_sent)
                for member_id in waiting:
                    out.setdefault(member_id, []).append(info)
    return out


def _flow_asks(followup_at: datetime | None, followup_sent: bool, horizon: datetime, now: datetime) -> bool:
    """Whether the pairing flow asks the round "did you meet?" itself around ``now`` (before ``horizon``, or did lately)."""
    if followup_at is None:
        return False
    return (followup_sent and now - PAIR_ASKED_RECENTLY < followup_at <= now) or (not followup_sent and followup_at <= horizon)


def _open_groups(network_id: int, round_id: int, now: datetime, *, preview: bool):
    """The members of the round's groups that have not met (nor will), as rows: (group, member, met, asked already).

    The hourly run reads only the groups where someone waiting has not been asked:
    the pairs at a member's weekly cap, or in their quiet hours, not the whole round again.
    A preview plans with the history instead, so nobody counts as asked here.
    """
    asked = false() if preview else raised(network_id, PairMember.member_id, subject_sql(SUBJECT, PairMember.group_id), now)
    query = (
        select(PairMember.group_id, PairMember.member_id, PairMember.met, asked)
        .join(PairGroup, col(PairGroup.id) == col(PairMember.group_id))
        .where(PairMember.round_id == round_id, col(PairGroup.status).not_in((MetStatus.MET.value, MetStatus.WONT.value)),
               PairMember.met != MetStatus.REMATCHED.value)
        .order_by(col(PairMember.group_id), col(PairMember.id))
    )  # fmt: skip
    if preview:
        return query
    other = aliased(PairMember)
    still = raised(network_id, other.member_id, subject_sql(SUBJECT, other.group_id), now)
    return query.where(exists().where(other.group_id == PairMember.group_id, col(other.met).in_(WAITING), ~still))


def due(pairs: dict[int, list[PairInfo]], person: Person, world: World, now: datetime) -> list[FollowUp]:
    meeting = world.next_meeting(now)
    items = []
    for p in pairs.get(person.id, ()):
        horizons = [t for t in (meeting.starts_at if meeting else None, p.next_round) if t and t > now]
        if not horizons:
            continue
        horizon = min(horizons)
        if _flow_asks(p.followup_at, p.followup_sent, horizon, now):
            continue
        due_at = max(horizon - LEAD, p.ran_at + PAIR_MIN_AGE)
        others = [world.people[m].name for m in p.members if m != person.id and m in world.people]
        who = _join([markup.literal(n or "a member") for n in others]) or "your pair"
        what = "the next meeting" if meeting and horizon == meeting.starts_at else "the next pairing round"
        items.append(FollowUp(
            RULE, f"{SUBJECT}{p.group_id}", person.id, due_at, horizon,
            f"You and {who} haven't met yet, and {what} is on {local_when(horizon, person.tz)}. A short call counts.",
            ANSWERS,
        ))  # fmt: skip
    return items


def members(pairs: dict[int, list[PairInfo]], world: World) -> set[int]:
    """The waiting members and their partners (the text names the partners)."""
    return {m for infos in pairs.values() for p in infos for m in p.members}


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def answers(subject: str) -> tuple[tuple[str, str], ...]:
    return ANSWERS


def apply(ctx: Context, subject: str, code: str) -> str:
    group_id = subject_id(subject)
    rows = list(ctx.session.exec(select(PairMember).where(PairMember.group_id == group_id)))
    mine = next((r for r in rows if r.member_id == ctx.member.id), None)
    if mine is None or code not in STATUSES:
        raise UserError("That pairing round has moved on.")
    answer_met(ctx.session, mine, STATUSES[code], ctx.now)
    group = ctx.session.get(PairGroup, group_id)
    group.status = group_status(rows)
    ctx.session.add(group)
    return NOTES[code]


SOURCE = FollowUpSource(
    rule=RULE,
    description="a pair or trio that hasn't met yet, with the next meeting or round a few days away",
    load=load, due=due, answers=answers, apply=apply, members=members, opt_out="pairing", order=20,
)  # fmt: skip


def register_follow_up(router: Router) -> None:
    """What the nudges follow up for the pairing flow (called from the pairing flow's ``register``)."""
    router.follow_up(SOURCE)
