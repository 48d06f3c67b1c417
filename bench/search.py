"""Benchmark: practice search over 100,000 practices on SQLite (not a test).

Builds the practices in a temporary SQLite file through the real migration
(so the FTS5 triggers index them), then times 200 varied queries through
:func:`bot.store.search.search_practices` and the same queries as a naive
``LIKE`` scan over every text column.

    .venv/bin/python bench/search.py [--practices 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bot.store.db import Store
from bot.store.models import Network
from bot.store.search import FTS_COLUMNS, search_practices, terms

WORDS = (
    "mentoring induction parents budget wellbeing attendance reading coaching peer visit feedback "
    "volunteers library housing council tenants waste recycling flooding river catchment school "
    "teachers pupils nurses ward discharge community outreach youth elders carers transport rota "
    "meeting agenda survey data dashboard referral triage kitchen garden allotment café schüler "
    "обмен опытом training apprentice onboarding buddy walk lunch learn story circle reflective"
).split()
FILLER = "the a we our to and of for with in on at by it was is were that this".split()
TAGS = ["induction", "peer-support", "finance", "wellbeing", "data", "outreach", "youth", "housing", "café"]
QUERY_SHAPES = [
    lambda r: r.choice(WORDS),
    lambda r: f"{r.choice(WORDS)} {r.choice(WORDS)}",
    lambda r: f'"{r.choice(WORDS)} {r.choice(WORDS)}"',
    lambda r: f"{r.choice(WORDS)} AND {r.choice(WORDS)} NEAR *",
    lambda r: f"how do we run {r.choice(WORDS)}?",
    lambda r: f"#{r.choice(TAGS)}",
    lambda r: f"{r.choice(WORDS)} #{r.choice(TAGS)}",
    lambda r: "zzzz nothing matches",
]


SYLLABLES = "ka lo mi ren tu sa vel dor pin ash qu ebb ost lin mar fe gro hal".split()


def vocabulary(r: random.Random, size: int = 8000) -> list[str]:
    """Pseudo-words for a realistic, long-tailed vocabulary (real posts are not 70 words)."""
    return ["".join(r.choice(SYLLABLES) for _ in range(r.randint(2, 4))) for _ in range(size)]


def mixture(vocab: list[str]) -> tuple[list[str], list[float]]:
    """Half filler, a sprinkle (3%) of the domain words queried below, the rest Zipf-distributed.

    One cumulative distribution over all three, so a sentence is one ``choices`` call.
    """
    zipf = [1 / (rank + 1) ** 1.05 for rank in range(len(vocab))]
    weights = [0.5 / len(FILLER)] * len(FILLER) + [0.03 / len(WORDS)] * len(WORDS) + [0.47 * z / sum(zipf) for z in zipf]
    return FILLER + WORDS + vocab, list(itertools.accumulate(weights))


def sentence(r: random.Random, n: int, words: list[str], cum_weights: list[float]) -> str:
    return " ".join(r.choices(words, cum_weights=cum_weights, k=n))


def build(store: Store, count: int, seed: int) -> int:
    started = time.perf_counter()
    r = random.Random(seed)
    vocab, weights = mixture(vocabulary(r))
    now = datetime(2026, 11, 2, tzinfo=UTC).replace(tzinfo=None)
    with store.session() as s:
        n = Network(platform="console", platform_key="bench", name="Bench", created_at=datetime.now(UTC))
        s.add(n)
        s.flush()
        network_id = n.id
    rows = [
        {
            "network_id": network_id,
            "title": sentence(r, 6, vocab, weights).capitalize(),
            "problem": sentence(r, 25, vocab, weights),
            "what_we_did": sentence(r, 60, vocab, weights),
            "what_made_it_work": sentence(r, 25, vocab, weights),
            "watch_out_for": sentence(r, 15, vocab, weights),
            "evidence": sentence(r, 15, vocab, weights),
            "tags": json.dumps(r.sample(TAGS, r.randint(0, 3))),
            "contact": "someone@example.org",
            "status": "active" if r.random() > 0.05 else "hidden",
            "featured": r.random() < 0.02,
            "created_at": now,
            "updated_at": now,
        }
        for _ in range(count)
    ]
    cols = list(rows[0])
    generated = time.perf_counter()
    print(f"generated {count:,} practices in {generated - started:.1f} s")
    sql = f"INSERT INTO practice ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        cur.executemany(sql, [tuple(row[c] for c in cols) for row in rows])
        cur.execute("COMMIT")
        cur.execute("PRAGMA optimize")
    finally:
        raw.close()
    print(f"inserted them (triggers filling the FTS5 index) in {time.perf_counter() - generated:.1f} s")
    return network_id


def like_scan(session, network_id: int, query: str, limit: int = 20) -> list[int]:
    """The naive way: every word must appear in some column, no index, no ranking."""
    words = terms(query.replace("#", " "))
    if not words:
        return []
    clauses, params = [], {"n": network_id, "limit": limit}
    for i, w in enumerate(words):
        params[f"w{i}"] = f"%{w}%"
        clauses.append("(" + " OR ".join(f"{c} LIKE :w{i}" for c in FTS_COLUMNS) + ")")
    sql = f"SELECT id FROM practice WHERE network_id = :n AND status = 'active' AND {' AND '.join(clauses)} LIMIT :limit"
    return [row[0] for row in session.execute(text(sql), params)]


def timed(fn, queries) -> tuple[list[float], int]:
    times, found = [], 0
    for q in queries:
        start = time.perf_counter()
        found += len(fn(q))
        times.append((time.perf_counter() - start) * 1000)
    return times, found


def report(name: str, times: list[float], found: int) -> None:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{name:<24} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms   max {times[-1]:7.2f} ms   hits {found}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(url=f"sqlite:///{tmp}/bench.db")
        store.upgrade()
        start = time.perf_counter()
        network_id = build(store, args.practices, args.seed)
        print(f"built {args.practices:,} practices (with FTS5 index) in {time.perf_counter() - start:.1f} s")
        r = random.Random(args.seed + 1)
        queries = [QUERY_SHAPES[i % len(QUERY_SHAPES)](r) for i in range(args.queries)]

        def search(q: str):
            words = [w for w in q.split() if not w.startswith("#")]
            tag = next((w for w in q.split() if w.startswith("#")), None)
            with store.session() as s:
                return search_practices(s, network_id=network_id, query=" ".join(words), tag=tag)

        def naive(q: str):
            with store.session() as s:
                return like_scan(s, network_id, q)

        search(queries[0])  # warm the page cache for both
        report("search_practices (FTS5)", *timed(search, queries))
        report("naive LIKE scan", *timed(naive, queries))
        store.dispose()


if __name__ == "__main__":
    main()
