"""A small network history, inserted row by row, whose digest figures are worked
out by hand in tests/flows/digest/test_data.py (network time: Asia/Tokyo, UTC+9)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.store.activity import record_activity
from bot.store.answers import AnswerKind, record_answer
from bot.store.commitments import Commitment, CommitmentStatus
from bot.store.models import Flow, Member, Network, Role
from bot.store.pairing import PairGroup, PairingRound, PairMember
from bot.store.practices import Practice, Steal
from bot.store.reflection import Prompt, PromptStatus, Reflection, ReflectionAnswer

TZ = "Asia/Tokyo"
END_DAY = date(2026, 11, 9)  # the Monday the digest runs; the period is Mon 2 – Sun 8 Nov (JST)
SECRET = "SECRET private musing about my manager"
PAIR_SECRET = "PAIR SECRET: what my pair told me in confidence"  # learned, never shared


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


JOINED = utc(2026, 9, 1)  # when the fixture's members joined, unless a test says otherwise


def build(session) -> dict[str, Member]:
    net = Network(platform="console", platform_key="tokyo", name="Tokyo Net", timezone=TZ, created_at=utc(2026, 8, 1))
    session.add(net)
    session.flush()
    nid = net.id
    people: dict[str, Member] = {}

    def member(name, created=JOINED, role=Role.MEMBER, active=None):
        m = Member(
            network_id=nid,
            platform_user_id=name,
            display_name=name,
            is_coordinator=role == Role.COORDINATOR,
            created_at=created,
            last_active_at=active,
        )
        session.add(m)
        session.flush()
        if active:
            record_activity(session, network_id=nid, member_id=m.id, at=active, zone=TZ)
        people[name] = m
        return m

    member("coord", role=Role.COORDINATOR, active=utc(2026, 11, 3))
    for i in range(1, 11):
        member(f"m{i}")
    people["m8"].last_active_at = utc(2026, 10, 18, 14)  # 23:00 JST Sun 18 Oct: before the quiet cutoff
    people["m9"].last_active_at = utc(2026, 10, 18, 15)  # 00:00 JST Mon 19 Oct: exactly at the cutoff
    for who in ("m8", "m9"):
        record_activity(session, network_id=nid, member_id=people[who].id, at=people[who].last_active_at, zone=TZ)
    member("m11", created=utc(2026, 11, 5), active=utc(2026, 11, 5))  # joined mid-period
    m = people
    flow = Flow(network_id=nid, kind="reflection", name="weekly", created_at=utc(2026, 8, 1), updated_at=utc(2026, 8, 1))
    session.add(flow)
    session.flush()

    seq = iter(range(10_000))

    def prompt(at, answered, who="m1"):
        session.add(Prompt(network_id=nid, flow_id=flow.id, member_id=m[who].id, occurrence=f"o{next(seq)}", sent_at=at,
                           window_closes_at=at, status=PromptStatus.ANSWERED if answered else PromptStatus.SENT))  # fmt: skip

    for i in range(10):  # this period: 10 on Fri 6 Nov, 4 answered …
        prompt(utc(2026, 11, 6, 7), i < 4)
    prompt(utc(2026, 11, 8, 14, 59), True)  # … and one at 23:59 JST Sunday: in
    prompt(utc(2026, 11, 8, 15, 0), True)  # 00:00 JST Monday: the next period, out
    for i in range(9):  # the week before: 10 sent, 8 answered
        prompt(utc(2026, 10, 28), i < 7)
    prompt(utc(2026, 11, 1, 14, 59), True)
    for i in range(10):  # three weeks before: 10 sent, 6 answered (the weeks between are empty)
        prompt(utc(2026, 10, 15), i < 6)

    def reflection(who, done, shared=None, answer="", marked=False):
        r = Reflection(network_id=nid, member_id=m[who].id, flow_id=flow.id, started_at=done, completed_at=done,
                       shared=shared, shared_at=done if shared else None)  # fmt: skip
        session.add(r)
        session.flush()
        session.add(ReflectionAnswer(reflection_id=r.id, position=0, question="What did you learn?", answer=answer,
                                     shared=marked, answered_at=done))  # fmt: skip

    reflection("m1", utc(2026, 11, 6, 8), answer=SECRET)
    reflection("m2", utc(2026, 11, 6, 9), "named", "We tried peer review of case notes", True)
    reflection("m3", utc(2026, 11, 6, 10), "anonymous", "Peer review of case notes helped the team", True)
    reflection("m4", utc(2026, 11, 6, 11), "named", "NOT MARKED as the shared answer", False)
    reflection("m5", utc(2026, 11, 8, 14, 59))
    reflection("m7", utc(2026, 10, 28))

    def commitment(created, status=CommitmentStatus.OPEN, due=None, updated=None):
        c = Commitment(network_id=nid, member_id=m["m1"].id, text="call Sam", due_date=due, status=status,
                       created_at=created, updated_at=updated or created)  # fmt: skip
        session.add(c)
        session.flush()
        if status != CommitmentStatus.OPEN:  # the member's answer, kept as the flows keep it
            record_answer(session, network_id=nid, member_id=c.member_id, kind=AnswerKind.COMMITMENT, subject_id=c.id, value=status.value,
                          at=c.updated_at)  # fmt: skip

    commitment(utc(2026, 11, 3), due=date(2026, 11, 5))  # made; overdue
    commitment(utc(2026, 11, 4), due=date(2026, 11, 9))  # made; due on the digest day: not overdue
    commitment(utc(2026, 11, 5), CommitmentStatus.DONE, updated=utc(2026, 11, 6))  # made and done
    commitment(utc(2026, 11, 8, 15))  # the next period
    commitment(utc(2026, 10, 1), CommitmentStatus.STILL_GOING, due=date(2026, 11, 1))  # overdue
    commitment(utc(2026, 10, 1), CommitmentStatus.DROPPED, due=date(2026, 11, 1))  # dropped: not overdue

    pflow = Flow(network_id=nid, kind="pairing", name="fortnightly", created_at=utc(2026, 8, 1), updated_at=utc(2026, 8, 1))
    session.add(pflow)
    session.flush()
    old = PairingRound(network_id=nid, flow_id=pflow.id, number=1, seed="s", ran_at=utc(2026, 10, 20))
    new = PairingRound(network_id=nid, flow_id=pflow.id, number=2, seed="s", ran_at=utc(2026, 11, 3))
    session.add_all([old, new])
    session.flush()

    def group(rnd, members, answers=()):
        g = PairGroup(round_id=rnd.id, created_at=rnd.ran_at)
        session.add(g)
        session.flush()
        for who in members:
            met, learned, *shared = dict(answers).get(who, ("pending", ""))
            session.add(PairMember(group_id=g.id, round_id=rnd.id, member_id=m[who].id, met=met, learned=learned, learned_shared=bool(shared),
                                   answered_at=utc(2026, 11, 7) if met != "pending" else None))  # fmt: skip
            if met != "pending":
                record_answer(session, network_id=nid, member_id=m[who].id, kind=AnswerKind.PAIR, subject_id=g.id, value=met, at=utc(2026, 11, 7))

    group(old, ["m9", "m10"])
    group(new, ["m7", "m2"], [("m7", ("met", "How to run a blameless retro", "shared")), ("m2", ("met", PAIR_SECRET))])
    group(new, ["m1", "m3"], [("m1", ("not_yet", ""))])
    group(new, ["m4", "m5"])

    p1 = Practice(network_id=nid, author_id=m["m9"].id, title="Peer review of case notes", created_at=utc(2026, 10, 20), updated_at=utc(2026, 10, 20))
    p2 = Practice(
        network_id=nid, author_id=m["coord"].id, title="Walk-and-talk supervision", created_at=utc(2026, 11, 4), updated_at=utc(2026, 11, 4)
    )
    p3 = Practice(
        network_id=nid, author_id=m["coord"].id, title="Withdrawn idea", status="withdrawn", created_at=utc(2026, 11, 4), updated_at=utc(2026, 11, 4)
    )
    session.add_all([p1, p2, p3])
    session.flush()

    def steal(p, who, mode, at, outcome=None, outcome_at=None):
        s = Steal(practice_id=p.id, member_id=m[who].id, mode=mode, created_at=at, updated_at=at, outcome=outcome, outcome_at=outcome_at)
        session.add(s)
        session.flush()
        if outcome:
            record_answer(session, network_id=nid, member_id=s.member_id, kind=AnswerKind.STEAL, subject_id=s.id, value=outcome, at=outcome_at)

    steal(p1, "m2", "adapted", utc(2026, 11, 4))
    steal(p1, "m3", "adapted", utc(2026, 11, 5))
    steal(p1, "m4", "closely_based", utc(2026, 11, 6))
    steal(p2, "m6", "accelerated", utc(2026, 11, 6))
    steal(p1, "m8", "adapted", utc(2026, 10, 10), "worked", utc(2026, 11, 5))
    steal(p1, "m10", "accelerated", utc(2026, 10, 10))
    session.flush()
    return people
