"""A platform conversation that changed its id: keep the network, follow the chat.

Telegram gives a group a new chat id when it becomes a supergroup. The
network is keyed by that id, and flows store it as a channel to post to, so
without this the group's members, flows and history would stay behind under
an id that can no longer be reached.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from bot.store import tables  # noqa: F401 - every table's foreign keys, for the emptiness check
from bot.store.activity import MemberActivity, record_activity
from bot.store.models import Flow, Member, Network, OutboxMessage, OutboxStatus

__all__ = ["move_network"]

logger = logging.getLogger(__name__)

_OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING)


def move_network(session: Session, *, platform: str, old_key: str, new_key: str) -> Network | None:
    """Re-key the network of ``old_key`` to ``new_key`` and follow the chat everywhere.

    The rule: the network that was under ``old_key`` is the truth. If the new
    chat already has a network of its own (an update from the new chat was
    handled before the migration notice), it is folded into the old one only
    while it is *young*, holding nothing but members and their queued
    messages; its members join the old network as plain members (a role
    given by being first in an empty network is not carried over). A new
    network with anything more is left alone and logged for a person to sort
    out. Channel references to ``old_key`` (network practice channels, flow
    settings named ``*channel``/``*channels``, messages still to be sent) are
    rewritten in every case, because the old chat can no longer receive.

    Idempotent: run again, it finds nothing under ``old_key`` and changes nothing.
    Returns the network now under ``new_key``, if any.
    """
    if old_key == new_key:
        return _by_key(session, platform, new_key)
    old, new = _by_key(session, platform, old_key), _by_key(session, platform, new_key)
    if old is not None and new is not None:
        if _young(session, new):
            _fold(session, new, into=old)
            logger.info("%s chat %s: folded young network %s into network %s", platform, new_key, new.id, old.id)
            new = None
        else:
            logger.warning(
                "%s chat %s moved to %s, but both have networks with data (%s, %s): left as they are",
                platform, old_key, new_key, old.id, new.id,
            )  # fmt: skip
    if old is not None and new is None:
        old.platform_key = new_key
        session.add(old)
        session.flush()
        logger.info("%s network %s moved from chat %s to %s", platform, old.id, old_key, new_key)
        new = old
    _rewrite_channels(session, platform, old_key, new_key)
    return new


def _by_key(session: Session, platform: str, key: str) -> Network | None:
    return session.exec(select(Network).where(Network.platform == platform, Network.platform_key == key)).first()


def _references(session: Session, target: str, ids: list[int], *, skip: tuple[str, ...] = ()) -> bool:
    """Whether any row of any table points at ``target`` (``"network.id"``) rows ``ids``."""
    if not ids:
        return False
    for table in SQLModel.metadata.sorted_tables:
        if table.name in skip:
            continue
        for column in table.columns:
            if any(fk.target_fullname == target for fk in column.foreign_keys):
                if session.exec(select(column).where(column.in_(ids)).limit(1)).first() is not None:
                    return True
    return False


def _young(session: Session, network: Network) -> bool:
    """Nothing but members (with nothing of their own) and queued messages."""
    if _references(session, "network.id", [network.id], skip=("member", "outbox_message", MemberActivity.__tablename__)):
        return False
    member_ids = list(session.exec(select(Member.id).where(Member.network_id == network.id)))
    return not _references(session, "member.id", member_ids, skip=(MemberActivity.__tablename__,))


def _fold(session: Session, young: Network, *, into: Network) -> None:
    """Move a young network's members and queued messages into ``into``, then delete it."""
    have = dict(session.exec(select(Member.platform_user_id, Member.id).where(Member.network_id == into.id)).all())
    same: dict[int, int] = {}
    members = session.exec(select(Member).where(Member.network_id == young.id)).all()
    twins = {m.id: have[m.platform_user_id] for m in members if m.platform_user_id in have}
    for act in session.exec(select(MemberActivity).where(MemberActivity.network_id == young.id)).all():  # days active stay counted
        record_activity(session, network_id=into.id, member_id=twins.get(act.member_id, act.member_id), at=act.at, zone=into.timezone)
        session.delete(act)
    session.flush()
    for member in members:
        if member.platform_user_id in have:
            same[member.id] = have[member.platform_user_id]
            session.delete(member)
        else:
            member.network_id, member.is_facilitator, member.is_coordinator = into.id, False, False
            session.add(member)
    session.flush()
    for row in session.exec(select(OutboxMessage).where(OutboxMessage.network_id == young.id)).all():
        row.network_id = into.id
        row.member_id = same.get(row.member_id, row.member_id)
        row.payload = _remap_members(row.payload, same)
        session.add(row)
    session.flush()
    session.delete(young)
    session.flush()


def _remap_members(payload: dict[str, Any], same: dict[int, int]) -> dict[str, Any]:
    to = dict(payload.get("to") or {})
    to["members"] = [same.get(m, m) for m in to.get("members") or []]
    if to.get("private_to") in same:
        to["private_to"] = same[to["private_to"]]
    return {**payload, "to": to}


def _swap(settings: dict[str, Any] | None, old: str, new: str) -> dict[str, Any] | None:
    """``settings`` with channel entries equal to ``old`` replaced, or ``None`` if none were."""
    changed, out = False, dict(settings or {})
    for name, value in out.items():
        if not name.endswith(("channel", "channels")):
            continue
        if value == old:
            out[name], changed = new, True
        elif isinstance(value, list) and old in value:
            out[name], changed = [new if v == old else v for v in value], True
    return out if changed else None


def _rewrite_channels(session: Session, platform: str, old: str, new: str) -> None:
    """Point every stored channel reference to the old chat at the new one."""
    for network in session.exec(select(Network).where(Network.platform == platform)).all():
        if network.practice_channel == old:
            network.practice_channel = new
            session.add(network)
        if (settings := _swap(network.settings, old, new)) is not None:
            network.settings = settings
            session.add(network)
    flows = select(Flow).join(Network, col(Network.id) == col(Flow.network_id)).where(Network.platform == platform)
    for flow in session.exec(flows).all():
        if (settings := _swap(flow.settings, old, new)) is not None:
            flow.settings = settings
            session.add(flow)
    channel = col(OutboxMessage.payload)[("to", "channel")].as_string()
    rows = select(OutboxMessage).where(OutboxMessage.platform == platform, col(OutboxMessage.status).in_(_OPEN), channel == old)
    for row in session.exec(rows).all():
        row.payload = {**row.payload, "to": {**row.payload["to"], "channel": new}}
        session.add(row)
    session.flush()
