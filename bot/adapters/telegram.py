"""Telegram on python-telegram-bot 22, sharing the core's asyncio loop.

Long polling by default; webhook mode (``POST /telegram/webhook`` on the one
Starlette server) when ``TELEGRAM_WEBHOOK_URL`` is set. PTB handlers only
translate (see :mod:`.telegram_events`) and call the dispatcher; ``send``
renders (see :mod:`.telegram_render`) and maps Bot API errors onto the
delivery worker's :class:`RetryLater` / :class:`Unreachable` /
:class:`PermanentFailure`. No business rules live here.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
import warnings
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import BotCommand, Chat, InputFile, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
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

from ..markup import to_telegram_html
from ..messages import Incoming, Outgoing
from ..store.db import Store
from ..store.migrate_chat import move_network
from ..store.models import Member, Network
from .lease_keeper import LeaseKeeper
from .base import Adapter, Envelope, Limits, PermanentFailure, RetryLater, SendResult, Unreachable
from .telegram_events import COMMANDS, added_incoming, membership, migration, to_incoming
from .telegram_render import CallbackCodec, render, render_edit

__all__ = ["TelegramAdapter", "move_chat", "set_reachable", "WEBHOOK_PATH"]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
EXPIRED_BUTTON = "That button has expired. Type /beacon help to start again."
MENU = [
    BotCommand("beacon", "Beacon: /beacon help lists everything"),
    BotCommand("reflect", "Answer this week's reflection"),
    BotCommand("share", "Share a practice others can steal"),
    BotCommand("profile", "What you want to learn and can offer"),
    BotCommand("pause", "Pause messages for a while"),
    BotCommand("help", "What I can do"),
]
GROUP_PER_MINUTE = 20

Handle = Callable[[Incoming], Awaitable[Any]]


def set_reachable(store: Store, user_id: str, reachable: bool, reason: str = "") -> int:
    """Mark every Telegram member row of this user (un)reachable; returns how many."""
    with store.session() as session:
        rows = session.exec(
            select(Member)
            .join(Network, col(Network.id) == col(Member.network_id))
            .where(Network.platform == "telegram", Member.platform_user_id == user_id)
        ).all()
        for member in rows:
            member.unreachable = not reachable
            member.unreachable_reason = None if reachable else reason[:200]
            if reachable:
                member.has_private_chat = True
            session.add(member)
        return len(rows)


def move_chat(store: Store, old_chat: int | str, new_chat: int | str) -> None:
    """A group became a supergroup: its network and stored channels follow the new id."""
    with store.session() as session:
        move_network(session, platform="telegram", old_key=str(old_chat), new_key=str(new_chat))


def _chat_id(value: str) -> int | str:
    return int(value) if value.lstrip("-").isdigit() else value


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


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
        self._progress: dict[int, set[tuple[str, int]]] = defaultdict(set)
        self._group_sends: dict[int | str, deque[float]] = defaultdict(deque)
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
        app.add_handler(CommandHandler(list(COMMANDS), self._on_message))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGES & (filters.TEXT | filters.CAPTION), self._on_message))
        app.add_handler(CallbackQueryHandler(self._on_callback))
        app.add_handler(ChatMemberHandler(self._on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(TypeHandler(Update, self._count), group=99)
        app.add_error_handler(self._on_error)

    async def start(self) -> None:
        app = self.application
        await app.initialize()  # getMe
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
        except Exception:  # noqa: BLE001 - a malformed body is the sender's problem
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
        await self._dispatch(incoming)

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: a notice, not a member's message."""
        moved = migration(update)
        if moved is not None:
            await self._moved(*moved)

    async def _moved(self, old_chat: int | str, new_chat: int | str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, move_chat, self.store, old_chat, new_chat)
        logger.info("telegram chat %s is now %s", old_chat, new_chat)

    async def _deep_link(self, incoming: Incoming) -> Incoming:
        """A ``/start <group id>`` link: check the bot is in that group before trusting it."""
        payload = incoming.raw["start_payload"]
        if not payload.lstrip("-").isdigit():
            return incoming
        try:
            chat = await self._get_chat(int(payload))
        except TelegramError as exc:
            logger.info("start link to unknown chat %s: %s", payload, exc)
            return incoming
        if chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
            return incoming
        return replace(incoming, network_key=str(chat.id), network_name=chat.title)

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
            n = await loop.run_in_executor(
                None, set_reachable, self.store, str(change.user_id), reachable, "blocked the bot on Telegram"
            )
            logger.info("telegram user %s %s the bot (%d member rows)", change.user_id, change.kind, n)
        elif change.kind == "added":
            await self._dispatch(added_incoming(update, bot_username=self.username))
        else:
            logger.info("bot removed from telegram chat %s", change.chat_id)

    async def _dispatch(self, incoming: Incoming) -> None:
        result = await self.handle(incoming)
        for text in getattr(result, "immediate", ()) or ():
            try:
                await self.application.bot.send_message(
                    _chat_id(incoming.conversation or incoming.user_id), to_telegram_html(text), parse_mode=ParseMode.HTML
                )
            except TelegramError:
                logger.warning("could not send an immediate answer", exc_info=True)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)

    # -- outbound --------------------------------------------------------------------

    def _targets(self, envelope: Envelope) -> list[tuple[str, int | None]]:
        to = envelope.outgoing.to
        if to.channel and not to.private_to:
            return [(to.channel, None)]
        wanted = [to.private_to] if to.private_to else list(to.members)
        by_id = {r.member_id: r for r in envelope.recipients}
        return [(by_id[m].platform_user_id, m) for m in wanted if m in by_id]

    async def send(self, envelope: Envelope) -> SendResult:
        out = envelope.outgoing
        if out.edit:
            return SendResult(message_ref=await self._guard(self._edit(out), member_id=None))
        targets = self._targets(envelope)
        if not targets:
            raise PermanentFailure("no Telegram chat to send to (member gone?)")
        done = self._progress[envelope.outbox_id]
        refs: list[str] = []
        blocked: list[int] = []
        for chat, member_id in targets:
            try:
                refs.append(await self._guard(self._send_following(chat, out, done), member_id=member_id))
            except Unreachable:
                if len(targets) == 1:
                    self._progress.pop(envelope.outbox_id, None)
                    raise
                blocked.append(member_id)  # the others still get theirs
        self._progress.pop(envelope.outbox_id, None)
        if blocked:
            loop = asyncio.get_running_loop()
            for member_id in blocked:
                await loop.run_in_executor(None, _mark_member, self.store, member_id)
            if len(blocked) == len(targets):
                raise Unreachable("no addressee can be messaged")
        return SendResult(message_ref=refs[0] if refs else None)

    async def _guard(self, work: Awaitable[str], *, member_id: int | None) -> Any:
        """Bot API errors → the delivery worker's three kinds of failure."""
        try:
            return await work
        except RetryAfter as exc:
            raise RetryLater(str(exc), retry_after=_seconds(exc)) from exc
        except Forbidden as exc:
            raise Unreachable(str(exc), member_id=member_id) from exc
        except BadRequest as exc:
            if member_id is not None and "chat not found" in exc.message.lower():
                raise Unreachable(str(exc), member_id=member_id) from exc
            raise PermanentFailure(str(exc)) from exc
        except NetworkError as exc:  # includes TimedOut
            raise RetryLater(str(exc)) from exc
        except TelegramError as exc:  # ChatMigrated twice, InvalidToken, Conflict…
            raise PermanentFailure(str(exc)) from exc

    async def _send_following(self, chat: str, out: Outgoing, done: set[tuple[str, int]]) -> str:
        """Send to ``chat``; if it became a supergroup, move its network and send there, once."""
        try:
            return await self._send_to(chat, out, done)
        except ChatMigrated as exc:
            new = str(exc.new_chat_id)
            await self._moved(chat, new)
            done |= {(new, index) for sent, index in done if sent == chat}
            return await self._send_to(new, out, done)

    async def _send_to(self, chat: str, out: Outgoing, done: set[tuple[str, int]]) -> str:
        """Send every part (skipping those already sent before a retry); the last part's ref."""
        bot = self.application.bot
        chat_id = _chat_id(chat)
        rendered = render(out, self.codec)
        ref = ""
        steps: list[tuple[int, Callable[[], Awaitable[Any]]]] = []
        if out.image is not None:
            markup = rendered.reply_markup if not rendered.parts else None
            steps.append((0, lambda: bot.send_photo(
                chat_id, photo=InputFile(out.image, filename=out.image_name),
                caption=rendered.caption, parse_mode=ParseMode.HTML, reply_markup=markup,
            )))
        for i, part in enumerate(rendered.parts, start=1):
            last = i == len(rendered.parts)
            steps.append((i, lambda part=part, last=last: bot.send_message(
                chat_id, part, parse_mode=ParseMode.HTML,
                reply_markup=rendered.reply_markup if last else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )))
        for index, step in steps:
            if (chat, index) in done:
                continue
            await self._group_pace(chat_id)
            message = await step()
            done.add((chat, index))
            ref = f"{message.chat_id}:{message.message_id}"
        return ref

    async def _group_pace(self, chat_id: int | str) -> None:
        """Telegram allows about 20 messages a minute into one group."""
        if not isinstance(chat_id, int) or chat_id > 0:
            return
        sent = self._group_sends[chat_id]
        now = time.monotonic()
        while sent and now - sent[0] > 60:
            sent.popleft()
        if len(sent) >= GROUP_PER_MINUTE:
            await asyncio.sleep(60 - (now - sent[0]))
        sent.append(time.monotonic())

    async def _edit(self, out: Outgoing) -> str:
        chat, _, message_id = out.edit.rpartition(":")
        if not chat or not message_id.isdigit():
            raise PermanentFailure(f"not a Telegram message reference: {out.edit!r}")
        text, markup = render_edit(out, self.codec)
        bot = self.application.bot
        try:
            await bot.edit_message_text(
                text, chat_id=_chat_id(chat), message_id=int(message_id), parse_mode=ParseMode.HTML,
                reply_markup=markup, link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            reason = exc.message.lower()
            if "not modified" in reason:
                return out.edit
            if "no text in the message" not in reason:
                raise
            # a photo: its caption cannot take the new text, so just replace the buttons
            await bot.edit_message_reply_markup(chat_id=_chat_id(chat), message_id=int(message_id), reply_markup=markup)
        return out.edit


def _mark_member(store: Store, member_id: int) -> None:
    with store.session() as session:
        member = session.get(Member, member_id)
        if member is not None:
            member.unreachable = True
            member.unreachable_reason = "blocked the bot on Telegram"
            session.add(member)
