"""The facilitator's nudges commands: rules, on/off, cap, preview, and their undo.

Kept apart from the member's answers and the hourly run because these change
network settings (audited, so ``/beacon undo`` can put them back) and the
preview plans a week ahead from the same snapshot without sending anything.
The rules are the follow-up sources the flows registered, in their order.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core import markup
from bot.core.availability import CAP_RULE
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.core.followups import PLANNING, in_order, local_when
from bot.core.numbers import parse_number
from bot.flows.nudges import rules
from bot.flows.nudges.data import ensure_flow, network_cap, network_rules, snapshot

__all__ = ["PREVIEW_DAYS", "cap_command", "preview_command", "rules_command", "toggle_command", "undo_settings"]

PREVIEW_DAYS = 7


def rules_command(ctx: Context) -> None:
    ensure_flow(ctx.session, ctx.network.id, ctx.now)
    sources = in_order(ctx.router.follow_ups)
    on = network_rules(ctx.network, [s.rule for s in sources])
    lines = [f"*Nudges* (a member gets at most {network_cap(ctx.network)} unprompted messages a week, prompts included: "
             "nudges wait while the week is full; never in their quiet hours)"]  # fmt: skip
    lines += [f"• `{s.rule}` {'on' if on.get(s.rule) else '*off*'}: {s.description}" for s in sources]
    lines.append("`/beacon nudges off <rule>`, `on <rule>`, `cap <n>`; `/beacon nudges preview` shows the next 7 days.")
    ctx.reply("\n".join(lines))


def _change_settings(ctx: Context, action: str, key: str, value) -> dict:
    ensure_flow(ctx.session, ctx.network.id, ctx.now)
    settings = dict(ctx.network.settings or {})
    before = {key: settings.get(key)}
    settings[key] = value
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    ctx.audit(f"nudges.{action}", "network", before=before, after={key: value})
    return before


def toggle_command(enabled: bool):
    def handler(ctx: Context) -> None:
        names = [s.rule for s in in_order(ctx.router.follow_ups)]
        if not ctx.args:
            raise UsageError(f"Say which rule: {', '.join(names)}.")
        rule = ctx.args[0].lower().replace("-", "_")
        if rule not in names:
            raise UsageError(f"There's no nudge rule `{markup.literal(rule)}`. The rules: {', '.join(names)}.")
        current = network_rules(ctx.network, names)
        if current[rule] == enabled:
            raise UserError(f"`{rule}` nudges are already {'on' if enabled else 'off'}.")
        _change_settings(ctx, "on" if enabled else "off", "nudges", {**current, rule: enabled})
        ctx.reply(f"`{rule}` nudges are {'on' if enabled else 'off'} for the network. `/beacon undo` takes it back.")

    return handler


def cap_command(ctx: Context) -> None:
    n = parse_number(ctx.args[0], high=10**6) if ctx.args else None
    if n is None:
        raise UsageError("Give the most unprompted messages a member may get in a week (prompts and nudges together), a number from 0 to 14.")
    if n > 14:
        raise UsageError("At most 14 a week: messages nobody asked for should never nag.")
    _change_settings(ctx, "cap", "nudge_cap", n)
    ctx.reply(f"Each member now gets at most {markup.count(n, 'unprompted message')} a week. {CAP_RULE}"
              + (" (0: no nudges at all.)" if n == 0 else ""))  # fmt: skip


def preview_command(ctx: Context) -> None:
    ctx.emit(PLANNING)
    snap = snapshot(ctx.session, ctx.network, ctx.now, in_order(ctx.router.follow_ups), horizon=timedelta(days=PREVIEW_DAYS))
    plan = rules.simulate(snap, ctx.now, hours=PREVIEW_DAYS * 24)
    if not plan:
        ctx.reply(f"Nobody would be nudged in the next {PREVIEW_DAYS} days. (Nothing was sent.)")
        return
    tz = ctx.network.timezone
    lines = [f"*Nudges in the next {PREVIEW_DAYS} days* (a preview: nothing was sent; times in {tz})"]
    for member_id, at, items in plan[:40]:
        name = markup.literal(snap.people[member_id].name or "a member")
        why = ", ".join(i.rule.replace("_", " ") for i in items)
        lines.append(f"• {name}, {local_when(at, tz)}: {why}")
    if len(plan) > 40:
        lines.append(f"…and {len(plan) - 40} more.")
    ctx.reply("\n".join(lines))


def undo_settings(ctx: Context, entry) -> str:
    settings = dict(ctx.network.settings or {})
    for key, value in (entry.before or {}).items():
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = value
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    return "put the nudge settings back as they were"
