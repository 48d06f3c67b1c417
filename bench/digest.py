"""Benchmark for the weekly digest (``bot.flows.digest.weekly``).

Not a test. A network of 5,000 members and about 1,000,000 stored events over
a year (prompts, reflections and their answers, commitments, practices,
steals, pairing rounds, groups and their members) is bulk-inserted into a
temporary SQLite file (executemany in big transactions; generation is not
timed). Then the digest is computed in SQL and rendered with its chart
(goal: < 1 s, < 300 MB), and the same core figures are computed by loading
the rows into Python, for comparison (and checked to agree).

Run: ``.venv/bin/python bench/digest.py`` (``--keep FILE`` generates the history
into FILE once and reuses it on later runs)
"""

from __future__ import annotations

import importlib
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.flows.digest.chart import render_chart, warm_up
from bot.flows.digest.period import period_ending
from bot.flows.digest.render import build_doc, to_text
from bot.flows.digest.weekly import compose
from bot.store.db import Store
from bot.store.models import Network

MEMBERS = 5_000
WEEKS = 52
ZONE = "Europe/London"
END_DAY = date(2026, 11, 2)  # a Monday
TIME_GOAL_S, MEMORY_GOAL_MB = 1.0, 300.0
START = datetime(2025, 11, 3, tzinfo=UTC)
WORDS = "peer review case notes supervision huddle board retro coaching budget team family visit referral".split()


def ts(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(path: str, seed: int = 7) -> dict[str, int]:
    """Fill the database; returns how many rows of each kind."""
    rnd = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    cur = db.cursor()
    cur.execute("INSERT INTO network (platform, platform_key, name, timezone, settings, created_at) VALUES "
                "('slack','T1','Bench Net',?, '{}', ?)", (ZONE, ts(START)))  # fmt: skip
    nid = cur.lastrowid
    members = []
    for i in range(MEMBERS):
        weeks_in = WEEKS if i % 10 == 0 else 6  # most joined at the start; a few all year
        created = START + timedelta(minutes=rnd.randrange(0, 60 * 24 * 7 * weeks_in))
        engaged = rnd.random()  # how likely this member is to answer
        members.append((i + 1, created, engaged))
    last_seen = {mid: c + timedelta(days=rnd.randrange(0, 400)) if e > 0.2 else None for mid, c, e in members}
    cur.executemany(
        "INSERT INTO member (id, network_id, platform_user_id, display_name, is_coordinator, wants, offers, wants_tags, offers_tags, "
        "availability, opted_out, quiet_hours, quiet_weekends, unreachable, has_private_chat, created_at, last_active_at) "
        "VALUES (?, ?, ?, ?, ?, '', '', '[]', '[]', 'every', '[]', '20:00-08:00', 1, 0, 1, ?, ?)",
        [(mid, nid, f"U{mid}", f"Member {mid}", mid <= 3, ts(c), ts(last_seen[mid]) if last_seen[mid] else None) for mid, c, e in members],
    )  # fmt: skip
    zone = ZoneInfo(ZONE)
    cur.executemany("INSERT INTO member_activity (network_id, member_id, day, at) VALUES (?, ?, ?, ?)",
                    [(nid, mid, at.astimezone(zone).date().isoformat(), ts(at)) for mid, at in last_seen.items() if at])  # fmt: skip
    cur.execute("INSERT INTO flow (network_id, kind, name, settings, enabled, created_at, updated_at) "
                "VALUES (?, 'reflection', 'weekly', '{}', 1, ?, ?)", (nid, ts(START), ts(START)))  # fmt: skip
    flow = cur.lastrowid
    cur.execute("INSERT INTO flow (network_id, kind, name, settings, enabled, created_at, updated_at) "
                "VALUES (?, 'pairing', 'fortnightly', '{}', 1, ?, ?)", (nid, ts(START), ts(START)))  # fmt: skip
    pflow = cur.lastrowid
    prompts, reflections, answers, commitments = [], [], [], []
    pid = rid = 0
    for week in range(WEEKS):
        sent = START + timedelta(weeks=week, days=4, hours=16)
        for mid, created, engaged in members:
            if created > sent:
                continue
            pid += 1
            answered = rnd.random() < engaged * 0.9
            prompts.append((pid, nid, flow, mid, f"w{week}", "[]", ts(sent), ts(sent + timedelta(days=3)),
                            "ANSWERED" if answered else "EXPIRED"))  # fmt: skip
            if answered:
                rid += 1
                done = sent + timedelta(hours=rnd.randrange(1, 60))
                shared = rnd.choice(("named", "anonymous")) if rnd.random() < 0.05 else None
                reflections.append((rid, nid, mid, pid, flow, ts(done), ts(done), 0, shared, ts(done) if shared else None))
                text = " ".join(rnd.choices(WORDS, k=8))
                answers.append((rid, 0, "What did you try?", text, 0, 0, ts(done)))
                answers.append((rid, 1, "What did you learn?", text, 0, shared is not None, ts(done)))
                answers.append((rid, 2, "What will you do next?", text, 0, 0, ts(done)))
                if rnd.random() < 0.4:
                    status = rnd.choice(("OPEN", "DONE", "DONE", "DROPPED"))
                    commitments.append((nid, mid, "do the thing", (done + timedelta(days=14)).date().isoformat(), status, 0,
                                        rid, ts(done), ts(done + timedelta(days=rnd.randrange(0, 20)))))  # fmt: skip
    cur.executemany("INSERT INTO reflection_prompt (id, network_id, flow_id, member_id, occurrence, questions, sent_at, "
                    "window_closes_at, status) VALUES (?,?,?,?,?,?,?,?,?)", prompts)  # fmt: skip
    cur.executemany("INSERT INTO reflection (id, network_id, member_id, prompt_id, flow_id, started_at, completed_at, late, "
                    "shared, shared_at) VALUES (?,?,?,?,?,?,?,?,?,?)", reflections)  # fmt: skip
    cur.executemany("INSERT INTO reflection_answer (reflection_id, position, question, answer, late, shared, answered_at) "
                    "VALUES (?,?,?,?,?,?,?)", answers)  # fmt: skip
    cur.executemany("INSERT INTO commitment (network_id, member_id, text, due_date, status, confirmed, reflection_id, "
                    "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", commitments)  # fmt: skip
    db.commit()
    practices = []
    for p in range(1, 3001):
        at = START + timedelta(minutes=rnd.randrange(0, 60 * 24 * 7 * WEEKS))
        practices.append((p, nid, rnd.randrange(1, MEMBERS + 1), f"Practice {p}", "", "", "", "", "", "[]", "", "active", 0, ts(at), ts(at)))
    cur.executemany("INSERT INTO practice (id, network_id, author_id, title, problem, what_we_did, what_made_it_work, "
                    "watch_out_for, evidence, tags, contact, status, featured, created_at, updated_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", practices)  # fmt: skip
    steals, seen = [], set()
    while len(steals) < 60_000:
        p, m = min(int(rnd.paretovariate(1.2)), 3000), rnd.randrange(1, MEMBERS + 1)
        if (p, m) in seen:
            continue
        seen.add((p, m))
        at = START + timedelta(minutes=rnd.randrange(0, 60 * 24 * 7 * WEEKS))
        mode = rnd.choices(("adapted", "accelerated", "closely_based"), (60, 30, 10))[0]
        outcome = rnd.choice(("worked", "partly", "didnt", None, None))
        steals.append((p, m, mode, "", ts(at), ts(at), outcome, "", ts(at + timedelta(days=42)) if outcome else None))
    cur.executemany("INSERT INTO steal (practice_id, member_id, mode, adaptation_note, created_at, updated_at, outcome, "
                    "outcome_note, outcome_at) VALUES (?,?,?,?,?,?,?,?,?)", steals)  # fmt: skip
    groups, pair_members, gid = [], [], 0
    for r in range(WEEKS // 2):
        ran = START + timedelta(weeks=2 * r, hours=10)
        cur.execute("INSERT INTO pairing_round (network_id, flow_id, number, seed, mode, ran_at, followup_sent, candidates) "
                    "VALUES (?,?,?,?,?,?,1,?)", (nid, pflow, r + 1, "s", "pairs", ts(ran), MEMBERS))  # fmt: skip
        round_id = cur.lastrowid
        ids = [m for m, c, _ in members if c <= ran]
        rnd.shuffle(ids)
        for a, b in zip(ids[::2], ids[1::2]):
            gid += 1
            met = rnd.choice(("met", "met", "not_yet", "wont", "pending"))
            groups.append((gid, round_id, 0.5, "[]", met, ts(ran)))
            answered = ts(ran + timedelta(days=10)) if met != "pending" else None
            learned = " ".join(rnd.choices(WORDS, k=6)) if met == "met" and rnd.random() < 0.3 else ""
            pair_members.append((gid, round_id, a, met, learned, answered))
            pair_members.append((gid, round_id, b, "pending", "", None))
    cur.executemany("INSERT INTO pair_group (id, round_id, score, reasons, status, created_at) VALUES (?,?,?,?,?,?)", groups)
    cur.executemany("INSERT INTO pair_member (group_id, round_id, member_id, met, learned, answered_at) VALUES (?,?,?,?,?,?)", pair_members)
    # every answer kept for the digest, as the flows keep it (here: each row's one answer)
    cur.execute("INSERT INTO follow_up_answer (network_id, member_id, kind, subject_id, value, at) "
                "SELECT network_id, member_id, 'commitment', id, lower(status), updated_at FROM commitment WHERE status != 'OPEN'")  # fmt: skip
    cur.execute("INSERT INTO follow_up_answer (network_id, member_id, kind, subject_id, value, at) "
                "SELECT r.network_id, pm.member_id, 'pair', pm.group_id, pm.met, pm.answered_at FROM pair_member pm "
                "JOIN pairing_round r ON r.id = pm.round_id WHERE pm.answered_at IS NOT NULL")  # fmt: skip
    cur.execute("INSERT INTO follow_up_answer (network_id, member_id, kind, subject_id, value, at) "
                "SELECT p.network_id, s.member_id, 'steal', s.id, s.outcome, s.outcome_at FROM steal s "
                "JOIN practice p ON p.id = s.practice_id WHERE s.outcome IS NOT NULL")  # fmt: skip
    kept = cur.execute("SELECT count(*) FROM follow_up_answer").fetchone()[0]
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return {"members": MEMBERS, "prompts": len(prompts), "reflections": len(reflections), "answers": len(answers),
            "commitments": len(commitments), "practices": len(practices), "steals": len(steals),
            "pair groups": len(groups), "pair members": len(pair_members), "follow-up answers": kept}  # fmt: skip


def in_python(store: Store, network_id: int, period) -> dict:
    """The same core figures by loading every row into Python (the slow way)."""
    s, e, q = ts(period.start), ts(period.end), ts(period.end - timedelta(weeks=3))
    b0, bs = ts(period.baseline_start), ts(period.start)
    with store.engine.connect() as conn:
        db = conn.connection.dbapi_connection
        prompts = db.execute("SELECT p.sent_at, p.status, (SELECT MIN(r.completed_at) FROM reflection r WHERE r.prompt_id = p.id) "
                             "FROM reflection_prompt p WHERE p.network_id=?", (network_id,)).fetchall()  # fmt: skip
        refl = db.execute("SELECT member_id, started_at FROM reflection WHERE network_id=?", (network_id,)).fetchall()
        steals = db.execute("SELECT s.member_id, s.created_at, s.mode FROM steal s JOIN practice p ON p.id=s.practice_id "
                            "WHERE p.network_id=?", (network_id,)).fetchall()  # fmt: skip
        practices = db.execute("SELECT author_id, created_at FROM practice WHERE network_id=?", (network_id,)).fetchall()
        pairs = db.execute("SELECT pm.member_id, pm.answered_at FROM pair_member pm JOIN pairing_round r ON r.id=pm.round_id "
                           "WHERE r.network_id=?", (network_id,)).fetchall()  # fmt: skip
        members = db.execute("SELECT id, created_at, is_facilitator OR is_coordinator, unreachable FROM member WHERE network_id=?",
                             (network_id,)).fetchall()  # fmt: skip
        days = db.execute("SELECT member_id, at FROM member_activity WHERE network_id=?", (network_id,)).fetchall()
    sent = sum(1 for t, _, _ in prompts if s <= t < e)
    # answered only before the period ended (a Sunday-night prompt answered on Monday is not)
    answered = sum(1 for t, st, done in prompts if s <= t < e and st == "ANSWERED" and (done or t) < e)
    base_sent = sum(1 for t, _, _ in prompts if b0 <= t < bs)
    events = [(m, t) for m, t in refl] + [(m, t) for m, t, _ in steals] + practices + pairs + days
    active = len({m for m, t in events if t and s <= t < e and m})
    recent = {m for m, t in events if t and q <= t < e and m}
    quiet = sum(1 for m, c, staff, u in members if c < q and not u and not staff and m not in recent)
    mix_all = Counter(mode for _, t, mode in steals if t < e)
    return {"sent": sent, "answered": answered, "baseline_sent": base_sent, "active": active, "quiet": quiet,
            "mix_all": {k: mix_all.get(k, 0) for k in ("adapted", "accelerated", "closely_based")}}  # fmt: skip


def digest_once(store: Store, period, *, report: bool = False) -> tuple[float, object, bytes, str]:
    t0 = time.perf_counter()
    with store.session() as session:
        network = session.get(Network, 1)
        digest, _ = compose(session, network, period, quiet_weeks=3, chart=False)
    t1 = time.perf_counter()
    png = render_chart(digest)
    t2 = time.perf_counter()
    text = to_text(build_doc(digest, names=True))
    if report:
        print(f"  (SQL {1000 * (t1 - t0):.0f} ms, chart {1000 * (t2 - t1):.0f} ms, text {1000 * (time.perf_counter() - t2):.1f} ms)")
    return time.perf_counter() - t0, digest, png, text


def main(keep: str | None = None) -> None:
    path = keep or os.path.join(tempfile.mkdtemp(prefix="beacon-digest-bench-"), "bench.db")
    if not os.path.exists(path):
        store = Store(url=f"sqlite:///{path}")
        store.upgrade()
        store.dispose()
        t0 = time.perf_counter()
        # generated in a child process, so its big lists do not count in this one's peak RSS
        out = subprocess.run([sys.executable, __file__, "--generate", path], check=True, capture_output=True, text=True)
        counts = json.loads(out.stdout)
        total = sum(v for k, v in counts.items() if k != "members")
        os.sync()  # the kernel writing 160 MB back would otherwise slow the first digest's reads
        print(f"generated {total:,} events in {time.perf_counter() - t0:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    else:
        print(f"reusing {path} (delete it to generate a fresh history)")
    store = Store(url=f"sqlite:///{path}")
    period = period_ending(END_DAY, ZONE)
    # The first digest of a process, each in a fresh process: without the warm-up it
    # imports matplotlib and loads its fonts; `beacon run` does that in the background at start.
    firsts = {how: json.loads(subprocess.run([sys.executable, __file__, "--first", path, how], check=True, capture_output=True,
                                             text=True).stdout) for how in ("cold", "warm")}  # fmt: skip
    print(f"first digest of a fresh process: {firsts['cold']['first'] * 1000:.0f} ms without the warm-up, "
          f"{firsts['warm']['first'] * 1000:.0f} ms after `beacon run`'s start-up warm-up (which took {firsts['warm']['warm_up'] * 1000:.0f} ms "
          f"in the background); the second in that process {firsts['warm']['second'] * 1000:.0f} ms")  # fmt: skip
    # The chart imports matplotlib on first use (so `beacon run` starts without it); that
    # one-time import is timed here on its own and kept out of the digest's figures.
    t0 = time.perf_counter()
    for name in ("matplotlib.figure", "matplotlib.backends.backend_agg"):
        importlib.import_module(name)
    print(f"matplotlib's one-time import (the first chart of a process pays it): {(time.perf_counter() - t0) * 1000:.0f} ms")

    first, digest, png, text = digest_once(store, period, report=True)  # cold: SQLite page cache empty
    times = [digest_once(store, period, report=True)[0] for _ in range(3)]
    tracemalloc.start()  # a separate run: tracing slows Python several times over
    digest_once(store, period)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    warm = statistics.median(times)
    print(f"digest in SQL + chart: first {first * 1000:.0f} ms, then median {warm * 1000:.0f} ms of 3 "
          f"(goal < {TIME_GOAL_S * 1000:.0f} ms: {'OK' if max(first, warm) < TIME_GOAL_S else 'MISSED'})")  # fmt: skip
    print(f"memory: peak RSS {rss_mb:.0f} MB, tracemalloc peak {peak / 2**20:.1f} MB "
          f"(goal < {MEMORY_GOAL_MB:.0f} MB: {'OK' if rss_mb < MEMORY_GOAL_MB else 'MISSED'})")  # fmt: skip
    print(f"chart {len(png):,} bytes; text {len(text):,} characters")

    t0 = time.perf_counter()
    naive = in_python(store, 1, period)
    slow = time.perf_counter() - t0
    p = digest.participation
    sql = {"sent": p.sent, "answered": p.answered, "baseline_sent": p.baseline_sent, "active": p.active,
           "quiet": p.quiet.count, "mix_all": digest.practices.mix_all}  # fmt: skip
    print(f"the same figures by loading rows into Python: {slow * 1000:.0f} ms (no chart, no text); "
          f"agree with SQL: {'yes' if naive == sql else 'NO'}")  # fmt: skip
    if naive != sql:
        print("  SQL:   ", sql, "\n  Python:", naive)
    print(f"peak RSS after the Python comparison: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("\n" + text[:1500])
    store.dispose()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        print(json.dumps(generate(sys.argv[2])))
    elif len(sys.argv) == 4 and sys.argv[1] == "--first":
        bench_store = Store(url=f"sqlite:///{sys.argv[2]}")
        t = time.perf_counter()
        if sys.argv[3] == "warm":
            warm_up()
        w = time.perf_counter() - t
        p = period_ending(END_DAY, ZONE)
        print(json.dumps({"warm_up": w, "first": digest_once(bench_store, p)[0], "second": digest_once(bench_store, p)[0]}))
    elif len(sys.argv) == 3 and sys.argv[1] == "--keep":
        main(sys.argv[2])  # reuse (or create) a generated database between runs
    else:
        main()
