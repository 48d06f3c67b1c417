"""Telegram gives no time zone: the bot asks at the first private contact, in one tap."""

from __future__ import annotations

from sqlmodel import select

from bot.store.models import Member, Network
from tests.support.telegram import GROUP_ID, TelegramHarness


def _zones(store) -> list[str | None]:
    with store.session() as session:
        return [m.timezone for m in session.exec(select(Member).order_by(Member.id))]


def _set_network_zone(store, name: str) -> None:
    with store.session() as session:
        for n in session.exec(select(Network)):
            n.timezone = name
            session.add(n)
        session.commit()


async def test_the_first_private_contact_asks_the_zone_in_one_tap(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join", user_id=1001)
        _set_network_zone(sqlite_store, "Europe/London")
        await th.command("start", str(GROUP_ID), user_id=1001)
        asked = [t for t in th.texts(1001) if "Which time zone are you in?" in t]
        assert len(asked) == 1 and "Until you choose, I use" in asked[0] and "Europe/London" in asked[0] and "local time" in asked[0]
        _, message = th.message_with_button("Another city", chat_id=1001)
        labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
        assert labels[0].startswith("London") and any(label.startswith("Paris") for label in labels)
        await th.press(next(label for label in labels if label.startswith("Paris")))
        assert _zones(sqlite_store) == ["Europe/Paris"] and "Europe/Paris" in th.last_text(1001)
        await th.command("beacon", "help")
        assert sum("Which time zone" in t for t in th.texts(1001)) == 1  # asked once


async def test_another_city_is_typed_with_a_suggestion_when_not_understood(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join", user_id=1001)
        await th.command("start", str(GROUP_ID), user_id=1001)
        await th.press("Another city")
        await th.say("Lisbn")
        assert "Did you mean Europe/Lisbon?" in th.last_text(1001) and _zones(sqlite_store) == [None]
        await th.say("lisbon")
        assert _zones(sqlite_store) == ["Europe/Lisbon"]
