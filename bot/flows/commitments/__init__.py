"""Commitments: what a member said they will do next (:mod:`.commitment`), and the
"how is it going?" before the next meeting (:mod:`.follow_up`, a follow-up source)."""

from __future__ import annotations

from bot.core.router import Router
from bot.flows.commitments import follow_up
from bot.flows.commitments.commitment import CHANGE, change, change_submitted, check_change, commitments_command, home, mark
from bot.store.commitments import CommitmentStatus

__all__ = ["register"]


def register(router: Router) -> None:
    router.command(
        "commitments",
        commitments_command,
        help="Your open commitments, to mark done, still going or dropped",
        example="/beacon commitments",
        details="Commitments come from the last answer of a reflection: what you will do next, and by when.",
    )
    router.action("commitment.done", mark(CommitmentStatus.DONE))
    router.action("commitment.going", mark(CommitmentStatus.STILL_GOING))
    router.action("commitment.drop", mark(CommitmentStatus.DROPPED))
    router.action(CHANGE, change)
    router.form(CHANGE, change_submitted, check=check_change)
    router.home_section("commitments", home, order=20)
    router.follow_up(follow_up.SOURCE)
