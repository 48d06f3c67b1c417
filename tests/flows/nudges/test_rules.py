"""The pure nudge rules: each flow's due times, eligibility, cap, quiet hours, combining, simulation.

The planner is nudges'; what is due comes from the flows' own follow-up
sources (their pure ``due``), planned here together as the hourly run plans them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.availability import Person, blocked
from bot.core.followups import LEAD, MeetingInfo, World
from bot.flows.commitments import follow_up as commitments
from bot.flows.meetings import follow_up as before_meeting
from bot.flows.nudges import rules as r
from bot.flows.pairing import follow_up as pairs
from bot.flows.practices import follow_up as steals
from bot.flows.reflection import follow_up as after_meeting

UTC = UTC
MON = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
MEETING = MeetingInfo(1, datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "Winter session")  # Thursday
SOURCES = (commitments.SOURCE, pairs.SOURCE, steals.SOURCE, before_meeting.SOURCE, after_meeting.SOURCE)


def by_member(infos, field: str = "member_id") -> dict[int, list]:
    """Plain data keyed by member, as the sources load it (a pair under each waiting member)."""
    out: dict[int, list] = {}
    for info in infos:
        for member_id in (getattr(info, field),) if field == "member_id" else getattr(info, field):
            out.setdefault(member_id, []).append(info)
    return out


def snap(*, people=None, meetings=(), commitments=(), pairs=(), steals=(), after_meeting_on=False, **kw) -> r.Snapshot:
    """A snapshot as the hourly run reads it: every real source, each with the plain data it would load."""
    people = people or {1: Person(1, "Ana", "Europe/London")}
    world = World(network=None, now=MON, horizon=timedelta(0), people=people, meetings=list(meetings))
    open_commitments: dict[int, list[str]] = {}
    for c in commitments:
        open_commitments.setdefault(c.member_id, []).append(c.text)
    data = {"commitment": by_member(commitments), "pair": by_member(pairs, "waiting"), "steal": by_member(steals),
            "before_meeting": before_meeting.Reminders(open_commitments, frozenset(people)), "after_meeting": after_meeting_on}  # fmt: skip
    return r.Snapshot(world=world, sources=[(s, data[s.rule]) for s in SOURCES], **kw)


def test_commitment_due_before_the_meeting_is_due_three_days_before_it():
    s = snap(meetings=[MEETING], commitments=[commitments.CommitmentInfo(7, 1, "Call the youth team", date(2026, 12, 1))])
    person = s.people[1]
    assert r.due_items(s, person, MEETING.starts_at - timedelta(days=3, hours=1)) == []
    items = r.due_items(s, person, MEETING.starts_at - timedelta(days=3))
    assert [i.subject for i in items] == ["commitment:7", "meeting:1:20261203T1400:before"]
    assert "Call the youth team" in items[0].text and [a for _, a in items[0].answers] == ["done", "going", "drop"]


def test_commitment_due_after_the_meeting_waits_and_without_meetings_goes_on_its_day():
    c = commitments.CommitmentInfo(7, 1, "Write it up", date(2026, 12, 20))
    s = snap(meetings=[MEETING], commitments=[c])
    assert [i.rule for i in r.due_items(s, s.people[1], MEETING.starts_at - timedelta(hours=1))] == ["before_meeting"]
    s = snap(commitments=[c])
    assert r.due_items(s, s.people[1], datetime(2026, 12, 20, 8, 59, tzinfo=UTC)) == []
    assert [i.rule for i in r.due_items(s, s.people[1], datetime(2026, 12, 20, 9, 0, tzinfo=UTC))] == ["commitment"]


def test_a_sources_due_is_pure_and_says_when_and_until_when():
    """Each flow's ``due`` alone: the planner decides only whether now is the time."""
    person = Person(1, "Ana", "Europe/London")
    world = World(network=None, now=MON, horizon=timedelta(0), people={1: person}, meetings=[MEETING])
    c = commitments.CommitmentInfo(7, 1, "Call the youth team", date(2026, 12, 1))
    [item] = commitments.due(by_member([c, commitments.CommitmentInfo(8, 2, "Not Ana's", date(2026, 12, 1))]), person, world, MON)
    assert (item.rule, item.due_at, item.expires_at) == ("commitment", MEETING.starts_at - LEAD, MEETING.starts_at)
    [before] = before_meeting.due(before_meeting.Reminders({1: ["Call the youth team"]}, frozenset({1, 2})), person, world, MON)
    assert "Your open commitments: _Call the youth team_" in before.text and before.answers == ()
    assert before_meeting.due(before_meeting.Reminders({}, frozenset({2})), person, world, MON) == []  # reminded already
    assert after_meeting.due(False, person, world, MEETING.starts_at + timedelta(hours=4)) == []
    [after] = after_meeting.due(True, person, world, MEETING.starts_at + timedelta(hours=4))
    assert after.subject == "meeting:1:after" and after.expires_at == MEETING.starts_at + after_meeting.WINDOW


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
    """The nudges ask the core's one answer, with their own opt-out key."""
    p = Person(1, "Ana", "Asia/Tokyo", quiet_hours="20:00-08:00", quiet_weekends=True)
    assert blocked(p, datetime(2026, 12, 1, 1, 0, tzinfo=UTC), "nudges") is None  # 10:00 Tuesday in Tokyo
    assert blocked(p, datetime(2026, 12, 1, 12, 0, tzinfo=UTC), "nudges") == "quiet hours"  # 21:00 in Tokyo
    assert blocked(p, datetime(2026, 12, 5, 3, 0, tzinfo=UTC), "nudges") == "quiet hours"  # Saturday
    assert blocked(Person(1, paused_until=MON + timedelta(days=1)), MON, "nudges") == "paused"
    assert blocked(Person(1, unreachable=True), MON, "nudges") == "unreachable"
    assert blocked(Person(1, opted_out=("nudges",)), MON, "nudges") == "opted out"
    s = snap(steals=[steals.StealInfo(3, 1, "Buddy reading", "adapted", MON - timedelta(days=1))],
             people={1: Person(1, "Ana", opted_out=("nudges",))})  # fmt: skip
    assert r.plan_member(s, s.people[1], MON) == ([], "opted out")


def test_plan_combines_everything_due_into_one_and_respects_the_cap():
    s = snap(meetings=[MEETING], commitments=[commitments.CommitmentInfo(7, 1, "Call", date(2026, 12, 1))],
             steals=[steals.StealInfo(3, 1, "Buddy reading", "adapted", MON - timedelta(days=1))])  # fmt: skip
    at = MEETING.starts_at - LEAD  # Monday 14:00
    items, why = r.plan_member(s, s.people[1], at)
    assert why is None and {i.rule for i in items} == {"commitment", "steal", "before_meeting"}
    text = r.combined_text(items)
    assert text.startswith("*A gentle nudge* (3 things") and "1. " in text and "3. " in text
    s.cap = 2
    s.history[1] = [r.Sent("z", "pair", "b1", MON - timedelta(days=2)), r.Sent("y", "pair", "b2", MON - timedelta(days=1))]
    assert r.plan_member(s, s.people[1], at) == ([], "weekly cap")
    s.history[1] = s.history[1][:1]
    s.unprompted[1] = [MON - timedelta(days=3)]  # a prompt counts as much as a nudge
    assert r.plan_member(s, s.people[1], at) == ([], "weekly cap")
    s.cap, s.gap = 4, timedelta(hours=2)
    s.unprompted[1] = [at + timedelta(hours=1)]  # a prompt queued within the gap: the nudge waits
    assert r.plan_member(s, s.people[1], at) == ([], "too soon")


def test_rule_switches_and_per_member_opt_out():
    s = snap(meetings=[MEETING], rules={"before_meeting": False})
    assert r.due_items(s, s.people[1], MEETING.starts_at - timedelta(days=1)) == []
    s = snap(meetings=[MEETING], people={1: Person(1, opted_out=("nudges:before_meeting",))})
    assert r.due_items(s, s.people[1], MEETING.starts_at - timedelta(days=1)) == []


def test_a_flow_opt_out_silences_its_source_too():
    """A member who opted out of a flow (its ``opt_out`` key) hears nothing of it through the nudges either."""
    stolen = [steals.StealInfo(3, 1, "Buddy reading", "adapted", MON - timedelta(days=1))]
    assert [i.rule for i in r.due_items(snap(steals=stolen), Person(1), MON)] == ["steal"]
    stopped = Person(1, opted_out=("practices",))
    assert r.due_items(snap(steals=stolen, people={1: stopped}), stopped, MON) == []


def test_pair_nudge_only_when_not_met_and_not_just_asked_by_pairing():
    people = {1: Person(1, "Ana"), 2: Person(2, "Bo")}
    ran = MON - timedelta(days=10)
    pair = pairs.PairInfo(5, (1, 2), (1, 2), ran, next_round=MON + timedelta(days=20), followup_at=MON + timedelta(days=17))
    s = snap(people=people, meetings=[MEETING], pairs=[pair])
    items = [i for i in r.due_items(s, people[1], MEETING.starts_at - timedelta(days=3)) if i.rule == "pair"]
    assert len(items) == 1 and "Bo" in items[0].text and "next meeting" in items[0].text
    met = pairs.PairInfo(5, (1, 2), (2,), ran, next_round=pair.next_round, followup_at=pair.followup_at)
    s = snap(people=people, meetings=[MEETING], pairs=[met])
    assert [i for i in r.due_items(s, people[1], MEETING.starts_at - timedelta(days=3)) if i.rule == "pair"] == []
    asked = pairs.PairInfo(5, (1, 2), (1, 2), ran, next_round=MON + timedelta(days=5), followup_at=MON + timedelta(days=2))
    s = snap(people=people, meetings=[MEETING], pairs=[asked])  # the round comes first, and pairing asks "did you meet?" itself
    assert [i for i in r.due_items(s, people[1], MEETING.starts_at - timedelta(days=3)) if i.rule == "pair"] == []


def test_simulate_waits_for_quiet_hours_and_applies_the_cap_without_touching_history():
    people = {1: Person(1, "Ana", "Europe/London")}
    stolen = [steals.StealInfo(i, 1, f"P{i}", "adapted", datetime(2026, 12, 4, 21, 0, tzinfo=UTC) + timedelta(days=i)) for i in range(4)]
    s = snap(people=people, steals=stolen)
    plan = r.simulate(s, datetime(2026, 12, 4, 12, 0, tzinfo=UTC), hours=7 * 24)
    # Friday 21:00 is quiet, then the weekend: the first waits until Monday 08:00, with the weekend's
    assert plan[0][1] == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert [i.subject for i in plan[0][2]] == ["steal:0", "steal:1", "steal:2"]
    assert len(plan) == 2  # the cap: two messages in the week
    assert s.history == {}
