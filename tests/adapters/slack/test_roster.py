"""Listing a channel's people for a flow: paged, paced and patient with Slack's rate limits.

The real slack-bolt app against the strict fake Slack (a few members a page);
the adapter's waits run on the test's clock, never in real time.
"""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.slack.people import CHECKS_PER_MINUTE
from tests.support.slack import slack_bot


def on_the_clock(sb, clock) -> list[float]:
    """The adapter's waits move the test's clock on at once; returns what it waited."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    sb.adapter.people.sleep = sleep
    return waits


async def test_a_channel_larger_than_the_lookup_budget_is_listed_within_it(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        waits = on_the_clock(sb, clock)
        sb.user("UFAC", name="Fay")
        await sb.dm("UFAC", "hello")
        people = [f"UP{i:03d}" for i in range(CHECKS_PER_MINUTE + 10)]
        for user_id in people:
            sb.user(user_id, name=user_id)
        channel = sb.slack.add_channel("everyone", people)
        looked_up = len(sb.slack.calls_to("users.info"))
        await sb.command("UFAC", f"members channel <#{channel}|everyone>")
        assert f"{len(people)} people will be welcomed" in sb.last_text("UFAC")
        assert len(sb.slack.calls_to("users.info")) - looked_up == len(people)  # each person once
        assert waits and sum(waits) > 0  # past the budget it waited for room, rather than skip anyone
        assert len(sb.adapter.people._checks) <= CHECKS_PER_MINUTE


async def test_a_rate_limited_listing_waits_for_retry_after_and_tries_again(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        waits = on_the_clock(sb, clock)
        sb.user("UFAC", name="Fay")
        await sb.dm("UFAC", "hello")
        sb.user("UP1", name="Pat")
        channel = sb.slack.add_channel("learning", ["UFAC", "UP1"])
        sb.slack.fail_next("conversations.members", retry_after=5)
        await sb.command("UFAC", f"members channel <#{channel}|learning>")
        assert waits == [5.0]
        assert "1 person will be welcomed (1 already a member" in sb.last_text("UFAC")


async def test_a_private_channel_the_bot_is_not_in_is_answered_plainly(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("UFAC", name="Fay")
        await sb.dm("UFAC", "hello")
        channel = sb.slack.add_channel("secret", ["UFAC"], private=True, bot_in=False)
        await sb.command("UFAC", f"members channel <#{channel}|secret>")
        assert "invite me to it first" in sb.last_text("UFAC") and "#secret" in sb.last_text("UFAC")


async def test_the_preview_asks_to_be_invited_when_the_bot_is_not_in_the_channel(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("UFAC", name="Fay")
        await sb.dm("UFAC", "hello")
        channel = sb.slack.add_channel("open", ["UFAC"], bot_in=False)
        await sb.command("UFAC", f"members channel <#{channel}|open>")
        assert "Invite me to #open" in sb.last_text("UFAC")
