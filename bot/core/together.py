"""Requests that wait for the database at the same moment go in one call.

The database thread does one thing at a time. While it works, more requests
of the same kind queue up behind it (events arriving in a burst, messages
finishing their sends together); taking them together shares a transaction,
its lookups and its commit, instead of paying for each. A request that comes
alone is handled alone, as soon as the thread is free: nothing waits to fill
a batch, so nothing is slower than it was one at a time.

Used by :mod:`bot.dispatch.batch` for inbound events and by the delivery
worker to renew claims and record sends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

__all__ = ["Together"]

T = TypeVar("T")
R = TypeVar("R")


class Together(Generic[T, R]):
    """Runs ``fn(items)`` on the database thread for the items waiting, one call at a time.

    ``fn`` takes a list and returns one result per item, in order. At most
    ``most`` items go in one call; if a call raises, each of its waiters gets
    the exception and the next call goes on with what arrived meanwhile.
    """

    def __init__(self, run_db: Callable[..., Awaitable[Any]], fn: Callable[[list[T]], list[R]], *, most: int = 64) -> None:
        self.run_db, self.fn, self.most = run_db, fn, most
        self._waiting: list[tuple[T, asyncio.Future]] = []
        self._running: asyncio.Task | None = None

    async def __call__(self, item: T) -> R:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._running is None or self._running.done():
            self._running = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        """Take what is waiting, then what arrived meanwhile, until nothing is."""
        while self._waiting:
            batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
            try:
                results = await self.run_db(self.fn, [item for item, _ in batch])
                if len(results) != len(batch):
                    raise ValueError(f"{self.fn!r} returned {len(results)} results for {len(batch)} items")
            except BaseException as exc:  # the executor is shut down, or we are cancelled
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its waiter may have been cancelled
                    future.set_result(result)
