"""The hourly run: each member gets at most one combined nudge, only if their limits allow.

The planner (:mod:`bot.flows.nudges.rules`) is pure and knows no flow: what is
due comes from the follow-up sources the flows registered
(``router.follow_ups``), read once per run by :func:`bot.flows.nudges.data.snapshot`;
sending and logging each item is :mod:`bot.flows.nudges.send`.
"""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.core.followups import PLANNING, in_order
from bot.flows.nudges import rules
from bot.flows.nudges.data import ensure_flow, snapshot
from bot.flows.nudges.send import send_nudge

__all__ = ["follow_up_created", "run"]

logger = logging.getLogger(__name__)


def run(ctx: Context) -> None:
    """The hourly run: each member gets at most one message, only if the limits allow."""
    ctx.emit(PLANNING)
    snap = snapshot(ctx.session, ctx.network, ctx.now, in_order(ctx.router.follow_ups))
    sent = 0
    planned = [(person, *rules.plan_member(snap, person, ctx.now)) for person in snap.planned_now()]  # those something may be due for, and may reach
    members = ctx.members_by_id(person.id for person, items, _ in planned if items)  # the snapshot read rows: load those nudged, at once
    for person, items, why in planned:
        member = members.get(person.id)
        if member is not None and not member.unreachable and send_nudge(ctx, member, items):
            sent += 1
        elif why and why != "quiet hours":
            logger.debug("nudges for member %s wait: %s", person.id, why)
    logger.info("nudges run for network %s: %d messages", ctx.network.id, sent)


def follow_up_created(ctx: Context, **_: object) -> None:
    """Another flow created something to follow up (a meeting, a commitment, a steal):
    the network's hourly run starts, even where nobody touched the nudges."""
    ensure_flow(ctx.session, ctx.network.id, ctx.now)
