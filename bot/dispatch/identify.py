"""Who is this? The network and the member an event comes from, and the context a handler gets.

A network or a member met for the first time is created here (the first
member of a network is its facilitator, unless they came by a link: a link
anyone can open never creates a network nor makes a facilitator), and what the platform says of the
person (name, username, time zone, a private chat) is kept up to date. A batch
looks its networks and members up together first (:class:`Known`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, inspect
from sqlmodel import Session, col, select

from bot.core.clock import Clock
from bot.core.context import Context
from bot.core.dates.zone import zone
from bot.core.messages import Incoming
from bot.core.networks import memberships, open_conversations
from bot.core.router import Router
from bot.dispatch.results import HandleResult
from bot.store.activity import record_activity
from bot.store.models import LEFT_GROUP, Member, Network

__all__ = ["ACTIVE_GRAIN", "NO_NETWORK_YET", "NOT_IN_NETWORK", "NOT_MEMBER_THERE", "Known", "member_of", "network_of", "open_context"]

logger = logging.getLogger(__name__)

ACTIVE_GRAIN = timedelta(minutes=1)
"""``last_active_at`` is kept to this precision (the digest counts weeks)."""

NOT_MEMBER_THERE = "That button is for a network you're not a member of, so it did nothing. `/beacon network` shows the networks you're in."
NOT_IN_NETWORK = "You're not in a network on Beacon yet. Ask your facilitator for the invite link, or write `/beacon join` in your network's group."

NO_NETWORK_YET = (
    "That group isn't set up on Beacon yet: the network starts when someone adds me to the group. "
    "Ask whoever runs the group to add me, then tap the link again."
)

# Statements on every event's path, built once rather than per event
_NETWORK_BY_KEY = select(Network).where(Network.platform == bindparam("platform"), Network.platform_key == bindparam("key"))
_MEMBER_BY_USER = select(Member).where(Member.network_id == bindparam("network_id"),
                                       Member.platform_user_id == bindparam("user_id"))  # fmt: skip


def open_context(session: Session, incoming: Incoming, event_id: str, result: HandleResult, *, router: Router,
                 clock: Clock, known: Known | None = None) -> Context | None:  # fmt: skip
    """The handler's context for ``incoming``: its network and member, found or created.

    None (and :data:`NOT_IN_NETWORK` for the person) when a private chat
    belongs to no network yet.
    """
    now = clock.now()
    network = known.network(incoming) if known else None
    network = network or network_of(session, incoming, now)
    if network is None:
        named = incoming.network_key is None and incoming.network_id is not None
        result.immediate.append(NO_NETWORK_YET if incoming.joins_by_link else NOT_MEMBER_THERE if named else NOT_IN_NETWORK)
        return None
    member = known.member(network, incoming) if known else None
    if member is None:
        member = session.exec(_MEMBER_BY_USER, params={"network_id": network.id, "user_id": incoming.user_id}).first()
    was_left = member is not None and member.unreachable_reason == LEFT_GROUP
    member, is_new = member_of(session, network, incoming, now, member)
    if known:
        known.remember(member)
    last = member.last_active_at
    if last is None or now - last >= ACTIVE_GRAIN:
        member.last_active_at = now  # to the minute: a burst of messages writes it once
    session.add(member)
    session.flush()
    tz = zone(network.timezone)
    if last is None or last.astimezone(tz).date() != now.astimezone(tz).date():  # the first sign of life today
        record_activity(session, network_id=network.id, member_id=member.id, at=now, zone=tz.key)
    ctx = Context(
        session=session,
        clock=clock,
        router=router,
        network=network,
        member=member,
        incoming=incoming,
        key_prefix=f"in:{incoming.platform}:{event_id}",
    )
    ctx.member_is_new = is_new
    ctx.member_is_back = was_left and member.unreachable_reason != LEFT_GROUP
    return ctx


def network_of(session: Session, incoming: Incoming, now: datetime) -> Network | None:
    """The event's network, created on its first event; for a private chat that names none, :func:`private_network`."""
    if incoming.network_key is None:
        return private_network(session, incoming)
    network = session.exec(_NETWORK_BY_KEY, params={"platform": incoming.platform, "key": incoming.network_key}).first()
    if network is None and incoming.joins_by_link:
        return None  # a link is not a group: only the group's own events create its network
    if network is None:
        network = Network(
            platform=incoming.platform,
            platform_key=incoming.network_key,
            name=(incoming.network_name or incoming.network_key)[:200],
            created_at=now,
        )
        session.add(network)
        session.flush()
        logger.info("new network %s on %s", network.id, network.platform)
    return network


def private_network(session: Session, incoming: Incoming) -> Network | None:
    """The network a private chat shared by all the person's networks acts in.

    A button names its own (honoured only if the person is a member there:
    data in a button can be forged); a typed reply goes to the one network
    with a question open for them; otherwise the network they chose, else the
    one they were last active in. A private chat never creates a network.
    """
    mine = memberships(session, incoming.platform, incoming.user_id)
    if incoming.network_id is not None:
        return next((m.network for m in mine if m.network.id == incoming.network_id), None)
    if incoming.kind == "message":
        open_in = open_conversations(session, incoming.platform, incoming.user_id)
        if len(open_in) == 1:
            return open_in[0][0].network
    return mine[0].network if mine else None


def member_of(session: Session, network: Network, incoming: Incoming, now: datetime,
              member: Member | None = None) -> tuple[Member, bool]:  # fmt: skip
    """The person who acted, as a member of ``network`` (``member`` when already known),
    and whether they were created just now."""
    created = False
    if member is None:
        member = session.exec(_MEMBER_BY_USER, params={"network_id": network.id, "user_id": incoming.user_id}).first()
    if member is None:
        first = session.exec(select(Member.id).where(Member.network_id == network.id)).first() is None
        member = Member(
            network_id=network.id,
            platform_user_id=incoming.user_id,
            display_name=(incoming.user_name or incoming.username or incoming.user_id)[:200],
            username=incoming.username,
            timezone=incoming.user_timezone,
            is_facilitator=bool((first and not incoming.joins_by_link) or incoming.is_admin),
            created_at=now,
        )
        session.add(member)
        session.flush()
        created = True
    else:
        if incoming.user_name and member.display_name != incoming.user_name[:200]:
            member.display_name = incoming.user_name[:200]
        if incoming.username and member.username != incoming.username:
            member.username = incoming.username
        if incoming.user_timezone and not member.timezone:
            member.timezone = incoming.user_timezone
    if member.unreachable_reason == LEFT_GROUP and (incoming.joins_by_link or not incoming.is_private):
        member.unreachable, member.unreachable_reason = False, None  # back in the group
    if incoming.is_private and incoming.kind != "form" and member.unreachable_reason != LEFT_GROUP:
        if not member.has_private_chat or member.unreachable:
            member.has_private_chat = True
            member.unreachable = False
            member.unreachable_reason = None
    return member, created


@dataclass
class Known:
    """Networks and members of a batch, each looked up once for all its events."""

    networks: dict[tuple[str, str], Network] = field(default_factory=dict)
    members: dict[tuple[int, str], Member] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, incomings: list[Incoming]) -> Known:
        known = cls()
        keys: dict[str, set[str]] = {}
        for incoming in incomings:
            if incoming.network_key is not None:
                keys.setdefault(incoming.platform, set()).add(incoming.network_key)
        for platform, network_keys in keys.items():
            found = select(Network).where(Network.platform == platform, col(Network.platform_key).in_(network_keys))
            known.networks.update(((n.platform, n.platform_key), n) for n in session.exec(found))
        wanted = {(n.id, i.user_id) for i in incomings if (n := known.network(i)) is not None}
        if wanted:
            found = select(Member).where(col(Member.network_id).in_({n for n, _ in wanted}),
                                         col(Member.platform_user_id).in_({u for _, u in wanted}))  # fmt: skip
            known.members.update(((m.network_id, m.platform_user_id), m) for m in session.exec(found))
        return known

    def network(self, incoming: Incoming) -> Network | None:
        if incoming.network_key is None:
            return None  # a private chat on Telegram: found per event, by the member's latest activity
        return self.networks.get((incoming.platform, incoming.network_key))

    def member(self, network: Network, incoming: Incoming) -> Member | None:
        """The member as the batch knows them. An earlier event's changes are on
        this same object (the session's identity map), as a fresh look-up would
        return it; one that removed them (a chat migration merges members) is
        noticed, and they are looked up again."""
        key = (network.id, incoming.user_id)
        member = self.members.get(key)
        if member is not None and not inspect(member).persistent:  # deleted, or undone with a savepoint
            del self.members[key]
            return None
        return member

    def remember(self, member: Member) -> None:
        """A member created during the batch: their next event need not look them up."""
        self.members.setdefault((member.network_id, member.platform_user_id), member)
