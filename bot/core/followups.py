"""Follow-up sources: how a flow tells the nudges what is due, without either importing the other.

Commitments, pairs, steals and meetings each register a
:class:`FollowUpSource` on the router (``router.follow_up(...)``). The nudges
flow asks the router for every source, loads each once per run, asks each
what is due for a member, combines the items into one message within the
member's limits, and hands an answer back to the source that raised it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.availability import Person

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.core.context import Context
    from bot.store.models import Network

__all__ = ["FOLLOW_UP_CREATED", "FollowUp", "FollowUpSource", "MeetingInfo", "World"]

FOLLOW_UP_CREATED = "follow_up.created"
"""Emitted (``ctx.emit``) when a flow creates something a source will follow up."""


@dataclass(frozen=True)
class MeetingInfo:
    """A scheduled meeting, as plain data: several sources time their items by the next one."""

    id: int
    starts_at: datetime
    title: str
    link: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """One thing to follow a member up about; several go out as one message.

    ``rule`` and ``subject`` ("commitment:12") are stored in the nudge log:
    keep them byte-identical.
    """

    rule: str
    subject: str
    member_id: int
    due_at: datetime
    expires_at: datetime | None
    text: str
    answers: tuple[tuple[str, str], ...] = ()  # (button label, answer code)


@dataclass(frozen=True)
class World:
    """What every source may read, loaded once per run by the caller."""

    network: Network
    now: datetime
    horizon: timedelta
    people: dict[int, Person]
    meetings: list[MeetingInfo] = field(default_factory=list)  # scheduled, by start
    raised: frozenset[str] = frozenset()  # subjects the nudges have raised before

    def next_meeting(self, now: datetime) -> MeetingInfo | None:
        return next((m for m in self.meetings if m.starts_at > now), None)


@dataclass(frozen=True)
class FollowUpSource:
    """What one flow follows up, and how an answer to it is applied.

    - ``load(session, world) -> data``: one read per run (``world.horizon``
      reaches ahead for a preview);
    - ``due(data, person, world, now) -> list[FollowUp]``: pure, so a preview
      can ask it for every hour of a week;
    - ``answers(subject) -> ((label, code), ...)``: the buttons of an item, to
      redraw them after a press;
    - ``apply(ctx, subject, code) -> str``: record the member's answer, return
      a short note for them ("Done. Well done!"); raise ``UserError`` when the
      item has gone;
    - ``sent(session, subject, now)``: optional, mark the thing as followed up;
    - ``opt_out``: the member's opt-out key that silences this source too
      (a flow: "pairing", "practices", "reflection").
    """

    rule: str
    description: str
    load: Callable[[Session, World], Any]
    due: Callable[[Any, Person, World, datetime], list[FollowUp]]
    answers: Callable[[str], tuple[tuple[str, str], ...]]
    apply: Callable[[Context, str, str], str]
    sent: Callable[[Session, str, datetime], None] | None = None
    opt_out: str | None = None
