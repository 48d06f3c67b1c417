"""Fan-out benchmark: one reflection occurrence to 10,000 members.

Measures (1) how long the real reflection flow takes to queue the
occurrence for every member (goal: under 2 s), and (2) delivery through the
real Telegram adapter (python-telegram-bot) to a local fake Bot API that
enforces Telegram's limits (30 messages/s overall, 1/s per chat), running in
a process of its own: the rate reached (goal: at least 95% of 30/s) with zero 429s and zero duplicates,
and (3) the process's peak resident memory (goal: under 250 MB).

Run: .venv/bin/python bench/fanout.py [--members 10000] [--deliver 600]
Delivering all 10,000 at 30/s takes 5.5 minutes; --deliver samples the
sustained rate on the first N messages.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func
from sqlmodel import select

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.app import build_app
from bot.cli import settle_heap
from bot.core.clock import FakeClock
from bot.scheduling.tick import run_due
from bot.settings import Settings
from bot.store.db import Store
from bot.store.models import Flow, Member, Network, OutboxMessage, OutboxStatus
from tests.fakes import FakeTelegram

FRIDAY_1559 = datetime(2026, 11, 6, 15, 59, tzinfo=UTC)


def build_network(store: Store, clock: FakeClock, members: int) -> None:
    with store.session() as s:
        net = Network(platform="telegram", platform_key="-1001", name="Bench", timezone="UTC", created_at=clock.now())
        s.add(net)
        s.flush()
        rows = [
            dict(network_id=net.id, platform_user_id=str(10_000 + i), display_name=f"Member {i}", role="MEMBER",
                 wants="", offers="", wants_tags=[], offers_tags=[], availability="every", opted_out=[],
                 quiet_hours="20:00-08:00", quiet_weekends=True, unreachable=False, has_private_chat=True,
                 created_at=clock.now())
            for i in range(members)
        ]  # fmt: skip
        s.connection().execute(Member.__table__.insert(), rows)
        s.add(Flow(network_id=net.id, kind="reflection", name="weekly", schedule="every friday 16:00",
                   settings={"question_set": "weekly"}, created_at=clock.now(), updated_at=clock.now(),
                   checked_until=clock.now()))  # fmt: skip


async def fake_telegram() -> None:
    """The Bot API, faked in a process of its own (Telegram is not in the bot's
    process: a fake on the bot's own event loop would time requests by when
    that loop got round to them). Prints its address, then its counts at SIGTERM."""
    import json
    import signal

    async with FakeTelegram(lenient={"unstarted"}) as tg:  # every benchmark member has pressed Start
        tg.enforce_rate(global_per_s=30, per_chat_per_s=1)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print(f"URL {tg.url} {tg.token}", flush=True)
        await stop.wait()
        sends = tg.calls_to("sendMessage", ok=True)
        chats = Counter(c["chat_id"] for c in sends)
        print(json.dumps({"sent": len(sends), "rate_limited": tg.rate_limited_count,
                          "duplicates": sum(n - 1 for n in chats.values() if n > 1)}), flush=True)  # fmt: skip


async def main() -> None:
    import json
    import signal
    import subprocess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--deliver", type=int, default=600, help="messages to deliver for the rate sample")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    tmp = tempfile.mkdtemp()
    store = Store(url=f"sqlite:///{tmp}/fanout.db")
    store.upgrade()
    clock = FakeClock(FRIDAY_1559)
    build_network(store, clock, args.members)

    fake = subprocess.Popen([sys.executable, __file__, "fake"], stdout=subprocess.PIPE, text=True)
    _, url, token = fake.stdout.readline().split()
    settings = Settings(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_URL=url + "/bot", BEACON_CONFIG="/none.yaml")
    beacon = build_app(settings, clock=clock, adapters=[], store=store)
    adapter = TelegramAdapter(token=token, handle=beacon.handle, store=store, api_url=url + "/bot",
                              file_url=url + "/file/bot", webhook_url="https://bench.invalid/telegram/webhook",
                              webhook_secret="bench-secret")  # fmt: skip
    beacon.add_adapter(adapter)
    await adapter.start()
    settle_heap()  # as `beacon run` does once it has started

    clock.set(FRIDAY_1559 + timedelta(minutes=1))
    t0 = time.perf_counter()
    ran = run_due(store, beacon.router, clock, catch_up=None)
    enqueue_s = time.perf_counter() - t0

    def count(status: OutboxStatus | None = None) -> int:
        with store.session() as s:
            q = select(func.count()).select_from(OutboxMessage)
            return s.exec(q.where(OutboxMessage.status == status) if status else q).one()

    queued = count()
    worker = beacon.delivery  # the real worker loop, as `beacon run` drives it
    target = min(args.deliver, queued)
    t1 = time.perf_counter()
    running = asyncio.create_task(worker.run_forever())
    while worker.stats.sent < target:
        await asyncio.sleep(0.05)
    deliver_s = time.perf_counter() - t1
    worker.stop()
    await running
    sent_rows = count(OutboxStatus.SENT)
    await adapter.stop()
    beacon.dispatcher.executor.shutdown()
    fake.send_signal(signal.SIGTERM)
    seen = json.loads(fake.stdout.readline())
    fake.wait()

    rate = worker.stats.sent / deliver_s
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"members: {args.members}; occurrences run: {len(ran)}; messages queued: {queued}")
    print(f"enqueue one occurrence: {enqueue_s:.2f} s            (goal: < 2 s)")
    print(f"delivered {worker.stats.sent} in {deliver_s:.1f} s: {rate:.1f} msg/s = {rate / 30:.0%} of Telegram's 30/s (goal: >= 95%)")
    print(f"429s from the fake: {seen['rate_limited']}    (goal: 0)")
    print(f"the fake accepted {seen['sent']}; duplicate deliveries: {seen['duplicates']}; rows marked sent: {sent_rows}    (goal: 0 duplicates)")
    print(f"peak RSS: {rss_mb:.0f} MB    (goal: < 250 MB)")


if __name__ == "__main__":
    asyncio.run(fake_telegram() if sys.argv[1:] == ["fake"] else main())
