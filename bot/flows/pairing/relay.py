"""Pairs can always reach each other: the bot passes a message on.

An introduction names each member with a mention, which opens a chat with them
on most clients even without a @username; when a member's privacy settings
stop that, "Write to them through me" lets the others write through the bot,
and the answer comes back the same way.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.home import item
from bot.core.markup import literal
from bot.core.members import mention
from bot.core.messages import Choice, HomeSection
from bot.core.router import Router
from bot.flows.pairing.rounds import RELAY
from bot.flows.pairing.text import join_names
from bot.store.models import Member
from bot.store.pairing import MetStatus, PairGroup, PairMember

__all__ = ["register"]

OWNER = "pairing.relay"
_STOP = {"cancel", "/cancel", "stop", "/stop"}


def _others(ctx: Context, group_id: int) -> list[Member]:
    """The rest of ``group_id``; refused unless the person is in it."""
    ids = list(ctx.session.exec(select(PairMember.member_id).where(PairMember.group_id == group_id)))
    if ctx.member is None or ctx.member.id not in ids:
        raise UserError("That pair is no longer yours, so I can't pass a message on.")
    return [m for i in ids if i != ctx.member.id and (m := ctx.session.get(Member, i)) is not None]


def _pressed(ctx: Context) -> None:
    value = ctx.incoming.value if ctx.incoming else ""
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        raise UserError("That pair is no longer yours, so I can't pass a message on.")
    others = _others(ctx, int(value))
    ctx.keep_choices()
    ctx.start_conversation(OWNER, {"group": int(value)})
    names = join_names([mention(m) for m in others]) or "your pair"
    ctx.reply(f"Type your message for {names} and I'll pass it on, with your name. `cancel` stops.")


def _typed(ctx: Context) -> None:
    conv = ctx.conversation()
    text = (ctx.incoming.text if ctx.incoming else "").strip()
    if conv is None:
        return
    ctx.end_conversation()
    if not text or text.lower() in _STOP:
        ctx.reply("Nothing was passed on.")
        return
    group_id = int(conv.state.get("group", 0))
    others = [m for m in _others(ctx, group_id) if not m.unreachable]
    for other in others:
        ctx.dm(
            other,
            f"*From {mention(ctx.member)}, your learning pair:*\n> {literal(text)}",
            choices=[Choice("Reply through me", RELAY, str(group_id))],
        )
    ctx.reply(f"Passed on to {join_names([mention(m) for m in others])}." if others else "No one in your pair can get messages just now.")


def _home(ctx: Context) -> HomeSection | None:
    """The member's current pair or trio (their latest group), and a way to write to them."""
    mine = ctx.session.exec(
        select(PairMember)
        .where(PairMember.member_id == ctx.member.id, PairMember.met != MetStatus.REMATCHED.value)
        .order_by(col(PairMember.id).desc())
    ).first()
    if mine is None:
        return None
    group = ctx.session.get(PairGroup, mine.group_id)
    others = _others(ctx, mine.group_id)
    if group is None or not others:
        return None
    host = ctx.session.get(Member, group.host_id) if group.host_id else None
    when = group.created_at.astimezone(ctx.tz_of())
    kind = "trio" if len(others) > 1 else "pair"
    text = f"{join_names([mention(m) for m in others])}, since {when:%a} {when.day} {when:%b}."
    if host is not None:
        text += f" Host: {mention(host)}."
    return HomeSection(
        name="pairing.current",
        title=f"Your learning {kind}",
        items=(item(text, Choice("Write to them through me", RELAY, str(mine.group_id))),),
    )


def register(router: Router) -> None:
    router.home_section("pairing.current", _home, order=30)
    router.action(RELAY, _pressed)
    router.conversation(OWNER, _typed)
