"""``beacon simulate``: a synthetic network run through weeks of every flow on a fake clock.

The demo for newcomers and the load generator for the benchmarks. Members
are seeded rows (as a platform's join would make them); everything after
that goes through the real dispatcher as a platform would send it:
facilitator commands set the flows up, and simulated members press buttons,
answer in chat and submit forms at the rates in :mod:`bot.simulation.members`.
Nothing here writes a flow's tables directly.

This module is the driver (store, clock, event queue, the run); what members
do is in :mod:`bot.simulation.behaviour`, the recording adapter in
:mod:`bot.simulation.adapter` and the totals and final digest in
:mod:`bot.simulation.report`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.app import build_app
from bot.core.clock import FakeClock
from bot.core.messages import Incoming
from bot.settings import Settings
from bot.simulation import members as sm
from bot.simulation.adapter import Delivered, SimAdapter
from bot.simulation.behaviour import COORD, PRACTICE_CHANNEL, Event, MemberBehaviour
from bot.simulation.report import Reporting, Totals
from bot.store.db import Store
from bot.store.models import Member, Network

__all__ = ["START", "Simulation", "simulate"]

logger = logging.getLogger(__name__)

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
STEP = timedelta(hours=1)
FAC = "facilitator"
SHARE_CHANNEL = "reflections"
SETUP = (
    "reflection add weekly weekly every friday 16:00",
    f"reflection edit weekly channel {SHARE_CHANNEL}",
    "reflection edit weekly share on",
    'pairing schedule "every 2 weeks on monday 10:00"',
    'digest schedule "every monday 09:00"',
    f"practice channel {PRACTICE_CHANNEL}",
    'meeting every "every 2 weeks on thursday 14:00" "Network session"',
)


class Simulation(MemberBehaviour, Reporting):
    """One simulated network on its own store; :meth:`run` plays the weeks."""

    def __init__(self, *, members: int, weeks: int, seed: int = 1, database_url: str | None = None,
                 progress: Callable[[str], None] | None = None) -> None:  # fmt: skip
        if members < 2:
            raise ValueError("A network needs at least 2 members to simulate pairs and steals.")
        if weeks < 1:
            raise ValueError("Simulate at least 1 week.")
        self.members, self.weeks, self.seed, self.progress = members, weeks, seed, progress
        self._tmp = None if database_url else tempfile.TemporaryDirectory(prefix="beacon-sim-")
        self.database_url = database_url or f"sqlite:///{self._tmp.name}/simulation.db"
        self.rng = random.Random(seed)
        self.people = {p.user: p for p in sm.make_people(self.rng, members)}
        self.clock = FakeClock(START)
        self.adapter = SimAdapter()
        self._queue: list[Event] = []
        self._seq = itertools.count()
        self._events = itertools.count(1)
        self._messages = 0  # delivered so far (the adapter keeps only those not yet observed)
        self.coordinator_received: list[Delivered] = []
        self._decided: set[tuple[str, str, str]] = set()
        self._cards: list[tuple[int, Delivered]] = []  # (practice id, card in the channel)
        self._stolen: set[tuple[str, int]] = set()
        self._round: list[tuple[Incoming, asyncio.Future]] | None = None  # events waiting for the round, in _play

    # -- set-up -------------------------------------------------------------------------

    def _build(self) -> None:
        self.store = Store(url=self.database_url, scratch=self._tmp is not None)  # our own temporary file: nobody keeps it
        if self.store.is_sqlite:
            self.store.upgrade()
        settings = Settings(BEACON_CONFIG="/nonexistent.yaml", BEACON_DATABASE_URL=self.database_url)
        self.beacon = build_app(settings, clock=self.clock, adapters=[self.adapter], store=self.store)
        joined = START - timedelta(days=35)
        with self.store.session() as s:
            taken = {k for (k,) in s.execute(select(Network.platform_key).where(Network.platform == "console"))}
            self.key = next(k for k in (f"simulation-{i}" if i else "simulation" for i in itertools.count()) if k not in taken)
            net = Network(platform="console", platform_key=self.key, name="Simulated Network", timezone="Europe/London",
                          created_at=joined)  # fmt: skip
            s.add(net)
            s.flush()
            self.network_id = net.id
            s.add(Member(network_id=net.id, platform_user_id=FAC, display_name="Fran Facilitator", is_facilitator=True,
                         timezone="Europe/London", opted_out=["pairing"], created_at=joined))  # fmt: skip
            s.add(Member(network_id=net.id, platform_user_id=COORD, display_name="Cole Coordinator", is_coordinator=True,
                         timezone="Europe/London", opted_out=["pairing", "reflection"], created_at=joined))  # fmt: skip
            for p in self.people.values():
                s.add(Member(network_id=net.id, platform_user_id=p.user, display_name=p.name, organisation=p.organisation,
                             timezone=p.timezone, wants_tags=p.wants, offers_tags=p.offers, created_at=joined))  # fmt: skip

    async def _setup(self) -> None:
        for command in SETUP:
            out = await self._send(FAC, kind="command", text=command)
            refused = [d.text for d in out if d.to == FAC and ("Usage" in d.text or "isn't" in d.text)]
            if refused:
                raise RuntimeError(f"setting up the simulation failed at {command!r}: {refused[0]}")
        # a few practices on the board in the first days, then a trickle
        authors = self.rng.sample(sorted(self.people), max(2, len(self.people) // 6))
        for user in authors:
            self._at(self.clock.now() + timedelta(hours=self.rng.randint(1, 30)), user, "share")

    # -- platform side ------------------------------------------------------------------

    async def _send(self, user: str, **kw) -> list[Delivered]:
        """Send one event from ``user``; what was delivered to them in answer.

        Inside :meth:`_play` the event waits for its round, to go to Beacon with the other members' events.
        """
        person = self.people.get(user)
        incoming = Incoming(
            platform="console", network_key=self.key, user_id=user, user_name=person.name if person else user,
            conversation=f"dm-{user}", event_id=f"sim-{self.seed}-{next(self._events)}", **kw,
        )  # fmt: skip
        if self._round is not None:
            answered = asyncio.get_running_loop().create_future()
            self._round.append((incoming, answered))
            return await answered
        before = len(self.adapter.delivered)
        await self.beacon.handle(incoming)
        await self.beacon.delivery.drain()
        return [d for d in self.adapter.delivered[before:] if d.to == user]

    async def _play(self, events: list[Event]) -> None:
        """Members act on what fell due this hour side by side, as a platform's events arrive.

        Each member's actions stay in order. The events the members send at each
        step (a round) go to Beacon together, so they take the batch path a burst
        of real events takes (:mod:`bot.dispatch.batch`), and what they queued is
        delivered in one drain. A round waits until every member still acting has
        sent its next event, so the rounds (and the run) are the same every time.
        """
        mine: dict[str, list[Event]] = {}
        for ev in events:
            mine.setdefault(ev.user, []).append(ev)

        async def act(evs: list[Event]) -> None:
            for ev in evs:
                await self._act(ev)

        self._round = []
        acting = [asyncio.create_task(act(evs)) for evs in mine.values()]
        try:
            while True:
                while sum(not t.done() for t in acting) > len(self._round):
                    await asyncio.sleep(0)  # let each member get to its next event, or finish
                if not self._round:
                    break
                sent, self._round = self._round, []
                before = len(self.adapter.delivered)
                await asyncio.gather(*(self.beacon.handle(incoming) for incoming, _ in sent))
                await self.beacon.delivery.drain()
                new = self.adapter.delivered[before:]
                for incoming, answered in sent:
                    answered.set_result([d for d in new if d.to == incoming.user_id])
                self._observe()
        finally:
            self._round = None
            for t in acting:
                t.cancel()
        for t in acting:
            t.result()  # a member's action that failed fails the run, as it did one at a time

    async def _press(self, user: str, item: Delivered, action: str, value: str | None = None) -> list[Delivered]:
        choice = next((c for c in item.outgoing.choices if c.action == action and (value is None or c.value == value)), None)
        if choice is None:
            return []
        return await self._send(user, kind="action", action_id=choice.action, value=choice.value, action_label=choice.label,
                                message_ref=item.ref, message_text=item.text)  # fmt: skip

    def _at(self, due: datetime, user: str, kind: str, item: Delivered | None = None) -> None:
        heapq.heappush(self._queue, Event(due, next(self._seq), user, kind, item))

    # -- the run --------------------------------------------------------------------------

    async def run(self) -> tuple[str, Totals]:
        """Play the weeks; returns the final digest (markdown) and the totals."""
        self._build()
        try:
            await self._setup()
            for week in range(1, self.weeks + 1):
                self._weekly_intentions()
                for _ in range(7 * 24):
                    self.clock.advance(STEP)
                    await self.beacon.tick(catch_up=None)
                    await self.beacon.delivery.drain()
                    self._observe()
                    while self._queue and self._queue[0].due <= self.clock.now():
                        due = []
                        while self._queue and self._queue[0].due <= self.clock.now():
                            due.append(heapq.heappop(self._queue))
                        await self._play(due)
                if self.progress is not None:
                    self.progress(self._progress(week))
            totals = self.totals()
            return self.final_digest(), totals
        finally:
            self.beacon.dispatcher.executor.shutdown(wait=True)

    def close(self) -> None:
        self.store.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()


async def simulate(*, members: int, weeks: int, seed: int = 1, database_url: str | None = None,
                   echo: Callable[[str], None] = print, progress: Callable[[str], None] | None = None) -> tuple[str, Totals]:  # fmt: skip
    """Run one simulation and print the final digest and totals through ``echo``.

    ``progress`` gets a line after each simulated week (the CLI passes one only on a terminal,
    so a piped or redirected run prints just the digest and totals).
    """
    sim = Simulation(members=members, weeks=weeks, seed=seed, database_url=database_url, progress=progress)
    try:
        digest, totals = await sim.run()
    finally:
        if hasattr(sim, "store"):
            sim.close()
    echo("")
    echo(digest.rstrip())
    echo("")
    for line in totals.lines():
        echo(line)
    return digest, totals
