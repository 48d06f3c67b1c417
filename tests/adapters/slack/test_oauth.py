"""Installing Beacon into a workspace with Slack's OAuth flow (Bolt's), the
installation kept in our database, and events from that workspace answered
with its own bot token. Runs against the fake Slack on 127.0.0.1."""

from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager

import httpx
from sqlmodel import select

from bot.adapters.slack.adapter import SlackAdapter
from bot.adapters.slack.oauth import SignedStateStore
from bot.app import build_app
from bot.core.messages import Address, Outgoing
from bot.server.http import build_http_app
from bot.server.logs import configure_logging
from bot.settings import Settings
from bot.store.models import InboundEvent, Member, OutboxMessage, OutboxStatus
from bot.store.outbox import enqueue
from bot.store.slack import SlackInstallation
from tests.fakes import FakeSlack, post_signed, slack_event_callback, slack_message_im
from tests.support.slack import SIGNING_SECRET

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"


@asynccontextmanager
async def oauth_bot(store, clock):
    async with FakeSlack() as slack:
        settings = Settings(
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            BEACON_CONFIG="/none.yaml",
        )
        beacon = build_app(settings, clock=clock, store=store)
        adapter = beacon.adapters["slack"]
        await adapter.start()
        transport = httpx.ASGITransport(app=build_http_app(beacon))
        try:
            # https: Bolt's state cookie is Secure
            async with httpx.AsyncClient(transport=transport, base_url="https://beacon.test") as http:
                yield beacon, adapter, slack, http
        finally:
            await adapter.stop()
            beacon.dispatcher.executor.shutdown(wait=True)


async def install(http: httpx.AsyncClient, code: str = "code-1") -> httpx.Response:
    page = await http.get("/slack/install")
    assert page.status_code == 200
    state = re.search(r"state=([^&\"']+)", page.text).group(1)
    assert f"client_id={CLIENT_ID}" in page.text and "chat%3Awrite" in page.text.replace(":", "%3A")
    return await http.get("/slack/oauth_redirect", params={"code": code, "state": state})


def installations(store) -> list[SlackInstallation]:
    with store.session() as session:
        return list(session.exec(select(SlackInstallation)))


async def test_install_then_events_use_the_workspace_token(sqlite_store, clock):
    async with oauth_bot(sqlite_store, clock) as (beacon, adapter, slack, http):
        assert isinstance(adapter, SlackAdapter) and adapter.status() == {"ok": True, "mode": "oauth"}
        done = await install(http)
        assert done.status_code == 200, done.text
        (row,) = installations(sqlite_store)
        token = row.data["bot_token"]
        assert row.team_key == slack.team_id and token.startswith("xoxb-fake-")
        assert slack.calls_to("oauth.v2.access")[0]["code"] == "code-1"

        response = await post_signed(http, "/slack/events", slack_message_im("hello", user="U1"), signing_secret=SIGNING_SECRET)
        assert response.status_code == 200
        await adapter.settle()
        await beacon.delivery.drain()
        (post,) = [c for c in slack.calls if c.method == "chat.postMessage" and c.ok]
        assert post.token == token and "/beacon help" in post.params["text"]

        # installing again (new code, new token) replaces the row, and sends use the new token
        await install(http, code="code-2")
        (row,) = installations(sqlite_store)
        assert row.data["bot_token"] != token
        await post_signed(http, "/slack/events", slack_message_im("again", user="U1"), signing_secret=SIGNING_SECRET)
        await adapter.settle()
        await beacon.delivery.drain()
        last = [c for c in slack.calls if c.method == "chat.postMessage" and c.ok][-1]
        assert last.token == row.data["bot_token"]


async def test_a_workspace_that_did_not_install_is_turned_away(sqlite_store, clock):
    async with oauth_bot(sqlite_store, clock) as (beacon, adapter, slack, http):
        response = await post_signed(http, "/slack/events", slack_message_im("hello", user="U1"), signing_secret=SIGNING_SECRET)
        assert response.status_code == 200  # Bolt says so politely instead of inviting retries
        await adapter.settle()
        await beacon.delivery.drain()
        assert slack.calls_to("chat.postMessage") == []
        with sqlite_store.session() as session:
            assert session.exec(select(InboundEvent)).all() == [] and session.exec(select(Member)).all() == []


async def test_a_forged_state_installs_nothing(sqlite_store, clock):
    async with oauth_bot(sqlite_store, clock) as (beacon, adapter, slack, http):
        await http.get("/slack/install")
        response = await http.get("/slack/oauth_redirect", params={"code": "x", "state": "made.up.state"})
        assert response.status_code >= 400
        assert installations(sqlite_store) == [] and slack.calls_to("oauth.v2.access") == []


async def test_signed_state_expires_and_cannot_be_altered():
    store = SignedStateStore("secret", ttl=600)
    state = await store.async_issue()
    assert await store.async_consume(state)
    nonce, expiry, sig = state.split(".")
    assert not await store.async_consume(f"{nonce}.{int(expiry) + 1000}.{sig}")
    assert not await SignedStateStore("other").async_consume(state)
    expired = SignedStateStore("secret", ttl=-1)
    assert not await expired.async_consume(await expired.async_issue())


async def test_the_new_workspaces_token_is_never_logged(sqlite_store, clock, caplog):
    """slack-sdk logs every response body at DEBUG, oauth.v2.access's too: the
    new token is not a configured secret, so the masker must know its shape."""
    caplog.set_level(logging.DEBUG)
    httpx_level = logging.getLogger("httpx").level
    configure_logging("DEBUG", [CLIENT_SECRET, SIGNING_SECRET])
    try:
        async with oauth_bot(sqlite_store, clock) as (_beacon, _adapter, _slack, http):
            assert (await install(http)).status_code == 200
            (row,) = installations(sqlite_store)
        token = row.data["bot_token"]
        assert "oauth.v2.access" in caplog.text  # the call was logged, at DEBUG
        assert token not in caplog.text and token.removeprefix("xoxb-") not in caplog.text
    finally:
        logging.getLogger("httpx").setLevel(httpx_level)
        for handler in logging.getLogger().handlers:
            handler.filters.clear()


async def test_an_uninstalled_workspace_keeps_its_messages_and_a_reinstall_delivers_them(sqlite_store, clock):
    async with oauth_bot(sqlite_store, clock) as (beacon, adapter, slack, http):
        assert (await install(http)).status_code == 200
        old = installations(sqlite_store)[0].data["bot_token"]

        async def event(body):
            assert (await post_signed(http, "/slack/events", body, signing_secret=SIGNING_SECRET)).status_code == 200
            await adapter.settle()
            await beacon.delivery.drain()

        await event(slack_message_im("hello", user="U1"))
        slack.revoke("account_inactive", token=old)
        await event(slack_event_callback({"type": "app_uninstalled"}, team_id=slack.team_id))
        (row,) = installations(sqlite_store)
        assert row.revoked_at is not None and row.revoked_reason == "app_uninstalled"

        with sqlite_store.session() as session:  # a scheduled prompt, say: Slack sends no events from an uninstalled workspace
            ada = session.exec(select(Member)).one()
            enqueue(
                session,
                key="e2e:held",
                network_id=ada.network_id,
                platform="slack",
                outgoing=Outgoing(text="A prompt", to=Address.member(ada.id)),
                now=clock.now(),
            )
        await beacon.delivery.drain()
        held = [r for r in outbox(sqlite_store) if r.status == OutboxStatus.PENDING]
        assert len(held) == 1 and held[0].last_error.startswith("held: ")
        with sqlite_store.session() as session:
            assert not session.exec(select(Member)).one().unreachable

        assert (await install(http, code="code-2")).status_code == 200  # reinstalled: a new token
        (row,) = installations(sqlite_store)
        assert row.revoked_at is None and row.data["bot_token"] != old
        await beacon.delivery.drain()
        assert [r.status for r in outbox(sqlite_store)] == [OutboxStatus.SENT, OutboxStatus.SENT]
        assert (
            slack.calls_to("chat.postMessage", ok=True)[-1]
            and [c.token for c in slack.calls if c.method == "chat.postMessage" and c.ok][-1] == row.data["bot_token"]
        )


def outbox(store) -> list[OutboxMessage]:
    with store.session() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
