"""How simulated members behave: what they notice in their messages and what
they then do, pressing buttons, answering in chat and submitting forms.

Kept apart from the driver (:mod:`bot.simulation.driver`), which owns the
store, the clock and the queue of scheduled :class:`Event` actions;
:class:`MemberBehaviour` is mixed into its ``Simulation``.
The rates and the words come from :mod:`bot.simulation.members`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.simulation import members as sm
from bot.simulation.adapter import Delivered

__all__ = ["COORD", "Event", "MemberBehaviour", "PRACTICE_CHANNEL"]

PRACTICE_CHANNEL = "practices"
COORD = "coordinator"


@dataclass(order=True)
class Event:
    """A member's action, due at ``due``; ``seq`` keeps the queue's order stable for equal times."""

    due: datetime
    seq: int
    user: str = field(compare=False)
    kind: str = field(compare=False)
    item: Delivered | None = field(compare=False, default=None)


class MemberBehaviour:
    """The members' side of a :class:`~bot.simulation.driver.Simulation`: reactions scheduled, then acted out."""

    # -- what members notice --------------------------------------------------------------

    def _observe(self) -> None:
        """Decide, once per message, whether and when each member will react.

        Then the messages are let go: a reaction holds the one it answers, so a
        10,000-member run does not keep its hundreds of thousands of messages.
        """
        new = list(self.adapter.delivered)
        self.adapter.delivered.clear()
        self._messages += len(new)
        now = self.clock.now()
        for d in new:
            if d.to == f"#{PRACTICE_CHANNEL}":
                pid = next((c.value for c in d.outgoing.choices if c.action == "practice.steal"), None)
                if pid and pid.isdigit() and d.outgoing.edit is None:
                    self._cards.append((int(pid), d))
                continue
            if d.to == COORD:
                self.coordinator_received.append(d)  # a digest a week: what the coordinator read
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

    async def _act(self, ev: Event) -> None:
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
