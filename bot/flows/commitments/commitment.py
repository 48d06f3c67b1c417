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
from bot.core.errors import FormErrors, UserError
from bot.core.home import item
from bot.core.messages import Choice, Field, Form, HomeSection
from bot.core.numbers import parse_id
from bot.store.commitments import Commitment, CommitmentStatus, set_status

__all__ = [
    "CHANGE",
    "MAX_COMMITMENT",
    "OPEN_STATUSES",
    "change",
    "change_submitted",
    "check_change",
    "commitments_command",
    "describe_due",
    "home",
    "mark",
    "own_commitment",
    "parse_commitment",
]

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


CHANGE = "commitment.change"  # the Change… button (value: the commitment id) and its form
NO_DATE = ("", "none", "no date", "no", "-")


def open_commitments(ctx: Context) -> list[Commitment]:
    """The caller's open commitments, soonest due first (undated last)."""
    return list(
        ctx.session.exec(
            select(Commitment)
            .where(Commitment.member_id == ctx.member.id, col(Commitment.status).in_(OPEN_STATUSES))
            .order_by(col(Commitment.due_date).is_(None), col(Commitment.due_date), col(Commitment.id))
        )
    )


def home(ctx: Context) -> HomeSection:
    """The member's open commitments on their Home, each Done or Change… in one tap."""
    items = []
    for c in open_commitments(ctx):
        going = " (still going)" if c.status == CommitmentStatus.STILL_GOING else ""
        items.append(item(f"{markup.literal(c.text)} _(due {describe_due(c.due_date)}){going}_",
                          Choice("Done", "commitment.done", str(c.id), style="primary"), Choice("Change…", CHANGE, str(c.id))))  # fmt: skip
    return HomeSection(name="commitments", title="Your commitments", items=tuple(items),
                       empty="None open. The last answer of a reflection (`/beacon reflect`) becomes one.")  # fmt: skip


def change(ctx: Context) -> None:
    """Change… a commitment: its words and its date, in a form (a modal on Slack)."""
    c = own_commitment(ctx)
    ctx.keep_choices()
    due = c.due_date.isoformat() if c.due_date else ""
    fields = (
        Field(name="text", label="What you will do", required=True, max_length=MAX_COMMITMENT, multiline=True, initial=c.text),
        Field(name="due", label="By when", hint="A date (2026-12-24, friday, in 2 weeks), or none", max_length=100, initial=due),
    )
    ctx.open_form(Form(id=CHANGE, title="Change commitment", fields=fields, submit_label="Save", context=str(c.id)))


def _due(ctx: Context, value: str) -> date | None:
    """The date a member typed; raises ValueError when there is none to read."""
    if value.strip().lower() in NO_DATE:
        return None
    due = parse_due(f"by {value}", now=ctx.now, tz=ctx.tz_of())
    if due is None:
        raise ValueError("I can't read that date. Write one like 2026-12-24, friday or in 2 weeks, or none.")
    return due


def check_change(ctx: Context, name: str, value: str) -> str | None:
    if name == "text" and not value.strip():
        return "Say what you will do."
    if name == "due":
        try:
            _due(ctx, value)
        except ValueError as exc:
            return str(exc)
    return None


def change_submitted(ctx: Context) -> None:
    values = ctx.incoming.form_values
    errors = {k: e for k in ("text", "due") if (e := check_change(ctx, k, values.get(k, ""))) is not None}
    if errors:
        raise FormErrors(errors)
    c = ctx.session.get(Commitment, n) if (n := parse_id(ctx.incoming.form_context)) else None
    if c is None or c.member_id != ctx.member.id:
        raise UserError("I can't find that commitment any more. `/beacon commitments` lists your open ones.")
    c.text = markup.truncate(" ".join(values["text"].split()), MAX_COMMITMENT, "…")
    c.due_date, c.updated_at = _due(ctx, values.get("due", "")), ctx.now
    ctx.session.add(c)
    ctx.reply(f"✓ Changed: {markup.literal(c.text)} _(due {describe_due(c.due_date)})_")


def commitments_command(ctx: Context) -> None:
    rows = open_commitments(ctx)
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
