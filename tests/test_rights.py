"""Member rights: the export holds every registered part; forget-me leaves no row naming the member."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import JSON, String, Text, select as sa_select
from sqlmodel import SQLModel, select

from bot.messages import Address, Outgoing
from bot.store import outbox
from bot.store.models import AuditEntry, Member, Network, OutboxMessage, OutboxStatus, Role

ZELDA = {"user": "U7ZELDA", "display_name": "Zelda Quixote", "username": "zquix"}


def _notes_part(router):
    """A stand-in flow with personal data, registered the way every flow does."""
    notes: dict[int, list[str]] = {}
    calls: list[bool] = []

    def export(session, member):
        return notes.get(member.id, [])

    def forget(session, member, keep_shared):
        calls.append(keep_shared)
        notes.pop(member.id, None)

    router.personal_data("test_notes", export=export, forget=forget)
    return notes, calls


def scan_for(store, needles: list[str]) -> list[str]:
    """Every (table, column, value) whose text or JSON mentions one of ``needles``."""
    hits = []
    with store.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
            if not cols:
                continue
            for row in conn.execute(sa_select(*cols)):
                for col, value in zip(cols, row):
                    text = json.dumps(value) if not isinstance(value, str) else value
                    for n in needles:
                        if value is not None and n.lower() in text.lower():
                            hits.append(f"{table.name}.{col.name}: {text[:120]}")
    return hits


def _zelda(h, **kw):
    return h.add_member(ZELDA["user"], display_name=ZELDA["display_name"], username=ZELDA["username"], organisation="Quixote Trust", **kw)


async def test_my_data_exports_every_registered_part(harness):
    h = harness
    notes, _ = _notes_part(h.beacon.router)
    h.add_member("fac", role=Role.FACILITATOR)
    z = _zelda(h)
    notes[z.id] = ["tried the huddle board"]
    await h.command("fac", 'cohort add "wave 2"')
    await h.command("fac", 'cohort assign @zquix "wave 2"')
    out = await h.command(ZELDA["user"], "my-data", user_name=ZELDA["display_name"])
    msg = out[-1].outgoing
    assert msg.image_name == "my-data.json" and "everything Beacon stores about you" in msg.text
    data = json.loads(msg.image)
    assert set(h.beacon.router.personal) <= set(data)  # every flow's part is there
    assert data["test_notes"] == ["tried the huddle board"]
    assert data["member"]["display_name"] == "Zelda Quixote" and data["member"]["cohort"] == "wave 2"
    assert data["member"]["organisation"] == "Quixote Trust"


async def test_my_data_from_a_channel_goes_privately(harness):
    h = harness
    _zelda(h)
    out = await h.command(ZELDA["user"], "my-data", user_name=ZELDA["display_name"], is_private=False, conversation="C-general")
    files = [d for d in out if d.outgoing.image_name == "my-data.json"]
    assert files and files[0].outgoing.to.members and not files[0].outgoing.to.channel
    assert any("in a private message" in d.text for d in out)


async def test_forget_me_leaves_no_row_naming_the_member(harness):
    h = harness
    notes, calls = _notes_part(h.beacon.router)
    fac = h.add_member("fac", role=Role.FACILITATOR)
    z = _zelda(h)
    notes[z.id] = ["a private note"]
    await h.command("fac", 'cohort add "wave 2"')
    await h.command("fac", 'cohort assign @zquix "wave 2"')
    await h.command("fac", "role grant @zquix coordinator")  # a DM to her, a reply naming her, audit entries
    await h.command(ZELDA["user"], "my-data", user_name=ZELDA["display_name"])
    with h.store.session() as s:  # something still waiting to be sent to her, and a group message naming her
        outbox.enqueue(s, key="later", network_id=h.network_id, platform="console", now=h.clock.now(),
                       outgoing=Outgoing(text="Reminder for Zelda Quixote", to=Address.member(z.id)),
                       not_before=h.clock.now() + timedelta(days=2))
        outbox.enqueue(s, key="intro", network_id=h.network_id, platform="console", now=h.clock.now(),
                       outgoing=Outgoing(text="Fac, meet Zelda Quixote (@zquix)", to=Address.group([fac.id, z.id])),
                       not_before=h.clock.now() + timedelta(days=2))
    needles = [ZELDA["user"], ZELDA["display_name"], ZELDA["username"], "Quixote Trust"]
    assert scan_for(h.store, needles)  # the scan does find her before

    out = await h.command(ZELDA["user"], "forget-me", user_name=ZELDA["display_name"])
    assert h.last(ZELDA["user"]).labels == ["Delete my data", "Keep shared practices, delete the rest", "Cancel"]
    out = await h.press(ZELDA["user"], "Delete my data", user_name=ZELDA["display_name"])
    assert "your data is deleted" in h.last(ZELDA["user"]).text  # the goodbye still reached her

    assert scan_for(h.store, needles) == []
    assert calls == [False] and z.id not in notes
    with h.store.session() as s:
        m = s.get(Member, z.id)
        assert m.display_name == "a former member" and m.platform_user_id.startswith("forgotten:")
        assert m.role == Role.MEMBER and m.cohort is None and m.unreachable
        rows = s.exec(select(OutboxMessage)).all()
        assert "later" not in {r.key for r in rows}  # the pending message to her was cancelled
        intro = next(r for r in rows if r.key == "intro")
        assert intro.payload["to"]["members"] == [fac.id] and "a former member" in intro.payload["text"]
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "rights.forget")).one().actor_id == z.id
    # writing again makes a new, ordinary member
    await h.command(ZELDA["user"], "help", user_name=ZELDA["display_name"])
    assert h.member(ZELDA["user"]).id != z.id


async def test_forget_me_keep_shared_and_cancel(harness):
    h = harness
    notes, calls = _notes_part(h.beacon.router)
    z = _zelda(h)
    await h.command(ZELDA["user"], "forget-me")
    await h.press(ZELDA["user"], "Cancel")
    assert "Nothing was deleted" in h.last(ZELDA["user"]).text
    assert h.member(ZELDA["user"]).display_name != "a former member"
    await h.command(ZELDA["user"], "forget-me")
    await h.press(ZELDA["user"], "Keep shared practices, delete the rest")
    assert calls == [True]
    assert "shared practices stay" in h.last(ZELDA["user"]).text


async def test_retention_setting_runs_every_hook_daily_and_can_be_undone(harness):
    h = harness
    seen: list[tuple[int, object]] = []
    h.beacon.router.retention("test_replies", lambda session, network, before: seen.append((network.id, before)) or 0)
    h.add_member("fac", role=Role.FACILITATOR)
    out = await h.command("fac", "retention")
    assert "kept until members delete them" in out[-1].text
    out = await h.command("fac", "retention 0")
    assert "from 1 to 3650" in out[-1].text
    await h.command("fac", "retention 30")
    with h.store.session() as s:
        assert s.get(Network, h.network_id).settings["retention_days"] == 30
    await h.tick(hours=24)
    assert len(seen) == 1
    network_id, before = seen[0]
    assert network_id == h.network_id and before.hour == 3 and (h.clock.now() - before).days in (30, 31)
    await h.command("fac", "undo")
    with h.store.session() as s:
        assert "retention_days" not in s.get(Network, h.network_id).settings
    await h.tick(hours=24)
    assert len(seen) == 1  # no retention configured, nothing deleted
