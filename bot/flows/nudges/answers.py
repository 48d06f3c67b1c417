"""A member's answers to a nudge: the item buttons, "Not now" and "Stop these".

Kept apart from sending and from the facilitator's commands because each
answer reaches into another flow's records (a commitment's status, a pair's
"we met", a steal's outcome, the after-meeting reflection) and then redraws the
pressed message with the buttons still open.
"""

from __future__ import annotations

from sqlmodel import select

from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.messages import Address, Choice, Field, Form, Outgoing
from bot.store.models import Flow
from bot.store.nudges import NudgeLog, NudgeOutcome
from bot.store.pairing import MetStatus, PairGroup, PairMember
from bot.store.practices import Steal
from bot.store.commitments import Commitment, CommitmentStatus
from bot.flows.nudges import rules
from bot.flows.nudges.send import _choices, answers_of

__all__ = ["RULE_ANSWERS"]

RULE_ANSWERS = {
    "commitment": {"done": CommitmentStatus.DONE, "going": CommitmentStatus.STILL_GOING, "drop": CommitmentStatus.DROPPED},
    "pair": {"met": MetStatus.MET.value, "not_yet": MetStatus.NOT_YET.value, "wont": MetStatus.WONT.value},
}


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
        from bot.flows.pairing.followup import group_status

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
        from bot.flows.practices.cards import OUTCOME_LABELS
        from bot.flows.practices.steals import OUTCOME_FORM

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
        from bot.flows.reflection.prompts import KIND as REFLECTION, send_prompt

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
