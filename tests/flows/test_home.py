"""``/beacon home`` where there is no Home tab (console, Telegram): the same sections the
flows give Slack's Home, as messages, with the same buttons."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.core.home import HOME_KEY
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.models import OutboxMessage, Role


def add_commitments(h, member, n: int) -> None:
    with h.store.session() as s:
        for i in range(n):
            s.add(Commitment(network_id=h.network_id, member_id=member.id, text=f"Commitment {i + 1}", due_date=date(2026, 12, 20),
                             created_at=h.clock.now(), updated_at=h.clock.now()))  # fmt: skip


async def test_home_gives_a_member_their_page_as_messages_and_its_buttons_work(harness):
    h = harness
    ana = h.add_member("ana")
    add_commitments(h, ana, 2)

    got = await h.command("ana", "home")
    texts = "\n".join(f"{d.outgoing.header or ''}\n{d.text}" for d in got)
    assert "Commitment 1" in texts and "Pause and settings" in texts
    assert "at a glance" not in texts  # members see their own page only
    await h.press("ana", "Done", message=next(d for d in got if "Commitment 1" in d.text and "Done" in d.labels))
    with h.store.session() as s:
        assert [c.status for c in s.exec(select(Commitment).order_by(Commitment.id))] == [CommitmentStatus.DONE, CommitmentStatus.OPEN]
        assert not s.exec(select(OutboxMessage).where(OutboxMessage.key.startswith(f"{HOME_KEY}:"))).all()  # no Home tab here


async def test_a_long_list_shows_its_first_items_and_more_sends_them_all(harness):
    h = harness
    ana = h.add_member("ana")
    add_commitments(h, ana, 12)

    got = await h.command("ana", "home")
    assert sum(1 for d in got if "Done" in d.labels) == 5
    more = await h.press("ana", "More… (12 in all)")
    labels = [label for d in more for label in d.labels]
    assert [f"Done {n}" for n in range(1, 13)] == [label for label in labels if label.startswith("Done ")]
    await h.press("ana", "Done 12")
    with h.store.session() as s:
        assert s.exec(select(Commitment).where(Commitment.text == "Commitment 12")).one().status == CommitmentStatus.DONE


async def test_a_facilitators_home_has_the_network_and_run_now_asks_first(harness):
    h = harness
    h.add_member("fay", role=Role.FACILITATOR)
    h.add_member("ana")
    await h.command("fay", 'reflection add weekly weekly "every friday 16:00"')

    got = await h.command("fay", "home")
    texts = "\n".join(f"{d.outgoing.header or ''}\n{d.text}" for d in got)
    assert "2 members; Beacon can reach 2, 0 paused." in texts and "weekly" in texts
    asked = await h.press("fay", "Run now…")
    assert "Send it?" in asked[-1].text and "Cancel" in asked[-1].labels  # run-now's own confirmation
    assert not [d for d in h.inbox("ana") if "reflect" in d.text.lower()]


async def test_the_next_meeting_is_on_the_home_on_the_members_clock(harness):
    h = harness
    h.add_member("fay", role=Role.FACILITATOR)
    h.add_member("ana", timezone="Asia/Tokyo")
    await h.command("fay", 'meeting add 2026-12-03 14:00 "Winter session"')

    got = await h.command("ana", "home")
    texts = "\n".join(f"{d.outgoing.header or ''}\n{d.text}" for d in got)
    assert "Next meeting" in texts and "*Winter session*, Thu 3 Dec 2026 at 23:00 (your time, Asia/Tokyo)" in texts
