"""Nudge settings, the flow row, and the plain data the pure rules read.

Kept apart from sending and from the handlers so the one database read the
rules depend on (:func:`snapshot`: people, meetings, commitments, pairs,
steals and what was already sent) can be read and changed on its own; the
hourly run and the facilitator's preview both plan from it. The network's
rule switches and weekly cap, and the nudges flow row other flows ask about
(:func:`ensure_flow`, :func:`takes_over_steals`), live here too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.scheduling.parse import ScheduleError, parse_schedule
from bot.store.flows import ensure_flow as ensure_companion
from bot.store.models import Flow, Member, Network
from bot.store.nudges import NudgeLog
from bot.store.meetings import Meeting, MeetingStatus
from bot.store.pairing import MetStatus, PairGroup, PairingRound, PairMember
from bot.store.practices import Practice, Steal
from bot.store.commitments import Commitment
from bot.flows.nudges import rules
from bot.flows.commitments.commitment import OPEN_STATUSES

__all__ = ["KIND", "SCHEDULE", "ensure_flow", "network_cap", "network_rules", "snapshot", "takes_over_steals"]

KIND = "nudges"
SCHEDULE = "0 * * * *"


# -- settings and the flow row --------------------------------------------------------------


def network_rules(network: Network) -> dict[str, bool]:
    saved = (network.settings or {}).get("nudges")
    return {r: bool((saved or {}).get(r, True)) for r in rules.RULES} if isinstance(saved, dict) or saved is None else {}


def network_cap(network: Network) -> int:
    try:
        return max(0, int((network.settings or {}).get("nudge_cap", rules.DEFAULT_CAP)))
    except (TypeError, ValueError):
        return rules.DEFAULT_CAP


def ensure_flow(session: Session, network_id: int, now: datetime) -> None:
    """The network's hourly nudges flow, created on first use: a meeting on the calendar,
    a commitment, a stolen practice, or a facilitator's nudges command."""
    ensure_companion(session, network_id=network_id, kind=KIND, name="nudges", schedule=SCHEDULE, now=now)


def takes_over_steals(session: Session, network_id: int) -> bool:
    """Whether this flow asks stealers "how did it go?" (so the weekly cap and quiet hours apply)."""
    flow = session.exec(select(Flow).where(Flow.network_id == network_id, Flow.kind == KIND)).first()
    return flow is not None and flow.enabled


# -- loading plain data -------------------------------------------------------------------------


def _person(m: Member, network: Network) -> rules.Person:
    return rules.Person(
        id=m.id, name=m.display_name, tz=m.timezone or network.timezone, quiet_hours=m.quiet_hours,
        quiet_weekends=m.quiet_weekends, paused_until=m.paused_until, opted_out=tuple(m.opted_out or ()),
        unreachable=m.unreachable,
    )  # fmt: skip


def _pairs(session: Session, network: Network, now: datetime) -> list[rules.PairInfo]:
    out = []
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
        groups = session.exec(select(PairGroup).where(PairGroup.round_id == rnd.id)).all()
        rows = session.exec(select(PairMember).where(PairMember.round_id == rnd.id)).all()
        for g in groups:
            if g.status in (MetStatus.MET.value, MetStatus.WONT.value):
                continue
            mine = [r for r in rows if r.group_id == g.id and r.met != MetStatus.REMATCHED.value]
            waiting = tuple(r.member_id for r in mine if r.met in (MetStatus.PENDING.value, MetStatus.NOT_YET.value))
            if len(mine) > 1 and waiting:
                out.append(rules.PairInfo(g.id, tuple(r.member_id for r in mine), waiting, rnd.ran_at, next_round,
                                          rnd.followup_at, rnd.followup_sent))  # fmt: skip
    return out


def _after_meeting_on(session: Session, network_id: int) -> bool:
    flows = session.exec(select(Flow).where(Flow.network_id == network_id, Flow.kind == "reflection", Flow.enabled == True)).all()  # noqa: E712
    return any((f.settings or {}).get("question_set") == "after_meeting" for f in flows)


def snapshot(session: Session, network: Network, now: datetime, *, horizon: timedelta = timedelta(0)) -> rules.Snapshot:
    """Everything the rules need, read once; ``horizon`` reaches ahead for the preview."""
    members = session.exec(select(Member).where(Member.network_id == network.id).order_by(Member.id)).all()
    meetings = session.exec(
        select(Meeting).where(Meeting.network_id == network.id, Meeting.status == MeetingStatus.SCHEDULED.value,
                              col(Meeting.starts_at) > now - rules.AFTER_MEETING_WINDOW)
        .order_by(col(Meeting.starts_at))
    ).all()  # fmt: skip
    commitments = session.exec(
        select(Commitment).where(Commitment.network_id == network.id, col(Commitment.status).in_(OPEN_STATUSES))
        .order_by(col(Commitment.due_date), col(Commitment.id))
    ).all()  # fmt: skip
    steals = session.exec(
        select(Steal, Practice.title).join(Practice, col(Practice.id) == col(Steal.practice_id))
        .where(Practice.network_id == network.id, col(Steal.follow_up_due).is_not(None),
               col(Steal.follow_up_due) <= now + horizon, col(Steal.outcome).is_(None))
    ).all()  # fmt: skip
    history: dict[int, list[rules.Sent]] = {}
    for log in session.exec(select(NudgeLog).where(NudgeLog.network_id == network.id)):
        history.setdefault(log.member_id, []).append(
            rules.Sent(log.subject, log.rule, log.batch, log.sent_at, log.outcome, log.snoozed_until)
        )
    ours = {s.subject for sent in history.values() for s in sent}
    # a follow-up the practices flow already asked is not ours to ask again; one we snoozed is
    steals = [(s, t) for s, t in steals if s.follow_up_sent_at is None or f"steal:{s.id}" in ours]
    return rules.Snapshot(
        people={m.id: _person(m, network) for m in members},
        meetings=[rules.MeetingInfo(m.id, m.starts_at, m.title, m.link) for m in meetings],
        commitments=[rules.CommitmentInfo(c.id, c.member_id, c.text, c.due_date) for c in commitments],
        pairs=_pairs(session, network, now),
        steals=[rules.StealInfo(s.id, s.member_id, title, s.mode, s.follow_up_due) for s, title in steals],
        after_meeting_on=_after_meeting_on(session, network.id),
        rules=network_rules(network),
        cap=network_cap(network),
        history=history,
    )
