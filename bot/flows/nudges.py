"""Nudges between meetings: one hourly run that follows up what other flows created.

Commitments due before the next meeting, pairs that haven't met, steals
awaiting "how did it go?", "bring one thing you tried" before a meeting and
the after-meeting reflection. The rules are in :mod:`.nudge_rules` (pure);
this module loads plain data, sends at most one combined message per member
per run, logs each item (:class:`NudgeLog`) and handles the answers, "Not
now" (a week's snooze) and "Stop these" (opt out of those rules).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from .. import markup
from ..context import Context
from ..messages import Address, Choice, Field, Form, Outgoing
from ..router import Router, UsageError, UserError
from ..schedule import ScheduleError, parse_schedule
from ..store.flows import ensure_flow as ensure_companion
from ..store.models import Flow, Member, Network, Role
from ..store.nudges import Meeting, MeetingStatus, NudgeLog, NudgeOutcome, export_member, forget_member
from ..store.pairing import MetStatus, PairGroup, PairingRound, PairMember
from ..store.practices import Practice, Steal
from ..store.reflection import Commitment, CommitmentStatus
from . import nudge_rules as rules
from .commitments import OPEN_STATUSES
from .meetings import ensure_upcoming

__all__ = ["KIND", "ensure_flow", "network_cap", "network_rules", "register", "snapshot", "takes_over_steals"]

logger = logging.getLogger(__name__)

KIND = "nudges"
SCHEDULE = "0 * * * *"
ANSWER, SNOOZE, STOP = "nudge.answer", "nudge.snooze", "nudge.stop"
RULE_ANSWERS = {
    "commitment": {"done": CommitmentStatus.DONE, "going": CommitmentStatus.STILL_GOING, "drop": CommitmentStatus.DROPPED},
    "pair": {"met": MetStatus.MET.value, "not_yet": MetStatus.NOT_YET.value, "wont": MetStatus.WONT.value},
}
PREVIEW_DAYS = 7


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
    """The network's hourly nudges flow, created on first use: a meeting on the calendar
    or a facilitator's nudges command (until then practices asks its own follow-ups)."""
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


# -- sending ------------------------------------------------------------------------------------


def _label(n: int, total: int, label: str) -> str:
    return f"{n}: {label}" if total > 1 else label


def _choices(logs: list[NudgeLog], items_answers: dict[int, tuple[tuple[str, str], ...]], batch: str) -> list[Choice]:
    open_logs = [log for log in logs if log.outcome is None]
    out = []
    for n, log in enumerate(logs, start=1):
        if log.outcome is None:
            out += [Choice(_label(n, len(logs), label), ANSWER, f"{log.id}:{code}") for label, code in items_answers.get(log.id, ())]
    if open_logs:
        out += [Choice("Not now", SNOOZE, batch), Choice("Stop these", STOP, batch, style="danger")]
    return out


def answers_of(log: NudgeLog) -> tuple[tuple[str, str], ...]:
    """The answer buttons of a logged item (the same as when it was sent)."""
    if log.rule == "commitment":
        return (("Done", "done"), ("Still going", "going"), ("Drop it", "drop"))
    if log.rule == "pair":
        return (("We met", "met"), ("Not yet", "not_yet"), ("We won't", "wont"))
    if log.rule == "steal":
        from .practice_cards import OUTCOME_LABELS

        return tuple((label.capitalize(), value) for value, label in OUTCOME_LABELS.items())
    if log.rule == "after_meeting":
        return (("Reflect now", "reflect"),)
    return ()


def send_nudge(ctx: Context, member: Member, items: list[rules.Item]) -> bool:
    """One message for all of ``items``, logged item by item; its key makes a re-run a no-op."""
    batch = f"nudge:{member.id}:{ctx.now:%Y%m%dT%H}"
    if ctx.session.exec(select(NudgeLog.id).where(NudgeLog.batch == batch)).first() is not None:
        return False
    logs = [NudgeLog(network_id=ctx.network.id, member_id=member.id, rule=i.rule, subject=i.subject, batch=batch,
                     sent_at=ctx.now) for i in items]  # fmt: skip
    ctx.session.add_all(logs)
    ctx.session.flush()
    for item in items:
        kind, _, ref = item.subject.partition(":")
        if kind == "commitment" and (c := ctx.session.get(Commitment, int(ref))) is not None:
            c.last_nudged_at = ctx.now
            ctx.session.add(c)
        elif kind == "steal" and (s := ctx.session.get(Steal, int(ref))) is not None:
            s.follow_up_sent_at = ctx.now
            ctx.session.add(s)
    choices = _choices(logs, {log.id: i.answers for log, i in zip(logs, items)}, batch)
    return ctx.dm(member, rules.combined_text(items), choices=choices, key=batch)


def run(ctx: Context) -> None:
    """The hourly run: each member gets at most one message, only if the limits allow."""
    ensure_upcoming(ctx.session, ctx.network, ctx.now)
    snap = snapshot(ctx.session, ctx.network, ctx.now)
    sent = 0
    members = {m.id: m for m in ctx.members()}
    for person in snap.people.values():
        items, why = rules.plan_member(snap, person, ctx.now)
        if items and person.id in members and send_nudge(ctx, members[person.id], items):
            sent += 1
        elif why and why != "quiet hours":
            logger.debug("nudges for member %s wait: %s", person.id, why)
    logger.info("nudges run for network %s: %d messages", ctx.network.id, sent)


# -- answers -------------------------------------------------------------------------------------


def _batch_logs(ctx: Context, batch: str) -> list[NudgeLog]:
    return list(ctx.session.exec(
        select(NudgeLog).where(NudgeLog.batch == batch, NudgeLog.member_id == ctx.member.id).order_by(NudgeLog.id)
    ))  # fmt: skip


def _refresh(ctx: Context, logs: list[NudgeLog], note: str) -> None:
    """Redraw the pressed message: what was chosen, and the buttons still open."""
    inc = ctx.incoming
    ctx.choices_handled = True
    if not inc.message_ref:
        return
    text = f"{inc.message_text or ''}\n✓ {note}".strip()
    choices = _choices(logs, {log.id: answers_of(log) for log in logs}, logs[0].batch) if logs else []
    ctx.send(_edited(ctx, text, choices))


def _edited(ctx: Context, text: str, choices: list[Choice]) -> Outgoing:
    inc = ctx.incoming
    to = ctx.reply_address() if inc.is_private else Address(channel=inc.conversation)
    return Outgoing(text=text, to=to, choices=tuple(choices), edit=inc.message_ref)


def _apply(ctx: Context, log: NudgeLog, code: str) -> str:
    kind, _, ref = log.subject.partition(":")
    if log.rule == "commitment":
        c = ctx.session.get(Commitment, int(ref))
        if c is None or c.member_id != ctx.member.id or code not in RULE_ANSWERS["commitment"]:
            raise UserError("That commitment is gone. `/beacon commitments` lists your open ones.")
        c.status, c.updated_at = RULE_ANSWERS["commitment"][code], ctx.now
        ctx.session.add(c)
        return {"done": "Done. Well done!", "going": "Still going: it stays on your list.", "drop": "Dropped. That's fine."}[code]
    if log.rule == "pair":
        from .pairing_followup import group_status

        rows = list(ctx.session.exec(select(PairMember).where(PairMember.group_id == int(ref))))
        mine = next((r for r in rows if r.member_id == ctx.member.id), None)
        if mine is None or code not in RULE_ANSWERS["pair"]:
            raise UserError("That pairing round has moved on.")
        mine.met, mine.answered_at = RULE_ANSWERS["pair"][code], ctx.now
        ctx.session.add(mine)
        group = ctx.session.get(PairGroup, int(ref))
        group.status = group_status(rows)
        ctx.session.add(group)
        return {"met": "You met: thank you!", "not_yet": "Not yet: there's still time.", "wont": "Noted: you'll meet someone new next round."}[code]
    if log.rule == "steal":
        from .practice_cards import OUTCOME_LABELS
        from .practice_steals import OUTCOME_FORM

        steal = ctx.session.get(Steal, int(ref))
        if steal is None or steal.member_id != ctx.member.id or code not in OUTCOME_LABELS:
            raise UserError("That follow-up isn't yours to answer.")
        steal.outcome, steal.outcome_at = code, ctx.now
        ctx.session.add(steal)
        ctx.open_form(Form(
            id=OUTCOME_FORM, title="How it went", context=str(steal.id), submit_label="Add",
            fields=(Field(name="note", label="Anything to add, in a line?", hint="What happened, or what you'd tell the author. Optional.", max_length=300),),
        ))  # fmt: skip
        return f"It {OUTCOME_LABELS[code]}."
    if log.rule == "after_meeting":
        from .reflection import KIND as REFLECTION, send_prompt

        flow = next((f for f in ctx.session.exec(select(Flow).where(Flow.network_id == ctx.network.id, Flow.kind == REFLECTION))
                     if (f.settings or {}).get("question_set") == "after_meeting"), None)  # fmt: skip
        if flow is None:
            raise UserError("The after-meeting reflection has been taken down. `/beacon reflect` starts another.")
        send_prompt(ctx, flow, ctx.member, f"meeting:{ref.split(':')[0]}")
        return "Reflection started below."
    raise UserError("That button no longer does anything.")


def _answer(ctx: Context) -> None:
    log_id, _, code = ctx.incoming.value.partition(":")
    log = ctx.session.get(NudgeLog, int(log_id)) if log_id.isdigit() else None
    if log is None or log.member_id != ctx.member.id:
        raise UserError("That nudge has expired. `/beacon next` shows what's coming up.")
    if log.outcome in (NudgeOutcome.ANSWERED.value, NudgeOutcome.DISMISSED.value):
        raise UserError("You've already answered that one. Thank you!")
    note = _apply(ctx, log, code)
    log.outcome, log.answer, log.answered_at = NudgeOutcome.ANSWERED.value, code, ctx.now
    ctx.session.add(log)
    ctx.session.flush()
    _refresh(ctx, _batch_logs(ctx, log.batch), note)


def _snooze(ctx: Context) -> None:
    logs = _batch_logs(ctx, ctx.incoming.value)
    if not logs:
        raise UserError("That nudge has expired.")
    until = ctx.now + rules.SNOOZE
    for log in logs:
        if log.outcome is None:
            log.outcome, log.snoozed_until = NudgeOutcome.SNOOZED.value, until
            ctx.session.add(log)
    _refresh(ctx, [], "Not now: I'll leave these for a week.")


def _stop(ctx: Context) -> None:
    logs = _batch_logs(ctx, ctx.incoming.value)
    if not logs:
        raise UserError("That nudge has expired.")
    member = ctx.member
    stopped = sorted({log.rule for log in logs if log.outcome is None} or {log.rule for log in logs})
    member.opted_out = list(dict.fromkeys([*(member.opted_out or []), *(f"nudges:{r}" for r in stopped)]))
    ctx.session.add(member)
    for log in logs:
        if log.outcome is None:
            log.outcome, log.answered_at = NudgeOutcome.DISMISSED.value, ctx.now
            ctx.session.add(log)
    names = ", ".join(r.replace("_", " ") for r in stopped)
    _refresh(ctx, [], f"Stopped: no more {names} nudges. `/beacon settings nudges on {stopped[0]}` brings them back.")


# -- facilitator commands ---------------------------------------------------------------------------


def _rules(ctx: Context) -> None:
    ensure_flow(ctx.session, ctx.network.id, ctx.now)
    on = network_rules(ctx.network)
    lines = [f"*Nudges* (at most {network_cap(ctx.network)} a week per member, never in their quiet hours)"]
    lines += [f"• `{r}` {'on' if on.get(r) else '*off*'}: {desc}" for r, desc in rules.RULES.items()]
    lines.append("`/beacon nudges off <rule>`, `on <rule>`, `cap <n>`; `/beacon nudges preview` shows the next 7 days.")
    ctx.reply("\n".join(lines))


def _change_settings(ctx: Context, action: str, key: str, value) -> dict:
    ensure_flow(ctx.session, ctx.network.id, ctx.now)
    settings = dict(ctx.network.settings or {})
    before = {key: settings.get(key)}
    settings[key] = value
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    ctx.audit(f"nudges.{action}", "network", before=before, after={key: value})
    return before


def _toggle(enabled: bool):
    def handler(ctx: Context) -> None:
        if not ctx.args:
            raise UsageError(f"Say which rule: {', '.join(rules.RULES)}.")
        rule = ctx.args[0].lower().replace("-", "_")
        if rule not in rules.RULES:
            raise UsageError(f"There's no nudge rule `{markup.literal(rule)}`. The rules: {', '.join(rules.RULES)}.")
        current = network_rules(ctx.network)
        if current[rule] == enabled:
            raise UserError(f"`{rule}` nudges are already {'on' if enabled else 'off'}.")
        _change_settings(ctx, "on" if enabled else "off", "nudges", {**current, rule: enabled})
        ctx.reply(f"`{rule}` nudges are {'on' if enabled else 'off'} for the network. `/beacon undo` takes it back.")

    return handler


def _cap(ctx: Context) -> None:
    if not ctx.args or not ctx.args[0].isdigit():
        raise UsageError("Give the most nudges a member may get in a week, a number from 0 to 7.")
    n = int(ctx.args[0])
    if n > 7:
        raise UsageError("At most 7 a week: nudges should never nag.")
    _change_settings(ctx, "cap", "nudge_cap", n)
    ctx.reply(f"Each member now gets at most {n} nudge{'s' if n != 1 else ''} a week, across all rules."
              + (" (0: no nudges at all.)" if n == 0 else ""))  # fmt: skip


def _preview(ctx: Context) -> None:
    ensure_upcoming(ctx.session, ctx.network, ctx.now)
    snap = snapshot(ctx.session, ctx.network, ctx.now, horizon=timedelta(days=PREVIEW_DAYS))
    plan = rules.simulate(snap, ctx.now, hours=PREVIEW_DAYS * 24)
    if not plan:
        ctx.reply(f"Nobody would be nudged in the next {PREVIEW_DAYS} days. (Nothing was sent.)")
        return
    tz = ctx.network.timezone
    lines = [f"*Nudges in the next {PREVIEW_DAYS} days* (a preview: nothing was sent; times in {tz})"]
    for member_id, at, items in plan[:40]:
        name = markup.literal(snap.people[member_id].name or "a member")
        why = ", ".join(i.rule.replace("_", " ") for i in items)
        lines.append(f"• {name}, {rules.local_when(at, tz)}: {why}")
    if len(plan) > 40:
        lines.append(f"…and {len(plan) - 40} more.")
    ctx.reply("\n".join(lines))


def _undo(ctx: Context, entry) -> str:
    settings = dict(ctx.network.settings or {})
    for key, value in (entry.before or {}).items():
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = value
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    return "put the nudge settings back as they were"


def register(router: Router) -> None:
    from . import meetings, member_settings
    from .audit import register_undo

    F = Role.FACILITATOR
    router.schedule(KIND, run)
    router.action(ANSWER, _answer)
    router.action(SNOOZE, _snooze)
    router.action(STOP, _stop)
    router.personal_data(KIND, export=export_member, forget=forget_member)
    router.group("nudges", "Gentle, capped reminders between meetings")
    router.command("nudges rules", _rules, role=F, help="Which nudges are on, and the weekly cap", example="/beacon nudges rules")
    router.command("nudges on", _toggle(True), role=F, usage="<rule>", help="Turn a nudge rule on", example="/beacon nudges on pair")
    router.command("nudges off", _toggle(False), role=F, usage="<rule>", help="Turn a nudge rule off", example="/beacon nudges off steal")
    router.command("nudges cap", _cap, role=F, usage="<n>", help="The most nudges a member gets in a week (all rules)", example="/beacon nudges cap 2")
    router.command("nudges preview", _preview, role=F, help="Who would be nudged in the next 7 days and why (sends nothing)",
                   example="/beacon nudges preview")  # fmt: skip
    register_undo("nudges.", _undo)
    meetings.register(router)
    member_settings.register(router)
