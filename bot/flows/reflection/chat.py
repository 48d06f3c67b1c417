"""Answering a reflection in chat: the prompt's buttons, one message per question,
"skip", "back", all-at-once answers, late replies, and the member commands.

The conversation state (prompt, question index, stage) is a Conversation row,
so a restart resumes at the right question.
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam
from sqlmodel import col, select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UserError
from bot.core.messages import Choice
from bot.core.numbers import parse_id
from bot.core.router import Router
from bot.flows.reflection.finish import complete, on_commitment_reply
from bot.flows.reflection.prompts import (
    KIND,
    OWNER,
    question_text,
    reflection_flows,
    send_prompt,
)
from bot.flows.reflection.questions import split_all_at_once
from bot.store.reflection import ANSWERS_OF, OPEN_PROMPT, Prompt, PromptStatus, Reflection, ReflectionAnswer

__all__ = ["register", "resume"]

logger = logging.getLogger(__name__)

SKIP_WORDS = {"skip", "/skip", "pass", "-"}
BACK_WORDS = {"back", "/back"}
STOP_WORDS = {"stop", "cancel", "/cancel", "/stop"}

# Statements on every answer's path, built once rather than per message
_REFLECTION_OF = select(Reflection).where(Reflection.prompt_id == bindparam("prompt_id"))
_ANSWER_AT = select(ReflectionAnswer).where(ReflectionAnswer.reflection_id == bindparam("reflection_id"),
                                            ReflectionAnswer.position == bindparam("position"))  # fmt: skip

# -- buttons on the prompt ---------------------------------------------------------


def _own_prompt(ctx: Context) -> Prompt:
    prompt = ctx.session.get(Prompt, n) if (n := parse_id(ctx.incoming.value)) else None
    if prompt is None or prompt.member_id != ctx.member.id:
        raise UserError("That reflection is no longer open. `/beacon reflect` starts a new one.")
    return prompt


def _answer_now(ctx: Context) -> None:
    prompt = _own_prompt(ctx)
    if prompt.status in (PromptStatus.ANSWERED, PromptStatus.SKIPPED):
        ctx.reply(f"This one is already {prompt.status.value}. `/beacon reflections` shows your answers.")
        return
    resume(ctx, prompt)


def resume(ctx: Context, prompt: Prompt) -> None:
    """Open (or reopen) the conversation for ``prompt`` and ask the current question."""
    conv = ctx.conversation()
    if conv is not None and conv.owner == OWNER and conv.state.get("prompt_id") == prompt.id:
        state = dict(conv.state)
    else:
        state = {"prompt_id": prompt.id, "index": _answered_count(ctx, prompt), "stage": "answer"}
        conv = ctx.start_conversation(OWNER, state)
    if state.get("stage") != "answer":
        ctx.dm(ctx.member, "We were checking your commitment: say *yes* if it looks right, or write it again.")
        return
    index = min(int(state["index"]), len(prompt.questions) - 1)
    ctx.dm(ctx.member, question_text(prompt.questions, index) + "\n_Say *skip* to pass, *back* to redo the last._")


def _answered_count(ctx: Context, prompt: Prompt) -> int:
    reflection = _reflection_for(ctx, prompt, create=False)
    if reflection is None:
        return 0
    rows = ctx.session.exec(select(ReflectionAnswer.position).where(ReflectionAnswer.reflection_id == reflection.id)).all()
    return min(len(prompt.questions) - 1, (max(rows) + 1) if rows else 0)


def _later(ctx: Context) -> None:
    prompt = _own_prompt(ctx)
    prompt.status, prompt.later_at, prompt.reminded_at = PromptStatus.LATER, ctx.now, None
    ctx.session.add(prompt)
    ctx.edit_choice_message("✓ Later today: I'll ask once more in a few hours (never in your quiet hours). You can also just reply any time.")


def _skip_week(ctx: Context) -> None:
    prompt = _own_prompt(ctx)
    prompt.status = PromptStatus.SKIPPED
    ctx.session.add(prompt)
    _end_if_current(ctx, prompt)
    ctx.edit_choice_message("✓ Skipped this one. I'll ask again next time.")


def _pause(ctx: Context) -> None:
    prompt = _own_prompt(ctx)
    if prompt.status in OPEN_PROMPT:
        prompt.status = PromptStatus.SKIPPED
        ctx.session.add(prompt)
    _end_if_current(ctx, prompt)
    member = ctx.member
    if not member.has_opted_out(KIND):
        member.opted_out = [*(member.opted_out or []), KIND]
        ctx.session.add(member)
    ctx.edit_choice_message("✓ Reflections paused.")
    ctx.reply(
        "I won't send you reflection prompts until you resume. `/beacon reflect` still works whenever you want one.",
        choices=[Choice("Resume reflections", "reflection.resume", style="primary")],
    )


def _resume_prompts(ctx: Context) -> None:
    member = ctx.member
    member.opted_out = [x for x in (member.opted_out or []) if x != KIND]
    ctx.session.add(member)
    ctx.edit_choice_message("✓ Reflections resumed: you'll get the next one as scheduled.")


def _end_if_current(ctx: Context, prompt: Prompt) -> None:
    conv = ctx.conversation()
    if conv is not None and conv.owner == OWNER and conv.state.get("prompt_id") == prompt.id:
        ctx.end_conversation()


# -- answering in chat ----------------------------------------------------------------


def _reflection_for(ctx: Context, prompt: Prompt, *, create: bool = True) -> Reflection | None:
    r = ctx.session.exec(_REFLECTION_OF, params={"prompt_id": prompt.id}).first()
    if r is None and create:
        r = Reflection(network_id=prompt.network_id, member_id=prompt.member_id, prompt_id=prompt.id,
                       flow_id=prompt.flow_id, started_at=ctx.now)  # fmt: skip
        ctx.session.add(r)
        ctx.session.flush()
    return r


def _save_answer(ctx: Context, prompt: Prompt, reflection: Reflection, index: int, answer: str | None) -> None:
    late = ctx.now > prompt.window_closes_at
    row = ctx.session.exec(_ANSWER_AT, params={"reflection_id": reflection.id, "position": index}).first()
    if row is None:
        row = ReflectionAnswer(reflection_id=reflection.id, position=index, question=prompt.questions[index], answered_at=ctx.now)
    row.answer, row.late, row.answered_at = answer, late, ctx.now
    ctx.session.add(row)
    if late and not reflection.late:
        reflection.late = True
        ctx.dm(ctx.member, "_This reply came after the window closed; I've kept it, marked late._")
    ctx.session.add(reflection)


def _on_message(ctx: Context) -> None:
    conv = ctx.conversation()
    state = dict(conv.state)
    prompt = ctx.session.get(Prompt, state.get("prompt_id"))
    if prompt is None:
        ctx.end_conversation()
        raise UserError("That reflection is closed. `/beacon reflect` starts a new one.")
    text = (ctx.incoming.text or "").strip()
    word = text.lower().rstrip(".!")
    if state.get("stage") in ("commitment", "commitment_edit"):
        on_commitment_reply(ctx, conv, state, prompt, text, word)
        return
    n, index = len(prompt.questions), int(state.get("index", 0))
    if not text:
        ctx.reply("I can only read text here. Please type your answer, or *skip*.")
        return
    if word in STOP_WORDS:
        ctx.end_conversation()
        ctx.reply("Stopped. What you answered so far is kept; press *Answer now* on the prompt to carry on.")
        return
    if prompt.status in (PromptStatus.SENT, PromptStatus.LATER, PromptStatus.EXPIRED, PromptStatus.SKIPPED):
        prompt.status = PromptStatus.ANSWERING
        ctx.session.add(prompt)
    if word in BACK_WORDS:
        if index == 0:
            ctx.reply("This is the first question; there's nothing before it.\n" + question_text(prompt.questions, 0))
            return
        index -= 1
        reflection = _reflection_for(ctx, prompt)
        before = ctx.session.exec(
            select(ReflectionAnswer.answer).where(ReflectionAnswer.reflection_id == reflection.id,
                                                  ReflectionAnswer.position == index)
        ).first()  # fmt: skip
        ctx.save_conversation(conv, {**state, "index": index})
        ctx.reply("Let's redo that one. Your new answer replaces the old.\n" + question_text(prompt.questions, index, so_far=before))
        return
    reflection = _reflection_for(ctx, prompt)
    if word in SKIP_WORDS:
        _save_answer(ctx, prompt, reflection, index, None)
        index += 1
    elif index == 0 and (split := split_all_at_once(text, n)) is not None:
        answers, how = split
        for i, a in enumerate(answers):
            _save_answer(ctx, prompt, reflection, i, a)
        how_text = "numbered answers" if how == "numbered" else "paragraphs"
        ctx.reply(f"I read that as answers to all {n} questions ({how_text}, in order). Say *back* to redo the last one.")
        index = n
    else:
        _save_answer(ctx, prompt, reflection, index, text)
        index += 1
    if index < n:
        ctx.save_conversation(conv, {**state, "index": index})
        ctx.reply(question_text(prompt.questions, index))
        return
    ctx.save_conversation(conv, {**state, "index": n})
    complete(ctx, conv, prompt, reflection)


def _reflect(ctx: Context) -> None:
    conv = ctx.conversation()
    if conv is not None and conv.owner == OWNER:
        prompt = ctx.session.get(Prompt, conv.state.get("prompt_id"))
        if prompt is not None:
            ctx.reply("You're in the middle of a reflection; let's carry on.")
            resume(ctx, prompt)
            return
    flows = reflection_flows(ctx)
    wanted = ctx.arg_text.strip().lower()
    flow = next((f for f in flows if f.name.lower() == wanted), None) if wanted else None
    if wanted and flow is None:
        names = ", ".join(f"`{f.name}`" for f in flows) or "none yet"
        raise UserError(f"There's no reflection called `{wanted}` here. The network's reflections: {names}.")
    flow = flow or next((f for f in flows if f.enabled), flows[0] if flows else None)
    prompt = send_prompt(ctx, flow, ctx.member, f"now:{ctx.now.isoformat(timespec='seconds')}")
    if prompt is None:
        raise UserError("You've just started one; answer the question above.")
    if ctx.member.has_opted_out(KIND):
        ctx.reply("(Scheduled reflections are paused for you.)",
                  choices=[Choice("Resume reflections", "reflection.resume")])  # fmt: skip
    if not ctx.incoming.is_private:
        ctx.reply("I've sent you the first question in a direct message.")


def _reflections(ctx: Context) -> None:
    rows = ctx.session.exec(
        select(Reflection).where(Reflection.member_id == ctx.member.id).order_by(col(Reflection.started_at).desc()).limit(5)
    ).all()
    if not rows:
        ctx.reply("You haven't written a reflection yet. `/beacon reflect` starts one now.")
        return
    tz = ctx.tz_of()
    parts = ["*Your recent reflections* (only you can see these)"]
    for r in rows:
        when = r.started_at.astimezone(tz)
        flags = (" _late_" if r.late else "") + ("" if r.completed_at else " _unfinished_") + (f" _shared {r.shared}_" if r.shared else "")
        parts.append(f"\n*{when:%a} {when.day} {when:%b %Y}*{flags}")
        answers = ctx.session.exec(ANSWERS_OF, params={"reflection_id": r.id}).all()
        for a in answers:
            parts.append(f"_{markup.literal(a.question)}_\n{markup.literal(a.answer) if a.answer else '(skipped)'}")
    ctx.reply(markup.truncate("\n".join(parts), 3800))


def register(router: Router) -> None:
    router.conversation(OWNER, _on_message)
    router.action("reflection.answer", _answer_now)
    router.action("reflection.later", _later)
    router.action("reflection.skip", _skip_week)
    router.action("reflection.pause", _pause)
    router.action("reflection.resume", _resume_prompts)
    router.command(
        "reflect", _reflect, help="Start a reflection now (private to you)", usage="[reflection name]",
        example="/beacon reflect",
        details="Answers go in plain messages, one per question; say skip to pass one or back to redo the last.",
    )  # fmt: skip
    router.alias("reflect", "reflect")
    router.command("reflections", _reflections, help="Read your own past reflections", example="/beacon reflections")
