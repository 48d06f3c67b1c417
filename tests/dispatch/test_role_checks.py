"""Role checks, generated from the router's registry: a new command cannot skip them."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel

from bot.app import build_router
from bot.store.models import Role

GATED = sorted((c for c in build_router().commands.values() if not c.for_members), key=lambda c: c.path)
# every set of roles a person can hold: roles are not a ladder, so each set is tried
HOLDINGS = (frozenset(), frozenset({Role.FACILITATOR}), frozenset({Role.COORDINATOR}), frozenset({Role.FACILITATOR, Role.COORDINATOR}))
CHANGING = {
    "inbound_event",
    "outbox_message",
    "member_activity",
}  # every event adds these, refused or not (a refused command is still a sign of life)


def _counts(store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(sa_select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
            if t.name not in CHANGING
        }


def test_there_are_gated_commands():
    names = {c.name for c in GATED}
    assert {"setup", "members", "role", "cohort add", "audit", "undo", "retention"} <= names


def test_a_coordinator_reads_the_digest_but_does_not_configure_the_network():
    """A coordinator made "to read the digest" used to outrank a facilitator."""
    commands = build_router().commands
    facilitator_only = {c.name for c in GATED if c.roles == {Role.FACILITATOR}}
    assert {"setup", "role", "undo", "audit", "members", "retention", "digest schedule", "digest recipients"} <= facilitator_only
    assert Role.COORDINATOR in commands[("digest", "preview")].roles


@pytest.mark.parametrize("path", [c.path for c in GATED], ids=[c.name for c in GATED])
async def test_lower_roles_are_refused_and_the_handler_never_runs(harness, path):
    h = harness
    cmd = h.beacon.router.commands[path]
    if cmd.platforms and "console" not in cmd.platforms:
        pytest.skip(f"/beacon {cmd.name} exists only on {sorted(cmd.platforms)}")
    h.add_member("boss", role=min(cmd.roles), display_name="Boss Person")
    below = [held for held in HOLDINGS if not held & cmd.roles]
    for i, held in enumerate(below):
        h.add_member(f"low{i}", role=tuple(held))
    ran: list[str] = []
    before = _counts(h.store)
    # first with the real handler: nothing in the database may change
    for i in range(len(below)):
        out = await h.command(f"low{i}", f"{cmd.name} x")
        assert out and out[-1].text.startswith("Only "), out[-1].text if out else "no reply"
        assert f"/beacon {cmd.name}" in out[-1].text and "Boss Person" in out[-1].text  # says who can
        assert len(out) == 1
    assert _counts(h.store) == before
    # then with a recording handler: the refused never reach it, the allowed do
    h.beacon.router.commands[path] = dataclasses.replace(cmd, handler=lambda ctx: ran.append(ctx.member.platform_user_id))
    for i, _role in enumerate(below):
        await h.command(f"low{i}", cmd.name)
    assert ran == []
    await h.command("boss", cmd.name)
    assert ran == ["boss"]
