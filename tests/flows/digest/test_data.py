"""Every figure of the digest against a hand-built history (tests/support/digest.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from bot.flows.digest.data import build_digest
from bot.flows.digest.flags import look_at
from bot.flows.digest.period import period_between, period_ending
from bot.flows.digest.themes import themes
from bot.store.models import Network
from tests.support.digest import END_DAY, TZ, build, utc


def _digest(store, quiet_weeks=3):
    with store.session() as session:
        build(session)
    with store.session() as session:
        net = session.exec(select(Network).where(Network.platform_key == "tokyo")).one()
        return build_digest(session, net, period_ending(END_DAY, TZ), quiet_weeks=quiet_weeks)


def test_period_boundaries_are_local_midnights():
    p = period_ending(END_DAY, TZ)
    assert p.start == utc(2026, 11, 1, 15) and p.end == utc(2026, 11, 8, 15)  # 00:00 JST
    assert p.baseline_start == utc(2026, 10, 4, 15)
    assert p.label() == "2 Nov – 8 Nov 2026"
    # across a clock change a week is 169 hours long, and the boundary is still midnight
    london = period_ending(date(2026, 11, 2), "Europe/London")
    assert london.start == utc(2026, 10, 26, 0) and london.end == utc(2026, 11, 2, 0)
    assert london.bounds[-3] == utc(2026, 10, 18, 23)  # Monday 19 Oct 00:00 BST
    assert london.bounds[-2] - london.bounds[-3] == timedelta(hours=169)
    assert period_between(date(2026, 11, 2), date(2026, 11, 8), TZ) == p


def test_participation(any_store):
    d = _digest(any_store)
    p = d.participation
    assert (p.sent, p.answered) == (11, 5)  # 23:59 JST Sunday counts, 00:00 Monday does not
    assert (p.baseline_sent, p.baseline_answered) == (20, 14)
    assert round(p.rate, 3) == round(5 / 11, 3) and p.baseline_rate == 0.7
    # m1-m5 reflected, m6 stole, m7 answered a pairing follow-up, m11 joined and wrote, coord wrote
    assert p.active == 9
    assert p.members == 12 and p.new_members == 1  # m11 joined mid-period
    assert p.baseline_active == (2 + 1 + 1 + 1) / 4
    # m8's last sign of life was 23:00 JST the night before the cutoff; m9's at 00:00 exactly
    assert p.quiet.count == 2 and p.quiet.names == ("m10", "m8")


def test_weekly_series_has_empty_weeks(sqlite_store):
    d = _digest(sqlite_store)
    assert len(d.weeks) == 12
    assert [(w.sent, w.answered) for w in d.weeks[7:]] == [(0, 0), (10, 6), (0, 0), (10, 8), (11, 5)]
    assert d.weeks[9].answer_rate is None and d.weeks[0].members == 0 and d.weeks[0].participation is None
    assert d.weeks[-1].start == date(2026, 11, 2)
    assert d.weeks[-1].members == 12 and d.weeks[-2].members == 11


def test_reflections_only_shared_text(any_store):
    r = _digest(any_store).reflections
    assert (r.completed, r.baseline_completed, r.shared) == (5, 1, 3)
    assert [(e.who, e.text) for e in r.excerpts] == [
        ("m2", "We tried peer review of case notes"),
        ("a member", "Peer review of case notes helped the team"),
    ]
    assert r.themes == (("case notes", 2), ("peer review", 2))


def test_commitments_pairs_practices(any_store):
    d = _digest(any_store)
    assert (d.commitments.made, d.commitments.done, d.commitments.overdue) == (3, 1, 2)
    assert (d.pairs.formed, d.pairs.answered, d.pairs.met) == (3, 2, 1)
    assert d.pairs.learned == ("How to run a blameless retro",)
    pr = d.practices
    assert pr.new_posts == 2 and pr.steals == 4  # the withdrawn one was shared this week too (as the CSV counts it)
    assert pr.most_stolen == (("Peer review of case notes", 3), ("Walk-and-talk supervision", 1))
    assert pr.mix == {"adapted": 2, "accelerated": 1, "closely_based": 1}
    assert pr.mix_all == {"adapted": 3, "accelerated": 2, "closely_based": 1}
    assert pr.outcomes == {"worked": 1}


def test_flags(sqlite_store):
    flags = look_at(_digest(sqlite_store))
    assert "The answer rate fell from 70% to 45%." in flags
    assert "3 steals of the same practice this week: “Peer review of case notes”." in flags


def test_quiet_weeks_setting(sqlite_store):
    # with one week, everyone without activity since Mon 2 Nov is quiet: m8, m9, m10 (m7 answered a follow-up)
    assert _digest(sqlite_store, quiet_weeks=1).participation.quiet.names == ("m10", "m8", "m9")


def test_an_empty_network(sqlite_store):
    with sqlite_store.session() as session:
        net = Network(platform="console", platform_key="empty", name="Empty", timezone="UTC", created_at=utc(2026, 1, 1))
        session.add(net)
        session.flush()
        d = build_digest(session, net, period_ending(END_DAY, "UTC"))
    assert d.participation.sent == 0 and d.participation.rate is None and d.participation.quiet.count == 0
    assert d.practices.mix == {"adapted": 0, "accelerated": 0, "closely_based": 0}
    assert look_at(d) == []


def test_themes_drop_stop_words():
    got = themes(["The team and the budget", "Our budget, the team!", "team budget"])
    assert got == [("budget", 3), ("team", 3)]
    assert themes(["only once"]) == []


def test_themes_are_real_phrases_or_nothing():
    texts = ["Huddle huddle every morning.", "huddle Huddle boards", "Boards. Huddle again", "the the and of"]
    picked = dict(themes(texts))
    assert "huddle huddle" not in picked and "boards huddle" not in picked  # no repeats, nothing across a full stop
    assert not any(w in {"the", "and", "of"} for t in picked for w in t.split())
    assert themes(["One lonely shared answer about huddle boards"]) == []  # too few answers to say anything
