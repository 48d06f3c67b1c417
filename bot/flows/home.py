"""``/beacon home`` and Slack's Home tab: a member's own page, gathered from every flow.

The flows say what they have for the member (``router.home_section``); this
module only asks them (:mod:`bot.core.home`): when the member opens the
Home tab, when they type ``/beacon home`` (on every platform, as messages),
when they press "More…", and after each change of their own (a button, a
form, ``pause``, ``settings``…), so the Home tab they look at is never stale.
"""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.home import HOME_PLATFORMS, MORE, full_messages, has_home, home_messages, home_sections, publish_home
from bot.core.router import Router
from bot.store.models import Member

__all__ = ["CHANGES", "register"]

logger = logging.getLogger(__name__)

CHANGES = frozenset({"pause", "resume", "settings", "profile", "share", "practice", "pairing", "commitments"})
"""Command groups whose commands may change what a member's Home shows."""
TAB_NOTE = "_This is in Beacon's Home tab too._"


def home_command(ctx: Context) -> None:
    if ctx.incoming is not None and ctx.incoming.opened_home:
        publish_home(ctx)
        return
    messages = home_messages(home_sections(ctx))
    if not messages:
        ctx.reply("Nothing to show yet. `/beacon help` says what you can do.")
    for text, choices, header in messages:
        ctx.reply(text, choices=choices, header=header)
    if publish_home(ctx) or has_home(ctx, ctx.member):
        ctx.reply(TAB_NOTE)


def more(ctx: Context) -> None:
    """The whole of one section, by direct message (the Home shows only the first items)."""
    part = ctx.router.home_parts.get(ctx.incoming.value)
    if part is None or not ctx.may(part.roles):
        raise UserError("That list is not there any more. `/beacon home` shows what is.")
    section = part.fn(ctx)
    if section is None:
        raise UserError("That list is empty now. `/beacon home` shows what is.")
    ctx.keep_choices()
    for text, choices, header in full_messages(section):
        ctx.reply(text, choices=choices, header=header)


def refresh(ctx: Context) -> None:
    """After the member's own change, their Home tab shows it (Slack's pace kept by publish_home)."""
    inc, m = ctx.incoming, ctx.member
    if inc is None or m is None or inc.opened_home or m.unreachable:
        return
    changed = inc.kind in ("action", "form") or (inc.kind == "command" and ctx.command is not None and ctx.command.group in CHANGES)
    if not changed or ctx.platform not in HOME_PLATFORMS:
        return
    try:
        with ctx.session.begin_nested():  # a Home that cannot be built must not undo the change itself
            if ctx.session.get(Member, m.id) is not None and has_home(ctx, m):
                publish_home(ctx)
    except Exception:
        logger.exception("the Home of member %s could not be refreshed", m.id)


def register(router: Router) -> None:
    router.command(
        "home",
        home_command,
        help="Your page: next prompt, commitments, pair, practices, pause and settings",
        example="/beacon home",
        details="On Slack the same page is Beacon's Home tab, kept up to date as you change things.",
    )
    router.action(MORE, more)
    router.after(refresh)
