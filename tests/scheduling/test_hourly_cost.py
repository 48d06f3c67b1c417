"""The hourly runs cost what is due, not what exists.

A network where nothing is due this hour (a pairing round just ran, prompts
went out two hours ago, nudges are on) is ticked once, and the SQL
statements that tick issues, and the rows it loads as objects, are counted:
the same for 10 members as for 200. Statements and objects, not seconds, so
the test is exact on a busy machine.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import event, func
from sqlalchemy.orm import Mapper
from sqlmodel import select

from bot.core.clock import FakeClock
from bot.store.db import Store
from bot.store.models import Role
from bot.store.pairing import PairGroup
from bot.store.reflection import Prompt, PromptStatus
from tests.conftest import START
from tests.support.harness import Harness

HOUR = timedelta(hours=1)


async def _cost_of_a_quiet_hour(store, members: int) -> tuple[int, dict[str, int]]:
    h = Harness(store=store, clock=FakeClock(START))  # Monday 09:00
    try:
        h.add_member("fac", role=Role.FACILITATOR)
        for i in range(members):
            h.add_member(f"m{i}", display_name=f"Member {i}")
        for command in ("reflection add weekly weekly every tuesday 10:00", 'pairing schedule "every monday 10:00"', "nudges rules"):
            out = await h.command("fac", command)
            assert not any("Usage" in d.text for d in out), [d.text for d in out]
        await h.tick(timedelta(hours=27), step=HOUR)  # Monday's round, Tuesday 10:00's prompts: Tuesday 12:00 now
        with store.session() as s:  # the network is busy, but nothing more is due this hour
            assert s.execute(select(func.count()).select_from(PairGroup)).scalar_one() >= members // 2
            assert s.execute(select(func.count()).select_from(Prompt).where(Prompt.status == PromptStatus.SENT)).scalar_one() == members + 1

        statements: list[str] = []
        loaded: Counter[str] = Counter()

        def count(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        def load(target, context) -> None:
            loaded[type(target).__name__] += 1

        event.listen(store.engine, "before_cursor_execute", count)
        event.listen(Mapper, "load", load)
        try:
            delivered = await h.tick(HOUR, step=HOUR)
        finally:
            event.remove(store.engine, "before_cursor_execute", count)
            event.remove(Mapper, "load", load)
        assert delivered == []
        return len(statements), dict(loaded)
    finally:
        await h.close()


async def test_an_hour_with_nothing_due_costs_as_much_for_200_members_as_for_10(tmp_path):
    """As many statements, and as many rows loaded as objects: the open prompts waiting for their
    reminder were each loaded every hour, with their members, to find none due."""
    counts = {}
    for members in (10, 200):
        store = Store(url=f"sqlite:///{tmp_path}/beacon-{members}.db")
        store.upgrade()
        try:
            counts[members] = await _cost_of_a_quiet_hour(store, members)
        finally:
            store.dispose()
    assert counts[200] == counts[10], f"(statements, objects loaded): {counts[10]} for 10 members, {counts[200]} for 200"
