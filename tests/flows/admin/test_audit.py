"""Audit log and undo: plain-language listing, generic flow undo, undo of undo-less actions."""

from __future__ import annotations

from sqlmodel import select

from bot.store.models import AuditEntry, Flow, Role


def _flow(h) -> Flow:
    with h.store.session() as s:
        return s.exec(select(Flow).where(Flow.network_id == h.network_id, Flow.kind == "reflection")).one()


async def _setup(h):
    h.add_member("fac", role=Role.FACILITATOR)
    await h.submit(
        "fac", "admin.setup", {"name": "Net", "timezone": "Europe/London", "reflection": "every friday 16:00", "pairing": "off", "digest": "off"}
    )


async def test_undo_a_flow_schedule_change_and_undo_twice(harness):
    h = harness
    await _setup(h)
    out = await h.command("fac", "reflection schedule weekly every monday 09:00")
    assert _flow(h).schedule == "every monday at 09:00", out[-1].text
    out = await h.command("fac", "undo")
    assert "Undone" in out[-1].text and "schedule" in out[-1].text
    assert _flow(h).schedule == "every friday at 16:00"
    out = await h.command("fac", "undo")  # the setup before it: the reflection flow goes
    assert "removed the reflection `weekly` flow" in out[-1].text
    with h.store.session() as s:
        assert s.exec(select(Flow)).all() == []
    out = await h.command("fac", "undo")
    assert "no changes left to undo" in out[-1].text
    with h.store.session() as s:
        entries = s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["network.setup", "reflection.schedule", "undo", "undo"]
    assert entries[0].undone_at and entries[1].undone_at
    assert entries[2].before == entries[1].after and entries[2].after == entries[1].before


async def test_generic_flow_change_is_restored_from_before(harness):
    """A flow that registers no undo still gets one for ``flow.*`` entries on its Flow row."""
    h = harness
    await _setup(h)
    flow = _flow(h)
    fac_id = h.member("fac").id
    with h.store.session() as s:
        row = s.get(Flow, flow.id)
        before = {"schedule": row.schedule, "settings": dict(row.settings), "enabled": row.enabled}
        row.schedule, row.settings, row.enabled = "every monday at 09:00", {"x": 1}, False
        s.add(row)
        s.add(
            AuditEntry(
                network_id=h.network_id,
                actor_id=fac_id,
                action="flow.edit",
                target=f"flow:{flow.id}",
                before=before,
                after={"schedule": "every monday at 09:00", "settings": {"x": 1}, "enabled": False},
                created_at=h.clock.now(),
            )
        )
    await h.command("fac", "undo")
    after = _flow(h)
    assert (after.schedule, after.settings, after.enabled) == (before["schedule"], before["settings"], True)


async def test_audit_lists_changes_in_plain_language(harness):
    h = harness
    await _setup(h)
    h.add_member("bob", username="bob", display_name="Bob Baker")
    await h.command("fac", "role grant @bob coordinator")
    await h.command("fac", "reflection schedule weekly every monday 09:00")
    out = await h.command("fac", "audit")
    text = out[-1].text
    lines = text.splitlines()
    # plain sentences, not "enabled True, settings nothing"
    assert "Fac: changed the schedule of weekly reflections to every Monday at 09:00" in lines[1]
    assert "Fac: made Bob Baker a coordinator" in lines[2]
    assert "set the time zone of the network" not in lines[3]  # unchanged fields are not listed
    assert "added weekly reflections (every Friday at 16:00)" in lines[3]
    assert "`" not in text.replace("`/beacon undo`", "") and "True" not in text and "nothing" not in text
    out = await h.command("fac", "audit 1")
    assert "The last 1 change in" in out[-1].text and "Bob" not in out[-1].text
    out = await h.command("fac", "audit lots")
    assert "number from 1 to 100" in out[-1].text


async def test_an_action_without_undo_says_so(harness):
    h = harness
    fac_id = h.add_member("fac", role=Role.FACILITATOR).id
    with h.store.session() as s:
        s.add(
            AuditEntry(
                network_id=h.network_id,
                actor_id=fac_id,
                action="digest.recipients",
                target="digest",
                before={"to": "a"},
                after={"to": "b"},
                created_at=h.clock.now(),
            )
        )
    out = await h.command("fac", "undo")
    assert "can't be undone automatically" in out[-1].text and "changed digest: to from a to b" in out[-1].text
    with h.store.session() as s:
        assert s.exec(select(AuditEntry)).one().undone_at is None


async def test_undo_only_takes_back_the_callers_own_change(harness):
    h = harness
    await _setup(h)
    h.add_member("fac2", role=Role.FACILITATOR)
    h.add_member("bob", username="bob")
    await h.command("fac2", "role grant @bob coordinator")
    out = await h.command("fac2", "undo")
    assert h.member("bob").roles == frozenset()
    out = await h.command("fac2", "undo")
    assert "no changes left" in out[-1].text
    assert _flow(h).enabled  # fac's setup is untouched


def test_changes_read_as_sentences():
    from bot.core.markup import count
    from bot.flows.admin.audit import sentences

    flow = {"id": 3, "name": "weekly", "schedule": "every friday at 16:00", "enabled": False, "settings": {}}
    assert sentences("weekly reflections", flow, {**flow, "enabled": True}) == ["turned on weekly reflections"]
    pairing = {"id": 4, "name": "fortnightly", "schedule": "every 2 weeks on monday at 10:00", "enabled": True, "settings": {"group_size": 2}}
    said = sentences(
        "fortnightly pairing rounds", pairing, {**pairing, "schedule": "every 2 weeks on monday at 11:00", "settings": {"group_size": 3}}
    )
    assert said == ["changed the schedule of fortnightly pairing rounds to every 2 weeks on Monday at 11:00", "set group size to 3"]
    assert [count(1, "member"), count(2, "member"), count(0, "reply", "replies")] == ["1 member", "2 members", "0 replies"]
