"""Telegram on python-telegram-bot 22, sharing the core's asyncio loop.

Long polling by default; webhook mode (``POST /telegram/webhook`` on the one
Starlette server) when ``TELEGRAM_WEBHOOK_URL`` is set. PTB handlers only
translate (see :mod:`.telegram_events`) and call the dispatcher; ``send``
is delegated to :mod:`.telegram_send` (rendering, resumable part sends and the
Bot API error mapping), and store writes for blocks and group migrations live
in :mod:`.telegram_members`. No business rules live here.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import BotCommand, Chat, Update
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.adapters.base import Adapter, Envelope, Limits, SendResult, StartupError
from bot.adapters.lease_keeper import LeaseKeeper
from bot.adapters.telegram.events import COMMANDS, IN_GROUP, added_incoming, arrivals, departure, membership, migration, to_incoming
from bot.adapters.telegram.members import leave_group, move_chat, set_reachable
from bot.adapters.telegram.render import CallbackCodec
from bot.adapters.telegram.send import TelegramSender, bot_chat_id, retry_seconds
from bot.core.markup import to_telegram_html
from bot.core.messages import Incoming
from bot.core.startlink import read_payload
from bot.store.db import Store

__all__ = ["TelegramAdapter", "WEBHOOK_PATH"]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"]
BAD_TOKEN = "Telegram refused the bot token (TELEGRAM_BOT_TOKEN): check it with @BotFather."
EXPIRED_BUTTON = "That button has expired. Type /beacon help to start again."
NOT_IN_GROUP = (
    "You're not in that group, so I can't add you to its network. "
    "Join the group on Telegram first (ask its admins for an invite), then tap the link again."
)
MENU = [
    BotCommand("beacon", "Beacon: /beacon help lists everything"),
    BotCommand("reflect", "Answer this week's reflection"),
    BotCommand("share", "Share a practice others can steal"),
    BotCommand("profile", "What you want to learn and can offer"),
    BotCommand("pause", "Pause messages for a while"),
    BotCommand("help", "What I can do"),
]

Handle = Callable[[Incoming], Awaitable[Any]]


class TelegramAdapter(Adapter):
    platform = "telegram"
    limits = Limits(per_second=30, per_chat_interval=1.0)

    def __init__(
        self,
        *,
        token: str,
        handle: Handle,
        store: Store,
        api_url: str = "https://api.telegram.org/bot",
        file_url: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        poll_timeout: float = 10.0,
        lease_seconds: float = 30.0,
    ) -> None:
        if webhook_url and not webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set")
        self.handle = handle
        self.store = store
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        self.lease_seconds = lease_seconds
        self.lease: LeaseKeeper | None = None
        self.codec = CallbackCodec()
        if file_url is None:
            file_url = api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else "https://api.telegram.org/file/bot"
        builder = ApplicationBuilder().token(token).base_url(api_url).base_file_url(file_url).job_queue(None)
        if webhook_url:
            builder = builder.updater(None)
        self.application: Application = builder.build()
        self.username = ""
        self.me: dict[str, Any] | None = None
        self.running = False
        self.handled = 0
        self._handled_changed = asyncio.Event()
        self.sender = TelegramSender(
            application=self.application, codec=self.codec, store=store,
            moved=lambda old, new: self._moved(old, new),
        )  # fmt: skip
        self._register()

    @classmethod
    def from_settings(cls, settings, *, handle: Handle, store: Store) -> TelegramAdapter:
        secret = settings.telegram_webhook_secret
        return cls(
            token=settings.telegram_bot_token.get_secret_value(),
            handle=handle,
            store=store,
            api_url=settings.telegram_api_url,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=secret.get_secret_value() if secret else None,
            lease_seconds=settings.lease_seconds,
        )

    # -- life cycle ------------------------------------------------------------

    def _register(self) -> None:
        app = self.application
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        app.add_handler(MessageHandler(filters.StatusUpdate.LEFT_CHAT_MEMBER, self._on_departure))
        app.add_handler(MessageHandler(filters.StatusUpdate.NEW_CHAT_MEMBERS, self._on_arrival))
        app.add_handler(CommandHandler(list(COMMANDS), self._on_message))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGES & (filters.TEXT | filters.CAPTION), self._on_message))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(ChatMemberHandler(self._on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(ChatMemberHandler(self._on_departure, ChatMemberHandler.CHAT_MEMBER))
        app.add_handler(TypeHandler(Update, self._count), group=99)
        app.add_error_handler(self._on_error)

    async def start(self) -> None:
        app = self.application
        try:
            await app.initialize()  # getMe
        except InvalidToken:
            # PTB's message quotes the token; ours says what to fix, and
            # ``from None`` keeps the original out of any printed traceback
            await app.bot.shutdown()
            raise StartupError(BAD_TOKEN) from None
        bot_user = app.bot.bot
        self.username = bot_user.username or ""
        self.me = {"id": bot_user.id, "username": self.username}
        await app.start()
        try:
            await app.bot.set_my_commands(MENU)
        except TelegramError:
            logger.warning("could not register the command menu", exc_info=True)
        if self.webhook_url:
            await app.bot.set_webhook(self.webhook_url, secret_token=self.webhook_secret, allowed_updates=ALLOWED_UPDATES)
            logger.info("telegram: webhook at %s for @%s", self.webhook_url, self.username)
        else:  # one poller per bot across all processes: whoever holds the lease
            self.lease = LeaseKeeper(
                store=self.store, name=f"telegram-polling:{bot_user.id}", ttl=self.lease_seconds,
                on_gain=self._start_polling, on_loss=self._stop_polling,
            )  # fmt: skip
            await self.lease.start()
        self.running = True

    async def _start_polling(self) -> None:
        await self.application.updater.start_polling(
            poll_interval=0.0, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES,
            error_callback=lambda exc: logger.warning("telegram polling: %s", exc),
        )  # fmt: skip
        logger.info("telegram: polling as @%s", self.username)

    async def _stop_polling(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()

    async def stop(self) -> None:
        app = self.application
        self.running = False
        if self.lease is not None:
            await self.lease.stop()
        await self._stop_polling()
        if app.running:
            await app.stop()
        await app.shutdown()

    def status(self) -> dict[str, object]:
        status: dict[str, object] = {"ok": self.running, "bot": self.me, "mode": "webhook" if self.webhook_url else "polling"}
        if self.lease is not None:
            status["polling_here"] = self.lease.held
        return status

    # -- webhook -----------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [Route(WEBHOOK_PATH, self._webhook, methods=["POST"])] if self.webhook_url else []

    async def _webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_secret or not hmac.compare_digest(given.encode(), self.webhook_secret.encode()):
            logger.warning("telegram webhook: wrong or missing secret token from %s", request.client)
            return Response(status_code=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except Exception:
            logger.warning("telegram webhook: unreadable update", exc_info=True)
            return Response(status_code=400)
        await self.application.update_queue.put(update)
        return Response(status_code=200)

    async def wait_handled(self, count: int, *, timeout: float = 5.0) -> None:
        """Until ``count`` updates in all have been through the handlers (tests)."""

        async def reached() -> None:
            while self.handled < count:
                self._handled_changed.clear()
                await self._handled_changed.wait()

        await asyncio.wait_for(reached(), timeout)

    # -- inbound -------------------------------------------------------------------

    async def _count(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.handled += 1
        self._handled_changed.set()

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = to_incoming(update, bot_username=self.username, codec=self.codec)
        if incoming is None:
            return
        if incoming.raw.get("start_payload"):
            incoming = await self._deep_link(incoming)
            if incoming is None:
                return
        await self._dispatch(incoming)

    async def _on_arrival(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone joined a group: the welcome flow greets them there, with a start button."""
        for incoming in arrivals(update, bot_username=self.username):
            await self._dispatch(incoming)

    async def _on_departure(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone left or was removed from a group: they leave its network."""
        gone = departure(update)
        if gone is not None:
            loop = asyncio.get_running_loop()
            if await loop.run_in_executor(None, leave_group, self.store, *gone):
                logger.info("telegram user %s left group %s: left its network", gone[1], gone[0])

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: a notice, not a member's message."""
        moved = migration(update)
        if moved is not None:
            await self._moved(*moved)

    async def _moved(self, old_chat: int | str, new_chat: int | str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, move_chat, self.store, old_chat, new_chat)
        logger.info("telegram chat %s is now %s", old_chat, new_chat)

    async def _deep_link(self, incoming: Incoming) -> Incoming | None:
        """A ``/start <group id>`` link: anyone can open one with any id, so it links
        only someone Telegram shows in that group; others are told to join it first
        (and ``None`` is returned: nothing more to do)."""
        parsed = read_payload(incoming.raw["start_payload"])
        if parsed is None:
            return incoming
        payload, ask = parsed
        try:
            chat = await self._get_chat(int(payload))
        except TelegramError as exc:
            logger.info("start link to unknown chat %s: %s", payload, exc)
            return incoming
        if chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
            return incoming
        if not await self._in_group(chat.id, int(incoming.user_id)):
            await self._answer(incoming, NOT_IN_GROUP)
            return None
        raw = {**incoming.raw, "start_payload": payload, "asked_in_group": ask}
        linked = replace(incoming, network_key=str(chat.id), network_name=chat.title, joins_by_link=True, raw=raw)
        return replace(linked, text=ask) if ask else linked  # what they asked in the group, answered now

    async def _in_group(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self.application.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            logger.info("could not check %s in chat %s: %s", user_id, chat_id, exc)
            return False
        return member.status in IN_GROUP and getattr(member, "is_member", True)

    async def _get_chat(self, chat_id: int) -> Chat:
        """Links posted before a group became a supergroup still carry its old id."""
        try:
            return await self.application.bot.get_chat(chat_id)
        except ChatMigrated as exc:
            await self._moved(chat_id, exc.new_chat_id)
            return await self.application.bot.get_chat(exc.new_chat_id)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        incoming = to_incoming(update, bot_username=self.username, codec=self.codec)
        try:
            await query.answer(EXPIRED_BUTTON if incoming is None else None)
        except TelegramError:
            logger.warning("could not answer callback query %s", query.id, exc_info=True)
        if incoming is not None:
            await self._dispatch(incoming)

    async def _on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = membership(update)
        if change is None:
            return
        if change.private:
            reachable = change.kind == "unblocked"
            loop = asyncio.get_running_loop()
            n = await loop.run_in_executor(None, set_reachable, self.store, str(change.user_id), reachable, "blocked the bot on Telegram")
            logger.info("telegram user %s %s the bot (%d member rows)", change.user_id, change.kind, n)
        elif change.kind == "added":
            await self._dispatch(added_incoming(update, bot_username=self.username))
        else:
            logger.info("bot removed from telegram chat %s", change.chat_id)

    async def _dispatch(self, incoming: Incoming) -> None:
        result = await self.handle(incoming)
        for text in getattr(result, "immediate", ()) or ():
            await self._answer(incoming, text)

    async def _answer(self, incoming: Incoming, text: str) -> None:
        """A plain answer at once, where the person wrote (no network to queue it in).

        It has no outbox row to retry from, so past a flood limit it waits the
        retry-after once and tries again rather than being lost."""
        chat = bot_chat_id(incoming.conversation or incoming.user_id)
        for attempt in range(2):
            try:
                await self.application.bot.send_message(chat, to_telegram_html(text), parse_mode=ParseMode.HTML)
                return
            except RetryAfter as exc:
                if attempt:
                    logger.warning("an immediate answer to %s was refused twice for flooding: %s", chat, exc)
                    return
                await self.sender.sleep(min(retry_seconds(exc), 30.0))
            except TelegramError:
                logger.warning("could not send an immediate answer", exc_info=True)
                return

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)

    # -- outbound (see :mod:`.telegram_send`) ----------------------------------------

    async def send(self, envelope: Envelope) -> SendResult:
        return await self.sender.send(envelope)

    def requests(self, envelope: Envelope) -> int:
        return self.sender.requests(envelope)
