"""End to end through Slack: the real slack-bolt app behind our Starlette server,
signed requests in, a fake Slack Web API on 127.0.0.1 out, a real database.

Nothing of ours is mocked; tests register tiny commands, actions and forms on
the real router to exercise buttons and modals.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.adapters.slack.adapter import SLACK_LIMITS, SlackAdapter
from bot.adapters.slack.blocks import CUT_MARKER
from bot.app import build_app
from bot.core.errors import FormErrors
from bot.core.messages import Address, Attachment, Choice, Field, Form, Outgoing
from bot.server.http import build_http_app
from bot.settings import Settings
from bot.store.models import InboundEvent, Member, Network, OutboxMessage, OutboxStatus
from tests.fakes import FakeSlack, post_signed, slack_message_im, slack_slash_command, slack_url_verification
from tests.support import ROOT
from tests.support.slack import SIGNING_SECRET, TOKEN, slack_bot

TEAM = "T0BEACON"


def rows(store, model, *where):
    with store.session() as session:
        return list(session.exec(select(model).where(*where)))


def member(store, user_id: str) -> Member:
    (m,) = rows(store, Member, Member.platform_user_id == user_id)
    return m


def ok_posts(slack: FakeSlack, channel: str | None = None) -> list[dict]:
    return [p for p in slack.calls_to("chat.postMessage", ok=True) if channel is None or p["channel"] == channel]


# -- commands ---------------------------------------------------------------------


async def test_slash_command_in_a_dm_answers_by_dm_and_creates_the_member(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", name="Ada Lovelace", tz="Europe/Paris")
        response = await sb.command("U1", "help")
        assert response.status_code == 200 and response.text == ""  # acked at once, answer comes later

        assert "Commands:" in sb.last_text("U1")
        assert sb.slack.calls_to("conversations.open") == [{"users": "U1"}]
        ada = member(sqlite_store, "U1")
        assert (ada.display_name, ada.timezone, ada.dm_channel) == ("Ada Lovelace", "Europe/Paris", sb.dm_channel("U1"))
        (network,) = rows(sqlite_store, Network)
        assert (network.platform, network.platform_key, network.name) == ("slack", TEAM, "Beacon Test")

        await sb.command("U1", "help help")  # the DM channel and the user are cached now
        assert len(sb.slack.calls_to("conversations.open")) == 1
        assert len(sb.slack.calls_to("users.info")) == 1
        assert len(ok_posts(sb.slack, sb.dm_channel("U1"))) == 2


async def test_a_burst_from_someone_new_asks_slack_who_they_are_once(sqlite_store, clock):
    """Five messages at once from a person not yet cached: one users.info and one
    team.info, not five of each (users.info allows about 100 calls a minute)."""
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", name="Ada Lovelace", tz="Europe/Paris")
        responses = await asyncio.gather(*(sb.dm("U1", f"hello {i}") for i in range(5)))
        await sb.settle()
        assert [r.status_code for r in responses] == [200] * 5
        assert len(sb.slack.calls_to("users.info")) == 1
        assert len(sb.slack.calls_to("team.info")) == 1
        assert len(ok_posts(sb.slack, sb.dm_channel("U1"))) == 5  # each message still answered
        assert member(sqlite_store, "U1").display_name == "Ada Lovelace"


async def test_web_api_calls_share_kept_alive_connections(sqlite_store, clock):
    """Every Web API call on one connection pool: a new connection per message would
    mean a TLS handshake with slack.com for each one."""
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", name="Ada")
        sb.user("U2", name="Bo")
        for i in range(3):
            await sb.dm("U1", f"hello {i}")
            await sb.dm("U2", f"hello {i}")
        calls = len(sb.slack.calls)
        assert calls >= 10  # auth.test, users.info ×2, team.info, conversations.open ×2, six replies
        assert len(sb.slack.connections) <= 2, f"{len(sb.slack.connections)} connections for {calls} calls"


async def test_slash_command_in_a_channel_answers_privately_through_the_response_url(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", name="Ada")
        await sb.command("U1", "help", channel="C0LEARN01")
        (answer,) = [body for _, body in sb.slack.responses]
        assert answer["response_type"] == "ephemeral" and "Commands:" in answer["text"]
        assert ok_posts(sb.slack) == []  # nothing was posted for the channel to see


async def test_unknown_command_gets_a_helpful_answer(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await sb.command("U1", "hlep")
        assert "/beacon help" in sb.last_text("U1") and "don't know" in sb.last_text("U1")


async def test_mention_with_a_command_answers_ephemerally_in_the_channel(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await sb.mention("U1", "help", channel="C0LEARN01")
        (eph,) = sb.slack.calls_to("chat.postEphemeral", ok=True)
        assert (eph["channel"], eph["user"]) == ("C0LEARN01", "U1") and "Commands:" in eph["text"]


# -- direct messages --------------------------------------------------------------


async def test_a_dm_that_answers_no_question_gets_the_pointer(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        response = await sb.dm("U1", "hello?")
        assert response.status_code == 200
        assert "/beacon help" in sb.last_text("U1")


async def test_a_dm_reply_goes_to_the_open_conversation(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        router = sb.beacon.router

        def ask(ctx):
            ctx.start_conversation("e2e.ask", {"step": 1})
            ctx.reply("What did you try this week?")

        def answer(ctx):
            ctx.end_conversation()
            ctx.reply(f"Noted: {ctx.incoming.text}")

        router.command("e2e ask", ask, help="test")
        router.conversation("e2e.ask", answer)
        await sb.command("U1", "e2e ask")
        assert sb.last_text("U1") == "What did you try this week?"
        await sb.dm("U1", "peer review of plans")
        assert sb.last_text("U1") == "Noted: peer review of plans"


async def test_bot_messages_and_edits_are_ignored(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await sb.post(slack_message_im("echo", user="UBOT0001", bot_id="BBOT0001", channel=sb.dm_channel("U1")))
        edited = slack_message_im("changed", user="U1", channel=sb.dm_channel("U1"))
        edited["event"]["subtype"] = "message_changed"
        await sb.post(edited)
        assert rows(sqlite_store, InboundEvent) == [] and ok_posts(sb.slack) == []


async def test_a_retried_event_is_handled_once(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        body = slack_message_im("hello", user="U1", channel=sb.dm_channel("U1"), event_id="Ev0RETRY001")
        first = await sb.post(body)
        again = await sb.post(body, retry_num=1)
        third = await sb.post(body, retry_num=2)
        assert [r.status_code for r in (first, again, third)] == [200, 200, 200]
        assert len(ok_posts(sb.slack, sb.dm_channel("U1"))) == 1
        assert [e.event_id for e in rows(sqlite_store, InboundEvent)] == ["Ev0RETRY001"]


async def test_a_full_backlog_turns_events_away_for_slack_to_retry_and_loses_none(sqlite_store, clock):
    import sqlite3

    async with slack_bot(sqlite_store, clock) as sb:
        sb.adapter.max_backlog = 3
        sb.user("U1")
        await sb.dm("U1", "warm up")  # the network and member exist; the rest is about the backlog
        bodies = [slack_message_im(f"note {i}", user="U1", channel=sb.dm_channel("U1"), event_id=f"Ev0BUSY{i:03d}")
                  for i in range(5)]  # fmt: skip
        busy = sqlite3.connect(sqlite_store.engine.url.database, isolation_level=None)
        busy.execute("BEGIN IMMEDIATE")  # someone else is writing: handling waits for the database
        try:
            answers = [await post_signed(sb.http, "/slack/events", b, signing_secret=SIGNING_SECRET) for b in bodies]
        finally:
            busy.execute("ROLLBACK")
            busy.close()
        assert [a.status_code for a in answers] == [200, 200, 200, 503, 503]
        assert answers[3].headers["retry-after"] == "60" and "busy" in answers[3].text
        await sb.settle()
        for body in bodies[3:]:  # Slack's retries of the two it was refused
            assert (await sb.post(body, retry_num=1)).status_code == 200
        handled = {e.event_id for e in rows(sqlite_store, InboundEvent)}
        assert {b["event_id"] for b in bodies} <= handled  # none lost, none twice:
        assert len([p for p in ok_posts(sb.slack, sb.dm_channel("U1")) if "question" in p.get("text", "")]) == 6
        assert sb.adapter.shed == 2


# -- verification -----------------------------------------------------------------


async def test_url_verification_handshake(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        response = await sb.post(slack_url_verification("challenge-xyz"))
        assert response.status_code == 200 and "challenge-xyz" in response.text


@pytest.mark.parametrize("how", ["forged", "stale"])
async def test_a_bad_or_stale_signature_gets_401_and_touches_nothing(sqlite_store, clock, how):
    async with slack_bot(sqlite_store, clock) as sb:
        kw = {"forged": True} if how == "forged" else {"timestamp": 1_000_000_000}
        for body in (slack_slash_command("help", user_id="U1"), slack_message_im("hi", user="U1")):
            response = await sb.post(body, **kw)
            assert response.status_code == 401
        assert rows(sqlite_store, InboundEvent) == [] and rows(sqlite_store, Member) == []
        assert [c.method for c in sb.slack.calls] == ["auth.test"]  # only our own start-up check


# -- buttons ----------------------------------------------------------------------


def _register_pick(router, pressed: list):
    def pick(ctx):
        ctx.reply("Which colour?", choices=[Choice("Red", "e2e.colour", "red"), Choice("Blue", "e2e.colour", "blue"), Choice("Neither", "e2e.none")])

    def colour(ctx):
        pressed.append((ctx.incoming.action_id, ctx.incoming.value))
        ctx.reply(f"You chose {ctx.incoming.value}")

    router.command("e2e pick", pick, help="test")
    router.action("e2e.colour", colour)


async def test_a_button_press_reaches_its_action_and_replaces_the_buttons(sqlite_store, clock):
    pressed: list = []
    async with slack_bot(sqlite_store, clock) as sb:
        _register_pick(sb.beacon.router, pressed)
        await sb.command("U1", "e2e pick")
        (question,) = ok_posts(sb.slack, sb.dm_channel("U1"))
        buttons = question["blocks"][-1]["elements"]
        assert [b["text"]["text"] for b in buttons] == ["Red", "Blue", "Neither"]
        assert len({b["action_id"] for b in buttons}) == 3  # unique although two share an action

        response = await sb.press("U1", "Blue")
        assert response.status_code == 200
        assert pressed == [("e2e.colour", "blue")]  # the original action id, the button's value
        assert sb.last_text("U1") == "You chose blue"
        (update,) = sb.slack.calls_to("chat.update", ok=True)
        assert update["ts"] == question.get("ts", update["ts"]) and "✓ Blue" in update["text"]
        edited = [m for m in sb.inbox("U1") if "✓ Blue" in m["text"]]
        assert edited and not any(b["type"] == "actions" for b in edited[0]["blocks"])


# -- modals -----------------------------------------------------------------------


def _register_form(router, saved: list):
    form = Form(
        id="e2e.form",
        title="Your reflection",
        context="occurrence=7",
        fields=(
            Field(name="tried", label="What did you try?", required=True, multiline=True, max_length=800),
            Field(name="mode", label="How", options=("adapted", "accelerated", "closely_based")),
        ),
    )

    def open_it(ctx):
        ctx.open_form(form)

    def submitted(ctx):
        values = ctx.incoming.form_values
        if len(values["tried"]) < 5:
            raise FormErrors({"tried": "A few more words, please."})
        saved.append((values["tried"], values["mode"], ctx.incoming.form_context))
        ctx.reply("Saved, thank you.")

    router.command("e2e form", open_it, help="test")
    router.form("e2e.form", submitted)


async def test_a_command_opens_a_modal_and_its_submission_runs_the_form_handler(sqlite_store, clock):
    saved: list = []
    async with slack_bot(sqlite_store, clock) as sb:
        _register_form(sb.beacon.router, saved)
        await sb.command("U1", "e2e form")
        (opened,) = sb.slack.calls_to("views.open", ok=True)
        assert opened["trigger_id"] == sb.last_trigger["U1"]
        view = opened["view"]
        assert view["callback_id"] == "e2e.form"
        assert json.loads(view["private_metadata"]) == {"form": "e2e.form", "context": "occurrence=7"}

        bad = await sb.submit("U1", {"tried": "no", "mode": ""})
        assert bad.status_code == 200
        assert bad.json() == {"response_action": "errors", "errors": {"tried": "A few more words, please."}}
        assert saved == [] and ok_posts(sb.slack) == []  # the error shows in the modal, not in a DM

        good = await sb.submit("U1", {"tried": "Pairing on the rota", "mode": "adapted"})
        assert good.status_code == 200 and good.text == ""  # closes the modal
        assert saved == [("Pairing on the rota", "adapted", "occurrence=7")]
        assert sb.last_text("U1") == "Saved, thank you."


# -- delivery ---------------------------------------------------------------------


async def test_a_429_is_delivered_after_retry_after_exactly_once(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.slack.fail_next("chat.postMessage", retry_after=1)
        await sb.command("U1", "help")
        assert sb.slack.count("chat.postMessage", status=429) == 1 and ok_posts(sb.slack) == []
        (row,) = rows(sqlite_store, OutboxMessage)
        assert row.status == OutboxStatus.PENDING and row.next_attempt_at == clock.now() + timedelta(seconds=1)

        assert await sb.beacon.delivery.drain() == 0  # not before Retry-After has passed
        clock.advance(seconds=1)
        await sb.beacon.delivery.drain()
        clock.advance(minutes=10)
        await sb.beacon.delivery.drain()
        assert len(ok_posts(sb.slack)) == 1 and "Commands:" in sb.last_text("U1")
        (row,) = rows(sqlite_store, OutboxMessage)
        assert row.status == OutboxStatus.SENT


async def test_someone_slack_will_not_let_us_dm_is_marked_unreachable_and_not_retried(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:

        def nudge(ctx):
            for m in ctx.members():
                if m.id != ctx.member.id:
                    ctx.dm(m, "A gentle nudge")
            ctx.reply("Nudged.")

        sb.beacon.router.command("e2e nudge", nudge, help="test")
        await sb.dm("U2", "hi")  # U2 joins
        sb.slack.fail_for("U2", error="cannot_dm_bot")
        await sb.command("U1", "e2e nudge")
        for _ in range(3):
            clock.advance(hours=1)
            await sb.beacon.delivery.drain()

        gone = member(sqlite_store, "U2")
        assert gone.unreachable and "cannot_dm_bot" in gone.unreachable_reason
        failed = [r for r in rows(sqlite_store, OutboxMessage) if r.payload["text"] == "A gentle nudge"]
        assert [r.status for r in failed] == [OutboxStatus.FAILED]
        attempts = [c for c in sb.slack.calls if c.method == "chat.postMessage" and c.params["channel"] == sb.dm_channel("U2")]
        assert [c.response["error"] for c in attempts if not c.ok] == ["cannot_dm_bot"]  # tried once, never again
        assert sb.last_text("U1") == "Nudged."


async def test_a_refused_message_is_parked_and_a_server_error_is_retried(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.slack.fail_next("chat.postMessage", error="invalid_blocks")
        await sb.command("U1", "help")
        sb.slack.fail_next("chat.postMessage", status=500)
        await sb.dm("U1", "hello")
        refused, retried = rows(sqlite_store, OutboxMessage)
        assert refused.status == OutboxStatus.FAILED and "invalid_blocks" in refused.last_error
        assert retried.status == OutboxStatus.PENDING and retried.next_attempt_at > clock.now()
        assert not member(sqlite_store, "U1").unreachable  # Slack refusing a message says nothing about the person
        clock.advance(minutes=10)
        await sb.beacon.delivery.drain()
        assert [m["text"] for m in sb.inbox("U1")] == [rows(sqlite_store, OutboxMessage)[1].payload["text"]]
        assert rows(sqlite_store, OutboxMessage)[1].status == OutboxStatus.SENT


async def test_long_text_is_split_within_block_kit_limits_and_accepted(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        paragraphs = [f"Practice {i}: " + "steal with pride " * 100 for i in range(60)]  # ~100,000 characters

        def digest(ctx):
            ctx.reply("\n\n".join(paragraphs), header="Weekly digest")

        sb.beacon.router.command("e2e digest", digest, help="test")
        await sb.command("U1", "e2e digest")
        (post,) = ok_posts(sb.slack)
        blocks = post["blocks"]
        assert len(blocks) <= 50 and blocks[0]["type"] == "header"
        texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        assert all(len(t) <= 3000 for t in texts) and texts[0].startswith("Practice 0:")
        assert texts[-1].endswith(CUT_MARKER) and len(post["text"]) <= 40_000


async def test_group_dm_channel_post_and_picture(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:

        def pair(ctx):
            others = [m.id for m in ctx.members()]
            ctx.send(Outgoing(text="Meet your learning pair", to=Address.group(others)))
            ctx.post("C0LEARN01", "A new practice was shared")
            ctx.reply("Participation chart", attachment=Attachment.picture(b"\x89PNG fake", "chart.png"))

        sb.beacon.router.command("e2e pair", pair, help="test")
        await sb.dm("U2", "hi")
        await sb.command("U1", "e2e pair")
        group = sb.slack.dm_channel("U1", "U2")
        assert {"users": "U1,U2"} in sb.slack.calls_to("conversations.open")
        assert [m["text"] for m in sb.slack.messages(group)] == ["Meet your learning pair"]
        assert [m["text"] for m in sb.slack.messages("C0LEARN01")] == ["A new practice was shared"]
        (picture,) = sb.slack.files.values()
        assert picture["content"] == b"\x89PNG fake" and picture["channels"] == [sb.dm_channel("U1")]
        assert picture["alt_txt"] == "Participation chart"  # said for people who cannot see it
        # a group DM channel is not stored as either member's own DM
        assert member(sqlite_store, "U2").dm_channel == sb.dm_channel("U2")


# -- wiring -----------------------------------------------------------------------


async def test_settings_choose_the_slack_adapter_and_healthz_reports_it(sqlite_store, clock):
    async with FakeSlack() as slack:
        settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.api_url, BEACON_CONFIG="/none.yaml")
        beacon = build_app(settings, clock=clock, store=sqlite_store)
        adapter = beacon.adapters["slack"]
        assert isinstance(adapter, SlackAdapter) and adapter.limits == SLACK_LIMITS
        await adapter.start()
        try:
            app = build_http_app(beacon)
            assert "/slack/events" in [r.path for r in app.routes]
            import httpx

            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                health = (await client.get("/healthz")).json()
                assert health["adapters"]["slack"] == {"ok": True, "mode": "http", "team_id": TEAM, "bot_user_id": "UBOT0001"}
                response = await post_signed(client, "/slack/events", slack_message_im("hi", user="U1"), signing_secret=SIGNING_SECRET)
                assert response.status_code == 200
            await adapter.settle()
            await beacon.delivery.drain()
            assert len(ok_posts(slack)) == 1
        finally:
            await adapter.stop()
            beacon.dispatcher.executor.shutdown(wait=True)


async def test_socket_mode_serves_no_http_route(sqlite_store, clock):
    settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_APP_TOKEN="xapp-1-test", BEACON_CONFIG="/none.yaml")
    adapter = SlackAdapter.from_settings(settings, handle=None)
    assert adapter.socket_mode and adapter.routes() == [] and adapter.status()["mode"] == "socket"


async def test_http_mode_without_a_signing_secret_is_refused():
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter.from_settings(Settings(SLACK_BOT_TOKEN=TOKEN, BEACON_CONFIG="/none.yaml"), handle=None)


def test_the_manifest_matches_what_the_adapter_serves_and_calls():
    import yaml

    manifest = yaml.safe_load((ROOT / "config" / "slack-manifest.yaml").read_text())
    (command,) = manifest["features"]["slash_commands"]
    settings = manifest["settings"]
    assert command["command"] == "/beacon" and command["url"].endswith("/slack/events")
    assert settings["interactivity"]["request_url"] == settings["event_subscriptions"]["request_url"] == command["url"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"message.im", "app_mention", "user_change", "app_uninstalled", "tokens_revoked",
                                                                  "member_joined_channel", "member_left_channel", "app_home_opened"}  # fmt: skip
    # the Home tab: enabled (views.publish needs no extra scope)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # what our Web API calls need: chat.*, conversations.open (im/mpim), users.info, team.info, files upload
    assert {"commands", "chat:write", "im:write", "mpim:write", "users:read", "team:read", "files:write", "im:history", "app_mentions:read"} <= scopes
    # conversations.members / .list / .info and the member_*_channel events, public and private channels
    assert {"channels:read", "groups:read"} <= scopes
