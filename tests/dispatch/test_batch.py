"""Events that arrive together are handled together, and still one by one in effect.

A burst of events is taken by the database thread as one batch: one
transaction, one look-up of networks and members. These tests fire bursts at
the real dispatcher (on SQLite and PostgreSQL) and check each event's effect
is what it would have been alone: answered once, duplicates dropped, a
refusal or a failing flow confined to its own event.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from bot.core.errors import UserError
from bot.core.messages import Incoming
from bot.dispatch.batch import BATCH_MAX
from bot.dispatch.results import SORRY
from bot.store.models import InboundEvent, Member, OutboxMessage
from tests.support.harness import NETWORK_KEY, Harness


@pytest.fixture
async def burst_harness(any_store, clock):
    h = Harness(store=any_store, clock=clock)
    yield h
    await h.close()


def _command(user: str, text: str, event_id: str | None = None) -> Incoming:
    return Incoming(kind="command", platform="console", network_key=NETWORK_KEY, user_id=user, user_name=user.title(),
                    conversation=f"dm-{user}", text=text, event_id=event_id or uuid.uuid4().hex)  # fmt: skip


async def _burst(h: Harness, incomings: list[Incoming], commits: list[int] | None = None):
    """Hand ``incomings`` to the dispatcher at once; count the commits their handling
    took into ``commits``; then deliver what they queued."""

    def count(_conn) -> None:
        if commits is not None:
            commits.append(1)

    event.listen(h.store.engine, "commit", count)
    try:
        results = await asyncio.gather(*(h.beacon.handle(i) for i in incomings))
    finally:
        event.remove(h.store.engine, "commit", count)
    await h.beacon.delivery.drain()
    return results


def _answers(h: Harness) -> dict[str, list[str]]:
    """What each person was sent, by platform user id."""
    out: dict[str, list[str]] = {}
    for d in h.adapter.delivered:
        out.setdefault(d.to, []).append(d.text)
    return out


async def test_a_burst_is_handled_in_one_transaction_and_each_event_answered_once(burst_harness):
    h = burst_harness
    h.beacon.router.command("echo", lambda ctx: ctx.reply(f"echo {ctx.arg_text}"), help="x")
    h.add_member("ann")
    users = ["ann", "bob", "cy", "dee"]  # bob, cy and dee are new: created in the batch
    incomings = [_command(users[i % 4], f"echo {i}") for i in range(20)]

    commits: list[int] = []
    results = await _burst(h, incomings, commits)

    assert not any(r.duplicate for r in results)
    assert len(commits) == 1, "the burst should be one transaction"
    with h.store.session() as s:
        assert s.exec(select(func.count()).select_from(InboundEvent)).one() == 20
        members = {m.platform_user_id: m.id for m in s.exec(select(Member))}
    assert sorted(members) == sorted(users)  # each new person created once, though they wrote five times
    answers = _answers(h)
    for i in range(20):
        assert answers[users[i % 4]].count(f"echo {i}") == 1
    assert sum(1 for r in results if r.member_id == members["bob"]) == 5


async def test_the_same_event_twice_in_one_burst_is_handled_once(burst_harness):
    h = burst_harness
    calls = []
    h.beacon.router.command("count", lambda ctx: (calls.append(1), ctx.reply("counted")), help="x")
    incomings = [_command("ann", "count", "E-same"), _command("bob", "count"), _command("ann", "count", "E-same")]

    results = await _burst(h, incomings)

    assert [r.duplicate for r in results] == [False, False, True]
    assert len(calls) == 2
    assert (await _burst(h, [_command("ann", "count", "E-same")]))[0].duplicate  # and again later


async def test_a_refusal_or_a_failing_flow_stays_inside_its_own_event(burst_harness):
    h = burst_harness

    def write_then(ctx, outcome):
        ctx.reply(f"{ctx.member.platform_user_id} written")  # rolled back with the savepoint below
        if outcome == "refuse":
            raise UserError("Not like that.")
        if outcome == "crash":
            raise RuntimeError("a bug in a flow")

    h.beacon.router.command("go", lambda ctx: write_then(ctx, ctx.arg_text), help="x")
    incomings = [_command("ann", "go fine"), _command("bob", "go refuse"), _command("cy", "go crash"),
                 _command("dee", "go fine")]  # fmt: skip

    results = await _burst(h, incomings)

    answers = _answers(h)
    assert answers == {"ann": ["ann written"], "bob": ["Not like that."], "cy": [SORRY], "dee": ["dee written"]}
    assert not any(r.duplicate for r in results)
    with h.store.session() as s:  # the failing event is recorded too: a retry of it would not loop on the bug
        assert s.exec(select(func.count()).select_from(InboundEvent)).one() == 4


async def test_a_batch_that_cannot_commit_is_handled_again_one_event_at_a_time(burst_harness):
    """Another process creating the same row mid-batch rolls the whole batch back:
    nothing is lost or doubled, each event is handled on its own."""
    h = burst_harness
    collided = []

    def collide_once(ctx):
        if not collided:
            collided.append(True)
            raise IntegrityError("INSERT INTO member …", {}, Exception("UNIQUE constraint failed: member"))
        ctx.reply("done")

    h.beacon.router.command("go", collide_once, help="x")
    results = await _burst(h, [_command(u, "go") for u in ("ann", "bob", "cy")])

    assert collided and not any(r.duplicate for r in results)
    assert sorted(len(v) for v in _answers(h).values()) == [1, 1, 1]
    with h.store.session() as s:
        assert s.exec(select(func.count()).select_from(OutboxMessage)).one() == 3


async def test_a_burst_larger_than_one_batch_is_split_and_nothing_waits_forever(burst_harness):
    h = burst_harness
    h.beacon.router.command("n", lambda ctx: ctx.reply(ctx.arg_text), help="x")
    count = BATCH_MAX * 2 + 5
    commits: list[int] = []
    results = await _burst(h, [_command(f"u{i % 30}", f"n {i}") for i in range(count)], commits)
    assert len(results) == count and not any(r.duplicate for r in results)
    assert len(commits) == 3  # two full batches and the rest, one after the other
    assert sorted(int(d.text) for d in h.adapter.delivered) == list(range(count))


async def test_a_member_removed_earlier_in_the_batch_is_not_reused(burst_harness):
    """One event removes its member (as a chat migration merges two); the same
    person's next event in the batch meets them afresh instead of a deleted row."""
    h = burst_harness

    def leave(ctx):
        ctx.session.delete(ctx.member)
        ctx.session.flush()

    h.beacon.router.command("vanish", leave, help="x")
    h.beacon.router.command("who", lambda ctx: ctx.reply(f"new={ctx.member_is_new}"), help="x")
    h.add_member("ann")

    commits: list[int] = []
    results = await _burst(h, [_command("ann", "vanish"), _command("ann", "who"), _command("ann", "who")], commits)

    assert len(commits) == 1  # handled as one batch, not failed and handled again one by one
    assert not any(r.duplicate for r in results)
    assert [d.text for d in h.adapter.delivered] == ["new=True", "new=False"]
    with h.store.session() as s:
        (ann,) = s.exec(select(Member).where(Member.platform_user_id == "ann")).all()
    assert results[1].member_id == results[2].member_id == ann.id
