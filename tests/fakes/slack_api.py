"""A local fake of the Slack Web API, for end-to-end tests without the network.

The real ``slack_sdk`` ``AsyncWebClient`` (and through it slack-bolt) talks to
this server over real HTTP on 127.0.0.1, so a test exercises the same request
building, response parsing and error raising as production. Point a client
at it with ``AsyncWebClient(token=..., base_url=fake.api_url)``; ``api_url``
ends with ``/api/`` because slack_sdk joins method names with
``urllib.parse.urljoin`` (a base URL without the trailing slash would lose
its last path segment; slack_sdk appends the slash itself, but other callers
may not).

Every call is recorded in order in :attr:`FakeSlack.calls`, and failures can
be scheduled (:meth:`FakeSlack.fail_next`) or made persistent for one user or
channel (:meth:`FakeSlack.fail_for`).

Strict by default, as Slack is (see ``../shared/PLATFORMS.md``): a
deactivated user's DM still takes posts while ``users.info`` says
``deleted: true``; token errors are about the workspace (:meth:`FakeSlack.revoke`),
never one addressee; Block Kit limits answer ``invalid_blocks``;
``chat.postMessage`` allows about one message a second per channel after a
short burst (429 with ``Retry-After``, on the fake's ``clock``); and
``files.upload`` is retired (``method_deprecated``); ``views.publish`` takes
only a ``home`` view for a user, within a view's limits (100 blocks, 25
elements an actions block, unique block ids) and about 100 calls a minute
(Tier 4), and keeps the last one per user in :attr:`FakeSlack.homes`. A test that needs a kinder
Slack asks by name (``rate_limits=False``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes._server import Call as _Call
from tests.fakes._server import FakeServer
from tests.fakes.factories import slack_event_callback

logger = logging.getLogger(__name__)

__all__ = ["Call", "FakeSlack", "SlackFailure", "TOKEN_ERRORS", "view_problems"]

# Parameters that clients send JSON-encoded inside form or query fields.
_JSON_FIELDS = {"blocks", "attachments", "view", "files", "metadata", "unfurls", "channels_json"}
_NO_TOKEN_METHODS = {"oauth.v2.access", "oauth.access", "oauth.v2.exchange", "api.test"}
TOKEN_ERRORS = frozenset({"account_inactive", "token_revoked", "invalid_auth", "not_authed"})
"""Errors about the bot's token or workspace: Slack never answers them for one addressee."""

# Block Kit limits (api.slack.com/reference/block-kit)
MESSAGE_BLOCKS, SURFACE_BLOCKS = 50, 100
SECTION_TEXT, FIELD_TEXT, BUTTON_TEXT, BUTTON_VALUE, HEADER_TEXT, ACTION_ID, MODAL_TITLE = 3000, 2000, 75, 2000, 150, 255, 24
POST_BURST = 10
"""Messages one channel takes at once before the one-a-second limit answers 429."""
# -- the Home tab (views.publish) ------------------------------------------------------
ACTIONS_ELEMENTS, BLOCK_ID, PRIVATE_METADATA, CALLBACK_ID = 25, 255, 3000, 255
PUBLISH_PER_MINUTE = 100
"""views.publish is a Tier 4 method: about 100 calls a minute per workspace, then 429."""


class Call(_Call):
    """A recorded request, with the ``token`` it carried.

    Slack reports most errors as HTTP 200 with ``"ok": false``, so ``ok``
    reads the body too.
    """

    def __new__(cls, method: str, params: dict[str, Any], **extra: Any) -> Call:
        self = super().__new__(cls, method, params, **extra)
        self.token = extra.get("token")
        return self

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool((self.response or {}).get("ok"))


@dataclass
class SlackFailure:
    """A scheduled or persistent failure. ``status`` 429 adds ``Retry-After``."""

    error: str
    status: int = 200
    retry_after: int | None = None
    method: str | None = None
    target: str | None = None


def _stable_id(prefix: str, key: str) -> str:
    return prefix + hashlib.sha1(key.encode()).hexdigest()[:10].upper()


def _ids_in(params: dict[str, Any]) -> set[str]:
    ids = {str(params[k]) for k in ("channel", "channel_id", "user") if params.get(k)}
    if params.get("users"):
        ids.update(str(params["users"]).split(","))
    return ids


# -- channels and their members (membership from a channel) -----------------------------

MEMBERS_PAGE = 4
"""``conversations.members`` / ``conversations.list`` return at most this many a page, whatever
``limit`` asks: Slack may return fewer than ``limit`` (and does), so a client must follow
``response_metadata.next_cursor`` until it is empty, and a test with a few people sees pages."""


class FakeChannels:
    """Channels with members for :class:`FakeSlack`: ``conversations.members`` (paginated),
    ``conversations.list``, ``conversations.info``, and the ``member_joined_channel`` /
    ``member_left_channel`` events Slack sends to an app that is in the channel."""

    def _channels(self) -> dict[str, dict[str, Any]]:
        if not hasattr(self, "_channel_rows"):
            self._channel_rows: dict[str, dict[str, Any]] = {}
        return self._channel_rows

    def add_channel(self, name: str, members: list[str] = (), *, private: bool = False, bot_in: bool = True) -> str:
        """A channel and its members (user ids; register them with :meth:`add_user`); returns its id."""
        channel_id = _stable_id("G" if private else "C", f"channel-{name}")
        people = list(dict.fromkeys([*members, *([self.bot_user_id] if bot_in else [])]))
        with self._lock:
            self._channels()[channel_id] = {"id": channel_id, "name": name, "is_private": private, "members": people}
        return channel_id

    def channel_members(self, channel_id: str) -> list[str]:
        with self._lock:
            return list(self._channels()[channel_id]["members"])

    def join_channel(self, channel_id: str, user_id: str) -> dict[str, Any]:
        """``user_id`` joins the channel; returns the ``member_joined_channel`` event Slack sends."""
        with self._lock:
            row = self._channels()[channel_id]
            if user_id not in row["members"]:
                row["members"].append(user_id)
        event = {"type": "member_joined_channel", "user": user_id, "channel": channel_id, "channel_type": "G" if row["is_private"] else "C",
                 "team": self.team_id, "event_ts": self._next_ts()}  # fmt: skip
        return slack_event_callback(event, team_id=self.team_id)

    def leave_channel(self, channel_id: str, user_id: str) -> dict[str, Any]:
        """``user_id`` leaves the channel; returns the ``member_left_channel`` event Slack sends."""
        with self._lock:
            row = self._channels()[channel_id]
            if user_id in row["members"]:
                row["members"].remove(user_id)
        event = {"type": "member_left_channel", "user": user_id, "channel": channel_id, "channel_type": "G" if row["is_private"] else "C",
                 "team": self.team_id, "event_ts": self._next_ts()}  # fmt: skip
        return slack_event_callback(event, team_id=self.team_id)

    def _visible(self, channel_id: str) -> dict[str, Any] | None:
        """A channel the bot may see: any public one, a private one only if it is in it."""
        row = self._channels().get(channel_id)
        if row is None or (row["is_private"] and self.bot_user_id not in row["members"]):
            return None
        return row

    @staticmethod
    def _page(items: list[Any], params: dict) -> tuple[list[Any], str]:
        try:
            start = int(params.get("cursor") or 0) if str(params.get("cursor") or "0").isdigit() else -1
            limit = int(params.get("limit") or 100)
        except ValueError:
            start, limit = -1, 0
        if start < 0 or not 1 <= limit <= 1000:
            raise ValueError("invalid_cursor" if start < 0 else "invalid_limit")
        size = min(limit, MEMBERS_PAGE)
        return items[start : start + size], str(start + size) if start + size < len(items) else ""

    def _api_conversations_members(self, params: dict, token: str) -> dict:
        with self._lock:
            row = self._visible(str(params.get("channel", "")))
            members = list(row["members"]) if row else None
        if members is None:
            return {"ok": False, "error": "channel_not_found"}
        try:
            page, cursor = self._page(members, params)
        except ValueError as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _api_conversations_list(self, params: dict, token: str) -> dict:
        types = str(params.get("types") or "public_channel").split(",")
        with self._lock:
            rows = [
                r
                for r in self._channels().values()
                if self._visible(r["id"]) and ("private_channel" if r["is_private"] else "public_channel") in types
            ]
            channels = [
                {"id": r["id"], "name": r["name"], "is_private": r["is_private"], "is_member": self.bot_user_id in r["members"]} for r in rows
            ]
        try:
            page, cursor = self._page(channels, params)
        except ValueError as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def _api_conversations_info(self, params: dict, token: str) -> dict:
        with self._lock:
            row = self._visible(str(params.get("channel", "")))
        if row is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": row["id"], "name": row["name"], "is_private": row["is_private"],
                                        "is_member": self.bot_user_id in row["members"]}}  # fmt: skip


class FakeSlack(FakeChannels, FakeServer):
    """The Slack Web API on 127.0.0.1:<random port>; use as ``async with``.

    Args:
        team_id / team_name: the one workspace this fake serves.
        bot_user_id / bot_id: what ``auth.test`` reports for the bot token.
        tokens: accepted tokens; ``None`` accepts any non-empty token.
        users: user dicts for ``users.info`` (see :meth:`add_user`).
        strict_users: when true, ``conversations.open`` answers
            ``user_not_found`` for ids not registered with :meth:`add_user`.
        clock: seconds, for the per-channel posting limit (pass the test's
            clock, so a test that waits a second waits on it).
        rate_limits: ``False`` turns the posting limit off, for a test that
            needs a kinder Slack than the real one.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0BEACON",
        team_name: str = "Beacon Test",
        bot_user_id: str = "UBOT0001",
        bot_id: str = "BBOT0001",
        app_id: str = "A0BEACON",
        tokens: set[str] | None = None,
        users: list[dict[str, Any]] | None = None,
        strict_users: bool = False,
        clock: Callable[[], float] = time.monotonic,
        rate_limits: bool = True,
    ) -> None:
        super().__init__()
        self.team_id, self.team_name = team_id, team_name
        self.bot_user_id, self.bot_id, self.app_id = bot_user_id, bot_id, app_id
        self.tokens = tokens
        self.strict_users = strict_users
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.reactions: list[tuple[str, str, str]] = []
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._next: list[SlackFailure] = []
        self._persistent: list[SlackFailure] = []
        self._seq = itertools.count(1)
        self._ts_base = int(time.time())
        self.clock, self.rate_limits = clock, rate_limits
        self.rate_limited_count = 0
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self._revoked: dict[str | None, str] = {}  # token (None: every token) -> error
        self.homes: dict[str, dict[str, Any]] = {}  # user id -> the Home view published for them
        self._publishes: list[float] = []  # when views.publish was called (the Tier 4 window)
        self.add_user(bot_user_id, name="beacon", real_name="Beacon", is_bot=True)
        for user in users or []:
            user = dict(user)
            self.add_user(user.pop("id"), **user)

    # -- lifecycle -------------------------------------------------------
    async def __aenter__(self) -> FakeSlack:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_post("/response_url/{rid}", self._handle_response_url)
        await self._start(app)
        return self

    @property
    def api_url(self) -> str:
        """Base URL for ``AsyncWebClient(base_url=...)``; ends with ``/api/``."""
        return self.url + "/api/"

    base_url = api_url

    # -- configuration ---------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int = 0,
        deleted: bool = False,
        is_bot: bool = False,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Register a user for ``users.info``; returns the stored user dict."""
        name = name or user_id.lower()
        real_name = real_name or name.title()
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "is_bot": is_bot,
            "is_admin": False,
            "is_app_user": False,
            "updated": self._ts_base,
            "profile": {
                "real_name": real_name,
                "display_name": display_name if display_name is not None else name,
                "email": email or f"{name}@example.org",
                "image_72": "https://example.org/a.png",
                "team": self.team_id,
            },
        }
        with self._lock:
            self.users[user_id] = user
        return user

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        ``retry_after`` alone means HTTP 429 with ``Retry-After`` (body error
        ``ratelimited``); ``error`` alone means HTTP 200 ``{"ok": false}``.
        """
        if status is None:
            status = 429 if retry_after is not None else 200
        if status == 429 and retry_after is None:
            retry_after = 1
        if error is None:
            error = {429: "ratelimited", 200: None}.get(status, "internal_error")
        if error is None:
            raise ValueError("fail_next needs an error, a status or retry_after")
        with self._lock:
            for _ in range(times):
                self._next.append(SlackFailure(error, status, retry_after, method=method))

    def fail_for(self, target: str, *, error: str, method: str | None = None) -> None:
        """Persistently fail calls naming ``target`` (a user or channel id).

        A user id also matches that user's DM channel (``dm_channel(user)``).
        Token errors are refused here: Slack answers them for the workspace's
        token whoever is addressed (use :meth:`revoke`).
        """
        if error in TOKEN_ERRORS:
            raise ValueError(f"{error} is about the workspace's token, not {target}: use FakeSlack.revoke()")
        with self._lock:
            self._persistent.append(SlackFailure(error, method=method, target=target))

    def revoke(self, error: str = "token_revoked", *, token: str | None = None) -> None:
        """From now on every call with ``token`` (default: any token) answers ``error``."""
        if error not in TOKEN_ERRORS:
            raise ValueError(f"{error} is not a token error ({sorted(TOKEN_ERRORS)})")
        with self._lock:
            self._revoked[token] = error

    def restore(self) -> None:
        """Tokens work again (a reinstall, or an admin re-enabling the workspace)."""
        with self._lock:
            self._revoked.clear()

    def change_user(self, user_id: str, **changes: Any) -> dict[str, Any]:
        """Change a user as Slack would (``tz``, ``deleted``, names) and return the
        ``user_change`` event Slack sends about it, ready to post to the bot."""
        with self._lock:
            user = self.users[user_id]
            for key, value in changes.items():
                if key in ("display_name", "real_name", "email"):
                    user["profile"][key] = value
                if key != "display_name" and key != "email":
                    user[key] = value
            if "tz" in changes:
                user["tz_label"] = changes["tz"]
            user["updated"] = user.get("updated", self._ts_base) + 1
            snapshot = json.loads(json.dumps(user))
        return slack_event_callback(
            {"type": "user_change", "user": snapshot, "cache_ts": snapshot["updated"], "event_ts": self._next_ts()}, team_id=self.team_id
        )

    def deactivate(self, user_id: str) -> dict[str, Any]:
        """An admin deactivates the user: DMs still take posts, ``users.info`` says ``deleted``."""
        return self.change_user(user_id, deleted=True)

    def uninstall(self) -> dict[str, Any]:
        """The app is uninstalled: tokens answer ``account_inactive``; returns the ``app_uninstalled`` event."""
        self.revoke("account_inactive")
        return slack_event_callback({"type": "app_uninstalled", "event_ts": self._next_ts()}, team_id=self.team_id)

    def revoke_tokens(self) -> dict[str, Any]:
        """The bot token is revoked: calls answer ``token_revoked``; returns the ``tokens_revoked`` event."""
        self.revoke("token_revoked")
        event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [self.bot_user_id]}, "event_ts": self._next_ts()}
        return slack_event_callback(event, team_id=self.team_id)

    def home_opened(self, user_id: str, *, tab: str = "home") -> dict[str, Any]:
        """The user opens the app's Home (``tab`` ``home``) or Messages tab: the ``app_home_opened``
        event Slack sends, with the view published for them so far (none before the first)."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.dm_channel(user_id),
            "tab": tab,
            "event_ts": self._next_ts(),
        }
        if tab == "home" and user_id in self.homes:
            event["view"] = self.homes[user_id]
        return slack_event_callback(event, team_id=self.team_id)

    def clear_failures(self) -> None:
        with self._lock:
            self._next.clear()
            self._persistent.clear()

    def response_url(self) -> str:
        """A fresh ``response_url`` served by this fake (for slash-command payloads)."""
        return f"{self.url}/response_url/{next(self._seq)}"

    # -- inspection ------------------------------------------------------
    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages currently in the channel(s): posted, updated, not deleted."""
        with self._lock:
            return [m for (ch, _), m in self._messages.items() if channel is None or ch == channel]

    def dm_channel(self, *user_ids: str) -> str:
        """The stable id ``conversations.open`` returns for this set of users."""
        users = sorted(set(user_ids) - {self.bot_user_id}) or [self.bot_user_id]
        return _stable_id("D" if len(users) == 1 else "G", ",".join(users))

    # -- HTTP handlers ---------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        token = params.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :].strip() or None
        if method not in _NO_TOKEN_METHODS and (not token or (self.tokens is not None and token not in self.tokens)):
            status, body, headers = 200, {"ok": False, "error": "not_authed" if not token else "invalid_auth"}, {}
        elif method not in _NO_TOKEN_METHODS and (revoked := self._revoked.get(token) or self._revoked.get(None)):
            status, body, headers = 200, {"ok": False, "error": revoked}, {}
        elif (failure := self._take_failure(method, params)) is not None:
            status, headers = failure.status, {}
            body = {"ok": False, "error": failure.error}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
        elif (refused := self._check_blocks(method, params)) is not None:
            status, headers, body = 200, {}, refused
        elif (wait := self._check_rate(method, params)) is not None:
            status, headers, body = 429, {"Retry-After": str(wait)}, {"ok": False, "error": "ratelimited"}
        else:
            status, headers = 200, {}
            handler = getattr(self, "_api_" + method.replace(".", "_"), None)
            body = handler(params, token) if handler else {"ok": False, "error": "unknown_method"}
        self._record(Call(method, params, token=token, status=status, response=body))
        logger.debug("fake slack %s -> %s %s", method, status, body.get("error", "ok"))
        return web.json_response(body, status=status, headers=headers)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            field = next((v for v in form.values() if isinstance(v, web.FileField)), None)
            content = field.file.read() if field is not None else b""
        else:
            content = await request.read()
        with self._lock:
            if file_id not in self.files:
                return web.Response(status=404, text="file_not_found", content_type="text/plain")
            self.files[file_id]["content"] = content
            self.calls.append(Call("upload", {"file_id": file_id, "size": len(content)}, status=200))
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        with self._lock:
            self.responses.append((request.match_info["rid"], body))
            self.calls.append(Call("response_url", {"id": request.match_info["rid"], **body}, status=200))
        return web.Response(text="ok", content_type="text/plain")

    def _take_failure(self, method: str, params: dict[str, Any]) -> SlackFailure | None:
        with self._lock:
            for i, failure in enumerate(self._next):
                if failure.method == method:
                    return self._next.pop(i)
            ids = _ids_in(params)
            for failure in self._persistent:
                targets = {failure.target}
                if str(failure.target)[:1] in ("U", "W"):
                    targets.add(self.dm_channel(str(failure.target)))
                if targets & ids and failure.method in (None, method):
                    return failure
        return None

    def _check_rate(self, method: str, params: dict[str, Any]) -> int | None:
        """chat.postMessage: a burst of ``POST_BURST`` per channel, then one a second; views.publish:
        ``PUBLISH_PER_MINUTE`` a minute (Tier 4). Seconds to wait, or None."""
        if method == "views.publish" and self.rate_limits:
            return self._check_publish_rate()
        if method != "chat.postMessage" or not self.rate_limits or not params.get("channel"):
            return None
        channel, now = self._resolve_channel(str(params["channel"])), self.clock()
        with self._lock:
            tokens, at = self._buckets.get(channel, (float(POST_BURST), now))
            tokens = min(float(POST_BURST), tokens + max(0.0, now - at))
            if tokens < 1:
                self._buckets[channel] = (tokens, now)
                self.rate_limited_count += 1
                return max(1, int(1 - tokens + 0.999))
            self._buckets[channel] = (tokens - 1, now)
        return None

    def _check_blocks(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Block Kit's limits, as Slack checks them: ``invalid_blocks`` with what is wrong."""
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"):
            blocks, limit, title = params.get("blocks"), MESSAGE_BLOCKS, None
        elif method in ("views.open", "views.push", "views.update", "views.publish") and isinstance(params.get("view"), dict):
            view = params["view"]
            blocks, limit, title = view.get("blocks"), SURFACE_BLOCKS, (view.get("title") or {}).get("text")
        else:
            return None
        problems = block_problems(blocks if isinstance(blocks, list) else [], limit)
        if title is not None and len(title) > MODAL_TITLE:
            problems.append(f"must be less than {MODAL_TITLE + 1} characters [json-pointer:/view/title/text]")
        if method.startswith("views."):
            problems += view_problems(params["view"])
        if not problems:
            return None
        return {"ok": False, "error": "invalid_blocks", "errors": problems, "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]}}

    def _check_publish_rate(self) -> int | None:
        now = self.clock()
        with self._lock:
            self._publishes = [t for t in self._publishes if t > now - 60]
            if len(self._publishes) >= PUBLISH_PER_MINUTE:
                self.rate_limited_count += 1
                return max(1, int(self._publishes[0] + 60 - now + 0.999))
            self._publishes.append(now)
        return None

    def _next_ts(self) -> str:
        return f"{self._ts_base}.{next(self._seq):06d}"

    def _resolve_channel(self, channel: str) -> str:
        return self.dm_channel(channel) if channel[:1] in ("U", "W") else channel

    # -- methods (named _api_<method with dots as underscores>) ------------
    def _api_auth_test(self, params: dict, token: str) -> dict:
        return {
            "ok": True,
            "url": f"https://{self.team_name.lower().replace(' ', '-')}.slack.com/",
            "team": self.team_name,
            "user": "beacon",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_api_test(self, params: dict, token: str) -> dict:
        return {"ok": True, "args": params}

    def _api_chat_postMessage(self, params: dict, token: str) -> dict:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            return {"ok": False, "error": "no_text"}
        channel, ts = self._resolve_channel(str(params["channel"])), self._next_ts()
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
            "text": params.get("text", ""),
            "blocks": params.get("blocks", []),
        }
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        with self._lock:
            self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _api_chat_postEphemeral(self, params: dict, token: str) -> dict:
        if not params.get("channel") or not params.get("user"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _api_chat_update(self, params: dict, token: str) -> dict:
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        with self._lock:
            message = self._messages.get((channel, ts))
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            for key in ("text", "blocks", "attachments"):
                if key in params:
                    message[key] = params[key]
            message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"ok": True, "channel": channel, "ts": ts, "text": message.get("text", ""), "message": message}

    def _api_chat_delete(self, params: dict, token: str) -> dict:
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        with self._lock:
            if self._messages.pop((channel, ts), None) is None:
                return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _api_conversations_open(self, params: dict, token: str) -> dict:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if self.strict_users and any(u not in self.users for u in users):
            return {"ok": False, "error": "user_not_found"}
        channel = {"id": self.dm_channel(*users)}
        if str(params.get("return_im", "0")) in ("1", "true", "True"):
            channel.update({"is_im": len(users) == 1, "user": users[0], "created": self._ts_base})
        return {"ok": True, "channel": channel}

    def _api_users_info(self, params: dict, token: str) -> dict:
        user = self.users.get(str(params.get("user", "")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _api_users_list(self, params: dict, token: str) -> dict:
        """Every user, deactivated ones too (``deleted: true``), a page at a time."""
        with self._lock:
            everyone = list(self.users.values())
        start = int(params.get("cursor") or 0)
        limit = max(1, min(int(params.get("limit") or 200), 1000))
        page, rest = everyone[start : start + limit], start + limit < len(everyone)
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": str(start + limit) if rest else ""}}

    def _api_files_upload(self, params: dict, token: str) -> dict:
        return {"ok": False, "error": "method_deprecated"}  # retired: files go by getUploadURLExternal + completeUploadExternal

    def _api_team_info(self, params: dict, token: str) -> dict:
        return {
            "ok": True,
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_name.lower().replace(" ", "-"),
                "email_domain": "",
                "icon": {"image_default": True},
            },
        }

    def _api_oauth_v2_access(self, params: dict, token: str) -> dict:
        if not params.get("code"):
            return {"ok": False, "error": "invalid_code"}
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": "U0INSTALL"},
            "scope": "chat:write,commands,im:history,im:write,users:read",
            "token_type": "bot",
            "access_token": "xoxb-fake-" + _stable_id("", str(params["code"])).lower(),
            "bot_user_id": self.bot_user_id,
            "team": {"id": self.team_id, "name": self.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _view(self, params: dict, view_id: str | None = None) -> dict:
        view = dict(params.get("view") or {})
        view_id = view_id or _stable_id("V", str(next(self._seq)))
        view.update(
            {
                "id": view_id,
                "team_id": self.team_id,
                "app_id": self.app_id,
                "bot_id": self.bot_id,
                "state": {"values": {}},
                "hash": f"{self._ts_base}.{next(self._seq)}",
                "root_view_id": view_id,
                "previous_view_id": None,
            }
        )
        view.setdefault("private_metadata", "")
        view.setdefault("callback_id", "")
        with self._lock:
            self.views[view_id] = view
        return {"ok": True, "view": view}

    def _api_views_open(self, params: dict, token: str) -> dict:
        if not params.get("trigger_id") or not params.get("view"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._view(params)

    _api_views_push = _api_views_open

    def _api_views_update(self, params: dict, token: str) -> dict:
        view_id = params.get("view_id")
        if view_id is None and params.get("external_id"):
            view_id = next((k for k, v in self.views.items() if v.get("external_id") == params["external_id"]), None)
        if view_id not in self.views or not params.get("view"):
            return {"ok": False, "error": "not_found"}
        return self._view(params, view_id)

    def _api_views_publish(self, params: dict, token: str) -> dict:
        """The user's Home tab: ``user_id`` must be a user of the workspace, the view a ``home`` one."""
        user_id = str(params.get("user_id") or "")
        if not user_id or not isinstance(params.get("view"), dict):
            return {"ok": False, "error": "invalid_arguments"}
        if user_id not in self.users and self.strict_users:
            return {"ok": False, "error": "user_not_found"}
        if params["view"].get("type") != "home":
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": ["[ERROR] view type must be home"]}}
        published = self._view(params)
        with self._lock:
            self.homes[user_id] = published["view"]
        return published

    def _api_reactions_add(self, params: dict, token: str) -> dict:
        key = (str(params.get("channel")), str(params.get("timestamp")), str(params.get("name")))
        with self._lock:
            if key in self.reactions:
                return {"ok": False, "error": "already_reacted"}
            self.reactions.append(key)
        return {"ok": True}

    def _api_files_getUploadURLExternal(self, params: dict, token: str) -> dict:
        if not params.get("filename") or not params.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = _stable_id("F", f"file-{next(self._seq)}")
        with self._lock:
            self.files[file_id] = {
                "id": file_id,
                "name": params["filename"],
                "title": params["filename"],
                "length": int(params["length"]),
                "content": None,
                "channels": [],
                "alt_txt": params.get("alt_txt"),
            }
        return {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, params: dict, token: str) -> dict:
        out = []
        with self._lock:
            for item in params.get("files") or []:
                stored = self.files.get(item.get("id"))
                if stored is None or stored["content"] is None:
                    return {"ok": False, "error": "file_not_found"}
                stored["title"] = item.get("title") or stored["name"]
                channels = params.get("channels") or params.get("channel_id")
                if channels:
                    stored["channels"] = str(channels).split(",")
                stored["initial_comment"] = params.get("initial_comment")
                out.append(
                    {
                        "id": stored["id"],
                        "name": stored["name"],
                        "title": stored["title"],
                        "size": len(stored["content"]),
                        "mimetype": "application/octet-stream",
                        "user": self.bot_user_id,
                        "created": self._ts_base,
                        "channels": stored["channels"],
                    }
                )
        return {"ok": True, "files": out}


def block_problems(blocks: list[Any], limit: int) -> list[str]:
    """What Slack would refuse in ``blocks`` (a message's or a surface's), as its error texts."""
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"must have at most {limit} blocks [json-pointer:/blocks]")

    def text_of(obj: Any) -> str:
        return str(obj.get("text", "")) if isinstance(obj, dict) else ""

    def check(where: str, value: str, most: int) -> None:
        if len(value) > most:
            problems.append(f"must be less than {most + 1} characters [json-pointer:{where}]")

    def element(where: str, el: Any) -> None:
        if not isinstance(el, dict):
            return
        if el.get("action_id") is not None:
            check(f"{where}/action_id", str(el["action_id"]), ACTION_ID)
        if el.get("type") == "button":
            check(f"{where}/text/text", text_of(el.get("text")), BUTTON_TEXT)
            check(f"{where}/value", str(el.get("value", "")), BUTTON_VALUE)

    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        where = f"/blocks/{i}"
        kind = block.get("type")
        if kind == "section":
            check(f"{where}/text/text", text_of(block.get("text")), SECTION_TEXT)
            for j, f in enumerate(block.get("fields") or []):
                check(f"{where}/fields/{j}/text", text_of(f), FIELD_TEXT)
            element(f"{where}/accessory", block.get("accessory"))
        elif kind == "header":
            check(f"{where}/text/text", text_of(block.get("text")), HEADER_TEXT)
        elif kind in ("actions", "context"):
            for j, el in enumerate(block.get("elements") or []):
                element(f"{where}/elements/{j}", el)
        elif kind == "input":
            element(f"{where}/element", block.get("element"))
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack refuses in a view beyond its blocks' texts: more than 25 elements in an
    actions block, a ``block_id`` used twice or too long, metadata or callback id too long."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, block in enumerate(view.get("blocks") or []):
        if not isinstance(block, dict):
            continue
        if block.get("type") == "actions" and len(block.get("elements") or []) > ACTIONS_ELEMENTS:
            problems.append(f"must have at most {ACTIONS_ELEMENTS} elements [json-pointer:/blocks/{i}/elements]")
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > BLOCK_ID:
                problems.append(f"must be less than {BLOCK_ID + 1} characters [json-pointer:/blocks/{i}/block_id]")
            if block_id in seen:
                problems.append(f"duplicate block_id {block_id!r} [json-pointer:/blocks/{i}/block_id]")
            seen.add(block_id)
    if len(str(view.get("private_metadata") or "")) > PRIVATE_METADATA:
        problems.append(f"must be less than {PRIVATE_METADATA + 1} characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id") or "")) > CALLBACK_ID:
        problems.append(f"must be less than {CALLBACK_ID + 1} characters [json-pointer:/view/callback_id]")
    return problems


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Merge query string, form or JSON body into one dict, decoding JSON fields."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            raw = await request.read()
            params.update(json.loads(raw) if raw.strip() else {})
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    value = {"filename": value.filename, "content_type": value.content_type, "content": value.file.read()}
                params[key] = value
    for key in _JSON_FIELDS & params.keys():
        if isinstance(params[key], str) and params[key][:1] in ("[", "{"):
            params[key] = json.loads(params[key])
    return params
