"""Sending a member's nudges: one combined message, logged item by item.

Split from the hourly run and from the answer handlers because both need the
same buttons: :func:`send_nudge` draws them when the message goes out, and the
answer handlers redraw the still-open ones with :func:`choices` and
:func:`answers_of` after a press.
"""

from __future__ import annotations

from sqlmodel import select

from bot.core.context import Context
from bot.core.messages import Choice
from bot.store.models import Member
from bot.store.nudges import NudgeLog
from bot.store.practices import Steal
from bot.store.commitments import Commitment
from bot.flows.nudges import rules

__all__ = ["ANSWER", "SNOOZE", "STOP", "answers_of", "choices", "send_nudge"]

ANSWER, SNOOZE, STOP = "nudge.answer", "nudge.snooze", "nudge.stop"


def _label(n: int, total: int, label: str) -> str:
    return f"{n}: {label}" if total > 1 else label


def choices(logs: list[NudgeLog], items_answers: dict[int, tuple[tuple[str, str], ...]], batch: str) -> list[Choice]:
    """The buttons of a nudge message: each open item's answers (numbered when there are several), "Not now", "Stop these"."""
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
        from bot.flows.practices.cards import OUTCOME_LABELS

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
    buttons = choices(logs, {log.id: i.answers for log, i in zip(logs, items)}, batch)
    return ctx.dm(member, rules.combined_text(items), choices=buttons, key=batch)
