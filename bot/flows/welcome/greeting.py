"""Greeting members and linking them to their network.

``/beacon start`` (hidden; Telegram's ``/start``, also with a deep-link
payload naming the network) greets a member privately. ``/beacon join``,
typed in a network's group, makes the writer a member. On platforms where a
bot may only message people who opened a private chat with it (Telegram),
the adapter puts the deep-link prefix into ``Incoming.raw["private_start_url"]``;
then a member first seen in a group gets one mention there with a start
link, and is recorded as not yet reachable privately until they write to
the bot (the dispatcher notes that). The link carries the command they typed
(:mod:`bot.core.startlink`), so pressing *Start* answers it: nothing asked in
the group is lost. Every such post carries the link as a *Start* button too.
"""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.markup import literal
from bot.core.members import mention
from bot.core.messages import Choice
from bot.core.router import Router
from bot.core.startlink import start_payload
from bot.store.models import Member, Network, Role

__all__ = ["JOINED_COMMAND", "greeting", "register", "start_button", "start_link"]

JOINED_COMMAND = "welcome joined"
"""The hidden command an adapter sends for someone who joined a network's group (Telegram's new_chat_members)."""

logger = logging.getLogger(__name__)


def start_link(ctx: Context, ask: str = "") -> str | None:
    """The link that opens a private chat with the bot, tied to this network
    (and carrying ``ask``, the command to answer there, when it fits)."""
    prefix = ctx.incoming.raw.get("private_start_url") if ctx.incoming else None
    return f"{prefix}{start_payload(ctx.network.platform_key, ask)}" if prefix else None


def start_button(link: str) -> tuple[Choice, ...]:
    """The start link as a button: on a phone a button is easier to hit than a word in a sentence."""
    return (Choice.link("Start Beacon", link),)


def _asked(ctx: Context) -> str:
    """The command typed in the group, to be answered after *Start* (not join/start themselves)."""
    inc = ctx.incoming
    return "" if inc is None or inc.kind != "command" or _answers_itself(inc) else " ".join(inc.text.split())


def _invite_text(ctx: Context, link: str, ask: str = "") -> str:
    text = (
        f"Welcome to *{literal(ctx.network.name)}*, {mention(ctx.member)}! "
        f"I can only write to you once you open a chat with me: <{link}|tap here> and press *Start*."
    )
    if not ask:
        return text
    if start_payload(ctx.network.platform_key, ask) != ctx.network.platform_key:
        return text + f" I'll answer your `/beacon {ask}` there."
    return text + f" Then send me `/beacon {ask}` again there."  # too long for the link to carry


def _answers_itself(inc) -> bool:
    """``join``, ``start`` and the bot-added greeting post their own start link."""
    words = (inc.command or inc.text).lower().split()[:1] if inc.kind == "command" else []
    return words in (["join"], ["start"], ["welcome"])


def _first_seen_in_group(ctx: Context) -> bool:
    """Observer: a member acting in a group who has no private chat gets one start link.

    A command they typed is answered after *Start* (the link carries it), not now:
    its answer would go privately, and Telegram refuses that (403) until they start the bot.
    """
    inc = ctx.incoming
    if inc is None or inc.is_private or ctx.member is None or not inc.conversation:
        return False
    link = start_link(ctx)
    if link is None:
        return False  # the platform lets the bot message anyone
    member = ctx.member
    if ctx.member_is_new:
        member.has_private_chat = False
        ctx.session.add(member)
    if member.has_private_chat or _answers_itself(inc):
        return False
    ask = _asked(ctx)
    link = start_link(ctx, ask) or link
    ctx.post(inc.conversation, _invite_text(ctx, link, ask), choices=start_button(link), key=f"welcome:start-link:{member.id}")
    return inc.kind == "command"


def _joined(ctx: Context) -> None:
    """Someone joined the group (the adapter says so): one welcome there, with the start button.

    They are recorded as not yet started (the observer did, on first sight),
    so ``/beacon members`` can list who still has to press *Start*.
    """
    inc = ctx.incoming
    link = start_link(ctx)
    if inc is None or inc.is_private or not inc.conversation or link is None or ctx.member is None:
        raise UserError("That only happens when someone joins a group I'm in.")
    if ctx.member.has_private_chat and not (ctx.member_is_new or ctx.member_is_back):
        return  # they started the bot before: nothing to ask of them
    ctx.post(inc.conversation, _invite_text(ctx, link), choices=start_button(link), key=f"welcome:joined:{ctx.key_prefix}")


def greeting(network: Network, member: Member | None) -> str:
    """The hello a member gets privately, the first time."""
    name = literal(member.display_name) if member else "there"
    return (
        f"Hello {name}, welcome to *{literal(network.name)}* on Beacon.\n\n"
        "I'll send you short reflection prompts, introduce you to a learning pair, "
        "and show you practices worth stealing from other members. Everything is optional: "
        "you can pause or opt out any time.\n\n"
        "Type `/beacon help` to see what you can do."
    )


def _start(ctx: Context) -> None:
    inc = ctx.incoming
    if inc is not None and not inc.is_private:
        link = start_link(ctx)
        if link:
            ctx.post(inc.conversation, _invite_text(ctx, link), choices=start_button(link), key=f"welcome:start:{ctx.key_prefix}")
            return
    payload = inc.raw.get("start_payload") if inc else None
    if payload and payload != ctx.network.platform_key:
        ctx.reply(
            "That link doesn't lead to a network I know (maybe I was removed from that group). "
            f"You're in *{literal(ctx.network.name)}* for now; ask your facilitator for a fresh link."
        )
        return
    ctx.reply(greeting(ctx.network, ctx.member))


def _join(ctx: Context) -> None:
    inc = ctx.incoming
    if inc is not None and inc.joins_by_link:  # asked in the group, answered after Start
        ctx.reply(f"You're a member of *{ctx.network.name}*. Type `/beacon help` to see what you can do.")
        return
    if inc is None or inc.is_private:
        raise UserError("Write `/beacon join` in your network's group, so I know which network you mean.")
    member = ctx.member
    link = start_link(ctx)
    if link and not member.has_private_chat:
        ctx.post(inc.conversation, _invite_text(ctx, link), choices=start_button(link), key=f"welcome:join:{ctx.key_prefix}")
        return
    ctx.reply(f"You're a member of *{literal(ctx.network.name)}*. Type `/beacon help` to see what you can do.")


def _added(ctx: Context) -> None:
    """The bot was added to a group: thank the adder and offer them the setup."""
    inc = ctx.incoming
    if inc is None or inc.is_private or not inc.conversation:
        raise UserError("That only happens when I'm added to a group.")
    link = start_link(ctx)
    lines = [f"Hello *{literal(ctx.network.name)}*! I'm Beacon: I help this network learn between meetings."]
    if ctx.may(Role.FACILITATOR):
        lines.append(
            f"{mention(ctx.member)}, you added me, so you're this network's facilitator. "
            "Set up reflection prompts and pairing with `/beacon help` in a private chat with me" + (f": <{link}|open it here>." if link else ".")
        )
    lines.append("Everyone else: write `/beacon join` here to take part.")
    ctx.post(inc.conversation, "\n".join(lines), key=f"welcome:added:{ctx.key_prefix}")


def register(router: Router) -> None:
    router.command(
        "start",
        _start,
        help="Say hello and link you to your network",
        example="/beacon start",
        hidden=True,
    )
    router.command(
        "join",
        _join,
        help="Join the network of the group you write this in",
        example="/beacon join",
    )
    router.command(
        "welcome added",
        _added,
        help="Greets a group when Beacon is added to it",
        platforms={"telegram"},
        hidden=True,
    )
    router.command(
        JOINED_COMMAND,
        _joined,
        help="Greets someone who joined the group, with a start button",
        platforms={"telegram"},
        hidden=True,
    )
    router.observe(_first_seen_in_group)
