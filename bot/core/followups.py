"""Follow-up sources: how a flow tells the nudges what is due, without either importing the other.

Commitments, pairs, steals and meetings each register a
:class:`FollowUpSource` on the router (``router.follow_up(...)``). The nudges
flow asks the router for every source, loads each once per run, asks each
what is due for a member, combines the items into one message within the
member's limits, and hands an answer back to the source that raised it.

Two questions go the other way, still without imports: a flow that created
something to follow up says so with ``ctx.emit(FOLLOW_UP_CREATED)``, and a
flow that could ask its own follow-up (practices' "how did it go?") asks
:func:`planned` whether the planner asks instead.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.availability import Person
from bot.core.dates.zone import zone

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.core.context import Context
    from bot.store.models import Network

__all__ = [
    "FOLLOW_UP_CREATED", "LEAD", "PLANNING", "VISIT_DONE", "FollowUp", "FollowUpSource", "MeetingInfo", "World", "in_order",
    "local_when", "members_of", "planned", "subject_id",
]  # fmt: skip

FOLLOW_UP_CREATED = "follow_up.created"
"""Emitted (``ctx.emit``) when a flow creates something a source will follow up."""
PLANNING = "follow_up.planning"
# a member of a visit trio said the visit happened (``group_id=``): what follows a visit can start
VISIT_DONE = "visit.done"
"""Emitted by the planner before it loads the :class:`World`, so a flow can bring its
records up to date first (the meeting rhythm puts its next meetings on the calendar)."""
LEAD = timedelta(days=3)
"""How long before a meeting the items timed by it fall due, the same for every source so they arrive together."""


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
    """What every source may read, loaded once per run by the caller.

    ``people`` holds only the members the sources named (see ``FollowUpSource.members``),
    and is empty while the sources load: an hourly run reads no one with nothing due.
    """

    network: Network
    now: datetime
    horizon: timedelta
    people: dict[int, Person]
    meetings: list[MeetingInfo] = field(default_factory=list)  # scheduled, by start

    def next_meeting(self, now: datetime) -> MeetingInfo | None:
        return min((m for m in self.meetings if m.starts_at > now), key=lambda m: m.starts_at, default=None)


@dataclass(frozen=True)
class FollowUpSource:
    """What one flow follows up, and how an answer to it is applied.

    - ``load(session, world) -> data``: one read per run of what may fall due
      by ``world.now + world.horizon`` (filter by time in the query, so a run
      costs what is due, not what exists; ``world.people`` is empty here).
      Without a horizon, leave out in the query what was raised already
      (:func:`bot.store.nudges.raised`, the planner's "never twice"): what
      members leave unanswered piles up, and would be read every hour to be
      dropped;
    - ``members(data, world) -> ids | None``: who the loaded data may have
      items for (``None``: any member, as a preview of "bring one thing you
      tried" before a meeting); the planner reads and plans for no one else.
      Without it, data that is a mapping is taken to be keyed by member id,
      anything else as for anyone;
    - ``due(data, person, world, now) -> list[FollowUp]``: pure, so a preview
      can ask it for every hour of a week;
    - ``answers(subject) -> ((label, code), ...)``: the buttons of an item, to
      redraw them after a press;
    - ``apply(ctx, subject, code) -> str``: record the member's answer, return
      a short note for them ("Done. Well done!"); raise ``UserError`` when the
      item has gone;
    - ``sent(session, subject, now)``: optional, mark the thing as followed up;
    - ``not_sent(session, subject)``: optional, undo ``sent`` when the nudge
      never reached the member (delivery dropped it: they paused meanwhile),
      so the thing can be followed up later;
    - ``opt_out``: the member's opt-out key that silences this source too
      (a flow: "pairing", "practices", "reflection");
    - ``order``: where the rule is listed and where its items come in a
      combined message;
    - ``looks_back``: how long after a meeting starts the source still needs it
      in ``world.meetings`` (the after-meeting reflection follows one up).
    """

    rule: str
    description: str
    load: Callable[[Session, World], Any]
    due: Callable[[Any, Person, World, datetime], list[FollowUp]]
    answers: Callable[[str], tuple[tuple[str, str], ...]]
    apply: Callable[[Context, str, str], str]
    members: Callable[[Any, World], Collection[int] | None] | None = None
    sent: Callable[[Session, str, datetime], None] | None = None
    not_sent: Callable[[Session, str], None] | None = None
    opt_out: str | None = None
    order: int = 100
    looks_back: timedelta = timedelta(0)


def members_of(source: FollowUpSource, data: Any, world: World) -> Collection[int] | None:
    """Who ``data`` (what ``source`` loaded) may have items for; ``None`` for anyone."""
    if source.members is not None:
        return source.members(data, world)
    return data.keys() if isinstance(data, Mapping) else None


def subject_id(subject: str) -> int:
    """The record id in a subject such as "commitment:12" (the form every source that keys by id writes)."""
    return int(subject.partition(":")[2])


def in_order(sources: Mapping[str, FollowUpSource]) -> list[FollowUpSource]:
    """The registered sources (``router.follow_ups``) in the order members and facilitators see the rules."""
    return sorted(sources.values(), key=lambda s: s.order)


def local_when(at: datetime, tz: str) -> str:
    """ "Thu 3 Dec at 14:00", on the reader's clock: how follow-up texts say when."""
    local = at.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def planned(ctx: Context) -> bool:
    """Whether a planner (the nudges flow, ``router.plan_follow_ups``) sends the follow-ups in
    ``ctx.network``: then a flow that could ask its own leaves them to it, within the member's cap."""
    active = ctx.router.follow_up_planner
    return active is not None and bool(active(ctx.session, ctx.network.id))
