"""What Slack tells us about a workspace and its people, written to the store.

A member deactivated or reactivated, a new time zone, an installation
uninstalled, revoked or reinstalled: each changes stored rows. These are
synchronous store calls the adapter runs in a thread, as Telegram's
``members`` module does, so the adapter keeps only the Web API side.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from bot.adapters.base import Held
from bot.core.dates.zone import to_zone
from bot.core.members import is_forgotten, leave_network
from bot.core.networks import MEMBERSHIP_CHANNEL
from bot.store.db import Store
from bot.store.models import Member, Network, OutboxMessage, OutboxStatus
from bot.store.slack import SlackInstallation

__all__ = ["DEACTIVATED", "HELD", "apply_user", "held_reason", "leave_channel", "membership_channel", "resume", "set_revoked", "valid_zone"]

logger = logging.getLogger(__name__)

DEACTIVATED = "deactivated on Slack"
"""A member's ``unreachable_reason`` while their Slack account is deactivated (persisted)."""
HELD = Held.PREFIX


def valid_zone(name: Any) -> str | None:
    """``name`` when it is a time zone this machine knows, else None (and a log line).

    Slack's ``tz`` is usually an IANA name, but an old or odd one stored as is
    would make every schedule evaluated in it fail.
    """
    if not name:
        return None
    try:
        to_zone(str(name))
    except ValueError:
        logger.warning("slack: ignoring unknown time zone %r", str(name)[:64])
        return None
    return str(name)


def apply_user(store: Store, team_id: str | None, user: dict[str, Any]) -> int:
    """A ``user_change`` (or a fresh ``users.info``): deactivated, reactivated, moved zone.

    Returns how many member rows changed. A member who asked to be forgotten,
    or whom Slack refused for another reason, is left as they are.
    """
    user_id, deleted, tz = user.get("id"), bool(user.get("deleted")), valid_zone(user.get("tz"))
    if not user_id:
        return 0
    changed = 0
    with store.session() as session:
        query = (
            select(Member)
            .join(Network, col(Network.id) == col(Member.network_id))
            .where(Network.platform == "slack", Member.platform_user_id == user_id)
        )
        if team_id:
            query = query.where(Network.platform_key == (user.get("team_id") or team_id))
        for member in session.exec(query):
            before = (member.unreachable, member.unreachable_reason, member.timezone)
            if is_forgotten(member):
                continue
            if deleted and not member.unreachable:
                member.unreachable, member.unreachable_reason = True, DEACTIVATED
            elif not deleted and member.unreachable_reason == DEACTIVATED:
                member.unreachable, member.unreachable_reason = False, None
            if tz and member.timezone != tz:
                member.timezone = tz
            if (member.unreachable, member.unreachable_reason, member.timezone) != before:
                session.add(member)
                changed += 1
                logger.info("slack: member %s now %s", member.id, "deactivated" if member.unreachable else f"active in {member.timezone}")
    return changed


def membership_channel(store: Store, team_id: str | None) -> str | None:
    """The channel whose people are the workspace's network's members, if a facilitator named one."""
    if not team_id:
        return None
    with store.session() as session:
        network = session.exec(select(Network).where(Network.platform == "slack", Network.platform_key == team_id)).first()
        return (network.settings or {}).get(MEMBERSHIP_CHANNEL) if network is not None else None


def leave_channel(store: Store, team_id: str, user_id: str) -> bool:
    """Someone left the membership channel: they leave the network (as leaving a Telegram group does)."""
    with store.session() as session:
        member = session.exec(
            select(Member)
            .join(Network, col(Network.id) == col(Member.network_id))
            .where(Network.platform == "slack", Network.platform_key == team_id, Member.platform_user_id == user_id)
        ).first()
        if member is None or is_forgotten(member):
            return False
        leave_network(member)
        session.add(member)
        return True


def held_reason(store: Store, team_id: str) -> str | None:
    """Why the workspace's installation is revoked, or None while it works (OAuth installs)."""
    with store.session() as session:
        row = session.exec(select(SlackInstallation).where(SlackInstallation.team_key == team_id)).first()
        if row is None or row.revoked_at is None:
            return None
        return row.revoked_reason or "revoked"


def set_revoked(store: Store, team_id: str, reason: str | None, now: datetime) -> None:
    """Mark the workspace's installation revoked (``reason``) or working again (None)."""
    with store.session() as session:
        for row in session.exec(select(SlackInstallation).where(SlackInstallation.team_key == team_id)):
            row.revoked_at, row.revoked_reason = (now, reason[:100]) if reason else (None, None)
            session.add(row)


def resume(store: Store, team_id: str) -> int:
    """A reinstall: the workspace's held messages are due at once, not at their next look
    (due since they were written, whatever clock the caller keeps)."""
    with store.session() as session:
        network_ids = select(Network.id).where(Network.platform == "slack", Network.platform_key == team_id)
        result = session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.network_id).in_(network_ids),
                OutboxMessage.status == OutboxStatus.PENDING,
                col(OutboxMessage.last_error).startswith(HELD),
            )
            .values(next_attempt_at=OutboxMessage.created_at)
        )
        return result.rowcount or 0
