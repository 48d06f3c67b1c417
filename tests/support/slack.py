"""Drive Beacon through the real Slack adapter, end to end, from a test.

The bot runs the real slack-bolt app (signature checks and all) behind our
Starlette server, talks to a :class:`~tests.fakes.FakeSlack` Web API on
127.0.0.1, and keeps its state in a real database::

    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", name="Ada", tz="Europe/Paris")
        await sb.command("U1", "reflect")          # /beacon reflect, then delivery
        await sb.dm("U1", "my answer")             # a DM to the bot
        await sb.press("U1", "Skip")               # a button on the last DM with it
        await sb.submit("U1", values={"answer": "…"})  # the last modal opened for U1
        assert "Thanks" in sb.last_text("U1")

Every action posts a signed request, waits for the handling the adapter does
after its ack, then drains the outbox, so what the fake received is ready to
be read.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.adapters.base import Limits
from bot.adapters.slack.adapter import SlackAdapter
from bot.app import Beacon, build_app
from bot.core.clock import FakeClock
from bot.server.http import build_http_app
from bot.settings import Settings
from bot.store.db import Store
from tests.fakes import (
    FakeSlack,
    post_signed,
    slack_app_mention,
    slack_block_actions,
    slack_interactive_body,
    slack_message_im,
    slack_slash_command,
    slack_view_submission,
)

__all__ = ["SIGNING_SECRET", "TOKEN", "SlackBot", "slack_bot"]

TOKEN = "xoxb-test-token"
SIGNING_SECRET = "test-signing-secret"
TEAM = "T0BEACON"
_triggers = itertools.count(9_000_000)


@dataclass
class SlackBot:
    """A running Beacon on Slack, the fake it talks to, and a client to post into it."""

    beacon: Beacon
    slack: FakeSlack
    http: httpx.AsyncClient
    adapter: SlackAdapter
    responses_seen: int = 0
    last_trigger: dict[str, str] = field(default_factory=dict)

    # -- people ----------------------------------------------------------------------

    def user(self, user_id: str, *, name: str | None = None, tz: str = "Europe/London", **kw: Any) -> dict:
        """Register a Slack user with the fake (for users.info)."""
        return self.slack.add_user(user_id, name=(name or user_id).lower(), real_name=name, display_name=name, tz=tz, **kw)

    def dm_channel(self, user_id: str) -> str:
        return self.slack.dm_channel(user_id)

    # -- acting (each returns the HTTP response to the signed request) ---------------

    def _known(self, user_id: str) -> None:
        if user_id not in self.slack.users:
            self.user(user_id)

    async def post(
        self, body: dict[str, Any] | str, *, retry_num: int | None = None, forged: bool = False, timestamp: int | None = None
    ) -> httpx.Response:
        response = await post_signed(
            self.http, "/slack/events", body, signing_secret=SIGNING_SECRET, retry_num=retry_num, forged=forged, timestamp=timestamp
        )
        await self.settle()
        return response

    async def settle(self) -> None:
        """Finish what was acknowledged, then deliver what it queued, until both are done
        (a delivered roster question is answered by a command, which queues more)."""
        for _ in range(10):
            await self.adapter.settle()
            if not await self.beacon.delivery.drain():
                return

    async def command(self, user_id: str, text: str, *, channel: str | None = None, **kw: Any) -> httpx.Response:
        """``/beacon <text>`` in the user's DM with the bot, or in ``channel``."""
        self._known(user_id)
        channel_id = channel or self.dm_channel(user_id)
        body = slack_slash_command(
            text,
            user_id=user_id,
            user_name=user_id.lower(),
            channel_id=channel_id,
            channel_name="directmessage" if channel is None else "learning",
            response_url=self.slack.response_url(),
            **kw,
        )
        self.last_trigger[user_id] = body["trigger_id"]
        return await self.post(body)

    async def dm(self, user_id: str, text: str, **kw: Any) -> httpx.Response:
        self._known(user_id)
        return await self.post(slack_message_im(text, user=user_id, channel=self.dm_channel(user_id), **kw))

    async def mention(self, user_id: str, text: str, *, channel: str = "C0LEARN01", **kw: Any) -> httpx.Response:
        self._known(user_id)
        return await self.post(slack_app_mention(text, user=user_id, channel=channel, **kw))

    async def press(self, user_id: str, label: str, *, message: dict[str, Any] | None = None) -> httpx.Response:
        """Press the button labelled ``label`` on the latest message in the user's DM that has it."""
        channel, msg = self._message_with(user_id, label) if message is None else (message["_channel"], message)
        button = next(b for b in _buttons(msg) if b["text"]["text"].lower() == label.lower())
        body = slack_block_actions(
            button["action_id"],
            button.get("value", ""),
            user_id=user_id,
            user_name=user_id.lower(),
            channel_id=channel,
            message_ts=msg["ts"],
            message_text=msg.get("text", ""),
            response_url=self.slack.response_url(),
        )
        body["actions"][0]["text"]["text"] = button["text"]["text"]
        body["message"]["blocks"] = msg.get("blocks", [])
        self.last_trigger[user_id] = body["trigger_id"]
        return await self.post(slack_interactive_body(body))

    async def submit(self, user_id: str, values: dict[str, str], *, view: dict[str, Any] | None = None) -> httpx.Response:
        """Submit the last modal opened (``views.open``) with ``{field: text}``."""
        view = view or self.last_view()
        state: dict[str, dict[str, Any]] = {}
        for block in view["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            value = values.get(block["block_id"], "")
            if element["type"] == "static_select":
                state[block["block_id"]] = {
                    element["action_id"]: {
                        "type": "static_select",
                        "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value} if value else None,
                    }
                }
            else:
                state[block["block_id"]] = {element["action_id"]: value}
        payload = slack_view_submission(
            view["callback_id"], state, private_metadata=view.get("private_metadata", ""), user_id=user_id, user_name=user_id.lower()
        )
        payload["trigger_id"] = f"{next(_triggers)}.1234567890.{uuid.uuid4().hex}"  # one per submission, as Slack does
        return await self.post(slack_interactive_body(payload))

    # -- reading ---------------------------------------------------------------------

    def inbox(self, user_id: str) -> list[dict[str, Any]]:
        """Messages now in the user's DM channel (posted or updated), oldest first."""
        return self.slack.messages(self.dm_channel(user_id))

    def last_text(self, user_id: str) -> str:
        box = self.inbox(user_id)
        assert box, f"{user_id} has no DM from the bot; calls: {[c.method for c in self.slack.calls]}"
        return box[-1]["text"]

    def ephemerals(self) -> list[dict[str, Any]]:
        """Everything sent through response URLs or chat.postEphemeral, in order."""
        out = []
        for call in self.slack.calls:
            if call.method in ("response_url", "chat.postEphemeral"):
                out.append(call.params)
        return out

    def last_view(self) -> dict[str, Any]:
        opened = self.slack.calls_to("views.open", ok=True)
        assert opened, "no modal was opened"
        view = opened[-1]["view"]
        return json.loads(view) if isinstance(view, str) else view

    # -- the Home tab ------------------------------------------------------------------

    async def open_home(self, user_id: str) -> httpx.Response:
        """The user opens Beacon's Home tab (``app_home_opened``, tab ``home``)."""
        self._known(user_id)
        return await self.post(self.slack.home_opened(user_id))

    def home(self, user_id: str) -> dict[str, Any]:
        """The Home view Slack now shows the user (the last ``views.publish`` it took)."""
        assert user_id in self.slack.homes, f"no Home was published for {user_id}; calls: {[c.method for c in self.slack.calls]}"
        return self.slack.homes[user_id]

    def home_text(self, user_id: str) -> str:
        """Every text of the user's Home, one block a line (headers, sections, buttons)."""
        lines = []
        for block in self.home(user_id)["blocks"]:
            if "text" in block:
                lines.append(block["text"]["text"])
            lines += [e["text"]["text"] for e in block.get("elements", []) if e.get("type") == "button"]
        return "\n".join(lines)

    def publishes(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """The views.publish calls Slack took (for ``user_id``), oldest first."""
        return [p for p in self.slack.calls_to("views.publish", ok=True) if user_id is None or p.get("user_id") == user_id]

    async def press_home(self, user_id: str, label: str, *, nth: int = 0) -> httpx.Response:
        """Press the ``nth`` button labelled ``label`` on the user's Home tab, as Slack sends it
        (a ``view`` container: no channel, no message, no response URL)."""
        view = self.home(user_id)
        matching = [b for b in _buttons(view) if b["text"]["text"].lower() == label.lower()]
        assert len(matching) > nth, f"the Home of {user_id} has no {label!r} button (has {[b['text']['text'] for b in _buttons(view)]})"
        button = matching[nth]
        body = slack_block_actions(button["action_id"], button.get("value", ""), user_id=user_id, user_name=user_id.lower())
        for key in ("channel", "message", "response_url"):
            body.pop(key, None)
        body["container"] = {"type": "view", "view_id": view["id"]}
        body["view"] = view
        body["actions"][0]["text"]["text"] = button["text"]["text"]
        self.last_trigger[user_id] = body["trigger_id"]
        return await self.post(slack_interactive_body(body))

    def _message_with(self, user_id: str, label: str) -> tuple[str, dict[str, Any]]:
        channel = self.dm_channel(user_id)
        for msg in reversed(self.slack.messages(channel)):
            if any(b["text"]["text"].lower() == label.lower() for b in _buttons(msg)):
                return channel, msg
        raise AssertionError(f"no message to {user_id} has a {label!r} button")


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [e for b in blocks if b.get("type") == "actions" for e in b.get("elements", []) if e.get("type") == "button"]


@contextlib.asynccontextmanager
async def slack_bot(
    store: Store,
    clock: FakeClock,
    *,
    limits: Limits | None = Limits(per_second=0, per_chat_interval=0),
    slack: FakeSlack | None = None,
    **settings: Any,
) -> AsyncIterator[SlackBot]:
    """Beacon with the real Slack adapter against a fake Slack; see the module docstring.

    ``limits`` defaults to no pacing so tests don't wait for real seconds;
    pass ``None`` for Slack's real limits.
    """
    async with contextlib.AsyncExitStack() as stack:
        # the fake counts Slack's per-channel limit on the test's clock: no real waiting
        fake = slack or await stack.enter_async_context(FakeSlack(clock=lambda: clock.now().timestamp()))
        config = Settings(
            SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url, BEACON_CONFIG="/none.yaml", **settings
        )
        beacon = build_app(config, clock=clock, store=store, adapters=[])
        extra = {"limits": limits} if limits is not None else {}
        adapter = SlackAdapter.from_settings(config, handle=beacon.handle, store=store, **extra)
        adapter.people.clock = lambda: clock.now().timestamp()  # "not seen for a week" on the test's clock
        beacon.add_adapter(adapter)
        await adapter.start()
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=build_http_app(beacon)), base_url="http://testserver")
        )
        try:
            yield SlackBot(beacon=beacon, slack=fake, http=http, adapter=adapter)
        finally:
            await adapter.stop()
            beacon.dispatcher.executor.shutdown(wait=True)
