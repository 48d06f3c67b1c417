"""Requests that wait for the database together go in one call, and only those."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.core.together import Together


class Thread:
    """A database thread of one: each call runs in a worker thread, one at a time, and is recorded."""

    def __init__(self) -> None:
        self.calls: list[list] = []
        self.gate = threading.Event()
        self.gate.set()

    async def run(self, fn, *args):
        return await asyncio.to_thread(fn, *args)

    def double(self, items: list[int]) -> list[int]:
        self.calls.append(list(items))
        self.gate.wait(5)
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return [i * 2 for i in items]


async def test_a_lone_request_goes_alone_and_those_arriving_meanwhile_go_together():
    db = Thread()
    together = Together(db.run, db.double)
    db.gate.clear()  # the first call holds the thread while more arrive
    first = asyncio.create_task(together(1))
    while not db.calls:
        await asyncio.sleep(0)
    rest = [asyncio.create_task(together(i)) for i in (2, 3, 4)]
    await asyncio.sleep(0)
    db.gate.set()
    assert [await first, *[await t for t in rest]] == [2, 4, 6, 8]
    assert db.calls == [[1], [2, 3, 4]]


async def test_no_call_takes_more_than_most():
    db = Thread()
    together = Together(db.run, db.double, most=2)
    assert await asyncio.gather(*(together(i) for i in range(5))) == [0, 2, 4, 6, 8]
    assert [len(c) for c in db.calls] == [2, 2, 1]


async def test_a_failing_call_fails_its_own_waiters_and_the_next_call_goes_on():
    db = Thread()
    together = Together(db.run, db.double, most=2)
    results = await asyncio.gather(*(together(i) for i in (1, -1, 3)), return_exceptions=True)
    assert isinstance(results[0], ValueError) and isinstance(results[1], ValueError)
    assert results[2] == 6
    assert db.calls == [[1, -1], [3]]


async def test_a_result_missing_for_an_item_is_an_error_not_a_silent_mix_up():
    async def run(fn, *args):
        return fn(*args)

    together = Together(run, lambda items: items[:-1])
    with pytest.raises(ValueError):
        await asyncio.gather(together(1), together(2))
