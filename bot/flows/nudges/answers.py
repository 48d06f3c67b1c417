"""A member's answers to a nudge: the item buttons, "Not now" and "Stop these".

Kept apart from sending and from the facilitator's commands because an
answer belongs to the flow that raised the item (a commitment's status, a
pair's "we met", a steal's outcome, the after-meeting reflection): it is
handed to that flow's follow-up source (``router.follow_ups``), and the
pressed message is then redrawn with the buttons still open.
"""

from __future__ import annotations

from sqlmodel import select

from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.messages import Address, Choice, Outgoing
from bot.core.numbers import parse_id
from bot.flows.nudges import rules
from bot.flows.nudges.send import answers_of, choices
from bot.store.nudges import NudgeLog, NudgeOutcome

__all__ = ["on_answer", "on_snooze", "on_stop"]


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
    buttons = choices(logs, {log.id: answers_of(ctx.router, log) for log in logs}, logs[0].batch) if logs else []
    ctx.send(_edited(ctx, text, buttons))


def _edited(ctx: Context, text: str, buttons: list[Choice]) -> Outgoing:
    inc = ctx.incoming
    to = ctx.reply_address() if inc.is_private else Address(channel=inc.conversation)
    return Outgoing(text=text, to=to, choices=tuple(buttons), edit=inc.message_ref)


def _apply(ctx: Context, log: NudgeLog, code: str) -> str:
    source = ctx.router.follow_ups.get(log.rule)
    if source is None:
        raise UserError("That button no longer does anything.")
    return source.apply(ctx, log.subject, code)


def on_answer(ctx: Context) -> None:
    log_id, _, code = ctx.incoming.value.partition(":")
    log = ctx.session.get(NudgeLog, n) if (n := parse_id(log_id)) else None
    if log is None or log.member_id != ctx.member.id:
        raise UserError("That nudge has expired. `/beacon next` shows what's coming up.")
    if log.outcome in (NudgeOutcome.ANSWERED.value, NudgeOutcome.DISMISSED.value):
        raise UserError("You've already answered that one. Thank you!")
    note = _apply(ctx, log, code)
    log.outcome, log.answer, log.answered_at = NudgeOutcome.ANSWERED.value, code, ctx.now
    ctx.session.add(log)
    ctx.session.flush()
    _refresh(ctx, _batch_logs(ctx, log.batch), note)


def on_snooze(ctx: Context) -> None:
    logs = _batch_logs(ctx, ctx.incoming.value)
    if not logs:
        raise UserError("That nudge has expired.")
    until = ctx.now + rules.SNOOZE
    for log in logs:
        if log.outcome is None:
            log.outcome, log.snoozed_until = NudgeOutcome.SNOOZED.value, until
            ctx.session.add(log)
    _refresh(ctx, [], "Not now: I'll leave these for a week.")


def on_stop(ctx: Context) -> None:
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
