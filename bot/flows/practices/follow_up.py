"""Steals as a follow-up source: "how did it go?" when a steal's follow-up falls due.

Where the nudges flow runs, it asks this (within the member's weekly cap and
quiet hours) and practices' own hourly follow-up stands aside
(:func:`bot.flows.practices.steals.run_followups`). The answer is recorded
on the steal as the follow-up's buttons record it, and the member is offered
the same one-line note for the author.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, exists, select

from bot.core import markup
from bot.core.availability import Person
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.followups import FollowUp, FollowUpSource, World, subject_id
from bot.flows.practices.cards import MODE_LABELS, OUTCOME_LABELS
from bot.flows.practices.steals import outcome_form
from bot.store.nudges import NudgeLog, raised, subject_sql
from bot.store.practices import Practice, Steal, report_outcome

__all__ = ["SOURCE", "StealInfo", "due", "load"]

RULE = "steal"
SUBJECT = "steal:"  # and the steal's id: persisted in the nudge log
ANSWERS = tuple((label.capitalize(), value) for value, label in OUTCOME_LABELS.items())


@dataclass(frozen=True)
class StealInfo:
    """A steal whose "how did it go?" is due (or falls due within the preview's horizon)."""

    id: int
    member_id: int
    title: str
    mode: str
    follow_up_due: datetime


def load(session: Session, world: World) -> dict[int, list[StealInfo]]:
    """Each member's steals whose "how did it go?" is due (by now plus the horizon).

    One practices' own follow-up already asked is not asked again; one the nudges
    raised is read again only once the member's "Not now" is over (a preview reads
    every one the nudges raised, and plans with their history).
    """
    network_id, subject = world.network.id, subject_sql(SUBJECT, Steal.id)
    by_nudge = exists().where(NudgeLog.network_id == network_id, NudgeLog.subject == subject)
    query = (
        select(Steal, Practice.title).join(Practice, col(Practice.id) == col(Steal.practice_id))
        .where(Practice.network_id == network_id, col(Steal.follow_up_due).is_not(None),
               col(Steal.follow_up_due) <= world.now + world.horizon, col(Steal.outcome).is_(None),
               col(Steal.follow_up_sent_at).is_(None) | by_nudge)
        .order_by(col(Steal.follow_up_due), col(Steal.id))
    )  # fmt: skip
    if not world.horizon:
        query = query.where(~raised(network_id, Steal.member_id, subject, world.now))
    mine: dict[int, list[StealInfo]] = {}
    for s, title in session.exec(query):
        mine.setdefault(s.member_id, []).append(StealInfo(s.id, s.member_id, title, s.mode, s.follow_up_due))
    return mine


def due(steals: dict[int, list[StealInfo]], person: Person, world: World, now: datetime) -> list[FollowUp]:
    return [
        FollowUp(
            RULE,
            f"{SUBJECT}{s.id}",
            person.id,
            s.follow_up_due,
            None,
            f"A while ago you stole *{markup.literal(s.title)}* ({MODE_LABELS.get(s.mode, s.mode)}). How did it go?",
            ANSWERS,
        )  # fmt: skip
        for s in steals.get(person.id, ())
    ]


def answers(subject: str) -> tuple[tuple[str, str], ...]:
    return ANSWERS


def apply(ctx: Context, subject: str, code: str) -> str:
    steal = ctx.session.get(Steal, subject_id(subject))
    if steal is None or steal.member_id != ctx.member.id or code not in OUTCOME_LABELS:
        raise UserError("That follow-up isn't yours to answer.")
    report_outcome(ctx.session, steal, code, ctx.now)
    ctx.open_form(outcome_form(steal.id))
    return f"It {OUTCOME_LABELS[code]}."


def sent(session: Session, subject: str, now: datetime) -> None:
    """Mark the steal as asked, so practices' own follow-up never asks it again."""
    steal = session.get(Steal, subject_id(subject))
    if steal is not None:
        steal.follow_up_sent_at = now
        session.add(steal)


def not_sent(session: Session, subject: str) -> None:
    """The nudge never reached the member: the steal is not asked yet, by either follow-up."""
    steal = session.get(Steal, subject_id(subject))
    if steal is not None and steal.outcome is None:
        steal.follow_up_sent_at = None
        session.add(steal)


SOURCE = FollowUpSource(
    rule=RULE,
    description="\"how did it go?\" when a steal's follow-up falls due",
    load=load, due=due, answers=answers, apply=apply, sent=sent, not_sent=not_sent, opt_out="practices", order=30,
)  # fmt: skip
