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
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

__all__ = ["Pacer"]


class Pacer:
    """At most ``per_second`` requests in any second *as the platform counts
    them*, and one chat's messages ``per_chat_interval`` apart.

    The platform counts a request when it arrives, somewhere between the
    moment we send it and the moment its answer is back; the way there jitters.
    So a send holds its place in the window from before it leaves until a
    ``window`` after its answer came back: a new request may go only while
    fewer than ``per_second`` others are in flight or were answered within
    the last ``window``. Then no second of arrivals can hold more than the
    limit, however the requests bunch up on their way (spacing sends evenly,
    as a first version did, lost a few to 429 whenever the machine was busy),
    at the price of one round trip per window: on 127.0.0.1, ~1 %.

    Sends also keep ``SPREAD`` of the nominal interval apart, so catching up
    after a stall is not one burst. A 429 all the same holds every send for the
    retry-after and widens the window by a tenth; each send after that wins a
    little back (additive increase, multiplicative decrease, as TCP does).
    """

    MARGIN = 0.99
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
        self._answered: deque[float] = deque()  # when recent requests' answers came back, oldest first
        self._in_flight = 0
        self._an_answer = asyncio.Event()
        self._next_any = 0.0
        self._next_chat: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self.penalty_until = 0.0

    @property
    def window(self) -> float:
        """How long an answered request still counts against the limit."""
        return self.limit / (self.per_second * self.factor) if self.per_second else 0.0

    @property
    def interval(self) -> float:
        """The average spacing at the current rate."""
        return 1.0 / (self.per_second * self.factor) if self.per_second else 0.0

    @asynccontextmanager
    async def slot(self, chat: str, weight: int = 1) -> AsyncIterator[None]:
        """``async with pacer.slot(chat): await send()``: waits for room, holds it
        while the request is out, and counts it from when its answer is back.

        ``weight``: how many requests the send makes (a photo and a long text's
        parts are one request each); they take that many places, the chat that
        many intervals. A send of more than the whole limit takes the whole window.
        """
        weight = max(1, min(weight, self.limit)) if self.limit else max(1, weight)
        await self._enter(chat, weight)
        try:
            yield
        finally:
            self._leave(chat, weight)

    def slow_down(self, seconds: float) -> None:
        """After a 429: hold every send for the retry-after, then go a little slower."""
        self.penalty_until = max(self.penalty_until, self.clock() + min(seconds, 5.0))
        self.factor = max(self.FLOOR, self.factor * 0.9)

    async def _enter(self, chat: str, weight: int) -> None:
        if self.per_chat:
            # one chat's messages already go one at a time (the worker holds its lock),
            # so this wait needs no lock and holds up no other chat
            await self._until(self._next_chat.get(chat, 0.0))
        if not self.limit:
            await self._until(self.penalty_until)
            return
        async with self._lock:  # FIFO: sends leave in the order they asked
            await self._until_room(weight)
            self._in_flight += weight
            self._next_any = self.clock() + self.SPREAD * self.interval * weight
            self.factor = min(self.MARGIN, self.factor + self.RECOVERY)

    def _leave(self, chat: str, weight: int) -> None:
        now = self.clock()
        if self.limit:
            self._in_flight -= weight
            self._answered.extend([now] * weight)
            self._an_answer.set()
        if self.per_chat:
            self._remember(chat, now + self.per_chat * weight, now)

    async def _until_room(self, weight: int) -> None:
        while True:
            now = self.clock()
            while self._answered and self._answered[0] <= now - self.window:
                self._answered.popleft()
            over = self._in_flight + len(self._answered) + weight - self.limit  # > 0: places still taken
            ready = max(self.penalty_until, self._next_any)
            if 0 < over <= len(self._answered):
                ready = max(ready, self._answered[over - 1] + self.window)  # when enough have left the window
            if over > len(self._answered):
                self._an_answer.clear()  # all the room is held by requests still out
                await self._an_answer.wait()
                continue
            if ready <= now:
                return
            await self.sleep(ready - now)  # the window may have changed meanwhile (a 429): look again

    async def _until(self, moment: float) -> None:
        delay = moment - self.clock()
        if delay > 0:
            await self.sleep(delay)

    def _remember(self, chat: str, moment: float, now: float) -> None:
        if len(self._next_chat) >= self.KEEP_CHATS:
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        self._next_chat[chat] = moment
