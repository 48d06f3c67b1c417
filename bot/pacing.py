"""Pacing sends to a platform's rate limits, in real time.

Telegram allows about 30 messages a second overall and one a second per chat;
Slack about one a second per channel. Both count requests in a sliding window
and answer 429 past it, so the pacer keeps a sliding window too.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["Pacer"]


class Pacer:
    """At most ``per_second`` sends in any ``window`` (a little over a second),
    and one chat's sends ``per_chat_interval`` apart.

    It counts the moments sends actually leave, not the slots it planned: a
    task that wakes late cannot make the ones behind it bunch up, and after a
    stall the window lets the rate catch up without going over. ``window`` is
    ``1 / MARGIN`` seconds so that requests which bunch up on their way to the
    platform still fit its second. Sends also keep ``SPREAD`` of the nominal
    interval apart, so catching up is not a burst. A 429 holds every send for
    the retry-after and widens the window by a tenth; each send after that wins
    a little back, up to the margin (additive increase, multiplicative
    decrease, as TCP does).
    """

    MARGIN = 0.97
    FLOOR = 0.5
    RECOVERY = 0.002
    SPREAD = 0.5
    KEEP_CHATS = 10_000  # per-chat times remembered before expired ones are dropped

    def __init__(
        self,
        per_second: float,
        per_chat_interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second
        self.limit = max(1, math.floor(per_second)) if per_second else 0
        self.factor = self.MARGIN
        self.per_chat = per_chat_interval / self.MARGIN
        self.clock, self.sleep = clock, sleep
        self._left: deque[float] = deque(maxlen=max(1, self.limit))
        self._next_any = 0.0
        self._next_chat: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self.penalty_until = 0.0

    @property
    def window(self) -> float:
        """Seconds in which at most ``limit`` sends may leave."""
        return self.limit / (self.per_second * self.factor) if self.per_second else 0.0

    @property
    def interval(self) -> float:
        """The average spacing at the current rate."""
        return 1.0 / (self.per_second * self.factor) if self.per_second else 0.0

    async def wait(self, chat: str) -> None:
        """Return when a send to ``chat`` may leave; call right before sending."""
        if self.per_chat:
            # one chat's messages already go one at a time (the worker holds its lock),
            # so this wait needs no lock and holds up no other chat
            await self._until(self._next_chat.get(chat, 0.0))
        if self.limit:
            async with self._lock:  # FIFO: sends leave in the order they asked
                await self._until_window()
                left = self.clock()
                self._left.append(left)
                self._next_any = left + self.SPREAD * self.interval
                self.factor = min(self.MARGIN, self.factor + self.RECOVERY)
        else:
            await self._until(self.penalty_until)
            left = self.clock()
        if self.per_chat:
            self._remember(chat, left + self.per_chat, left)

    def slow_down(self, seconds: float) -> None:
        """After a 429: hold every send for the retry-after, then go a little slower."""
        self.penalty_until = max(self.penalty_until, self.clock() + min(seconds, 5.0))
        self.factor = max(self.FLOOR, self.factor * 0.9)

    async def _until_window(self) -> None:
        while True:
            ready = max(self.penalty_until, self._next_any)
            if len(self._left) == self.limit:
                ready = max(ready, self._left[0] + self.window)
            delay = ready - self.clock()
            if delay <= 0:
                return
            await self.sleep(delay)  # the window may have changed meanwhile (a 429): look again

    async def _until(self, moment: float) -> None:
        delay = moment - self.clock()
        if delay > 0:
            await self.sleep(delay)

    def _remember(self, chat: str, moment: float, now: float) -> None:
        if len(self._next_chat) >= self.KEEP_CHATS:
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        self._next_chat[chat] = moment
