"""Steal with pride: members share practices, find them, and take them home.

This module holds sharing, editing, finding and the facilitators' moderation;
steals and their follow-up live in :mod:`.practice_steals`, questions to the
author in :mod:`.practice_questions`. Cards are worded in :mod:`.practice_cards`.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import func
from sqlmodel import col, select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import FormErrors, UsageError, UserError
from bot.core.forms import validate
from bot.core.markup import literal
from bot.core.messages import Address, Choice, Field, Form, Outgoing
from bot.core.numbers import MAX_ID, parse_number
from bot.flows.practices import cards
from bot.store.models import AuditEntry, Member, Role
from bot.store.practices import (
    Practice,
    PracticeQuestion,
    PracticeStatus,
    SavedPractice,
    Steal,
    posted_card,
    steal_mixes,
    steals_of,
)
from bot.store.search import normalise_tag, search_practices

__all__ = [
    "SHARE_FORM", "author_name", "card_choices", "channel_command", "edit_command", "list_command", "load_practice",
    "moderate_command", "on_keep", "on_share", "on_withdraw", "practice_channel", "refresh_card", "share_command",
    "share_form", "show_command", "undo_moderation", "withdraw_command",
]  # fmt: skip

logger = logging.getLogger(__name__)

SHARE_FORM = "practice.share"
LIST_LIMIT = 10
LONG = 1500


def share_form(p: Practice | None = None) -> Form:
    """The share form; with ``p`` it is the edit form, prefilled."""

    def f(name: str, label: str, hint: str, *, required: bool = False, max_length: int = LONG, multiline: bool = True) -> Field:
        value = getattr(p, name, "") if p else ""
        if name == "tags" and p:
            value = ", ".join(p.tags)
        return Field(name=name, label=label, hint=hint, required=required, max_length=max_length, multiline=multiline, initial=value or "")

    return Form(
        id=SHARE_FORM,
        title="Edit your practice" if p else "Share a practice",
        context=str(p.id) if p else "",
        submit_label="Save" if p else "Share",
        intro="" if p else "Share something that worked, so others can steal it with pride. Only the title and what you did are needed.",
        fields=(
            f(
                "title",
                "Title",
                'A short name others will recognise, e.g. "Buddy walks for new starters"',
                required=True,
                max_length=120,
                multiline=False,
            ),
            f("problem", "The problem or context", "What were you up against? Who was it for?"),
            f("what_we_did", "What we did", "The steps, in plain words.", required=True),
            f("what_made_it_work", "What made it work", "The tacit part: the knack, the relationship, the timing."),
            f("watch_out_for", "What to watch out for", "What would you warn someone trying it?"),
            f("evidence", "Evidence or results", "What changed, and how do you know? (optional)"),
            f("tags", "Tags", "A few words, separated by commas, e.g. induction, peer support", max_length=200, multiline=False),
            f("contact", "Who to contact", "You, or a colleague who knows it best.", max_length=200, multiline=False),
        ),
    )


def card_choices(p: Practice) -> tuple[Choice, ...]:
    pid = str(p.id)
    return (
        Choice("I'll steal this", "practice.steal", pid, style="primary"),
        Choice("Ask the author", "practice.ask", pid),
        Choice("Save", "practice.save", pid),
    )


# -- shared helpers (also used by the steal and question modules) ------------------


def author_name(ctx: Context, p: Practice) -> str:
    author = ctx.session.get(Member, p.author_id) if p.author_id else None
    return author.display_name if author else "a former member"


def practice_channel(ctx: Context) -> str | None:
    return ctx.network.practice_channel or (ctx.network.settings or {}).get("practice_channel")


def practice_number(text: str) -> int:
    raw = text.strip().lstrip("#")
    number = parse_number(raw, high=10**30)
    if number is None:
        raise UsageError(f"`{markup.literal(text[:40])}` isn't a practice number. Numbers are shown as #12 on each post.")
    return number


def load_practice(ctx: Context, number: int | str, *, active: bool = False) -> Practice:
    """The practice in this network that the member may see, else a clear refusal."""
    pid = number if isinstance(number, int) else practice_number(number)
    p = ctx.session.get(Practice, pid) if 0 < pid <= MAX_ID else None
    missing = UserError(f"There is no practice #{pid} here. `/beacon practices` lists them.")
    if p is None or p.network_id != ctx.network.id:
        raise missing
    mine = ctx.member is not None and p.author_id == ctx.member.id
    if p.status == PracticeStatus.WITHDRAWN and not mine:
        raise missing
    if p.status == PracticeStatus.HIDDEN and not (mine or ctx.may(Role.FACILITATOR)):
        raise missing
    if active and p.status != PracticeStatus.ACTIVE:
        raise UserError(f"Practice #{pid} is {p.status}, so it can't be stolen, asked about or saved.")
    return p


def require_author(ctx: Context, p: Practice, doing: str) -> None:
    if ctx.member is None or p.author_id != ctx.member.id:
        raise UserError(
            f"Only the author ({literal(author_name(ctx, p))}) can {doing} practice #{p.id}. "
            "You can ask them something with the *Ask the author* button on the post."
        )


def refresh_card(ctx: Context, p: Practice) -> None:
    """Update the channel card after an edit, withdrawal or moderation (where the platform allows)."""
    row = posted_card(ctx.session, p)
    if row is None:
        return
    channel = row.payload["to"]["channel"]
    if p.status == PracticeStatus.ACTIVE:
        text, choices = cards.card_text(p, author_name(ctx, p), steal_mixes(ctx.session, [p.id])[p.id]), card_choices(p)
    else:
        text, choices = cards.withdrawn_text(p.id), ()
    ctx.send(Outgoing(text=text, to=Address.to_channel(channel), choices=choices, edit=row.platform_message_id))


# -- share and edit ------------------------------------------------------------------


def share_command(ctx: Context) -> None:
    ctx.open_form(share_form())


def _values(ctx: Context, form: Form) -> dict[str, str]:
    values = {k: (v or "").strip() for k, v in ctx.incoming.form_values.items()}
    errors = validate(form, values)
    if errors:
        raise FormErrors(errors)
    return values


def on_share(ctx: Context) -> None:
    context = ctx.incoming.form_context
    p = load_practice(ctx, context) if context else None
    if p is not None:
        require_author(ctx, p, "edit")
    values = _values(ctx, share_form(p))
    fields = {k: values.get(k, "") for k in ("title", "problem", "what_we_did", "what_made_it_work", "watch_out_for", "evidence", "contact")}
    tags = cards.parse_tags(values.get("tags", ""))
    if p is None:
        p = Practice(network_id=ctx.network.id, author_id=ctx.member.id, tags=tags, created_at=ctx.now, updated_at=ctx.now, **fields)
        ctx.session.add(p)
        ctx.session.flush()
        _publish(ctx, p)
        logger.info("practice %s shared in network %s", p.id, ctx.network.id)
        return
    for k, v in fields.items():
        setattr(p, k, v)
    p.tags, p.updated_at = tags, ctx.now
    ctx.session.add(p)
    ctx.session.flush()
    refresh_card(ctx, p)
    ctx.reply(f"Saved your changes to practice #{p.id}, *{literal(p.title)}*.")


def _publish(ctx: Context, p: Practice) -> None:
    channel = practice_channel(ctx)
    if channel is None:
        ctx.reply(
            f"Saved as practice #{p.id}. It isn't posted in a channel yet because this network has none for practices: "
            "a facilitator can set one with `/beacon practice channel <channel>`. "
            "Meanwhile others can find it with `/beacon practices`."
        )
        return
    key = f"practice.card:{p.id}"
    ctx.send(Outgoing(text=cards.card_text(p, author_name(ctx, p)), to=Address.to_channel(channel), choices=card_choices(p)), key=key)
    p.channel_ref = key
    ctx.session.add(p)
    ctx.reply(
        f"Shared as practice #{p.id} in {channel}. Thank you! I'll tell you when someone steals it. Change it with `/beacon practice edit {p.id}`."
    )


# -- find -------------------------------------------------------------------------------


def list_command(ctx: Context) -> None:
    words = list(ctx.args)
    first = words[0].lower() if words else ""
    base = select(Practice).where(Practice.network_id == ctx.network.id)
    active = base.where(Practice.status == PracticeStatus.ACTIVE.value)
    if not words:
        title = "Recent practices"
        found = list(ctx.session.exec(active.order_by(col(Practice.featured).desc(), col(Practice.id).desc()).limit(LIST_LIMIT)))
    elif first == "mine" and len(words) == 1:
        title = "Your practices"
        found = list(
            ctx.session.exec(
                base.where(Practice.author_id == ctx.member.id, Practice.status != PracticeStatus.WITHDRAWN.value).order_by(col(Practice.id).desc())
            )
        )
    elif first == "saved" and len(words) == 1:
        title = "Practices you saved"
        found = list(
            ctx.session.exec(
                active.join(SavedPractice, col(SavedPractice.practice_id) == col(Practice.id))
                .where(SavedPractice.member_id == ctx.member.id)
                .order_by(col(SavedPractice.id).desc())
            )
        )
    elif first == "popular" and len(words) == 1:
        title = "Most stolen practices"
        steals = func.count(Steal.id)
        found = list(
            ctx.session.exec(
                active.join(Steal, col(Steal.practice_id) == col(Practice.id))
                .group_by(Practice.id)
                .order_by(steals.desc(), col(Practice.id).desc())
                .limit(LIST_LIMIT)
            )
        )
    else:
        tags = [w for w in words if w.startswith("#") and normalise_tag(w)]
        rest = " ".join(w for w in words if w not in tags[:1])
        tag = tags[0] if tags else None
        title = "Practices matching " + " ".join(f"“{literal(t)}”" for t in ([rest] if rest else []) + ([tag] if tag else []))
        hits = search_practices(ctx.session, network_id=ctx.network.id, query=rest, tag=tag, limit=LIST_LIMIT)
        by_id = {p.id: p for p in ctx.session.exec(select(Practice).where(col(Practice.id).in_([h.practice_id for h in hits])))}
        found = [by_id[h.practice_id] for h in hits if h.practice_id in by_id]
    if not found:
        ctx.reply(_nothing(first if len(words) == 1 else ""))
        return
    mixes = steal_mixes(ctx.session, [p.id for p in found])
    lines = [f"*{title}*"] + [cards.list_line(p, author_name(ctx, p), mixes[p.id]) for p in found]
    lines.append("`/beacon practice <number>` shows one in full.")
    ctx.reply("\n".join(lines))


def _nothing(what: str) -> str:
    if what == "mine":
        return "You haven't shared a practice yet. `/beacon share` starts one."
    if what == "saved":
        return "You haven't saved any practices. Press *Save* on a post to keep it here."
    if what == "popular":
        return "Nobody has stolen a practice yet. `/beacon practices` lists what's been shared."
    return "No practices match that. Try fewer or different words, a #tag, or `/beacon practices` for the latest."


def show_command(ctx: Context) -> None:
    if len(ctx.args) != 1:
        raise UsageError("Which practice? Give its number.")
    p = load_practice(ctx, ctx.args[0])
    steals = steals_of(ctx.session, p.id)
    names = {m.id: m.display_name for m in ctx.session.exec(select(Member).where(col(Member.id).in_([s.member_id for s in steals])))}
    lines = [cards.StealLine(names.get(s.member_id, "a former member"), s.mode, s.adaptation_note, s.outcome, s.outcome_note) for s in steals]
    me = ctx.member.id
    questions = [
        cards.QuestionLine(q.question, q.answer)
        for q in ctx.session.exec(select(PracticeQuestion).where(PracticeQuestion.practice_id == p.id).order_by(PracticeQuestion.id))
        if q.answer and (q.public or me in (q.asker_id, p.author_id))
    ]
    mix = Counter(s.mode for s in steals)
    choices = card_choices(p) if p.status == PracticeStatus.ACTIVE and p.author_id != me else ()
    ctx.reply(cards.full_text(p, author_name(ctx, p), mix, lines, questions), choices=choices)


def edit_command(ctx: Context) -> None:
    if len(ctx.args) != 1:
        raise UsageError("Which practice? Give its number.")
    p = load_practice(ctx, ctx.args[0])
    require_author(ctx, p, "edit")
    ctx.open_form(share_form(p))


def withdraw_command(ctx: Context) -> None:
    if len(ctx.args) != 1:
        raise UsageError("Which practice? Give its number.")
    p = load_practice(ctx, ctx.args[0])
    require_author(ctx, p, "withdraw")
    if p.status == PracticeStatus.WITHDRAWN:
        raise UserError(f"Practice #{p.id} is already withdrawn.")
    ctx.reply(
        f"Withdraw practice #{p.id}, *{literal(p.title)}*? It disappears from lists and the channel; steals already recorded stay.",
        choices=[Choice("Withdraw it", "practice.withdraw", str(p.id), style="danger"), Choice("Keep it", "practice.keep", str(p.id))],
    )


def on_withdraw(ctx: Context) -> None:
    p = load_practice(ctx, ctx.incoming.value)
    require_author(ctx, p, "withdraw")
    p.status, p.updated_at = PracticeStatus.WITHDRAWN.value, ctx.now
    ctx.session.add(p)
    refresh_card(ctx, p)
    ctx.edit_choice_message(f"Withdrew practice #{p.id}. Thank you for sharing it while it lasted.")


def on_keep(ctx: Context) -> None:
    ctx.edit_choice_message("Kept it: nothing changed.")


# -- facilitators ---------------------------------------------------------------------


def moderate_command(action: str):
    def handler(ctx: Context) -> None:
        if not ctx.args:
            raise UsageError("Which practice? Give its number.")
        p = load_practice(ctx, ctx.args[0])
        before = {"status": p.status, "featured": p.featured, "tags": list(p.tags)}
        extra = ctx.args[1:]
        if action == "feature":
            p.featured = not (extra and extra[0].lower() in ("off", "no", "false"))
            done = "Featured" if p.featured else "Stopped featuring"
        elif action == "hide":
            if p.status == PracticeStatus.WITHDRAWN:
                raise UserError(f"Practice #{p.id} was withdrawn by its author; there is nothing to hide.")
            p.status = PracticeStatus.HIDDEN.value
            done = "Hid"
        elif action == "unhide":
            if p.status != PracticeStatus.HIDDEN:
                raise UserError(f"Practice #{p.id} isn't hidden.")
            p.status = PracticeStatus.ACTIVE.value
            done = "Showed again"
        else:
            tags = cards.parse_tags(" ".join(extra))
            if not tags:
                raise UsageError("Give the new tags, separated by commas.")
            p.tags = tags
            done = "Retagged"
        p.updated_at = ctx.now
        ctx.session.add(p)
        ctx.session.flush()
        ctx.audit(f"practice.{action}", f"practice:{p.id}", before=before, after={"status": p.status, "featured": p.featured, "tags": list(p.tags)})
        refresh_card(ctx, p)
        ctx.reply(f"{done} practice #{p.id}, *{literal(p.title)}*." + (f" Tags: {' '.join('#' + t for t in p.tags)}" if action == "retag" else ""))

    return handler


def undo_moderation(ctx: Context, entry: AuditEntry) -> str:
    """``/beacon undo`` of a feature, hide, unhide or retag: the practice as the entry's ``before`` has it."""
    before = entry.before or {}
    p = ctx.session.get(Practice, int(entry.target.partition(":")[2] or 0))
    if p is None or p.network_id != ctx.network.id:
        raise UserError("That practice no longer exists, so there is nothing to put back.")
    if p.status == PracticeStatus.WITHDRAWN and before.get("status") != PracticeStatus.WITHDRAWN:
        raise UserError(f"Practice #{p.id} has since been withdrawn by its author, so it stays down.")
    p.status, p.featured, p.tags = before["status"], before["featured"], list(before["tags"])
    p.updated_at = ctx.now
    ctx.session.add(p)
    ctx.session.flush()
    refresh_card(ctx, p)
    return f"put practice #{p.id}, *{literal(p.title)}*, back as it was"


def _channel_off(ctx: Context) -> None:
    network = ctx.network
    if practice_channel(ctx) is None:
        raise UserError("New practices aren't posted in a channel already; members find them with `/beacon practices`.")
    before: dict = {"practice_channel": network.practice_channel}
    after: dict = {"practice_channel": None}
    if "practice_channel" in (network.settings or {}):  # the older place for it, which practice_channel() still reads
        before["settings"] = dict(network.settings)
        after["settings"] = {k: v for k, v in network.settings.items() if k != "practice_channel"}
        network.settings = after["settings"]
    network.practice_channel = None
    ctx.session.add(network)
    ctx.audit("practice.channel", "network", before=before, after=after)
    ctx.reply("New practices won't be posted in a channel any more; they are saved and members find them with `/beacon practices`. "
              "`/beacon undo` puts it back.")  # fmt: skip


def channel_command(ctx: Context) -> None:
    if len(ctx.args) != 1:
        raise UsageError("Name the channel where new practices should be posted, or say off.")
    if ctx.args[0].lower() in ("off", "none"):
        _channel_off(ctx)
        return
    channel = markup.parse_channel(ctx.args[0])
    if channel is None:
        raise UsageError("Name the channel where new practices should be posted.")
    before = {"practice_channel": ctx.network.practice_channel}
    ctx.network.practice_channel = channel
    ctx.session.add(ctx.network)
    ctx.audit("practice.channel", "network", before=before, after={"practice_channel": channel})
    ctx.reply(f"New practices will be posted in {channel}.")
