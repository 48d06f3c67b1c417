"""The hourly run: each member gets at most one combined nudge, only if their limits allow.

The rules are in :mod:`bot.flows.nudges.rules` (pure); :mod:`bot.flows.nudges.data`
loads the plain data they read, and :mod:`bot.flows.nudges.send` sends and logs
each item.
"""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.flows.nudges import rules
from bot.flows.meetings.calendar import ensure_upcoming
from bot.flows.nudges.data import snapshot
from bot.flows.nudges.send import send_nudge

__all__ = ["run"]

logger = logging.getLogger(__name__)


def run(ctx: Context) -> None:
    """The hourly run: each member gets at most one message, only if the limits allow."""
    ensure_upcoming(ctx.session, ctx.network, ctx.now)
    snap = snapshot(ctx.session, ctx.network, ctx.now)
    sent = 0
    members = {m.id: m for m in ctx.members()}
    for person in snap.people.values():
        items, why = rules.plan_member(snap, person, ctx.now)
        if items and person.id in members and send_nudge(ctx, members[person.id], items):
            sent += 1
        elif why and why != "quiet hours":
            logger.debug("nudges for member %s wait: %s", person.id, why)
    logger.info("nudges run for network %s: %d messages", ctx.network.id, sent)
