"""``raised``, the planner's "never twice" in SQL, says what ``rules.eligible`` says in Python.

The follow-up sources' loads leave out in SQL what the planner would drop in
Python; if the two ever disagreed, a member would be asked twice (or never).
Each case is a member's history of one subject, checked both ways.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.flows.nudges import rules
from bot.store.models import Member, Network
from bot.store.nudges import NudgeLog, raised, subject_sql

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
DAY = timedelta(days=1)

# (history of subject "commitment:7" for the member: (days before now, outcome, snoozed until (days from now)))
CASES = {
    "never raised": [],
    "sent, unanswered": [(2, None, None)],
    "answered": [(20, "answered", None)],
    "dismissed": [(20, "dismissed", None)],
    "not now, a week not over": [(2, "snoozed", 5)],
    "not now, the week is over": [(9, "snoozed", -2)],
    "not now, then raised again": [(20, "snoozed", -13), (9, None, None)],
    "not now with no end": [(2, "snoozed", None)],
}


@pytest.mark.parametrize("case", CASES)
def test_raised_in_sql_is_not_eligible_in_the_planner(any_store, case):
    with any_store.session() as s:
        net = Network(platform="console", platform_key="n", name="N", timezone="UTC", created_at=NOW)
        s.add(net)
        s.flush()
        ann, bob = (Member(network_id=net.id, platform_user_id=n, display_name=n, created_at=NOW) for n in ("ann", "bob"))
        s.add_all([ann, bob])
        s.flush()
        history = []
        for n, (days, outcome, until) in enumerate(CASES[case]):
            sent = rules.Sent("commitment:7", "commitment", f"b{n}", NOW - days * DAY, outcome, None if until is None else NOW + until * DAY)
            history.append(sent)
            s.add(NudgeLog(network_id=net.id, member_id=ann.id, rule=sent.rule, subject=sent.subject, batch=sent.batch,
                           sent_at=sent.sent_at, outcome=sent.outcome, snoozed_until=sent.snoozed_until))  # fmt: skip
        # the same subject for someone else, and another subject for ann, settle nothing here
        s.add(NudgeLog(network_id=net.id, member_id=bob.id, rule="commitment", subject="commitment:7", batch="o", sent_at=NOW - DAY))
        s.add(NudgeLog(network_id=net.id, member_id=ann.id, rule="commitment", subject="commitment:70", batch="p", sent_at=NOW - DAY))
        s.flush()
        in_sql = s.exec(select(raised(net.id, ann.id, subject_sql("commitment:", 7), NOW))).one()
        assert bool(in_sql) is not rules.eligible(history, "commitment:7", NOW)
        # correlated, as the sources use it: the members it leaves for the planner
        left = s.exec(select(Member.display_name).where(Member.network_id == net.id,
                                                        ~raised(net.id, Member.id, subject_sql("commitment:", 7), NOW))).all()  # fmt: skip
        assert sorted(left) == (["ann"] if rules.eligible(history, "commitment:7", NOW) else [])
