"""Flow rows that other flows keep beside them (hourly reminders, follow-ups,
retention): created once, on first use, the same way everywhere."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.store.models import Flow

__all__ = ["FLOW_OF_KIND", "ensure_flow"]

FLOW_OF_KIND = select(Flow).where(Flow.network_id == bindparam("network_id"), Flow.kind == bindparam("kind")).order_by(Flow.id)
"""A network's flows of one kind, oldest first; built once: the hourly runs and many answers look them up."""


def ensure_flow(session: Session, *, network_id: int, kind: str, name: str, schedule: str, now: datetime) -> Flow:
    """The network's flow of ``kind``, created with ``schedule`` if it has none yet."""
    flow = session.exec(FLOW_OF_KIND, params={"network_id": network_id, "kind": kind}).first()
    if flow is None:
        flow = Flow(network_id=network_id, kind=kind, name=name, schedule=schedule, settings={},
                    created_at=now, updated_at=now, checked_until=now)  # fmt: skip
        session.add(flow)
        session.flush()
    return flow
