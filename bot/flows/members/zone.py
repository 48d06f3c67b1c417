"""Time zones are asked, not assumed, where the platform gives none (Telegram).

At a person's first private contact they are asked in one tap: the network's
zone and its neighbours, or "another city" to type one (read by the core's
:func:`~bot.core.dates.zone.parse_zone`, like every zone typed anywhere).
Until they answer, the network's zone is used, and the question says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import markup
from bot.core.context import Context
from bot.core.dates.zone import parse_zone, zone
from bot.core.messages import Choice
from bot.core.networks import memberships
from bot.core.router import Router

__all__ = ["ZONELESS", "register", "zone_choices"]

ZONELESS = frozenset({"telegram"})
"""Platforms that tell us no time zone for a person (see PLATFORMS.md)."""
PICK = "members.zone"
CITY = "members.zone_city"
OWNER = "members.zone"
ASKED = "members:zone-ask"

# one well-known city for each whole-hour offset, to offer as a neighbour
_BY_OFFSET = {
    -10: "Pacific/Honolulu", -8: "America/Los_Angeles", -7: "America/Denver", -6: "America/Chicago", -5: "America/New_York",
    -4: "America/Halifax", -3: "America/Sao_Paulo", -1: "Atlantic/Azores", 0: "Europe/London", 1: "Europe/Paris",
    2: "Europe/Athens", 3: "Europe/Moscow", 4: "Asia/Dubai", 5: "Asia/Karachi", 7: "Asia/Bangkok", 8: "Asia/Singapore",
    9: "Asia/Tokyo", 10: "Australia/Sydney", 12: "Pacific/Auckland",
}  # fmt: skip


def _offset_hours(name: str, now: datetime) -> int:
    delta = now.astimezone(zone(name)).utcoffset() or timedelta(0)
    return round(delta.total_seconds() / 3600)


def zone_choices(network_zone: str, now: datetime) -> list[Choice]:
    """The network's zone, its neighbours an hour either side, and "another city"."""
    here = _offset_hours(network_zone, now)
    names = [network_zone]
    for hours in (here, here - 1, here + 1):
        city = _BY_OFFSET.get(hours)
        if city and city not in names and len(names) < 3:
            names.append(city)
    shown = [Choice(f"{n.split('/')[-1].replace('_', ' ')} ({now.astimezone(zone(n)):%H:%M})", PICK, n) for n in names]
    return [*shown, Choice("Another city", CITY)]


def _ask(ctx: Context) -> None:
    """Observer: the person's first private contact, on a platform that gives no zone."""
    inc, member = ctx.incoming, ctx.member
    if inc is None or member is None or not inc.is_private or ctx.platform not in ZONELESS or inc.user_timezone:
        return
    if inc.kind == "action" and inc.action_id in (PICK, CITY):
        return
    mine = memberships(ctx.session, ctx.platform, member.platform_user_id)
    if any(m.member.timezone for m in mine):
        return
    network_zone = ctx.network.timezone
    ctx.dm(
        member,
        f"Which time zone are you in? Prompts and reminders come at your local time. Until you choose, I use "
        f"{markup.literal(ctx.network.name)}'s, {network_zone} (now {ctx.now.astimezone(zone(network_zone)):%H:%M}).",
        choices=zone_choices(network_zone, ctx.now),
        key=f"{ASKED}:{ctx.platform}:{member.platform_user_id}",
    )


def _set(ctx: Context, name: str) -> None:
    """One person, one clock: every network they are in on this platform gets it."""
    for m in memberships(ctx.session, ctx.platform, ctx.member.platform_user_id):
        m.member.timezone = name
        ctx.session.add(m.member)
    ctx.reply(f"Your time zone is now {name} (it's {ctx.now.astimezone(zone(name)):%H:%M} there). Prompts come at your local time. "
              "`/beacon settings timezone` changes it.")  # fmt: skip


def _picked(ctx: Context) -> None:
    try:
        name = parse_zone(ctx.incoming.value if ctx.incoming else "")
    except ValueError as exc:
        ctx.reply(markup.literal(str(exc)))
        return
    ctx.edit_choice_message(f"✓ {name}")
    _set(ctx, name)


def _city(ctx: Context) -> None:
    ctx.keep_choices()
    ctx.start_conversation(OWNER, {})
    ctx.reply("Type your city or time zone, for example Lisbon, America/Chicago or UTC+2. `cancel` stops.")


def _typed(ctx: Context) -> None:
    text = (ctx.incoming.text if ctx.incoming else "").strip()
    if text.lower() in ("cancel", "/cancel", "stop"):
        ctx.end_conversation()
        ctx.reply(f"Nothing changed: I keep using {ctx.tz_of()}.")
        return
    try:
        name = parse_zone(text)
    except ValueError as exc:
        ctx.reply(markup.literal(str(exc)) + " Type it again, or `cancel`.")
        return
    ctx.end_conversation()
    _set(ctx, name)


def register(router: Router) -> None:
    router.observe(_ask)
    router.action(PICK, _picked)
    router.action(CITY, _city)
    router.conversation(OWNER, _typed)
