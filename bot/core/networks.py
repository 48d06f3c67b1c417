"""One person, several networks: what a shared private chat acts in.

On a platform whose private chat does not say which network it belongs to
(Telegram: one private chat per person and bot, whatever groups they share),
a person in several groups is several members. The dispatcher, the
``/beacon network`` command and the question "which is this answer for?" all
read the person's networks from here, in one order: the one they chose last,
then the one they were last active in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import nulls_last
from sqlmodel import Session, col, select

from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.messages import Choice
from bot.store.models import CONVERSATION_OF, LEFT_GROUP, Conversation, Member, Network

__all__ = [
    "MEMBERSHIP_CHANNEL",
    "MEMBERSHIP_CHANNEL_NAME",
    "CHOOSE",
    "TYPED",
    "WHICH",
    "Membership",
    "act_as",
    "ask_which",
    "memberships",
    "open_conversations",
]

MEMBERSHIP_CHANNEL = "membership_channel"
"""``Network.settings`` key (persisted): the Slack channel id whose people are the network's
members; the welcome flow sets it and the Slack adapter follows joins and leaves there."""
MEMBERSHIP_CHANNEL_NAME = "membership_channel_name"


@dataclass(frozen=True)
class Membership:
    network: Network
    member: Member


def memberships(session: Session, platform: str, user_id: str) -> list[Membership]:
    """The person's networks on ``platform``, the one their private commands act in first."""
    rows = session.exec(
        select(Network, Member)
        .join(Member, col(Member.network_id) == col(Network.id))
        .where(Network.platform == platform, Member.platform_user_id == user_id)
        .where(col(Member.unreachable_reason).is_(None) | (Member.unreachable_reason != LEFT_GROUP))  # left the group: not theirs now
        .order_by(nulls_last(col(Member.chosen_at).desc()), nulls_last(col(Member.last_active_at).desc()), col(Member.id))
    ).all()
    return [Membership(network, member) for network, member in rows]


def open_conversations(session: Session, platform: str, user_id: str) -> list[tuple[Membership, Conversation]]:
    """The questions open for the person in each of their networks, in :func:`memberships` order."""
    found = []
    for m in memberships(session, platform, user_id):
        conv = session.exec(CONVERSATION_OF, params={"member_id": m.member.id}).first()
        if conv is not None:
            found.append((m, conv))
    return found


WHICH = "network.which"
"""The action of a "which network is this answer for?" button; its value is the conversation's id."""
CHOOSE = "network.choose"
"""The action of a ``/beacon network`` button; its value is the network's id."""
TYPED = "typed_reply"
"""Where a typed reply waits, in each open conversation's state, until the person says which it answers."""


def ask_which(ctx: Context, open_in: list[tuple[Membership, Conversation]]) -> None:
    """Two networks have a question open: keep what was typed in each, and ask which it answers."""
    text = ctx.incoming.text if ctx.incoming else ""
    for _, conv in open_in:
        ctx.save_conversation(conv, {**conv.state, TYPED: text})
    ctx.reply(
        "You have a question open in more than one network. Which is this answer for? Nothing you typed is lost.",
        choices=[Choice(m.network.name[:60], WHICH, str(conv.id)) for m, conv in open_in],
    )


def act_as(ctx: Context, member: Member) -> None:
    """Let ``ctx`` act for the same person as ``member`` of another of their networks.

    Raises:
        UserError: ``member`` is someone else (a forged button).
    """
    me = ctx.member
    network = ctx.session.get(Network, member.network_id)
    if me is None or network is None or member.platform_user_id != me.platform_user_id or network.platform != ctx.network.platform:
        raise UserError("That button is not yours, so it did nothing.")
    ctx.network, ctx.member = network, member
