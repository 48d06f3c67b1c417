"""Names are text on Slack: a display name or workspace name that looks like
mrkdwn or a link is shown as typed, and pairs are named with a mention."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.store.models import Member, Network
from tests.support.slack import slack_bot

EVIL = "<https://evil.example|Tap here>"


def _all_text(message: dict) -> str:
    return message["text"] + json.dumps(message.get("blocks") or "")


async def test_a_workspace_name_that_looks_like_a_link_stays_text_in_help(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", name="Fac")
        await sb.command("U1", "help")
        with sqlite_store.session() as session:
            network = session.exec(select(Network)).one()
            network.name = EVIL
            session.add(network)
            session.commit()
        await sb.command("U1", "help")
        shown = _all_text(sb.inbox("U1")[-1])
        assert "<https://evil.example|" not in shown and "&lt;https://evil.example|Tap here&gt;" in shown


async def test_a_pair_introduction_mentions_each_member_and_keeps_a_hostile_name_as_text(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("UFAC", name="Fac")
        await sb.command("UFAC", "help")
        sb.user("UANN", name=EVIL)
        sb.user("UBOB", name="Bob")
        await sb.command("UANN", "help")
        await sb.command("UBOB", "help")
        with sqlite_store.session() as session:
            fac = session.exec(select(Member).where(Member.platform_user_id == "UFAC")).one()
            fac.opted_out = ["pairing"]
            session.add(fac)
            session.commit()
        await sb.command("UFAC", "pairing run-now")
        await sb.press("UFAC", "Run round 1: pair 2 members")  # run-now asks first
        intros = [m for m in sb.slack.messages(sb.slack.dm_channel("UANN", "UBOB")) if "matched" in m["text"]]
        assert intros, [m["text"] for m in sb.slack.messages()]
        shown = _all_text(intros[-1])
        assert "<@UANN>" in shown and "<@UBOB>" in shown
        assert "<https://evil.example|" not in shown


def _intro(message: dict) -> bool:
    return ", round 1*" in message["text"]


async def test_a_trio_introduction_held_for_the_morning_goes_to_the_two_who_did_not_pause(sqlite_store, clock):
    """The group DM is opened for the members who may still get it: the one who paused overnight is left out."""
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("UFAC", name="Fac")
        await sb.command("UFAC", "help")
        for user in ("UANN", "UBOB", "UCY"):
            sb.user(user, name=user[1:].title(), tz="America/Los_Angeles")  # 01:00 there
            await sb.command(user, "help")
        with sqlite_store.session() as session:
            fac = session.exec(select(Member).where(Member.platform_user_id == "UFAC")).one()
            fac.opted_out = ["pairing"]
            session.add(fac)
            session.commit()
        await sb.command("UFAC", "pairing run-now")
        await sb.press("UFAC", "Run round 1: pair 3 members")
        trio, pair = sb.slack.dm_channel("UANN", "UBOB", "UCY"), sb.slack.dm_channel("UANN", "UBOB")
        assert not [m for m in sb.slack.messages() if _intro(m)]  # waits for 08:00 in Los Angeles
        await sb.command("UCY", "pause 1w")
        clock.advance(hours=7)
        await sb.beacon.tick(catch_up=None)
        await sb.settle()
        intros = [m for m in sb.slack.messages(pair) if _intro(m)]
        assert len(intros) == 1 and "<@UCY>" in _all_text(intros[0])  # the words as queued: nothing says why
        assert not [m for m in sb.slack.messages(trio) if _intro(m)]
        assert not [m for m in sb.inbox("UCY") if _intro(m)]
