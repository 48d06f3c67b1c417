"""The pure nudge rules: due times, eligibility, cap, quiet hours, combining, simulation."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot.flows.nudges import rules as r

UTC = timezone.utc
MON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
MEETING = r.MeetingInfo(1, datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "Winter session")  # Thursday


def snap(**kw) -> r.Snapshot:
    people = kw.pop("people", {1: r.Person(1, "Ana", "Europe/London")})
    return r.Snapshot(people=people, **kw)


def test_commitment_due_before_the_meeting_is_due_three_days_before_it():
    s = snap(meetings=[MEETING], commitments=[r.CommitmentInfo(7, 1, "Call the youth team", date(2026, 12, 1))])
    person = s.people[1]
    assert r.due_items(s, person, MEETING.starts_at - timedelta(days=3, hours=1)) == []
    items = r.due_items(s, person, MEETING.starts_at - timedelta(days=3))
    assert [i.subject for i in items] == ["commitment:7", "meeting:1:20261203T1400:before"]
    assert "Call the youth team" in items[0].text and [a for _, a in items[0].answers] == ["done", "going", "drop"]


def test_commitment_due_after_the_meeting_waits_and_without_meetings_goes_on_its_day():
    c = r.CommitmentInfo(7, 1, "Write it up", date(2026, 12, 20))
    s = snap(meetings=[MEETING], commitments=[c])
    assert [i.rule for i in r.due_items(s, s.people[1], MEETING.starts_at - timedelta(hours=1))] == ["before_meeting"]
    s = snap(commitments=[c])
    assert r.due_items(s, s.people[1], datetime(2026, 12, 20, 8, 59, tzinfo=UTC)) == []
    assert [i.rule for i in r.due_items(s, s.people[1], datetime(2026, 12, 20, 9, 0, tzinfo=UTC))] == ["commitment"]


def test_answered_dismissed_never_again_snoozed_after_a_week():
    sent = MON - timedelta(days=1)
    assert r.eligible([], "x", MON)
    assert not r.eligible([r.Sent("x", "commitment", "b", sent)], "x", MON)  # sent, unanswered: once is enough
    assert not r.eligible([r.Sent("x", "commitment", "b", sent, "answered")], "x", MON + timedelta(days=30))
    assert not r.eligible([r.Sent("x", "commitment", "b", sent, "dismissed")], "x", MON + timedelta(days=30))
    snoozed = [r.Sent("x", "commitment", "b", sent, "snoozed", sent + r.SNOOZE)]
    assert not r.eligible(snoozed, "x", sent + timedelta(days=6))
    assert r.eligible(snoozed, "x", sent + r.SNOOZE)


def test_cap_counts_messages_across_rules_in_a_rolling_week():
    h = [r.Sent("a", "commitment", "b1", MON), r.Sent("b", "pair", "b1", MON), r.Sent("c", "steal", "b2", MON - timedelta(days=6))]
    assert r.cap_used(h, MON) == 2
    assert r.cap_used(h, MON + timedelta(days=1)) == 1  # b2 is more than 7 days old by then


def test_blocked_quiet_hours_weekends_pause_opt_out_unreachable():
    p = r.Person(1, "Ana", "Asia/Tokyo", quiet_hours="20:00-08:00", quiet_weekends=True)
    assert r.blocked(p, datetime(2026, 12, 1, 1, 0, tzinfo=UTC)) is None  # 10:00 Tuesday in Tokyo
    assert r.blocked(p, datetime(2026, 12, 1, 12, 0, tzinfo=UTC)) == "quiet hours"  # 21:00 in Tokyo
    assert r.blocked(p, datetime(2026, 12, 5, 3, 0, tzinfo=UTC)) == "quiet hours"  # Saturday
    assert r.blocked(r.Person(1, paused_until=MON + timedelta(days=1)), MON) == "paused"
    assert r.blocked(r.Person(1, unreachable=True), MON) == "unreachable"
    assert r.blocked(r.Person(1, opted_out=("nudges",)), MON) == "opted out"


def test_plan_combines_everything_due_into_one_and_respects_the_cap():
    s = snap(meetings=[MEETING], commitments=[r.CommitmentInfo(7, 1, "Call", date(2026, 12, 1))],
             steals=[r.StealInfo(3, 1, "Buddy reading", "adapted", MON - timedelta(days=1))])  # fmt: skip
    at = MEETING.starts_at - r.LEAD  # Monday 14:00
    items, why = r.plan_member(s, s.people[1], at)
    assert why is None and {i.rule for i in items} == {"commitment", "steal", "before_meeting"}
    text = r.combined_text(items)
    assert text.startswith("*A gentle nudge* (3 things") and "1. " in text and "3. " in text
    s.history[1] = [r.Sent("z", "pair", "b1", MON - timedelta(days=2)), r.Sent("y", "pair", "b2", MON - timedelta(days=1))]
    assert r.plan_member(s, s.people[1], at) == ([], "weekly cap")


def test_rule_switches_and_per_member_opt_out():
    s = snap(meetings=[MEETING], rules={"before_meeting": False})
    assert r.due_items(s, s.people[1], MEETING.starts_at - timedelta(days=1)) == []
    s = snap(meetings=[MEETING], people={1: r.Person(1, opted_out=("nudges:before_meeting",))})
    assert r.due_items(s, s.people[1], MEETING.starts_at - timedelta(days=1)) == []


def test_pair_nudge_only_when_not_met_and_not_just_asked_by_pairing():
    people = {1: r.Person(1, "Ana"), 2: r.Person(2, "Bo")}
    ran = MON - timedelta(days=10)
    pair = r.PairInfo(5, (1, 2), (1, 2), ran, next_round=MON + timedelta(days=20), followup_at=MON + timedelta(days=17))
    s = snap(people=people, meetings=[MEETING], pairs=[pair])
    items = [i for i in r.due_items(s, people[1], MEETING.starts_at - timedelta(days=3)) if i.rule == "pair"]
    assert len(items) == 1 and "Bo" in items[0].text and "next meeting" in items[0].text
    met = r.PairInfo(5, (1, 2), (2,), ran, next_round=pair.next_round, followup_at=pair.followup_at)
    s.pairs = [met]
    assert [i for i in r.due_items(s, people[1], MEETING.starts_at - timedelta(days=3)) if i.rule == "pair"] == []
    asked = r.PairInfo(5, (1, 2), (1, 2), ran, next_round=MON + timedelta(days=5), followup_at=MON + timedelta(days=2))
    s.pairs = [asked]  # the round comes first, and pairing asks "did you meet?" itself
    assert [i for i in r.due_items(s, people[1], MEETING.starts_at - timedelta(days=3)) if i.rule == "pair"] == []


def test_simulate_waits_for_quiet_hours_and_applies_the_cap_without_touching_history():
    people = {1: r.Person(1, "Ana", "Europe/London")}
    steals = [r.StealInfo(i, 1, f"P{i}", "adapted", datetime(2026, 12, 4, 21, 0, tzinfo=UTC) + timedelta(days=i)) for i in range(4)]
    s = snap(people=people, steals=steals)
    plan = r.simulate(s, datetime(2026, 12, 4, 12, 0, tzinfo=UTC), hours=7 * 24)
    # Friday 21:00 is quiet, then the weekend: the first waits until Monday 08:00, with the weekend's
    assert plan[0][1] == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert [i.subject for i in plan[0][2]] == ["steal:0", "steal:1", "steal:2"]
    assert len(plan) == 2  # the cap: two messages in the week
    assert s.history == {}
