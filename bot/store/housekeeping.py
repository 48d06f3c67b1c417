"""What the bot keeps only as long as it needs: delivered messages' words, seen events' ids.

The outbox is how a message gets out and the inbound log is how a retry is
recognised; neither is an archive. Without this, a reflection's text would
survive in the outbox long after retention deleted the answer it quoted.
Run for every network, whatever flows it has, from the bot's tick (at most
once an hour).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from bot.store.models import InboundEvent, Network
from bot.store.outbox import SENT_KEPT_DAYS, prune_delivered

__all__ = ["INBOUND_KEPT_DAYS", "retention_days", "tidy"]

logger = logging.getLogger(__name__)

INBOUND_KEPT_DAYS = 7  # Slack retries within minutes and Telegram keeps an update for 24 hours: a week is ample


def retention_days(network: Network) -> int | None:
    """The network's retention of raw replies in days (``/beacon retention``), or None."""
    days = (network.settings or {}).get("retention_days")
    return int(days) if isinstance(days, int) and not isinstance(days, bool) and days > 0 else None


def tidy(session: Session, now: datetime) -> dict[str, int]:
    """Prune every network's delivered messages older than its retention (at most
    :data:`SENT_KEPT_DAYS`), and inbound event ids older than :data:`INBOUND_KEPT_DAYS`.
    Returns how many rows each step touched."""
    pruned = 0
    for network in session.exec(select(Network).order_by(col(Network.id))).all():
        days = min(retention_days(network) or SENT_KEPT_DAYS, SENT_KEPT_DAYS)
        pruned += prune_delivered(session, network_id=network.id, before=now - timedelta(days=days), now=now)
    cutoff = now - timedelta(days=INBOUND_KEPT_DAYS)
    seen = session.exec(delete(InboundEvent).where(col(InboundEvent.received_at) < cutoff)).rowcount
    if pruned or seen:
        logger.info("housekeeping: words of %s delivered messages deleted, %s old event ids forgotten", pruned, seen)
    return {"outbox": pruned, "inbound": seen or 0}
