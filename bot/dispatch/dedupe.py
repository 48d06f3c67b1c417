"""Has this event been seen before? Platforms retry and redeliver; a flow sees each event once.

Recording an event and asking whether it is new are one statement
(``INSERT … ON CONFLICT DO NOTHING RETURNING``), for one event or a batch:
a look-up then an insert was two statements on every event, and racy
between processes.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime

from sqlmodel import Session

from bot.core.messages import Incoming
from bot.store.db import insert_or_skip
from bot.store.models import InboundEvent

__all__ = ["event_id_of", "first_time", "first_times", "record_events"]


@functools.cache
def record_events(dialect: str):
    """Events' rows (``platform``, ``event_id``, ``received_at``), each unless it is
    there already; returns the keys of those inserted. Built once per database,
    for one event or a batch."""
    table = InboundEvent.__table__
    return insert_or_skip(dialect, table, ["platform", "event_id"]).returning(table.c.platform, table.c.event_id)


def event_id_of(incoming: Incoming) -> str:
    """The platform's id for the event, or a fresh one for events without (the console)."""
    return incoming.event_id or f"local-{uuid.uuid4().hex}"


def first_time(session: Session, platform: str, event_id: str, now: datetime) -> bool:
    """Record the event; False if it was recorded before (a retry or a redelivery)."""
    stmt = record_events(session.get_bind().dialect.name)
    params = {"platform": platform, "event_id": event_id[:200], "received_at": now}
    return session.connection().execute(stmt, params).first() is not None


def first_times(session: Session, incomings: list[Incoming], event_ids: list[str], now: datetime) -> list[bool]:
    """Record every event in one statement; whether each is new (not a retry, not repeated in the batch)."""
    keys = [(incoming.platform, event_id[:200]) for incoming, event_id in zip(incomings, event_ids)]
    rows = [{"platform": p, "event_id": e, "received_at": now} for p, e in dict.fromkeys(keys)]
    stmt = record_events(session.get_bind().dialect.name)
    inserted = {tuple(row) for row in session.connection().execute(stmt, rows)}
    fresh = []
    for key in keys:
        fresh.append(key in inserted)
        inserted.discard(key)  # the same event twice in one batch: the second is a duplicate
    return fresh
