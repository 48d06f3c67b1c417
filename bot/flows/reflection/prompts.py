"""Reflection prompts: short action-learning questions by DM, answered in chat.

Each due occurrence reaches each member of the flow's audience at the
scheduled time on their own clock; they answer one message per question
(or all at once), the "what will you do next?" answer becomes a commitment,
and they may share an excerpt. State lives in the store (a Conversation row
and the reflection tables), so a restart resumes at the right question.
Answering lives in :mod:`bot.flows.reflection.chat`, the end of a reflection
in :mod:`bot.flows.reflection.finish`, facilitator commands in
:mod:`bot.flows.reflection.admin`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import col, select

from bot.core import markup
from bot.core.audience import EVERYONE, in_audience
from bot.core.availability import Person, answer_window_end, pause_choice
from bot.core.context import Context
from bot.core.dates.zone import zone
from bot.core.messages import Address, Choice, Outgoing
from bot.flows.reflection.questions import LATER_DELAY, question_set, reminder_due
from bot.store.db import in_lists
from bot.store.flows import FLOW_OF_KIND, ensure_flow
from bot.store.models import CONVERSATION_OF, Conversation, Flow, Member
from bot.store.reflection import Prompt, PromptStatus

__all__ = [
    "KIND", "OWNER", "REMINDER_KIND", "flow_questions", "flow_settings", "prompt_text",
    "open_on_delivery", "question_text", "receives", "reflection_flows", "reply_by", "run", "fan_out", "trigger", "run_reminders", "send_prompt", "send_prompts",
]  # fmt: skip

logger = logging.getLogger(__name__)

KIND = "reflection"
REMINDER_KIND = "reflection_reminders"
REMINDER_SCHEDULE = "0 * * * *"
OWNER = "reflection"
DEFAULTS: dict[str, Any] = {
    "question_set": "weekly",
    "questions": None,
    "audience": EVERYONE,
    "window_hours": 48,
    "allow_share": False,
    "share_channel": None,
}


# -- settings -----------------------------------------------------------------


def flow_settings(flow: Flow | None) -> dict[str, Any]:
    return {**DEFAULTS, **((flow.settings or {}) if flow else {})}


def flow_questions(flow: Flow | None) -> list[str]:
    s = flow_settings(flow)
    return list(s["questions"] or question_set(s["question_set"]) or question_set("weekly"))


def receives(member: Member, now) -> bool:
    """Scheduled prompts skip paused, opted-out and unreachable members.

    ``member`` may also be a row with those columns (a fan-out reads rows).
    """
    return not (member.unreachable or Member.is_paused(member, now) or Member.has_opted_out(member, KIND))


def zone_name(member: Member, network) -> str:
    return member.timezone or network.timezone


def ensure_reminders(ctx: Context) -> None:
    """The hourly reminder flow that goes with a network's reflection flows."""
    ensure_flow(ctx.session, network_id=ctx.network.id, kind=REMINDER_KIND, name="reminders",
                schedule=REMINDER_SCHEDULE, now=ctx.now)  # fmt: skip


# -- sending prompts ------------------------------------------------------------


def _title(flow: Flow | None) -> str:
    return f"{flow.name.replace('_', ' ').capitalize()} reflection" if flow else "Reflection"


def question_text(questions: list[str], index: int, *, so_far: str | None = None) -> str:
    lines = [f"*{index + 1}/{len(questions)}* {markup.literal(questions[index])}"]
    if so_far:
        lines.append(f"_Before:_ {markup.literal(so_far)}")
    return "\n".join(lines)


def reply_by(closes_at: datetime, tz, sent_at: datetime) -> str:
    """When a prompt's window closes, on the member's own clock: "Tuesday 16:00".

    The window is longer than its hours when quiet weekends do not count
    (:func:`bot.core.availability.answer_window_end`), so "within 48 hours"
    would be wrong on a Friday; the day and time are what the member can act on.
    A week or more ahead, the date is added ("Monday 16 November 16:00").
    """
    local = closes_at.astimezone(tz)
    far = (local.date() - sent_at.astimezone(tz).date()).days >= 6
    return f"{local:%A} {local.day} {local:%B} {local:%H:%M}" if far else f"{local:%A} {local:%H:%M}"


def prompt_text(flow: Flow | None, questions: list[str], closes: str, *, waiting: bool = False) -> str:
    """The first DM of an occurrence, exactly as members see it (also used by preview).

    ``closes`` is :func:`reply_by` of the member's own window end.
    """
    n = len(questions)
    head = f"*{_title(flow)}* ({markup.count(n, 'question')}, reply by {closes}; private to you)"
    if waiting:
        return f"{head}\nPress *Answer now* when you're ready."
    how = "Reply here, one message per question. Say *skip* to pass one, *back* to redo the last."
    if n > 1:
        how += f" Or answer all at once in one message, numbered 1–{n}."
    return f"{head}\n\n{question_text(questions, 0)}\n{how}"


def prompt_choices(prompt_id: int | str) -> list[Choice]:
    v = str(prompt_id)
    return [
        Choice("Answer now", "reflection.answer", v, style="primary"),
        Choice("Later today", "reflection.later", v),
        Choice("Skip this week", "reflection.skip", v),
        Choice("Pause reflections", "reflection.pause", v, style="danger"),
        pause_choice(),
    ]


def send_prompt(ctx: Context, flow: Flow | None, member: Member, occurrence: str, *, unprompted: bool = False) -> Prompt | None:
    """Create the member's prompt for ``occurrence`` and DM its first question, once.

    ``unprompted`` (the member did not ask for it now) keeps their quiet hours:
    the prompt then goes at the next allowed time, see :func:`send_prompts`.
    """
    existing = ctx.session.exec(
        select(Prompt.id).where(Prompt.flow_id == (flow.id if flow else None), Prompt.member_id == member.id,
                                Prompt.occurrence == occurrence)
    ).first()  # fmt: skip
    if existing is not None:
        return None
    s, questions = flow_settings(flow), flow_questions(flow)
    person = Person.of(member, ctx.network)
    at = ctx.unprompted_at({member.id: person})[member.id] if unprompted else ctx.now
    keys = (KIND,) if unprompted else None
    prompt = Prompt(
        network_id=ctx.network.id, flow_id=flow.id if flow else None, member_id=member.id, occurrence=occurrence,
        questions=questions, sent_at=at, window_closes_at=answer_window_end(person, at, int(s["window_hours"])),
    )  # fmt: skip
    ctx.session.add(prompt)
    ctx.session.flush()
    key = f"reflection:{prompt.flow_id}:{occurrence}:{member.id}"
    closes = reply_by(prompt.window_closes_at, zone(person.tz), at)
    if at > ctx.now:  # the conversation opens when the prompt arrives (open_on_delivery)
        ctx.dm(member, prompt_text(flow, questions, closes), choices=prompt_choices(prompt.id), key=key, not_before=at, unprompted=keys or False)
        return prompt
    conv = ctx.conversation(member)
    free = conv is None or conv.owner == OWNER
    if free:
        if conv is not None:
            _supersede(ctx, conv)
        ctx.start_conversation(OWNER, {"prompt_id": prompt.id, "index": 0, "stage": "answer"}, member=member)
    text = prompt_text(flow, questions, closes, waiting=not free)
    ctx.dm(member, text, choices=prompt_choices(prompt.id), key=key, unprompted=keys or False)
    return prompt


def _supersede(ctx: Context, conv: Conversation) -> None:
    """A new prompt replaces an unanswered older one (its answers so far are kept)."""
    old = ctx.session.get(Prompt, conv.state.get("prompt_id"))
    if old is not None and old.status in (PromptStatus.SENT, PromptStatus.LATER):
        old.status = PromptStatus.EXPIRED
        ctx.session.add(old)


def send_prompts(ctx: Context, flow: Flow, members: list[Member], occurrence: str, *, at=None, people: dict[int, Person] | None = None) -> int:
    """:func:`send_prompt` for a whole audience, in a handful of statements.

    A scheduled occurrence may reach thousands of members: prompts, their
    conversations and the DMs are written with one executemany each rather
    than several round trips per member. Returns how many prompts were new.

    ``at`` (later than now) sends them when these members' quiet time ends:
    the prompt counts as sent then, so its answer window starts then, and its
    conversation opens only when the DM has gone (:func:`open_on_delivery`),
    so nothing said in the night is taken as an answer to an unseen question.
    ``people`` gives each member's limits, for the answer window.
    """
    session, now = ctx.session, ctx.now
    sent_at = at if at is not None and at > now else now
    already: set[int] = set()
    convs: dict[int, Conversation] = {}
    ids = [m.id for m in members]
    for chunk in in_lists(ids):
        already.update(session.exec(
            select(Prompt.member_id).where(Prompt.flow_id == flow.id, Prompt.occurrence == occurrence,
                                           col(Prompt.member_id).in_(chunk))
        ).all())  # fmt: skip
        convs.update((c.member_id, c) for c in session.exec(select(Conversation).where(col(Conversation.member_id).in_(chunk))))
    todo = [m for m in members if m.id not in already]
    if not todo:
        return 0
    s, questions = flow_settings(flow), flow_questions(flow)
    window = int(s["window_hours"])
    rows = [
        dict(network_id=ctx.network.id, flow_id=flow.id, member_id=m.id, occurrence=occurrence, questions=questions,
             sent_at=sent_at, status=PromptStatus.SENT,
             window_closes_at=answer_window_end(people[m.id], sent_at, window) if people else sent_at + timedelta(hours=window))
        for m in todo
    ]  # fmt: skip
    table = Prompt.__table__  # Core, not ORM bulk insert: a third of the time for 10,000 rows
    prompt_of = {r.member_id: r.id for r in session.connection().execute(insert(table).returning(table.c.id, table.c.member_id), rows)}
    free = {m.id for m in todo if m.id not in convs or convs[m.id].owner == OWNER}
    texts: dict[tuple, str] = {}  # one text per window end, zone and state, not per member: a fan-out is thousands

    def text_for(row: dict, waiting: bool = False) -> str:
        tz_name = people[row["member_id"]].tz if people else ctx.network.timezone
        key = (row["window_closes_at"], tz_name, waiting)
        if key not in texts:
            texts[key] = prompt_text(flow, questions, reply_by(row["window_closes_at"], zone(tz_name), sent_at), waiting=waiting)
        return texts[key]

    if sent_at > now:
        ctx.send_many([
            (f"reflection:{flow.id}:{occurrence}:{r['member_id']}",
             Outgoing(text=text_for(r), to=Address.member(r["member_id"]), choices=tuple(prompt_choices(prompt_of[r["member_id"]]))))
            for r in rows
        ], not_before=sent_at, unprompted=(KIND,))  # fmt: skip
        session.expire_all()
        return len(todo)
    superseded = [convs[i].state.get("prompt_id") for i in free if i in convs]
    if superseded:
        for chunk in in_lists(superseded):
            session.execute(
                update(Prompt)
                .where(col(Prompt.id).in_(chunk), col(Prompt.status).in_((PromptStatus.SENT, PromptStatus.LATER)))
                .values(status=PromptStatus.EXPIRED)
            )
        session.execute(
            update(Conversation.__table__).where(Conversation.__table__.c.id == bindparam("conv_id")).values(
                state=bindparam("new_state"), started_at=now, updated_at=now, owner=OWNER),
            [{"conv_id": convs[i].id, "new_state": {"prompt_id": prompt_of[i], "index": 0, "stage": "answer"}}
             for i in free if i in convs],
        )  # fmt: skip
    fresh = [i for i in free if i not in convs]
    if fresh:
        session.connection().execute(
            insert(Conversation.__table__),
            [dict(member_id=i, owner=OWNER, state={"prompt_id": prompt_of[i], "index": 0, "stage": "answer"},
                  started_at=now, updated_at=now) for i in fresh],
        )  # fmt: skip
    ctx.send_many([
        (f"reflection:{flow.id}:{occurrence}:{r['member_id']}",
         Outgoing(text=text_for(r, waiting=r["member_id"] not in free), to=Address.member(r["member_id"]),
                  choices=tuple(prompt_choices(prompt_of[r["member_id"]]))))
        for r in rows
    ], unprompted=(KIND,))  # fmt: skip
    session.expire_all()  # rows changed behind the ORM's back
    return len(todo)


# built once: every prompt DM delivered runs it
_PROMPT_SENT = select(Prompt).where(Prompt.flow_id == bindparam("flow_id"), Prompt.member_id == bindparam("member_id"),
                                    Prompt.occurrence == bindparam("occurrence"))  # fmt: skip


def open_on_delivery(session, key: str, sent: bool) -> None:
    """A prompt held back for quiet hours has reached the member: open its conversation now.

    Runs for every prompt DM (``reflection:<flow>:<occurrence>:<member>``); one
    sent at once already has its conversation, and a member busy in another
    conversation keeps it (the prompt's *Answer now* opens this one). A prompt
    that did not go (dropped at delivery, or given up on) expires unseen.
    """
    parts = key.split(":")
    if len(parts) < 4:
        return
    try:
        flow_id, member_id = int(parts[1]), int(parts[-1])
    except ValueError:
        return
    prompt = session.exec(_PROMPT_SENT, params={"flow_id": flow_id, "member_id": member_id, "occurrence": ":".join(parts[2:-1])}).first()
    if prompt is None or prompt.status != PromptStatus.SENT:
        return
    if not sent:  # never reached them (they paused overnight, or it could not be delivered): no reminder for it
        prompt.status = PromptStatus.EXPIRED
        session.add(prompt)
        return
    conv = session.exec(CONVERSATION_OF, params={"member_id": member_id}).first()
    state = {"prompt_id": prompt.id, "index": 0, "stage": "answer"}
    if conv is None:
        session.add(Conversation(member_id=member_id, owner=OWNER, state=state, started_at=prompt.sent_at, updated_at=prompt.sent_at))
    elif conv.owner == OWNER and conv.state.get("prompt_id") != prompt.id:
        old = session.get(Prompt, conv.state.get("prompt_id"))
        if old is not None and old.status in (PromptStatus.SENT, PromptStatus.LATER):
            old.status = PromptStatus.EXPIRED
            session.add(old)
        conv.state, conv.started_at, conv.updated_at = state, prompt.sent_at, prompt.sent_at
        session.add(conv)


AFTER = {"after_meeting": "meeting", "after_visit": "visit"}  # question sets that go after an event, not on a schedule


def trigger(flow: Flow) -> str | None:
    """ "meeting" or "visit" for a reflection that goes after each meeting or visit, None for a scheduled one."""
    return AFTER.get(flow_settings(flow)["question_set"])


def run(ctx: Context) -> None:
    """One due occurrence in one time zone: the audience members who live there.

    A reflection that goes after meetings or visits (:func:`trigger`) does
    not run on a schedule, even one set before it took none: it would reach
    everyone every Friday, meeting or not.
    """
    ensure_reminders(ctx)
    flow, tz = ctx.flow, ctx.timezone or ctx.network.timezone
    if trigger(flow) is not None:
        return
    fan_out(ctx, flow, ctx.due_at.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M"), tz=tz)


def fan_out(ctx: Context, flow: Flow, occurrence: str, *, tz: str | None = None) -> int:
    """Send ``occurrence`` of ``flow`` to its audience (those living in ``tz``, when given), once each.

    Each member gets it at the first moment their quiet hours and weekends
    allow, and the gap since their last unprompted message
    (:meth:`bot.core.context.Context.unprompted_at`), at once for most.
    """
    audience = flow_settings(flow)["audience"]
    # rows of just what the audience and pause rules read, not ORM objects:
    # a fan-out reads thousands of members
    stmt = select(
        Member.id,
        Member.display_name,
        Member.timezone,
        Member.cohort,
        Member.is_facilitator,
        Member.is_coordinator,
        Member.unreachable,
        Member.paused_until,
        Member.opted_out,
        Member.quiet_hours,
        Member.quiet_weekends,
    ).where(Member.network_id == ctx.network.id, Member.unreachable == False)  # noqa: E712
    if tz is not None:
        stmt = stmt.where(func.coalesce(Member.timezone, ctx.network.timezone) == tz)
    chosen = [m for m in ctx.session.execute(stmt).all() if in_audience(m, audience) and receives(m, ctx.now)]
    people = {m.id: Person.of(m, ctx.network) for m in chosen}
    by_time: dict = {}
    at = ctx.unprompted_at(people)
    for m in chosen:
        by_time.setdefault(at[m.id], []).append(m)
    sent = sum(send_prompts(ctx, flow, group, occurrence, at=when, people=people) for when, group in sorted(by_time.items()))
    logger.info("reflection flow %s occurrence %s in %s: %d prompts", flow.id, occurrence, tz or "every zone", sent)
    return sent


def run_reminders(ctx: Context) -> None:
    """Hourly: expire prompts whose window closed; send the one reminder where due.

    Reads only the open prompts that could expire or be reminded now (not those already
    reminded, nor a "later" whose delay is still running), as rows of the few columns the
    decision needs, joined to their members'. A 10,000-member network has thousands open
    in the days after a prompt, and none is due most hours: whole prompt and member
    objects are loaded only for the reminders that go.
    """
    rows = ctx.session.execute(_REMINDER_ROWS, {"network_id": ctx.network.id, "now": ctx.now, "later_done": ctx.now - LATER_DELAY}).all()
    expired = [r.prompt_id for r in rows if ctx.now >= r.window_closes_at]
    if expired:
        ctx.session.execute(update(Prompt).where(col(Prompt.id).in_(expired)).values(status=PromptStatus.EXPIRED))
    due = [r for r in rows if ctx.now < r.window_closes_at and _reminder_due(ctx, r, r)]
    if not due:
        return
    # a reminder keeps the gap after the member's other unprompted messages: it tries again next hour,
    # unless waiting would leave no hourly run before the window's last hour (then the gap gives way)
    at = ctx.unprompted_at({r.id: Person.of(r, ctx.network) for r in due})
    going = [r.prompt_id for r in due if not ctx.now < at[r.id] <= r.window_closes_at - REMINDER_LAST_CALL]
    prompts = ctx.session.exec(select(Prompt).where(col(Prompt.id).in_(going))).all() if going else []
    members = ctx.members_by_id(p.member_id for p in prompts)
    for p in sorted(prompts, key=lambda p: p.id):
        member = members[p.member_id]
        index = _current_index(ctx, p, member)
        hours = max(1, int((p.window_closes_at - ctx.now).total_seconds() // 3600))
        text = (f"A gentle reminder: your reflection is still open for about {hours} more hours. "
                f"Only if you have a moment:\n\n{question_text(p.questions, index)}")  # fmt: skip
        choices = [c for c in prompt_choices(p.id) if c.action != "reflection.later"]
        ctx.dm(member, text, choices=choices, key=f"reflection-reminder:{p.id}", not_before=ctx.now, unprompted=(KIND,))
        p.reminded_at = ctx.now
        ctx.session.add(p)


_REMINDER_ROWS = (
    select(
        col(Prompt.id).label("prompt_id"), Prompt.sent_at, Prompt.window_closes_at, Prompt.later_at, Prompt.reminded_at,
        Member.id, Member.display_name, Member.timezone, Member.quiet_hours, Member.quiet_weekends, Member.paused_until,
        Member.opted_out, Member.unreachable,
    )
    .join(Member, col(Member.id) == col(Prompt.member_id))
    .where(
        col(Prompt.network_id) == bindparam("network_id"),
        col(Prompt.status).in_((PromptStatus.SENT, PromptStatus.LATER)),
        (col(Prompt.window_closes_at) <= bindparam("now"))
        | (col(Prompt.reminded_at).is_(None) & (col(Prompt.later_at).is_(None) | (col(Prompt.later_at) <= bindparam("later_done")))),
    )
    .order_by(col(Prompt.id))
)  # fmt: skip
"""What the hourly run decides on: each candidate prompt's times and its member's limits, one row each (built once)."""


REMINDER_LAST_CALL = timedelta(hours=2)
"""A reminder the gap would push past this long before its window closes goes now instead.

It never goes in the window's last hour and the reminder run is hourly, so a
reminder that waits for the gap any later than this would not go at all: a
member with a busy day (other flows' prompts every two hours) lost their one
reminder. The gap is there to avoid a burst; one reminder a little close to
another message is better than a window that closes unannounced.
"""


def _reminder_due(ctx: Context, p, member) -> bool:
    """``p`` and ``member`` may be one row with the prompt's times and the member's limits (:data:`_REMINDER_ROWS`)."""
    if p.reminded_at is not None or member is None or not receives(member, ctx.now):
        return False
    return reminder_due(
        ctx.now,
        sent_at=p.sent_at,
        closes_at=p.window_closes_at,
        later_at=p.later_at,
        tz=ctx.tz_of(member),
        quiet_hours=member.quiet_hours,
        quiet_weekends=member.quiet_weekends,
    )


def _current_index(ctx: Context, prompt: Prompt, member: Member) -> int:
    conv = ctx.conversation(member)
    if conv is not None and conv.owner == OWNER and conv.state.get("prompt_id") == prompt.id:
        return min(int(conv.state.get("index", 0)), len(prompt.questions) - 1)
    return 0


def reflection_flows(ctx: Context) -> list[Flow]:
    return list(ctx.session.exec(FLOW_OF_KIND, params={"network_id": ctx.network.id, "kind": KIND}))
