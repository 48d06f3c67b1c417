"""A member's Home: what each flow has for them, gathered once and shown on every platform.

Flows add their part with ``router.home_section`` (a :class:`HomeSection`:
text and choices, nothing platform-shaped). Slack shows the parts in its Home
tab (``Outgoing.home``, published by the adapter with ``views.publish``);
every platform can ask for them as messages with ``/beacon home``
(:func:`home_messages`).

A published Home is an outbox message like any other, keyed ``home:<member>:…``.
:func:`publish_home` keeps Slack's pace: it never queues a view equal to the
last one published, it folds a change into a Home still waiting to go, and it
lets at most one Home a member go out every :data:`HOME_EVERY`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.core.messages import Address, Choice, HomeItem, HomeSection, Outgoing
from bot.store.models import Member, OutboxMessage, OutboxStatus, permits

if TYPE_CHECKING:
    from bot.core.context import Context  # a handler's context, passed in

__all__ = [
    "HOME_EVERY",
    "HOME_KEY",
    "HOME_PLATFORMS",
    "MORE",
    "SHOWN_ITEMS",
    "has_home",
    "full_messages",
    "home_messages",
    "home_sections",
    "item",
    "more_choice",
    "publish_home",
    "section_messages",
]

HOME_PLATFORMS = frozenset({"slack"})
"""Platforms with a Home surface of their own (Slack's App Home tab); the others get ``/beacon home``."""
HOME_KEY = "home"  # outbox key prefix: persisted
HOME_EVERY = timedelta(seconds=5)
"""At most one Home a member this often: views.publish is Tier 4 (about 100 a minute per workspace)."""
SHOWN_ITEMS = 5
"""Items a section shows in a chat before its "More…" button."""
MORE = "home.more"  # action id: persisted in buttons already sent
CHUNK_ITEMS, CHUNK_TEXT = 10, 3500
"""Items, and characters, in one message of a whole list (within Telegram's 4096)."""


def home_sections(ctx: Context) -> list[HomeSection]:
    """Every flow's part of the caller's Home that their roles let them see, in order."""
    m = ctx.member
    if m is None:
        return []
    out: list[HomeSection] = []
    for part in sorted(ctx.router.home_parts.values(), key=lambda p: (p.order, p.name)):
        if not permits(m.roles, part.roles):
            continue
        section = part.fn(ctx)
        if section is not None:
            out.append(section)
    return out


def more_choice(section: HomeSection) -> Choice:
    """The "More…" button: it sends the whole section by direct message."""
    return Choice(f"More… ({len(section.items)} in all)", MORE, section.name)


def section_messages(section: HomeSection, *, limit: int | None = SHOWN_ITEMS) -> list[tuple[str, tuple[Choice, ...], str | None]]:
    """A section as ``(text, choices, header)`` messages: its text, the items without buttons and
    its own buttons first, then one message per item with buttons (so "Done" says which one);
    past ``limit`` items, a "More…" button."""
    items = section.items if limit is None else section.items[:limit]
    lines = [section.text] if section.text else []
    lines += [f"• {i.text}" for i in items if not i.choices]
    if not section.items and section.empty:
        lines.append(section.empty)
    first = ("\n".join(lines), section.choices, section.title) if lines else (f"*{section.title}*", section.choices, None)
    out = [first] + [(f"• {i.text}", i.choices, None) for i in items if i.choices]
    if len(items) < len(section.items):
        out.append((f"…and {len(section.items) - len(items)} more.", (more_choice(section),), None))
    return out


def full_messages(section: HomeSection) -> list[tuple[str, tuple[Choice, ...], str | None]]:
    """All of a section, for "More…": numbered items a few to a message, each item's buttons
    numbered too ("Done 12"), so a long list is a handful of messages, not one per item."""
    out: list[tuple[str, tuple[Choice, ...], str | None]] = [(section.text or f"All {len(section.items)}:", section.choices, section.title)]
    lines: list[str] = []
    choices: list[Choice] = []
    for n, i in enumerate(section.items, 1):
        line = f"{n}. {i.text}"
        if lines and (len(lines) >= CHUNK_ITEMS or sum(map(len, lines)) + len(line) > CHUNK_TEXT):
            out.append(("\n".join(lines), tuple(choices), None))
            lines, choices = [], []
        lines.append(line)
        choices += [Choice(f"{c.label} {n}", c.action, c.value, c.style) for c in i.choices]
    if lines:
        out.append(("\n".join(lines), tuple(choices), None))
    return out


def home_messages(sections: list[HomeSection]) -> list[tuple[str, tuple[Choice, ...], str | None]]:
    """The whole Home as messages, for a platform without a Home tab."""
    return [m for s in sections for m in section_messages(s)]


def has_home(ctx: Context, member: Member) -> bool:
    """Whether the member's platform shows a Home and one was ever queued for them."""
    if ctx.platform not in HOME_PLATFORMS:
        return False
    return ctx.session.exec(select(OutboxMessage.id).where(OutboxMessage.member_id == member.id, _is_home(member)).limit(1)).first() is not None


def _is_home(member: Member):
    return col(OutboxMessage.key).startswith(f"{HOME_KEY}:{member.id}:")


def publish_home(ctx: Context) -> bool:
    """Queue the caller's Home for their platform's Home tab; returns whether anything changed.

    The same view twice in a row is not sent again; a change while one waits replaces what
    waits; otherwise the next goes :data:`HOME_EVERY` after the last.
    """
    m = ctx.member
    if m is None or ctx.platform not in HOME_PLATFORMS:
        return False
    out = Outgoing(text="Your Beacon home", to=Address.member(m.id), home=tuple(home_sections(ctx)))
    payload = out.to_dict()
    last = ctx.session.exec(
        select(OutboxMessage).where(OutboxMessage.member_id == m.id, _is_home(m)).order_by(col(OutboxMessage.id).desc()).limit(1)
    ).first()
    if last is not None and last.payload == payload and last.status != OutboxStatus.FAILED:
        return False
    at = ctx.now
    if last is not None and last.status == OutboxStatus.PENDING:
        last.payload = payload  # still waiting for its turn: it goes with what is true now
        ctx.session.add(last)
        return True
    if last is not None and last.status != OutboxStatus.FAILED:
        at = max(ctx.now, (last.sent_at or last.next_attempt_at) + HOME_EVERY)
    return ctx.send(out, key=f"{HOME_KEY}:{m.id}:{at.timestamp():.3f}", not_before=at if at > ctx.now else None)


def item(text: str, *choices: Choice) -> HomeItem:
    """Shorthand for flows: one line with its buttons."""
    return HomeItem(text=text, choices=tuple(choices))
