"""Every figure of every format against a two-week history counted by hand, and
week 1's figures unchanged by what happens in week 2 (SQLite and PostgreSQL).

Network time UTC. Week 1 is Mon 2 – Sun 8 Nov 2026, week 2 Mon 9 – Sun 15 Nov.
People: ann and bob (Council), cat (Charity), dev (School, joins in week 2),
fay (facilitator), cole (coordinator); everyone else joined in October.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from sqlmodel import select

from bot.flows.digest.export import export
from bot.flows.digest.period import period_between
from bot.store.activity import record_activity
from bot.store.commitments import Commitment, CommitmentStatus, set_status
from bot.store.models import Flow, Member, Network
from bot.store.pairing import PairGroup, PairingRound, PairMember, answer_met
from bot.store.practices import Practice, Steal, report_outcome
from bot.store.reflection import Prompt, PromptStatus, Reflection, ReflectionAnswer

WEEK1 = (date(2026, 11, 2), date(2026, 11, 8))
WEEK2 = (date(2026, 11, 9), date(2026, 11, 15))


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _people(s) -> dict[str, Member]:
    net = Network(platform="console", platform_key="two", name="Two Weeks", timezone="UTC", created_at=datetime(2026, 10, 1, tzinfo=UTC))
    s.add(net)
    s.flush()
    joined = datetime(2026, 10, 1, tzinfo=UTC)
    people = {}
    for name, org, extra in (("ann", "Council", {}), ("bob", "Council", {}), ("cat", "Charity", {}),
                             ("fay", "Council", {"is_facilitator": True}), ("cole", "Agency", {"is_coordinator": True})):  # fmt: skip
        people[name] = Member(network_id=net.id, platform_user_id=name, display_name=name, organisation=org, created_at=joined, **extra)
        s.add(people[name])
    s.flush()
    return people


def _week1(s, p) -> None:
    nid = p["ann"].network_id
    prompts = {}
    for who, answered, sent in (("ann", True, at(6)), ("bob", False, at(8, 22)), ("cat", True, at(6))):  # bob's: Sunday 22:00
        prompts[who] = Prompt(network_id=nid, member_id=p[who].id, occurrence=f"w1{who}", sent_at=sent, window_closes_at=at(7),
                              status=PromptStatus.ANSWERED if answered else PromptStatus.SENT)  # fmt: skip
        s.add(prompts[who])
    s.flush()
    record_activity(s, network_id=nid, member_id=p["bob"].id, at=at(4), zone="UTC")  # bob only wrote a message
    r = Reflection(network_id=nid, member_id=p["cat"].id, prompt_id=prompts["cat"].id, started_at=at(6), completed_at=at(6),
                   shared="named", shared_at=at(6))  # fmt: skip
    s.add(r)
    s.flush()
    s.add(ReflectionAnswer(reflection_id=r.id, position=0, question="What did you learn?", answer="Huddle boards changed our handovers",
                           shared=True, answered_at=at(6)))  # fmt: skip
    s.add(Commitment(network_id=nid, member_id=p["ann"].id, text="call Sam", due_date=date(2026, 11, 6), created_at=at(3), updated_at=at(3)))
    boards = Commitment(network_id=nid, member_id=p["cat"].id, text="try boards", due_date=date(2026, 11, 20), created_at=at(4), updated_at=at(4))
    s.add(boards)
    s.flush()
    set_status(s, boards, CommitmentStatus.DONE, at(6))
    practice = Practice(network_id=nid, author_id=p["ann"].id, title="Huddle boards", created_at=at(3), updated_at=at(3))
    s.add(practice)
    s.flush()
    bobs = Steal(practice_id=practice.id, member_id=p["bob"].id, mode="adapted", created_at=at(4), updated_at=at(4))
    s.add(bobs)
    s.flush()
    report_outcome(s, bobs, "too_early", at(7))
    s.add(Steal(practice_id=practice.id, member_id=p["cat"].id, mode="closely_based", created_at=at(5), updated_at=at(5)))
    flow = Flow(network_id=nid, kind="pairing", name="fortnightly", created_at=at(1), updated_at=at(1))
    s.add(flow)
    s.flush()
    rnd = PairingRound(network_id=nid, flow_id=flow.id, number=1, seed="s", ran_at=at(2))
    s.add(rnd)
    s.flush()
    met, quiet = PairGroup(round_id=rnd.id, created_at=at(2)), PairGroup(round_id=rnd.id, created_at=at(2))
    s.add_all([met, quiet])
    s.flush()
    rows = [PairMember(group_id=met.id, round_id=rnd.id, member_id=p["ann"].id, learned="Ask the night shift first", learned_shared=True),
            PairMember(group_id=met.id, round_id=rnd.id, member_id=p["cat"].id, learned="PRIVATE pair note"),
            PairMember(group_id=quiet.id, round_id=rnd.id, member_id=p["bob"].id),
            PairMember(group_id=quiet.id, round_id=rnd.id, member_id=p["fay"].id)]  # fmt: skip
    s.add_all(rows)
    s.flush()
    answer_met(s, rows[0], "met", at(6))
    answer_met(s, rows[1], "met", at(6))
    answer_met(s, rows[2], "not_yet", at(7))


def _week2(s, p) -> None:
    nid = p["ann"].network_id
    for m in s.exec(select(Member).where(Member.network_id == nid)).all():
        m.last_active_at = at(12)  # everybody writes again in week 2
        record_activity(s, network_id=nid, member_id=m.id, at=at(12), zone="UTC")
    s.add(Member(network_id=nid, platform_user_id="dev", display_name="dev", organisation="School", created_at=at(10)))
    set_status(s, s.exec(select(Commitment).where(Commitment.member_id == p["ann"].id)).one(), CommitmentStatus.DONE, at(11))  # kept late
    set_status(s, s.exec(select(Commitment).where(Commitment.member_id == p["cat"].id)).one(), CommitmentStatus.DONE, at(12))  # Done pressed again
    bobs_row = s.exec(select(PairMember).where(PairMember.member_id == p["bob"].id)).one()
    answer_met(s, bobs_row, "met", at(10))  # "not yet" in week 1, "met" now
    report_outcome(s, s.exec(select(Steal).where(Steal.member_id == p["bob"].id)).one(), "worked", at(11))  # "too early" in week 1
    practice = s.exec(select(Practice)).one()
    practice.status = "withdrawn"  # its author takes it down: it was still shared in week 1
    s.add(Steal(practice_id=practice.id, member_id=p["ann"].id, mode="accelerated", created_at=at(10), updated_at=at(10)))
    s.add(Prompt(network_id=nid, member_id=p["bob"].id, occurrence="w2bob", sent_at=at(13), window_closes_at=at(14), status=PromptStatus.ANSWERED))
    late = s.exec(select(Prompt).where(Prompt.occurrence == "w1bob")).one()  # sent Sunday 22:00, answered Monday 08:00
    late.status = PromptStatus.ANSWERED
    s.add(Reflection(network_id=nid, member_id=p["bob"].id, prompt_id=late.id, started_at=at(9, 8), completed_at=at(9, 8)))


WEEK1_FIGURES = {
    "md": ["Prompts: 3 sent, 2 answered (*67%*)", "Active members: *3* of 5", "Reflections completed: *1* (the 4 weeks before, on average: 0); shared: 1",
           "Made: *2* · done: *1* · overdue at the period's end: *1*", "Pairs and trios formed: *2*",
           "Met: *1* of 2 that answered the follow-up (50%)", "Ask the night shift first", "New practices shared: *1*", "Steals: *2*",
           "Steal mix this period: adapted 50% · accelerated 0% · closely based 50%", "Steal mix all time (2)",
           "Outcomes reported: too early to say 1"],
}  # fmt: skip
# per member in week 1: prompts_sent, prompts_answered, reflections, reflections_shared, commitments_made,
# commitments_done, practices_posted, steals, pairs_met, active
WEEK1_ROWS = {
    "ann": (1, 1, 0, 0, 1, 0, 1, 0, 1, 1),
    "bob": (1, 0, 0, 0, 0, 0, 0, 1, 0, 1),
    "cat": (1, 1, 1, 1, 1, 1, 0, 1, 1, 1),
    "fay": (0,) * 10,
    "cole": (0,) * 10,
}
COUNT_COLUMNS = ("prompts_sent", "prompts_answered", "reflections", "reflections_shared", "commitments_made", "commitments_done",
                 "practices_posted", "steals", "pairs_met", "active")  # fmt: skip


def _reports(store, week) -> dict[str, str]:
    with store.session() as s:
        net = s.exec(select(Network).where(Network.platform_key == "two")).one()
        period = period_between(*week, "UTC")
        return {fmt: export(s, net, fmt, period) for fmt in ("md", "html", "csv", "json")}


def _check_week1(r: dict[str, str]) -> None:
    for line in WEEK1_FIGURES["md"]:
        assert line.replace("*", "**") in r["md"], line  # Markdown's bold is **
    assert "PRIVATE pair note" not in r["md"] and "PRIVATE pair note" not in r["html"] and "PRIVATE" not in r["json"]
    for line in ("3 sent, 2 answered (<b>67%</b>)", "Active members: <b>3</b> of 5", "overdue at the period&#x27;s end: <b>1</b>",
                 "Met: <b>1</b> of 2", "Steals: <b>2</b>"):  # fmt: skip
        assert line.replace("&#x27;", "'") in r["html"].replace("&#x27;", "'"), line
    rows = {row["member"]: tuple(int(row[c]) for c in COUNT_COLUMNS) for row in csv.DictReader(io.StringIO(r["csv"]))}
    assert rows == WEEK1_ROWS
    data = json.loads(r["json"])
    assert {row["member"]: tuple(row[c] for c in COUNT_COLUMNS) for row in data["rows"]} == WEEK1_ROWS
    # the per-member counts add up to the digest's figures
    totals = [sum(col) for col in zip(*WEEK1_ROWS.values())]
    assert totals[0:2] == [3, 2] and totals[4:6] == [2, 1] and totals[7] == 2 and totals[9] == 3
    assert [e["text"] for e in data["shared_excerpts"]] == ["Huddle boards changed our handovers"]
    assert {row["organisation"] for row in data["rows"]} == {"Council", "Charity", "Agency"}
    assert "Gone quiet" not in r["md"]  # fay and cole did nothing, but they are not members the digest is about


def test_every_figure_agrees_and_week_one_never_changes(any_store):
    with any_store.session() as s:
        people = _people(s)
        _week1(s, people)
    before = _reports(any_store, WEEK1)
    _check_week1(before)
    with any_store.session() as s:
        people = {m.platform_user_id: m for m in s.exec(select(Member)).all()}
        _week2(s, people)
    after = _reports(any_store, WEEK1)
    _check_week1(after)
    assert after["md"] == before["md"] and after["csv"] == before["csv"] and after["json"] == before["json"]
    week2 = _reports(any_store, WEEK2)
    for line in ("Prompts: 1 sent, 1 answered (*100%*; the 4 weeks before: 67%)", "Active members: *5* of 6", "New members: 1",
                 "Made: *0* · done: *1* · overdue at the period's end: *0*", "Steals: *1*",
                 "Steal mix all time (3): adapted 33% · accelerated 33% · closely based 33%",
                 "Met: *1* of 1 that answered the follow-up (100%)", "Outcomes reported: worked 1"):  # fmt: skip
        assert line.replace("*", "**") in week2["md"], line
    assert "New practices shared" not in week2["md"] and "Pairs and trios formed" not in week2["md"]
    assert "↑" not in week2["md"]  # 1 prompt against 3: too few for an arrow
    _check_rows(week2, WEEK2_ROWS)
    totals = [sum(col) for col in zip(*WEEK2_ROWS.values())]
    assert totals[0:2] == [1, 1] and totals[4:6] == [0, 1] and totals[7:] == [1, 1, 5]  # the Markdown's figures above
    for line in ("1 sent, 1 answered (<b>100%</b>", "Active members: <b>5</b> of 6", "Steals: <b>1</b>"):
        assert line in week2["html"], line


# per member in week 2, counted by hand from _week2: everyone but the newcomer writes again,
# Bob answers week 1's Sunday-night prompt on Monday (a reflection of week 2; week 1's prompt stays unanswered)
# and this week's prompt and says his pair met after all, Ann keeps her commitment late and steals a practice;
# Cat pressing Done again on a commitment kept in week 1 counts in neither week again
WEEK2_ROWS = {
    "ann": (0, 0, 0, 0, 0, 1, 0, 1, 0, 1),
    "bob": (1, 1, 1, 0, 0, 0, 0, 0, 1, 1),
    "cat": (0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    "fay": (0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    "cole": (0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    "dev": (0,) * 10,
}


def _check_rows(r: dict[str, str], expected: dict[str, tuple[int, ...]]) -> None:
    """The CSV's and the JSON's per-member rows, both against the hand count."""
    rows = {row["member"]: tuple(int(row[c]) for c in COUNT_COLUMNS) for row in csv.DictReader(io.StringIO(r["csv"]))}
    assert rows == expected
    data = json.loads(r["json"])
    assert {row["member"]: tuple(row[c] for c in COUNT_COLUMNS) for row in data["rows"]} == expected
