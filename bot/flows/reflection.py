"""Reflection prompts: short action-learning questions by DM, answered in chat.

Each due occurrence reaches each member of the flow's audience at the
scheduled time on their own clock; they answer one message per question
(or all at once), the "what will you do next?" answer becomes a commitment,
and they may share an excerpt. State lives in the store (a Conversation row
and the reflection tables), so a restart resumes at the right question.
Facilitator commands live in :mod:`bot.flows.reflection_admin`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from .. import markup
from ..context import Context, zone
from ..messages import Choice
from ..router import Router, UserError
from ..store.models import Conversation, Flow, Member, Role
from ..store.reflection import (
    OPEN_PROMPT,
    Commitment,
    Prompt,
    PromptStatus,
    Reflection,
    ReflectionAnswer,
)
from . import commitments
from .commitments import describe_due, parse_commitment
from .questions import commitment_index, question_set, reminder_due, split_all_at_once

__all__ = ["KIND", "REMINDER_KIND", "OWNER", "register", "flow_settings", "flow_questions", "send_prompt"]

logger = logging.getLogger(__name__)

KIND = "reflection"
REMINDER_KIND = "reflection_reminders"
REMINDER_SCHEDULE = "0 * * * *"
OWNER = "reflection"
DEFAULTS: dict[str, Any] = {
    "question_set": "weekly",
    "questions": None,
    "audience": "everyone",
    "window_hours": 48,
    "allow_share": False,
    "share_channel": None,
}
SKIP_WORDS = {"skip", "/skip", "pass", "-"}
BACK_WORDS = {"back", "/back"}
STOP_WORDS = {"stop", "cancel", "/cancel", "/stop"}
YES_WORDS = {"yes", "y", "ok", "okay", "looks right", "right", "correct", "👍"}


# -- settings -----------------------------------------------------------------


def flow_settings(flow: Flow | None) -> dict[str, Any]:
    return {**DEFAULTS, **((flow.settings or {}) if flow else {})}


def flow_questions(flow: Flow | None) -> list[str]:
    s = flow_settings(flow)
    return list(s["questions"] or question_set(s["question_set"]) or question_set("weekly"))


def in_audience(member: Member, audience: str) -> bool:
    """``everyone``, ``cohort:<name>`` or ``role:<role>`` (a role includes those above it)."""
    kind, _, value = (audience or "everyone").partition(":")
    if kind == "cohort":
        return (member.cohort or "").lower() == value.lower()
    if kind == "role":
        try:
            return member.role.allows(Role(value))
        except ValueError:
            return False
    return True


def receives(member: Member, now) -> bool:
    """Scheduled prompts skip paused, opted-out and unreachable members."""
    return not (member.unreachable or member.is_paused(now) or member.has_opted_out(KIND))


def zone_name(member: Member, network) -> str:
    return member.timezone or network.timezone


def ensure_reminders(ctx: Context) -> None:
    """The hourly reminder flow that goes with a network's reflection flows."""
    exists = ctx.session.exec(
        select(Flow.id).where(Flow.network_id == ctx.network.id, Flow.kind == REMINDER_KIND)
    ).first()
    if exists is None:
        ctx.session.add(
            Flow(network_id=ctx.network.id, kind=REMINDER_KIND, name="reminders", schedule=REMINDER_SCHEDULE,
                 settings={}, created_at=ctx.now, updated_at=ctx.now, checked_until=ctx.now)
        )  # fmt: skip
        ctx.session.flush()


# -- sending prompts ------------------------------------------------------------


def _title(flow: Flow | None) -> str:
    return f"{flow.name.replace('_', ' ').capitalize()} reflection" if flow else "Reflection"


def question_text(questions: list[str], index: int, *, so_far: str | None = None) -> str:
    lines = [f"*{index + 1}/{len(questions)}* {markup.literal(questions[index])}"]
    if so_far:
        lines.append(f"_Before:_ {markup.literal(so_far)}")
    return "\n".join(lines)


def prompt_text(flow: Flow | None, questions: list[str], window_hours: int, *, waiting: bool = False) -> str:
    """The first DM of an occurrence, exactly as members see it (also used by preview)."""
    n = len(questions)
    head = f"*{_title(flow)}* ({n} question{'s' if n != 1 else ''}, reply within {window_hours} hours; private to you)"
    if waiting:
        return f"{head}\nPress *Answer now* when you're ready."
    how = "Reply here, one message per question. Say *skip* to pass one, *back* to redo the last."
    if n > 1:
        how += f" Or answer all at once in one message, numbered 1–{n}."
    return f"{head}\n\n{question_text(questions, 0)}\n_{how}_"


def prompt_choices(prompt_id: int | str) -> list[Choice]:
    v = str(prompt_id)
    return [
        Choice("Answer now", "reflection.answer", v, style="primary"),
        Choice("Later today", "reflection.later", v),
        Choice("Skip this week", "reflection.skip", v),
        Choice("Pause reflections", "reflection.pause", v, style="danger"),
    ]


def send_prompt(ctx: Context, flow: Flow | None, member: Member, occurrence: str) -> Prompt | None:
    """Create the member's prompt for ``occurrence`` and DM its first question, once."""
    existing = ctx.session.exec(
        select(Prompt.id).where(Prompt.flow_id == (flow.id if flow else None), Prompt.member_id == member.id,
                                Prompt.occurrence == occurrence)
    ).first()  # fmt: skip
    if existing is not None:
        return None
    s, questions = flow_settings(flow), flow_questions(flow)
    prompt = Prompt(
        network_id=ctx.network.id, flow_id=flow.id if flow else None, member_id=member.id, occurrence=occurrence,
        questions=questions, sent_at=ctx.now, window_closes_at=ctx.now + timedelta(hours=int(s["window_hours"])),
    )  # fmt: skip
    ctx.session.add(prompt)
    ctx.session.flush()
    conv = ctx.conversation(member)
    free = conv is None or conv.owner == OWNER
    if free:
        if conv is not None:
            _supersede(ctx, conv)
        ctx.start_conversation(OWNER, {"prompt_id": prompt.id, "index": 0, "stage": "answer"}, member=member)
    text = prompt_text(flow, questions, int(s["window_hours"]), waiting=not free)
    ctx.dm(member, text, choices=prompt_choices(prompt.id), key=f"reflection:{prompt.flow_id}:{occurrence}:{member.id}")
    return prompt


def _supersede(ctx: Context, conv: Conversation) -> None:
    """A new prompt replaces an unanswered older one (its answers so far are kept)."""
    old = ctx.session.get(Prompt, conv.state.get("prompt_id"))
    if old is not None and old.status in (PromptStatus.SENT, PromptStatus.LATER):
        old.status = PromptStatus.EXPIRED
        ctx.session.add(old)


def run(ctx: Context) -> None:
    """One due occurrence in one time zone: the audience members who live there."""
    ensure_reminders(ctx)
    flow, tz = ctx.flow, ctx.timezone or ctx.network.timezone
    occurrence = ctx.due_at.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")
    audience = flow_settings(flow)["audience"]
    sent = 0
    for member in ctx.members():
        if zone_name(member, ctx.network) != tz or not in_audience(member, audience) or not receives(member, ctx.now):
            continue
        if send_prompt(ctx, flow, member, occurrence) is not None:
            sent += 1
    logger.info("reflection flow %s occurrence %s in %s: %d prompts", flow.id, occurrence, tz, sent)


def run_reminders(ctx: Context) -> None:
    """Hourly: expire prompts whose window closed; send the one reminder where due."""
    prompts = ctx.session.exec(
        select(Prompt).where(Prompt.network_id == ctx.network.id,
                             col(Prompt.status).in_((PromptStatus.SENT, PromptStatus.LATER)))
    ).all()  # fmt: skip
    for p in prompts:
        if ctx.now >= p.window_closes_at:
            p.status = PromptStatus.EXPIRED
            ctx.session.add(p)
            continue
        member = ctx.session.get(Member, p.member_id)
        if p.reminded_at is not None or member is None or not receives(member, ctx.now):
            continue
        if not reminder_due(ctx.now, sent_at=p.sent_at, closes_at=p.window_closes_at, later_at=p.later_at,
                            tz=ctx.tz_of(member), quiet_hours=member.quiet_hours, quiet_weekends=member.quiet_weekends):
            continue  # fmt: skip
        index = _current_index(ctx, p, member)
        hours = max(1, int((p.window_closes_at - ctx.now).total_seconds() // 3600))
        text = (f"A gentle reminder: your reflection is still open for about {hours} more hours. "
                f"Only if you have a moment:\n\n{question_text(p.questions, index)}")  # fmt: skip
        choices = [c for c in prompt_choices(p.id) if c.action != "reflection.later"]
        ctx.dm(member, text, choices=choices, key=f"reflection-reminder:{p.id}")
        p.reminded_at = ctx.now
        ctx.session.add(p)


def _current_index(ctx: Context, prompt: Prompt, member: Member) -> int:
    conv = ctx.conversation(member)
    if conv is not None and conv.owner == OWNER and conv.state.get("prompt_id") == prompt.id:
        return min(int(conv.state.get("index", 0)), len(prompt.questions) - 1)
    return 0


# -- buttons on the prompt ---------------------------------------------------------


def _own_prompt(ctx: Context) -> Prompt:
    try:
        prompt = ctx.session.get(Prompt, int(ctx.incoming.value))
    except (TypeError, ValueError):
        prompt = None
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
    r = ctx.session.exec(select(Reflection).where(Reflection.prompt_id == prompt.id)).first()
    if r is None and create:
        r = Reflection(network_id=prompt.network_id, member_id=prompt.member_id, prompt_id=prompt.id,
                       flow_id=prompt.flow_id, started_at=ctx.now)  # fmt: skip
        ctx.session.add(r)
        ctx.session.flush()
    return r


def _save_answer(ctx: Context, prompt: Prompt, reflection: Reflection, index: int, answer: str | None) -> None:
    late = ctx.now > prompt.window_closes_at
    row = ctx.session.exec(
        select(ReflectionAnswer).where(ReflectionAnswer.reflection_id == reflection.id, ReflectionAnswer.position == index)
    ).first()
    if row is None:
        row = ReflectionAnswer(reflection_id=reflection.id, position=index, question=prompt.questions[index], answered_at=ctx.now)
    row.answer, row.late, row.answered_at = answer, late, ctx.now
    ctx.session.add(row)
    if late and not reflection.late:
        reflection.late = True
        ctx.dm(ctx.member, "_This reply came after the window closed; I've kept it, marked late._")
    ctx.session.add(reflection)


def _on_message(ctx: Context) -> None:
    from .reflection_finish import on_commitment_reply

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
    from .reflection_finish import complete

    ctx.save_conversation(conv, {**state, "index": n})
    complete(ctx, conv, prompt, reflection)


# -- member commands ---------------------------------------------------------------


def reflection_flows(ctx: Context) -> list[Flow]:
    return list(
        ctx.session.exec(
            select(Flow).where(Flow.network_id == ctx.network.id, Flow.kind == KIND).order_by(col(Flow.id))
        )
    )


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
        answers = ctx.session.exec(
            select(ReflectionAnswer).where(ReflectionAnswer.reflection_id == r.id).order_by(col(ReflectionAnswer.position))
        ).all()
        for a in answers:
            parts.append(f"_{markup.literal(a.question)}_\n{markup.literal(a.answer) if a.answer else '(skipped)'}")
    ctx.reply(markup.truncate("\n".join(parts), 3800))


def register(router: Router) -> None:
    from . import reflection_admin, reflection_finish

    router.schedule(KIND, run, per_member_timezone=True)
    router.schedule(REMINDER_KIND, run_reminders)
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
    commitments.register(router)
    reflection_finish.register(router)
    reflection_admin.register(router)
