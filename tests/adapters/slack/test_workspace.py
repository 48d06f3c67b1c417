"""What Slack says about the workspace and its people, end to end.

Every subscribed event is acknowledged; a deactivated member stops getting
messages and comes back when reactivated; time zones follow Slack and a bad
one never reaches the scheduler; a revoked installation keeps its messages
and leaves its members alone. The real slack-bolt app, signed requests, the
strict fake Slack and a real database; nothing of ours is mocked.
"""

from __future__ import annotations

import pytest
import yaml
from sqlmodel import select

from bot.adapters.slack.people import CHECKS_PER_MINUTE
from bot.adapters.slack.workspace import DEACTIVATED
from bot.core.messages import Address, Outgoing
from bot.store.models import Member, Network, OutboxMessage, OutboxStatus
from bot.store.outbox import enqueue
from tests.fakes import FakeSlack, slack_app_mention, slack_message_im
from tests.support import ROOT
from tests.support.slack import slack_bot

MANIFEST = yaml.safe_load((ROOT / "config" / "slack-manifest.yaml").read_text())


def rows(store, model, *where):
    with store.session() as session:
        return list(session.exec(select(model).where(*where)))


def member(store, user_id: str) -> Member:
    (m,) = rows(store, Member, Member.platform_user_id == user_id)
    return m


EVENTS = {
    "message.im": lambda sb: slack_message_im("hello", user="U1", channel=sb.dm_channel("U1")),
    "app_mention": lambda sb: slack_app_mention("help", user="U1"),
    "user_change": lambda sb: sb.slack.change_user("U1", tz="Europe/Paris"),
    "app_uninstalled": lambda sb: sb.slack.uninstall(),
    "tokens_revoked": lambda sb: sb.slack.revoke_tokens(),
    "member_joined_channel": lambda sb: sb.slack.join_channel(sb.slack.add_channel("learning"), "U1"),
    "member_left_channel": lambda sb: sb.slack.leave_channel(sb.slack.add_channel("learning", ["U1"]), "U1"),
    "app_home_opened": lambda sb: sb.slack.home_opened("U1"),
}


@pytest.mark.parametrize("event", MANIFEST["settings"]["event_subscriptions"]["bot_events"])
async def test_every_event_the_manifest_subscribes_is_acknowledged_with_200(sqlite_store, clock, event):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", name="Ada")
        assert event in EVENTS, f"the manifest subscribes {event}: say here how Slack sends it"
        response = await sb.post(EVENTS[event](sb))
        assert response.status_code == 200, f"{event} answered {response.status_code}: Slack disables subscriptions past 5 % failures"


def nudge_everyone(sb) -> None:
    """``/beacon e2e nudge``: a DM to every other member, as any fan-out does."""

    def nudge(ctx):
        for m in ctx.members():
            if m.id != ctx.member.id:
                ctx.dm(m, "A gentle nudge")
        ctx.reply("Nudged.")

    sb.beacon.router.command("e2e nudge", nudge, help="test")


def nudges_to(sb, user_id: str) -> list[str]:
    return [m["text"] for m in sb.inbox(user_id) if m["text"] == "A gentle nudge"]


# -- deactivated members -------------------------------------------------------------


async def test_a_deactivated_member_is_marked_by_user_change_and_comes_back_when_reactivated(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        nudge_everyone(sb)
        await sb.dm("U2", "hi")
        await sb.post(sb.slack.deactivate("U2"))
        gone = member(sqlite_store, "U2")
        assert gone.unreachable and gone.unreachable_reason == DEACTIVATED

        await sb.command("U1", "e2e nudge")
        assert nudges_to(sb, "U2") == []  # Slack would have taken it, into a DM nobody reads

        await sb.post(sb.slack.change_user("U2", deleted=False))
        assert not member(sqlite_store, "U2").unreachable
        await sb.command("U1", "e2e nudge")
        assert nudges_to(sb, "U2") == ["A gentle nudge"]


async def test_a_member_not_seen_for_a_week_is_checked_before_a_dm(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        nudge_everyone(sb)
        await sb.dm("U2", "hi")
        await sb.dm("U3", "hi")
        sb.slack.deactivate("U2")  # the user_change never reached us (the bot was down)
        await sb.command("U1", "e2e nudge")
        assert nudges_to(sb, "U2") == ["A gentle nudge"]  # seen this week: not asked about again

        clock.advance(days=8)
        asked = sb.slack.count("users.info")
        await sb.command("U1", "e2e nudge")
        assert nudges_to(sb, "U2") == ["A gentle nudge"] and nudges_to(sb, "U3") == ["A gentle nudge"] * 2
        gone = member(sqlite_store, "U2")
        assert gone.unreachable and gone.unreachable_reason == DEACTIVATED
        assert not member(sqlite_store, "U3").unreachable
        # U1's own look-up as it wrote (then seen), and U2 and U3 once each before their DMs
        assert sb.slack.count("users.info") - asked == 3
        failed = [r for r in rows(sqlite_store, OutboxMessage) if r.member_id == gone.id and r.status == OutboxStatus.FAILED]
        assert len(failed) == 1


async def test_checks_before_a_fan_out_stay_within_slacks_tier(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        nudge_everyone(sb)
        people = [f"U{i:03d}" for i in range(CHECKS_PER_MINUTE + 5)]
        for user_id in people:
            await sb.dm(user_id, "hi")
        clock.advance(days=8)
        asked = sb.slack.count("users.info")
        await sb.command("U1", "e2e nudge")
        assert sb.slack.count("users.info") - asked <= CHECKS_PER_MINUTE + 1  # + the sender of the command
        assert all(nudges_to(sb, u) == ["A gentle nudge"] for u in people)  # past the budget, sent as before


# -- a revoked installation ------------------------------------------------------------


@pytest.mark.parametrize("how", ["account_inactive", "token_revoked", "invalid_auth", "app_uninstalled", "tokens_revoked"])
async def test_a_revoked_installation_holds_its_messages_and_marks_no_member(sqlite_store, clock, how):
    async with slack_bot(sqlite_store, clock) as sb:
        nudge_everyone(sb)
        await sb.dm("U2", "hi")
        if how == "app_uninstalled":
            await sb.post(sb.slack.uninstall())
        elif how == "tokens_revoked":
            await sb.post(sb.slack.revoke_tokens())
        else:
            sb.slack.revoke(how)
        await sb.command("U1", "e2e nudge")
        for _ in range(3):
            clock.advance(hours=1)
            await sb.beacon.delivery.drain()

        assert not member(sqlite_store, "U1").unreachable and not member(sqlite_store, "U2").unreachable
        (held,) = [r for r in rows(sqlite_store, OutboxMessage) if r.payload["text"] == "A gentle nudge"]
        assert held.status == OutboxStatus.PENDING and held.last_error.startswith("held: ") and held.attempts == 0
        refused = [c for c in sb.slack.calls if c.method == "chat.postMessage" and not c.ok]
        assert len(refused) <= 1  # once to learn of it at most, then held without asking Slack again
        assert sb.beacon.delivery.stats.failed == 0


# -- time zones ------------------------------------------------------------------------


async def test_a_new_zone_in_slack_reaches_the_member_and_an_unknown_one_never_does(sqlite_store, clock, caplog):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", tz="Europe/London")
        await sb.dm("U1", "hi")
        assert member(sqlite_store, "U1").timezone == "Europe/London"

        await sb.post(sb.slack.change_user("U1", tz="America/New_York"))
        assert member(sqlite_store, "U1").timezone == "America/New_York"

        await sb.post(sb.slack.change_user("U1", tz="Mars/Olympus_Mons"))
        assert member(sqlite_store, "U1").timezone == "America/New_York"  # the previous one stays
        assert "unknown time zone 'Mars/Olympus_Mons'" in caplog.text


async def test_a_zone_changed_in_slack_is_picked_up_from_users_info_too(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", tz="Europe/London")
        await sb.dm("U1", "hi")
        sb.slack.change_user("U1", tz="Asia/Kolkata")  # the user_change was missed
        clock.advance(hours=2)  # past the users.info cache
        await sb.dm("U1", "hi again")
        assert member(sqlite_store, "U1").timezone == "Asia/Kolkata"


async def test_an_unknown_zone_from_slack_at_first_contact_is_not_stored(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", tz="Mars/Olympus_Mons")
        await sb.dm("U1", "hi")
        assert member(sqlite_store, "U1").timezone is None  # the network's zone applies


async def test_a_pair_with_a_deactivated_member_still_reaches_the_other_who_can_ask_for_a_rematch(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:

        def pair(ctx):
            ctx.send(Outgoing(text="Meet your learning pair", to=Address.group([m.id for m in ctx.members()])))

        sb.beacon.router.command("e2e pair", pair, help="test")
        await sb.dm("U2", "hi")
        sb.slack.deactivate("U2")  # missed
        clock.advance(days=8)
        await sb.command("U1", "e2e pair")
        assert [m["text"] for m in sb.slack.messages(sb.slack.dm_channel("U1", "U2"))] == ["Meet your learning pair"]
        assert member(sqlite_store, "U2").unreachable_reason == DEACTIVATED  # not in the next round
        assert not member(sqlite_store, "U1").unreachable


async def test_a_token_refused_at_start_holds_messages_from_the_first(sqlite_store, clock):
    async with FakeSlack(clock=lambda: clock.now().timestamp()) as fake:
        fake.revoke("token_revoked")
        async with slack_bot(sqlite_store, clock, slack=fake) as sb:
            assert sb.adapter.status()["error"] == "token_revoked"
            with sqlite_store.session() as session:  # a scheduled prompt: no events come from a revoked app
                network = Network(platform="slack", platform_key=fake.team_id, name="Beacon Test", created_at=clock.now())
                session.add(network)
                session.flush()
                ada = Member(network_id=network.id, platform_user_id="U1", display_name="Ada", created_at=clock.now())
                session.add(ada)
                session.flush()
                enqueue(session, key="e2e:prompt", network_id=network.id, platform="slack", outgoing=Outgoing(text="A prompt", to=Address.member(ada.id)),
                        now=clock.now())  # fmt: skip
            await sb.beacon.delivery.drain()
            (row,) = rows(sqlite_store, OutboxMessage)
            assert row.status == OutboxStatus.PENDING and row.last_error.startswith("held: ")
            assert sb.slack.count("chat.postMessage") == 0 and not member(sqlite_store, "U1").unreachable
