"""The flows: each package holds one flow's rules and exposes ``register(router)``.

The order here is the order of registration; nothing is discovered.
"""

from __future__ import annotations

from importlib import import_module

from bot.core.router import Router

__all__ = ["FLOW_MODULES", "register_all"]

FLOW_MODULES: tuple[str, ...] = (
    "bot.core.forms",
    "bot.flows.help",
    "bot.flows.admin",
    "bot.flows.members",
    "bot.flows.welcome",
    "bot.flows.practices",
    "bot.flows.reflection",
    "bot.flows.commitments",
    "bot.flows.digest",
    "bot.flows.pairing",
    "bot.flows.nudges",
    "bot.flows.meetings",
    "bot.flows.home",
)


def register_all(router: Router) -> Router:
    for name in FLOW_MODULES:
        import_module(name).register(router)
    return router
