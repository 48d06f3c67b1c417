"""The Telegram outbound path: one outbox envelope to Bot API calls.

Kept apart from the adapter's life cycle and inbound handlers because it is
where delivery semantics live: rendered parts (photo, then text) are sent in
order and, after a retry, resumed from the first part not yet sent; a group is
paced to Telegram's ~20 messages a minute; a group that became a supergroup
is followed once; and Bot API errors are mapped onto the delivery worker's
:class:`RetryLater` / :class:`Unreachable` / :class:`PermanentFailure`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import InputFile, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.adapters.base import Envelope, PermanentFailure, RetryLater, SendResult, Unreachable
from bot.adapters.telegram.members import mark_member
from bot.adapters.telegram.render import CallbackCodec, render, render_edit
from bot.core.messages import Attachment, Outgoing
from bot.store.db import Store

__all__ = ["GROUP_PER_MINUTE", "TelegramSender", "bot_chat_id", "retry_seconds"]

logger = logging.getLogger(__name__)

GROUP_PER_MINUTE = 20
PHOTO_REFUSED = ("IMAGE_PROCESS_FAILED", "PHOTO_INVALID_DIMENSIONS", "PHOTO_SAVE_FILE_INVALID", "PHOTO_EXT_INVALID")
"""Why Telegram may refuse a picture as a photo; it then goes as a document."""
PART_INTERVAL = 1.0
"""Telegram allows about one message a second in a chat: a long message's parts keep that apart."""

Moved = Callable[[int | str, int | str], Awaitable[None]]


def bot_chat_id(value: str) -> int | str:
    """A stored chat key as the Bot API wants it: numeric ids as ints, ``@names`` as is."""
    return int(value) if value.lstrip("-").isdigit() else value


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends (or edits) one envelope's message; owns resume progress and group pacing.

    Args:
        application: the adapter's PTB application (its ``bot`` makes the calls).
        codec: shared with inbound, so pressed buttons decode.
        store: where addressees who blocked the bot are marked.
        moved: the adapter's migration handler, called when a chat became a supergroup.
        clock / sleep: for the group pacing (tests give a clock whose sleep is instant).
    """

    def __init__(
        self,
        *,
        application: Application,
        codec: CallbackCodec,
        store: Store,
        moved: Moved,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.application = application
        self.clock, self.sleep = clock, sleep
        self.codec = codec
        self.store = store
        self.moved = moved
        self._progress: dict[int, set[tuple[str, int]]] = defaultdict(set)
        self._group_sends: dict[int | str, deque[float]] = defaultdict(deque)

    def _targets(self, envelope: Envelope) -> list[tuple[str, int | None]]:
        to = envelope.outgoing.to
        if to.channel and not to.private_to:
            return [(to.channel, None)]
        wanted = [to.private_to] if to.private_to else list(to.members)
        by_id = {r.member_id: r for r in envelope.recipients}
        return [(by_id[m].platform_user_id, m) for m in wanted if m in by_id]

    def requests(self, envelope: Envelope) -> int:
        """Bot API calls this envelope takes: a photo and each part of a long
        text, to each addressee. Telegram counts every one against its 30 a second."""
        out = envelope.outgoing
        if out.edit:
            return 1
        per_chat = len(render(out, self.codec).parts) + (1 if out.attachment is not None else 0)
        return max(1, per_chat * len(self._targets(envelope)))

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
                await loop.run_in_executor(None, mark_member, self.store, member_id)
            if len(blocked) == len(targets):
                raise Unreachable("no addressee can be messaged")
        return SendResult(message_ref=refs[0] if refs else None)

    async def _guard(self, work: Awaitable[str], *, member_id: int | None) -> Any:
        """Bot API errors → the delivery worker's three kinds of failure."""
        try:
            return await work
        except RetryAfter as exc:
            raise RetryLater(str(exc), retry_after=retry_seconds(exc)) from exc
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
            await self.moved(chat, new)
            done |= {(new, index) for sent, index in done if sent == chat}
            return await self._send_to(new, out, done)

    async def _send_to(self, chat: str, out: Outgoing, done: set[tuple[str, int]]) -> str:
        """Send every part (skipping those already sent before a retry); the last part's ref."""
        bot = self.application.bot
        chat_id = bot_chat_id(chat)
        rendered = render(out, self.codec)
        ref = ""
        steps: list[tuple[int, Callable[[], Awaitable[Any]]]] = []
        if out.attachment is not None:
            markup = rendered.reply_markup if not rendered.parts else None
            steps.append((0, lambda: self._send_attachment(chat_id, out.attachment, rendered.caption, markup)))
        for i, part in enumerate(rendered.parts, start=1):
            last = i == len(rendered.parts)
            steps.append(
                (
                    i,
                    lambda part=part, last=last: bot.send_message(
                        chat_id,
                        part,
                        parse_mode=ParseMode.HTML,
                        reply_markup=rendered.reply_markup if last else None,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    ),
                )
            )
        sent_one = False
        for index, step in steps:
            if (chat, index) in done:
                continue
            if sent_one:
                await self.sleep(PART_INTERVAL)
            sent_one = True
            await self._group_pace(chat_id)
            message = await step()
            done.add((chat, index))
            ref = f"{message.chat_id}:{message.message_id}"
        return ref

    async def _send_attachment(self, chat_id: int | str, attachment: Attachment, caption: str | None, markup: Any) -> Message:
        """A picture by ``sendPhoto``, a file by ``sendDocument``; a picture Telegram
        will not show (not an image it can read, or too tall) still arrives, as a file."""
        bot = self.application.bot
        if attachment.is_picture:
            try:
                return await bot.send_photo(
                    chat_id,
                    photo=InputFile(attachment.content, filename=attachment.name),
                    caption=caption,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except BadRequest as exc:
                if not any(reason in exc.message.upper() for reason in PHOTO_REFUSED):
                    raise
                logger.info("telegram refused %s as a photo (%s); sending it as a file", attachment.name, exc.message)
                await self.sleep(PART_INTERVAL)
        return await bot.send_document(
            chat_id, document=InputFile(attachment.content, filename=attachment.name), caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
        )

    async def _group_pace(self, chat_id: int | str) -> None:
        """Telegram allows about 20 messages a minute into one group."""
        if not isinstance(chat_id, int) or chat_id > 0:
            return
        sent = self._group_sends[chat_id]
        now = self.clock()
        while sent and now - sent[0] >= 60:
            sent.popleft()
        if len(sent) >= GROUP_PER_MINUTE:
            await self.sleep(60 - (now - sent[0]))
            sent.popleft()
        sent.append(self.clock())

    async def _edit(self, out: Outgoing) -> str:
        chat, _, message_id = out.edit.rpartition(":")
        if not chat or not message_id.isdigit():
            raise PermanentFailure(f"not a Telegram message reference: {out.edit!r}")
        text, markup = render_edit(out, self.codec)
        bot = self.application.bot
        try:
            await bot.edit_message_text(
                text,
                chat_id=bot_chat_id(chat),
                message_id=int(message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            reason = exc.message.lower()
            if "not modified" in reason:
                return out.edit
            if "no text in the message" not in reason:
                raise
            # a picture or file: its caption cannot take the new text, so just replace the buttons
            await bot.edit_message_reply_markup(chat_id=bot_chat_id(chat), message_id=int(message_id), reply_markup=markup)
        return out.edit
