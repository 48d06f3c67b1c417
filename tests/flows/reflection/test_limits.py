"""A member's quiet hours and weekends hold for scheduled prompts and their reminders.

The clock starts on Monday 2 November 2026, 09:00 UTC (London is on UTC then).
Members keep the default limits: quiet 20:00-08:00 and at weekends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.core.messages import Address, Outgoing
from bot.store.models import Network, OutboxMessage, Role
from bot.store.reflection import Prompt, ReflectionAnswer
from tests.support.harness import Harness
from tests.support.telegram import GROUP_ID, TelegramHarness


async def _setup(h: Harness, schedule: str, *members: tuple[str, str]) -> None:
    h.add_member("fac", role=Role.FACILITATOR, timezone="Europe/London", quiet_hours="", quiet_weekends=False)
    for user, tz in members:
        h.add_member(user, timezone=tz)
    out = await h.command("fac", f"reflection add weekly weekly {schedule}")
    assert "Added the reflection `weekly`" in out[0].text


def _prompts(h: Harness, user: str) -> list:
    return [d for d in h.inbox(user) if "Weekly reflection" in d.text and "Answer now" in d.labels]


def _reminders(h: Harness, user: str) -> list:
    return [d for d in h.inbox(user) if "gentle reminder" in d.text]


def _prompt_row(h: Harness, user: str) -> Prompt:
    with h.store.session() as s:
        return s.exec(select(Prompt).where(Prompt.member_id == h.member(user).id).order_by(Prompt.id)).all()[-1]


async def test_a_prompt_due_in_quiet_hours_waits_for_the_morning_and_its_window_counts_from_then(harness):
    h = harness
    await _setup(h, "every day 23:00", ("ana", "Europe/London"))
    await h.tick(hours=14, step=timedelta(hours=1))  # Monday 23:00
    assert _prompts(h, "fac") and not _prompts(h, "ana")  # the facilitator keeps no quiet hours
    await h.tick(hours=8, minutes=30, step=timedelta(minutes=30))  # Tuesday 07:30
    assert not _prompts(h, "ana")
    await h.tick(minutes=30)  # Tuesday 08:00
    assert len(_prompts(h, "ana")) == 1
    p = _prompt_row(h, "ana")
    assert p.sent_at == datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    assert p.window_closes_at == datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
    out = await h.say("ana", "Tried a new agenda")  # the conversation is open once the prompt arrived
    assert out and out[-1].text.startswith("*2/4*")


async def test_a_message_during_the_night_is_not_taken_as_an_answer_to_a_prompt_not_yet_sent(harness):
    h = harness
    await _setup(h, "every day 23:00", ("ana", "Europe/London"))
    await h.tick(hours=14, minutes=30, step=timedelta(hours=1))  # Monday 23:30: ana's prompt waits for 08:00
    await h.say("ana", "hello")
    with h.store.session() as s:
        assert not s.exec(select(ReflectionAnswer)).all()
    await h.tick(hours=9)
    assert len(_prompts(h, "ana")) == 1 and "1/4" in _prompts(h, "ana")[0].text


async def test_a_saturday_schedule_reaches_a_member_with_quiet_weekends_on_monday_morning(harness):
    h = harness
    await _setup(h, "every saturday 10:00", ("ana", "Europe/London"), ("ben", "Europe/London"))
    await h.command("ben", "settings weekends ok")  # ben is happy to hear at weekends
    await h.tick(days=5, hours=1, step=timedelta(hours=1))  # Saturday 10:00
    assert not _prompts(h, "ana") and len(_prompts(h, "ben")) == 1
    await h.tick(days=1, hours=21, step=timedelta(hours=1))  # Monday 07:00
    assert not _prompts(h, "ana")
    await h.tick(hours=1)
    assert len(_prompts(h, "ana")) == 1 and _prompt_row(h, "ana").sent_at == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)


async def test_the_default_friday_prompt_gets_exactly_one_reminder_at_an_allowed_hour(harness):
    h = harness
    await _setup(h, "every friday 16:00", ("ana", "Europe/London"))
    await h.tick(days=4, hours=7, step=timedelta(hours=1))  # Friday 16:00
    assert len(_prompts(h, "ana")) == 1
    await h.tick(days=6, step=timedelta(hours=1))  # to Thursday: the window and then some
    reminders = _reminders(h, "ana")
    assert len(reminders) == 1
    (reminder_at,) = reminders
    p = _prompt_row(h, "ana")
    assert p.reminded_at == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)  # Monday morning, not Friday night or the weekend
    assert p.window_closes_at == datetime(2026, 11, 10, 16, 0, tzinfo=UTC)  # the weekend does not count
    assert reminder_at.text.startswith("A gentle reminder")


async def test_telegram_member_gets_a_late_evening_prompt_next_morning(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join", user_id=1001)  # the first to join facilitates
        await th.command("start", str(GROUP_ID), user_id=1001)
        await th.command("beacon", "reflection add weekly weekly every day 23:00", user_id=1001)
        await th.group_command("join", user_id=1002)
        await th.command("start", str(GROUP_ID), user_id=1002)
        clock.set(clock.now().replace(hour=23, minute=1))  # network time zone is UTC
        await th.beacon.tick(catch_up=None)
        await th.beacon.delivery.drain()
        assert not any("What did you try" in t for t in th.texts(1002))
        clock.set(clock.now().replace(day=3, hour=8, minute=1))
        await th.beacon.tick(catch_up=None)
        await th.beacon.delivery.drain()
        assert "What did you try since we last met?" in th.last_text(1002)
        assert "reply by Thursday 08:00" in th.last_text(1002)  # the window's real end, not "within 48 hours"


async def test_a_schedule_in_quiet_hours_is_accepted_with_a_warning_saying_who_gets_it_later_and_when(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR, timezone="Europe/London")
    h.add_member("ana", timezone="Europe/London")
    h.add_member("ben", timezone="Europe/London", quiet_hours="", quiet_weekends=False)
    out = await h.command("fac", "reflection add weekly weekly every day 23:00")
    assert "Added the reflection `weekly`" in out[0].text
    assert "2 of 3 members are in their quiet hours or weekend then and will get it later (most on Tue 08:00" in out[0].text
    out = await h.command("fac", 'reflection schedule weekly "every friday 16:00"')
    assert "quiet hours" not in out[-1].text


async def test_a_commitment_with_no_date_is_followed_up_two_weeks_later(harness):
    h = harness
    await _setup(h, "every monday 10:00", ("ana", "Europe/London"))
    await h.tick(hours=1)  # Monday 2 November 10:00: the prompt
    for answer in ("A new intake checklist", "Fewer missed referrals", "Short checklists get used", "Share the checklist with the youth team"):
        await h.say("ana", answer)
    await h.press("ana", "Looks right")
    asked = lambda: [d for d in h.inbox("ana") if "Share the checklist with the youth team" in d.text and "Done" in d.labels]  # noqa: E731
    await h.tick(days=13, step=timedelta(hours=2))
    assert not asked()
    await h.tick(days=1, hours=1, step=timedelta(hours=1))  # Monday 16 November 09:00 has passed
    assert len(asked()) == 1 and asked()[0].text.startswith("*A gentle nudge*")


async def test_run_now_keeps_the_quiet_hours_of_members_it_reaches_at_night(harness):
    """A facilitator's press is not the member's: run-now used to wake a member at 01:00."""
    h = harness
    await _setup(h, "every friday 16:00", ("ana", "Europe/London"), ("lee", "America/Los_Angeles"))  # 09:00 and 01:00
    out = await h.command("fac", "reflection run-now weekly")
    done = await h.press("fac", next(label for label in out[-1].labels if label.startswith("Send to")), message=out[-1])
    assert "1 member in their quiet hours will get it when they end" in done[-1].text
    assert len(_prompts(h, "ana")) == 1 and not _prompts(h, "lee")
    await h.tick(hours=6, minutes=30, step=timedelta(minutes=30))  # 07:30 in Los Angeles
    assert not _prompts(h, "lee")
    await h.tick(minutes=30)  # 08:00 there
    assert len(_prompts(h, "lee")) == 1


async def test_the_prompt_states_when_its_window_really_closes_in_the_members_terms(harness):
    """A Friday prompt's 48 hours skip the quiet weekend, so it closes on Tuesday,
    not "within 48 hours"; a member in another zone reads their own clock."""
    h = harness
    await _setup(h, "every friday 16:00", ("ana", "Europe/London"), ("kai", "Asia/Tokyo"))
    await h.command("fac", "reflection edit weekly window 72")
    await h.tick(days=4, hours=8, step=timedelta(hours=1))  # Friday 17:00 UTC: London's 16:00 has gone
    (ana,) = _prompts(h, "ana")
    assert "reply by Wednesday 16:00" in ana.text and "within" not in ana.text  # Friday 16:00 + 72 hours, weekend not counted
    (fac,) = _prompts(h, "fac")  # no quiet weekends: the plain 72 hours
    assert "reply by Monday 16:00" in fac.text
    (kai,) = _prompts(h, "kai")  # Tokyo's Friday 16:00 is 07:00 UTC
    assert "reply by Wednesday 16:00" in kai.text


async def test_a_prompt_held_for_the_morning_does_not_go_to_a_member_who_paused_in_the_night(harness):
    h = harness
    await _setup(h, "every day 23:00", ("ana", "Europe/London"), ("ben", "Europe/London"), ("cy", "Europe/London"))
    await h.tick(hours=14, minutes=30, step=timedelta(hours=1))  # Monday 23:30: their prompts wait for 08:00
    await h.command("ana", "pause 1w")
    await h.command("ben", "settings reflection off")
    await h.tick(hours=9)  # Tuesday 08:30
    assert not _prompts(h, "ana") and not _prompts(h, "ben")
    assert len(_prompts(h, "cy")) == 1
    assert _prompt_row(h, "ana").status == "expired"  # never seen, so never reminded
    await h.command("ana", "resume")
    await h.tick(hours=12, step=timedelta(hours=1))
    assert not _reminders(h, "ana")


async def test_a_message_queued_before_the_limits_were_recorded_is_still_delivered(harness):
    """Rows written before the outbox said which messages were unprompted are replies, as they always were."""
    h = harness
    ana = h.add_member("ana", timezone="Europe/London", paused_until=h.clock.now() + timedelta(days=7))
    with h.store.session() as s:
        s.add(OutboxMessage(key="old:1", network_id=h.network_id, platform="console", member_id=ana.id,
                            payload=Outgoing(text="An old reply", to=Address.member(ana.id)).to_dict(),
                            next_attempt_at=h.clock.now(), created_at=h.clock.now()))  # fmt: skip
    await h.tick(minutes=1)
    assert [d.text for d in h.inbox("ana")] == ["An old reply"]


def _sent_unprompted(h: Harness, user: str) -> list[tuple[datetime, str]]:
    with h.store.session() as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.member_id == h.member(user).id, OutboxMessage.unprompted.is_not(None),
                                                  OutboxMessage.status == "sent").order_by(OutboxMessage.sent_at)).all()  # fmt: skip
        return [(r.sent_at, r.key) for r in rows]


async def test_unprompted_messages_to_one_member_are_spaced_by_two_hours_inside_allowed_hours(harness):
    """Two flows due within the hour (as around a meeting) do not arrive as a burst:
    the later waits for the gap, and its answer window starts when it arrives."""
    h = harness
    await _setup(h, "every friday 16:00", ("ana", "Europe/London"))
    out = await h.command("fac", "reflection add practice weekly every friday 16:30")
    assert "Added the reflection `practice`" in out[0].text
    out = await h.command("fac", "reflection add late weekly every friday 17:00")
    await h.tick(days=4, hours=9, step=timedelta(minutes=30))  # Friday 18:00
    times = [at for at, _ in _sent_unprompted(h, "ana")]
    assert times == [datetime(2026, 11, 6, 16, 0, tzinfo=UTC), datetime(2026, 11, 6, 18, 0, tzinfo=UTC)]
    await h.tick(days=3, hours=1, step=timedelta(hours=1))  # Monday 19:00: the third waited past 20:00 and the weekend
    times = [at for at, _ in _sent_unprompted(h, "ana")]
    assert times[:3] == [datetime(2026, 11, 6, 16, 0, tzinfo=UTC), datetime(2026, 11, 6, 18, 0, tzinfo=UTC),
                         datetime(2026, 11, 9, 8, 0, tzinfo=UTC)]  # fmt: skip
    with h.store.session() as s:
        late = s.exec(select(Prompt).where(Prompt.member_id == h.member("ana").id).order_by(Prompt.sent_at)).all()[-1]
    assert late.sent_at == datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    assert all(b - a >= timedelta(hours=2) for a, b in zip(times, times[1:]))


async def test_a_reminder_kept_back_by_the_gap_still_goes_inside_its_window(harness):
    """A network with a day-long gap: the reminder of a 25-hour window waits for the gap until its window's last
    hour, when reminders no longer go. The gap gives way to the window end, so the one reminder still goes."""
    h = harness
    await _setup(h, "every tuesday 09:00", ("ana", "Europe/London"))
    out = await h.command("fac", "reflection edit weekly window 25")  # closes Wednesday 10:00
    assert "25 hours" in out[0].text
    with h.store.session() as s:
        network = s.get(Network, h.network_id)
        network.settings = {**(network.settings or {}), "message_gap_hours": 24}
        s.add(network)
        s.commit()
    await h.tick(days=2, hours=1, step=timedelta(hours=1))  # Wednesday 10:00
    assert len(_prompts(h, "ana")) == 1
    assert len(_reminders(h, "ana")) == 1
    p = _prompt_row(h, "ana")
    assert p.reminded_at == datetime(2026, 11, 4, 8, 0, tzinfo=UTC)  # the first allowed hour, inside the window
