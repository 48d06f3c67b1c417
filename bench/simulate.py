"""Benchmark for ``beacon simulate`` at network scale: cost grows with the work due, not members × hours.

Not a test: it prints each figure beside the goal the issue set.

Each size runs in a child process of its own (a fresh interpreter, a fresh
temporary SQLite database), so its peak memory is its own:

- 100, 1,000 and 10,000 members over 2 weeks, and 2,000 members over 8;
  ``--quick`` runs 100 and 1,000 over 2 weeks and 2,000 over 8 only;
- wall time, CPU time per member-week, peak memory (max RSS);
- SQL statements and committed transactions per member-week: they do not
  depend on the machine or its load, so they compare runs that CPU time cannot
  (creating the schema is counted too: it shows only in runs of a few members);
- CPU per member-week at 1,000 and 10,000 against that at 100
  (goal: within 1.2x, i.e. cost grows linearly);
- 2,000 members x 8 weeks under 2 minutes; 10,000 x 8 weeks under
  10 minutes with peak memory under 500 MB (the full run only).

Wall time is what the goals mean, but on a shared machine it depends on the
load, so CPU time and the load average are printed beside it.

Run: ``.venv/bin/python bench/simulate.py [--quick] [--sizes 100x2,1000x2]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATIO_GOAL = 1.2
FULL = [(100, 2), (1_000, 2), (10_000, 2), (2_000, 8), (10_000, 8)]
QUICK = [(100, 2), (1_000, 2), (2_000, 8)]
WALL_GOALS = {(2_000, 8): 120.0, (10_000, 8): 600.0}
MEMORY_GOALS = {(10_000, 8): 500.0}


def one(members: int, weeks: int) -> dict:
    """Run one simulation in this process; its figures as a dict."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bot.simulation.driver import Simulation

    logging.disable(logging.WARNING)
    counted = {"statements": 0, "transactions": 0}

    def _statement(*_) -> None:
        counted["statements"] += 1

    def _commit(*_) -> None:
        counted["transactions"] += 1

    event.listen(Engine, "before_cursor_execute", _statement)  # the simulation's own engine, made inside run()
    event.listen(Engine, "commit", _commit)
    sim = Simulation(members=members, weeks=weeks, seed=1)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        _, totals = asyncio.run(sim.run())
    finally:
        sim.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"members": members, "weeks": weeks, "wall": wall, "cpu": cpu, "peak_mb": peak_mb, "messages": totals.messages,
            "load": os.getloadavg()[0], **counted}  # fmt: skip


def _child(members: int, weeks: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", f"{members}x{weeks}"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{members} members x {weeks} weeks failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sizes(text: str) -> list[tuple[int, int]]:
    return [(int(m), int(w)) for m, w in (part.split("x") for part in text.split(","))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 members over 2 weeks, 2,000 over 8")
    parser.add_argument("--sizes", help="members x weeks, comma-separated, e.g. 100x2,1000x2")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*_sizes(args.one)[0])))
        return
    sizes = _sizes(args.sizes) if args.sizes else QUICK if args.quick else FULL
    print(f"beacon simulate at scale ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the start)")
    print(f"{'members':>8} {'weeks':>5} {'wall s':>8} {'CPU s':>8} {'ms CPU/member-week':>19} {'SQL/mw':>7} {'txn/mw':>6} "
          f"{'peak MB':>8} {'messages':>9} {'load':>5}  goal")  # fmt: skip
    per: dict[tuple[int, int], float] = {}
    for members, weeks in sizes:
        r = _child(members, weeks)
        per[members, weeks] = r["cpu"] * 1000 / (members * weeks)
        goals = []
        if (members, weeks) in WALL_GOALS:
            limit = WALL_GOALS[members, weeks]
            goals.append(f"wall < {limit:.0f} s: {'met' if r['wall'] < limit else 'NOT met'}")
        if (members, weeks) in MEMORY_GOALS:
            limit = MEMORY_GOALS[members, weeks]
            goals.append(f"peak < {limit:.0f} MB: {'met' if r['peak_mb'] < limit else 'NOT met'}")
        mw = members * weeks
        print(f"{members:>8,} {weeks:>5} {r['wall']:>8.1f} {r['cpu']:>8.1f} {per[members, weeks]:>19.2f} "
              f"{r['statements'] / mw:>7.1f} {r['transactions'] / mw:>6.1f} {r['peak_mb']:>8.0f} "
              f"{r['messages']:>9,} {r['load']:>5.1f}  {'; '.join(goals) or '-'}", flush=True)  # fmt: skip
    base = per.get((100, 2))
    if base:
        for members in (1_000, 10_000):
            if (members, 2) in per:
                ratio = per[members, 2] / base
                verdict = "met" if ratio <= RATIO_GOAL else "NOT met"
                print(f"CPU per member-week at {members:,} / at 100: {ratio:.2f}x (goal <= {RATIO_GOAL}x): {verdict}")


if __name__ == "__main__":
    main()
