"""Pure rendering of an :class:`~bot.core.messages.Outgoing` for Telegram.

HTML parse mode (every user character escaped by :func:`bot.core.markup.to_telegram_html`),
inline keyboards whose ``callback_data`` fits Telegram's 64 bytes, and
splitting at paragraph boundaries so no part exceeds 4096 characters. No I/O
here, so it is tested without a bot.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.markup import to_telegram_html
from bot.core.messages import Choice, Outgoing

__all__ = [
    "MAX_CALLBACK_BYTES",
    "MAX_CAPTION",
    "MAX_TEXT",
    "CallbackCodec",
    "Rendered",
    "keyboard",
    "render",
    "render_edit",
    "split_markup",
]

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
SHORT_LABEL = 16  # two buttons share a row when every label is at most this long
_HASHED = "~"
_NETWORK = "#"
_CUT = "… (cut: too long)"


class CallbackCodec:
    """``#network|action|value`` in ``callback_data``; a short hash when that is too long.

    The network comes first because one private chat serves every network a
    person is in: the button must say which one it acts in. Buttons sent
    before that (``action|value``) still decode, with no network. Values
    should be short at the source (an id, not a sentence). The hash map lives
    in memory only, so after a restart an over-long button decodes to
    ``None`` and the adapter says the button has expired instead of guessing.
    """

    def __init__(self) -> None:
        self._long: dict[str, tuple[str, str, int | None]] = {}

    def encode(self, action: str, value: str = "", *, network_id: int | None = None) -> str:
        data = (f"{_NETWORK}{network_id}|" if network_id is not None else "") + f"{action}|{value}"
        if len(data.encode()) <= MAX_CALLBACK_BYTES:
            return data
        digest = hashlib.sha256(data.encode()).hexdigest()[:24]
        key = _HASHED + digest
        self._long[key] = (action, value, network_id)
        logger.warning("button value for %s is %d bytes; kept in memory as %s", action, len(data.encode()), key)
        return key

    def decode(self, data: str | None) -> tuple[str, str] | None:
        unpacked = self.unpack(data)
        return unpacked[:2] if unpacked else None

    def unpack(self, data: str | None) -> tuple[str, str, int | None] | None:
        """``(action, value, network id or None)``; ``None`` for data that is no button of ours."""
        if not data:
            return None
        if data.startswith(_HASHED):
            return self._long.get(data)
        network_id = None
        if data.startswith(_NETWORK):
            head, sep, data = data[1:].partition("|")
            if not sep or not head.isascii() or not head.isdigit() or len(head) > 12:
                return None
            network_id = int(head)
        action, sep, value = data.partition("|")
        return (action, value, network_id) if sep and action else None


def keyboard(choices: Sequence[Choice], codec: CallbackCodec, *, network_id: int | None = None) -> InlineKeyboardMarkup | None:
    """One button a row, or two a row when every label is short; each names ``network_id``."""
    if not choices:
        return None
    buttons = [
        InlineKeyboardButton(c.label, url=c.url)
        if c.url
        else InlineKeyboardButton(c.label, callback_data=codec.encode(c.action, c.value, network_id=network_id))
        for c in choices
    ]
    per_row = 2 if all(len(c.label) <= SHORT_LABEL for c in choices) else 1
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return InlineKeyboardMarkup(rows)


def _fits(chunk: str, limit: int) -> bool:
    return len(to_telegram_html(chunk)) <= limit


def _pieces(text: str, limit: int, fits: Callable[[str, int], bool]) -> list[str]:
    """Split one over-long paragraph at line breaks, then words, then anywhere."""
    for sep in ("\n", " "):
        parts = text.split(sep)
        if len(parts) > 1:
            return _pack(parts, sep, limit, fits)
    out, rest = [], text
    while rest:
        n = min(len(rest), limit)
        while n > 1 and not fits(rest[:n], limit):
            n = max(1, n * 3 // 4)
        out.append(rest[:n])
        rest = rest[n:]
    return out


def _pack(parts: list[str], sep: str, limit: int, fits: Callable[[str, int], bool]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{sep}{part}" if current else part
        if fits(candidate, limit):
            current = candidate
            continue
        if current:
            chunks.append(current)
        if fits(part, limit):
            current = part
        else:
            pieces = _pieces(part, limit, fits)
            chunks.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
    if current:
        chunks.append(current)
    return chunks


def split_markup(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Light-markup ``text`` in chunks whose rendered HTML is at most ``limit`` long.

    Splitting happens before rendering, at blank lines first, so a chunk never
    cuts an HTML tag in half. (The HTML length bounds the visible length, so
    this is conservative.)
    """
    if _fits(text, limit):
        return [text]
    return [c for c in _pack(text.split("\n\n"), "\n\n", limit, _fits) if c.strip()] or [text[:limit]]


@dataclass(frozen=True)
class Rendered:
    """HTML parts to send in order; the keyboard goes on the last one."""

    parts: tuple[str, ...]
    reply_markup: InlineKeyboardMarkup | None
    caption: str | None = None  # for a picture or file: HTML caption, when the text fits one


def _with_header(out: Outgoing) -> str:
    return f"*{out.header}*\n{out.text}" if out.header and out.header.strip() else out.text


def render(out: Outgoing, codec: CallbackCodec) -> Rendered:
    """The HTML parts (and photo caption) for a new message."""
    source = _with_header(out)
    markup = keyboard(out.choices, codec, network_id=out.network_id)
    if out.attachment is not None and _fits(source, MAX_CAPTION):
        return Rendered(parts=(), reply_markup=markup, caption=to_telegram_html(source) if source.strip() else None)
    parts = tuple(to_telegram_html(c) for c in split_markup(source))
    return Rendered(parts=parts, reply_markup=markup)


def render_edit(out: Outgoing, codec: CallbackCodec) -> tuple[str, InlineKeyboardMarkup | None]:
    """One message's replacement text (cut with a visible marker if too long)."""
    source = _with_header(out)
    chunks = split_markup(source, MAX_TEXT - len(_CUT))
    text = to_telegram_html(chunks[0]) + (_CUT if len(chunks) > 1 else "")
    return text, keyboard(out.choices, codec, network_id=out.network_id)
