"""Stealing a practice: how it is taken (adapted, accelerated, closely based),
telling the author, an introduction, saving, and the "how did it go?" weeks later.

The follow-up is a scheduled flow kind (``practice_followups``, hourly) whose
row is created on the network's first steal; each run asks the stealers whose
follow-up has fallen due, once each (the outbox key and ``follow_up_sent_at``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from bot.core.context import Context
from bot.core.errors import FormErrors, UserError
from bot.core.followups import FOLLOW_UP_CREATED, planned
from bot.core.forms import validate
from bot.core.home import item
from bot.core.markup import literal
from bot.core.messages import Address, Choice, Field, Form, HomeItem, HomeSection, Outgoing
from bot.core.numbers import parse_id
from bot.core.router import Router
from bot.flows.practices import cards
from bot.flows.practices.posts import author_name, load_practice
from bot.store.flows import ensure_flow
from bot.store.models import Member
from bot.store.practices import Practice, SavedPractice, Steal, StealOutcome, due_followups, report_outcome

__all__ = ["FOLLOWUP_KIND", "OUTCOME_FORM", "outcome_form", "register", "run_followups"]

logger = logging.getLogger(__name__)

STEAL_FORM = "practice.steal"
OUTCOME_FORM = "practice.outcome"
FOLLOWUP_KIND = "practice_followups"
FOLLOWUP_SCHEDULE = "0 * * * *"
DEFAULT_FOLLOW_UP_DAYS = 28


def follow_up_days(ctx: Context) -> int:
    raw = (ctx.network.settings or {}).get("steal_follow_up_days", DEFAULT_FOLLOW_UP_DAYS)
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return DEFAULT_FOLLOW_UP_DAYS


def steal_form(practice_id: int, title: str, existing: Steal | None = None) -> Form:
    meanings = "; ".join(f"*{cards.MODE_LABELS[m]}*: {cards.MODE_MEANINGS[m]}" for m in cards.MODE_LABELS)
    return Form(
        id=STEAL_FORM,
        title="Steal this practice",
        context=str(practice_id),
        submit_label="Steal it",
        intro=f"Stealing *{literal(title)}* with pride.",
        fields=(
            Field(
                name="mode",
                label="How are you taking it?",
                hint=meanings,
                required=True,
                options=tuple(cards.MODE_LABELS.values()),
                initial=cards.MODE_LABELS[existing.mode] if existing else "",
            ),
            Field(
                name="note",
                label="How will you adapt it to your context?",
                hint="One line is plenty.",
                max_length=300,
                initial=existing.adaptation_note if existing else "",
            ),
        ),
    )


def outcome_form(steal_id: int) -> Form:
    """The optional line after "how did it go?", whether practices or the nudges asked."""
    return Form(
        id=OUTCOME_FORM, title="How it went", context=str(steal_id), submit_label="Add",
        fields=(Field(name="note", label="Anything to add, in a line?", hint="What happened, or what you'd tell the author. Optional.", max_length=300),),
    )  # fmt: skip


def _existing(ctx: Context, practice_id: int) -> Steal | None:
    return ctx.session.exec(select(Steal).where(Steal.practice_id == practice_id, Steal.member_id == ctx.member.id)).first()


def _on_steal_button(ctx: Context) -> None:
    ctx.keep_choices()  # the card's buttons stay for everyone else
    p = load_practice(ctx, ctx.incoming.value, active=True)
    if p.author_id == ctx.member.id:
        raise UserError("That's your own practice, so there's nothing to steal. Thank you for sharing it!")
    ctx.open_form(steal_form(p.id, p.title, _existing(ctx, p.id)))


def _on_steal(ctx: Context) -> None:
    p = load_practice(ctx, ctx.incoming.form_context or "0", active=True)
    if p.author_id == ctx.member.id:
        raise UserError("That's your own practice, so there's nothing to steal. Thank you for sharing it!")
    form = steal_form(p.id, p.title)
    values = {k: (v or "").strip() for k, v in ctx.incoming.form_values.items()}
    mode = cards.mode_from_label(values.get("mode", ""))
    errors = validate(form, {**values, "mode": cards.MODE_LABELS.get(mode, values.get("mode", ""))})
    if errors:
        raise FormErrors(errors)
    note = values.get("note", "")
    steal = _existing(ctx, p.id)
    again = steal is not None
    if steal is None:
        steal = Steal(practice_id=p.id, member_id=ctx.member.id, mode=mode, created_at=ctx.now, updated_at=ctx.now)
        steal.follow_up_due = ctx.now + timedelta(days=follow_up_days(ctx))
    steal.mode, steal.adaptation_note, steal.updated_at = mode, note, ctx.now
    ctx.session.add(steal)
    ctx.session.flush()
    _ensure_followup_flow(ctx)
    label = cards.MODE_LABELS[mode]
    author = author_name(ctx, p)
    if p.author_id:
        how = f" ({literal(note)})" if note else ""
        ctx.dm(
            p.author_id,
            f"*{literal(ctx.member.display_name)}* is stealing your practice *{literal(p.title)}*: {label}{how}. "
            "Their note is a clue to what you do differently.",
            key=f"practice.stolen:{p.id}:{ctx.member.id}",  # the author hears once, however often it is re-stolen
        )
    if again:
        ctx.reply(f"Updated your steal of *{literal(p.title)}*: {label}.")
        return
    weeks = round(follow_up_days(ctx) / 7)
    when = f"in {weeks} weeks" if weeks >= 2 and follow_up_days(ctx) % 7 == 0 else f"in {follow_up_days(ctx)} days"
    choices = [Choice(f"Introduce me to {author}", "practice.intro", str(p.id), style="primary")] if p.author_id else []
    ctx.reply(
        f"Noted: you're stealing *{literal(p.title)}* ({label}). I've told {literal(author)}. "
        f"I'll ask you how it went {when}. Want an introduction? The knack often travels best in a conversation.",
        choices=choices,
    )
    logger.info("steal %s of practice %s (%s)", steal.id, p.id, mode)


def _ensure_followup_flow(ctx: Context) -> None:
    """The nudges ask "how did it go?" within each member's weekly cap and quiet
    hours; practices' own follow-up asks instead where a facilitator turned them off."""
    ctx.emit(FOLLOW_UP_CREATED)
    ensure_flow(ctx.session, network_id=ctx.network.id, kind=FOLLOWUP_KIND, name="steal follow-ups",
                schedule=FOLLOWUP_SCHEDULE, now=ctx.now)  # fmt: skip


def _on_intro(ctx: Context) -> None:
    p = load_practice(ctx, ctx.incoming.value)
    steal = _existing(ctx, p.id)
    if steal is None or not p.author_id:
        raise UserError("I can only introduce you to the author of a practice you're stealing.")
    author = author_name(ctx, p)
    me = ctx.member.display_name
    sent = ctx.send(
        Outgoing(
            text=(
                f"{literal(author)}, meet {literal(me)}: {literal(me)} is stealing your practice *{literal(p.title)}* "
                f"({cards.MODE_LABELS[steal.mode]}). {literal(me)}, {literal(author)} knows the parts that don't fit in a post: "
                "what made it work and what to watch out for. Over to you both."
            ),
            to=Address.group((ctx.member.id, p.author_id)),
        ),
        key=f"practice.intro:{p.id}:{ctx.member.id}",
    )
    ctx.edit_choice_message(f"Introduced you to {literal(author)}." if sent else f"You've already been introduced to {literal(author)}.")


def _on_save(ctx: Context) -> None:
    ctx.keep_choices()
    p = load_practice(ctx, ctx.incoming.value, active=True)
    saved = ctx.session.exec(select(SavedPractice).where(SavedPractice.practice_id == p.id, SavedPractice.member_id == ctx.member.id)).first()
    if saved is not None:
        ctx.session.delete(saved)
        ctx.reply(f"Removed *{literal(p.title)}* from your saved practices.")
        return
    ctx.session.add(SavedPractice(practice_id=p.id, member_id=ctx.member.id, created_at=ctx.now))
    ctx.reply(f"Saved *{literal(p.title)}*. `/beacon practices saved` lists what you've saved.")


# -- the follow-up --------------------------------------------------------------------


def run_followups(ctx: Context) -> None:
    """The hourly run: ask each stealer whose follow-up is due how it went, once."""
    if planned(ctx):
        return  # the nudges flow asks instead, within each member's weekly cap and quiet hours
    for steal in due_followups(ctx.session, ctx.network.id, ctx.now):
        member = ctx.session.get(Member, steal.member_id)
        if member is None or member.has_opted_out("practices"):
            steal.follow_up_sent_at = ctx.now  # never ask someone who said no
        elif member.is_paused(ctx.now):
            continue  # ask when they are back
        else:
            p = ctx.session.get(Practice, steal.practice_id)
            ctx.dm(
                member,
                f"A while ago you stole *{literal(p.title)}* ({cards.MODE_LABELS[steal.mode]}). How did it go?",
                choices=[Choice(label.capitalize(), "practice.outcome", f"{steal.id}:{value}") for value, label in cards.OUTCOME_LABELS.items()],
                key=f"practice.followup:{steal.id}:{steal.follow_up_due.isoformat()}",
                unprompted=("practices",),
            )
            steal.follow_up_sent_at = ctx.now
        ctx.session.add(steal)


def _outcome_steal(ctx: Context, steal_id: str) -> Steal:
    steal = ctx.session.get(Steal, n) if (n := parse_id(steal_id)) else None
    if steal is None or steal.member_id != ctx.member.id:
        raise UserError("That follow-up isn't yours to answer.")
    return steal


def _on_outcome_button(ctx: Context) -> None:
    steal_id, _, outcome = ctx.incoming.value.partition(":")
    steal = _outcome_steal(ctx, steal_id)
    if outcome not in {o.value for o in StealOutcome}:
        raise UserError("I didn't recognise that answer; please press one of the buttons.")
    report_outcome(ctx.session, steal, outcome, ctx.now)
    ctx.edit_choice_message(f"{ctx.incoming.message_text or ''}\n✓ {cards.OUTCOME_LABELS[outcome]}".strip())
    ctx.open_form(outcome_form(steal.id))


def _on_outcome_note(ctx: Context) -> None:
    steal = _outcome_steal(ctx, ctx.incoming.form_context)
    note = (ctx.incoming.form_values.get("note") or "").strip()
    if len(note) > 300:
        raise FormErrors({"note": f"That's {len(note)} characters; at most 300, please."})
    steal.outcome_note = note
    ctx.session.add(steal)
    p = ctx.session.get(Practice, steal.practice_id)
    ctx.reply(f"Thank you. It's now shown on `/beacon practice {p.id}` for others thinking of stealing it.")
    if p.author_id and steal.outcome:
        extra = f": {literal(note)}" if note else ""
        ctx.dm(
            p.author_id,
            f"News on *{literal(p.title)}*: {literal(ctx.member.display_name)} says it {cards.OUTCOME_LABELS[steal.outcome]}{extra}.",
            key=f"practice.outcome:{steal.id}:{steal.outcome}",
        )


# -- the member's Home ------------------------------------------------------------------


def _home(ctx: Context) -> HomeSection | None:
    """The practices the member stole (with how it went, or when they'll be asked) and saved."""
    steals = ctx.session.exec(
        select(Steal, Practice).join(Practice, col(Practice.id) == col(Steal.practice_id)).where(Steal.member_id == ctx.member.id)
        .order_by(col(Steal.created_at).desc())
    ).all()  # fmt: skip
    saved = ctx.session.exec(
        select(Practice).join(SavedPractice, col(SavedPractice.practice_id) == col(Practice.id)).where(SavedPractice.member_id == ctx.member.id)
        .order_by(col(SavedPractice.created_at).desc())
    ).all()  # fmt: skip
    if not steals and not saved:
        return None
    items: list[HomeItem] = [_steal_item(ctx, steal, p) for steal, p in steals]
    items += [item(f"*{literal(p.title)}* (saved, `/beacon practice {p.id}`)", Choice("Unsave", "practice.save", str(p.id))) for p in saved]
    return HomeSection(name="practices.mine", title="Practices you stole or saved", items=tuple(items))


def _steal_item(ctx: Context, steal: Steal, p: Practice) -> HomeItem:
    head = f"*{literal(p.title)}* (stolen, {cards.MODE_LABELS.get(steal.mode, steal.mode)})"
    if steal.outcome:
        return item(f"{head}: it {cards.OUTCOME_LABELS.get(steal.outcome, steal.outcome)}.")
    if steal.follow_up_due and steal.follow_up_due > ctx.now:
        due = steal.follow_up_due.astimezone(ctx.tz_of())
        return item(f"{head}: I'll ask how it went around {due:%a} {due.day} {due:%b}.")
    return item(
        f"{head}: how did it go?",
        *(Choice(label.capitalize(), "practice.outcome", f"{steal.id}:{value}") for value, label in cards.OUTCOME_LABELS.items()),
    )


def register(router: Router) -> None:
    router.home_section("practices.mine", _home, order=40)
    router.action("practice.steal", _on_steal_button)
    router.form(STEAL_FORM, _on_steal)
    router.action("practice.intro", _on_intro)
    router.action("practice.save", _on_save)
    router.action("practice.outcome", _on_outcome_button)
    router.form(OUTCOME_FORM, _on_outcome_note)
    router.schedule(FOLLOWUP_KIND, run_followups)
