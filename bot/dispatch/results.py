"""What handling an event gives back at once; everything else it caused is in the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["HandleResult", "SORRY"]

SORRY = "Sorry, something went wrong on my side and nothing was changed. Please try again in a minute."
"""The answer to an event whose handling failed: every step may have to give it."""


@dataclass
class HandleResult:
    """What the adapter needs to know right away (the rest is in the outbox)."""

    duplicate: bool = False
    enqueued: int = 0
    form_errors: dict[str, str] | None = None
    immediate: list[str] = field(default_factory=list)
    member_id: int | None = None
