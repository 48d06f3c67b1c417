"""Wiring: ``build_app(settings)`` builds every part and injects them; nothing global."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from sqlmodel import select

from bot.adapters.base import Adapter
from bot.config import load_config, seed
from bot.core.clock import Clock, SystemClock
from bot.core.messages import Incoming
from bot.core.router import Router
from bot.delivery.pacing import Pacer
from bot.delivery.worker import DeliveryWorker
from bot.dispatch import Batches, Dispatcher, HandleResult
from bot.flows import register_all
from bot.scheduling.tick import Ticker, run_due
from bot.server.http import build_http_app, http_server
from bot.server.metrics import Metrics
from bot.settings import Settings
from bot.store.db import Store
from bot.store.housekeeping import tidy
from bot.store.models import Member, Network, Role

__all__ = ["Beacon", "build_app", "build_router"]

logger = logging.getLogger(__name__)


def _quietly(prepare) -> None:
    """A warm-up that fails only costs the first user some time: log it, never stop the bot."""
    try:
        prepare()
    except Exception:
        logger.exception("warm-up %s failed", getattr(prepare, "__qualname__", prepare))


def build_router() -> Router:
    return register_all(Router())


class Beacon:
    """The running bot: store, router, dispatcher, delivery, scheduler and adapters."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        router: Router,
        clock: Clock,
        adapters: list[Adapter] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.router = router
        self.router.public_url = (settings.public_url or "").rstrip("/") or None
        self.clock = clock
        self.adapters: dict[str, Adapter] = {}
        self.metrics = Metrics()
        self.dispatcher = Dispatcher(store=store, router=router, clock=clock)
        self.batches = Batches(self.dispatcher)
        self.delivery = DeliveryWorker(
            store=store,
            adapters=self.adapters,
            clock=clock,
            run_db=self.dispatcher.run,
            on_finished=self._delivered,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
        )
        for adapter in adapters or []:
            self.add_adapter(adapter)
        self.metrics.bind(self)
        self.ticker: Ticker | None = None
        self._tasks: list[asyncio.Task] = []
        self._tidied_at = None
        self._server = None

    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter
        self.delivery.pacers[adapter.platform] = Pacer(adapter.limits.per_second, adapter.limits.per_chat_interval)

    def _delivered(self, session, key: str, sent: bool) -> None:
        """Let flows finish work that waits for a message to go (router.on_delivered).

        Each hook runs in a savepoint of its own: sends are recorded many to a
        transaction, and one flow's bug must not undo the record of the others'
        (they would be sent again).
        """
        for prefix, fn in self.router.delivered_hooks.items():
            if key.startswith(prefix):
                try:
                    with session.begin_nested():
                        fn(session, key, sent)
                except Exception:
                    logger.exception("the delivery hook for %s failed; the message stays recorded as %s", prefix, "sent" if sent else "not sent")

    async def handle(self, incoming: Incoming) -> HandleResult:
        """Handle one event (with those arriving meanwhile, see :mod:`bot.dispatch.batch`),
        count it, then wake the delivery worker for what it queued."""
        started = time.perf_counter()
        result = await self.batches.handle(incoming)
        outcome = "duplicate" if result.duplicate else "handled"
        self.metrics.handled.labels(incoming.platform, incoming.kind, outcome).inc()
        self.metrics.latency.labels(incoming.platform).observe(time.perf_counter() - started)
        if result.enqueued:
            self.delivery.kick()
        return result

    async def tick(self, *, catch_up: timedelta | None = timedelta(hours=6)) -> list[int]:
        """Run what is due now; the APScheduler job calls this every few seconds."""
        ran = await self.dispatcher.run(lambda: run_due(self.store, self.router, self.clock, catch_up=catch_up))
        if ran:
            self.delivery.kick()
        await self.housekeeping()
        return ran

    async def housekeeping(self) -> None:
        """At most once an hour: delete delivered messages' words and old event ids (:mod:`bot.store.housekeeping`)."""
        now = self.clock.now()
        if self._tidied_at is not None and now - self._tidied_at < timedelta(hours=1):
            return
        self._tidied_at = now

        def run() -> None:
            with self.store.session() as session:
                tidy(session, now)

        try:
            await self.dispatcher.run(run)
        except Exception:
            logger.exception("housekeeping failed; it runs again in an hour")

    def seed_config(self) -> int:
        return seed(self.store, load_config(self.settings.config), self.clock)

    def set_role(self, platform: str, network_key: str, user: str, role: Role) -> None:
        """Give a member a role (the console's ``--role``; config-named facilitators)."""
        with self.store.session() as session:
            network = session.exec(select(Network).where(Network.platform == platform, Network.platform_key == network_key)).first()
            if network is None:
                network = Network(platform=platform, platform_key=network_key, name=network_key, created_at=self.clock.now())
                session.add(network)
                session.flush()
            member = session.exec(select(Member).where(Member.network_id == network.id, Member.platform_user_id == user)).first()
            if member is None:
                member = Member(network_id=network.id, platform_user_id=user, display_name=user, created_at=self.clock.now())
            member.is_facilitator, member.is_coordinator = role == Role.FACILITATOR, role == Role.COORDINATOR
            session.add(member)

    # -- life cycle ---------------------------------------------------------------

    async def start(self, *, serve_http: bool = True, tick: bool = True, deliver: bool = True) -> None:
        """``deliver=False``: the caller drains the outbox itself (the console, so a
        reply is shown before the next prompt)."""
        for adapter in self.adapters.values():
            await adapter.start()
        if deliver:
            self._tasks.append(asyncio.create_task(self.delivery.run_forever(), name="beacon-delivery"))
        for prepare in self.router.warm_ups:
            self._tasks.append(asyncio.create_task(asyncio.to_thread(_quietly, prepare), name=f"beacon-warm-up-{prepare.__module__}"))
        if tick:
            self.ticker = Ticker(tick=self.tick, seconds=self.settings.tick_seconds)
            self.ticker.start()
        if serve_http and (any(a.routes() for a in self.adapters.values()) or (self.router.pages and self.settings.public_url)):
            await self._start_http()

    async def _start_http(self) -> None:
        self._server = http_server(build_http_app(self), host=self.settings.host, port=self.settings.port)
        self._tasks.append(asyncio.create_task(self._server.serve(), name="beacon-http"))

    async def stop(self) -> None:
        """Stop taking work, finish in-flight sends, close connections."""
        if self.ticker:
            self.ticker.shutdown()
        if self._server is not None:
            self._server.should_exit = True
        self.delivery.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        for adapter in self.adapters.values():
            with contextlib.suppress(Exception):
                await adapter.stop()
        self.dispatcher.executor.shutdown(wait=True)


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    adapters: list[Adapter] | None = None,
    store: Store | None = None,
) -> Beacon:
    """Build the bot. Platform adapters are chosen by which settings are present,
    unless ``adapters`` is given (tests, the console)."""
    store = store or Store(url=settings.database_url)
    beacon = Beacon(settings=settings, store=store, router=build_router(), clock=clock or SystemClock())
    if adapters is None:
        adapters = platform_adapters(settings, beacon)
    for adapter in adapters:
        beacon.add_adapter(adapter)
    return beacon


def platform_adapters(settings: Settings, beacon: Beacon) -> list[Adapter]:
    """The adapters of the platforms whose settings are present.

    Each is imported only when its platform is configured: slack-bolt (with
    slack-sdk and aiohttp) and python-telegram-bot (with httpx) take about half
    a second each to import, the rest of the bot about a second, and the
    console (``beacon run`` with no tokens) needs neither.
    """
    found: list[Adapter] = []
    if settings.slack_enabled:
        from bot.adapters.slack import SlackAdapter  # slack-bolt, slack-sdk, aiohttp: only with Slack settings

        found.append(SlackAdapter.from_settings(settings, handle=beacon.handle, store=beacon.store))
    if settings.telegram_enabled:
        from bot.adapters.telegram import TelegramAdapter  # python-telegram-bot, httpx: only with Telegram settings

        found.append(TelegramAdapter.from_settings(settings, handle=beacon.handle, store=beacon.store))
    return found
