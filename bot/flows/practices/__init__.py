"""Steal with pride: practices members share (:mod:`.posts`), steal (:mod:`.steals`) and
ask about (:mod:`.questions`), with the "how did it go?" the nudges send (:mod:`.follow_up`)."""

from __future__ import annotations

from bot.core.router import Router
from bot.flows.practices import follow_up, questions, rights, steals
from bot.flows.practices.posts import (
    SHARE_FORM,
    channel_command,
    edit_command,
    list_command,
    moderate_command,
    on_keep,
    on_share,
    on_withdraw,
    share_command,
    show_command,
    undo_moderation,
    withdraw_command,
)
from bot.store.models import Role

__all__ = ["register"]


def register(router: Router) -> None:
    router.group("practice", "Steal with pride: one practice at a time")
    router.personal_data("practices", export=rights.export_member, forget=rights.forget_member, words=rights.words_of)
    router.command("share", share_command, help="Share a practice others can steal with pride", example="/beacon share")
    router.alias("share", "share")
    router.command(
        "practices",
        list_command,
        help="Find practices: search words, a #tag, mine, saved or popular",
        usage="[words|#tag|mine|saved|popular]",
        example="/beacon practices induction #peer-support",
    )
    router.command(
        "practice", show_command, help="One practice in full, with its steals and outcomes", usage="<number>", example="/beacon practice 12"
    )
    router.command("practice edit", edit_command, help="Change a practice you shared", usage="<number>", example="/beacon practice edit 12")
    router.command(
        "practice withdraw", withdraw_command, help="Take down a practice you shared", usage="<number>", example="/beacon practice withdraw 12"
    )
    for action, help_text, usage, example in (
        ("feature", "Feature a practice (or `off`)", "<number> [off]", "/beacon practice feature 12"),
        ("hide", "Hide a practice from lists and search", "<number>", "/beacon practice hide 12"),
        ("unhide", "Show a hidden practice again", "<number>", "/beacon practice unhide 12"),
        ("retag", "Replace a practice's tags", "<number> <tags, comma-separated>", "/beacon practice retag 12 induction, peer support"),
    ):
        router.command(f"practice {action}", moderate_command(action), help=help_text, role=Role.FACILITATOR, usage=usage, example=example)
        router.undo(f"practice.{action}", undo_moderation)
    router.command(
        "practice channel",
        channel_command,
        help="Where new practices are posted",
        role=Role.FACILITATOR,
        usage="<channel> | off",
        example="/beacon practice channel #steal-with-pride",
    )
    router.form(SHARE_FORM, on_share)
    router.action("practice.withdraw", on_withdraw)
    router.action("practice.keep", on_keep)
    steals.register(router)
    questions.register(router)
    router.follow_up(follow_up.SOURCE)
