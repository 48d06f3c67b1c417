"""The delivery worker: claims due outbox rows and hands them to adapters.

Retries transient failures with exponential back-off and jitter, honours a
platform's retry-after, parks a message as failed after ``max_attempts``,
marks members unreachable when the platform says so, and paces sends per
platform and per chat.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.adapters.base import Adapter, Envelope, Held, PermanentFailure, Recipient, RetryLater, SendResult, Unreachable
from bot.core.availability import Person, blocked, next_allowed
from bot.core.clock import Clock
from bot.core.messages import Outgoing
from bot.core.together import Together
from bot.delivery.pacing import Pacer
from bot.store import outbox
from bot.store.db import Store, in_lists
from bot.store.models import Member, Network, OutboxMessage

__all__ = ["DeliveryWorker", "Stats"]

logger = logging.getLogger(__name__)


class Stats:
    """Counters for ``/metrics``."""

    def __init__(self) -> None:
        self.sent = 0
        self.failed = 0
        self.retried = 0
        self.rate_limited = 0
        self.unreachable = 0


class DeliveryWorker:
    def __init__(
        self,
        *,
        store: Store,
        adapters: dict[str, Adapter],
        clock: Clock,
        run_db,
        max_attempts: int = 8,
        batch: int = 200,
        lease: timedelta = timedelta(minutes=2),
        concurrency: int = 8,
        rng: random.Random | None = None,
        on_finished=None,
    ) -> None:
        self.store = store
        self.on_finished = on_finished  # (session, key, sent) once a message is sent or given up
        self.adapters = adapters
        self.clock = clock
        self.run_db = run_db
        self.max_attempts = max_attempts
        self.batch = batch
        self.lease = lease
        self.concurrency = concurrency
        self._sending = asyncio.Semaphore(concurrency)
        self.rng = rng or random.Random()
        self.stats = Stats()
        self.pacers = {p: Pacer(a.limits.per_second, a.limits.per_chat_interval) for p, a in adapters.items()}
        self._wake = asyncio.Event()
        self._kicks = 0  # how many times something was queued, for drain
        self._due_again = False  # a message put back due now in this round, for drain
        self._stopping = False
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._chat_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._in_flight_ids: set[int] = set()
        self._claimed_at: dict[int, datetime] = {}  # outbox id -> when this process claimed it (its lease runs from then)
        # messages about to go, and those just sent, wait for the database together: one statement renews
        # their claims, one transaction records their sends (each still right before and after its own send)
        self._confirms: Together[int, bool] = Together(run_db, self._confirm, most=concurrency)
        self._marks: Together[tuple[Envelope, SendResult], None] = Together(run_db, self._sent, most=concurrency)

    def kick(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._kicks += 1
        self._wake.set()

    async def run_forever(self, poll_seconds: float = 1.0) -> None:
        """Deliver continuously: claim more while earlier sends are still in flight,
        so pacing, not batch boundaries, sets the rate. On stop, in-flight sends
        finish and messages not yet started are handed back."""
        inflight: set[asyncio.Task] = set()
        while not self._stopping:
            self._wake.clear()  # before claiming: a kick that lands during the claim is not lost
            claimed: list[tuple[Envelope, str, int]] = []
            limit = self.max_in_flight()
            room = limit - len(inflight)
            if self.adapters and room >= max(1, limit // 2):
                try:
                    claimed = await self.run_db(self._claim, room)
                except Exception:
                    logger.exception("claiming due messages failed")
            for item in claimed:
                if item[0].outbox_id in self._in_flight_ids:
                    continue  # already on its way from this process
                self._in_flight_ids.add(item[0].outbox_id)
                task = asyncio.create_task(self._deliver_in_order(*item))
                inflight.add(task)
                task.add_done_callback(inflight.discard)
                task.add_done_callback(lambda _t, i=item[0].outbox_id: self._in_flight_ids.discard(i))
            if claimed and len(inflight) < limit // 2:
                continue
            wake = asyncio.create_task(self._wake.wait())
            await asyncio.wait({wake, *inflight}, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            wake.cancel()
        if inflight:
            await asyncio.gather(*inflight, return_exceptions=True)

    def max_in_flight(self) -> int:
        """How many claimed messages may wait here at once: no more than the pacer
        lets out in half a lease, so none sits in the queue past its lease and is
        claimed a second time."""
        seconds = self.lease.total_seconds() / 2
        caps = [int(a.limits.per_second * seconds) for a in self.adapters.values() if a.limits.per_second]
        return max(1, min([self.batch, *caps]))

    async def _deliver_in_order(self, envelope: Envelope, platform: str, attempts: int) -> None:
        """One chat's messages go out one at a time, in the order they were claimed."""
        chat = _chat_of(envelope)
        lock, users = self._chat_locks.get(chat, (asyncio.Lock(), 0))
        self._chat_locks[chat] = (lock, users + 1)
        try:
            async with lock:
                await self._deliver(envelope, platform, attempts)
        finally:
            lock, users = self._chat_locks[chat]
            if users <= 1:
                del self._chat_locks[chat]
            else:
                self._chat_locks[chat] = (lock, users - 1)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> int:
        """Claim one batch of due messages and try each; returns how many were tried."""
        if not self.adapters:
            return 0
        claimed: list[tuple[Envelope, str, int]] = await self.run_db(self._claim, self.batch)
        if not claimed:
            return 0
        by_chat: dict[str, list[tuple[Envelope, str, int]]] = defaultdict(list)
        for item in claimed:
            by_chat[_chat_of(item[0])].append(item)

        async def run_chat(items: list[tuple[Envelope, str, int]]) -> None:
            for envelope, platform, attempts in items:  # one chat's messages stay in order
                await self._deliver(envelope, platform, attempts)

        await asyncio.gather(*(run_chat(items) for items in by_chat.values()))
        return len(claimed)

    async def drain(self, max_rounds: int = 100) -> int:
        """Deliver until nothing is due now (tests, the console and the simulation).

        A claim that came back short took everything due, so the drain ends there unless
        something was queued (a kick) or put back due now meanwhile: otherwise every
        reply and every hour would end in a claim that finds nothing.
        """
        total = 0
        for _ in range(max_rounds):
            kicks, self._due_again = self._kicks, False
            n = await self.run_once()
            total += n
            if n < self.batch and self._kicks == kicks and not self._due_again:
                break
        return total

    # -- one message -------------------------------------------------------------

    async def _deliver(self, envelope: Envelope, platform: str, attempts: int) -> None:
        """Send one message and record the outcome before the slot is free again.

        At most ``concurrency`` messages are between "sent to the platform" and
        "marked sent" at any moment; that bounds what a crash can send twice.
        """
        async with self._sending:
            await self._deliver_one(envelope, platform, attempts)

    async def _deliver_one(self, envelope: Envelope, platform: str, attempts: int) -> None:
        adapter = self.adapters[platform]
        try:
            # a claim younger than half its lease is still ours: another process takes a message only
            # once its lease has run out. An older one (it waited behind its chat, or a hold) is renewed.
            renewed = self._claimed_at.pop(envelope.outbox_id, None)
            if renewed is None or self.clock.now() - renewed > self.lease / 2:
                renewed = self.clock.now()  # the lease now runs to at least this plus ``lease``
                if not await self._confirms(envelope.outbox_id):
                    logger.info("message %s was taken over by another process; not sending it here", envelope.outbox_id)
                    return
            # the pacer's slot comes last, right before the send: nothing between them adds jitter,
            # unless a hold (a 429's retry-after) ate half the lease: another process may take the
            # message once it runs out, so it is renewed again before it goes
            async with self.pacers[platform].slot(_chat_of(envelope), weight=adapter.requests(envelope)):
                if self._stopping:
                    await self.run_db(self._release, envelope.outbox_id)
                    return
                if self.clock.now() - renewed > self.lease / 2 and not await self._confirms(envelope.outbox_id):
                    logger.info("message %s was taken over while it waited to be sent; not sending it here", envelope.outbox_id)
                    return
                result = await adapter.send(envelope)
        except Held as exc:  # the workspace, not this message: keep it, slow nobody else down
            await self.run_db(self._hold, envelope, exc)
        except RetryLater as exc:
            if exc.retry_after is not None:
                self.stats.rate_limited += 1
                self.pacers[platform].slow_down(exc.retry_after)
            await self.run_db(self._retry, envelope, attempts, exc)
        except Unreachable as exc:
            self.stats.unreachable += 1
            await self.run_db(self._unreachable, envelope, exc)
        except PermanentFailure as exc:
            self.stats.failed += 1
            logger.warning("message %s refused by %s: %s", envelope.outbox_id, platform, exc)
            await self.run_db(self._fail, envelope.outbox_id, f"refused: {exc}")
        except Exception as exc:  # an adapter bug or an unexpected error: retry, bounded
            logger.exception("sending message %s failed", envelope.outbox_id)
            await self.run_db(self._retry, envelope, attempts, RetryLater(f"{type(exc).__name__}: {exc}"))
        else:
            self.stats.sent += 1
            await self._marks((envelope, result))

    # -- database side (run in the executor) ------------------------------------

    def _claim(self, limit: int) -> list[tuple[Envelope, str, int]]:
        now = self.clock.now()
        with self.store.session() as session:
            rows = outbox.claim_due(
                session,
                now=now,
                limit=limit,
                lease=self.lease,
                platforms=list(self.adapters),
                worker=self.worker_id,
            )
            if not rows:
                return []
            rows, readdressed = self._recheck(session, rows)
            if not rows:
                return []
            messages = [(row, readdressed.get(row.id) or Outgoing.from_dict(row.payload)) for row in rows]
            members = self._recipients(session, {i for _, out in messages for i in _addressed(out)})
            keys = dict(session.connection().execute(_NETWORK_KEYS, {"ids": sorted({row.network_id for row in rows})}).all())
        self._claimed_at.update((row.id, now) for row, _ in messages)  # committed: the leases are ours from ``now``
        return [(self._envelope(row, out, members, keys), row.platform, row.attempts) for row, out in messages]

    def _recheck(self, session: Session, rows: list) -> tuple[list, dict[int, Outgoing]]:
        """Ask again, as an unprompted message leaves, whether its members' limits allow it.

        A prompt held for the morning was queued when the member could get it;
        by the morning they may have paused, stopped that flow or become
        unreachable. Such a message is dropped, not held until the pause ends:
        a pause means "not these", and a prompt or nudge that arrived after a
        two-week pause would be stale (the next occurrence reaches them).
        A message that reaches quiet hours (the member changed them, or a retry
        ran late) waits for their end. Rows of replies (``unprompted`` NULL, as
        every row written before it existed) go as before.

        A group message (a pairing introduction, "did you meet?" to a pair or
        trio) goes to those of its members who may still get it, and leaves out
        one who paused, opted out or became unreachable: the others' pairing is
        theirs and should not wait for a pause they know nothing of, and the
        words are the ones queued, so nothing says why someone is missing (a
        pause is private). It is how a group with a deactivated Slack member is
        reached already; "Someone is unreachable" asks for a rematch. It waits
        while any of those left is in quiet hours, and is dropped when no one
        is left. Returns the rows to send, and the new address of each group
        message that leaves someone out (written back, so a retry keeps it).
        """
        checked = [r for r in rows if r.unprompted is not None]
        if not checked:
            return rows, {}
        outgoing = {r.id: Outgoing.from_dict(r.payload) for r in checked if r.member_id is None}
        addressed = {r.id: [r.member_id] if r.member_id is not None else list(outgoing[r.id].to.members) for r in checked}
        columns = (Member.id, Member.display_name, Member.timezone, Member.quiet_hours, Member.quiet_weekends,
                   Member.paused_until, Member.opted_out, Member.unreachable)  # fmt: skip
        ids = {i for members in addressed.values() for i in members}
        found = {m.id: m for m in session.exec(select(*columns).where(col(Member.id).in_(ids)))} if ids else {}
        now, stopped, readdressed = self.clock.now(), set(), {}
        for r in checked:
            network = session.get(Network, r.network_id)
            people = [Person.of(found[i], network) for i in addressed[r.id] if i in found] if network is not None else []
            if not people:
                continue
            keys = [k for k in r.unprompted.split(",") if k]
            why = {p.id: blocked(p, now, *keys) for p in people}
            left = [p for p in people if why[p.id] not in ("unreachable", "paused", "opted out")]
            if not left:
                reason = why[people[0].id] if len(people) == 1 else "away"
                error = {"opted out": "not sent: the member opted out", "away": "not sent: none of its members may get it now"}.get(
                    reason, f"not sent: the member is {reason} now"
                )
                outbox.mark_failed(session, r.id, error=error)
                self._finished(session, r.key, False)
                logger.info("message %s not sent: its members' limits changed since it was queued", r.id)
                stopped.add(r.id)
                continue
            waits = [at for p in left if why[p.id] == "quiet hours" and (at := next_allowed(p, now)) > now]
            if waits:
                outbox.mark_retry(session, r.id, at=max(waits), error="held: quiet hours", count_attempt=False)
                stopped.add(r.id)
            elif len(left) < len(people) and r.id in outgoing:
                out = outgoing[r.id]
                gone = {p.id for p in people} - {p.id for p in left}
                readdressed[r.id] = replace(out, to=replace(out.to, members=tuple(i for i in out.to.members if i not in gone)))
                outbox.readdress(session, r.id, readdressed[r.id].to_dict())
                logger.info("message %s goes to %d of its %d members: the others' limits changed", r.id, len(left), len(people))
        return [r for r in rows if r.id not in stopped], readdressed

    @staticmethod
    def _recipients(session: Session, ids: set[int]) -> dict[int, Recipient]:
        """Everyone a claimed batch addresses, in one query per 500 rather than one per message."""
        found: dict[int, Recipient] = {}
        for chunk in in_lists(sorted(ids)):
            for m in session.connection().execute(_RECIPIENTS, {"ids": chunk}):
                found[m.id] = Recipient(member_id=m.id, platform_user_id=m.platform_user_id,
                                        display_name=m.display_name, username=m.username, dm_channel=m.dm_channel)  # fmt: skip
        return found

    @staticmethod
    def _envelope(row: OutboxMessage, outgoing: Outgoing, members: dict[int, Recipient], network_keys: dict[int, str]) -> Envelope:
        return Envelope(
            outbox_id=row.id,
            key=row.key,
            network_key=network_keys.get(row.network_id, ""),
            outgoing=replace(outgoing, network_id=row.network_id),
            recipients=tuple(members[i] for i in _addressed(outgoing) if i in members),
        )

    def _sent(self, sent: list[tuple[Envelope, SendResult]]) -> list[None]:
        """Record sends that finished together, in one transaction (each flow's hook in its own savepoint)."""
        with self.store.session() as session:
            outbox.mark_sent(session, [(envelope.outbox_id, result.message_ref) for envelope, result in sent], now=self.clock.now())
            for envelope, result in sent:
                self._finished(session, envelope.key, True)
                for member_id, channel in result.dm_channels.items():
                    member = session.get(Member, member_id)
                    if member is not None and member.dm_channel != channel:
                        member.dm_channel = channel
                        session.add(member)
        return [None] * len(sent)

    def _retry(self, envelope: Envelope, attempts: int, exc: RetryLater) -> None:
        with self.store.session() as session:
            if exc.retry_after is not None:
                # the platform told us when; that is not the message's fault
                at = self.clock.now() + timedelta(seconds=exc.retry_after)
                self._due_again = self._due_again or at <= self.clock.now()
                outbox.mark_retry(session, envelope.outbox_id, at=at, error=f"rate limited: {exc}", count_attempt=False)
                return
            self.stats.retried += 1
            if attempts + 1 >= self.max_attempts:
                self.stats.failed += 1
                outbox.mark_failed(session, envelope.outbox_id, error=f"gave up after {attempts + 1} attempts: {exc}")
                self._finished(session, envelope.key, False)
                return
            delay = outbox.backoff(attempts + 1, rng=self.rng)
            self._due_again = self._due_again or delay <= 0
            outbox.mark_retry(session, envelope.outbox_id, at=self.clock.now() + timedelta(seconds=delay), error=str(exc))

    def _hold(self, envelope: Envelope, exc: Held) -> None:
        with self.store.session() as session:
            at = self.clock.now() + timedelta(seconds=exc.retry_after or 600)
            self._due_again = self._due_again or at <= self.clock.now()
            outbox.mark_retry(session, envelope.outbox_id, at=at, error=f"{Held.PREFIX}{exc}", count_attempt=False)

    def _unreachable(self, envelope: Envelope, exc: Unreachable) -> None:
        with self.store.session() as session:
            outbox.mark_failed(session, envelope.outbox_id, error=f"unreachable: {exc}")
            self._finished(session, envelope.key, False)
            member_id = exc.member_id or (envelope.recipients[0].member_id if len(envelope.recipients) == 1 else None)
            member = session.get(Member, member_id) if member_id else None
            if member is not None:
                member.unreachable = True
                member.unreachable_reason = str(exc)[:200]
                session.add(member)
                logger.info("member %s is unreachable: %s", member.id, exc)

    def _confirm(self, outbox_ids: list[int]) -> list[bool]:
        """Renew the claims of messages about to go; False for one another process took over."""
        with self.store.session() as session:
            ours = outbox.confirm_claims(session, outbox_ids, worker=self.worker_id, now=self.clock.now(), lease=self.lease)
        return [i in ours for i in outbox_ids]

    def _release(self, outbox_id: int) -> None:
        """Hand a claimed message back unsent (we are stopping), for any process to take."""
        self._due_again = True
        self._claimed_at.pop(outbox_id, None)
        with self.store.session() as session:
            outbox.release(session, outbox_id)

    def _fail(self, outbox_id: int, error: str) -> None:
        with self.store.session() as session:
            outbox.mark_failed(session, outbox_id, error=error)
            row = session.get(OutboxMessage, outbox_id)
            if row is not None:
                self._finished(session, row.key, False)

    def _finished(self, session: Session, key: str, sent: bool) -> None:
        if self.on_finished is not None:
            self.on_finished(session, key, sent)


_NETWORK_KEYS = select(Network.id, Network.platform_key).where(col(Network.id).in_(bindparam("ids", expanding=True)))
# the claimed messages' networks in one read of two columns, not each network row loaded whole
_RECIPIENTS = select(Member.id, Member.platform_user_id, Member.display_name, Member.username, Member.dm_channel).where(
    col(Member.id).in_(bindparam("ids", expanding=True))
)  # built once: every claim that finds messages reads their recipients


def _chat_of(envelope: Envelope) -> str:
    to = envelope.outgoing.to
    if to.channel:
        return f"c:{to.channel}"
    return "m:" + ",".join(str(m) for m in to.members)


def _addressed(outgoing: Outgoing) -> list[int]:
    to = outgoing.to
    return list(to.members) + ([to.private_to] if to.private_to else [])
