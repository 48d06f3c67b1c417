"""Imports every table module so the metadata is complete (for Alembic and tests).

Each flow that adds tables lists its module here.
"""

from bot.store import lease, models  # noqa: F401
from bot.store import reflection  # noqa: F401
from bot.store import practices  # noqa: F401
from bot.store import admin  # noqa: F401
from bot.store import pairing  # noqa: F401
from bot.store import digest  # noqa: F401
from bot.store import slack  # noqa: F401
from bot.store import nudges  # noqa: F401
from bot.store import meetings  # noqa: F401
from bot.store import commitments  # noqa: F401

__all__: list[str] = []
