"""Roles are a set: a coordinator reads the digest, a facilitator configures the network,
and one person may be both. Only facilitators hand roles out, never to themselves."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from bot.store.db import Store, upgrade
from bot.store.models import Member, Network, Role


async def test_granting_a_coordinator_facilitator_keeps_both_roles(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("cora", username="cora", role=Role.COORDINATOR)
    await h.command("fac", "role grant @cora facilitator")
    assert h.member("cora").roles == {Role.FACILITATOR, Role.COORDINATOR}
    await h.command("fac", "role revoke @cora coordinator")
    assert h.member("cora").roles == {Role.FACILITATOR}
    out = await h.command("fac", "undo")
    assert "a facilitator and a coordinator again" in out[-1].text
    assert h.member("cora").roles == {Role.FACILITATOR, Role.COORDINATOR}


async def test_a_coordinator_cannot_run_setup_grant_roles_or_undo(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR, display_name="Fay")
    h.add_member("cora", username="cora", role=Role.COORDINATOR)
    h.add_member("bob", username="bob")
    for command in ("setup", "role grant @bob facilitator", "undo", "members csv", "audit"):
        out = await h.command("cora", command)
        assert out[-1].text.startswith("Only facilitators can use"), (command, out[-1].text)
    assert h.member("bob").roles == frozenset()
    # what a coordinator is for: reading the digest, with quiet members named
    out = await h.command("cora", "digest preview")
    assert out[-1].outgoing.header and out[-1].outgoing.header.startswith("Digest")


async def test_nobody_grants_a_role_to_themselves(harness):
    h = harness
    h.add_member("fac", username="fac", role=Role.FACILITATOR)
    out = await h.command("fac", "role grant @fac coordinator")
    assert out[-1].text == "You can't grant yourself a role. Ask another facilitator to make you a coordinator."
    assert h.member("fac").roles == {Role.FACILITATOR}


async def test_the_last_facilitator_stays_even_when_they_are_also_coordinator(harness):
    h = harness
    h.add_member("fac", username="fac", role=(Role.FACILITATOR, Role.COORDINATOR))
    h.add_member("cora", username="cora", role=Role.COORDINATOR)
    out = await h.command("fac", "role revoke @fac facilitator")
    assert "is the last facilitator of this network" in out[-1].text and "Grant someone else the facilitator role first." in out[-1].text
    assert h.member("fac").roles == {Role.FACILITATOR, Role.COORDINATOR}
    out = await h.command("fac", "role revoke @fac coordinator")  # giving up the other role is fine
    assert h.member("fac").roles == {Role.FACILITATOR}
    out = await h.command("fac", "role revoke @cora facilitator")
    assert out[-1].text == "Cora is not a facilitator (they are a coordinator)."


def test_upgrade_keeps_every_right_existing_members_had(tmp_path):
    """A coordinator could configure the network before roles were a set: they keep that."""
    store = Store(url=f"sqlite:///{tmp_path}/old.db")
    upgrade(store.engine, "0001_core")  # the member table as it was, with one rank per member
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO network (platform, platform_key, name, timezone, settings, created_at) "
                             "VALUES ('console', 'n', 'N', 'UTC', '{}', '2026-01-01 00:00:00')"))  # fmt: skip
        for user, role in (("mo", "MEMBER"), ("fay", "FACILITATOR"), ("cole", "COORDINATOR")):
            conn.execute(
                sa.text(
                    "INSERT INTO member (network_id, platform_user_id, display_name, role, wants, offers, wants_tags, offers_tags, availability, "
                    "opted_out, quiet_hours, quiet_weekends, unreachable, has_private_chat, created_at) "
                    "VALUES (1, :u, :u, :r, '', '', '[]', '[]', 'every', '[]', '', 0, 0, 1, '2026-01-01 00:00:00')"
                ),
                {"u": user, "r": role},
            )
    store.upgrade()
    with store.session() as s:
        roles = {m.platform_user_id: m.roles for m in s.exec(select(Member))}
    assert roles == {"mo": frozenset(), "fay": {Role.FACILITATOR}, "cole": {Role.FACILITATOR, Role.COORDINATOR}}
    store.dispose()


async def test_a_facilitator_demoted_during_setup_cannot_finish_it(harness):
    h = harness
    h.add_member("fac", username="fac", role=Role.FACILITATOR)
    h.add_member("kim", username="kim", role=Role.FACILITATOR)
    await h.command("fac", "setup")
    for answer in ("Renamed Network", "keep", "skip", "keep", "keep"):
        await h.say("fac", answer)
    await h.command("kim", "role revoke @fac facilitator")  # while the last question waits
    out = await h.say("fac", "keep")
    assert out[-1].text == "Only facilitators can save *Set up Beacon*, and you no longer are one. Nothing was saved."
    with h.store.session() as s:
        assert s.get(Network, h.network_id).name == "Test Network"


async def test_a_slack_modal_submission_rechecks_the_role_too(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("cora", role=Role.COORDINATOR)
    values = {"name": "Renamed", "timezone": "UTC", "practice_channel": "", "reflection": "off", "pairing": "off", "digest": "off"}
    out = await h.submit("cora", "admin.setup", values)
    assert "Nothing was saved" in out[-1].text
    with h.store.session() as s:
        assert s.get(Network, h.network_id).name == "Test Network"
    await h.submit("fac", "admin.setup", values)
    with h.store.session() as s:
        assert s.get(Network, h.network_id).name == "Renamed"
