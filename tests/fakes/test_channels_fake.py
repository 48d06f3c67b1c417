"""The fakes list channels and take link buttons as the real platforms do (../shared/PLATFORMS.md).

Slack pages ``conversations.members`` and may return fewer than ``limit``, so a
client that ignores ``next_cursor`` sees only the first page; it lists a private
channel only to its members. Telegram takes an inline button that is either a
callback or a link, never both or neither. Each through the real client library.
"""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot
from telegram.error import BadRequest

from tests.fakes import FakeSlack, FakeTelegram
from tests.fakes.slack_api import MEMBERS_PAGE


@pytest.fixture
async def web():
    async with FakeSlack() as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
        yield fake, client
        if client.session is not None:
            await client.session.close()


async def test_conversations_members_pages_fewer_than_the_limit_until_the_cursor_is_empty(web):
    fake, client = web
    people = [f"U{i:03d}" for i in range(MEMBERS_PAGE * 2 + 1)]
    channel = fake.add_channel("learning", people)
    first = await client.conversations_members(channel=channel, limit=1000)
    assert len(first["members"]) == MEMBERS_PAGE and first["response_metadata"]["next_cursor"]
    seen, cursor = list(first["members"]), first["response_metadata"]["next_cursor"]
    while cursor:
        page = await client.conversations_members(channel=channel, limit=1000, cursor=cursor)
        seen += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
    assert seen == [*people, fake.bot_user_id]  # the bot is a member of a channel it was invited to


async def test_a_private_channel_is_listed_only_to_its_members(web):
    fake, client = web
    hidden = fake.add_channel("secret", ["U1"], private=True, bot_in=False)
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_members(channel=hidden)
    assert refused.value.response["error"] == "channel_not_found"
    listed = await client.conversations_list(types="public_channel,private_channel")
    assert hidden not in [c["id"] for c in listed["channels"]]


async def test_joins_and_leaves_come_as_events_and_change_the_members(web):
    fake, client = web
    channel = fake.add_channel("learning", ["U1"])
    joined = fake.join_channel(channel, "U2")
    assert joined["event"] == joined["event"] | {"type": "member_joined_channel", "user": "U2", "channel": channel}
    left = fake.leave_channel(channel, "U1")
    assert left["event"]["type"] == "member_left_channel" and sorted(fake.channel_members(channel)) == sorted(["U2", fake.bot_user_id])


@pytest.mark.parametrize(
    ("button", "error"),
    [
        ({"text": "Both", "url": "https://t.me/x?start=1", "callback_data": "a|b"}, "exactly one"),
        ({"text": "Neither"}, "exactly one"),
        ({"text": "Odd", "url": "javascript:alert(1)"}, "(?i)button_url_invalid"),
    ],
)
async def test_an_inline_button_is_a_callback_or_a_link(button, error):
    async with FakeTelegram() as fake:
        fake.start_user(42)
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            sent = await bot.send_message(42, "link", reply_markup={"inline_keyboard": [[{"text": "Start", "url": "https://t.me/x?start=1"}]]})
            assert sent.reply_markup.inline_keyboard[0][0].url == "https://t.me/x?start=1"
            with pytest.raises(BadRequest, match=error):
                await bot.send_message(42, "bad", reply_markup={"inline_keyboard": [[button]]})
