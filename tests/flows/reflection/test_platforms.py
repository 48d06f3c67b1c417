"""A whole reflection, end to end, through each platform's real library and fake server:
the facilitator sets it up by slash command, the scheduler sends the prompt at
the member's local 16:00, the member answers in chat, and the commitment is stored."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from bot.store.commitments import Commitment
from bot.store.reflection import Reflection, ReflectionAnswer
from tests.support.slack import slack_bot
from tests.support.telegram import GROUP_ID, TelegramHarness

ANSWERS = [
    "Ran the first youth forum at the library.",
    "Twelve young people came; two want to co-chair.",
    "Asking them to set the agenda doubled the turnout.",
    "Meet the two co-chairs by Friday.",
]


def _stored(store):
    with store.session() as s:
        reflections = s.exec(select(Reflection)).all()
        answers = [a.answer for a in s.exec(select(ReflectionAnswer).order_by(ReflectionAnswer.position))]
        commitments = s.exec(select(Commitment)).all()
    return reflections, answers, commitments


async def test_reflection_through_slack(sqlite_store, clock):
    # clock starts Monday 2 Nov 2026 09:00 UTC
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("UFAC", name="Fay", tz="Europe/London")
        sb.user("UADA", name="Ada", tz="America/New_York")
        await sb.command("UFAC", "help")  # first contact: Fay sets the network up
        await sb.command("UFAC", "reflection add weekly weekly every friday 16:00")
        assert "weekly" in sb.last_text("UFAC").lower()
        await sb.command("UADA", "help")  # Ada joins by talking to the bot
        # Friday 6 Nov: 16:00 in New York is 21:00 UTC; nothing reaches Ada before then
        clock.set(clock.now().replace(day=6, hour=20, minute=30))
        await sb.beacon.tick(catch_up=None)
        await sb.settle()
        assert "What did you try" not in sb.last_text("UADA")
        clock.advance(minutes=31)
        await sb.beacon.tick(catch_up=None)
        await sb.settle()
        assert "What did you try since we last met?" in sb.last_text("UADA")
        await sb.press("UADA", "Answer now")
        for answer in ANSWERS:
            await sb.dm("UADA", answer)
        await sb.press("UADA", "Looks right")
    reflections, answers, commitments = _stored(sqlite_store)
    assert len(reflections) == 1 and reflections[0].completed_at is not None
    assert answers == ANSWERS
    assert [(c.text, c.due_date, c.confirmed) for c in commitments] == [("Meet the two co-chairs by Friday.", date(2026, 11, 13), True)]


async def test_reflection_through_telegram(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join", user_id=1001)  # the first to join facilitates
        await th.command("start", str(GROUP_ID), user_id=1001)  # opens the private chat
        await th.command("beacon", "reflection add weekly weekly every friday 16:00", user_id=1001)
        await th.group_command("join", user_id=1002)
        await th.command("start", str(GROUP_ID), user_id=1002)
        clock.set(clock.now().replace(day=6, hour=15, minute=59))  # network time zone is UTC
        await th.beacon.tick(catch_up=None)
        await th.beacon.delivery.drain()
        assert not any("What did you try" in t for t in th.texts(1002))
        clock.advance(timedelta(minutes=2))
        await th.beacon.tick(catch_up=None)
        await th.beacon.delivery.drain()
        assert "What did you try since we last met?" in th.last_text(1002)
        await th.press("Answer now", user_id=1002)
        for answer in ANSWERS:
            await th.say(answer, user_id=1002)
        await th.press("Looks right", user_id=1002)
        # the member's answers are theirs alone: nothing was posted in the group
        assert not any(ANSWERS[2] in t for t in th.texts(GROUP_ID))
    reflections, answers, commitments = _stored(sqlite_store)
    assert len(reflections) == 1 and reflections[0].completed_at is not None
    assert answers == ANSWERS
    assert [(c.text, c.due_date, c.confirmed) for c in commitments] == [("Meet the two co-chairs by Friday.", date(2026, 11, 13), True)]
