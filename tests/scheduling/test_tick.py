"""Scheduled work runs once per slot: on duplicate ticks, restarts and two processes."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import select

from bot.app import build_app
from bot.core.clock import FakeClock
from bot.core.router import Router
from bot.scheduling.tick import run_due
from bot.settings import Settings
from bot.store.db import Store
from bot.store.models import Flow, FlowOccurrence, Member, Network, OutboxMessage
from tests.support.harness import MemoryAdapter

FRIDAY_16 = "every friday 16:00"


def _ping_router() -> Router:
    router = Router()

    def run(ctx):
        for m in ctx.members():
            if (m.timezone or ctx.network.timezone) == ctx.timezone:
                ctx.dm(m, f"ping for {ctx.due_at:%Y-%m-%d %H:%M}Z", key=f"ping:{ctx.flow.id}:{ctx.due_at.isoformat()}:{m.id}")

    router.schedule("ping", run, per_member_timezone=True)
    return router


def _add_network(s, clock: FakeClock, key: str, name: str, zones: list[str | None], user: str) -> int:
    """A network with a member per zone (``user`` + index) and a weekly ping flow; returns its id."""
    net = Network(platform="console", platform_key=key, name=name, timezone="Europe/London", created_at=clock.now())
    s.add(net)
    s.flush()
    for i, tz in enumerate(zones):
        s.add(Member(network_id=net.id, platform_user_id=f"{user}{i}", display_name=f"{user.upper()}{i}", timezone=tz, created_at=clock.now()))
    s.add(
        Flow(
            network_id=net.id,
            kind="ping",
            name="weekly",
            schedule=FRIDAY_16,
            created_at=clock.now(),
            updated_at=clock.now(),
            checked_until=clock.now(),
        )
    )
    return net.id


def _setup(store: Store, clock: FakeClock, zones: list[str | None]) -> None:
    with store.session() as s:
        _add_network(s, clock, "net", "N", zones, "u")


def test_weekly_occurrence_reaches_each_member_at_their_local_time(any_store, clock):
    _setup(any_store, clock, ["Europe/London", "America/New_York", "Asia/Kolkata"])
    router = _ping_router()
    sent: dict[str, datetime] = {}
    # walk the fake clock through the week in 15-minute steps, like the ticker would
    while clock.now() < datetime(2026, 11, 7, tzinfo=UTC):
        clock.advance(minutes=15)
        run_due(any_store, router, clock, catch_up=None)
        with any_store.session() as s:
            for row in s.exec(select(OutboxMessage)).all():
                sent.setdefault(row.key, clock.now())
    by_zone = {k.rsplit(":", 1)[1]: v for k, v in sent.items()}
    with any_store.session() as s:
        ids = {m.timezone: str(m.id) for m in s.exec(select(Member))}
    # Friday 6 Nov 2026, 16:00 local: London = 16:00Z, New York = 21:00Z, Kolkata = 10:30Z
    assert by_zone[ids["Europe/London"]] == datetime(2026, 11, 6, 16, 0, tzinfo=UTC)
    assert by_zone[ids["America/New_York"]] == datetime(2026, 11, 6, 21, 0, tzinfo=UTC)
    assert by_zone[ids["Asia/Kolkata"]] == datetime(2026, 11, 6, 10, 30, tzinfo=UTC)
    assert len(sent) == 3


def test_duplicate_ticks_run_an_occurrence_once(any_store, clock):
    _setup(any_store, clock, [None, None])
    router = _ping_router()
    clock.set(datetime(2026, 11, 6, 16, 5, tzinfo=UTC))
    first = run_due(any_store, router, clock, catch_up=None)
    second = run_due(any_store, router, clock, catch_up=None)
    # a restarted process forgets nothing: checked_until is in the store, and so are the slots
    with any_store.session() as s:
        s.exec(select(Flow)).one().checked_until = None
    third = run_due(any_store, router, clock, catch_up=None)
    assert len(first) == 1 and second == [] and third == []
    with any_store.session() as s:
        assert len(s.exec(select(OutboxMessage)).all()) == 2
        assert len(s.exec(select(FlowOccurrence)).all()) == 1


def test_catch_up_bounds_how_far_back_a_late_tick_looks(sqlite_store, clock):
    _setup(sqlite_store, clock, [None])
    router = _ping_router()
    clock.set(datetime(2026, 11, 14, 9, 0, tzinfo=UTC))  # the bot was down over Friday
    assert run_due(sqlite_store, router, clock, catch_up=timedelta(hours=6)) == []
    clock.set(datetime(2026, 11, 20, 16, 1, tzinfo=UTC))
    assert len(run_due(sqlite_store, router, clock, catch_up=timedelta(hours=6))) == 1


def test_a_disabled_flow_or_bad_schedule_runs_nothing(sqlite_store, clock):
    _setup(sqlite_store, clock, [None])
    with sqlite_store.session() as s:
        flow = s.exec(select(Flow)).one()
        flow.schedule = "every fryday 16:00"
    clock.set(datetime(2026, 11, 6, 16, 5, tzinfo=UTC))
    assert run_due(sqlite_store, _ping_router(), clock, catch_up=None) == []


def test_two_schedulers_on_postgres_run_each_occurrence_once(postgres_url, clock):
    """Two bot processes' tickers race on one PostgreSQL database."""
    stores = [Store(url=postgres_url), Store(url=postgres_url)]
    _setup(stores[0], clock, ["Europe/London", "America/New_York", "Asia/Kolkata", None])
    router = _ping_router()
    clock.set(datetime(2026, 11, 7, 0, 0, tzinfo=UTC))
    results: list[list[int]] = [[], []]
    barrier = threading.Barrier(2)

    def worker(i: int) -> None:
        barrier.wait()
        for _ in range(3):
            results[i].extend(run_due(stores[i], router, clock, catch_up=None))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ran = results[0] + results[1]
    assert len(ran) == len(set(ran)) == 3  # three zones: three slots, each run by one process
    with stores[0].session() as s:
        keys = [r.key for r in s.exec(select(OutboxMessage))]
    assert len(keys) == len(set(keys)) == 4
    for st in stores:
        st.dispose()


async def test_the_apscheduler_ticker_drives_run_due(sqlite_store, clock):
    _setup(sqlite_store, clock, [None])
    adapter = MemoryAdapter()
    beacon = build_app(Settings(BEACON_CONFIG="/none.yaml", BEACON_TICK_SECONDS=0.05), clock=clock, adapters=[adapter], store=sqlite_store)
    beacon.router.schedule("ping", _ping_router().schedules["ping"].run, per_member_timezone=True)
    clock.set(datetime(2026, 11, 6, 16, 1, tzinfo=UTC))
    await beacon.start(serve_http=False)
    try:
        for _ in range(100):  # the ticker fires on real time; wait for its first run
            if adapter.delivered:
                break
            await asyncio.sleep(0.02)
    finally:
        await beacon.stop()
    assert [d.text for d in adapter.delivered] == ["ping for 2026-11-06 16:00Z"]


def _two_networks(store: Store, clock: FakeClock, zones_a: list[str | None]) -> dict[str, int]:
    """Networks A and B, each with a ping flow; returns their ids by name."""
    ids: dict[str, int] = {}
    with store.session() as s:
        for name, zones in (("A", zones_a), ("B", [None])):
            ids[name] = _add_network(s, clock, f"net-{name}", name, zones, name)
    return ids


def _pings(store: Store) -> list[str]:
    with store.session() as s:
        return sorted(r.key for r in s.exec(select(OutboxMessage)))


def test_a_stored_bad_zone_stops_only_its_own_slot(any_store, clock, caplog):
    """An unknown zone stored for one member used to make every tick raise, for every network."""
    ids = _two_networks(any_store, clock, ["Mars/Olympus_Mons", None])
    with any_store.session() as s:
        # stored behind the validators' back, as an older Slack sync did
        s.exec(select(Member).where(Member.platform_user_id == "A0")).one().timezone = "Mars/Olympus_Mons"
    clock.set(datetime(2026, 11, 6, 16, 5, tzinfo=UTC))
    ran = run_due(any_store, _ping_router(), clock, catch_up=None)
    assert len(ran) == 2  # A's London slot and B's
    with any_store.session() as s:
        member_ids = {m.platform_user_id: m.id for m in s.exec(select(Member))}
    keys = _pings(any_store)
    assert any(k.endswith(f":{member_ids['B0']}") for k in keys)
    assert any(k.endswith(f":{member_ids['A1']}") for k in keys)
    assert "Mars/Olympus_Mons" in caplog.text and f"network {ids['A']}" in caplog.text


def test_a_flow_that_raises_is_skipped_then_retried_alone(any_store, clock, caplog):
    ids = _two_networks(any_store, clock, [None])
    calls: list[int] = []
    broken = {ids["A"]}
    router = Router()

    def run(ctx):
        calls.append(ctx.network.id)
        if ctx.network.id in broken:
            raise RuntimeError("the flow broke")
        for m in ctx.members():
            ctx.dm(m, "ping", key=f"ping:{ctx.flow.id}:{ctx.due_at.isoformat()}:{m.id}")

    router.schedule("ping", run, per_member_timezone=True)
    clock.set(datetime(2026, 11, 6, 16, 5, tzinfo=UTC))
    assert len(run_due(any_store, router, clock, catch_up=None)) == 1  # B ran although A raised
    assert len(_pings(any_store)) == 1
    assert f"network {ids['A']}" in caplog.text and "Europe/London" in caplog.text
    broken.clear()
    clock.advance(minutes=1)
    calls.clear()
    assert len(run_due(any_store, router, clock, catch_up=None)) == 1  # A's failed slot, retried
    assert calls == [ids["A"]]  # and B is not run again
    assert len(_pings(any_store)) == 2
    clock.advance(minutes=1)
    assert run_due(any_store, router, clock, catch_up=None) == []
    with any_store.session() as s:
        assert len(s.exec(select(FlowOccurrence)).all()) == 2


def _statements_of_a_quiet_tick(store: Store, clock: FakeClock, flows: int) -> int:
    with store.session() as s:
        net = s.exec(select(Network)).one()
        for i in range(len(s.exec(select(Flow)).all()), flows):
            s.add(Flow(network_id=net.id, kind="ping", name=f"weekly {i}", schedule=FRIDAY_16, created_at=clock.now(),
                       updated_at=clock.now(), checked_until=clock.now()))  # fmt: skip
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listener)
    try:
        clock.advance(hours=1)
        assert run_due(store, _ping_router(), clock) == []
    finally:
        event.remove(store.engine, "before_cursor_execute", listener)
    return len(statements)


def test_a_tick_with_nothing_due_costs_the_same_for_one_flow_as_for_six(any_store, clock):
    """Each flow's zones and its checked_until used to cost a transaction of its own, every tick."""
    _setup(any_store, clock, ["Europe/London", None])
    one = _statements_of_a_quiet_tick(any_store, clock, 1)
    six = _statements_of_a_quiet_tick(any_store, clock, 6)
    assert six == one, f"{one} statements for one flow, {six} for six"
    with any_store.session() as s:  # and every flow is marked checked, as before
        assert {f.checked_until for f in s.exec(select(Flow))} == {clock.now()}
