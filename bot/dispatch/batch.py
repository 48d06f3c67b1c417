"""Events that queue up while the database is busy are handled as one batch.

At a few events a second each one gets its own transaction, as before. Under
load (hundreds a second, a burst of replies to a prompt) the events waiting
for the database thread are taken together: one statement records them all,
one looks up their networks, one their members, and one commit ends the
batch. Each event's flow still runs in its own savepoint, so a refused or
failing request changes nothing of the others'. If the batch as a whole
cannot go through (another process created the same member at the same
moment), it is rolled back and its events are handled one at a time.

The batch is the dispatcher's steps (:mod:`~bot.dispatch.dedupe`,
:mod:`~bot.dispatch.identify`, :mod:`~bot.dispatch.route`) run for many
events in one session; it is the way in for every inbound event.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.core.messages import Incoming
from bot.core.together import Together
from bot.dispatch.clean import clean_incoming
from bot.dispatch.dedupe import event_id_of, first_times
from bot.dispatch.dispatcher import Dispatcher
from bot.dispatch.identify import Known, open_context
from bot.dispatch.results import SORRY, HandleResult
from bot.dispatch.route import answer

__all__ = ["BATCH_MAX", "Batches", "handle_batch"]

logger = logging.getLogger(__name__)

BATCH_MAX = 64
"""Most events in one transaction: enough to share its costs, few enough
that the first of them is not kept waiting long for the last."""


class Batches:
    """Queues events for the dispatcher's database thread, one batch at a time.

    One batch at a time, on either database: a batch shares its costs, and
    batches side by side only take turns at the GIL with each other and with
    the event loop (on PostgreSQL, eight of them left acks seconds behind).
    """

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._together: Together[Incoming, HandleResult] = Together(dispatcher.run, self._handle, most=BATCH_MAX)

    async def handle(self, incoming: Incoming) -> HandleResult:
        """Handle one event off the event loop: alone, or with those that arrive while the database is busy.

        This is the one way in, so it is where what people typed is cleaned (:mod:`~bot.dispatch.clean`).
        """
        return await self._together(clean_incoming(incoming))

    def _handle(self, incomings: list[Incoming]) -> list[HandleResult]:
        return handle_batch(self.dispatcher, incomings)


def handle_batch(dispatcher: Dispatcher, incomings: list[Incoming]) -> list[HandleResult]:
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


def _together(dispatcher: Dispatcher, incomings: list[Incoming]) -> list[HandleResult]:
    event_ids = [event_id_of(incoming) for incoming in incomings]
    with dispatcher.store.session() as session:
        fresh = first_times(session, incomings, event_ids, dispatcher.clock.now())
        known = Known.load(session, [incoming for incoming, new in zip(incomings, fresh) if new])
        results = []
        for incoming, event_id, new in zip(incomings, event_ids, fresh):
            if not new:
                results.append(HandleResult(duplicate=True))
                continue
            results.append(_one(dispatcher, session, incoming, event_id, known))
        return results


def _one(dispatcher: Dispatcher, session: Session, incoming: Incoming, event_id: str, known: Known) -> HandleResult:
    result = HandleResult()
    ctx = open_context(session, incoming, event_id, result, router=dispatcher.router, clock=dispatcher.clock, known=known)
    if ctx is None:
        return result
    try:
        answer(ctx, result)
    except IntegrityError:
        raise
    except Exception:  # a bug in one flow: its savepoint is rolled back, the others go on
        logger.exception("handling %s from %s failed", incoming.kind, incoming.platform)
        ctx.reply(SORRY)
        result.enqueued = ctx.enqueued
    return result
