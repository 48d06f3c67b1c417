"""The reflection flow through the real dispatcher, scheduler and outbox, on a fake clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import delete, select

from bot.app import build_app
from bot.flows.reflection.questions import QUESTION_SETS
from bot.settings import Settings
from bot.store.commitments import Commitment
from bot.store.models import AuditEntry, Conversation, Flow, FlowOccurrence, Role
from bot.store.reflection import Prompt, PromptStatus, Reflection, ReflectionAnswer
from tests.support.harness import Harness, MemoryAdapter

WEEKLY = QUESTION_SETS["weekly"]
UTC = UTC


async def _setup(h: Harness, *members: tuple[str, str], schedule: str = "every friday 16:00") -> None:
    h.add_member("fac", role=Role.FACILITATOR, timezone="Europe/London")
    for user, tz in members:
        h.add_member(user, timezone=tz)
    out = await h.command("fac", f"reflection add weekly weekly {schedule}")
    assert "Added the reflection `weekly`" in out[0].text


def _prompts(h: Harness, user: str) -> list:
    return [d for d in h.inbox(user) if "Weekly reflection" in d.text and "Answer now" in d.labels]


def _rows(h: Harness, model, *where):
    with h.store.session() as s:
        return list(s.exec(select(model).where(*where)))


async def test_weekly_reaches_three_zones_at_their_own_local_1600(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"), ("ben", "America/New_York"), ("chi", "Asia/Tokyo"))
    # Monday 09:00 UTC -> Friday 06:30 UTC: Tokyo's 16:00 is 07:00 UTC
    await h.tick(timedelta(days=3, hours=21, minutes=30), step=timedelta(hours=3))
    assert [_prompts(h, u) for u in ("ana", "ben", "chi")] == [[], [], []]
    await h.tick(minutes=30)
    assert h.clock.now() == datetime(2026, 11, 6, 7, 0, tzinfo=UTC)
    assert len(_prompts(h, "chi")) == 1 and not _prompts(h, "ana") and not _prompts(h, "ben")
    first = _prompts(h, "chi")[0]
    assert WEEKLY[0] in first.text
    assert first.labels == ["Answer now", "Later today", "Skip this week", "Pause reflections", "Pause until…"]
    # London 16:00 is 16:00 UTC
    await h.tick(timedelta(hours=8, minutes=30))
    assert not _prompts(h, "ana")
    await h.tick(minutes=30)
    assert len(_prompts(h, "ana")) == 1 and len(_prompts(h, "fac")) == 1 and not _prompts(h, "ben")
    # New York 16:00 is 21:00 UTC
    await h.tick(timedelta(hours=4, minutes=30))
    assert not _prompts(h, "ben")
    await h.tick(minutes=30)
    assert h.clock.now() == datetime(2026, 11, 6, 21, 0, tzinfo=UTC)
    assert len(_prompts(h, "ben")) == 1
    occurrences = {p.occurrence for p in _rows(h, Prompt)}
    assert occurrences == {"2026-11-06T16:00"}


async def test_double_tick_and_rerun_never_send_twice(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"), ("chi", "Asia/Tokyo"))
    await h.tick(timedelta(days=4, hours=7), step=timedelta(hours=6))  # Friday 16:00 UTC
    await h.beacon.tick(catch_up=None)
    await h.beacon.tick(catch_up=None)
    await h.beacon.delivery.drain()
    # even if the scheduler ran the same occurrences again (lost claims, a second process)
    with h.store.session() as s:
        s.exec(delete(FlowOccurrence))
        for f in s.exec(select(Flow)).all():
            f.checked_until = h.clock.now() - timedelta(days=2)
            s.add(f)
    await h.beacon.tick(catch_up=None)
    await h.beacon.delivery.drain()
    assert len(_prompts(h, "ana")) == 1 and len(_prompts(h, "chi")) == 1
    assert len(_rows(h, Prompt)) == 3  # ana, chi, fac


async def _run_now(h: Harness) -> list:
    """``reflection run-now weekly``, confirmed with its button."""
    out = await h.command("fac", "reflection run-now weekly")
    label = next(label for label in out[-1].labels if label.startswith("Send to"))
    out = await h.press("fac", label, message=out[-1])
    assert any("Sent `weekly`" in d.text for d in out)
    return out


async def test_answering_all_questions_stores_reflection_and_dated_commitment(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)  # Monday 2 November
    assert (await h.say("ana", "A new intake checklist"))[-1].text.startswith("*2/4*")
    await h.say("ana", "Fewer missed referrals")
    await h.say("ana", "Short checklists get used")
    out = await h.say("ana", "I'll share the checklist with the youth team by Friday")
    assert "Friday 6 November 2026" in out[-1].text and out[-1].labels == ["Looks right", "Change it"]
    out = await h.press("ana", "Looks right")
    assert any("Your reflection is saved" in d.text for d in out)
    (reflection,) = _rows(h, Reflection)
    assert reflection.completed_at is not None and not reflection.late
    answers = _rows(h, ReflectionAnswer)
    assert [a.answer for a in sorted(answers, key=lambda a: a.position)] == [
        "A new intake checklist", "Fewer missed referrals", "Short checklists get used",
        "I'll share the checklist with the youth team by Friday",
    ]  # fmt: skip
    (c,) = _rows(h, Commitment)
    assert c.text == "Share the checklist with the youth team by Friday"
    assert c.due_date == date(2026, 11, 6) and c.confirmed and c.reflection_id == reflection.id
    assert _rows(h, Prompt, Prompt.member_id == h.member("ana").id)[0].status == PromptStatus.ANSWERED
    assert not _rows(h, Conversation, Conversation.member_id == h.member("ana").id)


async def test_change_commitment_reparses_the_date(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    await h.say("ana", "1. Tried pairs\n2. It went well\n3. Pairs help\n4. Keep going")
    assert "no date" in h.last("ana").text
    await h.press("ana", "Change it")
    out = await h.say("ana", "Run two more pair sessions in 2 weeks")
    assert "Monday 16 November 2026" in out[-1].text
    await h.say("ana", "yes")
    (c,) = _rows(h, Commitment)
    assert c.due_date == date(2026, 11, 16) and c.confirmed and c.text.startswith("Run two more")


async def test_skip_and_back(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    await h.say("ana", "first try")
    out = await h.say("ana", "back")
    assert "*1/4*" in out[-1].text and "first try" in out[-1].text
    await h.say("ana", "better first answer")
    out = await h.say("ana", "skip")
    assert out[-1].text.startswith("*3/4*")
    out = await h.say("ana", "back")
    assert "*2/4*" in out[-1].text
    await h.say("ana", "skip")
    await h.say("ana", "learned a lot")
    await h.say("ana", "skip")  # no commitment answer: no commitment, straight to the summary
    answers = {a.position: a.answer for a in _rows(h, ReflectionAnswer)}
    assert answers == {0: "better first answer", 1: None, 2: "learned a lot", 3: None}
    assert not _rows(h, Commitment)
    assert "Your reflection is saved" in h.last("ana").text


async def test_back_on_first_question_and_all_at_once_paragraphs(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    out = await h.say("ana", "back")
    assert "nothing before it" in out[-1].text
    out = await h.say("ana", "Tried a huddle.\n\nPeople came.\n\nKeep it short.\n\nDo it again by 20 November")
    assert "answers to all 4 questions (paragraphs" in out[0].text
    assert "Friday 20 November 2026" in out[-1].text


async def test_late_replies_are_kept_and_marked_late(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    await h.say("ana", "on time")
    await h.tick(hours=49, step=timedelta(hours=7))
    out = await h.say("ana", "after the window")
    assert any("marked late" in d.text for d in out)
    answers = {a.position: a for a in _rows(h, ReflectionAnswer)}
    assert not answers[0].late and answers[1].late
    assert _rows(h, Reflection)[0].late


async def test_skip_this_week_ends_the_conversation(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    out = await h.press("ana", "Skip this week")
    assert "Skipped this one" in out[-1].text
    assert _rows(h, Prompt, Prompt.member_id == h.member("ana").id)[0].status == PromptStatus.SKIPPED
    out = await h.say("ana", "hello?")
    assert "don't have a question open" in out[-1].text


async def test_pause_stops_scheduled_prompts_until_resumed(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    out = await h.press("ana", "Pause reflections")
    assert any("won't send you reflection prompts" in d.text for d in out)
    assert "reflection" in h.member("ana").opted_out
    await h.tick(timedelta(days=5), step=timedelta(hours=4))  # past Friday 16:00
    assert len(_prompts(h, "ana")) == 1 and len(_prompts(h, "fac")) == 2
    await h.press("ana", "Resume reflections")
    assert "reflection" not in h.member("ana").opted_out
    await h.tick(timedelta(days=7), step=timedelta(hours=4))
    assert len(_prompts(h, "ana")) == 2


async def test_restart_mid_conversation_resumes_at_the_right_question(harness, sqlite_store, clock):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    await h.say("ana", "one")
    await h.say("ana", "two")
    await h.close()
    h2 = _restarted(sqlite_store, clock, h.network_id)
    try:
        out = await h2.say("ana", "three")
        assert out[-1].text.startswith("*4/4*") and WEEKLY[3] in out[-1].text
        out = await h2.say("ana", "write it up tomorrow")
        assert "Tuesday 3 November 2026" in out[-1].text
    finally:
        await h2.close()
    answers = {a.position: a.answer for a in _rows(h, ReflectionAnswer)}
    assert answers == {0: "one", 1: "two", 2: "three", 3: "write it up tomorrow"}


def _restarted(store, clock, network_id) -> Harness:
    """A second bot process on the same database (the network already exists)."""
    h = Harness.__new__(Harness)
    h.store, h.clock, h.adapter, h.network_id = store, clock, MemoryAdapter(), network_id
    h.beacon = build_app(Settings(BEACON_CONFIG="/nonexistent.yaml"), clock=clock, adapters=[h.adapter], store=store)
    return h


async def test_later_today_reminds_once_outside_quiet_hours(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)  # Monday 09:00 London
    await h.press("ana", "Later today")
    reminders = lambda: [d for d in h.inbox("ana") if "gentle reminder" in d.text]  # noqa: E731
    await h.tick(hours=2, minutes=30)
    assert not reminders()
    await h.tick(hours=1)  # 12:30: the 12:00 hourly run reminded
    assert len(reminders()) == 1 and "*1/4*" in reminders()[0].text
    await h.tick(hours=48, step=timedelta(hours=1))
    assert len(reminders()) == 1


async def test_reminder_waits_for_the_end_of_quiet_hours(harness):
    h = harness
    await _setup(h, ("ken", "Asia/Tokyo"))
    await h.command("fac", "reflection edit weekly window 24")
    await _run_now(h)  # Monday 09:00 UTC = 18:00 Tokyo; half window = 06:00 Tokyo, quiet until 08:00
    reminders = lambda: [d for d in h.inbox("ken") if "gentle reminder" in d.text]  # noqa: E731
    await h.tick(hours=13, minutes=30, step=timedelta(hours=1, minutes=30))  # 22:30 UTC = 07:30 Tokyo
    assert not reminders()
    await h.tick(minutes=30)  # 23:00 UTC = 08:00 Tokyo
    assert len(reminders()) == 1
    (p,) = _rows(h, Prompt, Prompt.member_id == h.member("ken").id)
    assert p.reminded_at == datetime(2026, 11, 2, 23, 0, tzinfo=UTC)
    await h.tick(hours=30, step=timedelta(hours=2))
    assert len(reminders()) == 1
    (p,) = _rows(h, Prompt, Prompt.member_id == h.member("ken").id)
    assert p.status == PromptStatus.EXPIRED


async def test_facilitator_commands_refused_politely_for_members(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    out = await h.command("ana", "reflection schedule weekly every monday 09:00")
    assert out[-1].text.startswith("Only facilitators can use `/beacon reflection schedule`")
    assert "Ask Fac" in out[-1].text
    assert _rows(h, Flow, Flow.kind == "reflection")[0].schedule == "every friday at 16:00"


async def test_schedule_change_is_validated_and_audited(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    out = await h.command("fac", "reflection schedule weekly every funday 16:00")
    assert "Usage: `/beacon reflection schedule" in out[-1].text
    out = await h.command("fac", "reflection schedule weekly every monday 10:00")
    assert "every Monday at 10:00" in out[-1].text
    (entry,) = _rows(h, AuditEntry, AuditEntry.action == "reflection.schedule")
    assert entry.before["schedule"] == "every friday at 16:00" and entry.after["schedule"] == "every monday at 10:00"


async def test_preview_shows_message_and_times_in_members_zones(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"), ("ben", "America/New_York"), ("chi", "Asia/Tokyo"), ("dee", "Asia/Tokyo"))
    out = await h.command("fac", "reflection preview weekly")
    text = out[-1].text
    assert WEEKLY[0] in text and "[Answer now] [Later today]" in text
    assert "Asia/Tokyo (2 members): Fri 6 Nov 16:00 (Fri 07:00 UTC)" in text
    assert "Europe/London (2 members): Fri 6 Nov 16:00 (Fri 16:00 UTC)" in text
    assert "America/New_York (1 member): Fri 6 Nov 16:00 (Fri 21:00 UTC)" in text


async def test_sharing_is_off_by_default_and_anonymous_when_chosen(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    await h.say("ana", "1. huddles\n2. they came\n3. short works\n4. keep going")
    out = await h.press("ana", "Looks right")
    assert not any("Share anonymously" in d.labels for d in out)  # off by default
    out = await h.command("fac", "reflection edit weekly share on")
    assert "set a channel first" in out[-1].text
    await h.command("fac", "reflection edit weekly channel #practice")
    out = await h.command("fac", "reflection run-now weekly")
    out = await h.press("fac", next(label for label in out[-1].labels if label.startswith("Send to")), message=out[-1])
    assert "already has it" in out[-1].text  # a second run in the same minute sends nothing
    await h.tick(hours=2)  # two unprompted messages to one member keep a 2-hour gap
    await _run_now(h)
    await h.say("ana", "1. pairs\n2. good talk\n3. *listening* matters\n4. more pairs by 20 November")
    out = await h.press("ana", "Looks right")
    offer = next(d for d in out if "Share anonymously" in d.labels)
    assert "*listening* matters" in offer.text.replace("\u2063", "")
    await h.press("ana", "Share anonymously", message=offer)
    (post,) = h.inbox("#practice")
    assert "a member" in post.text and "Ana" not in post.text and "listening" in post.text
    assert "pairs" not in post.text  # only the excerpt, never the whole reflection
    shared = _rows(h, Reflection, Reflection.shared.is_not(None))
    assert [r.shared for r in shared] == ["anonymous"]
    out = await h.command("fac", "reflection list")
    assert "4 sent, 2 answered, 0 skipped, 1 shared" in out[-1].text
    assert "pairs" not in out[-1].text  # counts only, no answers


async def test_member_reflect_now_and_read_past_reflections(harness):
    h = harness
    h.add_member("ana", timezone="Europe/London")
    out = await h.command("ana", "reflect")  # no flow configured: the weekly questions
    assert WEEKLY[0] in out[0].text
    out = await h.command("ana", "reflect")
    assert "middle of a reflection" in out[0].text and "*1/4*" in out[-1].text
    await h.say("ana", "1. a\n2. b\n3. c\n4. d")
    await h.say("ana", "yes")
    out = await h.command("ana", "reflections")
    assert WEEKLY[2] in out[-1].text and "\nc" in out[-1].text
    out = await h.command("bob", "reflections")
    assert "haven't written a reflection yet" in out[-1].text


async def test_audience_cohort_and_custom_questions(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    h.add_member("nor", timezone="Europe/London", cohort="North")
    out = await h.command("fac", "reflection audience weekly cohort north")
    assert "the cohort north: 1 member." in out[-1].text
    out = await h.command("fac", 'reflection questions weekly "What surprised you?" "What will you try next, and by when?"')
    assert "1. What surprised you?" in out[-1].text
    await _run_now(h)
    assert len(_prompts(h, "nor")) == 1 and not _prompts(h, "ana")
    assert "What surprised you?" in _prompts(h, "nor")[0].text
    await h.say("nor", "the turnout")
    out = await h.say("nor", "try it again next week")
    assert "Friday 13 November 2026" in out[-1].text
    actions = [e.action for e in _rows(h, AuditEntry)]
    assert actions == ["reflection.add", "reflection.audience", "reflection.questions"]


async def test_export_and_forget_a_members_reflections(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)
    await h.say("ana", "1. a\n2. b\n3. c\n4. call Sam by Friday")
    await h.press("ana", "Looks right")
    spec = h.beacon.router.personal["reflection"]
    with h.store.session() as s:
        ana = s.get(type(h.member("ana")), h.member("ana").id)
        data = spec.export(s, ana)
        assert data["commitments"][0]["due_date"] == "2026-11-06"
        assert [a["answer"] for a in data["reflections"][0]["answers"]] == ["a", "b", "c", "call Sam by Friday"]
        spec.forget(s, ana, False)
    assert not _rows(h, Reflection) and not _rows(h, Commitment) and not _rows(h, ReflectionAnswer)
    assert [p.member_id for p in _rows(h, Prompt)] == [h.member("fac").id]


async def test_undo_takes_a_schedule_change_back(harness):
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await h.command("fac", "reflection schedule weekly every monday 10:00")
    out = await h.command("fac", "undo")
    assert "Put the reflection `weekly` flow back as it was" in out[-1].text
    assert _rows(h, Flow, Flow.kind == "reflection")[0].schedule == "every friday at 16:00"


async def test_a_flow_seeded_from_config_runs_and_gets_its_reminder_schedule(harness):
    h = harness
    h.add_member("ana", timezone="Europe/London")
    with h.store.session() as s:  # as config seeding or /beacon setup creates it: no settings
        s.add(Flow(network_id=h.network_id, kind="reflection", name="weekly", schedule="every friday at 16:00",
                   created_at=h.clock.now(), updated_at=h.clock.now()))  # fmt: skip
    await h.tick(timedelta(days=4, hours=7), step=timedelta(hours=6))
    assert len(_prompts(h, "ana")) == 1 and "reply by Tuesday 16:00" in _prompts(h, "ana")[0].text
    (reminders,) = _rows(h, Flow, Flow.kind == "reflection_reminders")
    assert reminders.schedule == "0 * * * *" and reminders.enabled


async def test_a_commitment_is_followed_up_on_its_due_date_without_any_meeting_set_up(harness):
    """ "What will you do next?" becomes a commitment the bot follows up, even in a
    network whose facilitator never added a meeting or touched the nudges."""
    h = harness
    await _setup(h, ("ana", "Europe/London"))
    await _run_now(h)  # Monday 2 November
    for answer in ("A new intake checklist", "Fewer missed referrals", "Short checklists get used",
                   "I'll share the checklist with the youth team by Friday"):  # fmt: skip
        await h.say("ana", answer)
    await h.press("ana", "Looks right")

    await h.tick(timedelta(days=5), step=timedelta(hours=1))  # to Saturday 7 November

    followups = [d for d in h.inbox("ana") if "Share the checklist with the youth team" in d.text
                 and "Done" in " ".join(d.labels)]  # fmt: skip
    assert len(followups) == 1, [d.text for d in h.inbox("ana")]
    assert followups[0].text.startswith("*A gentle nudge*")  # within the weekly cap and quiet hours
