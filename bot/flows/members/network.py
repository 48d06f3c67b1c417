"""``/beacon network``: which of a person's networks their private chat acts in.

On Telegram one private chat serves every group a person shares with the
bot; buttons and typed answers find their own network, and this command sets
the one their commands act in. It also answers "which network is this answer
for?" when questions are open in two.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.messages import Choice
from bot.core.networks import CHOOSE, TYPED, WHICH, act_as, memberships, open_conversations
from bot.core.router import Router
from bot.store.models import Conversation, Member

__all__ = ["register"]


def _network(ctx: Context) -> None:
    mine = memberships(ctx.session, ctx.platform, ctx.member.platform_user_id)
    here = ctx.network.id
    if ctx.args:
        wanted = ctx.arg_text.strip().lower()
        found = [m for m in mine if m.network.name.lower() == wanted] or [m for m in mine if wanted in m.network.name.lower()]
        if len(found) != 1:
            names = ", ".join(markup.literal(m.network.name) for m in mine)
            raise UserError(f"You're in {names}; `{markup.literal(ctx.arg_text[:60])}` names {'none' if not found else 'more than one'} of them.")
        _choose(ctx, found[0].member)
        return
    if ctx.incoming is not None and ctx.incoming.network_key is not None or len(mine) < 2:
        ctx.reply(f"You're in *{markup.literal(ctx.network.name)}*." + ("" if len(mine) < 2 else " In our private chat you can choose another."))
        return
    lines = [f"Your commands here act in *{markup.literal(ctx.network.name)}*. You're in:"]
    lines += [f"• {markup.literal(m.network.name)}{' (now)' if m.network.id == here else ''}" for m in mine]
    lines.append("Buttons and answers to questions always go to the network they came from.")
    choices = [Choice(m.network.name[:60], CHOOSE, str(m.network.id)) for m in mine if m.network.id != here]
    ctx.reply("\n".join(lines), choices=choices)


def _choose(ctx: Context, member: Member) -> None:
    act_as(ctx, member)
    ctx.member.chosen_at = ctx.now
    ctx.session.add(ctx.member)
    ctx.reply(f"Your commands in this chat now act in *{markup.literal(ctx.network.name)}*. `/beacon network` changes it.")


def _chosen(ctx: Context) -> None:
    wanted = ctx.incoming.value if ctx.incoming else ""
    mine = memberships(ctx.session, ctx.platform, ctx.member.platform_user_id)
    found = next((m for m in mine if str(m.network.id) == wanted), None)
    if found is None:
        raise UserError("You're no longer in that network. `/beacon network` shows the ones you're in.")
    ctx.edit_choice_message(f"✓ {markup.literal(found.network.name)}")
    _choose(ctx, found.member)


def _which(ctx: Context) -> None:
    """The person said which network's open question their typed reply answers: answer it there."""
    inc = ctx.incoming
    assert inc is not None
    conv = ctx.session.get(Conversation, int(inc.value)) if inc.value.isascii() and inc.value.isdigit() and len(inc.value) <= 12 else None
    member = ctx.session.get(Member, conv.member_id) if conv is not None else None
    if conv is None or member is None or TYPED not in conv.state:
        raise UserError("That question is no longer open. Type your answer again and I'll ask which network it is for.")
    act_as(ctx, member)
    text = str(conv.state[TYPED])
    for _, other in open_conversations(ctx.session, ctx.platform, member.platform_user_id):
        ctx.save_conversation(other, {k: v for k, v in other.state.items() if k != TYPED})
    ctx.edit_choice_message(f"✓ For {markup.literal(ctx.network.name)}")
    handler = ctx.router.conversations.get(conv.owner)
    if handler is None:
        raise UserError("That question is no longer open.")
    ctx.incoming = replace(inc, kind="message", text=text, action_id=None, value="", message_ref=None, action_label=None)
    handler(ctx)


def register(router: Router) -> None:
    router.command(
        "network",
        _network,
        usage="[name]",
        help="Which network your commands here act in, and choose another",
        example="/beacon network",
        details="On Telegram one private chat serves every group you share with Beacon; buttons and answers always go to their own network.",
    )
    router.action(CHOOSE, _chosen)
    router.action(WHICH, _which)
