"""Outbox operations: enqueue with the state change, claim, mark.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several bot
processes take disjoint rows; on SQLite the ``BEGIN IMMEDIATE`` write lock
serialises claimers. A claim is a lease: a process that dies mid-send leaves
rows whose lease runs out and another claimer takes them.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, union_all, update
from sqlmodel import Session, col, select

from bot.core.messages import Outgoing
from bot.store.db import in_lists, insert_or_skip
from bot.store.models import OutboxMember, OutboxMessage, OutboxStatus

__all__ = [
    "enqueue",
    "enqueue_many",
    "recent_unprompted",
    "claim_due",
    "confirm_claims",
    "mark_sent",
    "mark_retry",
    "readdress",
    "forget_addressed",
    "release",
    "mark_failed",
    "backoff",
    "depth",
    "in_batches",
    "prune_delivered",
    "PRUNED",
    "SENT_KEPT_DAYS",
]


def _row(*, key: str, network_id: int, platform: str, outgoing: Outgoing, at: datetime, now: datetime, unprompted: str | None = None) -> dict:
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
        unprompted=unprompted,
    )


def _insert(session: Session):
    return insert_or_skip(session.get_bind().dialect.name, OutboxMessage.__table__, ["key"])


_COLUMNS = ("key", "network_id", "platform", "member_id", "payload", "status", "attempts", "next_attempt_at", "created_at", "unprompted")


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
    unprompted: str | None = None,
) -> bool:
    """Add a message to the outbox in the caller's transaction.

    One ``INSERT … ON CONFLICT (key) DO NOTHING`` on the session's connection:
    returns ``False`` when a message with the same key is already there, which
    is how a repeated run of the same work sends nothing new. ``unprompted``
    (the opt-out keys, comma-separated) marks a message the member did not ask for.
    """
    row = _row(key=key, network_id=network_id, platform=platform, outgoing=outgoing, at=not_before or now, now=now, unprompted=unprompted)
    stmt = _enqueue_one(session.get_bind().dialect.name)
    inserted = session.connection().execute(stmt, row).first()  # RETURNING: rowcount is -1 on psycopg
    if inserted is not None and unprompted is not None:
        _address_group(session, {inserted.id: outgoing})
    return inserted is not None


def enqueue_many(
    session: Session,
    items: list[tuple[str, Outgoing]],
    *,
    network_id: int,
    platform: str,
    now: datetime,
    not_before: datetime | None = None,
    unprompted: str | None = None,
) -> int:
    """Queue a fan-out (``(key, outgoing)`` pairs) in one executemany; returns how many were new."""
    if not items:
        return 0
    at = not_before or now
    rows = [_row(key=k, network_id=network_id, platform=platform, outgoing=o, at=at, now=now, unprompted=unprompted) for k, o in items]
    # RETURNING lists only the rows inserted (ON CONFLICT DO NOTHING skips the rest);
    # SQLAlchemy batches it as multi-row INSERTs on both databases
    inserted = session.connection().execute(_insert(session).returning(_T.c.id, _T.c.key), rows).all()
    if unprompted is not None:
        by_key = dict(items)
        _address_group(session, {i: by_key[k] for i, k in inserted})
    return len(inserted)


def _address_group(session: Session, messages: dict[int, Outgoing]) -> None:
    """Record each member an unprompted group message addresses (``outbox_member``), so it counts
    for each one's gap and weekly cap; a message to one member names them on its own row."""
    rows = [{"message_id": i, "member_id": m} for i, out in messages.items() if len(out.to.members) > 1 for m in out.to.members]
    if rows:
        session.connection().execute(insert(OutboxMember), rows)


_T = OutboxMessage.__table__


_M = OutboxMember.__table__
_COUNTS = (_T.c.next_attempt_at >= bindparam("since"), _T.c.unprompted.is_not(None), _T.c.status != OutboxStatus.FAILED)
_RECENT = union_all(
    select(_T.c.member_id, _T.c.next_attempt_at, _T.c.key).where(_T.c.member_id.in_(bindparam("ids", expanding=True)), *_COUNTS),
    select(_M.c.member_id, _T.c.next_attempt_at, _T.c.key)
    .select_from(_M.join(_T, _T.c.id == _M.c.message_id))
    .where(_M.c.member_id.in_(bindparam("ids", expanding=True)), *_COUNTS),
)  # built once: every fan-out and reminder run reads it


def recent_unprompted(session: Session, member_ids, *, since: datetime) -> dict[int, list[tuple[datetime, str]]]:
    """Member -> (time, key) of each unprompted message to them from ``since`` on, queued or sent.

    One indexed range query per 500 members (``ix_outbox_member_time``), so a
    fan-out to thousands asks in bulk; the gap between unprompted messages and
    the weekly cap are both read from it. Given-up messages do not count.
    A group message (a pairing introduction) counts for each member it
    addresses, through ``outbox_member``: the same statement, a second indexed branch.
    """
    found: dict[int, list[tuple[datetime, str]]] = {}
    for chunk in in_lists(sorted(set(member_ids))):
        rows = session.connection().execute(_RECENT, {"ids": chunk, "since": since})
        for member_id, at, key in rows:
            found.setdefault(member_id, []).append((at, key))
    return found


@functools.cache
def _claim(dialect: str):
    """The claim, built once per database: it runs for every few messages a busy bot sends
    (and once a tick when nothing is due), and building it cost more than running it."""
    now = bindparam("now")
    due = ((_T.c.status == OutboxStatus.PENDING) | ((_T.c.status == OutboxStatus.SENDING) & (_T.c.claimed_until < now))) & (
        _T.c.next_attempt_at <= now
    )
    pick = (
        select(_T.c.id)
        .where(due, _T.c.platform.in_(bindparam("platforms", expanding=True)))
        .order_by(_T.c.next_attempt_at, _T.c.id)
        .limit(bindparam("limit"))
    )
    picked = pick.scalar_subquery()
    if dialect == "postgresql":
        # a CTE, materialized: PostgreSQL may run an ``IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)``
        # again for each row it updates, and each run skips the rows the statement has just claimed
        # (locked by it), so the claim took every due message whatever its limit. A materialized
        # CTE runs once: the rows it picked, locked, and no others.
        once = pick.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        picked = select(once.c.id).scalar_subquery()
    return (
        update(_T)
        .where(_T.c.id.in_(picked), due)
        .values(status=OutboxStatus.SENDING, claimed_until=bindparam("until"), claimed_by=bindparam("worker"))
        .returning(
            _T.c.id, _T.c.key, _T.c.network_id, _T.c.platform, _T.c.payload, _T.c.attempts, _T.c.next_attempt_at, _T.c.member_id, _T.c.unprompted
        )
    )


def claim_due(session: Session, *, now: datetime, limit: int, lease: timedelta, platforms: list[str], worker: str = ""):
    """Claim up to ``limit`` due messages for this process, oldest first.

    One ``UPDATE … WHERE id IN (due, oldest first, LIMIT n) RETURNING …``
    rather than loading rows as objects and flushing a change to each: the
    claim runs for every few messages a busy bot sends. Returns rows with the
    columns delivery needs (``id``, ``key``, ``network_id``, ``platform``,
    ``payload``, ``attempts``, and ``member_id`` and ``unprompted`` for the
    re-check of the member's limits), oldest first.
    """
    if not platforms:
        return []
    params = {"now": now, "until": now + lease, "worker": worker, "limit": limit, "platforms": list(platforms)}
    rows = session.connection().execute(_claim(session.get_bind().dialect.name), params).all()
    return sorted(rows, key=lambda r: (r.next_attempt_at, r.id))  # RETURNING keeps no order


_CONFIRM = (
    update(_T)
    .where(
        _T.c.id.in_(bindparam("ids", expanding=True)),
        _T.c.status == OutboxStatus.SENDING,
        _T.c.claimed_by == bindparam("worker"),
    )
    .values(claimed_until=bindparam("until"))
    .returning(_T.c.id)
)


def confirm_claims(session: Session, outbox_ids: list[int], *, worker: str, now: datetime, lease: timedelta) -> set[int]:
    """Renew our claims right before sending, in one statement; the ids still ours.

    An id missing from the answer had its lease run out and another process
    took the message (it will send it, so we must not).
    """
    params = {"ids": sorted(set(outbox_ids)), "worker": worker, "until": now + lease}
    return set(session.connection().execute(_CONFIRM, params).scalars())


_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("outbox_id"))
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("now"),
        platform_message_id=bindparam("message_id"),
        claimed_until=None,
        attempts=_T.c.attempts + 1,
    )  # fmt: skip
)


def mark_sent(session: Session, sent: list[tuple[int, str | None]], *, now: datetime) -> None:
    """Record messages as sent, ``(outbox id, the platform's message id)`` each, in one statement."""
    if sent:
        session.connection().execute(_SENT, [{"outbox_id": i, "now": now, "message_id": ref} for i, ref in sent])


def mark_retry(session: Session, outbox_id: int, *, at: datetime, error: str, count_attempt: bool = True) -> None:
    values = dict(status=OutboxStatus.PENDING, next_attempt_at=at, claimed_until=None, last_error=error[:500])
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == outbox_id).values(**values))


def readdress(session: Session, outbox_id: int, payload: dict) -> None:
    """Keep a group message's narrower address (delivery left out a member who paused), so a retry keeps it too."""
    session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == outbox_id).values(payload=payload))


def forget_addressed(session: Session, member_id: int) -> None:
    """A forgotten member is no longer recorded as addressed by any group message (their gap and cap end with them)."""
    session.connection().execute(_M.delete().where(_M.c.member_id == member_id))


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
    rows = session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {str(getattr(status, "value", status)): n for status, n in rows}


# -- what is kept after delivery ---------------------------------------------------------------

SENT_KEPT_DAYS = 30  # the longest a delivered message's words stay here when a network sets no shorter retention
PRUNED = "pruned"  # the payload key that marks a delivered message whose words were deleted


def in_batches(session: Session, *where, size: int = 500) -> Iterator[list[OutboxMessage]]:
    """The outbox rows matching ``where``, in id order, ``size`` at a time.

    The outbox keeps every message ever sent, so a pass over a network's rows
    (forgetting a member) must not load them all at once: each batch is
    flushed and let go before the next is read.
    """
    last = 0
    while True:
        rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.id) > last, *where).order_by(col(OutboxMessage.id)).limit(size)).all()
        if not rows:
            return
        yield list(rows)
        last = rows[-1].id
        session.flush()
        for row in rows:
            session.expunge(row)


_PRUNE = update(_T).where(_T.c.id == bindparam("row_id")).values(payload=bindparam("bare"), pruned_at=bindparam("at"))


def prune_delivered(session: Session, *, network_id: int, before: datetime, now: datetime, size: int = 500) -> int:
    """Delete the words of messages delivered (or given up on) before ``before``.

    The outbox is how a message gets out, not an archive: once a message has
    gone, its text, buttons and attachment only repeat what members wrote (and
    what retention deletes from the flows' tables). The row stays, so its key
    still stops a second send, and so does its address: a channel post can still
    be edited (a practice card hidden) from the flow's own data. Returns how
    many rows were pruned.

    Reads only rows not yet pruned (``pruned_at`` is NULL, through ``ix_outbox_unpruned``):
    the words a year of messages no longer holds are not read again every hour.
    """
    done = col(OutboxMessage.status).in_([OutboxStatus.SENT, OutboxStatus.FAILED])
    mine = (OutboxMessage.network_id == network_id, col(OutboxMessage.pruned_at).is_(None), done)
    # coalesce(sent_at, created_at) < before, as two ranges the index serves (a coalesce it cannot):
    # no ORDER BY either, which would make SQLite walk the network's index instead of this one
    sent, never_sent = col(OutboxMessage.sent_at), col(OutboxMessage.created_at)
    conn, pruned = session.connection(), 0
    for when in ((sent < before,), (sent.is_(None), never_sent < before)):
        due = select(_T.c.id, _T.c.payload).where(*mine, *when).limit(size)
        while rows := conn.execute(due).all():  # a pruned row leaves the query, so each batch is the next
            # rows as columns and one executemany, not objects: a busy network prunes thousands a day
            conn.execute(_PRUNE, [{"row_id": r.id, "bare": {"text": "", "to": (r.payload or {}).get("to") or {}, PRUNED: True}, "at": now}
                                  for r in rows])  # fmt: skip
            pruned += len(rows)
    return pruned
