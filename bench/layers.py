"""Where a simulation's CPU goes, by layer, from a py-spy recording: what the wall-time goals leave room for.

Not a test. The ``beacon simulate`` goals (2,000 x 8 in 2 minutes, 10,000 x 8
in 10 minutes) both need about 7.5 ms of CPU per member-week. This splits a
sampled run into SQLite's own work (the DB-API calls), SQLAlchemy and SQLModel
around them, Beacon's code, and the rest (asyncio, the standard library,
pydantic, matplotlib), and prints what each costs per member-week against
that budget: the layers other than SQLAlchemy are what would be left if it
cost nothing at all.

py-spy samples from outside the process, so the GIL does not bias it; it is
not a project dependency (``pip install py-spy`` in a venv of its own):

    py-spy record -r 50 -f raw -o run.txt -- .venv/bin/python bench/simulate.py --one 2000x8
    .venv/bin/python bench/layers.py run.txt --cpu-ms 23.1

``--cpu-ms`` is the run's CPU per member-week (``bench/simulate.py`` prints it);
without it only the shares are printed.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

BUDGET_MS = 7.5
"""CPU per member-week the wall goals allow: 120 s / (2,000 x 8), 600 s / (10,000 x 8)."""

FRAME = re.compile(r"(?P<fn>\S+) \((?P<path>[^:]*):\d+\)")
IDLE = ("EpollSelector.select", "_worker (concurrent/futures/thread.py:81)")  # the event loop or the database thread waiting
DBAPI = re.compile(
    r"^(DefaultDialect\.(do_execute|do_executemany|do_commit|do_rollback|do_execute_no_params)"
    r"|CursorFetchStrategy\.(fetchall|fetchone|fetchmany)|CursorResult\._fetchiter_impl|Connection\._exec_driver_sql) "
)  # a leaf frame here is time inside the sqlite3 module and SQLite
LAYERS = ("SQLite (the DB-API calls)", "SQLAlchemy and SQLModel around them", "Beacon's code", "the rest")


def layer(stack: list[str]) -> str:
    leaf = stack[-1]
    if DBAPI.match(leaf):
        return LAYERS[0]
    paths = [m.group("path") for f in stack if (m := FRAME.match(f))]
    if any(p.startswith(("sqlalchemy/", "sqlmodel/")) for p in paths):
        return LAYERS[1]
    if paths and paths[-1].startswith("bot/"):
        return LAYERS[2]
    return LAYERS[3]


def split(path: str) -> tuple[Counter, int, int]:
    """Busy samples by layer, and the busy and idle totals."""
    by: Counter = Counter()
    idle = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            stack_text, _, count = line.rstrip("\n").rpartition(" ")
            stack, n = stack_text.split(";"), int(count)
            if any(stack[-1].startswith(i) for i in IDLE):
                idle += n
                continue
            by[layer(stack)] += n
    return by, sum(by.values()), idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recording", help="py-spy record -f raw output")
    parser.add_argument("--cpu-ms", type=float, help="the run's CPU per member-week, in ms")
    args = parser.parse_args()
    by, busy, idle = split(args.recording)
    if not busy:
        raise SystemExit("no busy samples in that recording")
    print(f"{busy:,} busy samples ({idle:,} waiting, left out)")
    for name in LAYERS:
        share = by[name] / busy
        cost = f"  {share * args.cpu_ms:5.1f} ms per member-week" if args.cpu_ms else ""
        print(f"{name:38s} {100 * share:5.1f} %{cost}")
    if args.cpu_ms:
        floor = (1 - by[LAYERS[1]] / busy) * args.cpu_ms
        verdict = "within" if floor <= BUDGET_MS else "over"
        print(f"without any SQLAlchemy cost: {floor:.1f} ms per member-week, {verdict} the goals' {BUDGET_MS} ms")


if __name__ == "__main__":
    main()
