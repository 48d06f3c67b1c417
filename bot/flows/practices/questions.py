"""Asking a practice's author: the question goes to them by DM, the answer
comes back to the asker and is kept with the practice, public only if the
author says so (visitors' questions reveal what a source does differently).
"""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.core.errors import FormErrors, UserError
from bot.core.forms import validate
from bot.core.markup import literal
from bot.core.messages import Choice, Field, Form
from bot.core.numbers import parse_id
from bot.core.router import Router
from bot.flows.practices.posts import author_name, load_practice
from bot.store.models import Member
from bot.store.practices import Practice, PracticeQuestion

__all__ = ["register"]

logger = logging.getLogger(__name__)

ASK_FORM = "practice.ask"
ANSWER_FORM = "practice.answer"
LONG = 1500


def _ask_form(p: Practice) -> Form:
    return Form(
        id=ASK_FORM,
        title="Ask the author",
        context=str(p.id),
        submit_label="Send",
        intro=f"Your question about *{literal(p.title)}* goes to its author privately.",
        fields=(
            Field(
                name="question",
                label="Your question",
                hint="What would you ask them over a cup of tea?",
                required=True,
                max_length=LONG,
                multiline=True,
            ),
        ),
    )


def _answer_form(q: PracticeQuestion, p: Practice) -> Form:
    return Form(
        id=ANSWER_FORM,
        title="Answer a question",
        context=str(q.id),
        submit_label="Send",
        fields=(
            Field(
                name="answer", label="Your answer", hint=f"About {p.title}", required=True, max_length=LONG, multiline=True, initial=q.answer or ""
            ),
        ),
    )


def _values(ctx: Context, form: Form) -> dict[str, str]:
    values = {k: (v or "").strip() for k, v in ctx.incoming.form_values.items()}
    errors = validate(form, values)
    if errors:
        raise FormErrors(errors)
    return values


def _on_ask_button(ctx: Context) -> None:
    ctx.keep_choices()
    p = load_practice(ctx, ctx.incoming.value, active=True)
    if p.author_id == ctx.member.id:
        raise UserError(f"That's your own practice. Add what's missing with `/beacon practice edit {p.id}` instead.")
    if not p.author_id:
        contact = f" The post names a contact: {literal(p.contact)}." if p.contact else ""
        raise UserError(f"The author of this practice has left the network, so I can't pass a question on.{contact}")
    ctx.open_form(_ask_form(p))


def _on_ask(ctx: Context) -> None:
    p = load_practice(ctx, ctx.incoming.form_context or "0", active=True)
    if p.author_id == ctx.member.id or not p.author_id:
        raise UserError("I can't pass this question on to the author.")
    question = _values(ctx, _ask_form(p))["question"]
    q = PracticeQuestion(practice_id=p.id, asker_id=ctx.member.id, question=question, created_at=ctx.now)
    ctx.session.add(q)
    ctx.session.flush()
    ctx.dm(
        p.author_id,
        f"*{literal(ctx.member.display_name)}* asks about your practice *{literal(p.title)}*:\n> {literal(question)}",
        choices=[Choice("Answer", "practice.answer", str(q.id), style="primary")],
        key=f"practice.question:{q.id}",
    )
    ctx.reply(f"Sent to {literal(author_name(ctx, p))}. I'll pass their answer back to you here.")


def _question_for_author(ctx: Context, raw: str) -> tuple[PracticeQuestion, Practice]:
    q = ctx.session.get(PracticeQuestion, n) if (n := parse_id(raw)) else None
    p = ctx.session.get(Practice, q.practice_id) if q else None
    if q is None or p is None or p.network_id != ctx.network.id or p.author_id != ctx.member.id:
        raise UserError("Only the practice's author can answer that question.")
    return q, p


def _on_answer_button(ctx: Context) -> None:
    q, p = _question_for_author(ctx, ctx.incoming.value)
    ctx.keep_choices()
    ctx.open_form(_answer_form(q, p))


def _on_answer(ctx: Context) -> None:
    q, p = _question_for_author(ctx, ctx.incoming.form_context)
    answer = _values(ctx, _answer_form(q, p))["answer"]
    q.answer, q.answered_at = answer, ctx.now
    ctx.session.add(q)
    asker = ctx.session.get(Member, q.asker_id) if q.asker_id else None
    if asker is not None:
        ctx.dm(
            asker,
            f"*{literal(ctx.member.display_name)}* answered your question about *{literal(p.title)}*:\n> {literal(q.question)}\n{literal(answer)}",
        )
    choices = [] if q.public else [Choice("Make public", "practice.public", str(q.id)), Choice("Keep private", "practice.private", str(q.id))]
    ctx.reply(
        f"Sent to {literal(asker.display_name) if asker else 'the asker'}. It's kept with practice #{p.id}. "
        + ("" if q.public else "Others could learn from it too: make it public on the post?"),
        choices=choices,
    )


def _on_public(public: bool):
    def handler(ctx: Context) -> None:
        q, p = _question_for_author(ctx, ctx.incoming.value)
        q.public = public
        ctx.session.add(q)
        ctx.edit_choice_message(f"Made public: it shows on `/beacon practice {p.id}`." if public else "Kept private: only you and the asker see it.")

    return handler


def register(router: Router) -> None:
    router.action("practice.ask", _on_ask_button)
    router.form(ASK_FORM, _on_ask)
    router.action("practice.answer", _on_answer_button)
    router.form(ANSWER_FORM, _on_answer)
    router.action("practice.public", _on_public(True))
    router.action("practice.private", _on_public(False))
