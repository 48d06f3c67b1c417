"""Membership from a Slack channel: everyone in it is a member, without writing to the bot first.

A facilitator names the channel (``/beacon members channel #learning``).
Beacon cannot list a channel's people from inside a transaction, so the
command queues a :class:`~bot.core.messages.Roster` question; the adapter
lists the channel (paginated, bots and deactivated accounts flagged) and
answers with the hidden ``members roster`` command. The first answer is a
preview with a confirm button (:mod:`bot.core.confirm`); only the press asks
again and welcomes, so nothing is sent before the facilitator has seen how
many people it reaches. From then on the adapter passes on joins of that
channel (``members joined``: a member, welcomed) and records leaves itself
(they leave the network, as leaving a Telegram group does).

Welcomes are unprompted direct messages: each waits for the member's quiet
hours, goes through the outbox's pacing, and offers the profile form.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import col, select

from bot.core import markup
from bot.core.confirm import confirm_choices, confirmed
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.core.members import is_forgotten
from bot.core.messages import ROSTER_KEY, Address, Choice, Outgoing, Roster
from bot.core.networks import MEMBERSHIP_CHANNEL, MEMBERSHIP_CHANNEL_NAME
from bot.core.router import Router
from bot.flows.welcome.greeting import greeting
from bot.store.models import LEFT_GROUP, Member, Role

__all__ = ["CONFIRM", "JOINED", "PROFILE_OPEN", "ROSTER", "register"]

logger = logging.getLogger(__name__)

CONFIRM = "members.channel"
"""The confirm button's action id (persisted in buttons already sent)."""
ROSTER = "members roster"
"""The hidden command the adapter answers a roster question with: ``preview`` or ``apply``."""
JOINED = "members joined"
"""The hidden command the adapter sends when someone joins the membership channel."""
PROFILE_OPEN = "profile.open"
"""The pairing flow's button that opens the profile form (the welcome's second step)."""
SLACKBOT = "USLACKBOT"


def _say_channel(name: str) -> str:
    return f"#{markup.literal(name.lstrip('#'))}"


def channel_command(ctx: Context) -> None:
    """``/beacon members channel #name`` asks Slack who is in it; ``off`` stops following it."""
    given = " ".join(ctx.args).strip()
    if not given:
        current = (ctx.network.settings or {}).get(MEMBERSHIP_CHANNEL_NAME)
        if current:
            ctx.reply(f"Everyone in {_say_channel(current)} is a member. `/beacon members channel off` stops that.")
            return
        raise UsageError("Name the channel whose people are the network's members.")
    if given.lower() == "off":
        _off(ctx)
        return
    channel = markup.parse_channel(given)
    if channel is None or len(ctx.args) > 1 or " " in channel:
        raise UsageError("Name one channel, like `#learning`.")
    label = given.split("|", 1)[1].rstrip(">") if given.startswith("<#") and "|" in given else channel
    ctx.send(Outgoing(text="", to=Address.member(ctx.member.id), roster=Roster(channel=channel, answer=f"{ROSTER} preview", name=label)))
    ctx.reply(f"Counting the people in {_say_channel(label)}: I'll tell you by direct message how many would be welcomed, before anything is sent.")


def _off(ctx: Context) -> None:
    settings = dict(ctx.network.settings or {})
    name = settings.pop(MEMBERSHIP_CHANNEL_NAME, None)
    before = settings.pop(MEMBERSHIP_CHANNEL, None)
    if before is None:
        ctx.reply("No channel's people are followed as members, so there is nothing to turn off.")
        return
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    ctx.audit("members.channel", "network", before={MEMBERSHIP_CHANNEL: before, MEMBERSHIP_CHANNEL_NAME: name}, after={MEMBERSHIP_CHANNEL: None})
    ctx.reply(f"I no longer follow {_say_channel(name or before)}: who joins or leaves it is not a change of membership. Everyone stays a member.")


def _people(roster: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The people in the channel, and how many of its accounts are bots or deactivated (skipped)."""
    people, skipped = [], 0
    for person in roster.get("people") or []:
        if person.get("is_bot") or person.get("deleted") or person.get("id") == SLACKBOT:
            skipped += 1
        elif person.get("id"):
            people.append(person)
    return people, skipped


def _sort(ctx: Context, people: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int, int]:
    """``(to welcome, how many are already members, how many asked to be forgotten)``:
    someone who left comes back and is welcomed again; someone forgotten is left alone."""
    ids = [p["id"] for p in people]
    query = select(Member).where(Member.network_id == ctx.network.id, col(Member.platform_user_id).in_(ids))
    known = {m.platform_user_id: m for m in ctx.session.exec(query)}
    new, already, forgotten = [], 0, 0
    for person in people:
        member = known.get(person["id"])
        if member is None or (member.unreachable_reason == LEFT_GROUP and not is_forgotten(member)):
            new.append(person)
        elif is_forgotten(member):
            forgotten += 1
        else:
            already += 1
    return new, already, forgotten


def _roster(ctx: Context) -> None:
    """The adapter's answer to a roster question: a preview to confirm, or the welcomes."""
    roster = ctx.incoming.raw.get(ROSTER_KEY) if ctx.incoming else None
    stage = ctx.args[0] if ctx.args else ""
    if not isinstance(roster, dict) or stage not in ("preview", "apply"):
        raise UserError("I don't know that command. Type `/beacon help` for the list.")
    name = str(roster.get("name") or roster.get("channel") or "")
    if roster.get("error"):
        ctx.dm(ctx.member, _trouble(str(roster["error"]), name))
        return
    people, skipped = _people(roster)
    new, already, forgotten = _sort(ctx, people)
    if stage == "preview":
        _preview(ctx, roster, name, len(new), already, skipped + forgotten)
    else:
        _apply(ctx, roster, name, new, already, skipped + forgotten)


def _trouble(error: str, name: str) -> str:
    if error == "channel_not_found":
        return (f"I can't find a channel called {_say_channel(name)}. Pick it from Slack's list as you type `#`, "
                "or, for a private channel, invite me to it first (`/invite @beacon`).")  # fmt: skip
    if error == "not_in_channel":
        return f"{_say_channel(name)} is private and I'm not in it: invite me (`/invite @beacon`) and ask again."
    return f"Slack didn't let me list the people in {_say_channel(name)} ({markup.literal(error[:60])}). Nothing was changed; try again in a minute."


def _counts(already: int, skipped: int) -> str:
    return f"{markup.count(already, 'already a member', 'already members')}; {markup.count(skipped, 'bot and deactivated account', 'bots and deactivated accounts')} skipped"


def _preview(ctx: Context, roster: dict[str, Any], name: str, new: int, already: int, skipped: int) -> None:
    lines = [
        f"*{_say_channel(name)}*: {markup.count(new, 'person', 'people')} will be welcomed ({_counts(already, skipped)}).",
        "Each gets a direct message (after their quiet hours) with a link to set up their profile. "
        f"From then on, whoever joins {_say_channel(name)} becomes a member and whoever leaves it leaves the network.",
    ]
    if not roster.get("bot_in_channel"):
        lines.append(f"Invite me to {_say_channel(name)} (`/invite @beacon`) so I hear who joins and leaves.")
    subject = f"{roster.get('channel')}#{name}"[:200]
    label = f"Welcome {markup.count(new, 'person', 'people')}" if new else "Follow this channel"
    ctx.dm(ctx.member, "\n".join(lines), choices=confirm_choices(ctx, CONFIRM, subject, label))


def _confirmed(ctx: Context) -> None:
    asked = confirmed(ctx, again="/beacon members channel #…")
    if asked is None:
        return
    channel, _, name = asked.subject.partition("#")
    if not channel:
        raise UserError("That button no longer does anything. Type `/beacon members channel #…` to start again.")
    settings = dict(ctx.network.settings or {})
    before, before_name = settings.get(MEMBERSHIP_CHANNEL), settings.get(MEMBERSHIP_CHANNEL_NAME)
    settings[MEMBERSHIP_CHANNEL], settings[MEMBERSHIP_CHANNEL_NAME] = channel, name or channel
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    if before != channel:
        ctx.audit("members.channel", "network", before={MEMBERSHIP_CHANNEL: before, MEMBERSHIP_CHANNEL_NAME: before_name},
                  after={MEMBERSHIP_CHANNEL: channel, MEMBERSHIP_CHANNEL_NAME: name or channel})  # fmt: skip
    ctx.edit_choice_message(f"✓ Welcoming the people in {_say_channel(name)}: I'll tell you when it's done.")
    ctx.send(Outgoing(text="", to=Address.member(ctx.member.id), roster=Roster(channel=channel, answer=f"{ROSTER} apply", name=name)))


def welcome_text(ctx: Context, member: Member, channel_name: str, *, back: bool = False) -> Outgoing:
    """The direct message someone gets for being in the membership channel."""
    lead = f"Welcome back to *{markup.literal(ctx.network.name)}*." if back else greeting(ctx.network, member)
    text = f"{lead}\n\nYou're a member because you're in {_say_channel(channel_name)}. A profile (what you want to learn and can offer) lets me find you a learning pair."
    return Outgoing(text=text, to=Address.member(member.id), choices=(Choice("Set up my profile", PROFILE_OPEN, style="primary"),))


def _apply(ctx: Context, roster: dict[str, Any], name: str, new: list[dict[str, Any]], already: int, skipped: int) -> None:
    if (ctx.network.settings or {}).get(MEMBERSHIP_CHANNEL) != roster.get("channel"):
        ctx.dm(ctx.member, f"{_say_channel(name)} is no longer the membership channel, so nobody was welcomed.")
        return
    welcomes = []
    for person in new:
        member, back = _member_for(ctx, person)
        welcomes.append((f"welcome:channel:{ctx.key_prefix}:{member.id}", welcome_text(ctx, member, name, back=back)))
    ctx.send_unprompted(welcomes)
    logger.info("network %s: %d members from channel %s", ctx.network.id, len(welcomes), roster.get("channel"))
    ctx.dm(
        ctx.member,
        f"✓ {markup.count(len(welcomes), 'person', 'people')} from {_say_channel(name)} welcomed ({_counts(already, skipped)}). "
        "Their welcomes wait for their quiet hours. `/beacon members` lists everyone.",
    )


def _member_for(ctx: Context, person: dict[str, Any]) -> tuple[Member, bool]:
    """The member row for someone in the channel: found (back after leaving) or created."""
    member = ctx.session.exec(select(Member).where(Member.network_id == ctx.network.id, Member.platform_user_id == person["id"])).first()
    back = member is not None
    if member is None:
        member = Member(network_id=ctx.network.id, platform_user_id=person["id"], created_at=ctx.now)
    member.display_name = str(person.get("name") or member.display_name or person["id"])[:200]
    member.username = person.get("username") or member.username
    member.timezone = member.timezone or person.get("tz")
    member.unreachable, member.unreachable_reason = False, None
    ctx.session.add(member)
    ctx.session.flush()
    return member, back


def _joined(ctx: Context) -> None:
    """Someone joined the membership channel: the dispatcher made them a member (or brought them back)."""
    inc = ctx.incoming
    settings = ctx.network.settings or {}
    if inc is None or inc.kind != "command" or inc.is_private or inc.conversation != settings.get(MEMBERSHIP_CHANNEL):
        raise UserError("I don't know that command. Type `/beacon help` for the list.")
    if not (ctx.member_is_new or ctx.member_is_back):
        return  # already a member (they had written to the bot): nothing to say
    name = settings.get(MEMBERSHIP_CHANNEL_NAME) or inc.conversation
    out = welcome_text(ctx, ctx.member, name, back=ctx.member_is_back)
    ctx.send_unprompted([(f"welcome:channel:{ctx.key_prefix}:{ctx.member.id}", out)])


def _undo(ctx: Context, entry) -> str:
    """Follow the channel followed before (or none); who was welcomed stays a member."""
    before = (entry.before or {}).get(MEMBERSHIP_CHANNEL)
    settings = dict(ctx.network.settings or {})
    if before:
        settings[MEMBERSHIP_CHANNEL], settings[MEMBERSHIP_CHANNEL_NAME] = before, (entry.before or {}).get(MEMBERSHIP_CHANNEL_NAME) or before
    else:
        settings.pop(MEMBERSHIP_CHANNEL, None)
        settings.pop(MEMBERSHIP_CHANNEL_NAME, None)
    ctx.network.settings = settings
    ctx.session.add(ctx.network)
    followed = (
        f"{_say_channel(settings[MEMBERSHIP_CHANNEL_NAME])}'s people are the members again"
        if before
        else "no channel's people are followed as members"
    )
    return followed + " (everyone welcomed stays a member)"


def register(router: Router) -> None:
    router.command(
        "members channel", channel_command, role=Role.FACILITATOR, usage="#channel | off", platforms={"slack"},
        example="/beacon members channel #learning-network",
        help="Make everyone in a channel a member, welcomed by direct message; joins and leaves keep it in step",
        details="First says how many people would be welcomed; nothing is sent until you press the button. "
                "Bots and deactivated accounts are skipped. `off` stops following the channel; nobody is removed.",
    )  # fmt: skip
    router.command(ROSTER, _roster, role=Role.FACILITATOR, help="The people in a channel, as Slack lists them", platforms={"slack"}, hidden=True)
    router.command(JOINED, _joined, help="Someone joined the membership channel", platforms={"slack"}, hidden=True)
    router.action(CONFIRM, _confirmed)
    router.undo("members.channel", _undo)
