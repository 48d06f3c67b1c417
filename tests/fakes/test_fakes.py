"""The fake Slack and Telegram servers are faithful enough for the real clients.

Every test drives the real slack_sdk / slack-bolt / python-telegram-bot code
over HTTP on 127.0.0.1 against the fakes; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time

import httpx
import pytest
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler

from tests.fakes import (
    FakeSlack,
    FakeTelegram,
    make_png,
    post_signed,
    post_update,
    signed_headers,
    slack_app_mention,
    slack_block_actions,
    slack_interactive_body,
    slack_message_im,
    slack_selected,
    slack_slash_command,
    slack_url_verification,
    slack_view_submission,
    tg_callback_query,
    tg_command,
    tg_edited_message,
    tg_my_chat_member,
    tg_text,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"


@pytest.fixture
async def slack():
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def telegram():
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def web(slack):
    client = AsyncWebClient(token=TOKEN, base_url=slack.api_url)
    yield client
    if client.session is not None:
        await client.session.close()


def build_application(fake: FakeTelegram, token: str | None = None) -> Application:
    return ApplicationBuilder().token(token or fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).job_queue(None).build()


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# -- FakeSlack with slack_sdk ------------------------------------------------
async def test_slack_post_message_returns_unique_increasing_ts(slack, web):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = await web.chat_postMessage(channel="C0LEARN01", text="hi", blocks=blocks)
    second = await web.chat_postMessage(channel="C0LEARN01", text="again")

    assert first["ok"] and first["channel"] == "C0LEARN01"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks
    assert slack.calls[0] == ("chat.postMessage", {"channel": "C0LEARN01", "text": "hi", "blocks": blocks})
    assert slack.calls[0].token == TOKEN
    assert [m["text"] for m in slack.messages("C0LEARN01")] == ["hi", "again"]


async def test_slack_rejects_missing_or_unknown_token(slack):
    with pytest.raises(SlackApiError) as missing:
        await AsyncWebClient(base_url=slack.api_url).chat_postMessage(channel="C1", text="x")
    assert missing.value.response["error"] == "not_authed"

    slack.tokens = {TOKEN}
    with pytest.raises(SlackApiError) as wrong:
        await AsyncWebClient(token="xoxb-other", base_url=slack.api_url).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    assert (await AsyncWebClient(token=TOKEN, base_url=slack.api_url).auth_test())["bot_id"] == slack.bot_id


async def test_slack_conversations_open_gives_stable_ids_per_user_set(slack, web):
    one = (await web.conversations_open(users="U0ALICE01"))["channel"]["id"]
    again = (await web.conversations_open(users=["U0ALICE01"]))["channel"]["id"]
    group = (await web.conversations_open(users=["U0BOB0001", "U0ALICE01"]))["channel"]["id"]

    assert one == again == slack.dm_channel("U0ALICE01") and one.startswith("D")
    assert group.startswith("G") and group == slack.dm_channel("U0ALICE01", "U0BOB0001")
    posted = await web.chat_postMessage(channel="U0ALICE01", text="hello")
    assert posted["channel"] == one


async def test_slack_users_info_serves_configured_users(slack, web):
    slack.add_user("U0ALICE01", name="alice", real_name="Alice Smith", display_name="ali", tz="Europe/Berlin", tz_offset=3600)
    slack.add_user("U0GONE001", name="gone", deleted=True)

    alice = (await web.users_info(user="U0ALICE01"))["user"]
    assert (alice["name"], alice["real_name"], alice["profile"]["display_name"]) == ("alice", "Alice Smith", "ali")
    assert (alice["tz"], alice["tz_offset"], alice["deleted"]) == ("Europe/Berlin", 3600, False)
    assert (await web.users_info(user="U0GONE001"))["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as unknown:
        await web.users_info(user="U0NOBODY1")
    assert unknown.value.response["error"] == "user_not_found"


async def test_slack_rate_limit_is_a_429_with_retry_after(slack, web):
    slack.fail_next("chat.postMessage", retry_after=2)

    with pytest.raises(SlackApiError) as raised:
        await web.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "2"
    assert raised.value.response["error"] == "ratelimited"
    assert (await web.chat_postMessage(channel="C1", text="x"))["ok"]
    assert slack.count("chat.postMessage", status=429) == 1
    assert len(slack.calls_to("chat.postMessage", ok=True)) == 1


async def test_slack_fail_next_error_and_persistent_user_failure(slack, web):
    slack.fail_next("chat.postMessage", error="channel_not_found")
    slack.fail_for("U0GONE001", error="cannot_dm_bot")

    with pytest.raises(SlackApiError) as once:
        await web.chat_postMessage(channel="C1", text="x")
    assert once.value.response["error"] == "channel_not_found"
    for _ in range(2):
        with pytest.raises(SlackApiError) as persistent:
            await web.chat_postMessage(channel=slack.dm_channel("U0GONE001"), text="x")
        assert persistent.value.response["error"] == "cannot_dm_bot"
    assert (await web.conversations_open(users="U0ALICE01"))["ok"]


async def test_slack_files_upload_v2_round_trip(slack, web):
    result = await web.files_upload_v2(
        channel="C0LEARN01", content="week,notes\n1,pairs\n", filename="digest.csv", title="Digest", initial_comment="This week"
    )

    stored = slack.files[result["file"]["id"]]
    assert stored["content"] == b"week,notes\n1,pairs\n"
    assert (stored["name"], stored["title"], stored["channels"]) == ("digest.csv", "Digest", ["C0LEARN01"])
    assert [c.method for c in slack.calls] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


async def test_slack_update_delete_views_and_reactions(slack, web):
    posted = await web.chat_postMessage(channel="C1", text="draft")
    updated = await web.chat_update(channel="C1", ts=posted["ts"], text="final")
    assert updated["message"]["text"] == "final" and slack.messages("C1")[0]["text"] == "final"
    await web.reactions_add(channel="C1", timestamp=posted["ts"], name="tada")
    await web.chat_delete(channel="C1", ts=posted["ts"])
    assert slack.messages("C1") == []
    with pytest.raises(SlackApiError) as gone:
        await web.chat_update(channel="C1", ts=posted["ts"], text="late")
    assert gone.value.response["error"] == "message_not_found"

    view = {"type": "modal", "callback_id": "reflection", "title": {"type": "plain_text", "text": "Reflect"}, "blocks": []}
    opened = (await web.views_open(trigger_id="123.456.abc", view=view))["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "reflection"
    view["private_metadata"] = "pair:7"
    updated_view = (await web.views_update(view_id=opened["id"], view=view))["view"]
    assert updated_view["id"] == opened["id"] and updated_view["private_metadata"] == "pair:7"
    eph = await web.chat_postEphemeral(channel="C1", user="U0ALICE01", text="only you")
    assert eph["message_ts"]


async def test_slack_oauth_v2_access_uses_basic_auth_not_a_token(slack):
    client = AsyncWebClient(base_url=slack.api_url)
    install = await client.oauth_v2_access(client_id="111.222", client_secret="s3cret", code="the-code")
    assert install["access_token"].startswith("xoxb-") and install["team"]["id"] == slack.team_id
    assert install["bot_user_id"] == slack.bot_user_id
    me = await AsyncWebClient(token=install["access_token"], base_url=slack.api_url).auth_test()
    assert me["team_id"] == slack.team_id and me["user_id"] == slack.bot_user_id


# -- signing and posting to our app --------------------------------------------
async def test_signed_headers_verify_and_forged_ones_do_not():
    body = "token=x&command=%2Fbeacon&text=help"
    good = signed_headers(body, signing_secret=SECRET)
    forged = signed_headers(body, signing_secret=SECRET, forged=True)
    verifier = SignatureVerifier(SECRET)

    assert verifier.is_valid(body, good["X-Slack-Request-Timestamp"], good["X-Slack-Signature"])
    assert not verifier.is_valid(body, forged["X-Slack-Request-Timestamp"], forged["X-Slack-Signature"])
    assert forged["X-Slack-Signature"].startswith("v0=")


async def test_post_signed_sends_what_it_signed():
    seen: list[tuple[str, dict]] = []

    async def endpoint(request: Request) -> JSONResponse:
        seen.append(((await request.body()).decode(), dict(request.headers)))
        return JSONResponse({})

    app = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])
    verifier = SignatureVerifier(SECRET)
    await post_signed(app, "/slack/events", slack_slash_command("help"), signing_secret=SECRET)
    await post_signed(app, "/slack/events", slack_message_im("hi"), signing_secret=SECRET, retry_num=1)
    await post_signed(app, "/slack/events", slack_message_im("hi"), signing_secret=SECRET, forged=True)

    (form, form_headers), (event, event_headers), (forged, forged_headers) = seen
    assert form_headers["content-type"] == "application/x-www-form-urlencoded" and "command=%2Fbeacon" in form
    assert event_headers["content-type"] == "application/json" and json.loads(event)["event"]["text"] == "hi"
    assert event_headers["x-slack-retry-num"] == "1" and event_headers["x-slack-retry-reason"] == "http_timeout"
    assert verifier.is_valid_request(form, form_headers) and verifier.is_valid_request(event, event_headers)
    assert not verifier.is_valid_request(forged, forged_headers)


def bolt_app(slack: FakeSlack) -> tuple[AsyncApp, Starlette]:
    app = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=slack.api_url), signing_secret=SECRET)
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request):
        return await handler.handle(request)

    return app, Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])


async def test_bolt_accepts_factory_payloads_and_talks_to_the_fake(slack):
    app, asgi = bolt_app(slack)
    seen: dict[str, object] = {}

    @app.command("/beacon")
    async def command(ack, command, respond, client):
        await ack()
        await respond(f"you said {command['text']}")
        await client.chat_postMessage(channel=command["user_id"], text="and in your DMs")

    @app.event("message")
    async def message(event, say):
        await say(f"echo {event['text']}")

    @app.event("app_mention")
    async def mention(event, say):
        await say("mentioned")

    @app.action("reflect_now")
    async def action(ack, body, respond):
        await ack()
        await respond(f"pressed {body['actions'][0]['value']}")

    @app.view("reflection")
    async def view(ack, view):
        seen["view"] = view["state"]["values"]
        await ack()

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://app") as http:
        resp = await post_signed(http, "/slack/events", slack_slash_command("reflect", response_url=slack.response_url()), signing_secret=SECRET)
        assert resp.status_code == 200
        await slack.wait_for("chat.postMessage")
        assert slack.responses[0][1]["text"] == "you said reflect"
        assert slack.calls_to("chat.postMessage")[0]["channel"] == "U0ALICE01"

        resp = await post_signed(http, "/slack/events", slack_url_verification("c-123"), signing_secret=SECRET)
        assert resp.json() == {"challenge": "c-123"}

        await post_signed(http, "/slack/events", slack_message_im("hello"), signing_secret=SECRET)
        await post_signed(http, "/slack/events", slack_app_mention("help"), signing_secret=SECRET)
        posted = await slack.wait_for("chat.postMessage", 3)
        assert {(p["channel"], p["text"]) for p in posted[1:]} == {("D0ALICE01", "echo hello"), ("C0LEARN01", "mentioned")}

        actions = slack_block_actions("reflect_now", "now", response_url=slack.response_url())
        resp = await post_signed(http, "/slack/events", slack_interactive_body(actions), signing_secret=SECRET)
        assert resp.status_code == 200
        await slack.wait_for("response_url", 2)
        assert slack.responses[1][1]["text"] == "pressed now"

        submission = slack_view_submission("reflection", {"answer": {"text": "I learned"}, "pace": {"pick": slack_selected("weekly")}})
        resp = await post_signed(http, "/slack/events", slack_interactive_body(submission), signing_secret=SECRET)
        assert resp.status_code == 200
        assert seen["view"]["answer"]["text"]["value"] == "I learned"
        assert seen["view"]["pace"]["pick"]["selected_option"]["value"] == "weekly"

        forged = await post_signed(http, "/slack/events", slack_message_im("evil"), signing_secret=SECRET, forged=True)
        assert forged.status_code == 401
    assert slack.calls_to("auth.test"), "bolt authorizes through the fake's auth.test"


# -- FakeTelegram with python-telegram-bot ---------------------------------------
async def test_telegram_get_me_and_send_message(telegram):
    telegram.start_user(1001)
    application = build_application(telegram)
    async with application:
        me = await application.bot.get_me()
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Now", callback_data="reflect:now")]])
        first = await application.bot.send_message(chat_id=1001, text="[not json] 42", reply_markup=keyboard)
        second = await application.bot.send_message(chat_id=1001, text="again")
        other = await application.bot.send_message(chat_id=-1001234567890, text="group")

    assert (me.id, me.username, me.is_bot) == (123456, "beacon_test_bot", True)
    assert (first.text, first.chat.id, first.chat.type, first.from_user.id) == ("[not json] 42", 1001, "private", me.id)
    assert first.reply_markup == keyboard
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert other.chat.type == "supergroup"
    params = telegram.calls_to("sendMessage")[0]
    assert params["chat_id"] == 1001 and params["text"] == "[not json] 42"
    assert params["reply_markup"] == {"inline_keyboard": [[{"text": "Now", "callback_data": "reflect:now"}]]}


async def test_telegram_errors_map_to_ptb_exceptions(telegram):
    telegram.start_user(1001, 2002)
    telegram.fail_next("sendMessage", retry_after=3)
    telegram.block(2002)
    telegram.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    application = build_application(telegram)
    async with application:
        bot = application.bot
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(chat_id=1001, text="x")
        assert seconds(flood.value.retry_after) == 3
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(chat_id=1001, text="x")
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(chat_id=2002, text="x")
        with pytest.raises(BadRequest, match="(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=1001, message_id=99)
        assert (await bot.send_message(chat_id=1001, text="fine")).text == "fine"
    assert telegram.rate_limited_count == 1 and telegram.count("sendMessage", status=403) == 1


async def test_telegram_wrong_token_is_invalid_token(telegram):
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=telegram.base_url):
            pass


async def test_telegram_polling_command_and_callback_query(telegram):
    application = build_application(telegram)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Now", callback_data="reflect:now")]])

    async def start(update, context):
        await update.message.reply_text(f"welcome {' '.join(context.args)}", reply_markup=keyboard)

    async def button(update, context):
        await update.callback_query.answer("noted")
        await update.callback_query.edit_message_text(f"chose {update.callback_query.data}")

    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(button))
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=5))
        telegram.push_update(tg_command("start", "now", user_id=4242))
        await telegram.wait_for("sendMessage")
        sent = telegram.results("sendMessage")[0]
        telegram.push_update(tg_callback_query("reflect:now", user_id=4242, message_id=sent["message_id"]))
        await telegram.wait_for("editMessageText")
        await application.updater.stop()
        await application.stop()

    assert telegram.sent_texts(4242) == ["welcome now"]
    assert telegram.calls_to("answerCallbackQuery")[0]["text"] == "noted"
    assert telegram.messages[(4242, sent["message_id"])]["text"] == "chose reflect:now"
    assert "reply_markup" not in telegram.messages[(4242, sent["message_id"])]
    assert telegram.calls_to("deleteWebhook"), "start_polling bootstraps by deleting the webhook"


async def test_telegram_get_updates_long_polls_briefly_and_wakes_on_push(telegram):
    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        started = time.monotonic()
        assert await bot.get_updates(timeout=30) == ()
        assert time.monotonic() - started < 2 * telegram.long_poll_cap + 0.5

        async def push_soon():
            await asyncio.sleep(0.02)
            telegram.push_update(tg_text("late hello"))

        pusher = asyncio.create_task(push_soon())
        updates = await bot.get_updates(timeout=30)
        await pusher
        assert [u.message.text for u in updates] == ["late hello"]
        assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_telegram_uploads_are_multipart_and_downloadable(telegram):
    telegram.start_user(1001)
    png = make_png(4, 3)
    async with Bot(telegram.token, base_url=telegram.base_url, base_file_url=telegram.base_file_url) as bot:
        photo = await bot.send_photo(chat_id=1001, photo=png, caption="chart")
        doc = await bot.send_document(chat_id=1001, document=b"a,b\n1,2\n", filename="digest.csv")
        downloaded = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()

    assert photo.photo[-1].file_id and photo.caption == "chart"
    assert telegram.calls_to("sendPhoto")[0]["photo"]["content"] == png and (photo.photo[-1].width, photo.photo[-1].height) == (4, 3)
    assert doc.document.file_name == "digest.csv" and bytes(downloaded) == b"a,b\n1,2\n"


async def test_telegram_commands_chat_and_members(telegram):
    telegram.set_member(-100777, 55, "administrator")
    telegram.set_member(-100777, 56, "creator")
    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        await bot.set_my_commands([BotCommand("beacon", "Talk to Beacon"), BotCommand("help", "Help")])
        assert [c.command for c in await bot.get_my_commands()] == ["beacon", "help"]
        chat = await bot.get_chat(-100777)
        admins = await bot.get_chat_administrators(-100777)
        member = await bot.get_chat_member(-100777, 57)
    assert chat.type == "supergroup"
    assert sorted(a.user.id for a in admins) == [55, 56] and member.status == "left"  # never seen in that group


async def test_telegram_webhook_blocks_polling_and_post_update_reaches_app(telegram):
    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        await bot.set_webhook("https://beacon.example.org/telegram/webhook", secret_token="s3")
        assert (await bot.get_webhook_info()).url.endswith("/telegram/webhook")
        with pytest.raises(Conflict):
            await bot.get_updates()
        await bot.delete_webhook()

        received: list[Update] = []

        async def webhook(request: Request) -> JSONResponse:
            if request.headers.get("x-telegram-bot-api-secret-token") != "s3":
                return JSONResponse({}, status_code=403)
            received.append(Update.de_json(await request.json(), bot))
            return JSONResponse({})

        app = Starlette(routes=[Route("/telegram/webhook", webhook, methods=["POST"])])
        assert (await post_update(app, tg_text("via webhook"), "s3")).status_code == 200
        assert (await post_update(app, tg_text("no secret"))).status_code == 403
    assert [u.message.text for u in received] == ["via webhook"]


async def test_telegram_enforce_rate_answers_429_beyond_limits():
    now = [100.0]
    async with FakeTelegram(clock=lambda: now[0]) as fake:
        fake.start_user(1, 2, 3, 4)
        fake.enforce_rate(global_per_s=3, per_chat_per_s=1)
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            await bot.send_message(1, "a")
            with pytest.raises(RetryAfter):
                await bot.send_message(1, "b")  # second to one chat within a second
            await bot.send_message(2, "c")
            await bot.send_message(3, "d")
            with pytest.raises(RetryAfter):
                await bot.send_message(4, "e")  # fourth overall within a second
            now[0] += 1.01
            await bot.send_message(1, "f")
            await bot.get_me()  # not rate limited
    assert fake.rate_limited_count == 2 and fake.sent_texts() == ["a", "c", "d", "f"]


async def test_telegram_factories_parse_as_ptb_updates():
    bot = Bot("123456:TEST-beacon-token")
    command = Update.de_json(tg_command("beacon", "share idea", bot_username="beacon_test_bot", chat_id=-1001234567890), bot)
    assert command.message.text == "/beacon@beacon_test_bot share idea"
    assert list(command.message.parse_entities(["bot_command"]).values()) == ["/beacon@beacon_test_bot"]
    assert command.effective_chat.type == "supergroup"
    text = Update.de_json(tg_text("hello", user_id=77), bot)
    assert (text.effective_user.id, text.effective_chat.id, text.effective_chat.type) == (77, 77, "private")
    query = Update.de_json(tg_callback_query("reflect:later", message_id=9), bot)
    assert query.callback_query.data == "reflect:later" and query.callback_query.message.message_id == 9
    edited = Update.de_json(tg_edited_message("fixed typo", message_id=12), bot)
    assert edited.edited_message.text == "fixed typo" and edited.edited_message.edit_date
    blocked = Update.de_json(tg_my_chat_member("kicked"), bot)
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert tg_text("a")["update_id"] < tg_text("b")["update_id"]
