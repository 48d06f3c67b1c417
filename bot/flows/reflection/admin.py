"""``/beacon reflection …``: facilitators configure reflection flows.

Every change is recorded with its before and after (so it can be undone),
and ``preview`` shows exactly what members will receive and when, on their
own clocks. Facilitators see counts and shared excerpts, never answers.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.core import markup
from bot.core.audience import EVERYONE, audience_text, cohort_audience, in_audience, role_audience
from bot.core.availability import Person, answer_window_end, held_back
from bot.core.confirm import confirm_choices, confirmed
from bot.core.context import Context
from bot.core.dates.friendly import parse_duration
from bot.core.dates.zone import zone
from bot.core.errors import UsageError, UserError
from bot.core.home import item
from bot.core.messages import Choice, HomeSection
from bot.core.router import Router
from bot.flows.reflection.prompts import (
    AFTER,
    DEFAULTS,
    KIND,
    ensure_reminders,
    flow_questions,
    flow_settings,
    prompt_choices,
    prompt_text,
    receives,
    reflection_flows,
    reply_by,
    send_prompt,
    trigger,
    zone_name,
)
from bot.flows.reflection.questions import QUESTION_SETS, question_set, validate_questions
from bot.scheduling.parse import parse_facilitator_schedule, parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.admin import Cohort
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.models import Flow, Role
from bot.store.reflection import Prompt, PromptStatus, Reflection

__all__ = ["register"]

logger = logging.getLogger(__name__)

DEFAULT_SCHEDULE = "every friday 16:00"
AFTER_TEXT = {
    "meeting": "goes to each member two hours after each meeting ends",
    "visit": "goes to each member of a visit trio when they say the visit happened",
}
RUN_NOW = "reflection.run_now"  # the confirm button of run-now; value "<flow id>|<minute asked>" or "cancel"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SETS = ", ".join(QUESTION_SETS)


def _snapshot(flow: Flow) -> dict[str, Any]:
    return {"name": flow.name, "schedule": flow.schedule, "enabled": flow.enabled, "settings": dict(flow.settings or {})}


def _pick(ctx: Context, takes: Callable[[list[str]], bool] = lambda args: False) -> tuple[Flow, list[str]]:
    """The flow named by the first argument (optional when there is only one), and the arguments after it.

    ``takes(args)`` says whether the arguments are the command's own (a
    schedule, ``window 72``), so a first word that is neither a flow's name
    nor the start of the command's own arguments is a misspelled name: it is
    refused with suggestions, even when only one flow exists, rather than run
    on that flow (``reflection run-now montly`` must not send ``weekly``).
    """
    flows = reflection_flows(ctx)
    if not flows:
        raise UserError("There are no reflection flows yet. Add one: `/beacon reflection add weekly`.")
    if ctx.args:
        named = next((f for f in flows if f.name.lower() == ctx.args[0].lower()), None)
        if named is not None:
            return named, ctx.args[1:]
        if not takes(ctx.args):
            raise UserError(_no_such_flow(ctx.args[0], [f.name for f in flows]))
    if len(flows) == 1:
        return flows[0], list(ctx.args)
    names = ", ".join(f"`{f.name}`" for f in flows)
    raise UsageError(f"Which reflection? Name it first; this network has {names}.")


def _no_such_flow(given: str, names: list[str]) -> str:
    close = difflib.get_close_matches(given.lower(), [n.lower() for n in names], n=3, cutoff=0.5)
    said = f"There is no reflection called `{markup.literal(given[:40])}`."
    if close:
        return f"{said} Did you mean {' or '.join(f'`{n}`' for n in close)}?"
    return f"{said} This network has {', '.join(f'`{n}`' for n in names)}."


def _takes_words(*words: str) -> Callable[[list[str]], bool]:
    """The command's own arguments start with one of ``words`` (``edit window 72``), or a slip of one.

    A slip (``edit windw 72``) is left to the command, whose message lists its
    words; anything further from them is taken as a flow's name.
    """
    return lambda args: bool(difflib.get_close_matches(args[0].lower(), words, n=1, cutoff=0.6))


def _takes_schedule(args: list[str]) -> bool:
    """A schedule, unless it only reads as one without its first word (``montly every friday 16:00``)."""
    return _reads_as_schedule(args) or not _reads_as_schedule(args[1:])


def _takes_questions(args: list[str]) -> bool:
    """A built-in set's name, or questions (which have spaces: a bare word is a name)."""
    return question_set(args[0]) is not None or " " in args[0]


def _reads_as_schedule(args: list[str]) -> bool:
    try:
        parse_schedule(" ".join(args))
    except ScheduleError:
        return False
    return True


def _change(ctx: Context, flow: Flow, action: str, before: dict[str, Any]) -> None:
    flow.updated_at = ctx.now
    ctx.session.add(flow)
    ctx.audit(f"reflection.{action}", f"flow:{flow.id}", before=before, after=_snapshot(flow))
    logger.info("reflection flow %s: %s by member %s", flow.id, action, ctx.member.id)


def _set(flow: Flow, **changes: Any) -> None:
    flow.settings = {**(flow.settings or {}), **changes}  # a new dict so the JSON column is marked dirty


# -- commands -----------------------------------------------------------------------


def _add(ctx: Context) -> None:
    if not ctx.args:
        raise UsageError("Give the new reflection a name.")
    name, rest = ctx.args[0].lower(), ctx.args[1:]
    if not _NAME.match(name):
        raise UsageError(f"`{name}` can't be a name: use letters, digits, - or _, up to 40 characters.")
    if any(f.name.lower() == name for f in reflection_flows(ctx)):
        raise UserError(f"There is already a reflection called `{name}`. Change it with `/beacon reflection edit {name}`.")
    set_name = "weekly"
    if rest and question_set(rest[0]) is not None:
        set_name, rest = rest[0], rest[1:]
    elif question_set(name) is not None:
        set_name = name
    set_key = next(k for k, v in QUESTION_SETS.items() if v == question_set(set_name))
    if set_key in AFTER:
        if rest:
            raise UsageError(f"{AFTER_TEXT[AFTER[set_key]].capitalize()}, so it takes no schedule: `/beacon reflection add {name} {set_key}`.")
        schedule_text = None
    else:
        schedule_text = _parse(" ".join(rest) or DEFAULT_SCHEDULE).text
    flow = Flow(network_id=ctx.network.id, kind=KIND, name=name, schedule=schedule_text,
                settings={**DEFAULTS, "question_set": set_key}, created_at=ctx.now, updated_at=ctx.now,
                checked_until=ctx.now)  # fmt: skip
    ctx.session.add(flow)
    ctx.session.flush()
    ensure_reminders(ctx)
    ctx.audit("reflection.add", f"flow:{flow.id}", before=None, after=_snapshot(flow))
    ctx.reply(f"Added the reflection `{name}`.\n\n" + _preview_text(ctx, flow))


def _parse(text: str):
    try:
        return parse_facilitator_schedule(text)
    except ScheduleError as exc:
        raise UsageError(str(exc)) from None


def _schedule(ctx: Context) -> None:
    flow, rest = _pick(ctx, _takes_schedule)
    if trigger(flow) is not None:
        raise UserError(f"`{flow.name}` {AFTER_TEXT[trigger(flow)]}, so it takes no schedule.")
    if not rest:
        raise UsageError(f"`{flow.name}` runs {_describe(flow)}. Give a new schedule to change it.")
    schedule = _parse(" ".join(rest))
    before = _snapshot(flow)
    flow.schedule, flow.checked_until = schedule.text, ctx.now  # no back-filling of past times
    _change(ctx, flow, "schedule", before)
    ctx.reply(f"`{flow.name}` now runs {schedule.describe()}, in each member's own time zone.\n" + _when_text(ctx, flow))


def _questions(ctx: Context) -> None:
    flow, rest = _pick(ctx, _takes_questions)
    if not rest:
        current = "\n".join(f"{i + 1}. {markup.literal(q)}" for i, q in enumerate(flow_questions(flow)))
        ctx.reply(f"*Questions of `{flow.name}`:*\n{current}\nBuilt-in sets: {SETS}.")
        return
    before = _snapshot(flow)
    if len(rest) == 1 and question_set(rest[0]) is not None:
        key = next(k for k, v in QUESTION_SETS.items() if v == question_set(rest[0]))
        _set(flow, question_set=key, questions=None)
    else:
        try:
            _set(flow, questions=validate_questions(rest))
        except ValueError as exc:
            raise UsageError(f"{exc} Or name a built-in set: {SETS}.") from None
    _change(ctx, flow, "questions", before)
    listed = "\n".join(f"{i + 1}. {markup.literal(q)}" for i, q in enumerate(flow_questions(flow)))
    ctx.reply(f"`{flow.name}` will now ask:\n{listed}\n(Prompts already sent keep their questions.)")


def _audience(ctx: Context) -> None:
    flow, rest = _pick(ctx, _takes_words("everyone", "cohort", "role"))
    words = [w.lower() for w in rest]
    if words == [EVERYONE]:
        audience = EVERYONE
    elif len(words) >= 2 and words[0] == "cohort":
        audience = cohort_audience(_existing_cohort(ctx, " ".join(rest[1:])))
    elif len(words) == 2 and words[0] == "role" and words[1] in {r.value for r in Role}:
        audience = role_audience(Role(words[1]))
    else:
        raise UsageError("Say who gets it: `everyone`, `cohort <name>` or `role member|facilitator|coordinator`.")
    before = _snapshot(flow)
    _set(flow, audience=audience)
    _change(ctx, flow, "audience", before)
    ctx.reply(f"`{flow.name}` now goes to {audience_text(audience)}: {markup.count(len(_audience_members(ctx, flow)), 'member')}.")


def _existing_cohort(ctx: Context, name: str) -> str:
    """``name`` as typed, if the network has that cohort (a prompt to nobody is a mistake, not a choice)."""
    known = {c.lower(): c for c in ctx.session.exec(select(Cohort.name).where(Cohort.network_id == ctx.network.id))}
    known |= {m.cohort.lower(): m.cohort for m in ctx.members(include_unreachable=True) if m.cohort and m.cohort.lower() not in known}
    if name.strip().lower() in known:
        return name
    listed = ", ".join(f"`{markup.literal(c)}`" for c in sorted(known.values(), key=str.lower)) or "none yet"
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.6)
    hint = f" Did you mean `{markup.literal(known[close[0]])}`?" if close else ""
    raise UserError(
        f"There is no cohort `{markup.literal(name[:40])}`.{hint} Cohorts: {listed}. Add one with `/beacon cohort add NAME`, "
        "then put people in it with `/beacon cohort assign`."
    )


def _edit(ctx: Context) -> None:
    flow, rest = _pick(ctx, _takes_words("window", "share", "channel"))
    if len(rest) < 2:
        raise UsageError("Say what to change: `window <hours>`, `share on|off` or `channel <name>|none`.")
    what, value = rest[0].lower(), " ".join(rest[1:]).strip()
    before = _snapshot(flow)
    if what == "window":
        try:
            hours = int(value) if value.isdigit() else int(parse_duration(value).total_seconds() // 3600)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not 1 <= hours <= 24 * 14:
            raise UsageError("The reply window must be between 1 hour and 14 days, e.g. `48` or `2d`.")
        _set(flow, window_hours=hours)
        said = f"members have {hours} hours to reply (later replies are still kept, marked late)"
    elif what == "share":
        if value.lower() not in {"on", "off", "yes", "no"}:
            raise UsageError("Say `share on` or `share off`.")
        allow = value.lower() in {"on", "yes"}
        _set(flow, allow_share=allow)
        where = flow_settings(flow)["share_channel"] or ctx.network.practice_channel
        said = (f"members may share an excerpt in #{where}" if where else
                "sharing is on, but set a channel first: `/beacon reflection edit <name> channel <channel>`") if allow else "answers stay private"  # fmt: skip
    elif what == "channel":
        channel = None if value.lower() == "none" else markup.parse_channel(value)
        _set(flow, share_channel=channel)
        said = f"shared excerpts go to #{channel}" if channel else "shared excerpts go to the network's practice channel"
    else:
        raise UsageError(f"I can't change `{what}`. Change `window`, `share` or `channel`; for the rest use schedule, questions or audience.")
    _change(ctx, flow, "edit", before)
    ctx.reply(f"Done: in `{flow.name}`, {said}.")


def _toggle(enabled: bool):
    def handler(ctx: Context) -> None:
        flow, _ = _pick(ctx)
        if flow.enabled == enabled:
            ctx.reply(f"`{flow.name}` is already {'running' if enabled else 'paused'}.")
            return
        before = _snapshot(flow)
        flow.enabled = enabled
        if enabled:
            flow.checked_until = ctx.now  # resume from now: no catching up on missed weeks
        _change(ctx, flow, "resume" if enabled else "pause", before)
        ctx.reply(
            f"`{flow.name}` is {'running again' if enabled else 'paused: no prompts go out'}." + ("\n" + _when_text(ctx, flow) if enabled else "")
        )

    return handler


def _preview(ctx: Context) -> None:
    flow, _ = _pick(ctx)
    ctx.reply(_preview_text(ctx, flow))


def _run_now(ctx: Context) -> None:
    flow, _ = _pick(ctx)
    _ask_run_now(ctx, flow)


def _ask_run_now(ctx: Context, flow: Flow) -> None:
    """Say who would get what, and send only when the facilitator presses the button."""
    audience = _audience_members(ctx, flow)
    who = audience_text(flow_settings(flow)["audience"])
    if not audience:
        ctx.reply(f"Nobody would get `{flow.name}` now: no one in its audience ({who}) receives prompts (paused and opted-out members are skipped).")
        return
    questions = flow_questions(flow)
    members = markup.count(len(audience), "member")
    ctx.reply(
        f"`{flow.name}` would go now to {members} ({who}), each as a direct message with "
        f"{markup.count(len(questions), 'question')}, starting with:\n> {markup.literal(questions[0])}\nSend it?",
        choices=confirm_choices(ctx, RUN_NOW, str(flow.id), f"Send to {members}"),
    )


def _run_now_pressed(ctx: Context) -> None:
    press = confirmed(ctx, again="/beacon reflection run-now <name>")
    if press is None:
        return
    flow = next((f for f in reflection_flows(ctx) if str(f.id) == press.subject), None)
    if flow is None:
        raise UserError("That button no longer does anything. Type `/beacon reflection run-now <name>` to start again.")
    asked = press.asked
    audience = _audience_members(ctx, flow)
    # the asking minute keys it: a second press sends nothing. The members did not ask for it,
    # so it keeps their quiet hours like a scheduled prompt (the facilitator's press is not theirs)
    prompts = [p for m in audience if (p := send_prompt(ctx, flow, m, f"run:{asked}", unprompted=True)) is not None]
    if audience and not prompts:
        ctx.edit_choice_message(f"Everyone in the audience of `{flow.name}` already has it from a moment ago; nothing was sent twice.")
        return
    later = [p for p in prompts if p.sent_at > ctx.now]
    note = f"; {markup.count(len(later), 'member')} in their quiet hours will get it when they end" if later else ""
    now = len(prompts) - len(later)
    ctx.edit_choice_message(f"✓ Sent `{flow.name}` to {markup.count(now, 'member')} now{note}.")


def _list(ctx: Context) -> None:
    flows = reflection_flows(ctx)
    if not flows:
        ctx.reply("No reflection flows yet. Add one: `/beacon reflection add weekly`.")
        return
    since = ctx.now - timedelta(days=28)
    lines = ["*Reflection flows* (last 4 weeks; answers stay private to members)"]
    for f in flows:
        counts = Counter(ctx.session.exec(select(Prompt.status).where(Prompt.flow_id == f.id, Prompt.sent_at >= since)).all())
        shared = ctx.session.exec(
            select(func.count()).select_from(Reflection).where(Reflection.flow_id == f.id, col(Reflection.shared).is_not(None))
        ).one()
        state = "running" if f.enabled else "paused"
        lines.append(
            f"• `{f.name}` ({state}) {_describe(f)}; to {audience_text(flow_settings(f)['audience'])}: "
            f"{sum(counts.values())} sent, {counts[PromptStatus.ANSWERED]} answered, "
            f"{counts[PromptStatus.SKIPPED]} skipped, {shared} shared"
        )
    open_commitments = ctx.session.exec(
        select(func.count()).select_from(Commitment).where(
            Commitment.network_id == ctx.network.id, col(Commitment.status).in_((CommitmentStatus.OPEN, CommitmentStatus.STILL_GOING)))
    ).one()  # fmt: skip
    lines.append(f"Open commitments in the network: {open_commitments}.")
    ctx.reply("\n".join(lines))


# -- texts --------------------------------------------------------------------------------


def _describe(flow: Flow) -> str:
    if trigger(flow) is not None:
        return AFTER_TEXT[trigger(flow)]
    try:
        return parse_schedule(flow.schedule).describe() if flow.schedule else "with no schedule"
    except ScheduleError:
        return f"on an unreadable schedule ({flow.schedule})"


def _audience_members(ctx: Context, flow: Flow) -> list:
    audience = flow_settings(flow)["audience"]
    return [m for m in ctx.members() if in_audience(m, audience) and receives(m, ctx.now)]


def _when_text(ctx: Context, flow: Flow) -> str:
    """Next send time in up to three of the audience's own zones (most common first)."""
    if trigger(flow) is not None:
        return f"*When:* it {AFTER_TEXT[trigger(flow)]}."
    if not flow.schedule:
        return "No schedule yet."
    schedule = parse_schedule(flow.schedule)
    zones = Counter(zone_name(m, ctx.network) for m in _audience_members(ctx, flow)).most_common(3)
    if not zones:
        zones = [(ctx.network.timezone, 0)]
    lines = [f"*When:* {schedule.describe()}, each member's own local time. Next:"]
    for name, count in zones:
        tz = zone(name)
        nxt = schedule.next_after(ctx.now, tz)
        if nxt is None:
            lines.append(f"• {name}: never again")
            continue
        local = nxt.astimezone(tz)
        who = f" ({markup.count(count, 'member')})" if count else ""
        lines.append(f"• {name}{who}: {local:%a} {local.day} {local:%b %H:%M} ({nxt:%a %H:%M} UTC)")
    return "\n".join(lines + [_quiet_warning(ctx, flow, schedule)]).strip()


def _quiet_warning(ctx: Context, flow: Flow, schedule) -> str:
    """How many of the audience are in their quiet hours at the next run, and when they get it instead."""
    members = _audience_members(ctx, flow)
    n, when = held_back(members, ctx.network, lambda tz: schedule.next_after(ctx.now, tz))
    if not n:
        return ""
    return (f"⚠ {n} of {markup.count(len(members), 'member')} are in their quiet hours or weekend then "
            f"and will get it later (most on {when}, their time). Their answer window starts when it arrives.")  # fmt: skip


def _preview_closes(ctx: Context, flow: Flow) -> str:
    """The window end a prompt would state, as the facilitator would read it at the next run.

    Each member reads their own: their zone, and quiet weekends do not count.
    """
    tz, hours = ctx.tz_of(), int(flow_settings(flow)["window_hours"])
    nxt = None
    try:
        nxt = parse_schedule(flow.schedule).next_after(ctx.now, tz) if flow.schedule else None
    except ScheduleError:
        pass
    sent = nxt or ctx.now
    closes = answer_window_end(Person.of(ctx.member, ctx.network), sent, hours) if ctx.member else sent + timedelta(hours=hours)
    return reply_by(closes, tz, sent)


def _preview_text(ctx: Context, flow: Flow) -> str:
    s = flow_settings(flow)
    message = prompt_text(flow, flow_questions(flow), _preview_closes(ctx, flow))
    buttons = " ".join(f"[{c.label}]" for c in prompt_choices(0))
    rest = "\n".join(f"{i + 2}. {markup.literal(q)}" for i, q in enumerate(flow_questions(flow)[1:]))
    where = s["share_channel"] or ctx.network.practice_channel
    share = f"members may share an excerpt in #{where}" if s["allow_share"] and where else "answers stay private"
    members = len(_audience_members(ctx, flow))
    return "\n".join([
        f"*Preview of `{flow.name}`* ({'running' if flow.enabled else 'paused'}) for {audience_text(s['audience'])}: {markup.count(members, 'member')}",
        _when_text(ctx, flow),
        "*Members receive this direct message:*",
        "\n".join(f"> {line}" for line in message.split("\n")),
        f"> {buttons}",
        f"*Then, one at a time:*\n{rest}" if rest else "",
        f"The reply window is {s['window_hours']} hours, not counting quiet weekends; each member reads when theirs ends.",
        f"One reminder at most, never in quiet hours. Sharing: {share}.",
    ]).replace("\n\n\n", "\n\n")  # fmt: skip


# -- the facilitator's Home -----------------------------------------------------------------

HOME_PREVIEW = "reflection.home_preview"  # value: the flow id
HOME_RUN_NOW = "reflection.home_run_now"  # value: the flow id; answers with run-now's confirmation


def _home(ctx: Context) -> HomeSection | None:
    """Each reflection flow's next run, with its preview and run-now a tap away."""
    flows = reflection_flows(ctx)
    if not flows:
        return None
    items = []
    for flow in flows:
        state = "" if flow.enabled else " (paused)"
        items.append(item(f"*{markup.literal(flow.name)}*{state}: {_describe(flow)}. {_next_run(ctx, flow)}",
                          Choice("Preview", HOME_PREVIEW, str(flow.id)), Choice("Run now…", HOME_RUN_NOW, str(flow.id))))  # fmt: skip
    return HomeSection(name="reflection.flows", title="Reflection flows", items=tuple(items))


def _next_run(ctx: Context, flow: Flow) -> str:
    if not flow.enabled or not flow.schedule:
        return "No run planned."
    try:
        nxt = parse_schedule(flow.schedule).next_after(ctx.now, ctx.tz_of())
    except ScheduleError:
        return ""
    if nxt is None:
        return "No run planned."
    local = nxt.astimezone(ctx.tz_of())
    return f"Next: {local:%a} {local.day} {local:%b %H:%M} (your time)."


def _flow_pressed(ctx: Context) -> Flow:
    flow = next((f for f in reflection_flows(ctx) if str(f.id) == ctx.incoming.value), None)
    if flow is None:
        raise UserError("That reflection flow is not there any more. `/beacon reflection list` shows the flows.")
    ctx.keep_choices()
    return flow


def _home_preview(ctx: Context) -> None:
    if not ctx.may(Role.FACILITATOR):
        raise UserError("Only facilitators can preview reflection flows.")
    ctx.reply(_preview_text(ctx, _flow_pressed(ctx)))


def _home_run_now(ctx: Context) -> None:
    if not ctx.may(Role.FACILITATOR):
        raise UserError("Only facilitators can run a reflection flow now.")
    _ask_run_now(ctx, _flow_pressed(ctx))


def register(router: Router) -> None:
    F = Role.FACILITATOR
    router.home_section("reflection.flows", _home, order=210, role=F)
    router.action(HOME_PREVIEW, _home_preview)
    router.action(HOME_RUN_NOW, _home_run_now)
    router.group("reflection", "Scheduled reflection prompts: questions, schedule, audience (for facilitators)")
    cmd = router.command
    cmd(
        "reflection add",
        _add,
        role=F,
        usage="<name> [weekly|after_meeting|after_visit] [schedule]",
        help="Add a reflection flow",
        example="/beacon reflection add weekly weekly every friday 16:00",
        details=f"The question set defaults to weekly and the schedule to {DEFAULT_SCHEDULE}. Built-in sets: {SETS}. "
        "An after_meeting reflection goes two hours after each meeting ends, an after_visit one when a visit trio says it met: "
        "neither takes a schedule.",
    )
    cmd(
        "reflection edit",
        _edit,
        role=F,
        usage="[name] window <hours>|share on|off|channel <name>|none",
        help="Change the reply window, sharing, or the share channel",
        example="/beacon reflection edit weekly window 72",
    )
    cmd(
        "reflection schedule",
        _schedule,
        role=F,
        usage="[name] <schedule>",
        help="When prompts go out, in each member's own time zone",
        example="/beacon reflection schedule weekly every friday 16:00",
        details='Friendly ("every monday and thursday 09:00", "fortnightly on tuesday 10:00") or cron ("0 16 * * FRI").',
    )
    cmd(
        "reflection questions",
        _questions,
        role=F,
        usage='[name] [set | "question" "question" …]',
        help="Show or set the questions (a built-in set or your own)",
        example='/beacon reflection questions weekly "What did you try?" "What will you do next, and by when?"',
        details=f'Built-in sets: {SETS}. The answer to a "what will you do next" question becomes a commitment.',
    )
    cmd(
        "reflection audience",
        _audience,
        role=F,
        usage="[name] everyone|cohort <name>|role <role>",
        help="Who receives the prompts",
        example="/beacon reflection audience weekly cohort North",
    )
    cmd("reflection pause", _toggle(False), role=F, usage="[name]", help="Stop sending prompts for now", example="/beacon reflection pause weekly")
    cmd("reflection resume", _toggle(True), role=F, usage="[name]", help="Start sending prompts again", example="/beacon reflection resume weekly")
    cmd(
        "reflection preview",
        _preview,
        role=F,
        usage="[name]",
        help="Exactly what members will receive, and when on their clocks",
        example="/beacon reflection preview weekly",
    )
    cmd(
        "reflection run-now",
        _run_now,
        role=F,
        usage="[name]",
        help="Send the prompt to the audience right now, once you confirm",
        example="/beacon reflection run-now weekly",
    )
    router.action(RUN_NOW, _run_now_pressed)
    cmd("reflection list", _list, role=F, help="The reflection flows, with counts (never answers)",
        example="/beacon reflection list")  # fmt: skip
