"""Commitments: parsing the "what will you do next?" answer, and the member's list."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from bot.flows.commitments.commitment import describe_due, parse_commitment
from bot.store.answers import FollowUpAnswer
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.models import Role

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday


def test_parse_commitment_text_and_due_date():
    assert parse_commitment("I'll call the youth team by Friday", now=NOW, tz="Europe/London") == ("Call the youth team by Friday", date(2026, 11, 6))
    assert parse_commitment("try it  in 2 weeks", now=NOW, tz="Europe/London") == ("Try it in 2 weeks", date(2026, 11, 16))
    assert parse_commitment("Keep going", now=NOW, tz="Europe/London") == ("Keep going", None)
    # late Monday in London is already Tuesday in Tokyo: "tomorrow" is Wednesday there
    late = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
    assert parse_commitment("finish it tomorrow", now=late, tz="Asia/Tokyo")[1] == date(2026, 11, 4)
    assert parse_commitment("we did it on 2026-10-01", now=NOW, tz="UTC")[1] is None  # past: no deadline
    assert len(parse_commitment("x" * 900, now=NOW, tz="UTC")[0]) == 500


def test_describe_due():
    assert describe_due(date(2026, 11, 6)) == "Friday 6 November 2026"
    assert describe_due(None) == "no date"


async def test_member_lists_and_marks_commitments(harness):
    h = harness
    ana = h.add_member("ana", timezone="Europe/London")
    other = h.add_member("bob", role=Role.FACILITATOR)
    with h.store.session() as s:
        for text, due, who in (("Later one", date(2026, 12, 1), ana), ("Sooner one", date(2026, 11, 10), ana),
                               ("Bob's", None, other)):  # fmt: skip
            s.add(Commitment(network_id=h.network_id, member_id=who.id, text=text, due_date=due,
                             created_at=h.clock.now(), updated_at=h.clock.now()))  # fmt: skip
    out = await h.command("ana", "commitments")
    assert out[0].text == "You have 2 open commitments:"
    assert "Sooner one" in out[1].text and "Tuesday 10 November 2026" in out[1].text and "Later one" in out[2].text
    assert out[1].labels == ["Done", "Still going", "Drop"]
    await h.press("ana", "Done", message=out[1])
    await h.press("ana", "Still going", message=out[2])
    with h.store.session() as s:
        status = {c.text: c.status for c in s.exec(select(Commitment))}
    assert status == {"Sooner one": CommitmentStatus.DONE, "Later one": CommitmentStatus.STILL_GOING,
                      "Bob's": CommitmentStatus.OPEN}  # fmt: skip
    with h.store.session() as s:  # kept for good: the digest counts each answer in the week it was given
        assert sorted(a.value for a in s.exec(select(FollowUpAnswer))) == ["done", "still_going"]
    out = await h.command("ana", "commitments")
    assert out[0].text == "You have 1 open commitment:" and "(still going)" in out[1].text
    # someone else's commitment button does nothing to it
    bob_msg = (await h.command("bob", "commitments"))[1]
    out = await h.press("ana", "Drop", message=bob_msg)
    assert "can't find that commitment" in out[-1].text


async def test_no_commitments_says_where_they_come_from(harness):
    harness.add_member("ana")
    out = await harness.command("ana", "commitments")
    assert "no open commitments" in out[0].text and "/beacon reflect" in out[0].text
