"""The end of a reflection: the commitment check, the summary, and the offer to share.

Sharing is off unless the flow allows it, and then it is the member's
choice, per reflection: keep private, share anonymously, or share with
their name. Only the one excerpt they saw is posted.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import bindparam
from sqlmodel import select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.followups import FOLLOW_UP_CREATED
from bot.core.messages import Choice
from bot.core.numbers import parse_id
from bot.core.router import Router
from bot.flows.commitments.commitment import describe_due, own_commitment, parse_commitment
from bot.flows.reflection.questions import commitment_index
from bot.store.commitments import Commitment
from bot.store.models import Conversation, Flow
from bot.store.reflection import ANSWERS_OF, Prompt, PromptStatus, Reflection, ReflectionAnswer

__all__ = ["complete", "on_commitment_reply", "register", "share_excerpt"]

logger = logging.getLogger(__name__)

YES_WORDS = {"yes", "y", "ok", "okay", "looks right", "right", "correct", "fine", "👍"}
EXCERPT_LIMIT = 600
_LEARN = re.compile(r"\blearn", re.I)

# built once: every finished reflection reads it, twice
_COMMITMENT_OF = select(Commitment).where(Commitment.reflection_id == bindparam("reflection_id"))


def _answers(ctx: Context, reflection: Reflection) -> list[ReflectionAnswer]:
    return list(ctx.session.exec(ANSWERS_OF, params={"reflection_id": reflection.id}))


def complete(ctx: Context, conv: Conversation, prompt: Prompt, reflection: Reflection) -> None:
    """All questions answered: store it, then check the commitment or finish."""
    reflection.completed_at = reflection.completed_at or ctx.now
    prompt.status = PromptStatus.ANSWERED
    ctx.session.add_all([reflection, prompt])
    ci = commitment_index(prompt.questions)
    answer = next((a.answer for a in _answers(ctx, reflection) if a.position == ci), None) if ci is not None else None
    if not answer:
        finish(ctx, prompt, reflection)
        return
    text, due = parse_commitment(answer, now=ctx.now, tz=ctx.tz_of())
    commitment = ctx.session.exec(_COMMITMENT_OF, params={"reflection_id": reflection.id}).first()
    if commitment is None:
        commitment = Commitment(network_id=reflection.network_id, member_id=reflection.member_id,
                                reflection_id=reflection.id, text=text, created_at=ctx.now, updated_at=ctx.now)  # fmt: skip
        ctx.emit(FOLLOW_UP_CREATED)  # the nudges follow commitments up; a network with no meetings needs them too
    commitment.text, commitment.due_date, commitment.updated_at = text, due, ctx.now
    ctx.session.add(commitment)
    ctx.session.flush()
    ctx.save_conversation(conv, {**conv.state, "stage": "commitment", "commitment_id": commitment.id})
    _ask_commitment(ctx, commitment)


def _ask_commitment(ctx: Context, commitment: Commitment) -> None:
    due = describe_due(commitment.due_date)
    hint = "" if commitment.due_date else ' (add a date if you like, e.g. "by Friday" or "in 2 weeks")'
    ctx.dm(
        ctx.member,
        f"I've noted this as your commitment:\n> {markup.literal(commitment.text)}\n*Due:* {due}{hint}\nDoes that look right?",
        choices=[
            Choice("Looks right", "reflection.commit_ok", str(commitment.id), style="primary"),
            Choice("Change it", "reflection.commit_change", str(commitment.id)),
        ],
    )


def on_commitment_reply(ctx: Context, conv: Conversation, state: dict, prompt: Prompt, text: str, word: str) -> None:
    """A typed reply while we check the commitment: "yes" confirms, anything else replaces it."""
    commitment = ctx.session.get(Commitment, state.get("commitment_id"))
    if commitment is None:
        ctx.end_conversation()
        return
    if state.get("stage") == "commitment" and word in YES_WORDS:
        _confirm(ctx, commitment, prompt)
        return
    if not text:
        ctx.reply('Please write your commitment as text, e.g. "Try the new intake form by Friday".')
        return
    commitment.text, commitment.due_date = parse_commitment(text, now=ctx.now, tz=ctx.tz_of())
    commitment.updated_at = ctx.now
    ctx.session.add(commitment)
    ctx.save_conversation(conv, {**state, "stage": "commitment"})
    _ask_commitment(ctx, commitment)


def _confirm(ctx: Context, commitment: Commitment, prompt: Prompt) -> None:
    commitment.confirmed, commitment.updated_at = True, ctx.now
    ctx.session.add(commitment)
    reflection = ctx.session.get(Reflection, commitment.reflection_id)
    finish(ctx, prompt, reflection)


def _commit_ok(ctx: Context) -> None:
    c = own_commitment(ctx)
    if c.confirmed:
        ctx.reply("That commitment is already confirmed. `/beacon commitments` lists your open ones.")
        return
    reflection = ctx.session.get(Reflection, c.reflection_id)
    prompt = ctx.session.get(Prompt, reflection.prompt_id) if reflection else None
    _confirm(ctx, c, prompt)


def _commit_change(ctx: Context) -> None:
    c = own_commitment(ctx)
    conv = ctx.conversation()
    reflection = ctx.session.get(Reflection, c.reflection_id)
    state = {"prompt_id": reflection.prompt_id if reflection else None, "stage": "commitment_edit", "commitment_id": c.id}
    if conv is not None and conv.owner == "reflection":
        ctx.save_conversation(conv, {**conv.state, **state})
    else:
        ctx.start_conversation("reflection", state)
    c.confirmed = False
    ctx.session.add(c)
    ctx.reply('Write your commitment again, with a date if you like (e.g. "Share the checklist with my team by 20 November").')


def finish(ctx: Context, prompt: Prompt | None, reflection: Reflection | None) -> None:
    """The summary back to the member, and the offer to share when the flow allows it."""
    conv = ctx.conversation()
    if conv is not None and conv.owner == "reflection":
        ctx.end_conversation()
    if reflection is None:
        return
    answers = _answers(ctx, reflection)
    lines = ["*Thank you. Your reflection is saved* (private to you):"]
    for a in answers:
        body = markup.truncate(a.answer, 200) if a.answer else "(skipped)"
        lines.append(f"• _{markup.literal(a.question)}_ {markup.literal(body)}")
    commitment = ctx.session.exec(_COMMITMENT_OF, params={"reflection_id": reflection.id}).first()
    if commitment is not None:
        lines.append(f"Commitment: {markup.literal(commitment.text)} (due {describe_due(commitment.due_date)}). "
                     "`/beacon commitments` shows it any time.")  # fmt: skip
    if reflection.late:
        lines.append("_Some answers came after the window closed; they're kept, marked late._")
    ctx.dm(ctx.member, "\n".join(lines))
    flow = ctx.session.get(Flow, reflection.flow_id) if reflection.flow_id else None
    channel = share_channel(ctx, flow)
    excerpt = share_excerpt(answers)
    if channel and excerpt:
        ctx.dm(
            ctx.member,
            f"Would you like to share this excerpt with the network in #{channel}?\n> {markup.literal(excerpt)}",
            choices=[
                Choice("Share anonymously", "reflection.share", f"{reflection.id}:anonymous"),
                Choice("Share with my name", "reflection.share", f"{reflection.id}:named"),
                Choice("Keep private", "reflection.share", f"{reflection.id}:private", style="primary"),
            ],
        )


def share_channel(ctx: Context, flow: Flow | None) -> str | None:
    settings = (flow.settings or {}) if flow else {}
    if not settings.get("allow_share"):
        return None
    return settings.get("share_channel") or ctx.network.practice_channel


def share_excerpt(answers: list[ReflectionAnswer]) -> str | None:
    """The "what did you learn?" answer (else the first one), kept short."""
    usable = [a for a in answers if a.answer]
    if not usable:
        return None
    best = next((a for a in usable if _LEARN.search(a.question)), usable[0])
    return markup.truncate(best.answer, EXCERPT_LIMIT)


def _share(ctx: Context) -> None:
    raw_id, _, mode = (ctx.incoming.value or "").partition(":")
    reflection = ctx.session.get(Reflection, n) if (n := parse_id(raw_id)) else None
    if reflection is None or reflection.member_id != ctx.member.id:
        raise UserError("I can't find that reflection any more.")
    if mode == "private":
        ctx.edit_choice_message("✓ Kept private. Only you can see it.")
        return
    if reflection.shared:
        ctx.edit_choice_message("✓ Already shared.")
        return
    flow = ctx.session.get(Flow, reflection.flow_id) if reflection.flow_id else None
    channel = share_channel(ctx, flow)
    answers = _answers(ctx, reflection)
    excerpt = share_excerpt(answers)
    if not channel or not excerpt or mode not in ("anonymous", "named"):
        raise UserError("Sharing isn't available for this reflection any more.")
    who = ctx.member.display_name if mode == "named" else "a member"
    ctx.post(channel, f"*From a reflection* ({markup.literal(who)}):\n> {markup.literal(excerpt)}", key=f"reflection-share:{reflection.id}")
    reflection.shared, reflection.shared_at = mode, ctx.now
    for a in answers:
        if a.answer and markup.truncate(a.answer, EXCERPT_LIMIT) == excerpt:
            a.shared = True
            ctx.session.add(a)
            break
    ctx.session.add(reflection)
    ctx.edit_choice_message(f"✓ Shared {'with your name' if mode == 'named' else 'anonymously'} in #{channel}. Thank you!")


def register(router: Router) -> None:
    router.action("reflection.commit_ok", _commit_ok)
    router.action("reflection.commit_change", _commit_change)
    router.action("reflection.share", _share)
