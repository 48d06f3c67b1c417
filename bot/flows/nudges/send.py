"""Sending a member's nudges: one combined message, logged item by item.

Split from the hourly run and from the answer handlers because both need the
same buttons: :func:`send_nudge` draws them when the message goes out, and the
answer handlers redraw the still-open ones with :func:`choices` and
:func:`answers_of` after a press.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.core.availability import pause_choice
from bot.core.context import Context
from bot.core.followups import FollowUp
from bot.core.messages import Choice
from bot.core.router import Router
from bot.flows.nudges import rules
from bot.store.models import Member
from bot.store.nudges import NudgeLog

__all__ = ["ANSWER", "SNOOZE", "STOP", "answers_of", "choices", "not_delivered", "send_nudge"]

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
        out += [Choice("Not now", SNOOZE, batch), Choice("Stop these", STOP, batch, style="danger"), pause_choice()]
    return out


def answers_of(router: Router, log: NudgeLog) -> tuple[tuple[str, str], ...]:
    """The answer buttons of a logged item (the same as when it was sent), from the source that raised it."""
    source = router.follow_ups.get(log.rule)
    return source.answers(log.subject) if source is not None else ()


def send_nudge(ctx: Context, member: Member, items: list[FollowUp]) -> bool:
    """One message for all of ``items``, logged item by item; its key makes a re-run a no-op."""
    batch = f"nudge:{member.id}:{ctx.now:%Y%m%dT%H}"
    if ctx.session.exec(select(NudgeLog.id).where(NudgeLog.batch == batch)).first() is not None:
        return False
    logs = [NudgeLog(network_id=ctx.network.id, member_id=member.id, rule=i.rule, subject=i.subject, batch=batch,
                     sent_at=ctx.now) for i in items]  # fmt: skip
    ctx.session.add_all(logs)
    ctx.session.flush()
    for item in items:
        source = ctx.router.follow_ups.get(item.rule)
        if source is not None and source.sent is not None:
            source.sent(ctx.session, item.subject, ctx.now)
    buttons = choices(logs, {log.id: i.answers for log, i in zip(logs, items)}, batch)
    # unprompted, but the planner has kept the gap and quiet hours already: it goes now
    return ctx.dm(member, rules.combined_text(items), choices=buttons, key=batch, not_before=ctx.now, unprompted=("nudges",))


def not_delivered(router: Router, session: Session, key: str, sent: bool) -> None:
    """A nudge message that never reached the member (delivery dropped it because they paused, opted
    out or became unreachable while it waited, or gave up on it) is taken out of the nudge log, and
    each source hears it was not sent (``FollowUpSource.not_sent``).

    The log is what the rules read as "already asked": left in, its subjects
    would never be raised again, though the member never saw them.
    """
    if sent:
        return
    logs = session.exec(select(NudgeLog).where(NudgeLog.batch == key, col(NudgeLog.outcome).is_(None))).all()
    for log in logs:
        source = router.follow_ups.get(log.rule)
        if source is not None and source.not_sent is not None:
            source.not_sent(session, log.subject)
        session.delete(log)
