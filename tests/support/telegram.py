"""Drive a flow through Telegram end to end: the real python-telegram-bot
``Application`` against :class:`~tests.fakes.FakeTelegram` on 127.0.0.1.

Usage in a test::

    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join", user_id=1001)    # in the network's group
        await th.command("beacon", "help")                # privately
        await th.press("Answer now")                      # a button on the last message
        print(th.texts(1001))

Each action pushes an Update (by polling, or by webhook with ``webhook=True``),
waits until PTB has run it through the handlers, then drains the outbox, so
what the bot sent is in ``th.tg`` when the call returns. The fake is strict
(flood limits included) and Beacon's own pacing runs, both on one
:class:`WireClock` whose sleeps move it on at once, so no test waits in real
time. A test that needs the fake lenient names what: ``lenient={"unstarted"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import col, func, select

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.app import Beacon, build_app
from bot.core.clock import FakeClock
from bot.delivery.pacing import Pacer
from bot.server.http import build_http_app
from bot.settings import Settings
from bot.store.db import Store
from bot.store.models import OutboxMessage, OutboxStatus
from tests.fakes import FakeTelegram, post_update, tg_callback_query, tg_command, tg_text

GROUP_ID = -1001234567890
SECRET = "s3cret-token"


class WireClock:
    """Seconds as the Bot API counts them for its flood limits; sleeping moves it on at once.

    The fake reads it and Beacon's pacers sleep on it, so pacing is exercised
    against the real limits without real waiting (and without moving the
    flows' clock).
    """

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class TelegramHarness:
    def __init__(
        self, *, store: Store, clock: FakeClock, webhook: bool = False, lenient: set[str] | frozenset[str] = frozenset(), **settings: Any
    ) -> None:
        self.store = store
        self.clock = clock
        self.webhook = webhook
        self.settings = settings
        self.wire = WireClock()
        self.tg = FakeTelegram(clock=self.wire, lenient=lenient)
        self.beacon: Beacon
        self.adapter: TelegramAdapter
        self.http: httpx.AsyncClient | None = None
        self._pushed = 0
        self.settle_floods = True  # let a flood limit's seconds pass after each update (a test timing retries itself says False)

    async def __aenter__(self) -> TelegramHarness:
        await self.tg.__aenter__()
        env = {
            "TELEGRAM_BOT_TOKEN": self.tg.token,
            "TELEGRAM_API_URL": self.tg.base_url,
            "BEACON_CONFIG": "/none.yaml",
            **self.settings,
        }
        if self.webhook:
            env.setdefault("TELEGRAM_WEBHOOK_URL", "https://beacon.example.org/telegram/webhook")
            env.setdefault("TELEGRAM_WEBHOOK_SECRET", SECRET)
        self.beacon = build_app(Settings(**env), clock=self.clock, store=self.store)
        self.adapter = self.beacon.adapters["telegram"]  # type: ignore[assignment]
        self.adapter.poll_timeout = 0.2
        limits = self.adapter.limits
        self.beacon.delivery.pacers["telegram"] = Pacer(limits.per_second, limits.per_chat_interval, clock=self.wire, sleep=self.wire.sleep)
        self.adapter.sender.clock, self.adapter.sender.sleep = self.wire, self.wire.sleep
        await self.adapter.start()
        if self.webhook:
            transport = httpx.ASGITransport(app=build_http_app(self.beacon))
            self.http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            if self.http is not None:
                await self.http.aclose()
        await self.adapter.stop()
        self.beacon.dispatcher.executor.shutdown(wait=True)
        await self.tg.__aexit__(*exc)

    # -- acting ------------------------------------------------------------------

    async def push(self, update: dict[str, Any], *, secret: str | None = SECRET, drain: bool = True) -> httpx.Response | None:
        """Deliver one Update to the bot, wait until it is handled, drain the outbox."""
        response = None
        if self.webhook:
            assert self.http is not None
            self.tg.observe(update)
            response = await post_update(self.http, update, secret_token=secret)
            if response.status_code != 200:
                return response
        else:
            self.tg.push_update(update)
        self._pushed += 1
        await self.adapter.wait_handled(self._pushed)
        if drain:
            await self.settle()
        return response

    async def settle(self, rounds: int = 5) -> None:
        """Drain the outbox, and let the seconds pass that a flood limit asks for.

        A person's taps and the bot's answers come faster here than anywhere
        real, so the strict fake answers 429 as Telegram would; Beacon keeps
        the message and retries after ``retry_after`` on its clock. Those few
        seconds pass here (on the flows' clock and the wire's), as they would.
        """
        await self.beacon.delivery.drain()
        for _ in range(rounds if self.settle_floods else 0):
            with self.store.session() as session:
                due = session.exec(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == OutboxStatus.PENDING, col(OutboxMessage.last_error).startswith("rate limited")
                    )
                ).one()
            if due is None:
                return
            wait = (due - self.clock.now()).total_seconds()
            if wait > 60:
                return  # not a flood limit's seconds: leave it to the test
            self.clock.advance(timedelta(seconds=max(wait, 0.0) + 0.001))
            self.wire.now += max(wait, 0.0)
            await self.beacon.delivery.drain()

    async def command(self, command: str, args: str = "", *, user_id: int = 1001, **kw: Any) -> None:
        await self.push(tg_command(command, args, user_id=user_id, **kw))

    async def group_command(self, sub: str, *, user_id: int = 1001, chat_id: int = GROUP_ID) -> None:
        """``/beacon@bot <sub>`` typed in the network's group."""
        await self.push(tg_command("beacon", sub, user_id=user_id, chat_id=chat_id, bot_username=self.tg.bot_user["username"]))

    async def say(self, text: str, *, user_id: int = 1001, **kw: Any) -> None:
        await self.push(tg_text(text, user_id=user_id, **kw))

    async def press(self, label: str, *, user_id: int = 1001, chat_id: int | None = None) -> None:
        """Press the button ``label`` on the newest message in ``chat_id`` (default: the user's private chat)."""
        chat, message = self.message_with_button(label, chat_id=chat_id or user_id)
        data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row if b["text"] == label)
        update = tg_callback_query(
            data, user_id=user_id, chat_id=None if chat == user_id else chat, message_id=message["message_id"], message_text=message.get("text")
        )
        update["callback_query"]["message"]["reply_markup"] = message["reply_markup"]
        await self.push(update)

    # -- reading -------------------------------------------------------------------

    def texts(self, chat_id: int | None = None) -> list[str]:
        return self.tg.sent_texts(chat_id)

    def last_text(self, chat_id: int) -> str:
        texts = self.texts(chat_id)
        assert texts, f"nothing was sent to {chat_id}"
        return texts[-1]

    def message_with_button(self, label: str, *, chat_id: int) -> tuple[int, dict[str, Any]]:
        for (chat, _), message in sorted(self.tg.messages.items(), key=lambda kv: kv[0][1], reverse=True):
            if chat != chat_id:
                continue
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            if any(b["text"] == label for row in rows for b in row):
                return chat, message
        raise AssertionError(f"no message to {chat_id} has a {label!r} button")
