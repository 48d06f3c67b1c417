"""Greeting members and linking them to their network.

The modules, lowest first: ``greeting`` (``/beacon start``, ``/beacon join``,
the start link a member first seen in a group gets), ``channel`` (Slack:
everyone in a membership channel is a member) and ``invite`` (Telegram: a
start button in the group, for those who never opened a private chat).
"""

from __future__ import annotations

from bot.core.router import Router
from bot.flows.welcome import channel, greeting, invite
from bot.flows.welcome.greeting import start_link

__all__ = ["register", "start_link"]


def register(router: Router) -> None:
    greeting.register(router)
    channel.register(router)
    invite.register(router)
