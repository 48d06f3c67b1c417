"""Ask before sending to many: a command says who would get what, and only a button press sends it.

``reflection run-now`` and ``pairing run-now`` both go through here. The
button carries what it confirms and the minute it was asked, so a press an
hour later (when the audience may have changed) is refused, and a second
press is the flow's own idempotency key's to ignore.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.errors import UserError
from bot.core.messages import Choice
from bot.store.models import Role

if TYPE_CHECKING:
    from bot.core.context import Context  # a handler's context, passed in

__all__ = ["CANCEL", "CONFIRM_FOR", "Confirmed", "confirm_choices", "confirmed"]

CONFIRM_FOR = timedelta(hours=1)
"""An older confirmation is refused: the audience may have changed."""
CANCEL = "cancel"


class Confirmed:
    """What a confirm button said: its subject (a flow id, a round number) and the minute it was asked."""

    def __init__(self, subject: str, asked: str) -> None:
        self.subject, self.asked = subject, asked


def confirm_choices(ctx: Context, action: str, subject: str, label: str) -> tuple[Choice, Choice]:
    """The *label* button (value ``"<subject>|<minute asked>"``) and a Cancel button, both for ``action``."""
    asked = ctx.now.isoformat(timespec="minutes")
    return Choice(label, action, f"{subject}|{asked}", style="primary"), Choice("Cancel", action, CANCEL)


def confirmed(ctx: Context, *, again: str, role: Role = Role.FACILITATOR) -> Confirmed | None:
    """The confirmation a press carries, or None when it was Cancel (the message then says so).

    Raises:
        UserError: the presser may not do it, the button is forged or stale (``again`` says what to type).
    """
    value = ctx.incoming.value
    if value == CANCEL:
        ctx.edit_choice_message("✓ Cancelled. Nothing was sent.")
        return None
    if not ctx.may(role):
        raise UserError(f"Only {role.value}s can confirm this.")
    subject, _, asked = value.partition("|")
    try:
        when = datetime.fromisoformat(asked)
    except ValueError:
        when = None
    if not subject or when is None or when.tzinfo is None:
        raise UserError(f"That button no longer does anything. Type `{again}` to start again.")
    if ctx.now - when > CONFIRM_FOR:
        raise UserError(f"That was asked over an hour ago and things may have changed: type `{again}` again.")
    return Confirmed(subject, asked)
