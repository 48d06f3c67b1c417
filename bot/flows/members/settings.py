"""A member's own limits: pause and resume everything, quiet hours, time zone, which nudges.

Voluntary engagement is the rule (DOMAIN.md): one command pauses every
flow (``Member.paused_until``, read by reflection, pairing and nudges),
and nudges can be switched off one rule at a time.
"""

from __future__ import annotations

import logging
import re

from bot.core import markup
from bot.core.context import Context
from bot.core.dates.friendly import parse_pause
from bot.core.dates.zone import parse_zone
from bot.core.errors import UsageError, UserError
from bot.core.followups import in_order
from bot.core.router import Router

__all__ = ["register"]

logger = logging.getLogger(__name__)

DEFAULT_PAUSE = "2w"
_QUIET = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)\s*-\s*([01]?\d|2[0-3])[:.]([0-5]\d)")


def _pause(ctx: Context) -> None:
    text = ctx.arg_text.strip() or DEFAULT_PAUSE
    try:
        until = parse_pause(text, now=ctx.now, tz=ctx.tz_of())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    member = ctx.member
    member.paused_until = until
    ctx.session.add(member)
    local = until.astimezone(ctx.tz_of())
    ctx.reply(f"Paused until {local:%a} {local.day} {local:%b %Y} {local:%H:%M}: no reflection prompts, pairings or nudges "
              "until then. `/beacon resume` brings you back sooner.")  # fmt: skip


def _resume(ctx: Context) -> None:
    member = ctx.member
    if not member.is_paused(ctx.now):
        raise UserError("You're not paused. `/beacon pause 2w` pauses everything for two weeks.")
    member.paused_until = None
    ctx.session.add(member)
    ctx.reply("Welcome back: prompts, pairings and nudges are on again.")


def _rules(ctx: Context) -> list[str]:
    """The nudge rules, as the flows registered them (``router.follow_ups``)."""
    return [s.rule for s in in_order(ctx.router.follow_ups)]


def _show(ctx: Context) -> None:
    m = ctx.member
    off = [r for r in _rules(ctx) if m.has_opted_out(f"nudges:{r}")]
    if m.has_opted_out("nudges"):
        nudges = "all off"
    else:
        nudges = "all on" if not off else "on, except " + ", ".join(off)
    paused = ""
    if m.is_paused(ctx.now):
        local = m.paused_until.astimezone(ctx.tz_of())
        paused = f"\n• Paused until {local:%a} {local.day} {local:%b %Y} (`/beacon resume`)"
    ctx.reply(
        "*Your settings*\n"
        f"• Time zone: {ctx.tz_of()} {'(the network’s)' if not m.timezone else ''}\n"
        f"• Quiet hours: {markup.literal(m.quiet_hours or 'none')}; weekends {'quiet' if m.quiet_weekends else 'not quiet'}\n"
        f"• Nudges: {nudges}{paused}\n"
        "Change with `/beacon settings timezone Europe/Paris`, `settings quiet 21:00-07:30` (or off), "
        "`settings weekends quiet|ok`, `settings nudges off pair` (rules: " + ", ".join(_rules(ctx)) + ", or all)."
    )


def _timezone(ctx: Context) -> None:
    if not ctx.args:
        raise UsageError("Give a time zone name.")
    try:
        name = parse_zone(ctx.arg_text)
    except ValueError as exc:
        raise UsageError(markup.literal(str(exc))) from None
    ctx.member.timezone = name
    ctx.session.add(ctx.member)
    ctx.reply(f"Your time zone is now {name}. Prompts and nudges follow your clock.")


def _quiet(ctx: Context) -> None:
    text = ctx.arg_text.strip().lower()
    if text in ("off", "none"):
        ctx.member.quiet_hours = ""
        ctx.session.add(ctx.member)
        ctx.reply("No quiet hours: nudges may come at any hour (still at most a few a week).")
        return
    m = _QUIET.fullmatch(text)
    if not m:
        raise UsageError("Give quiet hours as HH:MM-HH:MM, e.g. 20:00-08:00, or off.")
    value = f"{int(m[1]):02d}:{m[2]}-{int(m[3]):02d}:{m[4]}"
    if value[:5] == value[6:]:
        raise UsageError("The start and end are the same; say off for no quiet hours.")
    ctx.member.quiet_hours = value
    ctx.session.add(ctx.member)
    ctx.reply(f"Quiet hours {value} on your clock: anything due then waits until they end.")


def _weekends(ctx: Context) -> None:
    word = ctx.arg_text.strip().lower()
    if word not in ("quiet", "ok", "on", "off"):
        raise UsageError("Say quiet (no nudges at weekends) or ok.")
    ctx.member.quiet_weekends = word in ("quiet", "on")
    ctx.session.add(ctx.member)
    ctx.reply("Weekends are quiet: nothing arrives on Saturday or Sunday." if ctx.member.quiet_weekends
              else "Weekends are not quiet any more.")  # fmt: skip


def _nudges(ctx: Context) -> None:
    if not ctx.args or ctx.args[0].lower() not in ("on", "off"):
        raise UsageError("Say on or off, and which nudges (or all).")
    on = ctx.args[0].lower() == "on"
    which = (ctx.args[1] if len(ctx.args) > 1 else "all").lower().replace("-", "_")
    names = _rules(ctx)
    if which != "all" and which not in names:
        raise UsageError(f"There's no nudge `{markup.literal(which)}`. The nudges: {', '.join(names)}, or all.")
    m = ctx.member
    key = "nudges" if which == "all" else f"nudges:{which}"
    opted = [x for x in (m.opted_out or []) if x != key and not (which == "all" and on and x.startswith("nudges:"))]
    if on and which != "all" and "nudges" in opted:
        # "all off" then one rule on: the others stay off, each by name
        opted = [x for x in opted if x != "nudges"] + [f"nudges:{r}" for r in names if r != which and f"nudges:{r}" not in opted]
    if not on:
        opted.append(key)
    m.opted_out = opted
    ctx.session.add(m)
    what = "All nudges are" if which == "all" else f"`{which}` nudges are"
    ctx.reply(f"{what} {'on' if on else 'off'} for you.")


def register(router: Router) -> None:
    router.command("pause", _pause, usage="[2w | until DATE]", help="Pause everything (prompts, pairing, nudges) for a while",
                   example="/beacon pause until 2026-12-24",
                   details="Without a length it pauses for two weeks. `/beacon resume` ends it.")  # fmt: skip
    router.alias("pause", "pause")
    router.command("resume", _resume, help="End your pause now", example="/beacon resume")
    router.group("settings", "Your own limits: time zone, quiet hours, which nudges")
    router.command("settings", _show, help="Your time zone, quiet hours, pause and nudges", example="/beacon settings")
    router.command(
        "settings timezone",
        _timezone,
        usage="<city or zone>",
        help="Set your time zone (a city, Europe/Paris, UTC+2)",
        example="/beacon settings timezone Paris",
    )
    router.command(
        "settings quiet", _quiet, usage="<HH:MM-HH:MM> | off", help="Hours when nothing arrives", example="/beacon settings quiet 21:00-07:30"
    )
    router.command("settings weekends", _weekends, usage="quiet | ok", help="Whether weekends are quiet", example="/beacon settings weekends quiet")
    router.command(
        "settings nudges",
        _nudges,
        usage="on|off <rule|all>",
        help="Switch one kind of nudge (or all) on or off",
        example="/beacon settings nudges off pair",
    )
