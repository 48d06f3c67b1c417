"""``/beacon profile``: what a member wants to learn, can offer, and how often
they'd like to be paired.

Pairing matches on tags, so tags are normalised (``matching.normalise_tag``:
"Youth Engagement" and "youth engagement" are one tag) and the tags already
used in the network are suggested, which keeps the vocabulary small. The
free text is kept beside the tags for the people reading the introduction.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date

from sqlmodel import Session, select

from bot.core import markup
from bot.core.context import Context
from bot.core.dates.friendly import parse_pause
from bot.core.errors import FormErrors, UsageError, UserError
from bot.core.messages import Field, Form
from bot.core.router import Router
from bot.flows.pairing.matching import parse_tags
from bot.store.models import Member

__all__ = ["availability_label", "parse_availability", "register", "tag_vocabulary", "tags_from"]

logger = logging.getLogger(__name__)

FORM_ID = "profile"
OPEN_ACTION = "profile.open"
"""A button that opens the form (the welcome by direct message carries one)."""
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
SUGGESTED = 15
EVERY = {"every", "every round", "always", "yes", "resume", "on", "each round"}
ALTERNATE = {"alternate", "every other round", "every other", "every 2nd round", "every second round", "alternate rounds", "half"}
FIELDS = {"org": "organisation", "organisation": "organisation", "organization": "organisation",
          "wants": "wants", "want": "wants", "offers": "offers", "offer": "offers",
          "wants-tags": "wants_tags", "offers-tags": "offers_tags",
          "availability": "availability", "available": "availability"}  # fmt: skip


def tag_vocabulary(session: Session, network_id: int) -> list[str]:
    """Tags used in the network, most used first (ties alphabetical)."""
    counts: Counter[str] = Counter()
    rows = session.exec(select(Member.wants_tags, Member.offers_tags).where(Member.network_id == network_id))
    for wants, offers in rows:
        counts.update(set(wants or ()) | set(offers or ()))
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def tags_from(text: str, *, label: str) -> list[str]:
    """Normalised tags from comma-separated text.

    Raises:
        UserError: too many tags, or one too long to be a tag.
    """
    tags = sorted(parse_tags(text))
    long = [t for t in tags if len(t) > MAX_TAG_LENGTH]
    if long:
        raise UserError(f"{label}: “{markup.literal(long[0][:50])}…” is long for a tag; "
                        f"keep tags under {MAX_TAG_LENGTH} characters and separate them with commas.")  # fmt: skip
    if len(tags) > MAX_TAGS:
        raise UserError(f"{label}: {len(tags)} tags is a lot; pick your top {MAX_TAGS}.")
    return tags


def _derived_tags(text: str) -> list[str]:
    """Tags read from free text when no tags were given: its short comma-separated parts."""
    return sorted(t for t in parse_tags(text) if len(t) <= MAX_TAG_LENGTH)[:MAX_TAGS]


def parse_availability(text: str, ctx: Context) -> str:
    """ "every round", "every other round", "paused until 2026-12-24" -> stored value."""
    s = " ".join(text.lower().split())
    if s in EVERY or not s:
        return "every"
    if s in ALTERNATE:
        return "alternate"
    for word in ("paused", "pause"):
        if s.startswith(word):
            rest = s[len(word) :].strip()
            if not rest:
                raise UserError('Say until when, e.g. "paused until 2026-12-24" or "paused 4w".')
            try:
                ends = parse_pause(rest, now=ctx.now, tz=ctx.tz_of())
            except ValueError as exc:
                raise UserError(str(exc)) from None
            return f"paused:{ends.astimezone(ctx.tz_of()).date().isoformat()}"
    raise UserError('Availability is "every round", "every other round" or "paused until <date>".')


def availability_label(value: str | None) -> str:
    kind, _, until = (value or "every").partition(":")
    if kind == "alternate":
        return "every other round"
    if kind == "paused":
        try:
            return f"paused until {date.fromisoformat(until).strftime('%d %B %Y').lstrip('0')}"
        except ValueError:
            return "paused"
    return "every round"


def _summary(member: Member) -> str:
    def tags(values: list[str]) -> str:
        return f" (tags: {', '.join(markup.literal(t) for t in values)})" if values else ""

    return "\n".join([
        "*Your profile*",
        f"Organisation: {markup.literal(member.organisation) if member.organisation else '_not set_'}",
        f"Wants to learn: {markup.literal(member.wants) if member.wants else '_not set_'}{tags(member.wants_tags)}",
        f"Can offer: {markup.literal(member.offers) if member.offers else '_not set_'}{tags(member.offers_tags)}",
        f"Pairing: {availability_label(member.availability)}",
    ])  # fmt: skip


def _suggestions(ctx: Context) -> str:
    vocab = tag_vocabulary(ctx.session, ctx.network.id)[:SUGGESTED]
    return "Tags used in your network: " + ", ".join(markup.literal(t) for t in vocab) if vocab else ""


def _reply_saved(ctx: Context, lead: str) -> None:
    tips = _suggestions(ctx)
    ctx.reply(f"{lead}\n{_summary(ctx.member)}" + (f"\n{tips}" if tips else ""))


# -- the form ---------------------------------------------------------------------------------


def profile_form(ctx: Context) -> Form:
    m = ctx.member
    vocab = tag_vocabulary(ctx.session, ctx.network.id)[:SUGGESTED]
    used = f" Used in your network: {', '.join(vocab)}." if vocab else ""
    return Form(
        id=FORM_ID,
        title="Your profile",
        intro="This is how Beacon finds you a learning pair: what you want to learn and what you can offer.",
        fields=(
            Field(name="organisation", label="Your organisation", max_length=200, initial=m.organisation or ""),
            Field(name="wants", label="What do you want to learn?", multiline=True, max_length=1000, initial=m.wants,
                  hint="A sentence or two; others see it in your introduction."),
            Field(name="wants_tags", label="Tags for what you want to learn", max_length=500,
                  initial=", ".join(m.wants_tags or ()), hint="Separated by commas, e.g. youth engagement, data sharing." + used),
            Field(name="offers", label="What can you offer others?", multiline=True, max_length=1000, initial=m.offers,
                  hint="What you've tried and could show or tell others about."),
            Field(name="offers_tags", label="Tags for what you can offer", max_length=500,
                  initial=", ".join(m.offers_tags or ()), hint="Separated by commas." + used),
            Field(name="availability", label="How often would you like to be paired?", max_length=100,
                  initial=availability_label(m.availability),
                  hint='"every round", "every other round" or "paused until <date>".'),
        ),
        submit_label="Save",
    )  # fmt: skip


def _submitted(ctx: Context) -> None:
    values = {k: (v or "").strip() for k, v in ctx.incoming.form_values.items()}
    m = ctx.member
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for name, text_field, label in (("wants_tags", "wants", "Wants"), ("offers_tags", "offers", "Offers")):
        try:
            given = values.get(name, "")
            parsed[name] = tags_from(given, label=label) if given else _derived_tags(values.get(text_field, ""))
        except UserError as exc:
            errors[name] = str(exc)
    try:
        parsed["availability"] = parse_availability(values.get("availability", ""), ctx)
    except UserError as exc:
        errors["availability"] = str(exc)
    if errors:
        raise FormErrors(errors)
    m.organisation = values.get("organisation") or None
    m.wants, m.offers = values.get("wants", ""), values.get("offers", "")
    m.wants_tags, m.offers_tags = parsed["wants_tags"], parsed["offers_tags"]
    m.availability = parsed["availability"]
    ctx.session.add(m)
    logger.info("member %s saved their profile", m.id)
    _reply_saved(ctx, "Saved.")


# -- commands ------------------------------------------------------------------------------------


def profile_command(ctx: Context) -> None:
    if ctx.args:
        raise UsageError("Use `/beacon profile` for the form, `/beacon profile show`, or `/beacon profile set wants …`.")
    ctx.open_form(profile_form(ctx))


def _open_pressed(ctx: Context) -> None:
    ctx.open_form(profile_form(ctx))


def show_command(ctx: Context) -> None:
    tips = _suggestions(ctx)
    ctx.reply(_summary(ctx.member) + "\nChange it with `/beacon profile` or `/beacon profile set wants …`."
              + (f"\n{tips}" if tips else ""))  # fmt: skip


def set_command(ctx: Context) -> None:
    if not ctx.args or ctx.args[0].lower() not in FIELDS:
        raise UsageError("Say what to set: org, wants, offers or availability, then the value.")
    name, value = FIELDS[ctx.args[0].lower()], " ".join(ctx.args[1:]).strip()
    m = ctx.member
    if name == "availability":
        m.availability = parse_availability(value, ctx)
    elif not value and name != "organisation":
        raise UsageError(f"Give the new value for {ctx.args[0]}.")
    elif name == "organisation":
        if len(value) > 200:
            raise UserError("That organisation name is too long (at most 200 characters).")
        m.organisation = value or None
    elif name in ("wants", "offers"):
        if len(value) > 1000:
            raise UserError(f"That is too long for {name} (at most 1000 characters).")
        setattr(m, name, value)
        setattr(m, f"{name}_tags", _derived_tags(value))
    else:
        setattr(m, name, tags_from(value, label=name.replace("_", " ").capitalize()))
    ctx.session.add(m)
    _reply_saved(ctx, "Updated.")


def register(router: Router) -> None:
    router.group("profile", "What you want to learn and can offer; how often you'd like to be paired")
    router.command("profile", profile_command, help="Set what you want to learn, can offer, and your availability",
                   example="/beacon profile")  # fmt: skip
    router.command("profile show", show_command, help="See your profile", example="/beacon profile show")
    router.command(
        "profile set",
        set_command,
        help="Change one part of your profile quickly",
        usage="org|wants|offers|availability <value>",
        example="/beacon profile set wants youth engagement, data sharing",
        details='Availability: "every round", "every other round" or "paused until 2026-12-24". Wants and offers are split into tags at commas.',
    )
    router.form(FORM_ID, _submitted)
    router.action(OPEN_ACTION, _open_pressed)
    router.alias("profile", "profile")
