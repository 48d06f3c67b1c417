"""The digest's numbers, computed by the database (GROUP BY, COUNT, CASE).

Each section is one function returning a small dataclass; none loads a
network's history into Python. Weekly series bucket rows with a CASE over
the period's local-midnight boundaries (see :mod:`bot.flows.digest.period`), so the
same SQL runs on SQLite and PostgreSQL and time zones are exact.

Privacy: only answers a member chose to share are ever read as text.

The sections live in :mod:`bot.flows.digest.participation` and
:mod:`bot.flows.digest.sections` and their shared SQL in
:mod:`bot.flows.digest.query`; this module assembles them into one
:class:`Digest`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from bot.flows.digest.participation import Participation, Week, participation, weekly
from bot.flows.digest.period import Period
from bot.flows.digest.sections import Commitments, Pairs, Practices, Reflections, commitments, pairs, practices, reflections

__all__ = ["Digest", "build_digest"]

logger = logging.getLogger(__name__)


# -- the whole digest ------------------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    network: str
    period: Period
    weeks: list[Week]
    participation: Participation
    reflections: Reflections
    commitments: Commitments
    pairs: Pairs
    practices: Practices


def build_digest(session: Session, network, period: Period, *, quiet_weeks: int = 3) -> Digest:
    weeks = weekly(session, network.id, period)
    return Digest(
        network=network.name,
        period=period,
        weeks=weeks,
        participation=participation(session, network.id, period, weeks, quiet_weeks),
        reflections=reflections(session, network.id, period),
        commitments=commitments(session, network.id, period),
        pairs=pairs(session, network.id, period),
        practices=practices(session, network.id, period),
    )
