"""What people type, with the characters no one means to type taken out, before any flow sees it.

A NUL makes PostgreSQL refuse the whole insert (every free-text path used
to end in a traceback there); other control characters and lone surrogates
from a platform's JSON are never meant and break rendering. Newline and tab
stay: they are how people lay out an answer.
"""

from __future__ import annotations

import dataclasses
import re

from bot.core.messages import Incoming

__all__ = ["clean_incoming", "clean_text"]

_UNTYPEABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""C0 and C1 control characters except tab and newline, DEL, and lone surrogates."""

_TEXT_FIELDS = ("text", "command", "value", "action_label", "form_context", "user_name", "username", "user_timezone", "network_name")


def clean_text(text: str) -> str:
    """``text`` without control characters (but with its newlines and tabs)."""
    return _UNTYPEABLE.sub("", text)


def clean_incoming(incoming: Incoming) -> Incoming:
    """``incoming`` with every typed field cleaned; the same object when nothing needed it."""
    changes: dict = {}
    for name in _TEXT_FIELDS:
        value = getattr(incoming, name)
        if value and _UNTYPEABLE.search(value):
            changes[name] = clean_text(value)
    if any(_UNTYPEABLE.search(a) for a in incoming.args):
        changes["args"] = tuple(clean_text(a) for a in incoming.args)
    if any(_UNTYPEABLE.search(k) or _UNTYPEABLE.search(v or "") for k, v in incoming.form_values.items()):
        changes["form_values"] = {clean_text(k): clean_text(v or "") for k, v in incoming.form_values.items()}
    return dataclasses.replace(incoming, **changes) if changes else incoming
