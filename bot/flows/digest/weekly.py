"""The weekly digest for coordinators: what happened, in chat, with a picture.

A ``digest`` flow per network runs on its schedule (default Monday 09:00 in
the network's time zone) and sends the week just gone, compared with the
four before, to the coordinators by direct message (quiet members named)
and to any channels chosen (counts only). Facilitators and coordinators
can send it now, preview it, and change when and to whom it goes; every
change is audited and can be undone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlmodel import col, select

from bot.core.context import Context
from bot.core.dates.zone import zone
from bot.core.errors import UsageError, UserError
from bot.core.home import item
from bot.core.messages import Address, Attachment, Choice, HomeSection
from bot.core.numbers import parse_number
from bot.core.router import Router
from bot.flows.digest.chart import render_chart
from bot.flows.digest.data import build_digest
from bot.flows.digest.flags import TREND_RULE
from bot.flows.digest.participation import weekly
from bot.flows.digest.period import PERIOD_RULE, Period, period_ending
from bot.flows.digest.render import build_doc, to_outgoing, to_text
from bot.scheduling.parse import parse_facilitator_schedule, parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.flows import FLOW_OF_KIND
from bot.store.models import Flow, FlowOccurrence, Member, Network, Role, held_by

__all__ = ["DEFAULTS", "KIND", "compose", "digest_flow", "register", "run", "settings_of"]

logger = logging.getLogger(__name__)

KIND = "digest"
DEFAULT_NAME = "weekly"
DEFAULT_SCHEDULE = "every monday 09:00"
DEFAULTS: dict[str, Any] = {"coordinators": True, "channels": [], "quiet_weeks": 3}
_SLACK_CHANNEL = re.compile(r"^<#([A-Z0-9]+)(?:\|[^>]*)?>$")


# -- the flow row and its settings ------------------------------------------------------


def digest_flow(session, network_id: int) -> Flow | None:
    flows = list(session.exec(FLOW_OF_KIND, params={"network_id": network_id, "kind": KIND}))
    return next((f for f in flows if f.name == DEFAULT_NAME), flows[0] if flows else None)


def settings_of(flow: Flow | None) -> dict[str, Any]:
    merged = {**DEFAULTS, **((flow.settings or {}) if flow else {})}
    merged["channels"] = list(merged.get("channels") or [])
    return merged


def _ensure_flow(ctx: Context) -> tuple[Flow, dict[str, Any] | None]:
    """The network's digest flow and its before-snapshot; created with the default settings if missing,
    but without a schedule: choosing recipients or quiet weeks must not start sending digests."""
    flow = digest_flow(ctx.session, ctx.network.id)
    if flow is not None:
        return flow, _snapshot(flow)
    flow = Flow(network_id=ctx.network.id, kind=KIND, name=DEFAULT_NAME, schedule=None,
                settings=dict(DEFAULTS), created_at=ctx.now, updated_at=ctx.now, checked_until=ctx.now)  # fmt: skip
    ctx.session.add(flow)
    ctx.session.flush()
    return flow, None


def _snapshot(flow: Flow) -> dict[str, Any]:
    return {"name": flow.name, "schedule": flow.schedule, "enabled": flow.enabled, "settings": dict(flow.settings or {})}


def _change(ctx: Context, flow: Flow, action: str, before: dict[str, Any] | None) -> None:
    flow.updated_at = ctx.now
    ctx.session.add(flow)
    ctx.session.flush()
    ctx.audit(f"digest.{action}", f"flow:{flow.id}", before=before, after=_snapshot(flow))
    logger.info("digest flow %s: %s by member %s", flow.id, action, ctx.member.id if ctx.member else None)


# -- composing and sending --------------------------------------------------------------


def current_period(ctx: Context) -> Period:
    """The 7 local days ending at the network's last midnight."""
    return period_ending(ctx.now.astimezone(zone(ctx.network.timezone)).date(), zone(ctx.network.timezone).key)


def compose(session, network: Network, period: Period, *, quiet_weeks: int = 3, chart: bool = True):
    """``(digest, png)`` for one network and period."""
    digest = build_digest(session, network, period, quiet_weeks=quiet_weeks)
    return digest, (render_chart(digest) if chart else None)


def coordinators(session, network_id: int) -> list[Member]:
    return list(session.exec(
        select(Member).where(Member.network_id == network_id, held_by(Role.COORDINATOR),
                             Member.unreachable == False).order_by(Member.id)  # noqa: E712
    ))  # fmt: skip


def fan_out(ctx: Context, settings: dict[str, Any], period: Period, key_base: str) -> tuple[int, list[str]]:
    """Queue the digest for every recipient; returns (coordinators reached, channels)."""
    people = coordinators(ctx.session, ctx.network.id) if settings["coordinators"] else []
    channels = settings["channels"]
    if not people and not channels:
        logger.info("digest for network %s: no recipients", ctx.network.id)
        return 0, []
    weeks = int(settings["quiet_weeks"])
    digest, png = compose(ctx.session, ctx.network, period, quiet_weeks=weeks)
    named = build_doc(digest, names=True, quiet_weeks=weeks)
    counts = build_doc(digest, names=False, quotes=False, quiet_weeks=weeks)
    # a coordinator's digest keeps their quiet hours (not the one who asked for it now); a channel has none
    items = [(f"{key_base}:m{m.id}", to_outgoing(named, Address.member(m.id), image=png)) for m in people]
    asked = [item for item, m in zip(items, people) if ctx.member is not None and m.id == ctx.member.id]
    ctx.send_many(asked)
    ctx.send_unprompted([item for item in items if item not in asked])
    ctx.send_many([(f"{key_base}:#{c}", to_outgoing(counts, Address.to_channel(c), image=png)) for c in channels])
    return len(people), list(channels)


def run(ctx: Context) -> None:
    """Scheduled: the week that ended at the local midnight before this run."""
    tz = zone(ctx.timezone or ctx.network.timezone)
    end_day = ctx.due_at.astimezone(tz).date()
    people, channels = fan_out(ctx, settings_of(ctx.flow), period_ending(end_day, tz.key), f"digest:{ctx.flow.id}:{end_day.isoformat()}")
    logger.info("digest for network %s (%s): %d coordinators, %d channels", ctx.network.id, end_day, people, len(channels))


# -- commands ---------------------------------------------------------------------------


def _who(settings: dict[str, Any]) -> str:
    parts = ["the coordinators by direct message"] if settings["coordinators"] else []
    parts += [f"#{c}" for c in settings["channels"]]
    return " and ".join(parts) if parts else "no one"


def _status(ctx: Context) -> None:
    flow = digest_flow(ctx.session, ctx.network.id)
    settings = settings_of(flow)
    if flow is None or not flow.schedule:
        when = 'not scheduled (set it with `/beacon digest schedule "every monday 09:00"`)'
    else:
        nxt = parse_schedule(flow.schedule).next_after(ctx.now, ctx.network.timezone)
        when = f"{parse_schedule(flow.schedule).describe()}" + (f", next on {nxt:%a %-d %b %H:%M}" if nxt else "")
        if not flow.enabled:
            when += " (switched off)"
    ctx.reply(f"*The digest* goes to {_who(settings)}, {when} ({ctx.network.timezone}).\n"
              f"Members count as quiet after {settings['quiet_weeks']} weeks without a sign of life.\n"
              "`/beacon digest preview` shows it to you now.")  # fmt: skip


def _now(ctx: Context) -> None:
    settings = settings_of(digest_flow(ctx.session, ctx.network.id))
    people, channels = fan_out(ctx, settings, current_period(ctx), f"digest:now:{ctx.key_prefix}")
    if not people and not channels:
        raise UserError("There is no one to send the digest to: make someone a coordinator "
                        "(`/beacon role grant @someone coordinator`) or add a channel (`/beacon digest recipients +#channel`).")  # fmt: skip
    where = [f"{people} coordinator{'s' if people != 1 else ''}"] if people else []
    where += [f"#{c}" for c in channels]
    ctx.audit("digest.sent", "network", after={"to": where})
    ctx.reply(f"Sent the digest to {' and '.join(where)}.")


def _preview(ctx: Context) -> None:
    settings = settings_of(digest_flow(ctx.session, ctx.network.id))
    weeks = int(settings["quiet_weeks"])
    digest, png = compose(ctx.session, ctx.network, current_period(ctx), quiet_weeks=weeks)
    doc = build_doc(digest, names=ctx.may(Role.COORDINATOR), quiet_weeks=weeks)
    ctx.reply(to_text(doc), header=doc.header, attachment=Attachment.picture(png, "digest.png") if png else None)


def _schedule(ctx: Context) -> None:
    if not ctx.args:
        raise UsageError('Say when the digest should go, e.g. "every monday 09:00".')
    if ctx.arg_text.strip().lower() in ("off", "none"):
        _schedule_off(ctx)
        return
    try:
        schedule = parse_facilitator_schedule(ctx.arg_text)
    except ScheduleError as exc:
        raise UsageError(str(exc)) from None
    flow, before = _ensure_flow(ctx)
    flow.schedule, flow.enabled, flow.checked_until = schedule.text, True, ctx.now
    _change(ctx, flow, "schedule", before)
    nxt = schedule.next_after(ctx.now, ctx.network.timezone)
    ctx.reply(f"The digest now goes {schedule.describe()} ({ctx.network.timezone})"
              + (f"; next on {nxt.astimezone(zone(ctx.network.timezone)):%a %-d %b at %H:%M}." if nxt else ".")
              + " `/beacon undo` puts it back.")  # fmt: skip


def _schedule_off(ctx: Context) -> None:
    flow = digest_flow(ctx.session, ctx.network.id)
    if flow is None or not flow.schedule:
        raise UserError("The digest isn't scheduled, so there is nothing to switch off.")
    before = _snapshot(flow)
    flow.schedule = None
    _change(ctx, flow, "schedule", before)
    ctx.reply(f'The digest won\'t go on its own any more; `/beacon digest now` still sends it, and `/beacon digest schedule "{DEFAULT_SCHEDULE}"` '
              "starts it again. `/beacon undo` puts it back.")  # fmt: skip


def _channel(token: str) -> str:
    m = _SLACK_CHANNEL.match(token)
    name = m.group(1) if m else token.lstrip("#")
    if not name or len(name) > 100 or " " in name:
        raise UsageError(f"`{token}` isn't a channel: write it like #coordinators.")
    return name


def _recipients(ctx: Context) -> None:
    if not ctx.args:
        settings = settings_of(digest_flow(ctx.session, ctx.network.id))
        ctx.reply(f"The digest goes to {_who(settings)}.")
        return
    flow, before = _ensure_flow(ctx)
    settings = settings_of(flow)
    for token in ctx.args:
        word = token.lower()
        if word in ("coordinators", "+coordinators"):
            settings["coordinators"] = True
        elif word == "-coordinators":
            settings["coordinators"] = False
        elif token.startswith("+"):
            name = _channel(token[1:])
            if name not in settings["channels"]:
                settings["channels"].append(name)
        elif token.startswith("-"):
            name = _channel(token[1:])
            if name not in settings["channels"]:
                raise UserError(f"The digest doesn't go to #{name}; it goes to {_who(settings)}.")
            settings["channels"].remove(name)
        else:
            raise UsageError(f"I don't know `{token}`: use coordinators, -coordinators, +#channel or -#channel.")
    flow.settings = settings
    _change(ctx, flow, "recipients", before)
    note = "" if settings["coordinators"] or settings["channels"] else " Nobody will receive it until you add someone."
    ctx.reply(f"The digest now goes to {_who(settings)}.{note} Channels see counts only, never names. `/beacon undo` puts it back.")


def _quiet(ctx: Context) -> None:
    weeks = parse_number(ctx.args[0], low=1, high=26) if len(ctx.args) == 1 else None
    if weeks is None:
        raise UsageError("Give a number of weeks from 1 to 26.")
    flow, before = _ensure_flow(ctx)
    flow.settings = {**settings_of(flow), "quiet_weeks": weeks}
    _change(ctx, flow, "quiet", before)
    ctx.reply(f"Members now count as quiet after {weeks} weeks without a sign of life.")


# -- the facilitator's Home -----------------------------------------------------------------

HOME_PREVIEW = "digest.home_preview"


def _home(ctx: Context) -> HomeSection:
    """This period's answer rate, the last digest and the next, and the preview a tap away."""
    week = weekly(ctx.session, ctx.network.id, current_period(ctx))[-1]
    rate = f"{week.answer_rate:.0%} of {week.sent} prompts answered" if week.answer_rate is not None else "no prompts sent"
    lines = [f"The last 7 days: {rate}."]
    flow = digest_flow(ctx.session, ctx.network.id)
    tz = ctx.tz_of()
    last = ctx.session.exec(
        select(FlowOccurrence).where(FlowOccurrence.flow_id == flow.id).order_by(col(FlowOccurrence.ran_at).desc())
    ).first() if flow is not None else None  # fmt: skip
    if last is not None:
        ran = last.ran_at.astimezone(tz)
        lines.append(f"Last digest: {ran:%a} {ran.day} {ran:%b %H:%M} (your time), to {last.recipients}.")
    if flow is not None and flow.enabled and flow.schedule:
        nxt = parse_schedule(flow.schedule).next_after(ctx.now, ctx.network.timezone)
        if nxt is not None:
            local = nxt.astimezone(tz)
            lines.append(f"Next digest: {local:%a} {local.day} {local:%b %H:%M} (your time), to {_who(settings_of(flow))}.")
    else:
        lines.append("The digest is not scheduled (`/beacon digest schedule`).")
    return HomeSection(name="digest.glance", title="Digest", items=(item("\n".join(lines)),), choices=(Choice("Digest preview", HOME_PREVIEW),))


def _home_preview(ctx: Context) -> None:
    if not ctx.may((Role.FACILITATOR, Role.COORDINATOR)):
        raise UserError("Only facilitators and coordinators can preview the digest.")
    ctx.keep_choices()
    _preview(ctx)


def register(router: Router) -> None:
    router.home_section("digest.glance", _home, order=230, role=(Role.FACILITATOR, Role.COORDINATOR))
    router.action(HOME_PREVIEW, _home_preview)
    router.group("digest", "The weekly digest for coordinators")
    router.schedule(KIND, run)
    f = Role.FACILITATOR
    reader = (Role.FACILITATOR, Role.COORDINATOR)  # coordinators read the digest; facilitators configure it
    router.command("digest", _status, role=reader, help="When the digest goes, and to whom", example="/beacon digest")
    router.command("digest now", _now, role=f, help="Send the digest of the last 7 days to its recipients now",
                   example="/beacon digest now")  # fmt: skip
    router.command("digest preview", _preview, role=reader, help="Show the digest of the last 7 days to you only",
                   example="/beacon digest preview",
                   details=f"Coordinators see quiet members by name; others see counts. {TREND_RULE} {PERIOD_RULE}")  # fmt: skip
    router.command("digest schedule", _schedule, role=f, help="Change when the digest goes (network time)",
                   usage='"<schedule>" | off', example='/beacon digest schedule "every monday 09:00"')  # fmt: skip
    router.command("digest recipients", _recipients, role=f, help="Choose who gets the digest",
                   usage="coordinators|-coordinators|+#channel|-#channel …", example="/beacon digest recipients +#coordinators",
                   details="Coordinators get it by direct message with quiet members named; a channel gets counts only.")  # fmt: skip
    router.command("digest quiet", _quiet, role=f, help="After how many weeks without activity a member counts as quiet",
                   usage="<weeks>", example="/beacon digest quiet 3")  # fmt: skip
