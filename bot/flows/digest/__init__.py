"""The weekly digest for coordinators, and the reports ``beacon digest`` exports.

The modules, lowest first: ``period`` (local weeks and their UTC bounds),
``query`` (the SQL the sections share), ``themes``, ``participation`` and
``sections`` (each section of the numbers), ``data`` (the whole
:class:`~bot.flows.digest.data.Digest`), ``flags``, ``render`` and ``chart``
(words and picture), ``weekly`` (the scheduled flow and ``/beacon digest …``),
``export`` and ``cli`` (the command line's reports).
"""

from __future__ import annotations

from bot.core.router import Router
from bot.flows.digest import chart, weekly

__all__ = ["register"]


def register(router: Router) -> None:
    weekly.register(router)
    router.warm_up(chart.warm_up)
