"""The Slack adapter, on slack-bolt's async app and slack-sdk's async web client.

Inbound: Bolt verifies signatures, answers ``url_verification`` and routes
slash commands, DMs, mentions, button presses and modal submissions to our
listeners, which normalise them (:mod:`.slack_events`) and hand them to the
dispatcher. Slack wants an answer within 3 s, so commands, messages and
actions are acknowledged at once and handled in a task; only modal
submissions wait for the handler, because their validation errors travel back
in the acknowledgement.

Outbound: :meth:`SlackAdapter.send` is delegated to :mod:`.slack_send`, which
renders an envelope as Block Kit (:mod:`.slack_blocks`) and maps Slack's errors
onto the delivery worker's RetryLater / Unreachable / PermanentFailure.

A flow's question about a channel's people (an outbox row with a
:class:`~bot.core.messages.Roster`) is answered by listing it
(:mod:`.roster`) and handing the flow the hidden command it asked for. Once a
facilitator names a membership channel, ``member_joined_channel`` there
becomes the hidden ``members joined`` command (people only: bots and
deactivated accounts are not passed on) and ``member_left_channel`` takes
the member out of the network; the same events in other channels are
acknowledged and ignored.

What Slack says about the workspace is kept too (:mod:`.workspace`): a
``user_change`` (deactivated, reactivated, a new zone) updates the member; an
``app_uninstalled`` / ``tokens_revoked`` event, or a token error on any call,
marks the installation revoked, and its messages wait in the outbox until a
reinstall. Every event the manifest subscribes has a listener: Bolt answers
404 to one without, and Slack disables an app's events past 5 % failures.

HTTP mode serves ``POST /slack/events`` on the one Starlette server; with an
app-level token (``SLACK_APP_TOKEN``) it uses Socket Mode and serves no route.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.adapters.base import Adapter, Envelope, Limits, PermanentFailure, RetryLater, SendResult
from bot.adapters.slack.errors import REVOKED, error_of
from bot.adapters.slack.errors import describe as _describe
from bot.adapters.slack.events import action_incoming, command_incoming, event_incoming, home_opened_incoming, view_incoming
from bot.adapters.slack.oauth import oauth_settings
from bot.adapters.slack.people import SlackPeople
from bot.adapters.slack.roster import channel_roster
from bot.adapters.slack.send import SlackSender
from bot.adapters.slack.workspace import apply_user, held_reason, leave_channel, membership_channel, set_revoked
from bot.core.messages import ROSTER_KEY, Incoming

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.dispatch.results import HandleResult
    from bot.settings import Settings

__all__ = ["SlackAdapter", "SLACK_LIMITS"]

logger = logging.getLogger(__name__)

SLACK_LIMITS = Limits(per_second=20.0, per_chat_interval=1.0)
"""chat.postMessage: about one message per second per channel (short bursts allowed)."""
JOINED_COMMAND = "members joined"
"""The hidden command the welcome flow answers for someone who joined the membership channel."""
SLACKBOT = "USLACKBOT"
ROSTER_TRIES = 3
"""Tries at listing a channel Slack is rate limiting, each after its Retry-After."""
MAX_BACKLOG = 1000
"""Events acknowledged but not yet handled, at most: a few seconds of work."""

Handle = Callable[[Incoming], Awaitable["HandleResult"]]


class SlackAdapter(Adapter):
    """Slack for Beacon: one workspace with one bot token, or many through OAuth installs."""

    platform = "slack"
    limits = SLACK_LIMITS

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        handle: Handle,
        signing_secret: str = "",
        app_token: str | None = None,
        limits: Limits | None = None,
        user_ttl: float = 3600.0,
        store: Any = None,
        oauth: AsyncOAuthSettings | None = None,
        max_backlog: int = MAX_BACKLOG,
    ) -> None:
        self.client = client
        self.max_backlog = max_backlog
        self.shed = 0  # requests turned away while the backlog was full
        self.handle = handle
        self.app_token = app_token
        self.store = store
        if limits is not None:
            self.limits = limits
        # Our listeners only normalise, start a tracked task and ack, so Bolt may
        # run them before it answers: the ack stays fast, and every request's
        # work is registered (in ``_inflight``) by the time Slack gets its 200.
        self.app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True, oauth_settings=oauth)
        self.installations = oauth.installation_store if oauth else None
        self._clients: dict[str, AsyncWebClient] = {}
        self._register(self.app)
        self._socket: Any = None
        self._inflight: set[asyncio.Task] = set()
        self._revoked: dict[str, str] = {}  # team id ("*" for the single bot token) -> why
        self.people = SlackPeople(ttl=user_ttl, on_change=self._user_changed)
        self.sender = SlackSender(client_for=self._client_for, held=self._held, revoked=self._mark_revoked, deactivated=self.people.deactivated)
        self._auth: dict[str, Any] | None = None
        self._auth_error: str | None = None
        self._http: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, handle: Handle, store: Any = None, **kw: Any) -> SlackAdapter:
        if settings.slack_client_id and settings.slack_client_secret:
            return cls._with_oauth(settings, handle=handle, store=store, **kw)
        if settings.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set: Beacon needs the bot token of the Slack app")
        app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        if not secret and not app_token:
            raise ValueError("SLACK_SIGNING_SECRET is not set: HTTP mode cannot verify Slack's requests without it")
        client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
        return cls(client=client, handle=handle, signing_secret=secret, app_token=app_token, store=store, **kw)

    @classmethod
    def _with_oauth(cls, settings: Settings, *, handle: Handle, store: Any, **kw: Any) -> SlackAdapter:
        """Many workspaces: Bolt's OAuth flow, installations (and their tokens) in our database."""
        if store is None or settings.slack_signing_secret is None:
            raise ValueError("Slack OAuth needs SLACK_SIGNING_SECRET and a database")
        oauth = oauth_settings(client_id=settings.slack_client_id, client_secret=settings.slack_client_secret.get_secret_value(), store=store)
        adapter = cls(
            client=AsyncWebClient(base_url=settings.slack_api_url),
            handle=handle,
            store=store,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            oauth=oauth,
            **kw,
        )
        oauth.installation_store.on_change = adapter._reinstalled  # a new token
        return adapter

    def _reinstalled(self, team_id: str | None) -> None:
        """A (re)install: its new token replaces the old client, and held messages may go."""
        self._clients.pop(team_id or "", None)
        if self._revoked.pop(team_id or "", None) is not None:
            logger.info("slack: team %s reinstalled Beacon; delivering what was held", team_id)

    # -- the installation's state ------------------------------------------------

    def _revoked_key(self, team_id: str | None) -> str:
        return (team_id or "") if self.installations is not None else "*"

    async def _held(self, team_id: str) -> str | None:
        """Why sends to this workspace wait, or None. With OAuth the database has
        the last word, so a reinstall seen by another process resumes here too."""
        key = self._revoked_key(team_id)
        reason = self._revoked.get(key)
        if reason is not None and self.installations is not None and self.store is not None:
            if await asyncio.to_thread(held_reason, self.store, team_id) is None:
                self._revoked.pop(key, None)
                return None
        return reason

    async def _mark_revoked(self, team_id: str | None, reason: str) -> None:
        """Slack says the installation is gone: hold its messages, mark nobody."""
        key = self._revoked_key(team_id)
        if key not in self._revoked:
            logger.warning("slack: the installation in team %s is revoked (%s); its messages wait for a reinstall", team_id, reason)
        self._revoked[key] = reason
        self._clients.pop(team_id or "", None)
        if self.installations is not None and self.store is not None and team_id:
            await asyncio.to_thread(set_revoked, self.store, team_id, reason, datetime.now(UTC))

    async def _user_changed(self, user: dict[str, Any]) -> None:
        if self.store is not None:
            await asyncio.to_thread(apply_user, self.store, user.get("team_id"), user)

    async def _client_for(self, team_id: str | None) -> AsyncWebClient:
        """The single bot token's client, or the installing workspace's."""
        if self.installations is None:
            return self.client
        client = self._clients.get(team_id or "")
        if client is None:
            bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
            if bot is None or not bot.bot_token:
                raise PermanentFailure(f"Beacon is not installed in Slack team {team_id}")
            client = AsyncWebClient(token=bot.bot_token, base_url=self.client.base_url, session=self._http)
            self._clients[team_id or ""] = client
        return client

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    # -- life cycle -----------------------------------------------------------------

    async def start(self) -> None:
        self._open_http()
        if self.installations is not None:
            logger.info("slack: OAuth mode, install at /slack/install")
            return
        try:
            self._auth = dict((await self.client.auth_test()).data)
            logger.info("slack: connected to team %s as %s", self._auth.get("team_id"), self._auth.get("user_id"))
        except (TimeoutError, SlackApiError, SlackRequestError, aiohttp.ClientError, OSError) as exc:
            self._auth_error = _describe(exc)
            logger.error("slack: auth.test failed: %s", self._auth_error)
            if isinstance(exc, SlackApiError) and error_of(exc) in REVOKED:
                await self._mark_revoked(None, error_of(exc))
        if self.socket_mode:
            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            logger.info("slack: socket mode connected")

    async def stop(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
            self._socket = None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.settle(), timeout=10)
        await self._close_http()

    def _open_http(self) -> None:
        """One aiohttp session, and so kept-alive connections, for every Web API call.

        Without one, slack_sdk opens a session per call and closes it after: a
        new connection (and TLS handshake with slack.com) for every message sent.
        """
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        for client in (self.client, *self._clients.values()):
            client.session = self._http

    async def _close_http(self) -> None:
        if self._http is None:
            return
        for client in (self.client, *self._clients.values()):
            client.session = None  # a late call opens its own session rather than using a closed one
        await self._http.close()
        self._http = None

    async def settle(self) -> None:
        """Wait until every acknowledged event has been handled (tests, shutdown)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    def routes(self) -> list[BaseRoute]:
        if self.socket_mode:
            return []
        handler = AsyncSlackRequestHandler(self.app)

        async def events(request: Request):
            if request.method == "POST" and len(self._inflight) >= self.max_backlog:
                return self._busy()
            return await handler.handle(request)

        routes = [Route("/slack/events", events, methods=["POST"])]
        if self.installations is not None:
            routes += [Route(path, events, methods=["GET"]) for path in ("/slack/install", "/slack/oauth_redirect")]
        return routes

    def _busy(self) -> Response:
        """Turn a request away while the backlog is full, rather than acknowledge it.

        An acknowledged event is Slack's no longer: until it is handled it lives
        only in this process. So past ``max_backlog`` the answer is 503, and Slack
        tries the event again (at once, after a minute, after five); the person
        running a slash command sees that the bot is busy.
        """
        self.shed += 1
        if self.shed == 1 or self.shed % 100 == 0:
            logger.warning("slack: %d events waiting to be handled; turned away %d so far", len(self._inflight), self.shed)
        return PlainTextResponse("Beacon is busy; please try again shortly.", status_code=503, headers={"Retry-After": "60"})

    def status(self) -> dict[str, object]:
        if self.installations is not None:
            return {"ok": True, "mode": "oauth"}
        status: dict[str, object] = {"ok": self._auth is not None, "mode": "socket" if self.socket_mode else "http"}
        if self._auth:
            status.update(team_id=self._auth.get("team_id"), bot_user_id=self._auth.get("user_id"))
        if self._auth_error:
            status["error"] = self._auth_error
        if self._socket is not None:
            client = getattr(self._socket, "client", None)
            status["connected"] = not getattr(client, "closed", False)
        return status

    # -- inbound --------------------------------------------------------------------

    def _register(self, app: AsyncApp) -> None:
        # Bolt tries listeners in the order they were added: direct messages,
        # by far the most frequent request, go first
        app.event("message")(self._on_event)
        app.command("/beacon")(self._on_command)
        app.event("app_mention")(self._on_event)
        app.event("app_home_opened")(self._on_home_opened)
        app.action(re.compile(".*"))(self._on_action)
        app.view(re.compile(".*"))(self._on_view)
        # the workspace's own news: every event the manifest subscribes needs a listener
        app.event("user_change")(self._on_user_change)
        app.event("app_uninstalled")(self._on_revoked_event)
        app.event("tokens_revoked")(self._on_revoked_event)
        app.event("member_joined_channel")(self._on_channel_membership)
        app.event("member_left_channel")(self._on_channel_membership)

    def _spawn(self, incoming: Incoming | None) -> None:
        """Handle after the ack; the task is tracked so shutdown and tests can wait for it."""
        if incoming is None:
            return
        task = asyncio.get_running_loop().create_task(self._process(incoming))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _on_command(self, ack, body: dict[str, Any]) -> None:
        self._spawn(command_incoming(body))
        await ack()

    async def _on_event(self, ack, body: dict[str, Any], request=None) -> None:
        bot_user = (self._auth or {}).get("user_id")
        incoming = event_incoming(body, bot_user)
        if request is not None and request.headers.get("x-slack-retry-num"):
            logger.info("slack retry %s of %s", request.headers.get("x-slack-retry-num"), body.get("event_id"))
        self._spawn(incoming)
        await ack()

    async def _on_home_opened(self, ack, body: dict[str, Any]) -> None:
        """The member opened Beacon's Home tab: publish their Home (views.publish, from the outbox)."""
        self._spawn(home_opened_incoming(body))
        await ack()

    async def _on_user_change(self, ack, body: dict[str, Any]) -> None:
        """Deactivated, reactivated, or moved zone: the member row follows."""
        user = dict((body.get("event") or {}).get("user") or {})
        user.setdefault("team_id", body.get("team_id"))
        self.people.heard(user)
        self._track(self._user_changed(user))
        await ack()

    async def _on_channel_membership(self, ack, body: dict[str, Any]) -> None:
        self._track(self._channel_membership(body))
        await ack()

    async def _channel_membership(self, body: dict[str, Any]) -> None:
        """Joins and leaves of the membership channel keep the network in step; others are ignored."""
        event = body.get("event") or {}
        team_id, user_id, channel = body.get("team_id") or event.get("team"), event.get("user"), event.get("channel")
        if not user_id or not channel or self.store is None or user_id == (self._auth or {}).get("user_id"):
            return
        if channel != await asyncio.to_thread(membership_channel, self.store, team_id):
            return
        if event.get("type") == "member_left_channel":
            if await asyncio.to_thread(leave_channel, self.store, team_id, user_id):
                logger.info("slack user %s left the membership channel of team %s", user_id, team_id)
            return
        try:
            user = await self.people.user(await self._client_for(team_id), user_id)
        except PermanentFailure:
            return
        if user_id == SLACKBOT or user.get("is_bot") or user.get("deleted") or not user:
            return  # not a person who can take part
        incoming = Incoming(
            kind="command", command=JOINED_COMMAND, platform="slack", user_id=user_id, network_key=team_id,
            conversation=channel, is_private=False, event_id=body.get("event_id"), raw=body,
        )  # fmt: skip
        await self._process(incoming)

    async def _answer_roster(self, envelope: Envelope) -> SendResult:
        """A flow asked who is in a channel: list it in the background, then hand the flow
        the command it asked for, as the asker.

        Listing a large channel takes minutes (one paced ``users.info`` each), longer than
        a delivery may hold its slot or its lease, so the outbox row is done once the
        question is taken; a crash meanwhile loses only the answer, and asking again
        is safe (welcomes are keyed by member).
        """
        question = envelope.outgoing.roster
        asker = envelope.recipients[0] if envelope.recipients else None
        if question is None or asker is None:
            raise PermanentFailure("a roster question needs one member to answer")
        client = await self._client_for(envelope.network_key)
        self._track(self._roster(client, envelope, asker))
        return SendResult()

    async def _roster(self, client: AsyncWebClient, envelope: Envelope, asker) -> None:
        question = envelope.outgoing.roster
        bot_user = (self._auth or {}).get("user_id")
        for attempt in range(ROSTER_TRIES):
            try:
                roster = await channel_roster(client, question.channel, people=self.people, bot_user_id=bot_user, name=question.name)
                break
            except RetryLater as exc:
                if attempt + 1 == ROSTER_TRIES:
                    roster = {"channel": question.channel, "name": question.name or question.channel, "error": "ratelimited"}
                    break
                await self.people.sleep(exc.retry_after or 30.0)
        incoming = Incoming(
            kind="command", command=question.answer, platform="slack", user_id=asker.platform_user_id, network_key=envelope.network_key,
            conversation=asker.dm_channel, is_private=True, event_id=f"roster:{envelope.outbox_id}", raw={ROSTER_KEY: roster},
        )  # fmt: skip
        await self._process(incoming)

    async def _on_revoked_event(self, ack, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if event.get("type") == "app_uninstalled" or (event.get("tokens") or {}).get("bot"):
            self._track(self._mark_revoked(body.get("team_id"), str(event.get("type"))))
        await ack()

    async def _on_action(self, ack, body: dict[str, Any]) -> None:
        self._spawn(action_incoming(body))
        await ack()

    async def _on_view(self, ack, body: dict[str, Any]) -> None:
        """Modal submissions wait for the handler: field errors go back in the ack."""
        incoming = await self._enrich(view_incoming(body))
        try:
            result = await self.handle(incoming)
        except Exception:
            logger.exception("slack: form %s failed", incoming.form_id)
            await ack()
            return
        if result.form_errors:
            await ack(response_action="errors", errors={k: v[:150] for k, v in result.form_errors.items()})
            return
        await ack()
        if result.immediate:
            self._track(self._immediate(incoming, result.immediate))

    def _track(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _process(self, incoming: Incoming) -> None:
        try:
            incoming = await self._enrich(incoming)
            result = await self.handle(incoming)
            if result.duplicate:
                logger.debug("slack: %s already handled", incoming.event_id)
            if result.immediate:
                await self._immediate(incoming, result.immediate)
        except Exception:
            logger.exception("slack: handling %s %s failed", incoming.kind, incoming.event_id)

    async def _enrich(self, incoming: Incoming) -> Incoming:
        try:
            client = await self._client_for(incoming.network_key)
        except PermanentFailure:
            return incoming
        return await self.people.enrich(client, incoming)

    async def _immediate(self, incoming: Incoming, texts: list[str]) -> None:
        """Answers the dispatcher could not queue (no network yet, or an apology)."""
        for text in texts:
            try:
                client = await self._client_for(incoming.network_key)
                if incoming.response_url:
                    await AsyncWebhookClient(incoming.response_url).send(text=text, response_type="ephemeral")
                elif incoming.conversation and not incoming.is_private:
                    await client.chat_postEphemeral(channel=incoming.conversation, user=incoming.user_id, text=text)
                else:
                    await client.chat_postMessage(channel=incoming.conversation or incoming.user_id, text=text)
            except Exception as exc:  # noqa: BLE001 - best effort: there is no outbox row to retry
                logger.warning("slack: immediate answer to %s failed: %s", incoming.user_id, _describe(exc))

    # -- outbound (see :mod:`.slack_send`) -------------------------------------------

    async def send(self, envelope: Envelope) -> SendResult:
        if envelope.outgoing.roster is not None:
            return await self._answer_roster(envelope)
        return await self.sender.send(envelope)
