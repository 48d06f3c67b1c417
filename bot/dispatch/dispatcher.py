"""From an :class:`Incoming` to a committed change and queued replies, one event at a time.

The steps are small and public, in a fixed order: de-duplicate
(:mod:`~bot.dispatch.dedupe`), find the network and member
(:mod:`~bot.dispatch.identify`), route, check the role and run the handler
(:mod:`~bot.dispatch.route`), commit. Flows run synchronously in a worker
thread (database work only); the event loop stays free for the platforms'
network I/O. Events that arrive together are handled together by
:mod:`~bot.dispatch.batch`, from the same steps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import IntegrityError

from bot.core.clock import Clock
from bot.core.messages import Incoming
from bot.core.router import Router
from bot.dispatch.dedupe import event_id_of, first_time
from bot.dispatch.identify import open_context
from bot.dispatch.results import SORRY, HandleResult
from bot.dispatch.route import answer
from bot.store.db import Store

__all__ = ["Dispatcher"]

logger = logging.getLogger(__name__)


class Dispatcher:
    """Runs the pipeline for one event in its own transaction, on the database thread it owns."""

    def __init__(self, *, store: Store, router: Router, clock: Clock, executor: ThreadPoolExecutor | None = None) -> None:
        self.store = store
        self.router = router
        self.clock = clock
        workers = 1 if store.is_sqlite else 8
        self.executor = executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix="beacon-db")

    async def run(self, fn: Callable, *args):
        """Run database work (events, scheduler ticks, delivery bookkeeping) on the executor."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    def handle_sync(self, incoming: Incoming) -> HandleResult:
        """Handle ``incoming`` in a transaction of its own (on the database thread)."""
        event_id = event_id_of(incoming)
        try:
            return self._handle_once(incoming, event_id)
        except IntegrityError:
            # Another process created the same network or member (or took the same
            # event) at the same moment. Its rows are visible now: a real duplicate
            # is recognised as one, anything else is handled normally.
            try:
                return self._handle_once(incoming, event_id)
            except IntegrityError:
                logger.exception("handling %s from %s kept colliding", incoming.kind, incoming.platform)
                return self._apologise(incoming, event_id)

    def _handle_once(self, incoming: Incoming, event_id: str) -> HandleResult:
        result = HandleResult()
        try:
            with self.store.session() as session:
                if not first_time(session, incoming.platform, event_id, self.clock.now()):
                    return HandleResult(duplicate=True)
                ctx = open_context(session, incoming, event_id, result, router=self.router, clock=self.clock)
                if ctx is None:
                    return result
                answer(ctx, result)
        except IntegrityError:
            raise
        except Exception:
            logger.exception("handling %s from %s failed", incoming.kind, incoming.platform)
            return self._apologise(incoming, event_id)
        return result

    def _apologise(self, incoming: Incoming, event_id: str) -> HandleResult:
        """Record the event (so retries don't loop on a bug) and say sorry."""
        result = HandleResult()
        try:
            with self.store.session() as session:
                if not first_time(session, incoming.platform, event_id, self.clock.now()):
                    return HandleResult(duplicate=True)
                ctx = open_context(session, incoming, event_id, result, router=self.router, clock=self.clock)
                if ctx is not None and ctx.member is not None:
                    ctx.reply(SORRY)
                    result.enqueued = ctx.enqueued
        except Exception:
            logger.exception("could not even apologise")
            result.immediate.append(SORRY)
        return result
