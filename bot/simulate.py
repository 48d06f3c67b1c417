"""``beacon simulate``: a synthetic network run through weeks of every flow on a fake clock.

The demo for newcomers and the load generator for the benchmarks. Members
are seeded rows (as a platform's join would make them); everything after
that goes through the real dispatcher as a platform would send it:
facilitator commands set the flows up, and simulated members press buttons,
answer in chat and submit forms at the rates in :mod:`.simulate_members`.
Nothing here writes a flow's tables directly.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy import func
from sqlmodel import select

from . import simulate_members as sm
from .adapters.base import Adapter, Envelope, SendResult
from .clock import FakeClock
from .messages import Incoming, Outgoing
from .store.models import Member, Network, Role

__all__ = ["SimAdapter", "Simulation", "Totals", "simulate"]

logger = logging.getLogger(__name__)

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
STEP = timedelta(hours=1)
FAC, COORD = "facilitator", "coordinator"
PRACTICE_CHANNEL, SHARE_CHANNEL = "practices", "reflections"
SETUP = (
    "reflection add weekly weekly every friday 16:00",
    f"reflection edit weekly channel {SHARE_CHANNEL}",
    "reflection edit weekly share on",
    'pairing schedule "every 2 weeks on monday 10:00"',
    'digest schedule "every monday 09:00"',
    f"practice channel {PRACTICE_CHANNEL}",
    'meeting every "every 2 weeks on thursday 14:00" "Network session"',
)


@dataclass
class Delivered:
    """One message as a member (or channel) received it."""

    to: str  # platform user id, or "#channel"
    outgoing: Outgoing
    ref: str

    @property
    def text(self) -> str:
        return self.outgoing.text


class SimAdapter(Adapter):
    """Records every delivery, per member and channel, in send order."""

    platform = "console"
    record: type[Delivered] = Delivered  # what each delivery is recorded as

    def __init__(self) -> None:
        self.delivered: list[Delivered] = []
        self._refs = itertools.count(1)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, envelope: Envelope) -> SendResult:
        out = envelope.outgoing
        ref = out.edit or f"s{next(self._refs)}"
        if out.to.channel and not out.to.private_to:
            self.delivered.append(self.record(f"#{out.to.channel}", out, ref))
        else:
            self.delivered.extend(self.record(r.platform_user_id, out, ref) for r in envelope.recipients)
        return SendResult(message_ref=ref)


@dataclass
class Totals:
    """What happened, counted from the database at the end."""

    members: int = 0
    organisations: int = 0
    prompts: int = 0
    reflections: int = 0
    commitments: int = 0
    rounds: int = 0
    groups: int = 0
    met: int = 0
    practices: int = 0
    steals: dict[str, int] = field(default_factory=dict)
    nudges: int = 0
    messages: int = 0

    def lines(self) -> list[str]:
        steals = sum(self.steals.values())
        mix = ", ".join(f"{m} {n}" for m, n in sorted(self.steals.items())) or "none"
        return [
            f"Members: {self.members} in {self.organisations} organisations",
            f"Reflection prompts: {self.prompts} sent, {self.reflections} reflections completed, {self.commitments} commitments",
            f"Pairing: {self.rounds} rounds, {self.groups} groups, {self.met} members said they met",
            f"Practices: {self.practices} shared, {steals} steals ({mix})",
            f"Nudges: {self.nudges} items; messages delivered: {self.messages}",
        ]


@dataclass(order=True)
class _Event:
    due: datetime
    seq: int
    user: str = field(compare=False)
    kind: str = field(compare=False)
    item: Delivered | None = field(compare=False, default=None)


class Simulation:
    """One simulated network on its own store; :meth:`run` plays the weeks."""

    def __init__(self, *, members: int, weeks: int, seed: int = 1, database_url: str | None = None,
                 echo: Callable[[str], None] = print) -> None:  # fmt: skip
        if members < 2:
            raise ValueError("A network needs at least 2 members to simulate pairs and steals.")
        if weeks < 1:
            raise ValueError("Simulate at least 1 week.")
        self.members, self.weeks, self.seed, self.echo = members, weeks, seed, echo
        self._tmp = None if database_url else tempfile.TemporaryDirectory(prefix="beacon-sim-")
        self.database_url = database_url or f"sqlite:///{self._tmp.name}/simulation.db"
        self.rng = random.Random(seed)
        self.people = {p.user: p for p in sm.make_people(self.rng, members)}
        self.clock = FakeClock(START)
        self.adapter = SimAdapter()
        self._queue: list[_Event] = []
        self._seq = itertools.count()
        self._events = itertools.count(1)
        self._seen = 0
        self._decided: set[tuple[str, str, str]] = set()
        self._cards: list[tuple[int, Delivered]] = []  # (practice id, card in the channel)
        self._stolen: set[tuple[str, int]] = set()

    # -- set-up -------------------------------------------------------------------------

    def _build(self) -> None:
        from .app import build_app
        from .settings import Settings
        from .store.db import Store

        self.store = Store(url=self.database_url)
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
            s.add(Member(network_id=net.id, platform_user_id=FAC, display_name="Fran Facilitator", role=Role.FACILITATOR,
                         timezone="Europe/London", opted_out=["pairing"], created_at=joined))  # fmt: skip
            s.add(Member(network_id=net.id, platform_user_id=COORD, display_name="Cole Coordinator", role=Role.COORDINATOR,
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
        before = len(self.adapter.delivered)
        person = self.people.get(user)
        await self.beacon.handle(Incoming(
            platform="console", network_key=self.key, user_id=user, user_name=person.name if person else user,
            conversation=f"dm-{user}", event_id=f"sim-{self.seed}-{next(self._events)}", **kw,
        ))  # fmt: skip
        await self.beacon.delivery.drain()
        return self.adapter.delivered[before:]

    async def _press(self, user: str, item: Delivered, action: str, value: str | None = None) -> list[Delivered]:
        choice = next((c for c in item.outgoing.choices if c.action == action and (value is None or c.value == value)), None)
        if choice is None:
            return []
        return await self._send(user, kind="action", action_id=choice.action, value=choice.value, action_label=choice.label,
                                message_ref=item.ref, message_text=item.text)  # fmt: skip

    def _at(self, due: datetime, user: str, kind: str, item: Delivered | None = None) -> None:
        heapq.heappush(self._queue, _Event(due, next(self._seq), user, kind, item))

    # -- what members notice --------------------------------------------------------------

    def _observe(self) -> None:
        """Decide, once per message, whether and when each member will react."""
        new = self.adapter.delivered[self._seen:]
        self._seen = len(self.adapter.delivered)
        now = self.clock.now()
        for d in new:
            if d.to == f"#{PRACTICE_CHANNEL}":
                pid = next((c.value for c in d.outgoing.choices if c.action == "practice.steal"), None)
                if pid and pid.isdigit() and d.outgoing.edit is None:
                    self._cards.append((int(pid), d))
                continue
            p = self.people.get(d.to)
            if p is None or not d.outgoing.choices:
                continue
            first = d.outgoing.choices[0]
            mark = (d.to, first.action, first.value or "")
            if mark in self._decided:
                continue  # a reminder or an edit of something already decided
            self._decided.add(mark)
            kind = {"reflection.answer": "reflect", "pairing.answer": "met", "practice.outcome": "outcome",
                    "nudge.answer": "nudge"}.get(first.action)  # fmt: skip
            if kind is None:
                continue
            rate = {"reflect": sm.ANSWER_RATE, "met": 0.8, "outcome": 0.7, "nudge": 0.6}[kind]
            if p.chance(rate):
                self._at(now + timedelta(minutes=p.rng.randint(10, 20 * 60)), p.user, kind, d)

    def _weekly_intentions(self) -> None:
        """Each member's chance, this week, of stealing a practice or sharing one."""
        now = self.clock.now()
        for user in sorted(self.people):
            p = self.people[user]
            if p.chance(sm.STEAL_RATE):
                self._at(now + timedelta(hours=p.rng.randint(1, 6 * 24)), user, "steal")
            if p.chance(sm.SHARE_RATE):
                self._at(now + timedelta(hours=p.rng.randint(1, 6 * 24)), user, "share")

    # -- what members do ------------------------------------------------------------------

    async def _act(self, ev: _Event) -> None:
        p = self.people[ev.user]
        if ev.kind == "reflect":
            await self._reflect(p, ev.item)
        elif ev.kind == "met":
            await self._met(p, ev.item)
        elif ev.kind == "outcome":
            values = [c.value for c in ev.item.outgoing.choices if c.action == "practice.outcome"]
            out = await self._press(p.user, ev.item, "practice.outcome", p.rng.choice(values))
            if out:
                await self._send(p.user, kind="message", text=sm.outcome_note(p))
        elif ev.kind == "nudge":
            await self._nudge(p, ev.item)
        elif ev.kind == "share":
            await self._send(p.user, kind="command", text="share")
            await self._send(p.user, kind="message", text="cancel")  # the guided chat; we answer as a modal would
            await self._send(p.user, kind="form", form_id="practice.share", form_values=sm.practice_values(p))
        elif ev.kind == "steal":
            await self._steal(p)

    async def _reflect(self, p: sm.Person, prompt: Delivered) -> None:
        out = await self._press(p.user, prompt, "reflection.answer")
        index = 0
        for _ in range(12):
            mine = [d for d in out if d.to == p.user]
            actions = {c.action for d in mine for c in d.outgoing.choices}
            if "reflection.commit_ok" in actions:
                item = next(d for d in mine if any(c.action == "reflection.commit_ok" for c in d.outgoing.choices))
                out = await self._press(p.user, item, "reflection.commit_ok")
                continue
            if "reflection.share" in actions:
                item = next(d for d in mine if any(c.action == "reflection.share" for c in d.outgoing.choices))
                roll = p.rng.random()
                mode = "anonymous" if roll < 0.2 else "named" if roll < 0.3 else "private"
                value = next(c.value for c in item.outgoing.choices if c.value.endswith(f":{mode}"))
                await self._press(p.user, item, "reflection.share", value)
                return
            if not mine or any("Your reflection is saved" in d.text for d in mine):
                return
            last = mine[-1].text.lower()
            text = sm.commitment_answer(p) if ("next" in last or "will you" in last) else sm.reflection_answer(p, index)
            index += 1
            out = await self._send(p.user, kind="message", text=text)

    async def _met(self, p: sm.Person, ask: Delivered) -> None:
        met = [c.value for c in ask.outgoing.choices if c.action == "pairing.answer" and c.value.endswith(":met")]
        not_yet = [c.value for c in ask.outgoing.choices if c.action == "pairing.answer" and c.value.endswith(":not_yet")]
        if met and p.chance(sm.MEET_RATE / 0.8):
            out = await self._press(p.user, ask, "pairing.answer", met[0])
            if any("what did you learn" in d.text for d in out if d.to == p.user):
                await self._send(p.user, kind="message", text=sm.learned_line(p))
        elif not_yet:
            await self._press(p.user, ask, "pairing.answer", not_yet[0])

    async def _nudge(self, p: sm.Person, nudge: Delivered) -> None:
        """Answer each item of a combined nudge once (never "Reflect now": that's a new prompt)."""
        by_item: dict[str, list[str]] = {}
        for c in nudge.outgoing.choices:
            if c.action == "nudge.answer":
                log_id, _, code = c.value.partition(":")
                by_item.setdefault(log_id, []).append(code)
        for log_id, codes in by_item.items():
            if "met" in codes:
                code = "met" if p.chance(sm.MEET_RATE) else "not_yet"
            elif "done" in codes:
                code = p.rng.choices(["done", "going", "drop"], weights=[45, 45, 10])[0]
            elif "reflect" in codes:
                continue
            else:
                code = p.rng.choice(codes)  # a steal's outcome
            out = await self._press(p.user, nudge, "nudge.answer", f"{log_id}:{code}")
            if code not in ("met", "not_yet", "wont", "done", "going", "drop") and out:
                await self._send(p.user, kind="message", text=sm.outcome_note(p))

    async def _steal(self, p: sm.Person) -> None:
        options = [(pid, card) for pid, card in self._cards if (p.user, pid) not in self._stolen]
        if not options:
            return
        pid, card = p.rng.choice(options)
        self._stolen.add((p.user, pid))
        mode = sm.steal_mode(p)
        await self._send(p.user, kind="form", form_id="practice.steal", form_values={"mode": mode, "note": sm.steal_note(p, mode)},
                         form_context=str(pid))  # fmt: skip

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
                        await self._act(heapq.heappop(self._queue))
                        self._observe()
                self.echo(self._progress(week))
            totals = self.totals()
            return self.final_digest(), totals
        finally:
            self.beacon.dispatcher.executor.shutdown(wait=True)

    def _progress(self, week: int) -> str:
        t = self.totals()
        return (f"week {week}/{self.weeks} ({self.clock.now():%a %d %b}): {t.prompts} prompts, {t.reflections} reflections, "
                f"{t.groups} groups ({t.met} met), {t.practices} practices, {sum(t.steals.values())} steals, "
                f"{t.messages} messages")  # fmt: skip

    def final_digest(self) -> str:
        """The digest of the last full week, as the coordinator received it, in markdown."""
        from .context import zone
        from .flows.digest import compose, digest_flow, settings_of
        from .flows.digest_period import period_ending
        from .flows.digest_render import build_doc, to_markdown

        with self.store.session() as s:
            net = s.get(Network, self.network_id)
            tz = zone(net.timezone)
            quiet = int(settings_of(digest_flow(s, net.id))["quiet_weeks"])
            digest, _ = compose(s, net, period_ending(self.clock.now().astimezone(tz).date(), tz.key), quiet_weeks=quiet, chart=False)
            return to_markdown(build_doc(digest, names=True, quiet_weeks=quiet))

    def totals(self) -> Totals:
        from .store.nudges import NudgeLog
        from .store.pairing import PairGroup, PairingRound, PairMember
        from .store.practices import Practice, Steal
        from .store.reflection import Commitment, Prompt, Reflection

        nid = self.network_id

        def count(model, *where) -> int:
            return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

        with self.store.session() as s:
            rounds = [r for (r,) in s.execute(select(PairingRound.id).where(PairingRound.network_id == nid))]
            modes = s.execute(select(Steal.mode, func.count()).join(Practice, Practice.id == Steal.practice_id)
                              .where(Practice.network_id == nid).group_by(Steal.mode)).all()  # fmt: skip
            return Totals(
                members=len(self.people),
                organisations=len({p.organisation for p in self.people.values()}),
                prompts=count(Prompt, Prompt.network_id == nid),
                reflections=count(Reflection, Reflection.network_id == nid, Reflection.completed_at.is_not(None)),
                commitments=count(Commitment, Commitment.network_id == nid),
                rounds=len(rounds),
                groups=count(PairGroup, PairGroup.round_id.in_(rounds)) if rounds else 0,
                met=count(PairMember, PairMember.round_id.in_(rounds), PairMember.met == "met") if rounds else 0,
                practices=count(Practice, Practice.network_id == nid),
                steals={str(getattr(m, "value", m)): n for m, n in modes},
                nudges=count(NudgeLog, NudgeLog.network_id == nid),
                messages=len(self.adapter.delivered),
            )

    def close(self) -> None:
        self.store.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()


async def simulate(*, members: int, weeks: int, seed: int = 1, database_url: str | None = None,
                   echo: Callable[[str], None] = print) -> tuple[str, Totals]:  # fmt: skip
    """Run one simulation and print the final digest and totals through ``echo``."""
    sim = Simulation(members=members, weeks=weeks, seed=seed, database_url=database_url, echo=echo)
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
