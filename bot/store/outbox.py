"""Outbox operations: enqueue with the state change, claim, mark.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several bot
processes take disjoint rows; on SQLite the ``BEGIN IMMEDIATE`` write lock
serialises claimers. A claim is a lease: a process that dies mid-send leaves
rows whose lease runs out and another claimer takes them.
"""

from __future__ import annotations

import functools
import random
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from ..messages import Outgoing
from .db import insert_or_skip
from .models import OutboxMessage, OutboxStatus

__all__ = ["enqueue", "enqueue_many", "claim_due", "confirm_claim", "mark_sent", "mark_retry", "release", "mark_failed", "backoff", "depth"]


def _row(*, key: str, network_id: int, platform: str, outgoing: Outgoing, at: datetime, now: datetime) -> dict:
    to = outgoing.to
    return dict(
        key=key,
        network_id=network_id,
        platform=platform,
        member_id=to.members[0] if len(to.members) == 1 else to.private_to,
        payload=outgoing.to_dict(),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=at,
        created_at=now,
    )


def _insert(session: Session):
    return insert_or_skip(session.get_bind().dialect.name, OutboxMessage.__table__, ["key"])


_COLUMNS = ("key", "network_id", "platform", "member_id", "payload", "status", "attempts", "next_attempt_at", "created_at")


@functools.cache
def _enqueue_one(dialect: str):
    """One message's insert, built once per database (every reply takes this path)."""
    table = OutboxMessage.__table__
    return insert_or_skip(dialect, table, ["key"]).values({c: bindparam(c) for c in _COLUMNS}).returning(table.c.id)


def enqueue(
    session: Session,
    *,
    key: str,
    network_id: int,
    platform: str,
    outgoing: Outgoing,
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Add a message to the outbox in the caller's transaction.

    One ``INSERT … ON CONFLICT (key) DO NOTHING`` on the session's connection:
    returns ``False`` when a message with the same key is already there, which
    is how a repeated run of the same work sends nothing new.
    """
    row = _row(key=key, network_id=network_id, platform=platform, outgoing=outgoing, at=not_before or now, now=now)
    stmt = _enqueue_one(session.get_bind().dialect.name)
    return session.connection().execute(stmt, row).first() is not None  # RETURNING: rowcount is -1 on psycopg


def enqueue_many(
    session: Session,
    items: list[tuple[str, Outgoing]],
    *,
    network_id: int,
    platform: str,
    now: datetime,
    not_before: datetime | None = None,
) -> int:
    """Queue a fan-out (``(key, outgoing)`` pairs) in one executemany; returns how many were new."""
    if not items:
        return 0
    rows = [
        _row(key=k, network_id=network_id, platform=platform, outgoing=o, at=not_before or now, now=now) for k, o in items
    ]
    # RETURNING lists only the rows inserted (ON CONFLICT DO NOTHING skips the rest);
    # SQLAlchemy batches it as multi-row INSERTs on both databases
    inserted = session.connection().execute(_insert(session).returning(OutboxMessage.__table__.c.id), rows)
    return len(inserted.all())


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta, platforms: list[str], worker: str = ""
) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages for this process, oldest first."""
    due = (
        (col(OutboxMessage.status) == OutboxStatus.PENDING)
        | (
            (col(OutboxMessage.status) == OutboxStatus.SENDING)
            & (col(OutboxMessage.claimed_until) < now)
        )
    ) & (col(OutboxMessage.next_attempt_at) <= now)
    stmt = (
        select(OutboxMessage)
        .where(due, col(OutboxMessage.platform).in_(platforms))
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.exec(stmt))
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.claimed_until = now + lease
        row.claimed_by = worker
        session.add(row)
    session.flush()
    return rows


def confirm_claim(session: Session, outbox_id: int, *, worker: str, now: datetime, lease: timedelta) -> bool:
    """Renew our claim right before sending; False if the lease ran out and
    another process took the message (it will send it, so we must not)."""
    return (
        session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == outbox_id,
                col(OutboxMessage.status) == OutboxStatus.SENDING,
                col(OutboxMessage.claimed_by) == worker,
            )
            .values(claimed_until=now + lease)
        ).rowcount
        == 1
    )


def mark_sent(session: Session, outbox_id: int, *, now: datetime, platform_message_id: str | None) -> None:
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == outbox_id)
        .values(
            status=OutboxStatus.SENT,
            sent_at=now,
            platform_message_id=platform_message_id,
            claimed_until=None,
            attempts=OutboxMessage.attempts + 1,
        )
    )


def mark_retry(session: Session, outbox_id: int, *, at: datetime, error: str, count_attempt: bool = True) -> None:
    values = dict(
        status=OutboxStatus.PENDING, next_attempt_at=at, claimed_until=None, last_error=error[:500]
    )
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == outbox_id).values(**values))


def release(session: Session, outbox_id: int) -> None:
    """Undo a claim without counting an attempt (a stopping process hands work back)."""
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == outbox_id, col(OutboxMessage.status) == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, claimed_until=None)
    )


def mark_failed(session: Session, outbox_id: int, *, error: str) -> None:
    session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == outbox_id)
        .values(
            status=OutboxStatus.FAILED,
            claimed_until=None,
            last_error=error[:500],
            attempts=OutboxMessage.attempts + 1,
        )
    )


def backoff(attempt: int, *, base: float = 2.0, cap: float = 900.0, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential with full jitter,
    never under half the exponential step so retries still spread out."""
    step = min(cap, base * (2 ** max(0, attempt - 1)))
    r = (rng or random).random()
    return step / 2 + r * step / 2


def depth(session: Session) -> dict[str, int]:
    """Messages per status, for health and metrics."""
    rows = session.exec(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {str(getattr(status, "value", status)): n for status, n in rows}
