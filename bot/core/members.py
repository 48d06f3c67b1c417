"""Who a member is, for every flow: finding one by name, and what names them.

Naming a member (``/beacon role grant @sam``, ``/beacon pairing exclude``) and
taking their name out when they are forgotten (member rights, practices kept
after ``forget-me``) are one definition, shared by every flow; a flow needing
it imports this module, never another flow. Kept in the core rather than the
store because finding a member answers a :class:`~bot.core.context.Context`
and raises the errors a person sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from bot.core import markup
from bot.core.context import Context
from bot.core.errors import UsageError, UserError
from bot.store.models import LEFT_GROUP, Member

__all__ = [
    "FORGOTTEN_NAME",
    "FORGOTTEN_PREFIX",
    "FORMER_ORGANISATION",
    "REMOVED_TEXT",
    "Redactor",
    "find_member",
    "is_forgotten",
    "leave_network",
    "map_strings",
    "mention",
    "needles_of",
    "scrub",
]

FORGOTTEN_NAME = "a former member"
FORGOTTEN_PREFIX = "forgotten:"
_SLACK_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|([^>]*))?>$")


def leave_network(member: Member) -> None:
    """Someone left the network's group (Telegram) or membership channel (Slack).

    They get no more messages and lose any role (a removed facilitator no
    longer runs the network); what they wrote stays under the network's
    retention rules, and only coming back links them again.
    """
    member.unreachable, member.unreachable_reason = True, LEFT_GROUP
    member.is_facilitator = member.is_coordinator = False  # their roles went with the group


def is_forgotten(member: Member) -> bool:
    return member.platform_user_id.startswith(FORGOTTEN_PREFIX) or member.unreachable_reason == "forgotten"


def mention(member: Member) -> str:
    """The member in a message: a mention that reaches them (on Telegram even
    without a @username), their name as text where there is none. Their name
    is text: a name that looks like markup or a link stays as typed."""
    if is_forgotten(member):
        return FORGOTTEN_NAME
    return markup.person(member.platform_user_id, member.display_name or member.username or "a member")


def find_member(ctx: Context, who: str) -> Member:
    """The member of the caller's network that ``who`` names.

    Raises:
        UserError: no such member, or the name fits several.
    """
    raw = who.strip()
    if not raw:
        raise UsageError('Say who, e.g. `@sam` or `"Sam Jones"`.')
    mention = _SLACK_MENTION.match(raw)
    user_id = mention.group(1) if mention else None
    probe = raw.lstrip("@").strip().lower()
    candidates = [m for m in ctx.members(include_unreachable=True) if not is_forgotten(m)]
    if user_id:
        exact = [m for m in candidates if m.platform_user_id == user_id]
    else:
        exact = [m for m in candidates if m.platform_user_id == raw.lstrip("@")]
        exact = exact or [m for m in candidates if (m.username or "").lower() == probe]
        exact = exact or [m for m in candidates if m.display_name.lower() == probe]
    if len(exact) == 1:
        return exact[0]
    shown = markup.literal(raw[:60])
    if not exact:
        raise UserError(f"There is no such member as {shown} in this network. `/beacon members` lists them.")
    names = ", ".join(f"@{m.username}" if m.username else m.platform_user_id for m in exact[:5])
    raise UserError(f"{shown} could be several members ({names}); name one by @username.")


# -- what names a member ---------------------------------------------------------------------


FORMER_ORGANISATION = "another organisation"
# A name ends where letters and digits end: markup such as _italic_ around it still counts as a boundary.
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![^\W_])", r"(?![^\W_])"


def needles_of(member: Member, session: Session | None = None) -> dict[str, str]:
    """What names ``member`` (display name, username, platform id) and what replaces it; with a
    ``session``, their organisation too when no one else in the network belongs to it."""
    names = {n for n in (member.display_name, member.username or "", member.platform_user_id) if len(n) >= 2 and n != FORGOTTEN_NAME}
    out = {n: FORGOTTEN_NAME for n in names}
    org = (member.organisation or "").strip()
    if session is not None and len(org) >= 3:
        shared = session.exec(
            select(Member.id).where(Member.network_id == member.network_id, Member.id != member.id, Member.organisation == org)
        ).first()
        if shared is None:
            out.setdefault(org, FORMER_ORGANISATION)
    return out


def scrub(value: Any, needles: dict[str, str] | list[str]) -> Any:
    """``value`` (JSON-like) with every whole-word mention of a needle replaced (by "a former member"
    for a list of needles, by its own replacement for a dict)."""
    if not needles:
        return value
    if not isinstance(needles, dict):
        needles = {n: FORGOTTEN_NAME for n in needles}
    order = sorted(needles, key=len, reverse=True)

    def one(text: str) -> str:
        for needle in order:
            text = re.sub(rf"{_EDGE_BEFORE}@?{re.escape(needle)}{_EDGE_AFTER}", needles[needle], text, flags=re.IGNORECASE)
        return text

    return map_strings(value, one)


def map_strings(value: Any, fn: Callable[[str], Any]) -> Any:
    """``value`` (JSON-like) with ``fn`` applied to every string in it, keys left alone."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [map_strings(v, fn) for v in value]
    return value


# -- what a member wrote ---------------------------------------------------------------------


REMOVED_TEXT = "[removed at the writer's request]"
_WORD = re.compile(r"[^\W_]+")
_SHINGLE = 5  # words in a row that must match: an excerpt or a quote still matches, a common phrase of two words does not


class Redactor:
    """Takes what a forgotten member wrote out of other text, wherever a copy of it went.

    Copies are rarely exact: a digest quotes the first sentence, a practice post
    wraps an excerpt in quote markup, a message cuts it with "…". So a copy is
    found by runs of :data:`_SHINGLE` words in a row (case and punctuation
    ignored), and every run of words covered by such matches is replaced by
    :data:`REMOVED_TEXT`. A text shorter than that (a reply of three words) is
    matched whole. Texts of fewer than three words are left alone: "yes, thanks"
    is nobody's in particular.
    """

    def __init__(self, texts: list[str]) -> None:
        self.shingles: set[tuple[str, ...]] = set()
        for text in texts:
            words = [w.lower() for w in _WORD.findall(text or "")]
            if len(words) < 3:
                continue
            k = min(_SHINGLE, len(words))
            self.shingles.update(tuple(words[i : i + k]) for i in range(len(words) - k + 1))
        self.sizes = sorted({len(s) for s in self.shingles}, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.shingles)

    def text(self, value: str) -> str:
        """``value`` with every run of words copied from the member's texts replaced."""
        if not self.shingles or len(value) < 8:
            return value
        words = list(_WORD.finditer(value))
        covered = [False] * len(words)
        lowered = [w.group().lower() for w in words]
        for k in self.sizes:
            for i in range(len(words) - k + 1):
                if tuple(lowered[i : i + k]) in self.shingles:
                    covered[i : i + k] = [True] * k
        if not any(covered):
            return value
        out, pos, i = [], 0, 0
        while i < len(words):
            if not covered[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(words) and covered[j + 1]:
                j += 1
            out.append(value[pos : words[i].start()])
            out.append(REMOVED_TEXT)
            pos = words[j].end()
            i = j + 1
        out.append(value[pos:])
        return "".join(out)

    def __call__(self, value: Any) -> Any:
        """``value`` (JSON-like) with every string redacted."""
        return map_strings(value, self.text)
