"""Imports every table module so the metadata is complete (for Alembic and tests).

Each flow that adds tables lists its module here.
"""

from . import lease, models  # noqa: F401
from . import reflection  # noqa: F401
from . import practices  # noqa: F401
from . import admin  # noqa: F401
from . import pairing  # noqa: F401
from . import digest  # noqa: F401
from . import slack  # noqa: F401
from . import nudges  # noqa: F401

__all__: list[str] = []
