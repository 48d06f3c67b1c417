"""Nudges between meetings: gentle, capped follow-ups of what other flows created.

Commitments due before the next meeting, pairs that haven't met, steals
awaiting "how did it go?", "bring one thing you tried" before a meeting and
the after-meeting reflection: each is a follow-up source its own flow
registers (``router.follow_up``); this flow imports none of them. An hourly
run (:mod:`.run`) plans from every source with the pure rules
(:mod:`.rules`) over one read (:mod:`.data`), sends at most one combined
message per member (:mod:`.send`), and hands each answer back to its source
(:mod:`.answers`, with "Not now" and "Stop these"); the facilitator's
commands are in :mod:`.commands`.
"""

from __future__ import annotations

import functools

from bot.core.availability import CAP_RULE
from bot.core.followups import FOLLOW_UP_CREATED
from bot.core.router import Router
from bot.flows.nudges.answers import on_answer, on_snooze, on_stop
from bot.flows.nudges.commands import cap_command, preview_command, rules_command, toggle_command, undo_settings
from bot.flows.nudges.data import KIND, NUDGE_KEY, flow_on
from bot.flows.nudges.run import follow_up_created, run
from bot.flows.nudges.send import ANSWER, SNOOZE, STOP, not_delivered
from bot.store.models import Role
from bot.store.nudges import export_member, forget_member

__all__ = ["register"]


def register(router: Router) -> None:
    F = Role.FACILITATOR
    router.schedule(KIND, run)
    router.action(ANSWER, on_answer)
    router.action(SNOOZE, on_snooze)
    router.action(STOP, on_stop)
    router.personal_data(KIND, export=export_member, forget=forget_member)
    router.group("nudges", "Gentle, capped reminders between meetings")
    router.command("nudges rules", rules_command, role=F, help="Which nudges are on, and the weekly cap", example="/beacon nudges rules")
    router.command("nudges on", toggle_command(True), role=F, usage="<rule>", help="Turn a nudge rule on", example="/beacon nudges on pair")
    router.command("nudges off", toggle_command(False), role=F, usage="<rule>", help="Turn a nudge rule off",
                   example="/beacon nudges off steal")  # fmt: skip
    router.command("nudges cap", cap_command, role=F, usage="<n>", help="The most unprompted messages a member gets in a week; nudges wait when it is full",
                   example="/beacon nudges cap 4", details=CAP_RULE)  # fmt: skip
    router.command("nudges preview", preview_command, role=F, help="Who would be nudged in the next 7 days and why (sends nothing)",
                   example="/beacon nudges preview")  # fmt: skip
    router.undo("nudges.", undo_settings)
    router.on(FOLLOW_UP_CREATED, follow_up_created)
    router.plan_follow_ups(flow_on)
    router.on_delivered(NUDGE_KEY, functools.partial(not_delivered, router))
