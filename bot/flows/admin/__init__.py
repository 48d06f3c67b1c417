"""Running a network: ``/beacon setup``, members and roles, cohorts, and the
audit trail with ``/beacon undo``.

The modules, lowest first: ``audit`` (what changed, and the generic undo),
``members`` (``/beacon members``, ``/beacon role``), ``cohorts``
(``/beacon cohort …``) and ``commands`` (``/beacon setup``). Finding a member
by name is the core's (:mod:`bot.core.members`), so other flows need not
import this one.
"""

from __future__ import annotations

from bot.core.router import Router
from bot.flows.admin import audit, cohorts, commands, home, members

__all__ = ["register"]


def register(router: Router) -> None:
    commands.register(router)
    members.register(router)
    cohorts.register(router)
    audit.register(router)
    home.register(router)
