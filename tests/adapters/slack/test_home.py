"""Beacon's Home tab on Slack, end to end: the real slack-bolt against the fake Slack,
which refuses a view past Block Kit's limits (100 blocks, 3000-character sections,
75-character buttons, 150-character headers) as Slack does."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from bot.core.forms import FORM_OWNER
from bot.core.messages import Field, Form
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.models import Conversation, Member
from tests.fakes.slack_api import SURFACE_BLOCKS, block_problems, view_problems
from tests.support.slack import _buttons, slack_bot

FACILITATOR, MEMBER = "U0FACIL01", "U0MEMBR01"


def member(store, user_id: str) -> Member:
    with store.session() as s:
        return s.exec(select(Member).where(Member.platform_user_id == user_id)).one()


def add_commitments(store, user_id: str, n: int, *, text: str = "Call the youth team about the winter session") -> None:
    m = member(store, user_id)
    with store.session() as s:
        for i in range(n):
            s.add(Commitment(network_id=m.network_id, member_id=m.id, text=f"{i + 1}. {text}", due_date=date(2026, 12, 20),
                             created_at=m.created_at, updated_at=m.created_at))  # fmt: skip


def commitments(store, user_id: str) -> list[Commitment]:
    m = member(store, user_id)
    with store.session() as s:
        return list(s.exec(select(Commitment).where(Commitment.member_id == m.id).order_by(Commitment.id)))


async def two_people(sb) -> None:
    """A facilitator (the workspace's first person) and a member, both known to Beacon."""
    sb.user(FACILITATOR, name="Fay")
    sb.user(MEMBER, name="Mo", tz="Europe/Paris")
    await sb.command(FACILITATOR, "help")
    await sb.command(MEMBER, "help")


def assert_valid(view: dict) -> None:
    assert view["type"] == "home"
    assert len(view["blocks"]) <= SURFACE_BLOCKS
    assert block_problems(view["blocks"], SURFACE_BLOCKS) == [] and view_problems(view) == []


async def test_opening_the_home_tab_publishes_a_valid_home_for_a_member_with_nothing_yet(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await two_people(sb)
        await sb.open_home(MEMBER)

        view = sb.home(MEMBER)
        assert_valid(view)
        text = sb.home_text(MEMBER)
        assert "Your commitments" in text and "None open" in text
        assert "Pause 2 weeks" in text and "Settings" in text
        assert sb.slack.calls_to("views.publish", ok=False) == []


async def test_a_facilitator_sees_the_network_at_a_glance_and_a_member_does_not(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await two_people(sb)
        await sb.command(FACILITATOR, 'reflection add weekly weekly "every friday 16:00"')
        await sb.open_home(FACILITATOR)
        await sb.open_home(MEMBER)

        fay, mo = sb.home_text(FACILITATOR), sb.home_text(MEMBER)
        assert "at a glance" in fay and "2 members; Beacon can reach 2, 0 paused." in fay
        assert "Reflection flows" in fay and "Run now…" in fay and "Digest preview" in fay
        assert "at a glance" not in mo and "Reflection flows" not in mo and "Digest" not in mo
        # the member's own next prompt, on their clock (Paris), where the schedule reaches them
        assert "Your next reflection" in mo and "Friday 6 November at 16:00 (your time, Europe/Paris)" in mo


async def test_a_member_with_many_items_gets_a_home_within_limits_and_more_sends_the_rest(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await two_people(sb)
        add_commitments(sqlite_store, MEMBER, 80, text="x" * 400)
        await sb.open_home(MEMBER)

        view = sb.home(MEMBER)
        assert_valid(view)
        assert sb.slack.calls_to("views.publish", ok=False) == []
        assert "More… (80 in all)" in sb.home_text(MEMBER)
        before = len(sb.inbox(MEMBER))
        await sb.press_home(MEMBER, "More… (80 in all)")
        clock.advance(timedelta(minutes=1))  # past Slack's burst, the outbox sends the rest a second apart
        await sb.settle()

        sent = sb.inbox(MEMBER)[before:]
        labels = [b["text"]["text"] for m in sent for b in _buttons(m)]
        assert [f"Done {n}" for n in range(1, 81)] == [label for label in labels if label.startswith("Done")]
        assert len(sent) <= 13  # a handful of messages, not eighty


async def test_done_on_the_home_marks_the_commitment_and_the_home_follows(any_store, clock):
    async with slack_bot(any_store, clock) as sb:
        await two_people(sb)
        add_commitments(any_store, MEMBER, 2)
        await sb.open_home(MEMBER)
        assert "1. Call the youth team" in sb.home_text(MEMBER)

        await sb.press_home(MEMBER, "Done")
        assert [c.status for c in commitments(any_store, MEMBER)] == [CommitmentStatus.DONE, CommitmentStatus.OPEN]
        assert len(sb.publishes(MEMBER)) == 1  # a publish a moment ago: the next waits its turn

        clock.advance(timedelta(seconds=5))
        await sb.settle()
        assert len(sb.publishes(MEMBER)) == 2
        text = sb.home_text(MEMBER)
        assert "1. Call the youth team" not in text and "2. Call the youth team" in text


async def test_the_home_is_published_at_most_once_per_member_every_few_seconds_and_never_twice_the_same(any_store, clock):
    async with slack_bot(any_store, clock) as sb:
        await two_people(sb)
        await sb.open_home(MEMBER)
        await sb.open_home(MEMBER)  # nothing changed: the view Slack shows is already this one
        assert len(sb.publishes(MEMBER)) == 1

        await sb.press_home(MEMBER, "Pause 1 week")
        await sb.command(MEMBER, "resume")
        await sb.command(MEMBER, "pause 2w")
        assert len(sb.publishes(MEMBER)) == 1

        clock.advance(timedelta(seconds=5))
        await sb.settle()
        assert len(sb.publishes(MEMBER)) == 2  # three changes, one publish, showing the last
        assert "Resume now" in sb.home_text(MEMBER)
        assert "Paused until" in sb.home_text(MEMBER)

        clock.advance(timedelta(seconds=5))
        await sb.settle()
        await sb.open_home(MEMBER)
        assert len(sb.publishes(MEMBER)) == 2


async def test_a_home_button_answers_by_direct_message(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await two_people(sb)
        await sb.open_home(MEMBER)
        await sb.press_home(MEMBER, "Settings")
        assert "*Your settings*" in sb.last_text(MEMBER)

        await sb.press_home(MEMBER, "Pause 2 weeks")
        assert member(sqlite_store, MEMBER).paused_until is not None
        assert "brings you back sooner" in sb.last_text(MEMBER)


async def test_change_on_the_home_opens_a_modal_that_changes_the_commitment(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await two_people(sb)
        add_commitments(sqlite_store, MEMBER, 1)
        await sb.open_home(MEMBER)
        await sb.press_home(MEMBER, "Change…")

        view = sb.last_view()
        assert view["callback_id"] == "commitment.change"
        await sb.submit(MEMBER, {"text": "Call the youth team and the school", "due": "not a date"})
        assert commitments(sqlite_store, MEMBER)[0].text.startswith("1. Call")  # refused beside the field, nothing saved
        await sb.submit(MEMBER, {"text": "Call the youth team and the school", "due": "2026-12-24"})
        (c,) = commitments(sqlite_store, MEMBER)
        assert (c.text, c.due_date) == ("Call the youth team and the school", date(2026, 12, 24))


async def test_the_messages_tab_opening_publishes_nothing(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await two_people(sb)
        await sb.post(sb.slack.home_opened(MEMBER, tab="messages"))
        assert sb.publishes() == []


async def test_opening_the_home_while_a_guided_form_is_open_says_nothing_in_the_chat(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await two_people(sb)
        form = Form(id="practice.share", title="Share a practice", fields=(Field(name="title", label="Title"),))
        with sqlite_store.session() as s:  # a form asked as a chat, half answered (as after a mention, which has no trigger)
            s.add(Conversation(member_id=member(sqlite_store, MEMBER).id, owner=FORM_OWNER, state={"form": form.to_dict(), "index": 0, "values": {}},
                               started_at=clock.now(), updated_at=clock.now()))  # fmt: skip
        await sb.command(MEMBER, "settings")
        assert "still open" in sb.last_text(MEMBER)  # a command typed meanwhile is told where the form stands
        before, seen = len(sb.inbox(MEMBER)), len(sb.ephemerals())
        await sb.open_home(MEMBER)
        assert (len(sb.inbox(MEMBER)), len(sb.ephemerals())) == (before, seen)  # no "your form is still open" for looking at the Home
        assert sb.publishes(MEMBER)


async def test_run_now_on_a_facilitators_home_asks_first_and_sends_on_confirmation(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await two_people(sb)
        await sb.command(FACILITATOR, 'reflection add weekly weekly "every friday 16:00"')
        await sb.open_home(FACILITATOR)
        mo_before = len(sb.inbox(MEMBER))

        await sb.press_home(FACILITATOR, "Run now…")
        assert "Send it?" in sb.last_text(FACILITATOR) and len(sb.inbox(MEMBER)) == mo_before  # nothing sent yet
        await sb.press(FACILITATOR, "Send to 2 members")
        assert any("✓ Sent `weekly` to 2 members now" in m["text"] for m in sb.inbox(FACILITATOR))
        assert len(sb.inbox(MEMBER)) == mo_before + 1
