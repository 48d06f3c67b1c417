"""Names are text, and pairs can reach each other, on real Telegram rendering."""

from __future__ import annotations

from sqlmodel import col, select

from bot.store.models import Member
from tests.fakes import tg_command, tg_text
from tests.fakes.factories import tg_user
from tests.support.telegram import GROUP_ID, TelegramHarness

EVIL = "<https://evil.example|Tap here>"


def _as(update: dict, user_id: int, first_name: str, username: str | None) -> dict:
    user = tg_user(user_id, first_name=first_name, username=username)
    update["message"]["from"] = user
    if update["message"]["chat"]["type"] == "private":
        update["message"]["chat"] = {"id": user_id, "type": "private", "first_name": first_name}
    return update


async def _join(th: TelegramHarness, user_id: int, first_name: str, username: str | None, *, start: bool = True) -> None:
    await th.push(
        _as(tg_command("beacon", "join", user_id=user_id, chat_id=GROUP_ID, bot_username=th.tg.bot_user["username"]), user_id, first_name, username)
    )
    if start:
        await th.push(_as(tg_command("start", str(GROUP_ID), user_id=user_id), user_id, first_name, username))


async def test_a_name_that_looks_like_a_link_or_html_stays_text_in_the_group_welcome(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _join(th, 1001, "Fac", "fac")
        await _join(th, 1002, f"<b>{EVIL}", None, start=False)
        welcome = th.last_text(GROUP_ID)
        assert "evil.example" in welcome and 'href="https://evil.example"' not in welcome
        assert "&lt;b&gt;" in welcome and "<b>&lt;" not in welcome
        assert 'href="tg://user?id=1002"' in welcome  # a mention that needs no @username


async def test_an_introduction_mentions_members_without_a_username_and_offers_a_relay(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _join(th, 1001, "Fac", "fac")
        with sqlite_store.session() as session:
            fac = session.exec(select(Member).where(Member.platform_user_id == "1001")).one()
            fac.opted_out = ["pairing"]
            session.add(fac)
            session.commit()
        await _join(th, 1002, "Ann", None)
        await _join(th, 1003, "Bob", "bob_r")
        await th.command("beacon", "pairing run-now", user_id=1001)
        await th.press("Run round 1: pair 2 members", user_id=1001)  # run-now asks first
        intro = th.last_text(1003)
        assert "you're matched" in intro
        assert '<a href="tg://user?id=1002">Ann</a>' in intro
        await th.press("Write to them through me", user_id=1003)
        assert "Type your message for" in th.last_text(1003)
        await th.push(_as(tg_text("Coffee on Tuesday? <b>10:00</b>", user_id=1003), 1003, "Bob", "bob_r"))
        relayed = th.last_text(1002)
        assert "From" in relayed and "Coffee on Tuesday? &lt;b&gt;10:00&lt;/b&gt;" in relayed
        assert "Passed on to" in th.last_text(1003)
        await th.press("Reply through me", user_id=1002)
        await th.push(_as(tg_text("Yes!", user_id=1002), 1002, "Ann", None))
        assert "Yes!" in th.last_text(1003)
        with sqlite_store.session() as session:
            assert session.exec(select(Member).where(col(Member.is_facilitator))).first() is not None
