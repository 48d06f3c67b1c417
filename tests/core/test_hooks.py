"""The router's cross-flow hooks: events in the handler's transaction, undo, follow-up sources."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import select

from bot.core.followups import FollowUpSource, MeetingInfo, World, in_order, local_when, planned
from bot.core.router import Router
from bot.store.models import AuditEntry


def _source(rule: str) -> FollowUpSource:
    return FollowUpSource(rule=rule, description="", load=lambda s, w: None, due=lambda d, p, w, n: [],
                          answers=lambda subject: (), apply=lambda ctx, subject, code: "")  # fmt: skip


def test_a_hook_registered_twice_is_refused():
    router = Router()
    router.undo("pairing.run", lambda ctx, entry: "")
    router.follow_up(_source("pair"))
    with pytest.raises(ValueError, match="pairing.run"):
        router.undo("pairing.run", lambda ctx, entry: "")
    with pytest.raises(ValueError, match="pair"):
        router.follow_up(_source("pair"))


async def test_an_event_reaches_its_listeners_inside_the_handlers_transaction(harness):
    """A listener's writes commit with the change that emitted the event, and roll back with it."""
    router = harness.beacon.router
    heard = []

    def listener(ctx, **data):
        heard.append(data)
        ctx.audit("test.heard", str(data["n"]))

    def emitting(ctx):
        ctx.emit("test.happened", n=len(ctx.args))
        if ctx.args == ["fail"]:
            ctx.fail("No.")
        ctx.reply("ok")

    router.on("test.happened", listener)
    router.command("emit-test", emitting, help="test only", hidden=True)
    harness.add_member("ann")
    await harness.command("ann", "emit-test a b")
    await harness.command("ann", "emit-test fail")
    assert heard == [{"n": 2}, {"n": 1}]
    with harness.store.session() as session:
        kept = session.exec(select(AuditEntry.target).where(AuditEntry.action == "test.heard")).all()
    assert kept == ["2"]  # the failed command's listener write went with it


def test_sources_are_listed_in_their_order_and_times_read_on_the_readers_clock():
    router = Router()
    for rule, order in (("late", 30), ("early", 10), ("middle", 20)):
        router.follow_up(replace(_source(rule), order=order))
    assert [s.rule for s in in_order(router.follow_ups)] == ["early", "middle", "late"]
    at = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert local_when(at, "Europe/London") == "Thu 3 Dec at 14:00"
    assert local_when(at, "Asia/Tokyo") == "Thu 3 Dec at 23:00"


def test_the_next_meeting_is_the_soonest_after_now_whatever_the_order():
    later, sooner = MeetingInfo(2, datetime(2026, 12, 10, tzinfo=UTC), "B"), MeetingInfo(1, datetime(2026, 12, 3, tzinfo=UTC), "A")
    world = World(network=None, now=sooner.starts_at, horizon=timedelta(0), people={}, meetings=[later, sooner])
    assert world.next_meeting(sooner.starts_at - timedelta(hours=1)) == sooner
    assert world.next_meeting(sooner.starts_at) == later  # started: no longer next
    assert world.next_meeting(later.starts_at) is None


def test_a_flow_asks_whether_the_planner_sends_its_follow_ups():
    """``planned`` answers from the hook the planner registered, without the asking flow importing it."""
    router = Router()
    ctx = SimpleNamespace(router=router, session=None, network=SimpleNamespace(id=7))
    assert planned(ctx) is False  # no planner registered: the flow asks itself
    asked = []
    router.plan_follow_ups(lambda session, network_id: asked.append(network_id) or network_id == 7)
    assert planned(ctx) is True and asked == [7]
    with pytest.raises(ValueError, match="planner"):
        router.plan_follow_ups(lambda session, network_id: False)
