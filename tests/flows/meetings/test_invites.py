"""Meetings in members' calendars: a file in their own zone, updates that calendars accept, a revocable feed."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from icalendar import Calendar

from bot.server.http import build_http_app
from bot.store.models import Network, Role


def parse(delivered) -> Calendar:
    attachment = delivered.outgoing.attachment
    assert attachment.name == "beacon-meetings.ics" and attachment.mime_type == "text/calendar" and not attachment.is_picture
    return Calendar.from_ical(attachment.content)


def events(cal: Calendar) -> list:
    return list(cal.walk("VEVENT"))


async def _network_with_meetings(h):
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana", timezone="America/New_York")
    h.add_member("ben")
    with h.store.session() as s:
        n = s.get(Network, h.network_id)
        n.timezone = "Europe/London"
        s.add(n)
    await h.command("fac", 'meeting add 2026-12-03 14:00 "Winter session" https://meet.example/w')
    await h.command("fac", 'meeting add 2027-01-14 14:00 "New year"')


async def test_a_member_gets_the_meetings_as_a_calendar_file_in_her_own_zone(harness):
    h = harness
    await _network_with_meetings(h)
    out = await h.command("ana", "calendar")
    (file,) = [d for d in out if d.outgoing.attachment]
    assert file.to == "ana" and "2 upcoming meetings" in file.text and "America/New_York" in file.text
    cal = parse(file)
    assert str(cal["method"]) == "PUBLISH"
    winter, new_year = events(cal)
    start = winter.decoded("dtstart")
    assert str(start.tzinfo) == "America/New_York" and (start.hour, start.minute) == (9, 0)  # 14:00 in London
    assert start.astimezone(UTC) == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert str(winter["summary"]) == "Winter session" and str(winter["url"]) == "https://meet.example/w"
    assert int(winter["sequence"]) == 0 and str(winter["status"]) == "CONFIRMED"
    assert winter["uid"] != new_year["uid"]
    assert cal.walk("VTIMEZONE")[0]["tzid"] == "America/New_York"


async def test_holders_get_updates_with_the_same_uid_and_a_higher_sequence(harness):
    h = harness
    await _network_with_meetings(h)
    first, _ = events(parse(next(d for d in await h.command("ana", "calendar") if d.outgoing.attachment)))
    out = await h.command("fac", "meeting move 1 2026-12-10 15:30")
    (update,) = [d for d in out if d.to == "ana"]
    assert not [d for d in out if d.to == "ben"]  # Ben never took the calendar
    cal = parse(update)
    (moved,) = events(cal)
    assert str(cal["method"]) == "REQUEST" and moved["uid"] == first["uid"] and int(moved["sequence"]) == 1
    assert moved.decoded("dtstart").astimezone(UTC) == datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    assert "moved" in update.text
    out = await h.command("fac", "meeting cancel 1")
    cal = parse(next(d for d in out if d.to == "ana"))
    (gone,) = events(cal)
    assert str(cal["method"]) == "CANCEL" and gone["uid"] == first["uid"] and int(gone["sequence"]) == 2
    assert str(gone["status"]) == "CANCELLED"
    out = await h.command("fac", "undo")
    (back,) = events(parse(next(d for d in out if d.to == "ana")))
    assert str(back["status"]) == "CONFIRMED" and int(back["sequence"]) == 3


async def test_the_feed_serves_the_network_calendar_and_refuses_a_wrong_or_revoked_token(harness):
    h = harness
    await _network_with_meetings(h)
    out = await h.command("ana", "calendar feed on")
    assert "facilitator" in out[-1].text.lower()
    out = await h.command("fac", "calendar feed on")
    path = next(w for w in out[-1].text.split() if w.startswith("/calendar/"))
    assert "BEACON_PUBLIC_URL" in out[-1].text  # the tests' bot has no public address: it says so
    app = build_http_app(h.beacon)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beacon") as client:
        ok = await client.get(path)
        wrong = await client.get("/calendar/not-the-token.ics")
        assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/calendar")
        assert wrong.status_code == 404
        cal = Calendar.from_ical(ok.content)
        assert [str(e["summary"]) for e in events(cal)] == ["Winter session", "New year"]
        assert str(events(cal)[0].decoded("dtstart").tzinfo) == "Europe/London"
        await h.command("fac", "calendar feed off")
        assert (await client.get(path)).status_code == 404
        await h.command("fac", "undo")
        assert (await client.get(path)).status_code == 200
        out = await h.command("fac", "calendar feed new")
        assert (await client.get(path)).status_code == 404  # the old link stops working
        fresh = next(w for w in out[-1].text.split() if w.startswith("/calendar/"))
        assert fresh != path and (await client.get(fresh)).status_code == 200


async def test_the_feed_link_is_absolute_when_beacon_knows_its_address(harness):
    h = harness
    h.beacon.router.public_url = "https://beacon.example.org"
    h.add_member("fac", role=Role.FACILITATOR)
    out = await h.command("fac", "calendar feed on")
    assert "https://beacon.example.org/calendar/" in out[-1].text and "BEACON_PUBLIC_URL" not in out[-1].text
