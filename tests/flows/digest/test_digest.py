"""The digest flow end to end: scheduled Monday 09:00 network time (once), the
commands, who sees names, and that private reflections never go out."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.store.models import AuditEntry, Flow, FlowOccurrence, OutboxMessage, Role
from bot.store.practices import Practice, Steal
from bot.store.reflection import Reflection, ReflectionAnswer
from tests.support.harness import Harness

SECRET = "my SECRET worry about the merger"


def _history(h: Harness) -> None:
    """Two weeks of life: one private and one shared reflection, a steal, a quiet member."""
    now = h.clock.now()
    quinn = h.add_member("quinn", display_name="Quinn Quiet")
    ann, bob = h.member("ann"), h.member("bob")
    with h.store.session() as s:
        quinn = s.get(type(quinn), quinn.id)
        quinn.created_at = now - timedelta(weeks=8)  # joined long ago, never heard from since
        for who, shared, text in ((ann, None, SECRET), (bob, "named", "Shadowing a colleague changed how I plan")):
            r = Reflection(network_id=h.network_id, member_id=who.id, started_at=now + timedelta(days=2),
                           completed_at=now + timedelta(days=2), shared=shared, shared_at=now + timedelta(days=2) if shared else None)  # fmt: skip
            s.add(r)
            s.flush()
            s.add(ReflectionAnswer(reflection_id=r.id, position=0, question="What did you learn?", answer=text,
                                   shared=bool(shared), answered_at=now + timedelta(days=2)))  # fmt: skip
        p = Practice(network_id=h.network_id, author_id=ann.id, title="Huddle boards", created_at=now, updated_at=now)
        s.add(p)
        s.flush()
        s.add(Steal(practice_id=p.id, member_id=bob.id, mode="adapted", created_at=now + timedelta(days=1), updated_at=now))


async def _setup(h: Harness) -> None:
    h.add_member("fran", role=Role.FACILITATOR)
    h.add_member("cora", role=Role.COORDINATOR)
    h.add_member("ann")
    h.add_member("bob")
    h.add_member("zed", role=Role.COORDINATOR, unreachable=True)
    _history(h)


async def test_scheduled_digest_goes_monday_0900_network_time_once(sqlite_store, clock):
    h = Harness(store=sqlite_store, clock=clock, timezone="Asia/Tokyo")  # 09:00 JST is 00:00 UTC
    try:
        await _setup(h)
        got = await h.command("fran", 'digest schedule "every monday 09:00"')
        assert "Mon 9 Nov at 09:00" in got[-1].text
        await h.tick(days=6, hours=23, minutes=30)  # Monday 9 Nov 08:30 UTC: 17:30 JST, well past 09:00 JST
        mine = [d for d in h.inbox("cora") if d.outgoing.attachment]
        assert len(mine) == 1
        with h.store.session() as s:
            flow = s.exec(select(Flow).where(Flow.kind == "digest")).one()
            occ = s.exec(select(FlowOccurrence).where(FlowOccurrence.flow_id == flow.id)).all()
            assert [o.due_at for o in occ] == [datetime(2026, 11, 9, 0, 0, tzinfo=UTC)]
            row = s.exec(select(OutboxMessage).where(OutboxMessage.key.like("digest:%"))).one()
            assert row.created_at == datetime(2026, 11, 9, 0, 0, tzinfo=UTC)
        # a second tick at the same moment, or a bot restarting, sends nothing more
        await h.beacon.tick(catch_up=None)
        await h.beacon.tick(catch_up=None)
        await h.beacon.delivery.drain()
        assert len([d for d in h.inbox("cora") if d.outgoing.attachment]) == 1
        assert not h.inbox("ann") and not h.inbox("zed")
        msg = mine[0].outgoing
        assert msg.header == "Digest: Test Network" and "Quinn Quiet" in msg.text and SECRET not in msg.text
        assert msg.attachment.is_picture and struct.unpack(">II", msg.attachment.content[16:24]) == (1200, 700)
    finally:
        await h.close()


async def test_channel_gets_counts_coordinators_get_names(harness):
    h = harness
    await _setup(h)
    await h.command("fran", 'digest schedule "every monday 09:00"')
    got = await h.command("fran", "digest recipients +#general")
    assert "coordinators by direct message and #general" in got[-1].text
    await h.tick(days=7)
    channel = [d for d in h.adapter.delivered if d.to == "#general"]
    coord = [d for d in h.inbox("cora") if d.outgoing.attachment]
    assert len(channel) == 1 and len(coord) == 1
    assert "Quinn" not in channel[0].text and "Gone quiet" in channel[0].text
    assert "Quinn Quiet" in coord[0].text
    for d in (*channel, *coord):
        assert SECRET not in d.text
        assert "Steal mix this period: adapted 100%" in d.text
    # "Channels see counts only": no member's words and no titles in a channel, only in a direct message
    assert "Shadowing a colleague" in coord[0].text and "Huddle boards" in coord[0].text
    assert "Shadowing a colleague" not in channel[0].text and "Huddle boards" not in channel[0].text
    assert "Reflections completed: *2*" in channel[0].text and "counts only" in channel[0].text


async def test_preview_and_now(harness):
    h = harness
    await _setup(h)
    await h.tick(days=7)  # no digest flow yet: nothing scheduled
    assert not h.inbox("cora")
    fran = await h.command("fran", "digest preview")
    assert len(fran) == 1 and fran[0].to == "fran" and fran[0].outgoing.attachment
    assert "Gone quiet" in fran[0].text and "Quinn" not in fran[0].text  # a facilitator sees counts
    cora = await h.command("cora", "digest preview")
    assert "Quinn Quiet" in cora[0].text
    assert not [d for d in h.inbox("cora") if d not in cora]
    sent = await h.command("fran", "digest now")
    assert sent[-1].to == "fran" and sent[-1].text == "Sent the digest to 1 coordinator."
    assert [d.to for d in sent if d.outgoing.attachment] == ["cora"]


async def test_members_cannot_use_digest_commands(harness):
    h = harness
    await _setup(h)
    for cmd in ("digest now", "digest preview", 'digest schedule "every monday 09:00"', "digest recipients +#x"):
        got = await h.command("ann", cmd)
        assert "facilitator" in got[-1].text.lower(), got[-1].text
    assert not h.inbox("cora")


async def test_recipients_are_audited_and_undone(harness):
    h = harness
    await _setup(h)
    await h.command("fran", "digest recipients +#general -coordinators")
    with h.store.session() as s:
        flow = s.exec(select(Flow).where(Flow.kind == "digest")).one()
        assert flow.settings["channels"] == ["general"] and flow.settings["coordinators"] is False
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "digest.recipients")).one()
        assert entry.after["settings"]["channels"] == ["general"]
    await h.command("fran", "digest recipients coordinators")
    await h.command("fran", "undo")
    with h.store.session() as s:
        flow = s.exec(select(Flow).where(Flow.kind == "digest")).one()
        assert flow.settings["coordinators"] is False
    got = await h.command("fran", "digest recipients -#nowhere")
    assert "doesn't go to #nowhere" in got[-1].text
    got = await h.command("fran", "digest recipients everyone")
    assert "I don't know `everyone`" in got[-1].text


async def test_bad_schedule_and_no_recipients(harness):
    h = harness
    h.add_member("fran", role=Role.FACILITATOR)
    got = await h.command("fran", 'digest schedule "every blursday"')
    assert "blursday" in got[-1].text.lower() or "day" in got[-1].text.lower()
    got = await h.command("fran", "digest now")
    assert "no one to send the digest to" in got[-1].text
    got = await h.command("fran", "digest quiet 4")
    assert "after 4 weeks" in got[-1].text
    got = await h.command("fran", "digest")
    assert "after 4 weeks" in got[-1].text and "not scheduled" in got[-1].text


async def test_settings_do_not_schedule_and_schedule_off_is_undone(harness):
    h = harness
    await _setup(h)
    await h.command("fran", "digest quiet 4")
    await h.command("fran", "digest recipients +#general")
    with h.store.session() as s:
        assert s.exec(select(Flow).where(Flow.kind == "digest")).one().schedule is None
    await h.tick(days=8)
    assert not h.inbox("cora")
    got = await h.command("fran", "digest schedule off")
    assert "isn't scheduled" in got[-1].text
    await h.command("fran", 'digest schedule "every monday 09:00"')
    got = await h.command("fran", "digest schedule off")
    assert "won't go on its own" in got[-1].text
    with h.store.session() as s:
        flow = s.exec(select(Flow).where(Flow.kind == "digest")).one()
        assert flow.schedule is None and flow.settings["quiet_weeks"] == 4
    assert "not scheduled" in (await h.command("fran", "digest"))[-1].text
    await h.tick(days=8)
    assert not h.inbox("cora")
    await h.command("fran", "undo")
    with h.store.session() as s:
        assert s.exec(select(Flow).where(Flow.kind == "digest")).one().schedule == "every monday at 09:00"
    await h.tick(days=8)
    assert [d for d in h.inbox("cora") if d.outgoing.attachment]


async def test_a_scheduled_digest_keeps_a_coordinators_quiet_hours(harness):
    h = harness
    await _setup(h)
    h.add_member("nia", role=Role.COORDINATOR, timezone="America/New_York")
    await h.command("fran", 'digest schedule "every monday 09:00"')
    await h.tick(days=7)  # Monday 9 November 09:00 London is 04:00 in New York
    assert len([d for d in h.inbox("cora") if d.outgoing.attachment]) == 1
    assert not [d for d in h.inbox("nia") if d.outgoing.attachment]
    await h.tick(hours=4)  # 13:00 UTC, 08:00 in New York
    assert len([d for d in h.inbox("nia") if d.outgoing.attachment]) == 1


async def test_help_states_when_a_figure_counts(harness):
    """A coordinator putting figures in a report needs to know a prompt answered late never changes its own week."""
    harness.add_member("cora", role=Role.COORDINATOR)
    text = (await harness.command("cora", "help digest preview"))[-1].text
    assert "counts in the period it was sent" in text and "before that period ended" in text
