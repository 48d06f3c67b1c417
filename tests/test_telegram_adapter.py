"""End to end: the real python-telegram-bot Application against FakeTelegram."""

from __future__ import annotations

from sqlmodel import select

from bot.store.models import Member, Network

from .telegram_harness import GROUP_ID, TelegramHarness


def _members(store, user_id: str) -> list[Member]:
    with store.session() as session:
        return list(session.exec(select(Member).where(Member.platform_user_id == user_id)))


async def test_command_by_polling_gets_the_help_reply(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join")
        await th.command("beacon", "help")
        assert any("/beacon join" in t for t in th.texts(1001)), th.tg.calls
