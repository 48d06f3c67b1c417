"""Outbox operations: enqueue with the state change, claim, mark.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several bot
processes take disjoint rows; on SQLite the ``BEGIN IMMEDIATE`` write lock
serialises claimers. A claim is a lease: a process that dies mid-send leaves
rows whose lease runs out and another claimer takes them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..messages import Outgoing
from .models import OutboxMessage, OutboxStatus

__all__ = ["enqueue", "claim_due", "mark_sent", "mark_retry", "mark_failed", "backoff", "depth"]


def enqueue(
    session: Session,
    *,
    key: str,
    network_id: int,
    platform: str,
    outgoing: Outgoing,
    now: datetime,
    not_before: datetime | None = None,
) -> OutboxMessage | None:
    """Add a message to the outbox in the caller's transaction.

    Returns ``None`` when a message with the same key is already there, which
    is how a repeated run of the same work sends nothing new.
    """
    existing = session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key)).first()
    if existing is not None:
        return None
    member_id = outgoing.to.members[0] if len(outgoing.to.members) == 1 else outgoing.to.private_to
    row = OutboxMessage(
        key=key,
        network_id=network_id,
        platform=platform,
        member_id=member_id,
        payload=outgoing.to_dict(),
        next_attempt_at=not_before or now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta, platforms: list[str]
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
        session.add(row)
    session.flush()
    return rows


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
