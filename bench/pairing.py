"""Benchmark for the pairing rules in ``bot.flows.pairing.matching``.

Not a test: it checks the goals the issue set, on a seeded synthetic network,
and prints each figure beside the goal it is judged against.

1. Speed and memory of one 10,000-member round (goals: < 5 s, < 500 MB).
2. Quality on 50-300 members against the exact optimum (networkx
   ``max_weight_matching`` on the complete graph; goal: >= 98 %), and repeats
   within the window after three earlier rounds of history (goal: none).
3. The same 10,000-member round through the pairing *flow*: members read from
   a migrated SQLite database, groups and members stored, one introduction
   per group written to the outbox, committed; then the follow-up fan-out.

Wall time is what the goal means, but on a shared machine it depends on the
load, so CPU time and the load average are printed beside it.

Run: ``.venv/bin/python bench/pairing.py`` (``--flow`` runs only part 3)
"""

from __future__ import annotations

import os
import random
import resource
import sys
import time
import tracemalloc
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.flows.pairing.matching import Candidate, form_groups, pair_score, recent_pairs

N_TAGS = 40
TIME_GOAL_S = 5.0
MEMORY_GOAL_MB = 500.0
RATIO_GOAL = 0.98
WINDOW = 3


def synthetic_network(n: int, seed: int = 0) -> list[Candidate]:
    """Members in ~n/8 organisations; 40 tags with Zipf-like popularity; 1-4 wants and offers."""
    rng = random.Random(seed)
    tags = [f"practice area {k}" for k in range(N_TAGS)]
    popularity = [1 / (k + 1) for k in range(N_TAGS)]
    organisations = [f"organisation {k}" for k in range(max(3, n // 8))]

    def pick() -> frozenset[str]:
        chosen: set[str] = set()
        want = rng.randint(1, 4)
        while len(chosen) < want:
            chosen.add(rng.choices(tags, popularity)[0])
        return frozenset(chosen)

    return [Candidate(member_id=1000 + i, organisation=rng.choice(organisations), wants=pick(), offers=pick()) for i in range(n)]


def history(members: list[Candidate], rounds: int = WINDOW) -> dict[frozenset[int], int]:
    """Recent pairs from ``rounds`` earlier rounds formed by the same rules."""
    past: list[list[tuple[int, ...]]] = []
    for r in range(rounds):
        groups = form_groups(members, recent=recent_pairs(past), repeat_window=WINDOW, seed=100 + r)
        past.append([g.members for g in groups])
    return recent_pairs(past)


def large_round(n: int = 10_000) -> None:
    members = synthetic_network(n, seed=1)
    print(f"1. One round for {n:,} members (pairs mode unless stated)")
    start, cpu = time.perf_counter(), time.process_time()
    groups = form_groups(members, seed=1)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    form_groups(members, seed=1)
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    placed = sorted(m for g in groups for m in g.members)
    print(
        f"   time                 {elapsed:6.2f} s    goal < {TIME_GOAL_S:.0f} s    {_ok(elapsed < TIME_GOAL_S)}"
        f"   (CPU {cpu:.2f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"   peak RSS (process)   {rss_mb:6.0f} MB   goal < {MEMORY_GOAL_MB:.0f} MB  {_ok(rss_mb < MEMORY_GOAL_MB)}")
    print(f"   peak traced (round)  {traced_mb:6.0f} MB   (Python allocations of the round alone)")
    print(f"   everyone placed once {placed == sorted(c.member_id for c in members)}")
    for label, kwargs in (
        ("with 3 rounds of history", {"recent": history(members)}),
        ("group_size=3", {"group_size": 3}),
        ("visit_trios", {"mode": "visit_trios"}),
    ):
        start, cpu = time.perf_counter(), time.process_time()
        form_groups(members, seed=1, repeat_window=WINDOW, **kwargs)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"   {label:<24} {elapsed:5.2f} s    goal < {TIME_GOAL_S:.0f} s    {_ok(elapsed < TIME_GOAL_S)}   (CPU {cpu:.2f} s)")


def exact_total(members: list[Candidate], recent) -> tuple[float, int, float]:
    """Exact optimum total, its repeat count and the solver's time."""
    import networkx as nx

    graph = nx.Graph()
    for a, b in combinations(members, 2):
        graph.add_edge(a.member_id, b.member_id, weight=pair_score(a, b, recent=recent, repeat_window=WINDOW)[0])
    start = time.process_time()
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    elapsed = time.process_time() - start
    total = sum(graph[a][b]["weight"] for a, b in matching)
    repeats = sum(frozenset(p) in recent for p in matching)
    return total, repeats, elapsed


def quality(sizes=(50, 100, 200, 300), seeds=(1, 2, 3)) -> bool:
    print(f"\n2. Quality vs exact optimum, after {WINDOW} rounds of history (window {WINDOW})")
    print(f"   goals: ratio >= {RATIO_GOAL:.0%}, no repeat within the window")
    print("      n  seed    ours   exact   ratio  repeats(ours/exact)   CPU ours   CPU exact")
    worst = 1.0
    any_repeat = False
    for n in sizes:
        for seed in seeds:
            members = synthetic_network(n, seed=seed)
            recent = history(members)
            start = time.process_time()
            groups = form_groups(members, recent=recent, repeat_window=WINDOW, seed=seed)
            ours_s = time.process_time() - start
            ours = sum(g.score for g in groups)
            repeats = sum(frozenset(p) in recent for g in groups for p in combinations(g.members, 2))
            exact, exact_repeats, exact_s = exact_total(members, recent)
            ratio = ours / exact
            worst = min(worst, ratio)
            any_repeat |= repeats > 0
            print(
                f"   {n:4d}  {seed:4d}  {ours:6.1f}  {exact:6.1f}  {ratio:6.1%}  {repeats:7d} / {exact_repeats:<7d}"
                f"     {ours_s:6.2f} s   {exact_s:6.2f} s"
            )
    print(
        f"   worst ratio {worst:.1%} (goal >= {RATIO_GOAL:.0%}) {_ok(worst >= RATIO_GOAL)};"
        f" repeats: {'some' if any_repeat else 'none'} (goal none) {_ok(not any_repeat)}"
    )
    return worst >= RATIO_GOAL and not any_repeat


def _ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def flow_round(n: int = 10_000) -> None:
    """Part 3: ``run_round`` with its database work, timed end to end (commit included)."""
    import tempfile
    from datetime import timedelta

    from sqlmodel import func, select

    from bot.core.clock import FakeClock
    from bot.core.context import Context
    from bot.core.router import Router
    from bot.flows import register_all
    from bot.flows.pairing.met import run_followups
    from bot.flows.pairing.rounds import run_round
    from bot.store.db import Store
    from bot.store.models import Flow, Member, Network, OutboxMessage
    from bot.store.pairing import PairMember

    print(f"\n3. One round for {n:,} members through the flow (SQLite, incl. reads, writes, outbox, commit)")
    router = register_all(Router())
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(url=f"sqlite:///{tmp}/bench.db")
        store.upgrade()
        now = clock.now()
        with store.session() as session:
            network = Network(platform="slack", platform_key="T1", name="Bench", created_at=now)
            session.add(network)
            session.flush()
            session.add_all(
                Member(network_id=network.id, platform_user_id=f"U{c.member_id}", display_name=f"Member {c.member_id}",
                       organisation=c.organisation, wants_tags=sorted(c.wants), offers_tags=sorted(c.offers), created_at=now)
                for c in synthetic_network(n, seed=1)
            )  # fmt: skip
            session.add(Flow(network_id=network.id, kind="pairing", name="pairs", schedule="every 2 weeks on monday 09:00",
                             settings={}, created_at=now, updated_at=now))  # fmt: skip
            network_id = network.id

        from bot.cli import settle_heap

        settle_heap()  # as `beacon run` does once it has started

        def timed(label: str, fn) -> None:
            start, cpu = time.perf_counter(), time.process_time()
            with store.session() as session:
                network = session.get(Network, network_id)
                flow = session.exec(select(Flow).where(Flow.kind == "pairing")).one()
                ctx = Context(session=session, clock=clock, router=router, network=network, key_prefix="bench", flow=flow)
                fn(ctx, flow)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(
                f"   {label:<26} {elapsed:5.2f} s    goal < {TIME_GOAL_S:.0f} s    {_ok(elapsed < TIME_GOAL_S)}"
                f"   (CPU {cpu:.2f} s; {ctx.enqueued:,} messages queued; load {os.getloadavg()[0]:.1f})"
            )

        timed("round 1 (no history)", lambda ctx, flow: run_round(ctx, flow))
        clock.advance(timedelta(weeks=2))
        timed("round 2 (1 round history)", lambda ctx, flow: run_round(ctx, flow))
        clock.advance(timedelta(days=12))
        timed("follow-up fan-out", lambda ctx, flow: run_followups(ctx))
        with store.session() as session:
            placed = session.exec(select(func.count()).select_from(PairMember)).one()
            queued = session.exec(select(func.count()).select_from(OutboxMessage)).one()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"   rows: {placed:,} group places, {queued:,} outbox messages; peak RSS {rss_mb:.0f} MB"
            f" (goal < {MEMORY_GOAL_MB:.0f} MB) {_ok(rss_mb < MEMORY_GOAL_MB)}"
        )
        store.dispose()


if __name__ == "__main__":
    if "--flow" not in sys.argv[1:]:
        large_round()
        quality()
    flow_round()
