"""The outbox's promises: once after a crash, back-off, retry-after, parking, unreachable."""

from __future__ import annotations

import asyncio
import random
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.adapters.base import PermanentFailure, RetryLater, Unreachable
from bot.app import build_app
from bot.core.messages import Address, Outgoing
from bot.settings import Settings
from bot.store import outbox
from bot.store.models import Network, OutboxMessage, OutboxStatus
from tests.support.harness import Harness, MemoryAdapter


def _enqueue(h, member, key="k1", text="hello"):
    with h.store.session() as s:
        return outbox.enqueue(
            s,
            key=key,
            network_id=h.network_id,
            platform="console",
            outgoing=Outgoing(text=text, to=Address.member(member.id)),
            now=h.clock.now(),
        )


def _row(h, key="k1") -> OutboxMessage:
    with h.store.session() as s:
        return s.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()


async def test_enqueue_is_idempotent_by_key(harness):
    ann = harness.add_member("ann")
    assert _enqueue(harness, ann) is True
    assert _enqueue(harness, ann) is False
    await harness.beacon.delivery.drain()
    assert [d.text for d in harness.inbox("ann")] == ["hello"]


async def test_crash_between_enqueue_and_send_delivers_once_after_restart(harness):
    ann = harness.add_member("ann")
    _enqueue(harness, ann)
    # "crash": the process that enqueued never delivered; a new process starts on the same database
    adapter = MemoryAdapter()
    restarted = build_app(Settings(BEACON_CONFIG="/none.yaml"), clock=harness.clock, adapters=[adapter], store=harness.store)
    await restarted.delivery.drain()
    await restarted.delivery.drain()
    assert [r.platform_user_id for e in adapter.envelopes for r in e.recipients] == ["ann"]
    assert _row(harness).status == OutboxStatus.SENT
    restarted.dispatcher.executor.shutdown()


async def test_claimed_but_unfinished_message_is_taken_over_when_its_lease_ends(harness):
    ann = harness.add_member("ann")
    _enqueue(harness, ann)
    with harness.store.session() as s:  # a process claims it, then dies
        claimed = outbox.claim_due(s, now=harness.clock.now(), limit=10, lease=timedelta(minutes=2), platforms=["console"])
    assert len(claimed) == 1
    assert await harness.beacon.delivery.run_once() == 0  # still leased
    harness.clock.advance(minutes=3)
    assert await harness.beacon.delivery.run_once() == 1
    assert len(harness.inbox("ann")) == 1


async def test_transient_error_retries_with_growing_backoff(harness):
    ann = harness.add_member("ann")
    harness.beacon.delivery.rng = random.Random(1)
    harness.adapter.fail_with = [RetryLater("server error"), RetryLater("server error")]
    _enqueue(harness, ann)
    await harness.beacon.delivery.run_once()
    first = _row(harness)
    assert first.status == OutboxStatus.PENDING and first.attempts == 1
    delay1 = (first.next_attempt_at - harness.clock.now()).total_seconds()
    assert await harness.beacon.delivery.run_once() == 0  # not due yet
    harness.clock.set(first.next_attempt_at)
    await harness.beacon.delivery.run_once()
    second = _row(harness)
    delay2 = (second.next_attempt_at - harness.clock.now()).total_seconds()
    assert second.attempts == 2 and 1.0 <= delay1 <= 2.0 and 2.0 <= delay2 <= 4.0
    harness.clock.set(second.next_attempt_at)
    await harness.beacon.delivery.run_once()
    assert _row(harness).status == OutboxStatus.SENT
    assert len(harness.inbox("ann")) == 1


async def test_retry_after_is_honoured_exactly(harness):
    ann = harness.add_member("ann")
    harness.adapter.fail_with = [RetryLater("429", retry_after=7)]
    _enqueue(harness, ann)
    start = harness.clock.now()
    await harness.beacon.delivery.run_once()
    row = _row(harness)
    assert row.next_attempt_at == start + timedelta(seconds=7)
    assert row.attempts == 0  # a rate limit is not the message's fault
    harness.clock.advance(seconds=6)
    assert await harness.beacon.delivery.run_once() == 0
    harness.clock.advance(seconds=1)
    assert await harness.beacon.delivery.run_once() == 1
    assert len(harness.inbox("ann")) == 1
    assert harness.beacon.delivery.stats.rate_limited == 1


async def test_message_is_parked_as_failed_after_the_attempt_limit(harness):
    ann = harness.add_member("ann")
    worker = harness.beacon.delivery
    worker.max_attempts = 3
    harness.adapter.fail_with = [RetryLater("down")] * 5
    _enqueue(harness, ann)
    for _ in range(5):
        await worker.run_once()
        harness.clock.advance(hours=1)
    row = _row(harness)
    assert row.status == OutboxStatus.FAILED and row.attempts == 3
    assert "gave up after 3 attempts" in row.last_error
    assert harness.inbox("ann") == []


async def test_unreachable_member_is_marked_and_not_retried(harness):
    ann = harness.add_member("ann")
    harness.adapter.fail_with = [Unreachable("bot was blocked by the user")]
    _enqueue(harness, ann)
    await harness.beacon.delivery.run_once()
    assert _row(harness).status == OutboxStatus.FAILED
    assert harness.member("ann").unreachable is True
    # and flows skip them: ctx.dm refuses to queue for an unreachable member
    ann_id = harness.member("ann").id
    harness.beacon.router.command("poke", lambda ctx: ctx.reply(str(ctx.dm(ann_id, "hi"))), help="x")
    out = await harness.command("bob", "poke")
    assert out[-1].text == "False"


async def test_permanent_failure_is_parked_with_its_reason(harness):
    ann = harness.add_member("ann")
    harness.adapter.fail_with = [PermanentFailure("channel_not_found")]
    _enqueue(harness, ann)
    await harness.beacon.delivery.run_once()
    row = _row(harness)
    assert row.status == OutboxStatus.FAILED and "channel_not_found" in row.last_error


def test_backoff_grows_and_is_capped():
    rng = random.Random(3)
    delays = [outbox.backoff(n, rng=rng) for n in range(1, 15)]
    assert delays[0] < delays[3] < delays[6]
    assert max(delays) <= 900


async def test_fan_out_in_one_statement_is_idempotent_and_delivered(harness):
    members = [harness.add_member(f"m{i}") for i in range(5)]
    items = [(f"fan:{m.id}", Outgoing(text=f"hi {m.platform_user_id}", to=Address.member(m.id))) for m in members]
    with harness.store.session() as s:
        assert outbox.enqueue_many(s, items, network_id=harness.network_id, platform="console", now=harness.clock.now()) == 5
    with harness.store.session() as s:  # the same fan-out again, plus one new member
        extra = harness.add_member("late")
        items.append((f"fan:{extra.id}", Outgoing(text="hi late", to=Address.member(extra.id))))
        assert outbox.enqueue_many(s, items, network_id=harness.network_id, platform="console", now=harness.clock.now()) == 1
    await harness.beacon.delivery.drain()
    assert sorted(d.text for d in harness.adapter.delivered) == sorted(["hi late"] + [f"hi m{i}" for i in range(5)])


async def test_worker_loop_delivers_in_order_per_chat_and_stops_cleanly(harness):
    import asyncio

    ann, bob = harness.add_member("ann"), harness.add_member("bob")
    for i in range(6):
        _enqueue(harness, ann if i % 2 == 0 else bob, key=f"o{i}", text=f"msg {i}")
    worker = harness.beacon.delivery
    worker.batch = 4  # smaller than the queue, so the loop must claim again while sends are in flight
    task = asyncio.create_task(worker.run_forever(poll_seconds=0.05))
    for _ in range(200):
        if len(harness.adapter.delivered) == 6:
            break
        await asyncio.sleep(0.01)
    worker.stop()
    await asyncio.wait_for(task, timeout=5)
    assert [d.text for d in harness.inbox("ann")] == ["msg 0", "msg 2", "msg 4"]
    assert [d.text for d in harness.inbox("bob")] == ["msg 1", "msg 3", "msg 5"]
    with harness.store.session() as s:
        assert {r.status for r in s.exec(select(OutboxMessage))} == {OutboxStatus.SENT}


async def test_a_kick_wakes_the_idle_worker_at_once(harness):
    import asyncio

    ann = harness.add_member("ann")
    worker = harness.beacon.delivery
    task = asyncio.create_task(worker.run_forever(poll_seconds=60))
    await asyncio.sleep(0.05)  # the loop is now waiting for work, for up to a minute
    _enqueue(harness, ann, text="now")
    worker.kick()
    for _ in range(500):
        if harness.inbox("ann"):
            break
        await asyncio.sleep(0.01)
    worker.stop()
    await asyncio.wait_for(task, timeout=30)
    assert [d.text for d in harness.inbox("ann")] == ["now"]


def test_enqueue_reports_new_and_repeated_keys_on_both_databases(any_store, clock):
    with any_store.session() as s:
        net = Network(platform="console", platform_key="n", name="N", created_at=clock.now())
        s.add(net)
        s.flush()
        out = Outgoing(text="hi", to=Address.to_channel("c"))
        first = outbox.enqueue(s, key="same", network_id=net.id, platform="console", outgoing=out, now=clock.now())
        again = outbox.enqueue(s, key="same", network_id=net.id, platform="console", outgoing=out, now=clock.now())
    assert (first, again) == (True, False)


class JitteryClock:
    """Monotonic time that only moves when someone sleeps, and oversleeps by up
    to ``jitter`` seconds, as a busy event loop does."""

    def __init__(self, jitter: float, seed: int = 7) -> None:
        self.now, self.jitter, self.rng = 1000.0, jitter, random.Random(seed)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.rng.uniform(0, self.jitter)
        await asyncio.sleep(0)


async def _sent(pacer, chats: list[str], clock: JitteryClock, trip: float) -> list[tuple[float, float]]:
    """Send to each chat through ``pacer``; each request is out for up to ``trip``
    seconds. Returns (left, answered) per request."""
    spans: list[tuple[float, float]] = []

    async def one(chat: str) -> None:
        async with pacer.slot(chat):
            left = clock()
            await clock.sleep(clock.rng.uniform(0, trip))  # on its way and back
            spans.append((left, clock()))

    await asyncio.gather(*(one(c) for c in chats))
    return sorted(spans)


async def test_no_second_of_arrivals_holds_more_than_30_however_requests_bunch_up_on_the_way():
    from bot.delivery.pacing import Pacer

    clock = JitteryClock(jitter=0.015)
    pacer = Pacer(30, 1.0, clock=clock, sleep=clock.sleep)
    spans = await _sent(pacer, [f"chat{i}" for i in range(600)], clock, trip=0.1)
    # the platform counts each request somewhere between leaving and answering: in
    # the worst case the earlier ones arrive as late as possible, the later as early
    tightest = min(spans[k][0] - spans[k - 30][1] for k in range(30, len(spans)))
    assert tightest >= 1.0  # so 31 arrivals can never share one second


async def test_a_message_sent_in_several_requests_takes_a_place_for_each():
    """A photo with a long caption, or a text past 4,096 characters, is several
    Bot API calls; the window counts each, so 30 a second still holds."""
    from bot.delivery.pacing import Pacer

    clock = JitteryClock(jitter=0.015)
    pacer = Pacer(30, 1.0, clock=clock, sleep=clock.sleep)
    spans: list[tuple[float, float]] = []

    async def one(chat: str, parts: int) -> None:
        async with pacer.slot(chat, weight=parts):
            left = clock()
            await clock.sleep(clock.rng.uniform(0, 0.1))
            spans.extend([(left, clock())] * parts)  # any part may arrive anywhere in the slot

    weights = [1 + i % 3 for i in range(200)]
    await asyncio.gather(*(one(f"chat{i}", w) for i, w in enumerate(weights)))
    spans.sort()
    assert len(spans) == sum(weights)
    tightest = min(spans[k][0] - spans[k - 30][1] for k in range(30, len(spans)))
    assert tightest >= 1.0
    rate = (len(spans) - 1) / (spans[-1][0] - spans[0][0])
    assert rate >= 0.85 * 30  # and the limit is still used


async def test_pacer_costs_one_round_trip_per_window_not_more():
    from bot.delivery.pacing import Pacer

    clock = JitteryClock(jitter=0.015)
    pacer = Pacer(30, 1.0, clock=clock, sleep=clock.sleep)
    spans = await _sent(pacer, [f"chat{i}" for i in range(600)], clock, trip=0.01)  # a busy 127.0.0.1
    rate = (len(spans) - 1) / (spans[-1][0] - spans[0][0])
    assert 0.95 * 30 <= rate <= 30  # late wake-ups are caught up within the window, not lost


async def test_pacer_keeps_one_chat_a_second_apart_without_holding_up_others():
    from bot.delivery.pacing import Pacer

    clock = JitteryClock(jitter=0.0)
    pacer = Pacer(30, 1.0, clock=clock, sleep=clock.sleep)
    start = clock()
    async with pacer.slot("ann"):
        pass
    async with pacer.slot("bob"):
        pass
    assert clock() - start < 0.1  # another chat goes at once
    async with pacer.slot("ann"):
        pass
    assert clock() - start >= 1.0  # the same chat waits its second


async def test_pacer_holds_every_send_for_a_429s_retry_after():
    from bot.delivery.pacing import Pacer

    clock = JitteryClock(jitter=0.0)
    pacer = Pacer(30, 1.0, clock=clock, sleep=clock.sleep)
    async with pacer.slot("ann"):
        pass
    pacer.slow_down(3)
    before = clock()
    async with pacer.slot("bob"):
        pass
    assert clock() - before >= 3.0


def test_pacer_slows_after_a_429_and_recovers_gradually():
    from bot.delivery.pacing import Pacer

    pacer = Pacer(30, 1.0)
    steady = pacer.interval
    pacer.slow_down(0)  # a 429 with no wait asked for still lowers the rate
    assert pacer.interval > steady * 1.1
    for _ in range(200):  # each send wins a little back …
        pacer.factor = min(Pacer.MARGIN, pacer.factor + Pacer.RECOVERY)
    assert pacer.interval == steady  # … up to the margin under the limit, never above it


@contextmanager
def _counting(store, name: str, keep=lambda *args: True):
    """Count the engine events ``name`` (``keep`` says which) while the block runs."""
    seen: list[int] = []

    def count(*args) -> None:
        if keep(*args):
            seen.append(1)

    event.listen(store.engine, name, count)
    try:
        yield seen
    finally:
        event.remove(store.engine, name, count)


def _is_claim(conn, cursor, statement, *args) -> bool:
    """A delivery claim: the outbox UPDATE that takes due rows."""
    return "UPDATE outbox_message SET status" in statement and "claimed_by" in statement and "LIMIT" in statement  # after its WITH, on PostgreSQL


async def test_a_drain_that_took_everything_due_does_not_claim_again(harness):
    """Every reply and every hour ended in a claim that found nothing: a short batch already took
    all that was due, so the drain stops unless something was queued or put back meanwhile."""
    ann = harness.add_member("ann")
    _enqueue(harness, ann)
    with _counting(harness.store, "before_cursor_execute", _is_claim) as seen:
        assert await harness.beacon.delivery.drain() == 1
    assert [d.text for d in harness.inbox("ann")] == ["hello"]
    assert len(seen) == 1


async def test_a_drain_claims_again_for_a_message_put_back_due_now(harness):
    """A retry-after of zero is due at once: the drain still delivers it."""
    ann = harness.add_member("ann")
    _enqueue(harness, ann)
    harness.adapter.fail_with = [RetryLater("429", retry_after=0)]
    assert await harness.beacon.delivery.drain() == 2
    assert [d.text for d in harness.inbox("ann")] == ["hello"]


@pytest.fixture
async def any_harness(any_store, clock):
    h = Harness(store=any_store, clock=clock)
    yield h
    await h.close()


async def test_messages_sent_together_share_one_claim_and_one_record_of_their_sends(any_harness):
    """Six messages to six people: one claim, one transaction recording the six sends (it was
    one of each per message). Sent at once, their claims need no renewal."""
    h = any_harness
    people = [h.add_member(f"m{i}") for i in range(6)]
    for i, m in enumerate(people):
        _enqueue(h, m, key=f"k{i}", text=f"hello {i}")
    with _counting(h.store, "commit") as seen:
        assert await h.beacon.delivery.drain() == 6
    assert {d.to: d.text for d in h.adapter.delivered} == {f"m{i}": f"hello {i}" for i in range(6)}
    rows = [_row(h, f"k{i}") for i in range(6)]
    assert {(r.status, r.attempts, r.claimed_until) for r in rows} == {(OutboxStatus.SENT, 1, None)}
    assert len({r.platform_message_id for r in rows}) == 6
    assert len(seen) == 2  # the claim, the sends


async def test_a_claim_takes_no_more_than_its_limit_on_either_database(any_harness):
    """On PostgreSQL, ``id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` ran its subquery again for
    every row, and each run skipped the rows the statement had just claimed (they count as locked):
    a claim of one took every due message. One process then held a whole backlog, past what it can
    send within a lease, for another to claim again once the lease ran out."""
    h = any_harness
    ann = h.add_member("ann")
    for i in range(5):
        _enqueue(h, ann, key=f"k{i}", text=f"hello {i}")
    lease = timedelta(minutes=2)

    def claim(limit: int, worker: str) -> list[str]:
        with h.store.session() as s:
            return [r.key for r in outbox.claim_due(s, now=h.clock.now(), limit=limit, lease=lease, platforms=["console"], worker=worker)]

    assert claim(1, "a") == ["k0"]
    assert claim(2, "a") == ["k1", "k2"]
    h.clock.advance(minutes=3)  # the leases ran out: another process takes them over, as many as it asks for
    assert claim(2, "b") == ["k0", "k1"]
    assert claim(10, "b") == ["k2", "k3", "k4"]


async def test_a_message_another_process_took_over_is_left_to_it_and_the_others_still_go(any_harness):
    """Claims that waited past half their lease are renewed before they go: the one another process
    took once our lease ran out is left to it, and ours, renewed, still go."""
    h = any_harness
    people = [h.add_member(f"m{i}") for i in range(3)]
    for i, m in enumerate(people):
        _enqueue(h, m, key=f"k{i}", text=f"hello {i}")
    worker = h.beacon.delivery
    claimed = await worker.run_db(worker._claim, 10)
    h.clock.advance(seconds=worker.lease.total_seconds() + 1)  # the sends waited (a slow platform): our leases ran out
    with h.store.session() as s:  # and another process took the oldest
        taken = outbox.claim_due(s, now=h.clock.now(), limit=1, lease=worker.lease, platforms=["console"], worker="elsewhere:1:abc")
    assert [r.key for r in taken] == ["k0"]
    await asyncio.gather(*(worker._deliver(*item) for item in claimed))
    assert sorted(d.text for d in h.adapter.delivered) == ["hello 1", "hello 2"]
    assert [(_row(h, k).status, _row(h, k).claimed_by) for k in ("k0", "k1", "k2")] == [
        (OutboxStatus.SENDING, "elsewhere:1:abc"), (OutboxStatus.SENT, worker.worker_id), (OutboxStatus.SENT, worker.worker_id)]  # fmt: skip


async def test_a_failing_delivery_hook_leaves_the_others_recorded_as_sent(any_harness, caplog):
    """Sends are recorded many to a transaction: one flow's bug must not undo the record of the
    others', or they would all be sent again."""
    h = any_harness
    heard: list[str] = []

    def broken(session, key, sent):
        raise RuntimeError("a bug in a flow")

    h.beacon.router.on_delivered("broken:", broken)
    h.beacon.router.on_delivered("heard:", lambda session, key, sent: heard.append(key))
    people = [h.add_member(f"m{i}") for i in range(3)]
    for key, m in zip(("heard:0", "broken:1", "heard:2"), people, strict=True):
        _enqueue(h, m, key=key)
    assert await h.beacon.delivery.drain() == 3
    assert sorted(heard) == ["heard:0", "heard:2"]
    assert {_row(h, k).status for k in ("heard:0", "broken:1", "heard:2")} == {OutboxStatus.SENT}
    h.clock.advance(minutes=10)  # past any lease: nothing is sent twice
    assert await h.beacon.delivery.drain() == 0
    assert len(h.adapter.delivered) == 3
    assert "the delivery hook for broken: failed" in caplog.text


async def test_a_message_the_pacer_held_past_its_lease_is_renewed_again_before_it_goes(any_harness):
    """Its claim is renewed, then a 429's retry-after holds it longer than the lease has left:
    another process may take it meanwhile and send it. It was then sent by both (two bot
    processes with a short lease, on a busy machine); now the claim is renewed again first."""
    from bot.delivery.pacing import Pacer

    h = any_harness
    _enqueue(h, h.add_member("ann"))
    worker = h.beacon.delivery
    worker.lease = timedelta(seconds=2)
    taken = []

    async def hold(seconds: float) -> None:  # the hold passes on the worker's clock, and another process claims meanwhile
        h.clock.advance(seconds=seconds)
        with h.store.session() as s:
            taken.extend(outbox.claim_due(s, now=h.clock.now(), limit=10, lease=worker.lease, platforms=["console"], worker="elsewhere:1:abc"))

    worker.pacers["console"] = pacer = Pacer(0, 0, clock=lambda: h.clock.now().timestamp(), sleep=hold)
    pacer.slow_down(3)
    assert await worker.drain() == 1
    assert len(taken) == 1 and h.adapter.delivered == []  # left to the process that holds it now
    assert (_row(h).status, _row(h).claimed_by) == (OutboxStatus.SENDING, "elsewhere:1:abc")


async def test_a_message_the_pacer_held_briefly_goes_without_a_renewal(any_harness):
    """A renewal is only for a claim that half its lease has passed since: a usual wait costs no statement."""
    from bot.delivery.pacing import Pacer

    h = any_harness
    _enqueue(h, h.add_member("ann"))
    worker = h.beacon.delivery

    async def hold(seconds: float) -> None:
        h.clock.advance(seconds=seconds)

    worker.pacers["console"] = pacer = Pacer(0, 0, clock=lambda: h.clock.now().timestamp(), sleep=hold)
    pacer.slow_down(3)  # 3 s of a 2-minute lease
    with _counting(h.store, "before_cursor_execute", lambda conn, cursor, statement, *args: "UPDATE outbox" in statement) as updates:
        assert await worker.drain() == 1
    assert [d.to for d in h.adapter.delivered] == ["ann"] and _row(h).status == OutboxStatus.SENT
    assert len(updates) == 2  # the claim, the record of the send
