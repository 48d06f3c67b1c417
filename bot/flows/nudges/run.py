"""The hourly run: each member gets at most one combined nudge, only if their limits allow.

The planner (:mod:`bot.flows.nudges.rules`) is pure and knows no flow: what is
due comes from the follow-up sources the flows registered
(``router.follow_ups``), read once per run by :func:`bot.flows.nudges.data.snapshot`;
sending and logging each item is :mod:`bot.flows.nudges.send`.
"""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.core.followups import in_order
from bot.flows.nudges import rules
from bot.flows.meetings.calendar import ensure_upcoming
from bot.flows.nudges.data import snapshot
from bot.flows.nudges.send import send_nudge

__all__ = ["run"]

logger = logging.getLogger(__name__)


def run(ctx: Context) -> None:
    """The hourly run: each member gets at most one message, only if the limits allow."""
    ensure_upcoming(ctx.session, ctx.network, ctx.now)
    snap = snapshot(ctx.session, ctx.network, ctx.now, in_order(ctx.router.follow_ups))
    sent = 0
    members = {m.id: m for m in ctx.members()}
    for person in snap.people.values():
        items, why = rules.plan_member(snap, person, ctx.now)
        if items and person.id in members and send_nudge(ctx, members[person.id], items):
            sent += 1
        elif why and why != "quiet hours":
            logger.debug("nudges for member %s wait: %s", person.id, why)
    logger.info("nudges run for network %s: %d messages", ctx.network.id, sent)
