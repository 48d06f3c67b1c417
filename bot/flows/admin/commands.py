"""Network administration: ``/beacon setup``, members, roles and cohorts.

The first person to talk to Beacon in a network (or a platform admin, or one
named in ``config/beacon.yaml``) is its facilitator; ``/beacon setup`` walks
them through the network's name, time zone, practice channel and which flows
to turn on, and tells them how members join. Every change is audited as one
entry, so ``/beacon undo`` takes a whole setup back.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core import markup
from bot.core.context import Context
from bot.core.dates.zone import parse_zone
from bot.core.errors import FormErrors, UserError
from bot.core.forms import validate
from bot.core.messages import Field, Form
from bot.core.router import Router
from bot.flows.admin.audit import NETWORK_FIELDS, restore_flow
from bot.scheduling.parse import parse_facilitator_schedule, parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.flows import FLOW_OF_KIND
from bot.store.models import AuditEntry, Flow, Role

__all__ = ["register", "SETUP_FLOWS", "SETUP_FORM"]

logger = logging.getLogger(__name__)

SETUP_FORM = "admin.setup"
SETUP_FLOWS: dict[str, tuple[str, str, str]] = {
    # kind: (default flow name, default schedule, what it does)
    "reflection": ("weekly", "every friday 16:00", "Reflection prompts: action-learning questions by direct message"),
    "pairing": ("fortnightly", "every 2 weeks on monday 10:00", "Learning pairs: who meets whom"),
    "digest": ("weekly", "every monday 09:00", "The digest for coordinators: participation and trends"),
}
OFF_WORDS = {"", "off", "no", "none", "-"}
ZONE_EXAMPLES = "Europe/London, Europe/Berlin, America/New_York, Africa/Nairobi, Asia/Kolkata, Australia/Sydney"


def join_wording(platform: str) -> str:
    """How members join, in the words of their platform."""
    if platform == "slack":
        return ("*How members join:* they write to the bot (find *Beacon* under Apps and send it a message), "
                "or type `/beacon join` in the network's channel.")  # fmt: skip
    if platform == "telegram":
        return ("*How members join:* they open a private chat with the bot and press *Start* (write to the bot), "
                "or write `/beacon join` in this group.")  # fmt: skip
    return "*How members join:* they write to the bot, or write `/beacon join` in the network's channel."


def _flow_of(ctx: Context, kind: str) -> Flow | None:
    flows = list(ctx.session.exec(FLOW_OF_KIND, params={"network_id": ctx.network.id, "kind": kind}))
    default_name = SETUP_FLOWS[kind][0]
    return next((f for f in flows if f.name == default_name), flows[0] if flows else None)


def _flow_snapshot(flow: Flow | None) -> dict[str, Any] | None:
    if flow is None:
        return None
    return {"id": flow.id, "name": flow.name, "schedule": flow.schedule, "enabled": flow.enabled, "settings": dict(flow.settings or {})}


def _network_snapshot(ctx: Context) -> dict[str, Any]:
    n = ctx.network
    return {"name": n.name, "timezone": n.timezone, "practice_channel": n.practice_channel}


def setup_form(ctx: Context) -> Form:
    n = ctx.network
    inc = ctx.incoming
    channel = n.practice_channel or (inc.conversation if inc and not inc.is_private and inc.conversation else "")
    if ctx.platform == "telegram":
        channel_hint = "Where shared practices are posted: this group's id is filled in; keep it, or skip for none."
    else:
        channel_hint = "Where shared practices are posted, e.g. #practices (skip for none)."
    fields = [
        Field(name="name", label="Network name", required=True, max_length=200, initial=n.name,
              hint="What members see, e.g. North West Housing Learning Network."),
        Field(name="timezone", label="Time zone", required=True, max_length=64, initial=n.timezone,
              hint=f"A city or zone name such as {ZONE_EXAMPLES}. Members may set their own."),
        Field(name="practice_channel", label="Practice channel", max_length=100, initial=channel or "", hint=channel_hint),
    ]  # fmt: skip
    for kind, (_name, default, what) in SETUP_FLOWS.items():
        flow = _flow_of(ctx, kind)
        initial = (flow.schedule or default) if flow is not None and flow.enabled else ("off" if flow else default)
        fields.append(Field(name=kind, label=what, max_length=200, initial=initial,
                            hint=f'When it runs, e.g. "{default}"; write off to turn it off.'))  # fmt: skip
    return Form(
        id=SETUP_FORM,
        title="Set up Beacon",
        fields=tuple(fields),
        submit_label="Save",
        intro="Let's set up this network: six short questions. Each has a sensible answer filled in; say *keep* to keep it.",
    )


def _setup(ctx: Context) -> None:
    if ctx.args:
        raise UserError("`/beacon setup` takes no arguments: it asks its questions one by one.")
    ctx.open_form(setup_form(ctx))


def _check(ctx: Context | None, name: str, value: str) -> str | None:
    """What is wrong with one setup answer, or None: the guided chat asks that question again at once."""
    value = (value or "").strip()
    if name == "name" and not value:
        return "The network needs a name."
    if name == "timezone":
        try:
            parse_zone(value)
        except ValueError as exc:
            return markup.literal(str(exc))
    if name in SETUP_FLOWS and value.lower() not in OFF_WORDS:
        try:
            parse_facilitator_schedule(value)
        except ScheduleError as exc:
            return f"{SETUP_FLOWS[name][2].split(':')[0]}: {exc}"
    return None


def _validate(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str | None]]:
    errors = {k: problem for k in ("name", "timezone", *SETUP_FLOWS) if (problem := _check(None, k, values.get(k) or ""))}
    if errors:
        raise FormErrors(errors)
    schedules: dict[str, str | None] = {}
    for kind in SETUP_FLOWS:
        raw = (values.get(kind) or "").strip()
        schedules[kind] = None if raw.lower() in OFF_WORDS else parse_facilitator_schedule(raw).text
    network = {"name": (values.get("name") or "").strip(), "timezone": parse_zone((values.get("timezone") or "").strip()),
               "practice_channel": markup.parse_channel(values.get("practice_channel") or "")}  # fmt: skip
    return network, schedules


def _apply_flow(ctx: Context, kind: str, schedule: str | None) -> tuple[dict | None, dict | None, str]:
    flow = _flow_of(ctx, kind)
    before = _flow_snapshot(flow)
    label = SETUP_FLOWS[kind][2].split(":")[0]
    if schedule is None:
        if flow is not None and flow.enabled:
            flow.enabled, flow.updated_at = False, ctx.now
            ctx.session.add(flow)
        return before, _flow_snapshot(flow), f"{label}: off"
    if flow is None:
        flow = Flow(network_id=ctx.network.id, kind=kind, name=SETUP_FLOWS[kind][0], schedule=schedule,
                    created_at=ctx.now, updated_at=ctx.now, checked_until=ctx.now)  # fmt: skip
    else:
        if flow.schedule != schedule or not flow.enabled:
            flow.checked_until = ctx.now  # start counting from now, no catch-up of old slots
        flow.schedule, flow.enabled, flow.updated_at = schedule, True, ctx.now
    ctx.session.add(flow)
    ctx.session.flush()
    described = parse_schedule(schedule).describe()
    missing = "" if kind in ctx.router.schedules else " (this flow is not installed yet; it starts when it is)"
    return before, _flow_snapshot(flow), f"{label}: {described}{missing}"


def _setup_submitted(ctx: Context) -> None:
    too_long = {k: v for k, v in validate(setup_form(ctx), ctx.incoming.form_values).items() if "too long" in v}
    if too_long:
        raise FormErrors(too_long)
    network_after, schedules = _validate(ctx.incoming.form_values)
    before = {"network": _network_snapshot(ctx), "flows": {}}
    after = {"network": network_after, "flows": {}}
    for key, value in network_after.items():
        setattr(ctx.network, key, value)
    ctx.session.add(ctx.network)
    lines = [f"*{markup.literal(ctx.network.name)}* is set up. Time zone {ctx.network.timezone}."]
    channel = ctx.network.practice_channel
    lines.append(f"Shared practices go to {markup.literal(channel)}." if channel else "No practice channel yet.")
    for kind, schedule in schedules.items():
        b, a, line = _apply_flow(ctx, kind, schedule)
        before["flows"][kind], after["flows"][kind] = b, a
        lines.append(f"• {line}")
    ctx.audit("network.setup", "network", before=before, after=after)
    logger.info("network %s set up by member %s", ctx.network.id, ctx.member.id)
    lines += ["", join_wording(ctx.platform),
              "Next: `/beacon members` to see who has joined, `/beacon role grant @someone coordinator` for whoever reads the digest, "
              "`/beacon undo` to take this setup back."]  # fmt: skip
    ctx.reply("\n".join(lines))


def _undo_setup(ctx: Context, entry: AuditEntry) -> str:
    before = entry.before or {}
    for key, value in (before.get("network") or {}).items():
        if key in NETWORK_FIELDS:
            setattr(ctx.network, key, value)
    ctx.session.add(ctx.network)
    done = ["put the network's name, time zone and channel back"]
    for kind, snap in (before.get("flows") or {}).items():
        after = ((entry.after or {}).get("flows") or {}).get(kind)
        if after is None:
            continue
        done.append(restore_flow(ctx, after["id"], snap))
    return "; ".join(done)


def register(router: Router) -> None:
    router.command(
        "setup", _setup, role=Role.FACILITATOR, example="/beacon setup",
        help="Set up this network: name, time zone, practice channel, which flows run, how members join",
        details="Asks six questions with sensible answers filled in (reflection Fridays 16:00, pairing every two weeks, digest Mondays 09:00).",
    )  # fmt: skip
    router.form(SETUP_FORM, _setup_submitted, check=_check, role=Role.FACILITATOR)
    router.undo("network.setup", _undo_setup)
