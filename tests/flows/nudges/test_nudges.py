"""Nudges through the real dispatcher and scheduler, over several weeks of a fake clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from bot.core.availability import WEEKLY_CAP
from bot.core.followups import FOLLOW_UP_CREATED, FollowUp, FollowUpSource, in_order
from bot.flows.nudges.data import snapshot
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.models import Flow, Member, Network, OutboxMessage, Role
from bot.store.nudges import NudgeLog
from bot.store.pairing import PairGroup, PairingRound, PairMember
from bot.store.practices import Practice, Steal
from bot.store.reflection import Prompt

UTC = UTC


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


async def setup(h, *, meeting: str | None = None):
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana")
    h.add_member("bo")
    if meeting:
        out = await h.command("fac", f'meeting add {meeting} "Winter session"')
        assert "Added meeting" in out[-1].text
    else:
        await h.command("fac", "nudges rules")  # first use creates the hourly flow


def nudges(h, user: str):
    return [d for d in h.inbox(user) if d.text.startswith("*A gentle nudge*") and d.outgoing.edit is None]


async def hours(h, n: int) -> list[tuple[datetime, object]]:
    """Tick hour by hour; what arrived, with the time it arrived."""
    got = []
    for _ in range(n):
        for d in await h.tick(timedelta(hours=1), step=timedelta(hours=1)):
            got.append((h.clock.now(), d))
    return got


async def jump_to(h, when: datetime) -> None:
    await h.tick(when - h.clock.now(), step=timedelta(hours=6))


def add_commitment(h, user: str, text: str, due: date) -> int:
    mid = h.member(user).id
    with h.store.session() as s:
        c = Commitment(network_id=h.network_id, member_id=mid, text=text, due_date=due,
                       created_at=h.clock.now(), updated_at=h.clock.now())  # fmt: skip
        s.add(c)
        s.flush()
        return c.id


def add_steal(h, user: str, title: str, due: datetime) -> int:
    author, mid = h.member("fac").id, h.member(user).id
    with h.store.session() as s:
        p = Practice(network_id=h.network_id, author_id=author, title=title,
                     created_at=h.clock.now(), updated_at=h.clock.now())  # fmt: skip
        s.add(p)
        s.flush()
        st = Steal(practice_id=p.id, member_id=mid, mode="adapted", created_at=h.clock.now(),
                   updated_at=h.clock.now(), follow_up_due=due)  # fmt: skip
        s.add(st)
        s.flush()
        return st.id


def add_pair(h, member_ids, **round_fields) -> int:
    """A pairing flow whose one round paired ``member_ids`` (``round_fields``: its follow-up); the group's id."""
    with h.store.session() as s:
        flow = Flow(network_id=h.network_id, kind="pairing", name="pairs", created_at=h.clock.now(), updated_at=h.clock.now())
        s.add(flow)
        s.flush()
        rnd = PairingRound(network_id=h.network_id, flow_id=flow.id, number=1, seed="x", ran_at=h.clock.now(), **round_fields)
        s.add(rnd)
        s.flush()
        g = PairGroup(round_id=rnd.id, created_at=h.clock.now())
        s.add(g)
        s.flush()
        s.add_all([PairMember(group_id=g.id, round_id=rnd.id, member_id=m) for m in member_ids])
        return g.id


async def test_commitment_and_before_meeting_come_once_as_one_message_and_answers_update(harness):
    h = harness
    await setup(h, meeting="2026-11-19 14:00")  # Thursday; nudges go Monday 16th at 14:00
    cid = add_commitment(h, "ana", "Call the youth team", date(2026, 11, 17))
    add_commitment(h, "bo", "Write up the pilot", date(2026, 12, 20))  # due after the meeting: listed, not asked
    await jump_to(h, at(16, 10))
    assert nudges(h, "ana") == [] and nudges(h, "bo") == []
    got = await hours(h, 6)
    ana = [(t, d) for t, d in got if d.to == "ana" and d.text.startswith("*A gentle nudge*")]
    assert [t for t, _ in ana] == [at(16, 14)]
    msg = ana[0][1]
    assert "2 things" in msg.text and "Call the youth team" in msg.text and "Bring one thing you tried" in msg.text
    assert msg.labels == ["1: Done", "1: Still going", "1: Drop it", "Not now", "Stop these", "Pause until…"]
    bo = [d for t, d in got if d.to == "bo"]
    assert len(bo) == 1 and "Write up the pilot" in bo[0].text and bo[0].labels == ["Not now", "Stop these", "Pause until…"]

    out = await h.press("ana", "1: Done", message=msg)
    assert out[-1].labels == ["Not now", "Stop these", "Pause until…"] and "✓ Done" in out[-1].text
    with h.store.session() as s:
        assert s.get(Commitment, cid).status == CommitmentStatus.DONE
        asked = s.exec(select(NudgeLog.sent_at).where(NudgeLog.subject == f"commitment:{cid}")).all()
        assert asked == [at(16, 14)]  # the nudge log says when it was asked
    # weeks later: nothing is raised again
    await h.tick(timedelta(weeks=3), step=timedelta(hours=3))
    assert len(nudges(h, "ana")) == 1 and len(nudges(h, "bo")) == 1


async def test_weekly_cap_holds_across_rules_and_what_waits_comes_combined(harness):
    h = harness
    await setup(h)
    await h.command("fac", "nudges cap 2")
    for i, due in enumerate([at(3, 10), at(4, 10), at(5, 10), at(7, 12)]):  # Tue, Wed, Thu, Saturday
        add_steal(h, "ana", f"Practice {i}", due)
    add_commitment(h, "ana", "Try the new intake form", date(2026, 11, 5))  # no meeting: asked on its day at 09:00
    got = await hours(h, 8 * 24 + 6)
    ana = [(t, d) for t, d in got if d.to == "ana"]
    assert [t for t, _ in ana] == [at(3, 10), at(4, 10), at(10, 10)]
    last = ana[-1][1].text
    assert "3 things" in last and "Practice 2" in last and "Practice 3" in last and "Try the new intake form" in last
    with h.store.session() as s:
        assert len({log.batch for log in s.exec(select(NudgeLog))}) == 3


async def test_quiet_hours_wait_for_the_next_allowed_hour_in_the_members_zone(harness):
    h = harness
    await setup(h)
    ana = h.member("ana").id
    with h.store.session() as s:
        m = s.get(Member, ana)
        m.timezone, m.quiet_hours = "Asia/Tokyo", "21:00-09:00"
        s.add(m)
    add_steal(h, "ana", "Buddy reading", at(3, 14))  # 23:00 Tuesday in Tokyo
    got = await hours(h, 45)
    assert [t for t, d in got if d.to == "ana"] == [at(4, 0)]  # 09:00 Wednesday in Tokyo


async def test_not_now_snoozes_a_week_and_stop_these_opts_out_at_once(harness):
    h = harness
    await setup(h)
    add_steal(h, "ana", "Buddy reading", at(3, 10))
    await hours(h, 26)
    assert len(nudges(h, "ana")) == 1
    out = await h.press("ana", "Not now")
    assert "leave these for a week" in out[-1].text and out[-1].labels == []
    await h.tick(timedelta(days=6), step=timedelta(hours=2))
    assert len(nudges(h, "ana")) == 1
    got = await hours(h, 30)
    assert [t for t, d in got if d.to == "ana"] == [at(10, 11)]  # a week after "Not now" (pressed at 11:00)
    out = await h.press("ana", "Stop these")
    assert "no more steal nudges" in out[-1].text
    assert "nudges:steal" in h.member("ana").opted_out
    add_steal(h, "ana", "Peer review", h.clock.now())
    await h.tick(timedelta(days=3), step=timedelta(hours=1))
    assert len(nudges(h, "ana")) == 2


async def test_steal_answer_updates_the_steal_and_practices_no_longer_asks_itself(harness):
    h = harness
    await setup(h)
    sid = add_steal(h, "ana", "Buddy reading", at(3, 10))
    with h.store.session() as s:  # the practices flow's own hourly follow-up exists too
        from bot.store.models import Flow

        s.add(Flow(network_id=h.network_id, kind="practice_followups", name="steal follow-ups", schedule="0 * * * *",
                   created_at=h.clock.now(), updated_at=h.clock.now()))  # fmt: skip
    await hours(h, 26)
    asked = [d for d in h.inbox("ana") if "How did it go" in d.text]
    assert len(asked) == 1 and asked[0].text.startswith("*A gentle nudge*")
    assert asked[0].labels[:4] == ["Worked", "Partly worked", "Didn't work", "Too early to say"]
    await h.press("ana", "Partly worked", message=asked[0])
    await h.say("ana", "Worked for the older readers")
    with h.store.session() as s:
        steal = s.get(Steal, sid)
        assert (steal.outcome, steal.outcome_note) == ("partly", "Worked for the older readers")
        assert s.exec(select(NudgeLog)).one().outcome == "answered"


async def test_paused_and_unreachable_members_get_nothing_until_back(harness):
    h = harness
    h.add_member("cy", unreachable=True)
    await setup(h, meeting="2026-11-12 14:00")  # Thursday: before-meeting nudges Monday 9th at 14:00
    await h.command("bo", "pause until 2026-11-10")
    await jump_to(h, at(9, 12))
    got = await hours(h, 6)
    assert sorted({d.to for _, d in got}) == ["ana", "fac"]
    await jump_to(h, at(9, 23))
    got = await hours(h, 10)  # bo's pause ends at midnight; the nudge waits for his quiet hours to end
    assert [(t, d.to) for t, d in got] == [(at(10, 8), "bo")]
    cy = h.member("cy").id
    with h.store.session() as s:
        assert cy not in {log.member_id for log in s.exec(select(NudgeLog))}


async def test_pair_that_has_not_met_gets_one_nudge_and_the_answer_updates_the_pair(harness):
    h = harness
    await setup(h, meeting="2026-11-19 14:00")
    ids = [h.member(u).id for u in ("ana", "bo")]
    gid = add_pair(h, ids, followup_at=at(30, 9), followup_sent=False)
    await jump_to(h, at(16, 12))
    await hours(h, 4)
    for user, other in (("ana", "Bo"), ("bo", "Ana")):
        box = nudges(h, user)
        assert len(box) == 1 and f"You and {other} haven't met yet" in box[0].text
    await h.press("ana", "1: We met")
    with h.store.session() as s:
        assert s.get(PairGroup, gid).status == "met"
    await h.tick(timedelta(days=2), step=timedelta(hours=2))
    assert len(nudges(h, "ana")) == 1 and len(nudges(h, "bo")) == 1


async def test_the_after_meeting_reflection_goes_after_each_meeting_once_and_not_on_a_schedule(harness):
    """It used to run every Friday, meeting or not, and a nudge offered it again: now the
    prompt itself goes two hours after the meeting ends, once per member, and nothing else."""
    h = harness
    await setup(h, meeting="2026-11-05 14:00")
    out = await h.command("fac", "reflection add debrief after_meeting every monday 09:00")
    assert "takes no schedule" in out[-1].text
    out = await h.command("fac", "reflection add debrief after_meeting")
    assert "Added the reflection" in out[-1].text and "two hours after each meeting ends" in out[-1].text
    got = await hours(h, 3 * 24 + 7)  # Monday 09:00 to Thursday 16:00: no prompt before the meeting and its two hours
    assert not [d for _, d in got if "Debrief reflection" in d.text]
    got = await hours(h, 5 * 24)  # on to Tuesday 10 November
    after = [(t, d) for t, d in got if d.to == "ana" and "Debrief reflection" in d.text]
    assert [t for t, _ in after] == [at(5, 17)]  # the meeting ended at 15:00; once, not on Monday at 09:00
    assert "What struck you most at the meeting?" in after[0][1].text
    assert not [d for _, d in got if "How did *Winter session* go?" in d.text]  # no nudge repeating it
    ana = h.member("ana").id
    with h.store.session() as s:
        prompt = s.exec(select(Prompt).where(Prompt.member_id == ana)).one()
        assert prompt.occurrence.startswith("meeting:")


async def test_facilitator_rules_cap_undo_and_preview_sends_nothing(harness):
    h = harness
    await setup(h, meeting="2026-11-11 14:00")  # due Sunday 8th: quiet weekend, so Monday 08:00
    out = await h.command("ana", "nudges off pair")
    assert "Only facilitators" in out[-1].text
    out = await h.command("fac", "nudges off before_meeting")
    assert "off for the network" in out[-1].text
    out = await h.command("fac", "nudges preview")
    assert "Nobody would be nudged" in out[-1].text
    await h.command("fac", "undo")
    with h.store.session() as s:
        assert s.get(Network, h.network_id).settings.get("nudges", {}).get("before_meeting", True) is True
    out = await h.command("fac", "nudges off bogus")
    assert "no nudge rule `bogus`" in out[-1].text
    out = await h.command("fac", "nudges cap 15")
    assert "At most 14" in out[-1].text
    await h.command("fac", "nudges cap 1")
    assert "at most 1 unprompted messages a week" in (await h.command("fac", "nudges rules"))[-1].text
    with h.store.session() as s:
        before = len(s.exec(select(OutboxMessage)).all())
    out = await h.command("fac", "nudges preview")
    assert "nothing was sent" in out[-1].text.lower() and "Ana, Mon 9 Nov at 08:00: before meeting" in out[-1].text
    with h.store.session() as s:
        assert s.exec(select(NudgeLog)).all() == []
        assert len(s.exec(select(OutboxMessage)).all()) == before + 1  # only the preview reply
    assert nudges(h, "ana") == []


async def test_my_data_and_forget_me_cover_the_nudge_log(harness):
    h = harness
    await setup(h)
    add_steal(h, "ana", "Buddy reading", at(3, 10))
    await hours(h, 26)
    assert nudges(h, "ana")
    assert "nudges" in h.beacon.router.personal
    await h.command("ana", "forget-me")
    await h.press("ana", "Delete my data")
    with h.store.session() as s:
        assert s.exec(select(NudgeLog)).all() == []


async def test_a_source_another_flow_registers_is_listed_planned_capped_and_answered(harness):
    """Nudges know no flow: a test flow's source is listed in its place, sent within the cap and answered through it."""
    h = harness
    answered = []
    yes_no = (("Yes", "yes"), ("No", "no"))

    def due(things, person, world, now):
        if person.name != "Ana":
            return []
        return [FollowUp("tried", f"tried:{n}", person.id, at(3 + n, 10), None, f"Did you try thing {n}?", yes_no) for n in things]

    def apply(ctx, subject, code):
        answered.append((ctx.member.display_name, subject, code))
        return "Noted."

    h.beacon.router.follow_up(FollowUpSource(
        rule="tried", description="a test flow's question", load=lambda session, world: [0, 1, 2], due=due,
        answers=lambda subject: yes_no, apply=apply, order=35,
    ))  # fmt: skip
    await setup(h)
    await h.command("fac", "nudges cap 2")
    text = (await h.command("fac", "nudges rules"))[-1].text
    assert "• `tried` on: a test flow's question" in text
    assert text.index("`steal`") < text.index("`tried`") < text.index("`before_meeting`")
    got = await hours(h, 4 * 24)
    ana = [(t, d) for t, d in got if d.to == "ana"]
    assert [t for t, _ in ana] == [at(3, 10), at(4, 10)]  # the third waits: two a week
    assert ana[0][1].text == "*A gentle nudge*\nDid you try thing 0?" and ana[0][1].labels == ["Yes", "No", "Not now", "Stop these", "Pause until…"]
    assert [d.to for _, d in got] == ["ana", "ana"]
    out = await h.press("ana", "Yes", message=ana[0][1])
    assert answered == [("Ana", "tried:0", "yes")] and "✓ Noted." in out[-1].text and out[-1].labels == []
    with h.store.session() as s:
        assert [(log.rule, log.subject, log.outcome) for log in s.exec(select(NudgeLog).order_by(NudgeLog.id))] == [
            ("tried", "tried:0", "answered"), ("tried", "tried:1", None)]  # fmt: skip
    await h.command("ana", "settings nudges off tried")  # the member's own switch knows the rule too
    assert h.member("ana").opted_out == ["nudges:tried"]
    await h.tick(timedelta(days=7), step=timedelta(hours=1))
    assert len(nudges(h, "ana")) == 2


async def test_a_flow_that_creates_something_to_follow_up_starts_the_nudges_with_an_event(harness):
    """``ctx.emit(FOLLOW_UP_CREATED)``: the nudges' hourly flow exists from then on, with no call into nudges."""
    h = harness
    h.add_member("ana")

    def creating(ctx):
        ctx.emit(FOLLOW_UP_CREATED)
        ctx.reply("created")

    h.beacon.router.command("create-test", creating, help="test only", hidden=True)
    with h.store.session() as s:
        assert s.exec(select(Flow).where(Flow.kind == "nudges")).all() == []
    await h.command("ana", "create-test")
    await h.command("ana", "create-test")  # once is enough
    with h.store.session() as s:
        flow = s.exec(select(Flow).where(Flow.kind == "nudges")).one()
        assert (flow.schedule, flow.enabled) == ("0 * * * *", True)


async def test_every_unprompted_message_counts_towards_the_cap_and_only_nudges_wait_for_it(harness):
    """Scheduled prompts count like nudges; when the week is full the prompts still go
    (the member signed up for them) and the nudge waits for room."""
    h = harness
    await setup(h)
    await h.command("fac", "nudges cap 1")
    out = await h.command("fac", "reflection add weekly weekly every monday and tuesday 09:30")
    assert "Added the reflection" in out[0].text
    add_steal(h, "ana", "Practice A", at(3, 10))
    got = await hours(h, 8 * 24 + 3)  # to Tuesday 10 November 12:00
    ana = [(t, d) for t, d in got if d.to == "ana"]
    assert [t.day for t, d in ana if "Weekly reflection" in d.text] == [2, 3, 9, 10]  # every prompt went
    assert not [d for _, d in ana if d.text.startswith("*A gentle nudge*")]  # the week was always full
    await h.command("fac", "nudges cap 7")
    got = await hours(h, 2)
    assert [d.text for _, d in got if d.to == "ana" and d.text.startswith("*A gentle nudge*")]
    out = await h.command("ana", "settings")
    assert "at most 7 a week, at least 2 hours apart" in out[-1].text
    out = await h.command("ana", "help settings")
    assert "the prompts they signed up for" in out[-1].text


async def test_a_nudge_dropped_at_delivery_because_the_member_paused_is_raised_again_after_the_pause(harness):
    """The nudge log says what reached the member: one that never left (they paused while it waited) is undone."""
    h = harness
    await setup(h)
    sid = add_steal(h, "ana", "Buddy reading", at(3, 10))
    for _ in range(30):  # hour by hour, the scheduler only: stop once the nudge is queued
        h.clock.advance(timedelta(hours=1))
        await h.beacon.tick(catch_up=None)
        with h.store.session() as s:
            if s.exec(select(OutboxMessage).where(col(OutboxMessage.key).startswith("nudge:"))).first() is not None:
                break
    await h.command("ana", "pause 1w")  # delivery runs after the pause: the waiting nudge is dropped
    assert not [d for d in h.inbox("ana") if "How did it go" in d.text]
    with h.store.session() as s:
        assert not s.exec(select(NudgeLog).where(NudgeLog.subject == f"steal:{sid}")).all()
        assert s.get(Steal, sid).follow_up_sent_at is None
    await h.command("ana", "resume")
    await hours(h, 24)
    asked = [d for d in h.inbox("ana") if "How did it go" in d.text]
    assert len(asked) == 1 and asked[0].text.startswith("*A gentle nudge*")


def add_tried_source(h) -> None:
    """A test flow's follow-up source: "Did you try 0?" and "Did you try 1?", due to everyone an hour ago."""
    yes_no = (("Yes", "yes"), ("No", "no"))

    def due(things, person, world, now):
        return [FollowUp("tried", f"tried:{n}", person.id, now - timedelta(hours=1), None, f"Did you try {n}?", yes_no) for n in things]

    h.beacon.router.follow_up(FollowUpSource(rule="tried", description="a test flow's question", load=lambda session, world: [0, 1],
                                             due=due, answers=lambda subject: yes_no, apply=lambda ctx, subject, code: "Noted."))  # fmt: skip


async def test_the_hourly_run_reads_the_nudge_history_that_decides_and_not_the_rest(harness):
    """The last week's nudges (the cap, the gap) and those about what is due now ("never twice")
    are read; a month-old nudge about something no longer due decides nothing and is not read,
    so the run's cost does not grow with the weeks of history."""
    h = harness
    add_tried_source(h)
    await setup(h)
    ana, now = h.member("ana"), h.clock.now()
    with h.store.session() as s:
        for subject, ago in (("tried:0", 30), ("done:long-ago", 30), ("done:this-week", 2)):
            s.add(NudgeLog(network_id=h.network_id, member_id=ana.id, rule="tried", subject=subject, batch=f"b-{subject}",
                           sent_at=now - timedelta(days=ago), outcome="answered"))  # fmt: skip
    with h.store.session() as s:
        snap = snapshot(s, s.get(Network, h.network_id), now, in_order(h.beacon.router.follow_ups))
        preview = snapshot(s, s.get(Network, h.network_id), now, in_order(h.beacon.router.follow_ups), horizon=timedelta(days=7))
    assert sorted(sent.subject for sent in snap.history[ana.id]) == ["done:this-week", "tried:0"]
    assert sorted(sent.subject for sent in preview.history[ana.id]) == ["done:long-ago", "done:this-week", "tried:0"]
    got = await hours(h, 1)
    assert [d.text for _, d in got if d.to == "ana"] == ["*A gentle nudge*\nDid you try 1?"]  # tried:0 was asked a month ago


async def test_in_a_meetings_lead_time_each_hour_reads_only_what_is_still_to_ask(harness):
    """The three days before a meeting used to read every member, every open commitment, pair and
    steal each hour, to find that all but a few had been asked already: now the sources leave out
    in SQL what was raised (the planner's "never twice"), and the snapshot names only those left."""
    h = harness
    await setup(h, meeting="2026-11-19 14:00")  # the reminders fall due Monday 16th at 14:00
    cy = h.add_member("cy", timezone="Asia/Tokyo", quiet_hours="21:00-09:00").id  # 23:00 in Tokyo then: waits
    ana, bo = h.member("ana").id, h.member("bo").id
    add_commitment(h, "ana", "Call the youth team", date(2026, 11, 17))
    add_steal(h, "bo", "Buddy reading", at(16, 14))
    add_pair(h, (ana, bo))
    sources = in_order(h.beacon.router.follow_ups)

    def read(now, **kw):
        with h.store.session() as s:
            snap = snapshot(s, s.get(Network, h.network_id), now, sources, **kw)
        return snap, {source.rule: data for source, data in snap.sources}

    await jump_to(h, at(16, 12))
    await hours(h, 3)  # 13:00, 14:00, 15:00
    assert len(nudges(h, "ana")) == len(nudges(h, "bo")) == len(nudges(h, "fac")) == 1 and nudges(h, "cy") == []
    snap, data = read(at(16, 15))
    assert set(snap.people) == {cy}  # only the one the reminder has not reached yet
    assert data["commitment"] == {} and data["pair"] == {} and data["steal"] == {} and data["before_meeting"].waiting == {cy}
    assert data["before_meeting"].commitments == {}  # ana's open one is named only in her reminder, which has gone
    preview, ahead = read(at(16, 15), horizon=timedelta(days=7))
    assert {ana, bo, cy} <= set(preview.people) and ana in ahead["commitment"] and ahead["pair"] and bo in ahead["steal"]
    assert ahead["before_meeting"].commitments == {ana: ["Call the youth team"]}

    got = await hours(h, 9)  # to 00:00 UTC, 09:00 in Tokyo
    assert [t for t, d in got if d.to == "cy"] == [at(17, 0)]
    snap, data = read(at(17, 1))
    assert snap.people == {} and data["before_meeting"].waiting == frozenset()
    assert len(nudges(h, "ana")) == len(nudges(h, "bo")) == 1  # nothing was asked twice meanwhile


async def test_a_round_the_pairing_flow_asks_itself_is_not_read_by_the_hour(harness):
    """While the pairing flow's own "did you meet?" is due, the pair source asks nothing: it
    used to read every member of the round each hour of the meeting's lead time, to drop them all."""
    h = harness
    await setup(h, meeting="2026-11-19 14:00")
    ids = [h.member(u).id for u in ("ana", "bo")]
    add_pair(h, ids, followup_at=at(18, 9), followup_sent=False)  # the flow asks on the 18th, before the meeting
    sources = in_order(h.beacon.router.follow_ups)
    with h.store.session() as s:
        network = s.get(Network, h.network_id)
        hourly = dict(snapshot(s, network, at(16, 15), sources).sources)
        preview = dict(snapshot(s, network, at(16, 15), sources, horizon=timedelta(days=7)).sources)
    pair = h.beacon.router.follow_ups["pair"]
    assert hourly[pair] == {}
    assert set(preview[pair]) == set(ids)  # a preview still sees the pair (and plans nothing for it: the flow asks)
    await jump_to(h, at(16, 12))
    await hours(h, 4)
    assert all("haven't met yet" not in d.text for u in ("ana", "bo") for d in nudges(h, u))


async def test_the_hourly_run_reads_no_history_of_a_member_no_nudge_may_reach_now(harness):
    """Someone in their quiet hours (or paused) gets nothing this hour whatever their history says,
    so the run reads none of it; their nudge still goes when the quiet hours end."""
    h = harness
    await setup(h)
    cy = h.add_member("cy", timezone="Asia/Tokyo", quiet_hours="21:00-09:00").id
    ana = h.member("ana").id
    add_steal(h, "cy", "Buddy reading", at(3, 14))  # 23:00 in Tokyo
    add_steal(h, "ana", "Peer review", at(3, 14))
    with h.store.session() as s:
        for mid in (cy, ana):
            s.add(NudgeLog(network_id=h.network_id, member_id=mid, rule="steal", subject=f"steal:old{mid}", batch=f"old{mid}",
                           sent_at=at(1, 3), outcome="answered"))  # fmt: skip
    sources = in_order(h.beacon.router.follow_ups)
    with h.store.session() as s:
        network = s.get(Network, h.network_id)
        snap = snapshot(s, network, at(3, 14), sources)
        preview = snapshot(s, network, at(3, 14), sources, horizon=timedelta(days=7))
    assert set(snap.people) == {cy, ana} and snap.open_now == {ana} and [p.id for p in snap.planned_now()] == [ana]
    assert set(snap.history) == {ana} and set(preview.history) == {cy, ana}
    await jump_to(h, at(3, 12))
    got = await hours(h, 12)
    assert [(t, d.to) for t, d in got if d.to in ("ana", "cy")] == [(at(3, 14), "ana"), (at(4, 0), "cy")]


async def test_the_hourly_run_asks_nothing_for_a_member_whose_week_is_full(harness):
    """A member at the weekly cap gets no nudge this hour whatever is due, so the run asks the
    sources nothing for them and reads none of their older history (in a meeting week two in three
    planned members were at the cap, each hour of the lead time); their nudge goes when the week has room."""
    h = harness
    add_tried_source(h)
    await setup(h)
    ana, bo, now = h.member("ana").id, h.member("bo").id, h.clock.now()
    with h.store.session() as s:
        full = [(f"done:{n}", now - timedelta(days=6, hours=n)) for n in range(WEEKLY_CAP)]  # bo's week: the cap, reached
        for subject, sent_at in [*full, ("tried:0", now - timedelta(days=30))]:
            s.add(NudgeLog(network_id=h.network_id, member_id=bo, rule="tried", subject=subject, batch=f"b-{subject}",
                           sent_at=sent_at, outcome="answered"))  # fmt: skip
    sources = in_order(h.beacon.router.follow_ups)
    with h.store.session() as s:
        network = s.get(Network, h.network_id)
        snap = snapshot(s, network, now, sources)
        preview = snapshot(s, network, now, sources, horizon=timedelta(days=7))
    assert {ana, bo} <= set(snap.people) and ana in snap.open_now and bo not in snap.open_now
    assert bo not in snap.offered_now and [i.subject for i in snap.offered_now[ana]] == ["tried:0", "tried:1"]
    assert sorted(sent.subject for sent in snap.history[bo]) == sorted(subject for subject, _ in full)  # not the month-old one
    assert "tried:0" in {sent.subject for sent in preview.history[bo]}
    got = await hours(h, 1)
    assert [d.to for _, d in got if d.to in ("ana", "bo")] == ["ana"]
    got = await hours(h, 24)  # the oldest of bo's four leaves the week: room for one
    assert [d.text for _, d in got if d.to == "bo"] == ["*A gentle nudge*\nDid you try 1?"]  # tried:0 was asked a month ago
