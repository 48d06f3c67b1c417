"""Membership from a Slack channel, end to end: the real slack-bolt app, signed requests,
the strict fake Slack (which pages ``conversations.members`` a few at a time, as Slack may)
and a real database.

A facilitator names the channel, sees how many would be welcomed, and only the
confirm button sends anything; bots (Slackbot too, whom ``users.info`` does not
call a bot) and deactivated accounts are skipped; joins and leaves of that
channel keep the network in step, and other channels' are ignored.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.store.models import LEFT_GROUP, AuditEntry, Member, OutboxMessage
from tests.fakes.slack_api import MEMBERS_PAGE
from tests.support.slack import slack_bot

PEOPLE = [f"UP{i:03d}" for i in range(9)]


def members(store) -> dict[str, Member]:
    with store.session() as session:
        return {m.platform_user_id: m for m in session.exec(select(Member))}


def welcomes(sb, user_id: str) -> list[dict]:
    return [m for m in sb.inbox(user_id) if "Set up my profile" in str(m.get("blocks"))]


async def setup_channel(sb) -> str:
    """A facilitator (Fay), a member who wrote before (Olu), nine people, two bots, Slackbot and a deactivated account."""
    sb.user("UFAC", name="Fay")
    await sb.dm("UFAC", "hello")  # the network's first member: its facilitator
    sb.user("UOLD", name="Olu")
    await sb.dm("UOLD", "hi")
    for i, user_id in enumerate(PEOPLE):
        sb.user(user_id, name=f"Person {i}", tz="Asia/Kolkata" if i == 0 else "Europe/London")
    sb.user("UBOT2", name="Otherbot", is_bot=True)
    sb.user("USLACKBOT", name="Slackbot")  # Slack's users.info says is_bot: false for Slackbot
    sb.user("UGONE", name="Gone", deleted=True)
    return sb.slack.add_channel("learning", ["UFAC", "UOLD", *PEOPLE, "UBOT2", "USLACKBOT", "UGONE"])


async def test_the_preview_counts_everyone_in_the_channel_over_several_pages_and_sends_nothing(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        channel = await setup_channel(sb)
        await sb.command("UFAC", f"members channel <#{channel}|learning>", channel="C0OTHER01")
        preview = sb.last_text("UFAC")
        assert "9 people will be welcomed (2 already members; 3 bots and deactivated accounts skipped)" in preview
        pages = sb.slack.calls_to("conversations.members", ok=True)
        assert len(pages) > 1 and len(sb.slack.channel_members(channel)) > MEMBERS_PAGE
        assert [p.get("cursor") for p in pages][1:] and all(p.get("cursor") for p in pages[1:])  # followed next_cursor
        assert not any(sb.inbox(u) for u in PEOPLE)  # nothing before the press
        assert set(members(sqlite_store)) == {"UFAC", "UOLD"}
        with sqlite_store.session() as session:
            assert not session.exec(select(AuditEntry).where(AuditEntry.action == "members.channel")).all()


async def test_confirming_welcomes_people_by_dm_with_their_profile_and_skips_bots_and_the_deactivated(any_store, clock):
    async with slack_bot(any_store, clock) as sb:
        channel = await setup_channel(sb)
        await sb.command("UFAC", "members channel #learning")  # a bare name, as Slack sends it unescaped
        await sb.press("UFAC", "Welcome 9 people")
        for user_id in PEOPLE:
            assert len(welcomes(sb, user_id)) == 1, user_id
        for user_id in ("UBOT2", "USLACKBOT", "UGONE", "UOLD"):
            assert not welcomes(sb, user_id), user_id
        assert "9 people from #learning welcomed (2 already members; 3 bots and deactivated accounts skipped)" in sb.last_text("UFAC")
        rows = members(any_store)
        assert set(rows) == {"UFAC", "UOLD", *PEOPLE}
        assert rows["UP000"].display_name == "Person 0" and rows["UP000"].timezone == "Asia/Kolkata"
        assert not any(rows[u].is_facilitator for u in PEOPLE)
        await sb.press("UP003", "Set up my profile")
        assert sb.last_view()["title"]["text"] == "Your profile"
        # a second confirmation welcomes nobody twice
        await sb.command("UFAC", f"members channel <#{channel}|learning>")
        assert "0 people will be welcomed (11 already members" in sb.last_text("UFAC")


async def test_welcomes_wait_for_quiet_hours(sqlite_store, clock):
    clock.advance(timedelta(hours=12))  # 21:00 in London: quiet
    async with slack_bot(sqlite_store, clock) as sb:
        await setup_channel(sb)
        await sb.command("UFAC", "members channel #learning")
        await sb.press("UFAC", "Welcome 9 people")
        assert not any(welcomes(sb, u) for u in PEOPLE)
        with sqlite_store.session() as session:
            waiting = session.exec(select(OutboxMessage).where(OutboxMessage.key.startswith("welcome:channel:"))).all()
        assert len(waiting) == 9 and all(row.next_attempt_at > clock.now() for row in waiting)


async def test_joins_and_leaves_of_the_membership_channel_keep_the_network_in_step(any_store, clock):
    async with slack_bot(any_store, clock) as sb:
        channel = await setup_channel(sb)
        other = sb.slack.add_channel("random", ["UFAC"])
        await sb.command("UFAC", f"members channel <#{channel}|learning>")
        await sb.press("UFAC", "Welcome 9 people")
        sb.user("UNEW", name="Nia")
        await sb.post(sb.slack.join_channel(other, "UNEW"))  # another channel: not a membership change
        assert "UNEW" not in members(any_store)
        await sb.post(sb.slack.join_channel(channel, "UNEW"))
        assert members(any_store)["UNEW"].display_name == "Nia" and len(welcomes(sb, "UNEW")) == 1
        sb.user("UBOT3", name="Anotherbot", is_bot=True)
        await sb.post(sb.slack.join_channel(channel, "UBOT3"))
        assert "UBOT3" not in members(any_store)
        await sb.post(sb.slack.leave_channel(other, "UP001"))  # leaving another channel changes nothing
        assert not members(any_store)["UP001"].unreachable
        await sb.post(sb.slack.leave_channel(channel, "UP001"))
        gone = members(any_store)["UP001"]
        assert gone.unreachable and gone.unreachable_reason == LEFT_GROUP
        await sb.post(sb.slack.join_channel(channel, "UP001"))
        back = members(any_store)["UP001"]
        assert not back.unreachable and back.unreachable_reason is None
        # the welcome back keeps the two-hour gap after the first welcome (core.availability)
        clock.advance(timedelta(hours=2))
        await sb.settle()
        assert "Welcome back" in welcomes(sb, "UP001")[-1]["text"]


async def test_a_facilitator_who_leaves_the_channel_loses_the_role(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        channel = await setup_channel(sb)
        await sb.command("UFAC", f"members channel <#{channel}|learning>")
        await sb.press("UFAC", "Welcome 9 people")
        await sb.command("UFAC", "role grant <@UOLD> facilitator")
        assert members(sqlite_store)["UOLD"].is_facilitator
        await sb.post(sb.slack.leave_channel(channel, "UOLD"))
        gone = members(sqlite_store)["UOLD"]
        assert gone.unreachable_reason == LEFT_GROUP and not gone.roles


@pytest.mark.parametrize(
    ("given", "answer"),
    [("#nowhere", "can't find a channel called #nowhere"), ("", "Name the channel"), ("#a #b", "Name one channel")],
)
async def test_a_channel_that_cannot_be_used_gets_a_plain_answer(sqlite_store, clock, given, answer):
    async with slack_bot(sqlite_store, clock) as sb:
        await setup_channel(sb)
        await sb.command("UFAC", f"members channel {given}".strip())
        said = [e.get("text", "") for e in sb.ephemerals()] + [sb.last_text("UFAC")]
        assert any(answer in text for text in said), said


async def test_off_stops_following_the_channel_and_removes_nobody(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        channel = await setup_channel(sb)
        await sb.command("UFAC", f"members channel <#{channel}|learning>")
        await sb.press("UFAC", "Welcome 9 people")
        await sb.command("UFAC", "members channel")
        assert "Everyone in #learning is a member" in sb.last_text("UFAC")
        await sb.command("UFAC", "members channel off")
        await sb.post(sb.slack.leave_channel(channel, "UP002"))
        assert not members(sqlite_store)["UP002"].unreachable


async def test_undo_puts_the_channel_followed_before_back_and_keeps_the_members(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        channel = await setup_channel(sb)
        await sb.command("UFAC", f"members channel <#{channel}|learning>")
        await sb.press("UFAC", "Welcome 9 people")
        await sb.command("UFAC", "members channel off")
        await sb.command("UFAC", "undo")
        assert "#learning's people are the members again" in sb.last_text("UFAC")
        await sb.post(sb.slack.leave_channel(channel, "UP002"))
        assert members(sqlite_store)["UP002"].unreachable_reason == LEFT_GROUP
        await sb.command("UFAC", "undo")  # the first choice of the channel
        await sb.post(sb.slack.leave_channel(channel, "UP003"))
        assert not members(sqlite_store)["UP003"].unreachable and "UP001" in members(sqlite_store)


async def test_only_facilitators_name_the_membership_channel(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        await setup_channel(sb)
        await sb.command("UOLD", "members channel #learning")
        assert not sb.slack.calls_to("conversations.members")
