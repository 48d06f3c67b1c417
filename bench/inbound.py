"""Inbound benchmark: signed Slack DMs through the real HTTP endpoint.

The bot runs in its own process (``serve`` below): the real ``build_app``
with the Slack adapter in HTTP mode, served by uvicorn on 127.0.0.1 port 0,
talking to a FakeSlack (users.info, team.info, replies) in a third process,
as Slack's API is not inside the bot's. This script's main process is the load generator: it signs
``message.im`` event callbacks exactly as Slack does and POSTs them to
``/slack/events`` at a fixed offered rate (an open loop, as events arrive
from people), timing each ack from the moment it was due to be sent. An event
counts as handled when its stored effect is in the database: the
``inbound_event`` row and the reply queued in the outbox.

Goals (issue 11): at least 500 events/s handled by one process on SQLite,
p99 ack latency under 100 ms; on PostgreSQL, two processes handle at least
1.6 times what one does.

Run: .venv/bin/python bench/inbound.py [--events 5000] [--rate 500] [--database URL]
     .venv/bin/python bench/inbound.py --processes 2 --database postgresql://…
(with --processes 2 it measures one process, then two, and prints the ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
GOAL_RATE = 500.0
GOAL_P99_MS = 100.0
GOAL_RATIO = 1.6


# -- the bot under test (a child process) -------------------------------------


async def fake_slack(users: int) -> None:
    """Slack's Web API, faked in a process of its own (as Slack is not in the bot's)."""
    from tests.fakes import FakeSlack

    async with FakeSlack() as fake:
        for i in range(users):
            fake.add_user(_user(i), name=f"member{i}", tz="Europe/Berlin")
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print(f"URL {fake.api_url}", flush=True)
        await stop.wait()


async def serve(database: str, api_url: str, profile: str | None = None) -> None:
    """Run one bot process: build_app + uvicorn on a free port; print the port."""
    if profile:
        _profile_dispatch(profile)
    import logging

    import uvicorn

    from bot.app import build_app
    from bot.cli import settle_heap
    from bot.server.http import build_http_app
    from bot.settings import Settings

    logging.basicConfig(level=logging.WARNING)
    settings = Settings(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api_url, BEACON_DATABASE_URL=database)
    beacon = build_app(settings)
    await beacon.start(serve_http=False, tick=False)
    settle_heap()  # as `beacon run` does once it has started
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)  # connections wait in the backlog until uvicorn accepts: the port is usable once printed
    config = uvicorn.Config(build_http_app(beacon), log_level="warning", lifespan="off", access_log=False, backlog=4096, timeout_keep_alive=120)
    server = uvicorn.Server(config)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: setattr(server, "should_exit", True))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])
    await beacon.stop()


async def serve_floor(api_url: str) -> None:
    """The same HTTP path with nothing behind it: uvicorn, Starlette and Bolt
    verify, parse and acknowledge each event, and the listener does no work.
    What this reaches is the ceiling the libraries set on this machine, the
    figure the bot's own rate is judged against."""
    import logging

    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.routing import Route

    from bot.cli import settle_heap

    logging.basicConfig(level=logging.WARNING)
    app = AsyncApp(client=AsyncWebClient(token="xoxb-bench", base_url=api_url), signing_secret=SECRET,
                   process_before_response=True)  # fmt: skip

    @app.event("message")
    async def _acknowledge(ack) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(app)

    async def events(request):
        return await handler.handle(request)

    settle_heap()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)  # connections wait in the backlog until uvicorn accepts: the port is usable once printed
    config = uvicorn.Config(Starlette(routes=[Route("/slack/events", events, methods=["POST"])]), log_level="warning",
                            lifespan="off", access_log=False, backlog=4096, timeout_keep_alive=120)  # fmt: skip
    server = uvicorn.Server(config)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: setattr(server, "should_exit", True))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])


def _profile_dispatch(directory: str) -> None:
    """cProfile the dispatcher's database work (it runs in a worker thread) into ``directory``."""
    import atexit
    import cProfile

    from bot.dispatch import dispatcher as dispatch

    prof = cProfile.Profile()
    original = dispatch.Dispatcher.handle_sync

    def handle_sync(self, incoming):
        prof.enable()
        try:
            return original(self, incoming)
        finally:
            prof.disable()

    dispatch.Dispatcher.handle_sync = handle_sync
    atexit.register(lambda: prof.dump_stats(f"{directory}/dispatch-{os.getpid()}.prof"))


def _user(i: int) -> str:
    return f"U{i:08d}"


# -- the load generator (this process) -----------------------------------------


def _bodies(events: int, users: int, team: str, run: str) -> list[str]:
    from tests.fakes.factories import slack_message_im

    out = []
    for i in range(events):
        u = i % users
        body = slack_message_im(f"hello {i}", user=_user(u), channel=f"D{u:08d}", team_id=team, event_id=f"Ev{run}{i:07d}")
        out.append(json.dumps(body))
    return out


def _requests(bodies: list[str]) -> list[bytes]:
    """Whole HTTP/1.1 requests, signed as Slack signs them, built before the clock starts."""
    from tests.fakes.factories import signed_headers

    out = []
    for body in bodies:
        raw = body.encode()
        headers = {"Host": "127.0.0.1", "Content-Type": "application/json", "Content-Length": str(len(raw)),
                   **signed_headers(body, signing_secret=SECRET)}  # fmt: skip
        head = "POST /slack/events HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        out.append(head.encode() + raw)
    return out


async def _load(ports: list[int], requests: list[bytes], rate: float, connections: int) -> tuple[list[float], int, int]:
    """Send request ``i`` at ``start + i / rate`` (an open loop, as Slack sends:
    events arrive when people write, not when the bot is ready) over a pool of
    keep-alive connections. Latency runs from the scheduled moment, so time
    spent waiting for a free connection counts (no coordinated omission).

    A bare asyncio client rather than httpx: at hundreds of requests a second
    httpx spent ~6 ms of CPU per request, more than the bot under test, on a
    machine whose two cores the two share.
    """
    latencies: list[float] = []
    failures = busy = 0
    free: asyncio.Queue = asyncio.Queue()
    for i in range(connections):
        free.put_nowait(await asyncio.open_connection("127.0.0.1", ports[i % len(ports)]))

    async def one(request: bytes, scheduled: float) -> None:
        nonlocal failures, busy
        reader, writer = await free.get()
        try:
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - scheduled)
            if status.startswith(b"HTTP/1.1 503"):
                busy += 1  # turned away with a full backlog: Slack would send it again
            elif not status.startswith(b"HTTP/1.1 200"):
                failures += 1
        except (OSError, asyncio.IncompleteReadError):
            failures += 1
        finally:
            free.put_nowait((reader, writer))

    start = time.perf_counter() + 0.05
    tasks = []
    for i, request in enumerate(requests):
        scheduled = start + i / rate
        if (delay := scheduled - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, scheduled)))
    await asyncio.gather(*tasks)
    while not free.empty():
        free.get_nowait()[1].close()
    return latencies, failures, busy


def _stored(database: str, run: str) -> tuple[int, int]:
    """(inbound_event rows, outbox replies) for this run's events."""
    from sqlalchemy import create_engine, text

    url = database.replace("postgresql://", "postgresql+psycopg://", 1) if database.startswith("postgresql://") else database
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            inbound = conn.execute(
                text("SELECT count(*) FROM inbound_event WHERE platform='slack' AND event_id LIKE :p"), {"p": f"Ev{run}%"}
            ).scalar_one()
            replies = conn.execute(text("SELECT count(*) FROM outbox_message WHERE key LIKE :p"), {"p": f"in:slack:Ev{run}%"}).scalar_one()
    finally:
        engine.dispose()
    return inbound, replies


def _start_fake(users: int) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen([sys.executable, __file__, "fake", "--users", str(users)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = p.stdout.readline()
    if not line.startswith("URL "):
        raise SystemExit(f"fake Slack did not start (got {line!r})")
    return p, line.split()[1]


def _start_bots(n: int, database: str, api_url: str, profile: str | None,
                floor: bool = False) -> tuple[list[subprocess.Popen], list[int]]:  # fmt: skip
    procs, ports = [], []
    for _ in range(n):
        extra = (["--profile", profile] if profile else []) + (["--floor"] if floor else [])
        p = subprocess.Popen(
            [sys.executable, __file__, "serve", "--database", database, "--api-url", api_url, *extra],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        procs.append(p)
    for p in procs:
        line = p.stdout.readline()
        if not line.startswith("PORT "):
            raise SystemExit(f"bot process did not start (got {line!r})")
        ports.append(int(line.split()[1]))
    return procs, ports


def _cpu_seconds(procs: list[subprocess.Popen]) -> float:
    """User plus system CPU time the bot processes have used so far (Linux /proc)."""
    total = 0
    for p in procs:
        try:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            return float("nan")
    return total / os.sysconf("SC_CLK_TCK")


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, all cores (Linux /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _stop_bots(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run_once(
    database: str, processes: int, events: int, users: int, rate: float, connections: int, profile: str | None = None, floor: bool = False
) -> dict:
    run = uuid.uuid4().hex[:8]
    team = f"TB{run.upper()}"
    bodies = _bodies(events, users, team, run)
    fake, api_url = _start_fake(users)
    procs, ports = _start_bots(processes, database, api_url, profile, floor)
    requests = _requests(bodies)
    try:
        cpu_before = _cpu_seconds(procs)
        machine_before = _machine_jiffies()
        gen_before = time.process_time()
        started = time.perf_counter()
        latencies, failures, busy = asyncio.run(_load(ports, requests, rate, connections))
        sent = len(latencies)
        accepted = sent - failures - busy
        gen_cpu = time.process_time() - gen_before
        acked = time.perf_counter()
        inbound = replies = accepted if floor else 0  # the floor stores nothing: an ack is all it does
        while not floor and time.perf_counter() < acked + 60:
            inbound, replies = _stored(database, run)
            if inbound >= accepted and replies >= accepted:
                break
            time.sleep(0.05)
        done = time.perf_counter()
        cpu = _cpu_seconds(procs) - cpu_before
        machine_after = _machine_jiffies()
    finally:
        _stop_bots([*procs, fake])
    lat = sorted(latencies)
    handled = min(inbound, replies)
    return dict(
        processes=processes,
        sent=sent,
        failures=failures,
        busy=busy,
        inbound=inbound,
        replies=replies,
        ack_seconds=acked - started,
        cpu_ms=cpu * 1000 / max(1, handled),
        gen_ms=gen_cpu * 1000 / max(1, sent),
        seconds=done - started,
        rate=handled / (done - started),
        p50=_pct(lat, 0.50) * 1000,
        p95=_pct(lat, 0.95) * 1000,
        p99=_pct(lat, 0.99) * 1000,
        machine=(machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1]),
    )


def report(r: dict) -> None:
    ok = "ok" if r["rate"] >= GOAL_RATE else "BELOW GOAL"
    print(f"processes: {r['processes']}")
    print(f"  events sent:        {r['sent']} in {r['ack_seconds']:.2f} s ({r['failures']} failed)")
    print(f"  turned away (503):  {r['busy']}   (backlog full: Slack sends these again)")
    print(f"  stored:             {r['inbound']} inbound rows, {r['replies']} replies in the outbox")
    print(f"  handled/s:          {r['rate']:.0f}   (goal >= {GOAL_RATE:.0f} on one process: {ok})")
    print(f"  bot CPU per event:  {r['cpu_ms']:.2f} ms   (so at most ~{1000 / r['cpu_ms']:.0f} events/s per free core)")
    print(f"  load generator CPU: {r['gen_ms']:.2f} ms per event sent")
    print(f"  machine CPU busy:   {r['machine'] * 100:.0f} % of {os.cpu_count()} cores (bots, load generator, fake Slack and the database together)")
    p99 = "ok" if r["p99"] < GOAL_P99_MS else "ABOVE GOAL"
    print(f"  ack latency p50:    {r['p50']:.1f} ms")
    print(f"  ack latency p95:    {r['p95']:.1f} ms")
    print(f"  ack latency p99:    {r['p99']:.1f} ms   (goal < {GOAL_P99_MS:.0f} ms: {p99})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "fake":
        ap = argparse.ArgumentParser()
        ap.add_argument("fake")
        ap.add_argument("--users", type=int, default=200)
        asyncio.run(fake_slack(ap.parse_args().users))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        ap = argparse.ArgumentParser()
        ap.add_argument("serve")
        ap.add_argument("--database", required=True)
        ap.add_argument("--api-url", required=True)
        ap.add_argument("--profile", default=None)
        ap.add_argument("--floor", action="store_true")
        args = ap.parse_args()
        if args.floor:
            asyncio.run(serve_floor(args.api_url))
        elif args.profile:
            import cProfile

            cProfile.runctx(
                "asyncio.run(serve(args.database, args.api_url, args.profile))", globals(), locals(), f"{args.profile}/loop-{os.getpid()}.prof"
            )
        else:
            asyncio.run(serve(args.database, args.api_url))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=GOAL_RATE, help="events offered per second (open loop)")
    ap.add_argument("--users", type=int, default=200, help="distinct members writing")
    ap.add_argument("--connections", type=int, default=64, help="keep-alive connections to the bot")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--database", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--profile", default=None, metavar="DIR", help="write cProfile stats of the bot process(es) here")
    ap.add_argument(
        "--floor", action="store_true", help="also measure uvicorn + Bolt acknowledging with no bot behind them (the libraries' ceiling here)"
    )
    args = ap.parse_args()

    tmp = None
    database = args.database
    if database is None:
        tmp = tempfile.TemporaryDirectory()
        database = f"sqlite:///{tmp.name}/bench.db"
    from bot.store.db import Store

    store = Store(url=database)
    store.upgrade()
    store.dispose()

    print(
        f"inbound benchmark: {args.events} signed message.im events, {args.users} members, "
        f"offered at {args.rate:.0f}/s over {args.connections} connections, database {database.split('://')[0]}"
    )
    if args.floor:
        floor = run_once(database, 1, args.events, args.users, args.rate, args.connections, floor=True)
        print("library floor: uvicorn + Starlette + Bolt verifying and acknowledging, no bot behind them")
        report(floor)
    one = run_once(database, 1, args.events, args.users, args.rate, args.connections, args.profile)
    report(one)
    if args.processes > 1:
        many = run_once(database, args.processes, args.events, args.users, args.rate, args.connections)
        report(many)
        ratio = many["rate"] / one["rate"] if one["rate"] else float("nan")
        ok = "ok" if ratio >= GOAL_RATIO else "BELOW GOAL"
        print(f"scale-out {args.processes} vs 1 process: {ratio:.2f}x   (goal >= {GOAL_RATIO}x: {ok})")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
