"""A member's own limits: pause and resume everything, quiet hours, time zone, which nudges.

Voluntary engagement is the rule (DOMAIN.md): one command pauses every
flow (``Member.paused_until``, read by reflection, pairing and nudges),
and nudges can be switched off one rule at a time.
"""

from __future__ import annotations

import logging
import re

from bot.core import markup
from bot.core.availability import CAP_RULE, PAUSE_FOR, PAUSE_MENU, START, STOP, message_gap, weekly_cap
from bot.core.context import Context
from bot.core.dates.friendly import parse_pause
from bot.core.dates.zone import parse_zone
from bot.core.errors import UsageError, UserError
from bot.core.followups import in_order
from bot.core.home import item
from bot.core.messages import Choice, HomeSection
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


# the flows a member can switch off for themselves (the opt-out keys the flows check)
FLOWS = {"reflection": "reflection prompts", "pairing": "learning pairs", "practices": "steal-with-pride follow-ups"}
PAUSE_CHOICES = (("1 week", "1w"), ("2 weeks", "2w"), ("A month", "4w"))


def _paused_text(ctx: Context) -> str:
    local = ctx.member.paused_until.astimezone(ctx.tz_of())
    return f"Paused until {local:%a} {local.day} {local:%b %Y} {local:%H:%M}: no reflection prompts, pairings or nudges until then."


def _pause_menu(ctx: Context) -> None:
    """The "Pause until…" button on any unprompted message: pick how long."""
    ctx.keep_choices()
    ctx.reply("Pause everything until when?", choices=[Choice(label, PAUSE_FOR, value) for label, value in PAUSE_CHOICES])


def _pause_for(ctx: Context) -> None:
    if ctx.incoming.value not in {v for _, v in PAUSE_CHOICES}:
        raise UserError("Please press one of the buttons, or say `/beacon pause until 2026-12-24`.")
    ctx.member.paused_until = parse_pause(ctx.incoming.value, now=ctx.now, tz=ctx.tz_of())
    ctx.session.add(ctx.member)
    ctx.edit_choice_message(f"✓ {_paused_text(ctx)}")
    ctx.reply("`/beacon resume` brings you back sooner.", choices=[Choice("Resume now", START, "pause")])


def _switch(ctx: Context, key: str, on: bool) -> str:
    m = ctx.member
    others = [x for x in (m.opted_out or []) if x != key]
    m.opted_out = others if on else [*others, key]
    ctx.session.add(m)
    return f"{FLOWS[key].capitalize()} are {'on' if on else 'off'} for you."


def _stop(ctx: Context) -> None:
    """A "stop" button on a flow's message: opt out of that flow, with a button to take it back."""
    key = ctx.incoming.value
    if key not in FLOWS:
        raise UserError("That button is out of date; `/beacon settings` shows what you can switch off.")
    text = _switch(ctx, key, False)
    ctx.keep_choices()  # the message may be a pair's: its buttons stay for the others
    ctx.reply(f"{text} `/beacon settings {key} on` brings them back.", choices=[Choice("Undo", START, key)])


def _start(ctx: Context) -> None:
    key = ctx.incoming.value
    if key == "pause":
        ctx.member.paused_until = None
        ctx.session.add(ctx.member)
        ctx.edit_choice_message("✓ Welcome back: prompts, pairings and nudges are on again.")
        return
    if key not in FLOWS:
        raise UserError("That button is out of date; `/beacon settings` shows what you can switch on.")
    ctx.edit_choice_message(f"✓ {_switch(ctx, key, True)}")


def _flow_command(key: str):
    def handler(ctx: Context) -> None:
        word = ctx.arg_text.strip().lower()
        if word not in ("on", "off"):
            raise UsageError(f"Say `/beacon settings {key} on` or `off`.")
        ctx.reply(_switch(ctx, key, word == "on"))

    return handler


def _rules(ctx: Context) -> list[str]:
    """The nudge rules, as the flows registered them (``router.follow_ups``)."""
    return [s.rule for s in in_order(ctx.router.follow_ups)]


def _gap_text(ctx: Context) -> str:
    hours = message_gap(ctx.network).total_seconds() / 3600
    return f"at least {hours:g} hours apart" if hours else "with no gap between them"


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
    flows = "".join(f"• {label.capitalize()}: {'off' if m.has_opted_out(key) else 'on'}\n" for key, label in FLOWS.items())
    ctx.reply(
        "*Your settings*\n"
        f"• Time zone: {ctx.tz_of()} {'(the network’s)' if not m.timezone else ''}\n"
        f"• Quiet hours: {markup.literal(m.quiet_hours or 'none')}; weekends {'quiet' if m.quiet_weekends else 'not quiet'}\n"
        f"• Nudges: {nudges}{paused}\n{flows}"
        f"• Messages you did not ask for: at most {weekly_cap(ctx.network)} a week, {_gap_text(ctx)} (the network's limits)\n"
        "Change with `/beacon settings timezone Europe/Paris`, `settings quiet 21:00-07:30` (or off), "
        "`settings weekends quiet|ok`, `settings nudges off pair` (rules: " + ", ".join(_rules(ctx)) + ", or all), "
        "`settings pairing|practices|reflection off|on`."
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


SHOW = "member.settings"  # the Settings button: the member's settings by direct message


def _show_pressed(ctx: Context) -> None:
    ctx.keep_choices()
    _show(ctx)


def _home(ctx: Context) -> HomeSection:
    """Pause, resume, settings and the per-flow switches, each one tap from the member's Home."""
    m = ctx.member
    settings = Choice("Settings", SHOW)
    if m.is_paused(ctx.now):
        text, choices = _paused_text(ctx), (Choice("Resume now", START, "pause", style="primary"), settings)
    else:
        text = "Prompts, pairings and nudges are on."
        choices = (*(Choice(f"Pause {label.lower()}", PAUSE_FOR, value) for label, value in PAUSE_CHOICES), settings)
    quiet = f"quiet hours {markup.literal(m.quiet_hours)}" if m.quiet_hours else "no quiet hours"
    text += f"\nTime zone {ctx.tz_of()}; {quiet}; weekends {'quiet' if m.quiet_weekends else 'not quiet'}."
    items = tuple(
        item(f"{label.capitalize()}: off", Choice("Turn on", START, key))
        if m.has_opted_out(key)
        else item(f"{label.capitalize()}: on", Choice("Turn off", STOP, key))
        for key, label in FLOWS.items()
    )
    return HomeSection(name="member.settings", title="Pause and settings", text=text, items=items, choices=choices)


def register(router: Router) -> None:
    router.home_section("member.settings", _home, order=90)
    router.action(SHOW, _show_pressed)
    router.command("pause", _pause, usage="[2w | until DATE]", help="Pause everything (prompts, pairing, nudges) for a while",
                   example="/beacon pause until 2026-12-24",
                   details="Without a length it pauses for two weeks. `/beacon resume` ends it.")  # fmt: skip
    router.alias("pause", "pause")
    router.command("resume", _resume, help="End your pause now", example="/beacon resume")
    router.group("settings", "Your own limits: time zone, quiet hours, which nudges")
    router.command("settings", _show, help="Your time zone, quiet hours, pause and nudges", example="/beacon settings", details=CAP_RULE)
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
    for key, label in FLOWS.items():
        router.command(f"settings {key}", _flow_command(key), usage="on|off", help=f"Switch your {label} on or off",
                       example=f"/beacon settings {key} off")  # fmt: skip
    router.action(PAUSE_MENU, _pause_menu)
    router.action(PAUSE_FOR, _pause_for)
    router.action(STOP, _stop)
    router.action(START, _start)
