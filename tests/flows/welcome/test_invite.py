"""Telegram: a bot can't write first, so the group gets start buttons, and facilitators see who
hasn't pressed one. The real python-telegram-bot against the strict fake, which refuses
private messages to people who never started the bot and checks every inline button."""

from __future__ import annotations

from sqlmodel import select

from bot.store.models import Member
from tests.fakes import tg_my_chat_member, tg_text, tg_user
from tests.support.telegram import GROUP_ID, TelegramHarness


def members(store) -> dict[str, Member]:
    with store.session() as session:
        return {m.platform_user_id: m for m in session.exec(select(Member))}


def arrived(*users: dict, by: int | None = None) -> dict:
    """The service message a group shows when people join it (``new_chat_members``)."""
    update = tg_text("", user_id=by or users[0]["id"], chat_id=GROUP_ID)
    update["message"].pop("text", None)
    update["message"]["new_chat_members"] = list(users)
    return update


def start_buttons(th: TelegramHarness, chat_id: int = GROUP_ID) -> list[tuple[str, str]]:
    """``(text, url)`` of the link buttons on messages in ``chat_id``, oldest first."""
    out = []
    for (chat, _), message in sorted(th.tg.messages.items(), key=lambda kv: kv[0][1]):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) if chat == chat_id else []:
            out += [(message.get("text", ""), b["url"]) for b in row if b.get("url")]
    return out


async def started_facilitator(th: TelegramHarness) -> None:
    await th.push(tg_my_chat_member("member", "left", chat_id=GROUP_ID, user_id=7007))  # 7007 adds the bot
    await th.command("start", str(GROUP_ID), user_id=7007)


async def test_someone_who_joins_the_group_is_welcomed_there_with_a_start_button(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await started_facilitator(th)
        await th.push(arrived(tg_user(2001, first_name="Bea", username="bea"), tg_user(2002, first_name="Cy", username="cy")))
        buttons = start_buttons(th)
        assert len(buttons) == 2 and all(url == f"https://t.me/{th.adapter.username}?start={GROUP_ID}" for _, url in buttons)
        assert any("Bea" in text for text, _ in buttons) and any("Cy" in text for text, _ in buttons)
        rows = members(sqlite_store)
        assert not rows["2001"].has_private_chat and not rows["2002"].has_private_chat
        await th.command("start", str(GROUP_ID), user_id=2001)  # pressing the button sends /start <payload>
        assert members(sqlite_store)["2001"].has_private_chat and "welcome to <b>" in th.last_text(2001)


async def test_a_bot_joining_the_group_gets_no_welcome(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await started_facilitator(th)
        await th.push(arrived(tg_user(2009, first_name="Helper", username="helper_bot", is_bot=True), by=7007))
        assert not start_buttons(th) and "2009" not in members(sqlite_store)


async def test_members_shows_who_has_not_started_the_bot_yet_with_counts(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await started_facilitator(th)
        await th.push(arrived(tg_user(2001, first_name="Bea", username="bea"), tg_user(2002, first_name="Cy", username="cy")))
        await th.command("start", str(GROUP_ID), user_id=2002)
        await th.command("beacon", "members", user_id=7007)
        listing = th.last_text(7007)
        assert "Not started a private chat with me yet</b> (1 of 3): Bea." in listing
        assert "Cy" not in listing.split("Not started")[1] and "/beacon members invite" in listing


async def test_members_invite_posts_a_start_button_in_the_group_from_a_private_chat_or_the_group(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await started_facilitator(th)
        await th.push(arrived(tg_user(2001, first_name="Bea", username="bea")))
        before = len(start_buttons(th))
        await th.command("beacon", "members invite", user_id=7007)
        assert len(start_buttons(th)) == before + 1
        text, url = start_buttons(th)[-1]
        assert "press <b>Start Beacon</b>" in text and url.endswith(f"?start={GROUP_ID}")
        assert "1 member has not started a private chat with me yet" in th.last_text(7007)
        await th.group_command("members invite", user_id=7007)
        assert len(start_buttons(th)) == before + 2


async def test_only_facilitators_post_the_invite(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await started_facilitator(th)
        th.tg.set_member(GROUP_ID, 2002, "member")
        await th.command("start", str(GROUP_ID), user_id=2002)
        await th.command("beacon", "members invite", user_id=2002)
        assert "Only facilitators" in th.last_text(2002) and not start_buttons(th)
