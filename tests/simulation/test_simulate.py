"""``beacon simulate``: a seeded synthetic network run through every flow on the fake clock.

The outcomes are read back from the database the simulation used; the flows
were driven only through the dispatcher, so these are the real flows' rows.
"""

from __future__ import annotations

import asyncio
import os
import pty
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func
from sqlmodel import SQLModel, select

from bot.core.messages import Incoming
from bot.flows.digest.cli import run_export
from bot.simulation.driver import FAC, START, Simulation
from bot.simulation.members import FIRST_NAMES, LAST_NAMES, make_people
from bot.store.commitments import Commitment
from bot.store.models import Member, Network
from bot.store.pairing import PairingRound, PairMember
from bot.store.practices import Practice, Steal
from bot.store.reflection import Prompt, Reflection, ReflectionAnswer
from tests.support import ROOT
from tests.support.harness import Harness

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def small():
    """12 members, 3 weeks, seed 1: run once, read by several tests.

    Each distinct statement the run issued is kept on ``sim.statements``, with the
    parameters of its first run, for the test that asks SQLite how it runs them.
    """
    lines: list[str] = []
    sim = Simulation(members=12, weeks=3, seed=1, progress=lines.append)
    build, recording = sim._build, ExitStack()

    def build_then_record() -> None:  # from the schema the flows run on, not the migrations' own statements
        build()
        sim.statements = recording.enter_context(_recorded(sim.store))

    sim._build = build_then_record
    with recording:  # the tests' own reads are not the run's
        digest, totals = asyncio.run(sim.run())
    yield sim, digest, totals, lines
    sim.close()


def _all(sim, model, *where):
    with sim.store.session() as s:
        return list(s.exec(select(model).where(*where)))


def test_members_reflect_and_commit(small):
    sim, _, totals, lines = small
    done = _all(sim, Reflection, Reflection.completed_at != None)  # noqa: E711
    assert done and totals.reflections == len(done)
    answers = _all(sim, ReflectionAnswer, ReflectionAnswer.reflection_id.in_([r.id for r in done]))
    assert len(answers) >= 4 * len(done) - len(done)  # the four weekly questions, one skipped at most
    commitments = _all(sim, Commitment)
    assert commitments and any(c.confirmed for c in commitments)
    # roughly 60% of prompts answered, never all of them (three Fridays, 13 people asked)
    prompts = _all(sim, Prompt)
    assert len(prompts) == 3 * 13 and 0.3 < len(done) / len(prompts) < 0.9
    assert [ln.split(":")[0] for ln in lines[:3]] == ["week 1/3 (Mon 09 Nov)", "week 2/3 (Mon 16 Nov)", "week 3/3 (Mon 23 Nov)"]


def test_pairs_form_in_their_rounds_and_nobody_is_in_two_groups(small):
    sim, _, totals, _ = small
    rounds = sorted(_all(sim, PairingRound), key=lambda r: r.number)
    assert [r.number for r in rounds] == list(range(1, len(rounds) + 1)) and rounds
    for r in rounds:
        local = r.ran_at.astimezone(LONDON)
        assert (local.weekday(), local.hour) == (0, 10), r.ran_at
    assert all(b.ran_at - a.ran_at == timedelta(weeks=2) for a, b in zip(rounds, rounds[1:]))
    for r in rounds:
        rows = _all(sim, PairMember, PairMember.round_id == r.id, PairMember.met != "rematched")
        members = [row.member_id for row in rows]
        assert len(members) == len(set(members)), f"round {r.number} put someone in two groups"
        assert len(members) >= 10  # the 12 members, give or take an odd one out; staff opted out
    with sim.store.session() as s:
        staff = {m.id for m in s.exec(select(Member).where(Member.platform_user_id.in_(["facilitator", "coordinator"])))}
    assert not staff & {row.member_id for row in _all(sim, PairMember)}
    assert totals.rounds == len(rounds)


def test_practices_are_shared_and_stolen_with_modes(small):
    sim, _, totals, _ = small
    practices = _all(sim, Practice)
    assert len(practices) >= 2 and totals.practices == len(practices)
    steals = _all(sim, Steal)
    assert steals, "nobody stole a practice"
    assert {str(getattr(s.mode, "value", s.mode)) for s in steals} <= {"adapted", "accelerated", "closely_based"}
    authors = {p.id: p.author_id for p in practices}
    assert all(s.member_id != authors[s.practice_id] for s in steals)  # nobody steals their own
    assert sum(totals.steals.values()) == len(steals)


def test_printed_digest_counts_match_the_database(small):
    sim, digest, _, _ = small
    assert digest.startswith("# Digest: Simulated Network") and "## Participation" in digest
    end = START + timedelta(weeks=3)  # Monday 09:00: the digest covers the 7 days before that midnight
    lo, hi = end.replace(hour=0) - timedelta(days=7), end.replace(hour=0)
    with sim.store.session() as s:
        sent = s.execute(select(func.count()).select_from(Prompt).where(Prompt.sent_at >= lo, Prompt.sent_at < hi)).scalar_one()
    found = re.search(r"Prompts: (\d+) sent, (\d+) answered", digest)
    assert found and int(found.group(1)) == sent == 13
    # the coordinator received the same digest on Monday 09:00
    got = [d for d in sim.coordinator_received if d.outgoing.header == "Digest: Simulated Network"]
    assert len(got) == 3 and f"Prompts: {sent} sent, {found.group(2)} answered" in got[-1].text


SCANNED_WHOLE = {
    "flow": "the tick reads every enabled flow: the networks' configuration, a few rows each",
    "network": "housekeeping visits every network once an hour",
}


def _scans(store, statements: dict[str, tuple]) -> dict[str, list[str]]:
    """The tables SQLite would read whole (beyond :data:`SCANNED_WHOLE`) for ``statements``, each with the statements' tails."""
    tables = set(SQLModel.metadata.tables)
    scanned: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for statement, parameters in statements.items():
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")):
                continue
            for *_, detail in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall():
                words = detail.split()
                if words[0] == "SCAN" and words[1] in tables and "INDEX" not in words and words[1] not in SCANNED_WHOLE:
                    scanned.setdefault(words[1], []).append(" ".join(statement.split())[-160:])
    return scanned


@contextmanager
def _recorded(store) -> Iterator[dict[str, tuple]]:
    """Each distinct statement ``store`` runs inside the block, with the parameters of its first run."""
    statements: dict[str, tuple] = {}

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement not in statements:
            statements[statement] = parameters[0] if isinstance(parameters, list) and parameters else parameters  # executemany: a list of rows

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_what_the_run_reads_of_the_networks_history_it_reads_through_an_index(small):
    """Rows that pile up week by week (commitments, prompts, answers, messages, nudges) are
    found by an index, never by reading the whole table: a scan's cost grows with every
    week of every network's history, however little is asked for."""
    sim, *_ = small
    assert len(sim.statements) > 100  # every flow ran
    assert _scans(sim.store, sim.statements) == {}


async def test_retention_forgetting_and_exports_read_a_networks_history_through_an_index():
    """What the simulated weeks never do, on the history they leave: the nightly retention at its
    cut-off, a member forgotten, a member's data export and the coordinators' CSV. Each runs on a
    network of any size (forget-me and retention once a member or a night, the export on request),
    so each reads the rows it touches through an index, as the hourly runs do."""
    sim = Simulation(members=10, weeks=2, seed=2)
    await sim.run()
    h = Harness(store=sim.store, clock=sim.clock)
    try:
        with _recorded(sim.store) as statements:
            users = sorted(sim.people)

            async def send(user: str, **kw) -> list:
                return await h.send(Incoming(platform="console", network_key=sim.key, user_id=user, user_name=user,
                                             conversation=f"dm-{user}", event_id=f"after-{len(h.adapter.delivered)}-{kw}", **kw))  # fmt: skip

            assert "older than 1 days will be deleted" in (await send(FAC, kind="command", text="retention 1"))[-1].text
            await h.tick(timedelta(days=1), step=timedelta(hours=1))  # the nightly run, at its cut-off
            exported = await send(users[0], kind="command", text="my-data")
            assert any(d.to == users[0] and d.outgoing.attachment for d in exported)
            asked = next(d for d in await send(users[1], kind="command", text="forget-me") if d.outgoing.choices)
            choice = next(c for c in asked.outgoing.choices if c.value == "all")
            await send(users[1], kind="action", action_id=choice.action, value=choice.value, action_label=choice.label,
                       message_ref=asked.ref, message_text=asked.text)  # fmt: skip
            with sim.store.session() as s:
                network = s.exec(select(Network).where(Network.platform_key == sim.key)).one()
                assert s.exec(select(Member).where(Member.network_id == network.id, Member.platform_user_id == users[1])).first() is None
            assert run_export(sim.store, network=sim.key, fmt="csv", first=None, last=None, now=sim.clock.now()).count("\n") > 10
        assert len(statements) > 50
        scanned = _scans(sim.store, statements)
        assert scanned == {}, "\n".join(f"{t}: {q}" for t, qs in scanned.items() for q in qs)
    finally:
        await h.close()
        sim.close()


async def test_the_same_seed_gives_the_same_totals():
    async def totals(seed: int):
        sim = Simulation(members=6, weeks=2, seed=seed)
        try:
            _, t = await sim.run()
        finally:
            sim.close()
        return t

    first, again, other = await totals(5), await totals(5), await totals(6)
    assert first == again
    assert first != other


async def test_only_the_simulations_own_temporary_database_skips_the_disk(tmp_path):
    """Its own file is deleted at the end, so it need not survive a crash; a database the caller names
    keeps the bot's durable settings. Either way the run is the same."""

    async def run(database_url: str | None):
        sim = Simulation(members=6, weeks=1, seed=5, database_url=database_url)
        try:
            _, t = await sim.run()
            with sim.store.engine.connect() as conn:
                pragmas = conn.exec_driver_sql("PRAGMA journal_mode").scalar(), conn.exec_driver_sql("PRAGMA synchronous").scalar()
        finally:
            sim.close()
        return t, pragmas

    (own, own_pragmas), (named, named_pragmas) = await run(None), await run(f"sqlite:///{tmp_path}/kept.db")
    assert own_pragmas == ("memory", 0) and named_pragmas == ("wal", 1)
    assert own == named


SMALL_RUN = [sys.executable, "-m", "bot", "simulate", "--members", "8", "--weeks", "2", "--seed", "3"]


def _assert_digest_and_totals(out: str) -> None:
    assert "# Digest: Simulated Network" in out and "## Participation" in out
    assert "Members: 8 in" in out and "Reflection prompts:" in out


def test_cli_piped_prints_the_digest_and_totals_without_progress():
    done = subprocess.run(SMALL_RUN, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "week 1/2" not in done.stdout and "week " not in done.stderr
    _assert_digest_and_totals(done.stdout)


def test_cli_on_a_terminal_shows_the_weeks_go_by_then_the_digest():
    main, child = pty.openpty()
    proc = subprocess.Popen(SMALL_RUN, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=child, stderr=subprocess.PIPE)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closes when the run ends
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()[-2000:]
    out = b"".join(chunks).decode().replace("\r\n", "\n")
    assert re.search(r"^week 1/2 \(Mon 09 Nov\): .* (\d+) messages$", out, re.M), out[:500]
    assert re.search(r"^week 2/2 \(Mon 16 Nov\): .* (\d+) messages$", out, re.M)
    assert out.index("week 2/2") < out.index("# Digest: Simulated Network")
    _assert_digest_and_totals(out)


def test_cli_refuses_a_network_too_small_to_pair():
    done = subprocess.run([sys.executable, "-m", "bot", "simulate", "--members", "1", "--weeks", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode != 0 and "members" in (done.stderr + done.stdout).lower()


def test_a_network_larger_than_the_name_lists_gets_unique_names():
    """Beyond the 480 first-and-last-name pairs, the generator used to draw forever."""
    n = len(FIRST_NAMES) * len(LAST_NAMES) * 2 + 1
    people = make_people(random.Random(7), n)
    names = [p.name for p in people]
    assert len(set(names)) == n
    assert sum(1 for name in names if name.split()[-1].isdigit()) == n - len(FIRST_NAMES) * len(LAST_NAMES)


async def test_a_simulation_of_481_members_finishes():
    """One past the 480 name pairs: the run used to hang while drawing names."""
    sim = Simulation(members=481, weeks=1, seed=2)
    try:
        _, totals = await sim.run()
        with sim.store.session() as s:
            names = list(s.exec(select(Member.display_name).where(Member.platform_user_id.not_in(["facilitator", "coordinator"]))))
    finally:
        sim.close()
    assert totals.members == 481 and len(set(names)) == 481
    assert totals.prompts == 482 and totals.messages > 481  # every member and the facilitator asked on Friday


def test_a_run_lets_go_of_the_messages_its_members_have_seen(small):
    """A 10,000-member run delivers hundreds of thousands of messages; keeping each in memory
    would put it far past its 500 MB goal. Only the reactions still to come hold theirs."""
    sim, _, totals, _ = small
    assert totals.messages > 100 and sim.adapter.delivered == []
