"""Leases: one holder at a time for work that must not run in two processes.

Telegram allows one ``getUpdates`` poller per bot, so only the process that
holds the ``telegram-polling:<bot>`` lease polls; it renews the lease while
alive, and if it dies another process takes the lease once it expires.
Acquiring is one conditional UPDATE (or an INSERT for a new name), atomic on
SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, col, select

from bot.store.db import insert_or_skip
from bot.store.types import UTCDateTime

__all__ = ["Lease", "acquire", "release", "holder"]


class Lease(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)
    expires_at: datetime = Field(sa_type=UTCDateTime)


def acquire(session: Session, name: str, me: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take or renew ``name`` for ``me`` until ``now + ttl``; False while another holds it."""
    taken = session.exec(
        update(Lease)
        .where(col(Lease.name) == name, (col(Lease.holder) == me) | (col(Lease.expires_at) < now))
        .values(holder=me, expires_at=now + ttl)
    ).rowcount
    if taken:
        return True
    table = Lease.__table__
    stmt = insert_or_skip(session.get_bind().dialect.name, table).values(name=name, holder=me, expires_at=now + ttl)
    stmt = stmt.returning(table.c.name)
    return session.connection().execute(stmt).first() is not None


def release(session: Session, name: str, me: str) -> None:
    """Give the lease up at once (a clean stop), so the next process need not wait."""
    session.exec(update(Lease).where(col(Lease.name) == name, col(Lease.holder) == me).values(expires_at=datetime(1970, 1, 1, tzinfo=UTC)))


def holder(session: Session, name: str, *, now: datetime) -> str | None:
    row = session.exec(select(Lease).where(Lease.name == name)).first()
    return row.holder if row is not None and row.expires_at > now else None
