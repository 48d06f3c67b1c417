"""A facilitator cannot schedule a broadcast more often than once a day, wherever a schedule is typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.store.models import Flow, Role
from tests.support.harness import Harness

TOO_OFTEN = "a schedule may run at most once a day"


def _schedules(h: Harness) -> dict[str, str | None]:
    with h.store.session() as s:
        return {f"{f.kind}/{f.name}": f.schedule for f in s.exec(select(Flow).where(Flow.network_id == h.network_id))}


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ('reflection schedule weekly "*/5 * * * *"', "That runs every 5 minutes"),
        ("reflection schedule weekly 0 * * * *", "That runs every hour"),
        ("reflection schedule weekly 0 9,17 * * MON", "That runs twice a day, at 09:00 and 17:00"),
        ("reflection add monthly weekly */5 * * * *", "That runs every 5 minutes"),
        ("pairing schedule */5 * * * *", "That runs every 5 minutes"),
        ("digest schedule 0 9-17 * * *", "That runs 9 times a day, every hour from 09:00 to 17:00"),
        ('meeting every "*/30 * * * *"', "That runs every 30 minutes"),
    ],
)
async def test_a_schedule_more_often_than_daily_is_refused_with_the_reason(harness, command, reason):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana")
    await h.command("fac", "reflection add weekly")
    before = _schedules(h)
    out = await h.command("fac", command)
    text = out[-1].text
    assert reason in text and TOO_OFTEN in text and "every friday 16:00" in text, text
    assert _schedules(h) == before
    await h.tick(timedelta(hours=1), step=timedelta(minutes=5))
    assert h.inbox("ana") == []


async def test_once_a_day_is_still_accepted(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    out = await h.command("fac", "reflection add daily weekly 0 9 * * *")
    assert "Added the reflection `daily`" in out[-1].text
    out = await h.command("fac", "pairing schedule every day 10:00")
    assert "Pairing rounds run every day at 10:00" in out[-1].text


async def test_the_setup_form_refuses_a_schedule_more_often_than_daily(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    values = {"name": "X", "timezone": "Europe/London", "practice_channel": "", "reflection": "*/5 * * * *", "pairing": "off", "digest": "off"}
    await h.submit("fac", "admin.setup", values)
    text = h.last("fac").text
    assert "That runs every 5 minutes" in text and TOO_OFTEN in text, text
    assert _schedules(h) == {}
