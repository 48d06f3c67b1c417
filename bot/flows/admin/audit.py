"""``/beacon audit`` and ``/beacon undo``: what facilitators changed, and taking it back.

Every configuration change is an :class:`AuditEntry` (who, what, before,
after). Undo is generic: each flow registers how to revert its own actions
with ``router.undo(prefix, fn)``; changes to a ``Flow`` row (target ``flow:<id>``)
and to the network's own fields (target ``network``) are reverted from their
``before`` snapshot without any registration. Undo is itself audited, and
running it again undoes the caller's previous change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.core.numbers import parse_number
from bot.core.router import Router
from bot.scheduling.parse import parse_schedule
from bot.scheduling.rule import ScheduleError
from bot.store.models import AuditEntry, Flow, Member, Role

__all__ = ["register", "undo_handler", "describe", "restore_flow", "NETWORK_FIELDS"]

logger = logging.getLogger(__name__)

UndoFn = Callable[[Context, AuditEntry], str]
"""Reverts one entry and returns a short sentence saying what it did."""


FLOW_FIELDS = ("name", "schedule", "settings", "enabled")
NETWORK_FIELDS = ("name", "timezone", "practice_channel", "settings")
UNDO_ACTION = "undo"
PAGE = 10


def undo_handler(router: Router, entry: AuditEntry) -> UndoFn | None:
    """The registered undo with the longest matching prefix, else a generic one by target."""
    matches = [p for p in router.undo_handlers if entry.action == p or entry.action.startswith(p.rstrip(".") + ".")]
    if matches:
        return router.undo_handlers[max(matches, key=len)]
    if entry.target.startswith("flow:") and (entry.before is None or isinstance(entry.before, dict)):
        return undo_flow_change
    if entry.target == "network" and isinstance(entry.before, dict) and set(entry.before) <= set(NETWORK_FIELDS):
        return undo_network_change
    return None


# -- generic undo ---------------------------------------------------------------------


def restore_flow(ctx: Context, flow_id: int, before: dict[str, Any] | None) -> str:
    """Put a flow back as ``before`` describes it; ``None`` means it did not exist."""
    flow = ctx.session.get(Flow, flow_id)
    if flow is None or flow.network_id != ctx.network.id:
        raise UserError("That flow no longer exists, so there is nothing to put back.")
    label = f"{flow.kind} `{flow.name}`"
    if before is None:
        try:
            with ctx.session.begin_nested():
                ctx.session.delete(flow)
                ctx.session.flush()
            return f"removed the {label} flow again"
        except IntegrityError:
            # it has already run (prompts, rounds refer to it): keep the history, switch it off
            flow = ctx.session.get(Flow, flow_id)
            ctx.session.refresh(flow)
            flow.enabled = False
            flow.updated_at = ctx.now
            ctx.session.add(flow)
            return f"turned the {label} flow off (it has already run, so its history stays)"
    for name in FLOW_FIELDS:
        if name in before:
            value = before[name]
            setattr(flow, name, dict(value) if isinstance(value, dict) else value)
    if before.get("schedule") is not None:
        flow.checked_until = max(flow.checked_until or ctx.now, ctx.now)  # no catch-up burst after a restore
    flow.updated_at = ctx.now
    ctx.session.add(flow)
    return f"put the {label} flow back as it was"


def undo_flow_change(ctx: Context, entry: AuditEntry) -> str:
    return restore_flow(ctx, int(entry.target.split(":", 1)[1]), entry.before)


def undo_network_change(ctx: Context, entry: AuditEntry) -> str:
    network = ctx.network
    for name, value in (entry.before or {}).items():
        setattr(network, name, dict(value) if isinstance(value, dict) else value)
    ctx.session.add(network)
    return "put the network's settings back as they were"


# -- plain language -----------------------------------------------------------------------


def _member_name(ctx: Context, member_id: int | None) -> str:
    if member_id is None:
        return "Beacon"
    m = ctx.session.get(Member, member_id)
    return markup.literal(m.display_name) if m is not None and m.network_id == ctx.network.id else "someone"


FLOW_NOUNS = {"reflection": "reflections", "pairing": "pairing rounds", "digest": "digest", "nudges": "nudges"}
"""How a sentence names a flow of each kind: "weekly reflections", "fortnightly pairing rounds"."""


def flow_words(kind: str, name: str) -> str:
    """A flow as people say it: "weekly reflections", not "reflection flow `weekly`"."""
    noun = FLOW_NOUNS.get(kind, f"{kind.replace('_', ' ')} flow")
    return f"{markup.literal(name)} {noun}" if name else noun


def _target(ctx: Context, target: str) -> str:
    kind, _, ident = target.partition(":")
    number = parse_number(ident, low=1)
    if kind == "member" and number:
        return _member_name(ctx, number)
    if kind == "flow" and number:
        flow = ctx.session.get(Flow, number)
        return flow_words(flow.kind, flow.name) if flow is not None else "a removed flow"
    if kind == "cohort":
        return f"cohort `{markup.literal(ident)}`"
    if kind == "practice" and number:
        return f"practice #{number}"
    return "the network" if target in ("", "network") else markup.literal(target)


def _schedule_words(text: Any) -> str:
    try:
        return parse_schedule(str(text)).describe()
    except ScheduleError:
        return markup.literal(str(text))[:80]


def _value(value: Any) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    if value is None or value == "" or value == {}:
        return "nothing"
    if isinstance(value, dict):
        return ", ".join(f"{_words(k)} {_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(markup.literal(str(v)) for v in value) or "none"
    return markup.literal(str(value))[:80]


def _words(key: str) -> str:
    return key.replace("_", " ")


def sentences(subject: str, before: dict | None, after: dict | None) -> list[str]:
    """What changed, as short sentences: "turned on weekly reflections", "made Bob a coordinator"."""
    if before is None and after is None:
        return []
    if before is None or after is None:
        snap = after if before is None else before
        if isinstance(snap, dict) and {"kind", "name"} <= set(snap):
            subject = flow_words(snap["kind"], snap["name"])
        elif isinstance(snap, dict) and "name" in snap and "schedule" in snap:
            subject = flow_words("", snap["name"]) if subject.startswith("a removed") else subject
        if before is None:
            when = f" ({_schedule_words(after['schedule'])})" if isinstance(after, dict) and after.get("schedule") else ""
            return [f"added {subject}{when}"]
        return [f"removed {subject}"]
    said: list[str] = []
    for key in list(dict.fromkeys([*before, *after])):
        b, a = before.get(key), after.get(key)
        if b == a or key == "id":
            continue
        if key == "flows" and isinstance(b, dict) and isinstance(a, dict):
            for kind in dict.fromkeys([*b, *a]):
                fb, fa = b.get(kind), a.get(kind)
                name = (fa or fb or {}).get("name", "")
                said += sentences(flow_words(kind, name), fb, fa)
            continue
        if key == "network" and isinstance(b, dict) and isinstance(a, dict):
            said += sentences("the network", b, a)
            continue
        if key == "settings" and isinstance(b, dict) and isinstance(a, dict):
            for k in dict.fromkeys([*b, *a]):
                if b.get(k) != a.get(k):
                    said.append(f"set {_words(k)} to {_value(a.get(k))}" if k in a else f"cleared {_words(k)}")
            continue
        if key == "enabled" and isinstance(a, bool):
            said.append(f"turned {'on' if a else 'off'} {subject}")
        elif key == "schedule":
            said.append(f"changed the schedule of {subject} to {_schedule_words(a)}" if a else f"took {subject} off its schedule")
        elif key == "role":  # entries written before roles were a set
            said.append(f"made {subject} {'an' if str(a)[:1] in 'aeiou' else 'a'} {_value(a)}")
        elif key == "roles" and isinstance(a, list) and isinstance(b, list):
            said += [f"made {subject} {'an' if r[:1] in 'aeiou' else 'a'} {r}" for r in a if r not in b]
            said += [f"took the {r} role from {subject}" for r in b if r not in a]
        elif key == "timezone":
            said.append(f"set the time zone of {subject} to {_value(a)}")
        else:
            said.append(f"changed {subject}: {_words(key)} from {_value(b)} to {_value(a)}")
    return said


def describe(ctx: Context, entry: AuditEntry) -> str:
    """One line of ``/beacon audit``: when, who, and what they did in plain words."""
    when = entry.created_at.astimezone(ctx.tz_of()).strftime("%d %b %H:%M")
    who = _member_name(ctx, entry.actor_id)
    if entry.action == UNDO_ACTION:
        what = f"undid change #{entry.target.partition(':')[2]}"
    else:
        subject = _target(ctx, entry.target)
        said = sentences(subject, entry.before, entry.after) if isinstance(entry.before or {}, dict) and isinstance(entry.after or {}, dict) else []
        what = "; ".join(said) or f"{_words(entry.action.replace('.', ' '))} ({subject})"
    undone = " _(undone)_" if entry.undone_at else ""
    return f"#{entry.id} · {when} · {who}: {what}{undone}"


# -- commands ------------------------------------------------------------------------------


def _audit(ctx: Context) -> None:
    n = PAGE
    if ctx.args:
        n = parse_number(ctx.args[0], low=1, high=100) if len(ctx.args) == 1 else None
        if n is None:
            raise UsageError("Give how many changes to show, a number from 1 to 100.")
    entries = ctx.session.exec(select(AuditEntry).where(AuditEntry.network_id == ctx.network.id).order_by(col(AuditEntry.id).desc()).limit(n)).all()
    if not entries:
        ctx.reply("No configuration changes have been recorded in this network yet.")
        return
    lines = [f"*The last {markup.count(len(entries), 'change')} in {markup.literal(ctx.network.name)}* (newest first):"]
    lines += [describe(ctx, e) for e in entries]
    lines.append("`/beacon undo` takes back your own last change.")
    ctx.reply("\n".join(lines))


def last_undoable(ctx: Context) -> AuditEntry | None:
    """The caller's most recent change in this network that is not yet undone (undos excluded)."""
    return ctx.session.exec(
        select(AuditEntry)
        .where(
            AuditEntry.network_id == ctx.network.id,
            AuditEntry.actor_id == ctx.member.id,
            col(AuditEntry.undone_at).is_(None),
            AuditEntry.action != UNDO_ACTION,
            col(AuditEntry.action).not_like("rights.%"),
        )
        .order_by(col(AuditEntry.id).desc())
    ).first()


def _undo(ctx: Context) -> None:
    if ctx.args:
        raise UsageError("`/beacon undo` takes no arguments: it takes back your own last change.")
    entry = last_undoable(ctx)
    if entry is None:
        ctx.reply("You have no changes left to undo in this network. `/beacon audit` lists recent changes.")
        return
    fn = undo_handler(ctx.router, entry)
    label = describe(ctx, entry)
    if fn is None:
        raise UserError(
            f"Your last change can't be undone automatically: {label}\nChange it back by hand with the command you used (see `/beacon help`)."
        )
    with ctx.session.begin_nested():
        done = fn(ctx, entry)
        entry.undone_at = ctx.now
        ctx.session.add(entry)
        ctx.audit(UNDO_ACTION, f"audit:{entry.id}", before=entry.after, after=entry.before)
    logger.info("member %s undid audit entry %s (%s)", ctx.member.id, entry.id, entry.action)
    ctx.reply(f"Undone: {label}\n{done[:1].upper()}{done[1:]}. `/beacon undo` again takes back the change before it.")


def register(router: Router) -> None:
    router.group("audit", "Recent configuration changes, and undo")
    router.command(
        "audit", _audit, role=Role.FACILITATOR, usage="[how many]", example="/beacon audit 20",
        help="Show recent configuration changes: who changed what, before and after",
    )  # fmt: skip
    router.command(
        "undo", _undo, role=Role.FACILITATOR, example="/beacon undo",
        help="Take back your own last configuration change (again for the one before)",
        details="Works for roles, cohorts, setup, meetings, flow schedules or settings and practice moderation; says so when a change can't be undone.",
    )  # fmt: skip
