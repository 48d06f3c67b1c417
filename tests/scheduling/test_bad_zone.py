"""A time zone the machine does not know, stored by an older version or another
source, must not stop the tick: today every flow of every network stops."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.core.router import Router
from bot.scheduling.tick import run_due
from bot.store.models import Flow, Member, Network, OutboxMessage


def _router() -> Router:
    router = Router()

    def run(ctx):
        for m in ctx.members():
            if (m.timezone or ctx.network.timezone) == ctx.timezone:
                ctx.dm(m, "ping", key=f"ping:{ctx.due_at.isoformat()}:{m.id}")

    router.schedule("ping", run, per_member_timezone=True)
    return router


def test_a_stored_unknown_zone_neither_stops_the_tick_nor_loses_its_member(any_store, clock):
    with any_store.session() as s:
        for key in ("bad", "good"):
            net = Network(platform="console", platform_key=key, name=key, timezone="Europe/London", created_at=clock.now())
            s.add(net)
            s.flush()
            zones = ["Mars/Olympus_Mons", "Europe/London"] if key == "bad" else ["Europe/London"]
            for i, tz in enumerate(zones):
                s.add(Member(network_id=net.id, platform_user_id=f"{key}{i}", display_name=f"{key}{i}", timezone=tz, created_at=clock.now()))
            s.add(Flow(network_id=net.id, kind="ping", name="p", schedule="every friday 16:00", created_at=clock.now(), updated_at=clock.now(),
                       checked_until=clock.now()))  # fmt: skip
    clock.set(datetime(2026, 11, 6, 16, 5, tzinfo=UTC))

    run_due(any_store, _router(), clock, catch_up=None)

    with any_store.session() as s:
        pinged = {s.get(Member, r.member_id).platform_user_id for r in s.exec(select(OutboxMessage))}
        healed = s.exec(select(Member).where(Member.platform_user_id == "bad0")).one()
    assert pinged == {"bad0", "bad1", "good0"}  # the member with the unknown zone gets the network's
    assert healed.timezone is None
