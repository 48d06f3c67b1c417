"""The flows: each module holds one flow's rules and exposes ``register(router)``.

The order here is the order of registration; nothing is discovered.
"""

from __future__ import annotations

from importlib import import_module

from bot.router import Router

__all__ = ["FLOW_MODULES", "register_all"]

FLOW_MODULES: tuple[str, ...] = (
    "bot.forms",
    "bot.flows.help",
    "bot.flows.admin",
    "bot.flows.audit",
    "bot.flows.rights",
    "bot.flows.welcome",
    "bot.flows.practices",
    "bot.flows.reflection",
    "bot.flows.digest",
    "bot.flows.profile",
    "bot.flows.pairing",
    "bot.flows.nudges",
)


def register_all(router: Router) -> Router:
    for name in FLOW_MODULES:
        import_module(name).register(router)
    return router
