"""Reflection prompts: scheduled action-learning questions by DM, answered in chat.

Sending and reminders are :mod:`.prompts`, answering :mod:`.chat`, the end of
a reflection (the commitment check, the summary, sharing) :mod:`.finish`, the
facilitator's commands :mod:`.admin`, deleting old raw answers
:mod:`.retention`, the reflections that go after meetings and visits
:mod:`.after`, and the old after-meeting nudge's answers :mod:`.follow_up`.
"""

from __future__ import annotations

from bot.core.followups import VISIT_DONE
from bot.core.router import Router
from bot.flows.reflection import admin, after, chat, finish, follow_up
from bot.flows.reflection.home import next_prompt
from bot.flows.reflection.prompts import KIND, REMINDER_KIND, open_on_delivery, run
from bot.flows.reflection.retention import delete_old_answers
from bot.store.reflection import export_member, forget_member, words_of

__all__ = ["register"]


def register(router: Router) -> None:
    router.schedule(KIND, run, per_member_timezone=True)
    router.schedule(REMINDER_KIND, after.hourly)
    router.on(VISIT_DONE, after.visit_done)
    router.on_delivered("reflection:", open_on_delivery)
    router.personal_data(KIND, export=export_member, forget=forget_member, words=words_of)
    router.retention(KIND, delete_old_answers)
    chat.register(router)
    finish.register(router)
    admin.register(router)
    router.follow_up(follow_up.SOURCE)
    router.home_section("reflection.next", next_prompt, order=10)
