"""The meeting calendar: add, list, move, cancel, a rhythm, and /beacon next on each member's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.store.commitments import Commitment
from bot.store.meetings import Meeting
from bot.store.models import Role

UTC = UTC


def meetings(h) -> list[Meeting]:
    with h.store.session() as s:
        return list(s.exec(select(Meeting).order_by(Meeting.starts_at)))


async def test_add_list_move_cancel_and_undo(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana")
    out = await h.command("fac", 'meeting add 2026-12-03 14:00 "Winter session" https://meet.example/w')
    assert "Added meeting #1 *Winter session*: Thu 3 Dec 2026 at 14:00" in out[-1].text
    assert meetings(h)[0].starts_at == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    out = await h.command("fac", 'meeting add 2026-07-03 14:00 "Summer"')
    assert "has already passed" in out[-1].text
    out = await h.command("fac", "meeting move 1 2026-12-10 15:30")
    assert "Thu 10 Dec 2026 at 15:30" in out[-1].text
    assert "#1 *Winter session*: Thu 10 Dec 2026 at 15:30" in (await h.command("ana", "meeting list"))[-1].text
    out = await h.command("fac", "meeting cancel 1")
    assert "Cancelled" in out[-1].text and meetings(h)[0].status == "cancelled"
    assert "No meeting is planned yet" in (await h.command("ana", "next"))[-1].text
    await h.command("fac", "undo")
    assert meetings(h)[0].status == "scheduled"
    await h.command("fac", "undo")  # undoing the move
    assert meetings(h)[0].starts_at == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    out = await h.command("ana", "meeting cancel 1")
    assert "Only facilitators" in out[-1].text


async def test_clear_errors_for_bad_dates_times_and_numbers(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    cases = {
        "meeting add 2026-02-30 14:00": "2026-02-30 is not a date: February 2026 has 28 days.",
        "meeting add 2026-13-01 14:00": "months go from 01 to 12",
        "meeting add 2026-12-03 25:00": "25:00 is not a time: hours go from 00 to 23",
        "meeting add 2026-12-03 14:75": "minutes go from 00 to 59",
        "meeting add 2026-12-03 teatime": 'can\'t read "teatime" as a time',
        "meeting add someday 14:00": 'can\'t read "someday" as a date',
        "meeting add 2026-12-03": "Give the date and the time",
        "meeting add 2026-12-03 14:00 Winter ftp://x": "should start with https://",
        "meeting move 42 2026-12-03 14:00": "There's no meeting 42",
        'meeting every "every 6 weeks"': "has no time",
    }
    for command, expected in cases.items():
        out = await h.command("fac", command)
        assert expected in out[-1].text, (command, out[-1].text)
        assert "Usage:" in out[-1].text or "no meeting" in out[-1].text
    assert meetings(h) == []


async def test_a_rhythm_keeps_the_next_two_and_never_recreates_a_cancelled_one(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    out = await h.command("fac", 'meeting every "every 6 weeks on thursday 14:00" "Network session"')
    assert "every 6 weeks on Thursday at 14:00" in out[-1].text
    first, second = meetings(h)
    assert first.starts_at.weekday() == 3 and second.starts_at - first.starts_at == timedelta(weeks=6)
    await h.command("fac", f"meeting cancel {first.id}")
    await h.tick(timedelta(hours=3), step=timedelta(hours=1))
    await h.command("fac", "meeting list")
    assert [m.status for m in meetings(h)] == ["cancelled", "scheduled"]
    await h.tick(first.starts_at - h.clock.now() + timedelta(hours=1), step=timedelta(days=1))
    assert len([m for m in meetings(h) if m.status == "scheduled"]) == 2  # the hourly run adds the next
    out = await h.command("fac", "meeting every off")
    assert "rhythm is off" in out[-1].text
    assert [m for m in meetings(h) if m.starts_at > h.clock.now()] == []


async def test_next_shows_the_meeting_on_the_members_clock_with_their_commitments(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    ana = h.add_member("ana", timezone="America/New_York")
    await h.command("fac", 'meeting add 2026-12-03 14:00 "Winter session" https://meet.example/w')
    with h.store.session() as s:
        s.add(Commitment(network_id=h.network_id, member_id=ana.id, text="Call the youth team", due_date=date(2026, 12, 1),
                         created_at=h.clock.now(), updated_at=h.clock.now()))  # fmt: skip
    text = (await h.command("ana", "next"))[-1].text
    assert "Winter session*, Thu 3 Dec 2026 at 09:00 (your time, America/New_York)" in text
    assert "https://meet.example/w" in text and "Call the youth team" in text
