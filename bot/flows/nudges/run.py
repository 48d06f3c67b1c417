"""Nudges between meetings: one hourly run that follows up what other flows created.

Commitments due before the next meeting, pairs that haven't met, steals
awaiting "how did it go?", "bring one thing you tried" before a meeting and
the after-meeting reflection. The rules are in :mod:`.nudge_rules` (pure);
this module is the entry point: the hourly run, which sends at most one
combined message per member, and ``register``; every public name of the flow
is imported from here. The pieces live beside it: :mod:`.nudges_data` loads
the plain data (and the settings and flow row), :mod:`.nudges_send` sends and
logs each item (:class:`NudgeLog`), :mod:`.nudges_answers` handles the
answers, "Not now" (a week's snooze) and "Stop these" (opt out of those
rules), and :mod:`.nudges_commands` the facilitator's commands.
"""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.core.router import Router
from bot.store.models import Role
from bot.store.nudges import export_member, forget_member
from bot.flows.nudges import rules
from bot.flows.meetings.calendar import ensure_upcoming
# names that moved out of this module are still imported from it, so the unused ones stay
from bot.flows.nudges.answers import RULE_ANSWERS, _answer, _snooze, _stop  # noqa: F401
from bot.flows.nudges.commands import PREVIEW_DAYS, _cap, _preview, _rules, _toggle, _undo  # noqa: F401
from bot.flows.nudges.data import KIND, SCHEDULE, ensure_flow, network_cap, network_rules, snapshot, takes_over_steals  # noqa: F401
from bot.flows.nudges.send import ANSWER, SNOOZE, STOP, answers_of, send_nudge  # noqa: F401

__all__ = ["KIND", "ensure_flow", "network_cap", "network_rules", "register", "snapshot", "takes_over_steals"]

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


def register(router: Router) -> None:
    from bot.flows.meetings import calendar as meetings
    from bot.flows.members import settings as member_settings

    F = Role.FACILITATOR
    router.schedule(KIND, run)
    router.action(ANSWER, _answer)
    router.action(SNOOZE, _snooze)
    router.action(STOP, _stop)
    router.personal_data(KIND, export=export_member, forget=forget_member)
    router.group("nudges", "Gentle, capped reminders between meetings")
    router.command("nudges rules", _rules, role=F, help="Which nudges are on, and the weekly cap", example="/beacon nudges rules")
    router.command("nudges on", _toggle(True), role=F, usage="<rule>", help="Turn a nudge rule on", example="/beacon nudges on pair")
    router.command("nudges off", _toggle(False), role=F, usage="<rule>", help="Turn a nudge rule off", example="/beacon nudges off steal")
    router.command("nudges cap", _cap, role=F, usage="<n>", help="The most nudges a member gets in a week (all rules)", example="/beacon nudges cap 2")
    router.command("nudges preview", _preview, role=F, help="Who would be nudged in the next 7 days and why (sends nothing)",
                   example="/beacon nudges preview")  # fmt: skip
    router.undo("nudges.", _undo)
    meetings.register(router)
    member_settings.register(router)
