"""Events that queue up while the database is busy are handled as one batch.

At a few events a second each one gets its own transaction, as before. Under
load (hundreds a second, a burst of replies to a prompt) the events waiting
for the database thread are taken together: one statement records them all,
one looks up their networks, one their members, and one commit ends the
batch. Each event's flow still runs in its own savepoint, so a refused or
failing request changes nothing of the others'. If the batch as a whole
cannot go through (another process created the same member at the same
moment), it is rolled back and its events are handled one at a time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.dispatch import dispatcher as dispatch
from bot.core.messages import Incoming
from bot.store.models import Member, Network

__all__ = ["BATCH_MAX", "Batches", "Known"]

logger = logging.getLogger(__name__)

BATCH_MAX = 64
"""Most events in one transaction: enough to share its costs, few enough
that the first of them is not kept waiting long for the last."""


class Batches:
    """Queues events for the dispatcher's database thread, one batch at a time."""

    def __init__(self, dispatcher: dispatch.Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._waiting: list[tuple[Incoming, asyncio.Future]] = []
        self._running: asyncio.Task | None = None

    async def handle(self, incoming: Incoming) -> dispatch.HandleResult:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((incoming, future))
        if self._running is None or self._running.done():
            self._running = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        """Handle what is waiting, then what arrived meanwhile, until nothing is."""
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH_MAX], self._waiting[BATCH_MAX:]
            try:
                results = await loop.run_in_executor(self.dispatcher.executor, handle_batch, self.dispatcher,
                                                     [incoming for incoming, _ in batch])  # fmt: skip
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


def handle_batch(dispatcher: dispatch.Dispatcher, incomings: list[Incoming]) -> list[dispatch.HandleResult]:
    """Handle ``incomings`` in one transaction; one at a time if that fails."""
    if len(incomings) == 1:
        return [dispatcher.handle_sync(incomings[0])]
    try:
        return _together(dispatcher, incomings)
    except IntegrityError:
        logger.info("a batch of %d events met a concurrent change; handling them one at a time", len(incomings))
    except Exception:
        logger.exception("a batch of %d events failed; handling them one at a time", len(incomings))
    return [dispatcher.handle_sync(incoming) for incoming in incomings]


def _together(dispatcher: dispatch.Dispatcher, incomings: list[Incoming]) -> list[dispatch.HandleResult]:
    event_ids = [dispatch.event_id_of(incoming) for incoming in incomings]
    with dispatcher.store.session() as session:
        fresh = _first_times(dispatcher, session, incomings, event_ids)
        known = Known.load(session, [incoming for incoming, new in zip(incomings, fresh) if new])
        results = []
        for incoming, event_id, new in zip(incomings, event_ids, fresh):
            if not new:
                results.append(dispatch.HandleResult(duplicate=True))
                continue
            results.append(_one(dispatcher, session, incoming, event_id, known))
        return results


def _first_times(dispatcher: dispatch.Dispatcher, session: Session, incomings: list[Incoming],
                 event_ids: list[str]) -> list[bool]:  # fmt: skip
    """Record every event in one statement; whether each is new (not a retry, not repeated in the batch)."""
    keys = [(incoming.platform, event_id[:200]) for incoming, event_id in zip(incomings, event_ids)]
    now = dispatcher.clock.now()
    rows = [{"platform": p, "event_id": e, "received_at": now} for p, e in dict.fromkeys(keys)]
    stmt = dispatch.record_events(session.get_bind().dialect.name)
    inserted = {tuple(row) for row in session.connection().execute(stmt, rows)}
    fresh = []
    for key in keys:
        fresh.append(key in inserted)
        inserted.discard(key)  # the same event twice in one batch: the second is a duplicate
    return fresh


def _one(dispatcher: dispatch.Dispatcher, session: Session, incoming: Incoming, event_id: str,
         known: Known) -> dispatch.HandleResult:  # fmt: skip
    result = dispatch.HandleResult()
    session.info.pop("new_member_id", None)
    ctx = dispatcher._context(session, incoming, event_id, result, known)
    if ctx is None:
        return result
    try:
        dispatcher._route_answering(ctx, result)
    except IntegrityError:
        raise
    except Exception:  # a bug in one flow: its savepoint is rolled back, the others go on
        logger.exception("handling %s from %s failed", incoming.kind, incoming.platform)
        ctx.reply(dispatch.SORRY)
        result.enqueued = ctx.enqueued
    return result


@dataclass
class Known:
    """Networks and members of a batch, each looked up once for all its events."""

    networks: dict[tuple[str, str], Network] = field(default_factory=dict)
    members: dict[tuple[int, str], Member] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, incomings: list[Incoming]) -> Known:
        known = cls()
        keys: dict[str, set[str]] = {}
        for incoming in incomings:
            if incoming.network_key is not None:
                keys.setdefault(incoming.platform, set()).add(incoming.network_key)
        for platform, network_keys in keys.items():
            found = select(Network).where(Network.platform == platform, col(Network.platform_key).in_(network_keys))
            known.networks.update(((n.platform, n.platform_key), n) for n in session.exec(found))
        wanted = {(n.id, i.user_id) for i in incomings if (n := known.network(i)) is not None}
        if wanted:
            found = select(Member).where(col(Member.network_id).in_({n for n, _ in wanted}),
                                         col(Member.platform_user_id).in_({u for _, u in wanted}))  # fmt: skip
            known.members.update(((m.network_id, m.platform_user_id), m) for m in session.exec(found))
        return known

    def network(self, incoming: Incoming) -> Network | None:
        if incoming.network_key is None:
            return None  # a private chat on Telegram: found per event, by the member's latest activity
        return self.networks.get((incoming.platform, incoming.network_key))

    def member(self, network: Network, incoming: Incoming) -> Member | None:
        """The member as the batch knows them. An earlier event's changes are on
        this same object (the session's identity map), as a fresh look-up would
        return it; one that removed them (a chat migration merges members) is
        noticed, and they are looked up again."""
        key = (network.id, incoming.user_id)
        member = self.members.get(key)
        if member is not None and not inspect(member).persistent:  # deleted, or undone with a savepoint
            del self.members[key]
            return None
        return member

    def remember(self, member: Member) -> None:
        """A member created during the batch: their next event need not look them up."""
        self.members.setdefault((member.network_id, member.platform_user_id), member)
