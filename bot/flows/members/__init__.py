"""A member's own side of the network: their rights (``/beacon my-data``,
``/beacon forget-me``, retention of raw replies) and their limits (pause,
quiet hours, time zone, which nudges).

What names a member, and how a forgotten one is unnamed, is the core's
(:mod:`bot.core.members`), so every flow can use it without importing this one.
"""

from __future__ import annotations

from bot.core.router import Router
from bot.flows.members import network, rights, settings, zone

__all__ = ["register"]


def register(router: Router) -> None:
    network.register(router)
    rights.register(router)
    settings.register(router)
    zone.register(router)
