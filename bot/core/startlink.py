"""What a start link carries: the network, and what the person asked in its group.

On Telegram a bot may write to someone only after they press *Start* in a
private chat, so a command typed in a group by someone who never did cannot
be answered privately. The welcome flow posts a start link instead, and the
link carries the command (Telegram's start payload: at most 64 characters of
``A-Za-z0-9_-``), so pressing Start answers what was asked. A command too
long to fit is left out and the person is told to ask again.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["MAX_PAYLOAD", "read_payload", "start_payload"]

MAX_PAYLOAD = 64
_PAYLOAD = re.compile(r"^(-?[0-9]+)(?:_([A-Za-z0-9_-]*))?$")


def start_payload(network_key: str, ask: str = "") -> str:
    """``<network key>`` or ``<network key>_<ask, base64url>`` when the ask fits."""
    encoded = base64.urlsafe_b64encode(ask.strip().encode()).decode().rstrip("=")
    payload = f"{network_key}_{encoded}" if encoded else network_key
    return payload if len(payload) <= MAX_PAYLOAD else network_key


def read_payload(payload: str) -> tuple[str, str] | None:
    """``(network key, ask)`` from a payload made by :func:`start_payload`; None if it is not one."""
    match = _PAYLOAD.match(payload)
    if match is None:
        return None
    key, encoded = match.group(1), match.group(2) or ""
    try:
        ask = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode() if encoded else ""
    except (binascii.Error, UnicodeDecodeError, ValueError):
        ask = ""  # a damaged link still leads to the network
    return key, " ".join(ask.split())
