"""What Telegram tells us about members and chats, written to the store.

A member blocking or unblocking the bot, a send refused because they did, and
a group turning into a supergroup (new chat id) all change stored rows. These
are synchronous store calls the adapter runs in an executor; keeping them here
leaves the adapter with only the Bot API side of each event.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.core.members import leave_network
from bot.store.db import Store
from bot.store.migrate_chat import move_network
from bot.store.models import Member, Network

__all__ = ["leave_group", "mark_member", "move_chat", "set_reachable"]


def set_reachable(store: Store, user_id: str, reachable: bool, reason: str = "") -> int:
    """Mark every Telegram member row of this user (un)reachable; returns how many."""
    with store.session() as session:
        rows = session.exec(
            select(Member)
            .join(Network, col(Network.id) == col(Member.network_id))
            .where(Network.platform == "telegram", Member.platform_user_id == user_id)
        ).all()
        for member in rows:
            member.unreachable = not reachable
            member.unreachable_reason = None if reachable else reason[:200]
            if reachable:
                member.has_private_chat = True
            session.add(member)
        return len(rows)


def leave_group(store: Store, chat_id: int, user_id: int) -> bool:
    """Someone left (or was removed from) a network's group: they leave the network (:func:`leave_network`)."""
    with store.session() as session:
        member = session.exec(
            select(Member)
            .join(Network, col(Network.id) == col(Member.network_id))
            .where(Network.platform == "telegram", Network.platform_key == str(chat_id), Member.platform_user_id == str(user_id))
        ).first()
        if member is None:
            return False
        leave_network(member)
        session.add(member)
        return True


def move_chat(store: Store, old_chat: int | str, new_chat: int | str) -> None:
    """A group became a supergroup: its network and stored channels follow the new id."""
    with store.session() as session:
        move_network(session, platform="telegram", old_key=str(old_chat), new_key=str(new_chat))


def mark_member(store: Store, member_id: int) -> None:
    """One addressee of a multi-member send has blocked the bot."""
    with store.session() as session:
        member = session.get(Member, member_id)
        if member is not None:
            member.unreachable = True
            member.unreachable_reason = "blocked the bot on Telegram"
            session.add(member)
