"""Imports every table module so the metadata is complete (for Alembic and tests).

Each flow that adds tables lists its module here.
"""

from bot.store import (  # noqa: F401
    activity,
    admin,
    answers,
    commitments,
    digest,
    due,
    lease,
    meetings,
    models,
    nudges,
    pairing,
    practices,
    reflection,
    slack,
)

__all__: list[str] = []
