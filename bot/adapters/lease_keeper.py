"""Keeps a database lease while the process lives, and says when it is won or lost.

Used for Telegram long polling: only the holder polls. Real time is right
here (liveness of processes), so this uses the wall clock, not the bot's Clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.store import lease
from bot.store.db import Store

__all__ = ["LeaseKeeper"]

logger = logging.getLogger(__name__)


class LeaseKeeper:
    def __init__(
        self,
        *,
        store: Store,
        name: str,
        ttl: float,
        on_gain: Callable[[], Awaitable[None]],
        on_loss: Callable[[], Awaitable[None]],
    ) -> None:
        self.store = store
        self.name = name
        self.ttl = timedelta(seconds=ttl)
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.held = False
        self._task: asyncio.Task | None = None

    def _try(self) -> bool:
        with self.store.session() as session:
            return lease.acquire(session, self.name, self.me, now=datetime.now(UTC), ttl=self.ttl)

    def _give_up(self) -> None:
        with self.store.session() as session:
            lease.release(session, self.name, self.me)

    async def start(self) -> None:
        await self.check()
        self._task = asyncio.create_task(self._loop(), name=f"lease-{self.name}")

    async def check(self) -> None:
        """Renew or try to take the lease once; act on a change."""
        try:
            held = await asyncio.to_thread(self._try)
        except Exception:  # the database is away: assume the worst, stop acting as holder
            logger.warning("lease %s: could not reach the database", self.name, exc_info=True)
            held = False
        if held and not self.held:
            logger.info("lease %s: taken by %s", self.name, self.me)
            self.held = True
            await self.on_gain()
        elif not held and self.held:
            logger.warning("lease %s: lost by %s", self.name, self.me)
            self.held = False
            await self.on_loss()

    async def _loop(self) -> None:
        interval = self.ttl.total_seconds() / 3  # renew well before it runs out
        while True:
            await asyncio.sleep(interval)
            await self.check()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self.held:
            self.held = False
            await self.on_loss()
            await asyncio.to_thread(self._give_up)
