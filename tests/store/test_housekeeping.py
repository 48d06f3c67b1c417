"""Housekeeping on both databases: delivered messages lose their words, old event ids go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import select

from bot.core.messages import Address, Outgoing
from bot.store import outbox
from bot.store.housekeeping import tidy
from bot.store.models import InboundEvent, Network, OutboxMessage, OutboxStatus

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _network(s, key: str, **settings) -> int:
    n = Network(platform="console", platform_key=key, name=key, settings=settings, created_at=NOW)
    s.add(n)
    s.flush()
    return n.id


def _sent(s, network_id: int, key: str, days_ago: int, status=OutboxStatus.SENT) -> None:
    at = NOW - timedelta(days=days_ago)
    out = Outgoing(text=f"words of {key}", to=Address.to_channel("#general"))
    outbox.enqueue(s, key=key, network_id=network_id, platform="console", outgoing=out, now=at)
    row = s.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()
    row.status, row.sent_at, row.platform_message_id = status, at, f"ref-{key}"
    s.add(row)


def test_tidy_prunes_by_each_networks_retention_and_forgets_old_event_ids(any_store):
    with any_store.session() as s:
        plain, short = _network(s, "plain"), _network(s, "short", retention_days=3)
        _sent(s, plain, "p-old", 31)
        _sent(s, plain, "p-failed", 40, status=OutboxStatus.FAILED)
        _sent(s, plain, "p-new", 10)
        _sent(s, short, "s-old", 4)
        _sent(s, short, "s-new", 2)
        outbox.enqueue(s, key="pending", network_id=plain, platform="console", now=NOW - timedelta(days=90),
                       outgoing=Outgoing(text="still to go", to=Address.member(1)))  # fmt: skip
        s.add(InboundEvent(platform="slack", event_id="old", received_at=NOW - timedelta(days=8)))
        s.add(InboundEvent(platform="slack", event_id="new", received_at=NOW - timedelta(days=1)))
    with any_store.session() as s:
        assert tidy(s, NOW) == {"outbox": 3, "inbound": 1}
    with any_store.session() as s:
        rows = {r.key: r for r in s.exec(select(OutboxMessage))}
        for key in ("p-old", "p-failed", "s-old"):
            assert rows[key].payload == {"text": "", "to": rows[key].payload["to"], "pruned": True}
            assert rows[key].payload["to"]["channel"] == "#general"  # the post can still be edited
        for key in ("p-new", "s-new"):
            assert rows[key].payload["text"] == f"words of {key}"
        assert rows["pending"].payload["text"] == "still to go"
        assert [e.event_id for e in s.exec(select(InboundEvent))] == ["new"]
    with any_store.session() as s:
        assert tidy(s, NOW) == {"outbox": 0, "inbound": 0}  # pruned rows are not read again


def test_in_batches_reads_a_network_a_batch_at_a_time(any_store):
    with any_store.session() as s:
        a, b = _network(s, "a"), _network(s, "b")
        for i in range(7):
            _sent(s, a, f"a{i}", 1)
        _sent(s, b, "b0", 1)
    with any_store.session() as s:
        sizes = [len(rows) for rows in outbox.in_batches(s, OutboxMessage.network_id == a, size=3)]
        assert sizes == [3, 3, 1]
        assert len(s.identity_map) == 0  # each batch was let go


def _prune_statements(store, network_id: int) -> list[tuple[str, object]]:
    """The SELECTs one prune issues, with their parameters."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "outbox_message" in statement:
            seen.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        with store.session() as s:
            outbox.prune_delivered(s, network_id=network_id, before=NOW - timedelta(days=30), now=NOW)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    return seen


def test_the_hourly_prune_reads_only_unpruned_rows_through_an_index(sqlite_store):
    store = sqlite_store
    """A year of pruned messages must not be read again every hour: the query's plan uses the
    index on (network, pruned_at, status), never a scan of the network's outbox."""
    with store.session() as s:
        net = _network(s, "old")
        for i in range(40):
            _sent(s, net, f"m{i}", 31 + i)
    with store.session() as s:
        assert tidy(s, NOW)["outbox"] == 40
    with store.session() as s:
        rows = list(s.exec(select(OutboxMessage)))
        assert all(r.pruned_at is not None for r in rows)  # what a pruned row is marked by: a column an index holds
    statements = _prune_statements(store, net)
    assert len(statements) == 2  # delivered, and given up on before a send: one query each
    for statement, params in statements:
        with store.engine.connect() as conn:
            plan = " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params))
        # the time is a range of the index too: rows kept for their retention are not read each hour
        assert "USING INDEX ix_outbox_unpruned" in plan and ("sent_at<?" in plan or "created_at<?" in plan), plan
