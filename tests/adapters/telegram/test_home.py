"""``/beacon home`` on Telegram, which has no Home tab: the page as messages through the
real python-telegram-bot against the strict fake, and its buttons work."""

from __future__ import annotations

from sqlmodel import select

from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.models import Member
from tests.support.telegram import GROUP_ID, TelegramHarness


async def test_home_on_telegram_is_messages_whose_buttons_work(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join", user_id=1001)
        await th.command("start", str(GROUP_ID), user_id=1001)
        with sqlite_store.session() as s:
            m = s.exec(select(Member).where(Member.platform_user_id == "1001")).one()
            s.add(Commitment(network_id=m.network_id, member_id=m.id, text="Call the youth team", created_at=clock.now(), updated_at=clock.now()))

        await th.command("beacon", "home")
        page = "\n".join(th.texts(1001))
        assert "Your commitments" in page and "Call the youth team" in page and "Pause and settings" in page
        await th.press("Done")
        with sqlite_store.session() as s:
            assert s.exec(select(Commitment)).one().status == CommitmentStatus.DONE
