"""The one HTTP server's own endpoints: /healthz and /metrics."""

from __future__ import annotations

import httpx

from bot.server.http import build_http_app


async def test_healthz_reports_database_and_adapters(harness):
    app = build_http_app(harness.beacon)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beacon") as client:
        r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "database": True, "adapters": {"console": {"ok": True}}}


async def test_healthz_fails_when_the_database_is_gone(harness, tmp_path):
    from sqlalchemy import create_engine

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    harness.store.engine = create_engine(f"sqlite:///{blocker}/beacon.db")  # cannot be opened
    app = build_http_app(harness.beacon)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beacon") as client:
        r = await client.get("/healthz")
    assert r.status_code == 503 and r.json()["database"] is False


async def test_metrics_in_prometheus_text_format(harness):
    await harness.command("ann", "help")
    await harness.command("ann", "help", event_id="dup")
    await harness.command("ann", "help", event_id="dup")
    app = build_http_app(harness.beacon)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beacon") as client:
        r = await client.get("/metrics")
    body = r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert 'beacon_inbound_events_total{kind="command",outcome="handled",platform="console"} 2.0' in body
    assert 'beacon_inbound_events_total{kind="command",outcome="duplicate",platform="console"} 1.0' in body
    assert 'beacon_outbox_messages{status="sent"} 2.0' in body
    assert 'beacon_delivery_total{outcome="sent"} 2.0' in body
    assert "beacon_handling_seconds_bucket" in body
