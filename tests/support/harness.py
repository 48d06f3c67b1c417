"""An in-memory adapter and a driver for flow tests (errbot's TestBackend idea).

The harness runs the real dispatcher, outbox, delivery worker and scheduler
against a real database; only the platform is replaced by a list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from bot.adapters.base import Envelope, SendResult
from bot.app import Beacon, build_app
from bot.core.clock import FakeClock
from bot.core.messages import Choice, Incoming
from bot.settings import Settings
from bot.simulation.driver import Delivered as SimDelivered
from bot.simulation.driver import SimAdapter
from bot.store.db import Store
from bot.store.models import Member, Network, Role

NETWORK_KEY = "net"


@dataclass
class Delivered(SimDelivered):
    """A delivery, with what a test asks of it."""

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.outgoing.choices]

    def choice(self, label: str) -> Choice:
        for c in self.outgoing.choices:
            if c.label.lower() == label.lower():
                return c
        raise AssertionError(f"no choice {label!r} in {self.labels}: {self.text!r}")


class MemoryAdapter(SimAdapter):
    """The simulation's recording adapter, which a test can also tell to fail."""

    record = Delivered

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []
        self.fail_with: list[Exception] = []

    async def send(self, envelope: Envelope) -> SendResult:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.envelopes.append(envelope)
        return await super().send(envelope)


class Harness:
    def __init__(self, *, store: Store, clock: FakeClock, network_name: str = "Test Network", timezone: str = "Europe/London") -> None:
        self.store = store
        self.clock = clock
        self.adapter = MemoryAdapter()
        self.beacon: Beacon = build_app(Settings(BEACON_CONFIG="/nonexistent.yaml"), clock=clock, adapters=[self.adapter], store=store)
        with store.session() as session:
            network = Network(platform="console", platform_key=NETWORK_KEY, name=network_name, timezone=timezone, created_at=clock.now())
            session.add(network)
            session.flush()
            self.network_id = network.id

    async def close(self) -> None:
        self.beacon.dispatcher.executor.shutdown(wait=True)

    # -- people ------------------------------------------------------------------

    def add_member(self, user: str, *, role: Role | tuple[Role, ...] = Role.MEMBER, timezone: str | None = None, **fields) -> Member:
        """``role``: one role or several (a member may be facilitator and coordinator both)."""
        held = {role} if isinstance(role, Role) else set(role)
        with self.store.session() as session:
            m = Member(
                network_id=self.network_id,
                platform_user_id=user,
                display_name=fields.pop("display_name", user.capitalize()),
                is_facilitator=Role.FACILITATOR in held,
                is_coordinator=Role.COORDINATOR in held,
                timezone=timezone,
                created_at=self.clock.now(),
                **fields,
            )
            session.add(m)
            session.flush()
            return m

    def member(self, user: str) -> Member:
        with self.store.session() as session:
            m = session.exec(select(Member).where(Member.network_id == self.network_id, Member.platform_user_id == user)).one()
            return m

    # -- acting ------------------------------------------------------------------

    async def send(self, incoming: Incoming) -> list[Delivered]:
        before = len(self.adapter.delivered)
        await self.beacon.handle(incoming)
        await self.beacon.delivery.drain()
        return self.adapter.delivered[before:]

    def _incoming(self, user: str, **kw) -> Incoming:
        return Incoming(
            platform="console",
            network_key=NETWORK_KEY,
            user_id=user,
            user_name=kw.pop("user_name", user.capitalize()),
            conversation=kw.pop("conversation", f"dm-{user}"),
            event_id=kw.pop("event_id", uuid.uuid4().hex),
            **kw,
        )

    async def command(self, user: str, text: str, **kw) -> list[Delivered]:
        """``/beacon <text>`` from ``user``; returns what was delivered as a result."""
        return await self.send(self._incoming(user, kind="command", text=text, **kw))

    async def say(self, user: str, text: str, **kw) -> list[Delivered]:
        return await self.send(self._incoming(user, kind="message", text=text, **kw))

    async def press(self, user: str, label: str, *, message: Delivered | None = None, **kw) -> list[Delivered]:
        """Press the button ``label`` on the last message to ``user`` that has it."""
        msg = message or self.last_with_choice(user, label)
        choice = msg.choice(label)
        return await self.send(
            self._incoming(
                user,
                kind="action",
                action_id=choice.action,
                value=choice.value,
                action_label=choice.label,
                message_ref=msg.ref,
                message_text=msg.text,
                **kw,
            )
        )

    async def submit(self, user: str, form_id: str, values: dict[str, str], context: str = "", **kw) -> list[Delivered]:
        return await self.send(self._incoming(user, kind="form", form_id=form_id, form_values=values, form_context=context, **kw))

    async def tick(self, delta: timedelta | None = None, *, step: timedelta = timedelta(minutes=30), **kwargs) -> list[Delivered]:
        """Move the fake clock on in steps, running the scheduler and delivery at each."""
        total = delta if delta is not None else timedelta(**kwargs)
        before = len(self.adapter.delivered)
        remaining = total
        while remaining > timedelta(0):
            move = min(step, remaining)
            self.clock.advance(move)
            remaining -= move
            await self.beacon.tick(catch_up=None)
            await self.beacon.delivery.drain()
        return self.adapter.delivered[before:]

    # -- reading -------------------------------------------------------------------

    def inbox(self, user: str) -> list[Delivered]:
        return [d for d in self.adapter.delivered if d.to == user]

    def last(self, user: str) -> Delivered:
        box = self.inbox(user)
        assert box, f"{user} has received nothing"
        return box[-1]

    def last_with_choice(self, user: str, label: str) -> Delivered:
        for d in reversed(self.inbox(user)):
            if any(c.label.lower() == label.lower() for c in d.outgoing.choices):
                return d
        raise AssertionError(f"{user} has no message with a {label!r} button")
