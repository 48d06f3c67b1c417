"""``/beacon members invite``: a start button in the group, for everyone who hasn't pressed it.

On Telegram a bot may write only to people who started it, so members
known from the group (they joined it, or wrote there) get no prompts until
they open a private chat. A facilitator can't make them, but can put the
button in front of them: this posts it in the network's group, from the
group or from a private chat with the bot (for the network it acts in).
``/beacon members`` lists who has not started yet.
"""

from __future__ import annotations

from sqlmodel import select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.members import is_forgotten
from bot.core.router import Router
from bot.flows.welcome.greeting import start_button, start_link
from bot.store.models import Member, Role

__all__ = ["not_started", "register"]


def not_started(ctx: Context) -> list[Member]:
    """Members known from the group who never started a private chat with the bot."""
    query = select(Member).where(Member.network_id == ctx.network.id, Member.has_private_chat == False, Member.unreachable == False)  # noqa: E712
    return [m for m in ctx.session.exec(query.order_by(Member.id)) if not is_forgotten(m)]


def invite_command(ctx: Context) -> None:
    if ctx.args:
        raise UserError("`/beacon members invite` takes nothing more: it posts a start button in the group.")
    link = start_link(ctx)
    if link is None:
        raise UserError("Here I can write to everyone already, so there is no start button to post.")
    waiting = not_started(ctx)
    text = (
        f"*{markup.literal(ctx.network.name)}* uses Beacon for reflection prompts, learning pairs and shared practices. "
        "I can only write to you once you've opened a chat with me: press *Start Beacon*, then *Start*."
    )
    ctx.post(ctx.network.platform_key, text, choices=start_button(link), key=f"welcome:invite:{ctx.key_prefix}")
    who = "Everyone I know of has started a private chat with me"
    if waiting:
        who = f"{markup.count(len(waiting), 'member has', 'members have')} not started a private chat with me yet"
    ctx.reply(f"✓ Posted a start button in the group. {who}; `/beacon members` lists them.")


def register(router: Router) -> None:
    router.command(
        "members invite", invite_command, role=Role.FACILITATOR, platforms={"telegram"}, example="/beacon members invite",
        help="Post a start button in the group, so members who never opened a chat with me can",
    )  # fmt: skip
