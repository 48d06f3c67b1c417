"""A local fake of the Telegram Bot API, for end-to-end tests without the network.

The real python-telegram-bot ``Application`` talks to it over HTTP on
127.0.0.1: build it with ``ApplicationBuilder().token(fake.token)
.base_url(fake.base_url).base_file_url(fake.base_file_url)``. PTB appends the
token to ``base_url`` (unless it contains ``{token}``) and POSTs to
``{base_url}{token}/{method}``; parameters arrive form-encoded with every
non-string value JSON-encoded, or as multipart/form-data when a file is
uploaded. This fake decodes both so :attr:`FakeTelegram.calls` holds plain
Python values (``reply_markup`` as a dict, ``chat_id`` as an int).

Strict by default, as the real Bot API is (``/work/shared/PLATFORMS.md``):

- a private chat whose user never started the bot is refused (403 ``bot can't
  initiate conversation with a user``); the fake learns "started" from the
  private updates pushed through it (a ``/start``, any private message or
  button press) or from :meth:`FakeTelegram.start_user`;
- a user who blocked the bot gets 403 ``bot was blocked by the user``;
- ``sendPhoto`` takes only real PNG/JPEG/GIF/WebP pictures
  (``IMAGE_PROCESS_FAILED``) with width + height ≤ 10000
  (``PHOTO_INVALID_DIMENSIONS``); ``sendDocument`` takes files up to 50 MB;
- ``getChat`` answers a full ``ChatFullInfo`` for chats it knows (learnt from
  updates and :meth:`FakeTelegram.add_chat`), ``chat not found`` otherwise;
- ``getChatMember`` answers each user's status from the group's roster (kept
  from the updates pushed through it and :meth:`FakeTelegram.set_member`),
  ``left`` for someone never seen there;
- flood limits (30 a second overall, 1 a second per chat with a short burst,
  20 a minute per group) answer 429 with ``parameters.retry_after``, timed by
  ``clock`` (give it the test's clock: the fake never sleeps);
- text ≤ 4096 characters, captions ≤ 1024, ``callback_data`` 1–64 bytes, and
  HTML parse mode rejects unknown or unbalanced tags (``can't parse entities``).

A test that needs a lenient fake names what it relaxes:
``FakeTelegram(lenient={"unstarted", "flood"})`` (see :data:`LENIENCIES`).

Failures are scheduled with :meth:`FakeTelegram.fail_next`, made persistent per
chat with :meth:`FakeTelegram.fail_for` / :meth:`FakeTelegram.block` /
:meth:`FakeTelegram.migrate_chat`.
"""

from __future__ import annotations

import asyncio
import collections
import html
import itertools
import json
import logging
import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes._server import Call, FakeServer

logger = logging.getLogger(__name__)

__all__ = ["LENIENCIES", "Call", "FakeTelegram", "TelegramFailure", "image_size", "make_png"]

LENIENCIES = frozenset({"unstarted", "photo", "flood", "limits", "html", "chats"})
"""What a test may relax by name: messaging users who never started the bot,
any bytes as a photo, the flood limits, text/caption/button lengths, HTML
checks, and answering ``getChat``/``getChatMember`` for chats never seen."""

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_PHOTO_SIDES = 10000
FLOOD_PER_SECOND = 30
FLOOD_PER_CHAT_BURST = 3  # "short bursts" over 1 a second per chat are allowed
FLOOD_PER_GROUP_MINUTE = 20
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji", "code", "pre", "blockquote"}
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
BLOCKED = "Forbidden: bot was blocked by the user"
IN_CHAT = ("creator", "administrator", "member", "restricted")

# Parameters PTB sends as raw strings; everything else is JSON-encoded.
_STRING_FIELDS = {
    "text",
    "caption",
    "parse_mode",
    "callback_query_id",
    "url",
    "secret_token",
    "ip_address",
    "inline_message_id",
    "business_connection_id",
    "emoji",
    "title",
    "description",
    "name",
    "short_description",
    "language_code",
    "question",
    "explanation",
    "payload",
    "custom_title",
    "message_effect_id",
    "file_id",
    "photo",
    "document",
    "sticker",
    "audio",
    "video",
    "voice",
}
_SEND_METHODS = {
    "sendmessage",
    "sendphoto",
    "senddocument",
    "sendaudio",
    "sendvideo",
    "sendvoice",
    "sendsticker",
    "sendanimation",
    "sendmediagroup",
    "sendlocation",
    "sendpoll",
    "copymessage",
    "forwardmessage",
    "editmessagetext",
    "editmessagereplymarkup",
    "editmessagecaption",
}
_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
}


@dataclass
class TelegramFailure:
    """A scheduled or persistent error reply."""

    status: int
    description: str
    retry_after: int | None = None
    method: str | None = None
    chat_id: int | str | None = None
    migrate_to_chat_id: int | None = None


class FakeTelegram(FakeServer):
    """The Telegram Bot API on 127.0.0.1:<random port>; use as ``async with``.

    Args:
        token: the bot token this fake accepts (others get 401, which PTB
            raises as ``InvalidToken``).
        bot_id / bot_username / bot_first_name: what ``getMe`` reports.
        long_poll_cap: the longest a ``getUpdates`` call waits, whatever its
            ``timeout``, so tests stay fast.
        clock: seconds, for the flood limits: pass the test's clock.
        lenient: the strict rules this test relaxes, by name (:data:`LENIENCIES`).
    """

    def __init__(
        self,
        *,
        token: str = "123456:TEST-beacon-token",
        bot_id: int = 123456,
        bot_username: str = "beacon_test_bot",
        bot_first_name: str = "Beacon",
        long_poll_cap: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        lenient: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.token = token
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.long_poll_cap = long_poll_cap
        self.clock = clock
        unknown = set(lenient) - LENIENCIES
        if unknown:
            raise ValueError(f"unknown leniencies {sorted(unknown)}; choose from {sorted(LENIENCIES)}")
        self.lenient = frozenset(lenient)
        self.started: set[int] = set()
        self.blocked: set[int] = set()
        self.max_document_bytes = MAX_DOCUMENT_BYTES
        self.updates: list[dict[str, Any]] = []
        self.messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.chats: dict[int | str, dict[str, Any]] = {}
        self.members: dict[tuple[int | str, int], dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {}
        self._next: list[TelegramFailure] = []
        self._persistent: list[TelegramFailure] = []
        self._rate: tuple[int, int] | None = None if "flood" in self.lenient else (FLOOD_PER_SECOND, 1)
        self._sent_all: collections.deque[float] = collections.deque()
        self._sent_chat: dict[Any, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._sent_group: dict[Any, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._message_ids: dict[Any, itertools.count] = collections.defaultdict(lambda: itertools.count(1))
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._closing = False

    # -- lifecycle -------------------------------------------------------
    async def __aenter__(self) -> FakeTelegram:
        self._loop = asyncio.get_running_loop()
        self._new_update = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        await self._start(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        if self._new_update is not None:
            self._new_update.set()
        await self._stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return self.url + "/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``."""
        return self.url + "/file/bot"

    # -- driving ---------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an Update for ``getUpdates``; assigns ``update_id`` if missing.

        Safe to call from another thread.
        """
        update = dict(update)
        with self._lock:
            if update.get("update_id") is None:
                update["update_id"] = next(self._update_ids)
            else:
                self._update_ids = itertools.count(max(update["update_id"] + 1, next(self._update_ids)))
            self.updates.append(update)
            self._learn(update)
        if self._loop is not None and self._new_update is not None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is self._loop:
                self._new_update.set()
            else:
                self._loop.call_soon_threadsafe(self._new_update.set)
        return update

    def add_chat(self, chat_id: int | str, *, type: str | None = None, **fields: Any) -> dict[str, Any]:
        """Describe a chat for ``getChat`` and message replies."""
        chat = self._chat(chat_id) | {k: v for k, v in {"type": type, **fields}.items() if v is not None}
        with self._lock:
            self.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int | str, user: dict[str, Any] | int, status: str = "member") -> dict[str, Any]:
        """Set a user's ``getChatMember`` status: creator, administrator, member, restricted, left, kicked."""
        if isinstance(user, int):
            user = {"id": user, "is_bot": False, "first_name": f"User{user}"}
        member = _member(user, status)
        with self._lock:
            self.members[(chat_id, user["id"])] = member
            self.chats.setdefault(chat_id, self._chat(chat_id))
        return member

    def start_user(self, *user_ids: int) -> None:
        """These users have pressed *Start* in a private chat with the bot."""
        with self._lock:
            self.started.update(user_ids)
            self.blocked.difference_update(user_ids)

    def observe(self, update: dict[str, Any]) -> None:
        """Learn from an update delivered another way (by webhook), as :meth:`push_update` does."""
        with self._lock:
            self._learn(update)

    def _learn(self, update: dict[str, Any]) -> None:
        """What an update tells the real Telegram: who started the bot, who is in which group."""
        message = update.get("message") or update.get("edited_message") or (update.get("callback_query") or {}).get("message")
        user = (update.get("callback_query") or {}).get("from") or (message or {}).get("from")
        chat = (message or {}).get("chat")
        if chat is not None:
            self.chats.setdefault(chat["id"], dict(chat))
        if user is not None and chat is not None and not user.get("is_bot"):
            if chat.get("type") == "private":
                self.started.add(user["id"])
                self.blocked.discard(user["id"])
            elif (chat["id"], user["id"]) not in self.members or self.members[(chat["id"], user["id"])]["status"] in ("left", "kicked"):
                if not (message or {}).get("left_chat_member"):
                    self.members[(chat["id"], user["id"])] = _member(user, "member")
        if message and chat is not None:
            for joined in message.get("new_chat_members") or ():
                self.members[(chat["id"], joined["id"])] = _member(joined, "member")
            if left := message.get("left_chat_member"):
                self.members[(chat["id"], left["id"])] = _member(left, "left")
        for key in ("chat_member", "my_chat_member"):
            change = update.get(key)
            if not change:
                continue
            chat = change["chat"]
            self.chats.setdefault(chat["id"], dict(chat))
            new = change["new_chat_member"]
            if chat.get("type") == "private":
                if new["status"] == "kicked":
                    self.blocked.add(change["from"]["id"])
                else:
                    self.started.add(change["from"]["id"])
                    self.blocked.discard(change["from"]["id"])
            else:
                self.members[(chat["id"], new["user"]["id"])] = _member(new["user"], new["status"])
                adder = change["from"]
                if adder["id"] != new["user"]["id"] and (chat["id"], adder["id"]) not in self.members:
                    self.members[(chat["id"], adder["id"])] = _member(adder, "member")  # who changed it is in the group

    # -- failures ----------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        ``retry_after`` means 429 ``Too Many Requests: retry after N`` (PTB:
        ``RetryAfter``); 403 means blocked (``Forbidden``); 400 ``BadRequest``.
        """
        failure = _failure(status, retry_after, description, method=method)
        with self._lock:
            self._next.extend(failure for _ in range(times))

    def fail_for(
        self,
        chat_id: int | str,
        *,
        status: int = 403,
        description: str | None = None,
        method: str | None = None,
    ) -> None:
        """Persistently fail calls whose ``chat_id`` is ``chat_id``."""
        failure = _failure(status, None, description, method=method, chat_id=chat_id)
        with self._lock:
            self._persistent.append(failure)

    def block(self, chat_id: int) -> None:
        """The user behind ``chat_id`` blocked the bot: 403 on every call to that chat."""
        with self._lock:
            self.blocked.add(int(chat_id))

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """The group ``old_id`` became the supergroup ``new_id``: every call to
        ``old_id`` answers 400 with ``parameters.migrate_to_chat_id`` (PTB:
        ``ChatMigrated``), as the Bot API does."""
        failure = TelegramFailure(400, "Bad Request: group chat was upgraded to a supergroup chat", chat_id=old_id, migrate_to_chat_id=new_id)
        with self._lock:
            self._persistent.append(failure)
            old = self._chat(old_id)
            self.chats[new_id] = old | {"id": new_id, "type": "supergroup"}
            for (chat, user), member in list(self.members.items()):
                if chat == old_id:
                    self.members.setdefault((new_id, user), member)

    def clear_failures(self) -> None:
        with self._lock:
            self._next.clear()
            self._persistent.clear()
            self.blocked.clear()

    def enforce_rate(self, *, global_per_s: int = FLOOD_PER_SECOND, per_chat_per_s: int = 1) -> None:
        """Answer 429 to send/edit calls beyond these rates (sliding 1 s window)."""
        with self._lock:
            self._rate = (global_per_s, per_chat_per_s)

    # -- inspection ------------------------------------------------------
    def _method_key(self, method: str) -> str:
        return method.lower()  # the Bot API accepts any case: sendMessage, sendmessage

    @property
    def rate_limited_count(self) -> int:
        """How many calls this fake answered with 429."""
        return self.count(status=429)

    def results(self, method: str) -> list[Any]:
        """The ``result`` of every successful call to ``method`` (e.g. sent Message dicts)."""
        with self._lock:
            return [c.response["result"] for c in self._calls(method) if c.ok]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of successful ``sendMessage`` calls, optionally to one chat."""
        return [p.get("text", "") for p in self.calls_to("sendMessage", ok=True) if chat_id is None or p.get("chat_id") == chat_id]

    # -- HTTP --------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        if request.match_info["token"] != self.token:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        elif (failure := self._take_failure(method, params)) is not None:
            status, body = failure.status, _error_body(failure)
        else:
            result = await self._dispatch(method, params)
            if isinstance(result, TelegramFailure):
                status, body = result.status, _error_body(result)
            else:
                status, body = 200, {"ok": True, "result": result}
        self._record(Call(method, params, status=status, response=body))
        logger.debug("fake telegram %s -> %s", method, status)
        return web.json_response(body, status=status)

    async def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        handler = getattr(self, "_api_" + method.lower(), None)
        if handler is None:
            return True
        try:
            result = handler(params)
            return await result if asyncio.iscoroutine(result) else result
        except (KeyError, TypeError, ValueError) as exc:
            return _failure(400, None, f"Bad Request: invalid parameters ({exc!r})")

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f["file_path"] == path), None)
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored["content"], content_type="application/octet-stream")

    def _take_failure(self, method: str, params: dict[str, Any]) -> TelegramFailure | None:
        chat_id = params.get("chat_id")
        with self._lock:
            for i, failure in enumerate(self._next):
                if failure.method.lower() == method.lower():
                    return self._next.pop(i)
            for failure in self._persistent:
                if (
                    chat_id is not None
                    and str(failure.chat_id) == str(chat_id)
                    and (failure.method is None or failure.method.lower() == method.lower())
                ):
                    return failure
            if method.lower() in _SEND_METHODS:
                refused = self._check_chat(method.lower(), chat_id) or self._check_content(method.lower(), params)
                if refused is None and self._rate is not None:
                    refused = self._check_rate(chat_id)
                return refused
        return None

    def _check_chat(self, method: str, chat_id: Any) -> TelegramFailure | None:
        """A user's private chat: only once they started the bot, and not after they blocked it."""
        if not isinstance(chat_id, int) or chat_id <= 0:
            return None
        if chat_id in self.blocked:
            return _failure(403, None, BLOCKED)
        if chat_id not in self.started and "unstarted" not in self.lenient and not method.startswith("edit"):
            return _failure(403, None, CANT_INITIATE)
        return None

    def _check_content(self, method: str, params: dict[str, Any]) -> TelegramFailure | None:
        if "limits" not in self.lenient:
            for row in (params.get("reply_markup") or {}).get("inline_keyboard", []) if isinstance(params.get("reply_markup"), dict) else []:
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= 64:
                        return _failure(400, None, "Bad Request: BUTTON_DATA_INVALID")
                    # an inline button is exactly one kind: a callback, or a link (http(s):// or tg://)
                    url = button.get("url")
                    if (data is None) == (url is None):
                        return _failure(400, None, "Bad Request: can't parse inline keyboard button: exactly one of the optional fields must be used")
                    if url is not None and not str(url).startswith(("https://", "http://", "tg://")):
                        return _failure(400, None, "Bad Request: BUTTON_URL_INVALID")
        for field, limit, too_long in (("text", MAX_TEXT, "message is too long"), ("caption", MAX_CAPTION, "message caption is too long")):
            value = params.get(field)
            if not isinstance(value, str):
                continue
            if params.get("parse_mode", "").upper() == "HTML" and "html" not in self.lenient:
                problem = html_problem(value)
                if problem:
                    return _failure(400, None, f"Bad Request: can't parse entities: {problem}")
                visible = html.unescape(re.sub(r"<[^>]*>", "", value))
            else:
                visible = value
            if "limits" not in self.lenient and len(visible.encode("utf-16-le")) // 2 > limit:
                return _failure(400, None, f"Bad Request: {too_long}")
        return None

    def _check_rate(self, chat_id: Any) -> TelegramFailure | None:
        """~30 a second overall, 1 a second per chat (a short burst allowed), 20 a minute per group."""
        now = self.clock()
        per_chat = self._sent_chat[str(chat_id)]
        group = self._sent_group[str(chat_id)] if isinstance(chat_id, int) and chat_id < 0 else None
        global_limit, chat_rate = self._rate
        burst = FLOOD_PER_CHAT_BURST if self._rate == (FLOOD_PER_SECOND, 1) else chat_rate
        for window, span in ((self._sent_all, 1.0), (per_chat, burst / chat_rate), (group, 60.0)):
            while window and window[0] <= now - span:
                window.popleft()
        if len(self._sent_all) >= global_limit:
            return _failure(429, max(1, int(self._sent_all[0] + 1.0 - now + 0.999)), None)
        if len(per_chat) >= burst:
            return _failure(429, max(1, int(per_chat[0] + burst / chat_rate - now + 0.999)), None)
        if group is not None and len(group) >= FLOOD_PER_GROUP_MINUTE:
            return _failure(429, max(1, int(group[0] + 60.0 - now + 0.999)), None)
        self._sent_all.append(now)
        per_chat.append(now)
        if group is not None:
            group.append(now)
        return None

    # -- helpers -------------------------------------------------------------
    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        if chat_id in self.chats:
            return dict(self.chats[chat_id])
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        if isinstance(chat_id, str):
            return {"id": -1000000000001, "type": "channel", "title": chat_id, "username": chat_id.lstrip("@")}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        message = {"message_id": next(self._message_ids[chat["id"]]), "from": self.bot_user, "chat": chat, "date": int(time.time()), **content}
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
        with self._lock:
            self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _store_file(self, upload: Any, kind: str) -> dict[str, Any]:
        if not isinstance(upload, dict):  # a file_id or URL: nothing uploaded
            return {"file_id": str(upload), "file_unique_id": "u" + str(upload)[-8:], "file_size": 0}
        n = next(self._file_ids)
        stored = {
            "file_id": f"{kind}-file-{n}",
            "file_unique_id": f"uniq{n}",
            "file_size": len(upload["content"]),
            "file_path": f"{kind}s/file_{n}",
            "content": upload["content"],
            "file_name": upload["filename"],
            "mime_type": upload["content_type"],
        }
        with self._lock:
            self.files[stored["file_id"]] = stored
        return {k: stored[k] for k in ("file_id", "file_unique_id", "file_size")}

    def _find_message(self, params: dict[str, Any]) -> dict[str, Any] | None:
        chat_id = self._chat(params.get("chat_id", 0))["id"] if "chat_id" in params else None
        return self.messages.get((chat_id, params.get("message_id")))

    # -- methods (named _api_<lowercased method>) ------------------------------
    def _api_getme(self, params: dict) -> dict:
        return self.bot_user

    async def _api_getupdates(self, params: dict) -> Any:
        if self.webhook.get("url"):
            return _failure(409, None, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.long_poll_cap)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            with self._lock:
                if offset:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                pending = self.updates[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if pending or remaining <= 0 or self._closing:
                return pending
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                pass

    def _api_setwebhook(self, params: dict) -> bool:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _api_deletewebhook(self, params: dict) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _api_getwebhookinfo(self, params: dict) -> dict:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": len(self.updates)}

    def _api_sendmessage(self, params: dict) -> Any:
        if not str(params.get("text", "")).strip():
            return _failure(400, None, "Bad Request: message text is empty")
        return self._message(params, text=params["text"])

    def _api_sendphoto(self, params: dict) -> Any:
        upload = params.get("photo")
        width, height = 320, 240
        if isinstance(upload, dict) and "photo" not in self.lenient:
            dims = image_size(upload["content"])
            if dims is None:
                return _failure(400, None, "Bad Request: IMAGE_PROCESS_FAILED")
            width, height = dims
            if width + height > MAX_PHOTO_SIDES or width / max(height, 1) > 20 or height / max(width, 1) > 20:
                return _failure(400, None, "Bad Request: PHOTO_INVALID_DIMENSIONS")
            if len(upload["content"]) > MAX_PHOTO_BYTES:
                return _failure(400, None, "Bad Request: PHOTO_SAVE_FILE_INVALID")
        size = self._store_file(upload, "photo")
        caption = {"caption": params["caption"]} if params.get("caption") else {}
        return self._message(params, photo=[size | {"width": width, "height": height}], **caption)

    def _api_senddocument(self, params: dict) -> Any:
        upload = params.get("document")
        if isinstance(upload, dict) and len(upload["content"]) > self.max_document_bytes:
            return _failure(413, None, "Request Entity Too Large")
        doc = self._store_file(upload, "document")
        if isinstance(upload, dict):
            doc |= {"file_name": upload["filename"], "mime_type": upload["content_type"]}
        caption = {"caption": params["caption"]} if params.get("caption") else {}
        return self._message(params, document=doc, **caption)

    def _api_getfile(self, params: dict) -> Any:
        stored = self.files.get(params.get("file_id"))
        if stored is None:
            return _failure(400, None, "Bad Request: invalid file_id")
        return {k: stored[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

    def _edit(self, params: dict, **changes: Any) -> Any:
        if params.get("inline_message_id"):
            return True
        message = self._find_message(params)
        if message is None:
            return _failure(400, None, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        new = dict(changes)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            new["reply_markup"] = markup
        if all(message.get(k) == v for k, v in changes.items()) and message.get("reply_markup") == new.get("reply_markup"):
            return _failure(
                400,
                None,
                "Bad Request: message is not modified: specified new message content "
                "and reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        with self._lock:
            message.update(new, edit_date=int(time.time()))
            if "reply_markup" not in new:
                message.pop("reply_markup", None)
        return message

    def _api_editmessagetext(self, params: dict) -> Any:
        return self._edit(params, text=params.get("text", ""))

    def _api_editmessagereplymarkup(self, params: dict) -> Any:
        return self._edit(params)

    def _api_deletemessage(self, params: dict) -> Any:
        message = self._find_message(params)
        if message is None:
            return _failure(400, None, "Bad Request: message to delete not found")
        with self._lock:
            del self.messages[(message["chat"]["id"], message["message_id"])]
        return True

    def _api_answercallbackquery(self, params: dict) -> bool:
        return True

    def _api_setmycommands(self, params: dict) -> bool:
        self.commands[_commands_key(params)] = list(params.get("commands") or [])
        return True

    def _api_getmycommands(self, params: dict) -> list:
        return self.commands.get(_commands_key(params), [])

    def _api_deletemycommands(self, params: dict) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    def _known_chat(self, chat_id: Any) -> bool:
        if "chats" in self.lenient or chat_id in self.chats:
            return True
        return isinstance(chat_id, int) and chat_id > 0 and chat_id in self.started

    def _api_getchat(self, params: dict) -> Any:
        if not self._known_chat(params.get("chat_id")):
            return _failure(400, None, "Bad Request: chat not found")
        chat = self._chat(params.get("chat_id"))
        return chat | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _api_getchatmember(self, params: dict) -> Any:
        """The user's status in that group as its roster has it; ``left`` for someone never seen there."""
        chat_id, user_id = params.get("chat_id"), params.get("user_id")
        if not self._known_chat(chat_id):
            return _failure(400, None, "Bad Request: chat not found")
        if user_id == self.bot_user["id"] and (chat_id, user_id) not in self.members:
            return _member(self.bot_user, "member")
        default = "member" if "chats" in self.lenient else "left"
        return self.members.get((chat_id, user_id)) or _member({"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}, default)

    def _api_getchatadministrators(self, params: dict) -> list:
        return [m for (chat, _), m in self.members.items() if chat == params.get("chat_id") and m["status"] in ("creator", "administrator")]


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:=(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")


def html_problem(text: str) -> str | None:
    """Why Telegram's HTML parse mode would refuse ``text``, or None.

    Only the supported tags, properly nested; every other ``<`` must be ``&lt;``.
    """
    stack: list[str] = []
    pos = 0
    while (start := text.find("<", pos)) != -1:
        match = _TAG.match(text, start)
        if match is None:
            return f"Unexpected end tag or unsupported start tag at byte offset {len(text[:start].encode())}"
        closing, name = match.group(1), match.group(2).lower()
        if name not in HTML_TAGS:
            return f'Unsupported start tag "{name}" at byte offset {len(text[:start].encode())}'
        if closing:
            if not stack or stack[-1] != name:
                return (
                    f"Can't find end tag corresponding to start tag {stack[-1]!r}"
                    if stack
                    else f"Unexpected end tag at byte offset {len(text[:start].encode())}"
                )
            stack.pop()
        else:
            stack.append(name)
        pos = match.end()
    if stack:
        return f"Can't find end tag corresponding to start tag {stack[-1]!r}"
    return None


def make_png(width: int = 1, height: int = 1) -> bytes:
    """A real (blank, grey) PNG of that size: what ``sendPhoto`` accepts."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of a PNG, GIF, JPEG or WebP picture; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None


def _commands_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (params.get("language_code") or "")


_RESTRICTED_RIGHTS = (
    "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages", "can_send_polls", "can_send_other_messages",
    "can_add_web_page_previews", "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
    "can_send_video_notes", "can_send_voice_notes", "can_react_to_messages",
)  # fmt: skip


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                k: True
                for k in (
                    "can_be_edited",
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                )
            },
            is_anonymous=False,
        )
    elif status == "restricted":
        member.update({k: True for k in _RESTRICTED_RIGHTS}, is_member=True, can_edit_tag=False, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    return member


def _failure(status: int | None, retry_after: int | None, description: str | None, **where: Any) -> TelegramFailure:
    if retry_after is not None:
        status = 429
        description = description or f"Too Many Requests: retry after {retry_after}"
    if status is None:
        raise ValueError("a failure needs a status or retry_after")
    return TelegramFailure(status, description or _DESCRIPTIONS.get(status, "Bad Request"), retry_after, **where)


def _error_body(failure: TelegramFailure) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
    if failure.retry_after is not None:
        body["parameters"] = {"retry_after": failure.retry_after}
    if failure.migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": failure.migrate_to_chat_id}
    return body


def _decode(key: str, value: str) -> Any:
    if key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Decode query, form (JSON-encoded values), multipart or JSON bodies."""
    params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
    if not request.can_read_body:
        return params
    if request.content_type == "application/json":
        raw = await request.read()
        params.update(json.loads(raw) if raw.strip() else {})
        return params
    files: dict[str, dict[str, Any]] = {}
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            files[key] = {"filename": value.filename, "content_type": value.content_type, "content": value.file.read()}
        else:
            params[key] = _decode(key, value if isinstance(value, str) else value.decode())
    for key, upload in files.items():  # a part is named after its parameter or attach://<name>
        ref = next((k for k, v in params.items() if v == f"attach://{key}"), None)
        params[ref or key] = upload
    return params
