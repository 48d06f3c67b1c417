"""The core tables: networks, members, flows, and the plumbing that makes
delivery and scheduling safe (occurrences, inbound events, outbox, audit).

Flow-specific tables live beside their flow in ``bot/store/`` modules of
their own; all share :data:`SQLModel.metadata` so Alembic sees them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, bindparam
from sqlmodel import Field, SQLModel, select

from bot.store.types import empty_dict, empty_list, utc_field

__all__ = [
    "LEFT_GROUP",
    "Role",
    "permits",
    "roles_text",
    "roles_of",
    "held_by",
    "Network",
    "Member",
    "Flow",
    "FlowOccurrence",
    "InboundEvent",
    "OutboxMessage",
    "OutboxMember",
    "OutboxStatus",
    "AuditEntry",
    "Conversation",
    "CONVERSATION_OF",
]


class Role(str, Enum):
    """What a member may do. Not a ladder: a member holds a set of roles, and a
    coordinator (reads digests, exports evaluation data) may not configure the
    network the way a facilitator does, nor the other way round.
    """

    MEMBER = "member"
    FACILITATOR = "facilitator"
    COORDINATOR = "coordinator"


def roles_of(row) -> frozenset[Role]:
    """The roles a member row holds (a :class:`Member` or a selected row with its two flags)."""
    return frozenset(r for r, held in ((Role.FACILITATOR, row.is_facilitator), (Role.COORDINATOR, row.is_coordinator)) if held)


def roles_text(roles: Iterable[Role]) -> str:
    """``a facilitator and a coordinator``, or ``a member``: for replies and help."""
    held = set(roles)
    return " and ".join(f"a {r.value}" for r in Role if r in held and r != Role.MEMBER) or "a member"


def permits(held: Iterable[Role], needed: Role | Iterable[Role]) -> bool:
    """Whether roles ``held`` satisfy ``needed`` (a role, or any one of several);
    everyone is a member."""
    wanted = {needed} if isinstance(needed, Role) else set(needed)
    return Role.MEMBER in wanted or bool(wanted & set(held))


class Network(SQLModel, table=True):
    """A learning network: one Slack workspace, one Telegram group, or the console."""

    __table_args__ = (UniqueConstraint("platform", "platform_key"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    platform_key: str = Field(max_length=100)
    name: str = Field(max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    practice_channel: str | None = Field(default=None, max_length=100)
    settings: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    created_at: datetime = utc_field()


LEFT_GROUP = "left the group"
"""``Member.unreachable_reason`` of someone who left (or was removed from) their
network's group: only coming back to the group links them again."""


class Member(SQLModel, table=True):
    """A practitioner in one network. Personal data lives here and in flow tables."""

    __table_args__ = (UniqueConstraint("network_id", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    platform_user_id: str = Field(max_length=100)
    display_name: str = Field(default="", max_length=200)
    username: str | None = Field(default=None, max_length=100)
    organisation: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    is_facilitator: bool = False
    is_coordinator: bool = False
    cohort: str | None = Field(default=None, max_length=100)
    wants: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    offers: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    wants_tags: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    offers_tags: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    availability: str = Field(default="every", max_length=20)
    paused_until: datetime | None = utc_field(default=None)
    opted_out: list[str] = Field(default_factory=empty_list, sa_type=JSON)
    quiet_hours: str = Field(default="20:00-08:00", max_length=20)
    quiet_weekends: bool = True
    unreachable: bool = False
    unreachable_reason: str | None = Field(default=None, max_length=200)
    dm_channel: str | None = Field(default=None, max_length=100)
    has_private_chat: bool = True
    created_at: datetime = utc_field()
    last_active_at: datetime | None = utc_field(default=None)
    chosen_at: datetime | None = utc_field(default=None)
    """When the person chose this network (``/beacon network``) for the private
    chat they share across networks; the latest choice wins over activity."""

    @property
    def roles(self) -> frozenset[Role]:
        """The roles held beyond being a member (empty for most members)."""
        return roles_of(self)

    def may(self, needed: Role | Iterable[Role]) -> bool:
        return permits(self.roles, needed)

    def set_role(self, role: Role, held: bool) -> None:
        """Grant (``held``) or revoke one role, leaving the others as they are."""
        if role == Role.FACILITATOR:
            self.is_facilitator = held
        elif role == Role.COORDINATOR:
            self.is_coordinator = held

    def is_paused(self, now: datetime) -> bool:
        return self.paused_until is not None and self.paused_until > now

    def has_opted_out(self, what: str) -> bool:
        return what in (self.opted_out or [])


def held_by(role: Role):
    """SQL: the members who hold ``role`` (a role is a flag on the member row)."""
    column = {Role.FACILITATOR: Member.is_facilitator, Role.COORDINATOR: Member.is_coordinator}[role]
    return column == True  # noqa: E712


class Flow(SQLModel, table=True):
    """A configured flow of one kind in one network (e.g. the weekly reflection)."""

    __table_args__ = (UniqueConstraint("network_id", "kind", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    kind: str = Field(max_length=40)
    name: str = Field(max_length=100)
    schedule: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    enabled: bool = True
    checked_until: datetime | None = utc_field(default=None)
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class FlowOccurrence(SQLModel, table=True):
    """One due run of a flow. The unique slot is what makes a run happen once,
    however many ticks or bot processes see it."""

    __tablename__ = "flow_occurrence"
    __table_args__ = (UniqueConstraint("flow_id", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    flow_id: int = Field(foreign_key="flow.id", index=True)
    slot: str = Field(max_length=120)
    timezone: str = Field(default="UTC", max_length=64)
    due_at: datetime = utc_field()
    ran_at: datetime = utc_field()
    recipients: int = 0


class InboundEvent(SQLModel, table=True):
    """A platform event already handled: retries and redeliveries stop here."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    event_id: str = Field(max_length=200)
    received_at: datetime = utc_field(index=True)


class OutboxStatus(str, Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """A message waiting to be, or already, delivered.

    Written in the same transaction as the change that caused it; the delivery
    worker claims, sends and marks it. ``key`` makes enqueueing idempotent.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_member_time", "member_id", "next_attempt_at"),
        # the hourly prune reads only a network's delivered rows still holding their words (see bot.store.outbox)
        Index("ix_outbox_unpruned", "network_id", "pruned_at", "status", "sent_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    platform: str = Field(max_length=20)
    member_id: int | None = Field(default=None, index=True)
    payload: dict[str, Any] = Field(sa_type=JSON)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = utc_field()
    claimed_until: datetime | None = utc_field(default=None)
    claimed_by: str | None = Field(default=None, max_length=100)
    last_error: str | None = Field(default=None, max_length=500)
    platform_message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = utc_field()
    sent_at: datetime | None = utc_field(default=None)
    # a message the member did not ask for: the opt-out keys it keeps, comma-separated ("" for none);
    # NULL for replies. Delivery re-checks the member's limits for these (see bot.delivery.worker)
    unprompted: str | None = Field(default=None, max_length=200)
    # when housekeeping deleted the delivered message's words; NULL while it still holds them
    pruned_at: datetime | None = utc_field(default=None)


class OutboxMember(SQLModel, table=True):
    """Each member an unprompted group message addresses (a pairing introduction, "did you meet?" to a group).

    The outbox row names one member at most, so without these a group message
    would count for nobody's gap or weekly cap; keyed by member first, so a
    member's recent unprompted messages stay one indexed read.
    """

    __tablename__ = "outbox_member"

    member_id: int = Field(primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", primary_key=True, index=True)


class AuditEntry(SQLModel, table=True):
    """A configuration change by a facilitator: who, what, before and after."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="member.id", index=True)  # a member's export and forget-me find theirs
    action: str = Field(max_length=100)
    target: str = Field(default="", max_length=200)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = utc_field()
    undone_at: datetime | None = utc_field(default=None)


class Conversation(SQLModel, table=True):
    """The question a member is in the middle of answering, kept in the store so
    a restart resumes at the right place. One open conversation per member."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    owner: str = Field(max_length=40)
    state: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    started_at: datetime = utc_field()
    updated_at: datetime = utc_field()


CONVERSATION_OF = select(Conversation).where(Conversation.member_id == bindparam("member_id"))
"""A member's open conversation (``params={"member_id": …}``), built once: every plain message reads it."""
