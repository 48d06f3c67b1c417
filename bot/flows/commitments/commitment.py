"""Commitments: the "what will you do next, and by when?" answer, kept and followed up.

:func:`parse_commitment` is pure (text in, commitment text and due date
out). ``/beacon commitments`` lets a member see their open ones and mark
each done, still going or dropped in one tap; the nudges ask about them
(:mod:`bot.flows.commitments.follow_up`).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, tzinfo

from sqlmodel import col, select

from bot.core import markup
from bot.core.context import Context
from bot.core.dates.friendly import parse_due
from bot.core.dates.zone import to_zone
from bot.core.errors import UserError
from bot.core.messages import Choice
from bot.core.numbers import parse_id
from bot.store.commitments import Commitment, CommitmentStatus, set_status

__all__ = ["MAX_COMMITMENT", "OPEN_STATUSES", "commitments_command", "describe_due", "mark", "own_commitment", "parse_commitment"]

logger = logging.getLogger(__name__)

MAX_COMMITMENT = 500
_LEAD = re.compile(r"^(?:i\s+will|i'll|i\s+am\s+going\s+to|i'm\s+going\s+to|going\s+to|will)\s+", re.I)


def parse_commitment(answer: str, *, now: datetime, tz: tzinfo | str) -> tuple[str, date | None]:
    """The commitment text and due date (or None) from a free answer.

    "I'll call the youth team by Friday" gives ("Call the youth team by
    Friday", the coming Friday). The date phrase stays in the text: it is
    the member's own wording.
    """
    text = " ".join(answer.split())
    text = _LEAD.sub("", text, count=1)
    if text:
        text = text[0].upper() + text[1:]
    text = markup.truncate(text, MAX_COMMITMENT, "…")
    due = parse_due(answer, now=now, tz=tz)
    if due is not None and due < now.astimezone(to_zone(tz)).date():
        due = None  # a date in the past is a story, not a deadline
    return text, due


def describe_due(due: date | None) -> str:
    """ "Friday 6 November 2026", or "no date" when there is none."""
    if due is None:
        return "no date"
    return f"{due:%A} {due.day} {due:%B %Y}"


OPEN_STATUSES = (CommitmentStatus.OPEN, CommitmentStatus.STILL_GOING)
_LABELS = {
    CommitmentStatus.DONE: "Done. Well done, and thank you for closing the loop.",
    CommitmentStatus.STILL_GOING: "Still going: I'll keep it on your list.",
    CommitmentStatus.DROPPED: "Dropped. That's fine: knowing what not to do is learning too.",
}


def commitments_command(ctx: Context) -> None:
    rows = ctx.session.exec(
        select(Commitment)
        .where(Commitment.member_id == ctx.member.id, col(Commitment.status).in_(OPEN_STATUSES))
        .order_by(col(Commitment.due_date).is_(None), col(Commitment.due_date), col(Commitment.id))
    ).all()
    if not rows:
        ctx.reply("You have no open commitments. The last answer of a reflection (`/beacon reflect`) becomes one.")
        return
    ctx.reply(f"You have {len(rows)} open commitment{'s' if len(rows) != 1 else ''}:")
    for c in rows:
        going = " (still going)" if c.status == CommitmentStatus.STILL_GOING else ""
        ctx.reply(
            f"• {markup.literal(c.text)}\n  _due {describe_due(c.due_date)}_{going}",
            choices=[
                Choice("Done", "commitment.done", str(c.id), style="primary"),
                Choice("Still going", "commitment.going", str(c.id)),
                Choice("Drop", "commitment.drop", str(c.id), style="danger"),
            ],
        )


def own_commitment(ctx: Context) -> Commitment:
    """The commitment a button names, if it is the caller's own."""
    c = ctx.session.get(Commitment, n) if (n := parse_id(ctx.incoming.value)) else None
    if c is None or c.member_id != ctx.member.id:
        raise UserError("I can't find that commitment any more. `/beacon commitments` lists your open ones.")
    return c


def mark(status: CommitmentStatus):
    def handler(ctx: Context) -> None:
        c = own_commitment(ctx)
        set_status(ctx.session, c, status, ctx.now)
        logger.info("commitment %s of member %s marked %s", c.id, c.member_id, status.value)
        ctx.edit_choice_message(f"• {markup.literal(c.text)}\n✓ {_LABELS[status]}")

    return handler
