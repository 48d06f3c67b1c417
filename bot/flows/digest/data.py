"""The digest's numbers, computed by the database (GROUP BY, COUNT, CASE).

Each section is one function returning a small dataclass; none loads a
network's history into Python. Weekly series bucket rows with a CASE over
the period's local-midnight boundaries (see :mod:`.digest_period`), so the
same SQL runs on SQLite and PostgreSQL and time zones are exact.

Privacy: only answers a member chose to share are ever read as text.

The sections live in :mod:`.digest_participation` and :mod:`.digest_sections`
and their shared SQL in :mod:`.digest_query`; this module assembles them into
one :class:`Digest` and re-exports their names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from bot.flows.digest.participation import QUIET_NAMES  # noqa: F401
from bot.flows.digest.participation import Participation, Quiet, Week, participation, quiet_members, weekly
from bot.flows.digest.period import Period
from bot.flows.digest.query import activity, bucket_of, shared_answers  # noqa: F401
from bot.flows.digest.sections import EXCERPT_CHARS, EXCERPTS, MODES, THEME_SOURCE_LIMIT  # noqa: F401
from bot.flows.digest.sections import Commitments, Excerpt, Pairs, Practices, Reflections, commitments, pairs, practices, reflections

__all__ = [
    "Commitments", "Digest", "activity", "bucket_of", "Excerpt", "Pairs", "Participation", "Practices", "Quiet",
    "Reflections", "Week", "build_digest", "commitments", "pairs", "participation",
    "practices", "quiet_members", "reflections", "weekly",
]  # fmt: skip

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
