"""Numbers people type and buttons carry, read strictly.

``str.isdigit`` takes ``²`` (which ``int`` then refuses) and ``١٢`` (which
``int`` reads as 12), and a 20-digit id overflows every integer column: each
used to end in a traceback. Every number from outside goes through here.
"""

from __future__ import annotations

__all__ = ["MAX_ID", "parse_id", "parse_number"]

MAX_ID = 2**31 - 1
"""The largest id an integer column holds on PostgreSQL (and so the largest a row can have)."""


def parse_number(text: str | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number when it is ASCII digits within ``low``..``high``, else None."""
    raw = (text or "").strip()
    if not raw or len(raw) > len(str(high)) or not (raw.isascii() and raw.isdigit()):
        return None
    n = int(raw)
    return n if low <= n <= high else None


def parse_id(text: str | None) -> int | None:
    """A record id (1 or more, within an integer column), else None: a forged or stale value finds nothing."""
    return parse_number(text, low=1)
