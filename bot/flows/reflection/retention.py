"""Retention of raw prompt replies: the reflection flow's hook for the nightly run.

What goes: the text of every answer written before the cut-off that the
member did not share (the ``reflection_answer`` rows themselves, so nothing
is left to mistake for a skipped question). What stays: answers the member
chose to share (they are in the digest's excerpts), and every prompt and
reflection row with its times and status, so participation figures in the
digest do not change when old words are deleted.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, col, delete, select

from bot.store.models import Network
from bot.store.reflection import Reflection, ReflectionAnswer

__all__ = ["delete_old_answers"]

logger = logging.getLogger(__name__)


def delete_old_answers(session: Session, network: Network, before: datetime) -> int:
    """Delete the network's unshared answers written before ``before``; returns how many."""
    reflections = select(Reflection.id).where(Reflection.network_id == network.id)
    unshared = (col(ReflectionAnswer.shared).is_(False)) | col(ReflectionAnswer.reflection_id).in_(
        reflections.where(col(Reflection.shared).is_(None))
    )
    result = session.exec(
        delete(ReflectionAnswer).where(
            col(ReflectionAnswer.reflection_id).in_(reflections),
            col(ReflectionAnswer.answered_at) < before,
            unshared,
        )
    )
    count = result.rowcount or 0
    logger.info("retention in network %s: %d raw reflection answers deleted", network.id, count)
    return count
