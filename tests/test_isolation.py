"""Two networks in one database: nothing one network's members do reaches the other's data."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.core.messages import Incoming
from bot.store.models import AuditEntry, Flow, Member, Role

OTHER = "other-net"
A_ONLY = ["Alma Aardvark", "Home Network", "Bramble Trust"]  # never typed by the other network


def _in_other(user: str, text: str) -> Incoming:
    return Incoming(
        kind="command",
        platform="console",
        network_key=OTHER,
        network_name="Other Network",
        user_id=user,
        user_name=user.capitalize(),
        conversation=f"dm-{user}",
        text=text,
        event_id=uuid.uuid4().hex,
    )


async def _two_networks(h):
    h.add_member("alma", role=Role.FACILITATOR, display_name="Alma Aardvark", username="alma")
    h.add_member("boris", display_name="Boris Bramble", username="boris", organisation="Bramble Trust")
    await h.command("alma", "setup")
    await h.submit(
        "alma",
        "admin.setup",
        {"name": "Home Network", "timezone": "Europe/London", "reflection": "every friday 16:00", "pairing": "off", "digest": "off"},
    )
    await h.command("alma", 'cohort add "wave north"', user_name="Alma Aardvark")
    await h.command("alma", 'cohort assign @boris "wave north"', user_name="Alma Aardvark")
    await h.send(_in_other("xena", "help"))  # the first person in the other network is its facilitator
    with h.store.session() as s:
        xena = s.exec(select(Member).where(Member.platform_user_id == "xena")).one()
        assert xena.roles == {Role.FACILITATOR} and xena.network_id != h.network_id
        return xena.network_id


def _snapshot(h, network_id: int) -> dict:
    """Every row that belongs to ``network_id`` (by network, member or flow), by table and key."""
    with h.store.session() as s:
        members = {m.id for m in s.exec(select(Member).where(Member.network_id == network_id))}
        flows = {f.id for f in s.exec(select(Flow).where(Flow.network_id == network_id))}
    rows = {}
    with h.store.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("inbound_event", "outbox_message"):
                continue
            for row in conn.execute(sa_select(table)).mappings():
                mine = (
                    (table.name == "network" and row["id"] == network_id)
                    or row.get("network_id") == network_id
                    or (table.name == "member" and row["id"] in members)
                    or row.get("member_id") in members
                    or row.get("flow_id") in flows
                )
                if mine:
                    data = {k: v for k, v in row.items() if not (table.name == "member" and k == "last_active_at")}
                    rows[(table.name, row.get("id"))] = json.dumps(data, default=str, sort_keys=True)
    return rows


async def test_commands_from_another_network_cannot_see_or_change_ours(harness):
    h = harness
    await _two_networks(h)
    out = await h.send(_in_other("xena", "role grant @boris facilitator"))
    assert "no such member" in out[-1].text
    out = await h.send(_in_other("xena", "members"))
    assert "Boris" not in out[-1].text and "Alma" not in out[-1].text and "Xena" in out[-1].text
    out = await h.send(_in_other("xena", "audit"))
    assert "No configuration changes" in out[-1].text
    out = await h.send(_in_other("xena", "undo"))
    assert "no changes left" in out[-1].text
    out = await h.send(_in_other("xena", "cohort list"))
    assert "north" not in out[-1].text
    out = await h.send(_in_other("xena", 'cohort assign @boris "wave north"'))
    assert "no such member" in out[-1].text
    assert h.member("boris").roles == frozenset() and h.member("boris").cohort == "wave north"
    with h.store.session() as s:
        assert all(e.undone_at is None for e in s.exec(select(AuditEntry).where(AuditEntry.network_id == h.network_id)))


async def test_every_command_from_another_network_leaves_ours_untouched(harness):
    """Generated from the registry: each command, with arguments naming our people."""
    h = harness
    other_id = await _two_networks(h)
    before = _snapshot(h, h.network_id)
    assert before
    home_inboxes = {u: len(h.inbox(u)) for u in ("alma", "boris")}
    arg_sets = [
        "",
        "@boris",
        "boris",
        '"Boris Bramble"',
        "grant @boris facilitator",
        "revoke @alma facilitator",
        '@boris "wave north"',
        '"wave north"',
        "1",
        "csv",
        "weekly every monday 09:00",
        "30",
    ]
    replies = []
    for cmd in sorted(h.beacon.router.commands.values(), key=lambda c: c.path):
        for args in arg_sets:
            replies += await h.send(_in_other("xena", f"{cmd.name} {args}".strip()))
            replies += await h.send(_in_other("xena", "cancel"))  # leave any guided form
    assert _snapshot(h, h.network_id) == before
    assert {u: len(h.inbox(u)) for u in ("alma", "boris")} == home_inboxes  # nothing reached our members
    leaked = [r.text for r in replies for n in A_ONLY if n.lower() in r.text.lower()]
    assert leaked == []
    assert _snapshot(h, other_id)  # the other network did get its own changes
