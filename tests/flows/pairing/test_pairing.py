"""The pairing flow end to end: schedule, round, introduction, follow-up,
re-match, facilitator commands and the member's rights, on the fake clock."""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

from sqlmodel import select

from bot.core.markup import to_plain
from bot.store.answers import FollowUpAnswer
from bot.store.models import AuditEntry, Flow, Member, OutboxMessage, Role
from bot.store.pairing import PairExclude, PairGroup, PairingRound, PairMember
from bot.store.reflection import Prompt

FORTNIGHTLY = '"every 2 weeks on monday 09:00"'


def _rows(h, model, *where):
    with h.store.session() as s:
        return list(s.exec(select(model).where(*where)))


def _member(h, user, org, wants=(), offers=(), **kw):
    return h.add_member(user, organisation=org, wants_tags=list(wants), offers_tags=list(offers), **kw)


def _fac(h):
    return h.add_member("fac", role=Role.FACILITATOR, opted_out=["pairing"])


def _groups(h, number=None):
    """Each round's groups as sets of platform user ids, by round number."""
    users = {m.id: m.platform_user_id for m in _rows(h, Member)}
    rounds = {r.id: r.number for r in _rows(h, PairingRound)}
    out: dict[int, dict[int, set[str]]] = {}
    for pm in _rows(h, PairMember, PairMember.met != "rematched"):
        out.setdefault(rounds[pm.round_id], {}).setdefault(pm.group_id, set()).add(users[pm.member_id])
    result = {n: sorted(map(frozenset, g.values()), key=sorted) for n, g in out.items()}
    return result if number is None else result.get(number, [])


async def _run_now(h, arg: str = "", user: str = "fac"):
    """``pairing run-now [N]`` and its confirm button: what the press delivered (or the refusal)."""
    asked = await h.command(user, f"pairing run-now {arg}".strip())
    button = next((c for d in asked for c in d.outgoing.choices if c.label.startswith("Run round")), None)
    if button is None:
        return asked
    return await h.press(user, button.label, message=next(d for d in asked if button in d.outgoing.choices))


def _t(delivered) -> str:
    return to_plain(delivered.text)


def _intros(h, user):
    return [d for d in h.inbox(user) if "you're matched" in d.text or "hosts a visit" in d.text]


async def _four(h):
    _fac(h)
    _member(h, "ann", "Riverside Council", wants=["data sharing"], offers=["youth engagement"], username="ann_r")
    _member(h, "bob", "Hill Agency", wants=["youth engagement"], offers=["data sharing"])
    _member(h, "cara", "Valley School", wants=["data sharing"])
    _member(h, "dan", "Coast Charity", offers=["youth engagement"])


async def test_a_round_introduces_the_reciprocal_pair_with_reasons_and_a_first_question(harness):
    h = harness
    await _four(h)
    out = await _run_now(h)
    assert any("Round 1 is done: 2 groups introduced from 4 members" in d.text for d in out)
    assert _groups(h, 1) == [frozenset({"ann", "bob"}), frozenset({"cara", "dan"})]
    (intro,) = _intros(h, "ann")
    assert "Ann (@ann_r, Riverside Council) and Bob (Hill Agency), you're matched" in _t(intro)
    assert "Ann offers youth engagement, which Bob asked for" in _t(intro)
    assert "Bob offers data sharing, which Ann asked for" in _t(intro)
    assert "different organisations" in _t(intro)
    assert "A first question: What made" in _t(intro)
    assert intro.outgoing.to.members == (h.member("ann").id, h.member("bob").id)  # one group message
    assert [d.to for d in h.adapter.delivered if d.outgoing is intro.outgoing] == ["ann", "bob"]
    assert "Someone is unreachable" in intro.labels
    assert not _intros(h, "fac")  # opted out of pairing
    (group,) = _rows(h, PairGroup, PairGroup.host_id == None)[:1]  # noqa: E711
    assert group.score == 4.5 and group.reasons[0] == ["reciprocal", h.member("ann").id, h.member("bob").id]


async def test_paused_unreachable_alternate_and_telegram_less_members_sit_out(harness):
    h = harness
    _fac(h)
    for user in ("ann", "bob", "cara", "dan"):
        _member(h, user, user)
    _member(h, "pau", "x", paused_until=h.clock.now() + timedelta(days=30))
    _member(h, "unr", "x", unreachable=True)
    _member(h, "brk", "x", availability="paused:2026-12-24")
    _member(h, "alt", "x", availability="alternate")
    _member(h, "opt", "x", opted_out=["pairing"])
    out = await h.command("fac", "pairing preview")
    assert "Sitting out:" in out[-1].text and "1 paused" in out[-1].text and "1 unreachable" in out[-1].text
    await _run_now(h)
    placed = {u for g in _groups(h, 1) for u in g}
    assert placed == {"ann", "bob", "cara", "dan", "alt"}
    assert not _intros(h, "pau") and not _intros(h, "brk") and not _intros(h, "unr") and not _intros(h, "opt")
    assert [len(g) for g in _groups(h, 1)] == [2, 3] or [len(g) for g in _groups(h, 1)] == [3, 2]  # odd: one trio
    await _run_now(h, "2")
    assert "alt" not in {u for g in _groups(h, 2) for u in g}  # every other round
    await _run_now(h, "3")
    assert "alt" in {u for g in _groups(h, 3) for u in g}


async def test_scheduled_rounds_over_eight_weeks_never_repeat_within_the_window(harness):
    h = harness
    _fac(h)
    tags = ["a", "b", "c"]
    for i, user in enumerate(("ann", "bob", "cara", "dan", "eve", "fin")):
        _member(h, user, f"org {i % 3}", wants=[tags[i % 3]], offers=[tags[(i + 1) % 3]])
    out = await h.command("fac", f"pairing schedule {FORTNIGHTLY}")
    assert "every 2 weeks" in out[-1].text and "next round" in out[-1].text
    await h.tick(timedelta(weeks=8, hours=1), step=timedelta(hours=6))
    rounds = _groups(h)
    assert sorted(rounds) == [1, 2, 3, 4]
    for n in rounds:
        assert sorted(u for g in rounds[n] for u in g) == ["ann", "bob", "cara", "dan", "eve", "fin"]
    pairs = {n: {frozenset(p) for g in rounds[n] for p in combinations(sorted(g), 2)} for n in rounds}
    for n in (2, 3, 4):  # default window 3: none of the last 3 rounds' pairs again
        for back in range(1, min(3, n - 1) + 1):
            assert not pairs[n] & pairs[n - back], (n, back)
    ran = [r.ran_at for r in sorted(_rows(h, PairingRound), key=lambda r: r.number)]
    assert all(b - a == timedelta(weeks=2) for a, b in zip(ran, ran[1:]))
    assert all(len(_intros(h, u)) == 4 for u in ("ann", "fin"))


async def test_follow_up_before_the_next_round_yes_stores_the_learned_line(harness):
    h = harness
    await _four(h)
    await h.command("fac", f"pairing schedule {FORTNIGHTLY}")
    await h.tick(timedelta(weeks=2), step=timedelta(hours=6))
    (rnd,) = _rows(h, PairingRound)
    nxt = rnd.ran_at + timedelta(weeks=2)
    assert rnd.followup_at == nxt - timedelta(days=3)
    await h.tick(rnd.followup_at - h.clock.now() - timedelta(hours=1), step=timedelta(hours=6))
    assert not [d for d in h.inbox("ann") if "did you meet" in d.text]
    await h.tick(timedelta(hours=2))
    (ask,) = [d for d in h.inbox("ann") if "did you meet" in d.text]
    assert "did you meet Bob?" in ask.text and ask.labels == ["Yes", "Not yet", "We won't", "My partner is unreachable"]
    out = await h.press("ann", "Yes")
    assert "what did you learn?" in out[-1].text
    out = await h.say("ann", "Ask the youth panel before writing the brief")
    assert "Thanks, noted" in out[-1].text
    await h.press("bob", "Not yet")
    await h.press("cara", "We won't")
    (ann_row,) = _rows(h, PairMember, PairMember.member_id == h.member("ann").id)
    assert ann_row.met == "met" and ann_row.learned == "Ask the youth panel before writing the brief"
    assert _rows(h, PairMember, PairMember.member_id == h.member("bob").id)[0].met == "not_yet"
    # each answer is also kept for good, so a later "Yes" does not move this week's answer out of the digest's week
    assert sorted((a.kind, a.value) for a in _rows(h, FollowUpAnswer)) == [("pair", "met"), ("pair", "not_yet"), ("pair", "wont")]
    statuses = {g.id: g.status for g in _rows(h, PairGroup)}
    assert statuses[ann_row.group_id] == "met" and "wont" in statuses.values()
    await h.tick(timedelta(days=1))
    assert len([d for d in h.inbox("ann") if "did you meet" in d.text and not d.outgoing.edit]) == 1  # asked once per round
    out = await h.command("fac", "pairing history")
    assert "Round 1" in out[-1].text and "met 1, not yet 1, won't 1" in out[-1].text and "1 learning notes" in out[-1].text


async def test_rematch_pairs_with_a_free_member_or_joins_a_group(harness):
    h = harness
    await _four(h)
    await _run_now(h)
    _member(h, "eve", "Other Org", wants=["youth engagement"])  # joined after the round
    out = await h.command("ann", "pairing rematch")
    assert "you're now matched with Eve" in out[-1].text
    assert frozenset({"ann", "eve"}) in _groups(h, 1)
    assert any("you're matched" in d.text and "Eve" in d.text for d in h.inbox("eve"))
    assert "Ann has been re-matched" in h.last("bob").text
    out = await h.command("ann", "pairing rematch")
    assert "already been re-matched" in out[-1].text
    await h.press("bob", "Re-match me")  # nobody free now: bob joins another group
    groups = _groups(h, 1)
    assert any("bob" in g and len(g) == 3 for g in groups) and frozenset({"ann", "bob"}) not in groups
    assert any("Bob joins you" in d.text for d in h.inbox("cara"))


async def test_visit_trios_rotate_the_host_and_ask_the_host_to_set_the_focus(harness):
    h = harness
    _fac(h)
    for i, user in enumerate(("ann", "bob", "cara", "dan", "eve", "fin")):
        _member(h, user, f"org {i}")
    out = await h.command("fac", "pairing mode visit_trios")
    assert "one host and two visitors" in out[-1].text
    hosts = []
    for n in (1, 2, 3):
        await _run_now(h, f"{n}")
        rnd = next(r for r in _rows(h, PairingRound) if r.number == n)
        hosts += [g.host_id for g in _rows(h, PairGroup, PairGroup.round_id == rnd.id)]
    assert len(hosts) == 6 and len(set(hosts)) == 6  # everyone hosts once in three rounds
    host = next(m for m in _rows(h, Member) if m.id == hosts[0])
    intro = [d for d in h.inbox(host.platform_user_id) if "hosts a visit" in d.text][0]
    assert f"{host.display_name}, please set the focus of the visit" in _t(intro)


async def test_preview_stores_and_sends_nothing_and_run_now_does_not_double(harness):
    h = harness
    await _four(h)
    out = await h.command("fac", "pairing preview")
    text = out[-1].text
    assert "Preview of round 1" in text and "Ann and Bob, score 4.5" in text and "Nothing is sent or stored" in text
    assert not _rows(h, PairingRound) and not _rows(h, PairGroup)
    assert not [r for r in _rows(h, OutboxMessage) if r.member_id != h.member("fac").id]
    await _run_now(h)
    out = await _run_now(h)
    assert "still meeting" in out[-1].text and "run-now 2" in out[-1].text
    out = await _run_now(h, "1")
    assert "Round 1 has already run" in out[-1].text
    assert len(_rows(h, PairingRound)) == 1 and len(_intros(h, "ann")) == 1


async def test_a_member_is_refused_facilitator_commands(harness):
    h = harness
    await _four(h)
    for cmd in ("pairing run-now", "pairing preview", "pairing mode visit_trios", "pairing exclude ann bob"):
        out = await h.command("ann", cmd)
        assert "Only facilitators" in out[-1].text, cmd
    assert not _rows(h, PairingRound) and not _rows(h, PairExclude)


async def test_settings_are_audited_and_exclude_keeps_a_pair_apart(harness):
    h = harness
    await _four(h)
    await h.command("fac", "pairing size 3")
    out = await h.command("fac", "pairing weights reciprocal=0.5")
    assert "reciprocal must stay above one_way" in out[-1].text
    await h.command("fac", "pairing weights cross_organisation=2")
    await h.command("fac", "pairing size 2")
    out = await h.command("fac", "pairing exclude ann bob")
    assert "will not be paired together" in out[-1].text
    out = await h.command("fac", "pairing preview")
    assert "Ann and Bob" not in out[-1].text
    await h.command("fac", "undo")
    assert not _rows(h, PairExclude)
    actions = [e.action for e in _rows(h, AuditEntry)]
    assert actions[:4] == ["pairing.size", "pairing.weights", "pairing.size", "pairing.exclude"]
    (flow,) = _rows(h, Flow, Flow.kind == "pairing")
    assert flow.settings["weights"] == {"cross_organisation": 2.0} and flow.settings["group_size"] == 2
    out = await h.command("fac", "pairing schedule every blue moon")
    assert "Usage" in out[-1].text


async def test_forget_removes_the_member_and_keeps_others_records(harness):
    h = harness
    await _four(h)
    await _run_now(h)
    bob_id = h.member("bob").id
    with h.store.session() as s:
        for row in s.exec(select(PairMember)).all():
            row.learned = "Ann showed me the youth panel" if row.member_id == bob_id else "x"
            s.add(row)
    spec = h.beacon.router.personal["pairing"]
    ann_id = h.member("ann").id
    with h.store.session() as s:
        ann = s.get(Member, ann_id)
        assert spec.export(s, ann)[0]["round"] == 1
        spec.forget(s, ann, False)
    assert not _rows(h, PairMember, PairMember.member_id == ann_id)
    (bob_row,) = _rows(h, PairMember, PairMember.member_id == bob_id)
    assert bob_row.learned == "a former member showed me the youth panel"
    group = next(g for g in _rows(h, PairGroup) if g.id == bob_row.group_id)
    assert all(ann_id not in (r[1:] if r[0] != "shared_interest" else r[2]) for r in group.reasons)


async def test_run_now_says_how_many_will_be_paired_and_waits_for_the_button(harness):
    """run-now used to send every introduction at once, with no count and no way back."""
    h = harness
    await _four(h)
    out = await h.command("fac", "pairing run-now")
    assert "Round 1 would pair 4 members into 2 groups" in out[-1].text
    assert out[-1].labels == ["Run round 1: pair 4 members", "Cancel"]
    assert not _rows(h, PairingRound) and not _intros(h, "ann")  # nothing until the press
    await h.press("fac", "Cancel", message=out[-1])
    assert "Cancelled" in h.last("fac").text and not _rows(h, PairingRound)
    out = await h.command("fac", "pairing run-now")
    await h.press("ann", "Run round 1: pair 4 members", message=out[-1])  # a member's forged press
    assert not _rows(h, PairingRound)
    h.clock.advance(hours=2)
    stale = await h.press("fac", "Run round 1: pair 4 members", message=out[-1])
    assert "over an hour ago" in stale[-1].text and not _rows(h, PairingRound)
    await _run_now(h)
    assert len(_rows(h, PairingRound)) == 1 and len(_intros(h, "ann")) == 1


async def test_an_introduction_waits_until_the_whole_pair_may_be_messaged(harness):
    h = harness
    _fac(h)
    _member(h, "ann", "Riverside Council", wants=["data sharing"], offers=["youth engagement"])
    _member(h, "bob", "Hill Agency", wants=["youth engagement"], offers=["data sharing"])
    _member(h, "cara", "Valley School", wants=["data sharing"], timezone="America/Los_Angeles")  # 01:00 there
    _member(h, "dan", "Coast Charity", offers=["youth engagement"], timezone="America/Los_Angeles")
    await _run_now(h)
    assert _groups(h, 1) == [frozenset({"ann", "bob"}), frozenset({"cara", "dan"})]
    assert len(_intros(h, "ann")) == 1 and not _intros(h, "cara")
    await h.tick(hours=6, minutes=30)  # 07:30 in Los Angeles
    assert not _intros(h, "cara") and not _intros(h, "dan")
    await h.tick(minutes=30)  # 08:00 there: their quiet hours are over
    assert len(_intros(h, "cara")) == 1 and len(_intros(h, "dan")) == 1


async def test_the_introduction_offers_one_tap_to_skip_a_round_or_stop_pairing(harness):
    h = harness
    await _four(h)
    await h.command("fac", f"pairing schedule {FORTNIGHTLY}")
    await _run_now(h)
    (intro,) = _intros(h, "ann")
    assert intro.labels == ["Write to them through me", "Someone is unreachable", "Skip next round", "Stop pairing me", "Pause until…"]
    out = await h.press("ann", "Skip next round", message=intro)
    assert "sit out the next round (Mon 9 Nov)" in out[-1].text
    assert h.member("ann").availability == "paused:2026-11-10"
    out = await h.press("bob", "Stop pairing me", message=intro)
    assert "Learning pairs are off" in out[-1].text and h.member("bob").opted_out == ["pairing"]
    await h.press("bob", "Undo")
    assert h.member("bob").opted_out == []


async def test_what_a_pair_learned_stays_private_until_the_member_shares_it(harness):
    h = harness
    await _four(h)
    h.add_member("cora", role=Role.COORDINATOR)
    await h.command("fac", f"pairing schedule {FORTNIGHTLY}")
    await h.tick(timedelta(weeks=2), step=timedelta(hours=6))
    (rnd,) = _rows(h, PairingRound)
    await h.tick(rnd.followup_at - h.clock.now() + timedelta(hours=1), step=timedelta(hours=6))
    await h.press("ann", "Yes")
    out = await h.say("ann", "Ask the youth panel before writing the brief")
    assert "Share this with the coordinators?" in out[-1].text
    assert out[-1].labels == ["Yes, share it", "No, keep it private"]
    await h.tick(timedelta(days=1))
    preview = (await h.command("cora", "digest preview"))[-1].text
    assert "youth panel" not in preview  # not asked yet counts as private
    out = await h.press("ann", "Yes, share it", message=h.last_with_choice("ann", "Yes, share it"))
    assert "may quote it" in out[-1].text
    (row,) = _rows(h, PairMember, PairMember.member_id == h.member("ann").id)
    assert row.learned_shared
    preview = (await h.command("cora", "digest preview"))[-1].text
    assert "Ask the youth panel before writing the brief" in preview


async def test_a_pairing_schedule_in_quiet_hours_is_accepted_with_a_warning(harness):
    """A Saturday round used to be accepted without a word, though its introductions wait for Monday."""
    h = harness
    await _four(h)
    out = await h.command("fac", 'pairing schedule "every 2 weeks on saturday 10:00"')
    assert "Pairing rounds run" in out[-1].text
    assert "are in their quiet hours or weekend then" in out[-1].text and "most on Mon 08:00" in out[-1].text
    out = await h.command("fac", 'pairing schedule "every 2 weeks on tuesday 10:00"')
    assert "quiet hours" not in out[-1].text


async def test_an_after_visit_reflection_follows_a_visit_when_the_trio_says_it_happened(harness):
    """Not every Friday: the after-visit questions come when a member says the visit took place."""
    h = harness
    _fac(h)
    for i, user in enumerate(("ann", "bob", "cara")):
        _member(h, user, f"org {i}")
    await h.command("fac", "pairing mode visit_trios")
    out = await h.command("fac", "reflection add visit after_visit")
    assert "when they say the visit happened" in out[-1].text
    await h.command("fac", f"pairing schedule {FORTNIGHTLY}")
    await h.tick(timedelta(weeks=2), step=timedelta(hours=6))
    (rnd,) = _rows(h, PairingRound)
    await h.tick(rnd.followup_at - h.clock.now() + timedelta(hours=1), step=timedelta(hours=6))
    assert not [d for d in h.inbox("ann") if "Visit reflection" in d.text]  # nothing on a schedule
    out = await h.press("ann", "Yes")
    (prompt,) = [d for d in out if "Visit reflection" in d.text]
    assert prompt.to == "ann" and "Answer now" in prompt.labels
    out = await h.press("ann", "Answer now", message=prompt)
    assert any("What did you see on the visit?" in d.text for d in out)
    assert not [d for d in h.inbox("bob") if "Visit reflection" in d.text]  # bob has not said so yet


async def _night_pair(h):
    """ann and bob in London; cara and dan in Los Angeles, where it is 01:00: their introduction waits for 08:00."""
    _fac(h)
    _member(h, "ann", "Riverside Council", wants=["data sharing"], offers=["youth engagement"])
    _member(h, "bob", "Hill Agency", wants=["youth engagement"], offers=["data sharing"])
    _member(h, "cara", "Valley School", wants=["data sharing"], timezone="America/Los_Angeles")
    _member(h, "dan", "Coast Charity", offers=["youth engagement"], timezone="America/Los_Angeles")
    await _run_now(h)
    assert _groups(h, 1) == [frozenset({"ann", "bob"}), frozenset({"cara", "dan"})]


async def test_an_introduction_held_for_the_morning_leaves_out_a_member_who_paused_in_the_night(harness):
    h = harness
    await _night_pair(h)
    await h.command("dan", "pause 1w")
    await h.tick(hours=7)  # 08:00 in Los Angeles
    (intro,) = _intros(h, "cara")
    assert not _intros(h, "dan")
    assert "paused" not in _t(intro)  # nothing says why dan is missing
    (row,) = _rows(h, OutboxMessage, OutboxMessage.key.startswith("pairing:intro:"), OutboxMessage.status == "sent",
                   OutboxMessage.payload["to"]["members"].as_string().contains(str(h.member("cara").id)))  # fmt: skip
    assert row.payload["to"]["members"] == [h.member("cara").id]


async def test_an_introduction_to_a_pair_counts_for_each_members_gap(harness):
    """The introduction reached ann at 09:00: a reflection due at 10:00 waits for the two-hour gap."""
    h = harness
    await _night_pair(h)
    assert len(_intros(h, "ann")) == 1
    out = await h.command("fac", "reflection add weekly weekly every monday 10:00")
    assert "Added the reflection `weekly`" in out[0].text
    await h.tick(hours=2, step=timedelta(minutes=30))  # 11:00
    with h.store.session() as s:
        sent = {p.member_id: p.sent_at for p in s.exec(select(Prompt))}
    assert sent[h.member("ann").id] == h.clock.now()  # 11:00, not 10:00
    assert sent[h.member("fac").id] == h.clock.now() - timedelta(hours=1)  # the facilitator was not introduced
