"""Steal with pride, driven through the real dispatcher: share, steal, follow up, ask, find, moderate."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.store.answers import FollowUpAnswer
from bot.store.models import AuditEntry, Flow, Network, Role
from bot.store.practices import Practice, PracticeQuestion, SavedPractice, Steal

CHANNEL = "practices"

GOOD = {
    "title": "Buddy walks for new starters",
    "problem": "New staff felt lost in their first month",
    "what_we_did": "Each new starter walks the estate with a buddy from another team",
    "what_made_it_work": "Buddies volunteered; the walk is in work time",
    "watch_out_for": "Don't pair line managers",
    "evidence": "Retention up",
    "tags": "induction, #Peer Support",
    "contact": "Alex",
}


def set_channel(h, channel: str | None = CHANNEL) -> None:
    with h.store.session() as s:
        n = s.get(Network, h.network_id)
        n.practice_channel = channel
        s.add(n)


async def share(h, user: str = "alex", **overrides) -> int:
    await h.submit(user, "practice.share", {**GOOD, **overrides})
    with h.store.session() as s:
        return s.exec(select(Practice).order_by(Practice.id.desc())).first().id


def channel_posts(h):
    return [d for d in h.adapter.delivered if d.to == f"#{CHANNEL}"]


async def test_share_by_form_submission_posts_a_card(harness):
    harness.add_member("alex")
    set_channel(harness)
    pid = await share(harness)
    with harness.store.session() as s:
        p = s.get(Practice, pid)
        assert p.title == GOOD["title"] and p.tags == ["induction", "peer-support"]
        assert p.channel_ref == f"practice.card:{pid}"
    [card] = channel_posts(harness)
    assert "Buddy walks for new starters" in card.text and "What made it work" in card.text
    assert card.labels == ["I'll steal this", "Ask the author", "Save"]
    assert card.choice("I'll steal this").action == "practice.steal" and card.choice("Save").value == str(pid)
    assert f"practice #{pid}" in harness.last("alex").text


async def test_share_through_guided_chat_on_console(harness):
    harness.add_member("alex")
    set_channel(harness)
    out = await harness.command("alex", "share")
    assert "Title" in out[-1].text and "(1 of 8)" in out[-1].text
    await harness.say("alex", "Lunch and learn")
    await harness.say("alex", "skip")  # the problem is optional
    out = await harness.say("alex", "skip")  # what we did is not
    assert "can't be skipped" in out[-1].text
    await harness.say("alex", "Monthly lunch where one team teaches another")
    for _ in range(3):  # what made it work, watch out for, evidence
        await harness.press("alex", "Skip")
    await harness.say("alex", "lunch, learning")
    await harness.say("alex", "-")
    with harness.store.session() as s:
        p = s.exec(select(Practice)).one()
        assert (p.title, p.problem, p.tags, p.contact) == ("Lunch and learn", "", ["lunch", "learning"], "")
    assert "Lunch and learn" in channel_posts(harness)[0].text


async def test_share_validation_is_clear(harness):
    harness.add_member("alex")
    out = await harness.submit("alex", "practice.share", {"title": "", "what_we_did": ""})
    assert "Title is needed" in out[-1].text and "What we did is needed" in out[-1].text
    out = await harness.submit("alex", "practice.share", {"title": "x" * 121, "what_we_did": "ok"})
    assert "Title is too long: 121 characters, at most 120" in out[-1].text
    out = await harness.submit("alex", "practice.share", {"title": "ok", "what_we_did": "y" * 1501})
    assert "at most 1500" in out[-1].text
    # and in the guided chat, a too-long title is refused at once
    await harness.command("alex", "share")
    out = await harness.say("alex", "t" * 130)
    assert "too long" in out[-1].text
    with harness.store.session() as s:
        assert s.exec(select(Practice)).all() == []


async def test_share_without_channel_still_stores_and_says_how(harness):
    harness.add_member("alex")
    pid = await share(harness)
    assert "practice channel" in harness.last("alex").text and f"#{pid}" in harness.last("alex").text
    assert channel_posts(harness) == []


async def test_steal_records_mode_and_note_and_tells_author_once(harness):
    harness.add_member("alex")
    harness.add_member("kim")
    set_channel(harness)
    pid = await share(harness)
    card = channel_posts(harness)[0]
    out = await harness.press("kim", "I'll steal this", message=card)
    assert "How are you taking it?" in out[-1].text and "changing it to fit" in out[-1].text
    await harness.press("kim", "closely based")
    await harness.say("kim", "Same walk, but with our caretakers")
    with harness.store.session() as s:
        steal = s.exec(select(Steal)).one()
        assert (steal.mode, steal.adaptation_note) == ("closely_based", "Same walk, but with our caretakers")
    told = [d for d in harness.inbox("alex") if "is stealing your practice" in d.text]
    assert len(told) == 1 and "Kim" in told[0].text and "closely based" in told[0].text
    assert "caretakers" in told[0].text
    # stealing again updates, and the author is not told twice
    await harness.submit("kim", "practice.steal", {"mode": "adapted", "note": "Now shorter"}, context=str(pid))
    with harness.store.session() as s:
        [steal] = s.exec(select(Steal)).all()
        assert (steal.mode, steal.adaptation_note) == ("adapted", "Now shorter")
    assert len([d for d in harness.inbox("alex") if "is stealing your practice" in d.text]) == 1
    # the card's buttons stayed in place for everyone else
    assert not [d for d in harness.adapter.delivered if d.outgoing.edit == card.ref]


async def test_stealing_your_own_practice_is_refused_kindly(harness):
    harness.add_member("alex")
    pid = await share(harness)
    out = await harness.submit("alex", "practice.steal", {"mode": "adapted"}, context=str(pid))
    assert "your own practice" in out[-1].text
    with harness.store.session() as s:
        assert s.exec(select(Steal)).all() == []


async def test_steal_mode_is_checked(harness):
    harness.add_member("alex")
    harness.add_member("kim")
    pid = await share(harness)
    out = await harness.submit("kim", "practice.steal", {"mode": "borrowed"}, context=str(pid))
    assert "choose one of adapted, accelerated, closely based" in out[-1].text


async def test_introduction_goes_to_both_once(harness):
    harness.add_member("alex")
    harness.add_member("kim")
    pid = await share(harness)
    await harness.submit("kim", "practice.steal", {"mode": "accelerated", "note": "we had started"}, context=str(pid))
    out = await harness.press("kim", "Introduce me to Alex")
    intro = [d for d in out if "meet Kim" in d.text]
    assert {d.to for d in intro} == {"alex", "kim"}
    assert intro[0].outgoing.to.members and len(intro[0].outgoing.to.members) == 2


async def test_follow_up_arrives_after_four_weeks_and_stores_the_answer(harness):
    harness.add_member("alex")
    harness.add_member("kim")
    pid = await share(harness)
    await harness.submit("kim", "practice.steal", {"mode": "adapted", "note": "for our library"}, context=str(pid))
    with harness.store.session() as s:
        assert s.exec(select(Flow).where(Flow.kind == "practice_followups")).one().schedule == "0 * * * *"
    out = await harness.tick(timedelta(days=27, hours=23), step=timedelta(days=1))
    assert not [d for d in out if "How did it go" in d.text]
    out = await harness.tick(timedelta(hours=2))
    asked = [d for d in out if "How did it go" in d.text]
    assert [d.to for d in asked] == ["kim"]
    # asked by the nudges (started by the steal): within kim's weekly cap, and easy to snooze or stop
    assert asked[0].labels == ["Worked", "Partly worked", "Didn't work", "Too early to say", "Not now", "Stop these", "Pause until…"]
    await harness.press("kim", "Partly worked", message=asked[0])
    await harness.say("kim", "Worked for older readers")
    with harness.store.session() as s:
        steal = s.exec(select(Steal)).one()
        assert (steal.outcome, steal.outcome_note) == ("partly", "Worked for older readers")
        assert [(a.kind, a.subject_id, a.value) for a in s.exec(select(FollowUpAnswer))] == [("steal", steal.id, "partly")]  # kept for the digest
    shown = await harness.command("alex", f"practice {pid}")
    assert "partly worked: Worked for older readers" in shown[-1].text
    # asked once only
    out = await harness.tick(timedelta(hours=3))
    assert not [d for d in out if "How did it go" in d.text]


async def test_where_the_nudges_are_off_practices_asks_how_it_went_itself(harness):
    """The steal starts both hourly flows; with the nudges flow turned off, practices' own follow-up asks."""
    harness.add_member("alex")
    harness.add_member("kim")
    pid = await share(harness)
    await harness.submit("kim", "practice.steal", {"mode": "adapted"}, context=str(pid))
    with harness.store.session() as s:
        nudges = s.exec(select(Flow).where(Flow.kind == "nudges")).one()
        nudges.enabled = False
        s.add(nudges)
    out = await harness.tick(timedelta(days=28, hours=1), step=timedelta(days=1))
    asked = [d for d in out if "How did it go" in d.text]
    assert [d.to for d in asked] == ["kim"] and not asked[0].text.startswith("*A gentle nudge*")
    assert asked[0].labels == ["Worked", "Partly worked", "Didn't work", "Too early to say"]
    await harness.press("kim", "Worked", message=asked[0])
    with harness.store.session() as s:
        assert s.exec(select(Steal)).one().outcome == "worked"
        assert [a.value for a in s.exec(select(FollowUpAnswer))] == ["worked"]


async def test_follow_up_delay_is_configurable(harness):
    harness.add_member("alex")
    harness.add_member("kim")
    with harness.store.session() as s:
        n = s.get(Network, harness.network_id)
        n.settings = {"steal_follow_up_days": 3}
        s.add(n)
    pid = await share(harness)
    await harness.submit("kim", "practice.steal", {"mode": "adapted"}, context=str(pid))
    out = await harness.tick(timedelta(days=3, hours=1), step=timedelta(hours=6))
    assert [d.to for d in out if "How did it go" in d.text] == ["kim"]


async def test_ask_the_author_and_make_it_public(harness):
    harness.add_member("alex")
    harness.add_member("kim")
    harness.add_member("sam")
    set_channel(harness)
    pid = await share(harness)
    await harness.press("kim", "Ask the author", message=channel_posts(harness)[0])
    await harness.say("kim", "How do you choose buddies?")
    question = harness.last_with_choice("alex", "Answer")
    assert "How do you choose buddies?" in question.text
    await harness.press("alex", "Answer", message=question)
    await harness.say("alex", "We ask for volunteers each term")
    assert "We ask for volunteers each term" in harness.last("kim").text
    with harness.store.session() as s:
        q = s.exec(select(PracticeQuestion)).one()
        assert (q.answer, q.public) == ("We ask for volunteers each term", False)
    assert "volunteers" in (await harness.command("kim", f"practice {pid}"))[-1].text
    assert "volunteers" not in (await harness.command("sam", f"practice {pid}"))[-1].text
    await harness.press("alex", "Make public")
    assert "volunteers" in (await harness.command("sam", f"practice {pid}"))[-1].text


async def test_save_and_list_saved_mine_popular(harness):
    harness.add_member("alex")
    harness.add_member("kim")
    set_channel(harness)
    first = await share(harness)
    second = await share(harness, title="Exit interviews that matter", tags="retention")
    await harness.press("kim", "Save", message=channel_posts(harness)[1])
    with harness.store.session() as s:
        assert s.exec(select(SavedPractice.practice_id)).all() == [second]
    out = await harness.command("kim", "practices saved")
    assert "Exit interviews" in out[-1].text and "Buddy walks" not in out[-1].text
    await harness.submit("kim", "practice.steal", {"mode": "adapted"}, context=str(first))
    out = await harness.command("kim", "practices popular")
    assert "Buddy walks" in out[-1].text and "1 steal: 1 adapted" in out[-1].text
    out = await harness.command("alex", "practices mine")
    assert "Buddy walks" in out[-1].text and "Exit interviews" in out[-1].text
    out = await harness.command("kim", "practices #retention")
    assert "Exit interviews" in out[-1].text and "Buddy walks" not in out[-1].text
    out = await harness.command("kim", "practices estate buddy")
    assert "Buddy walks" in out[-1].text


async def test_member_cannot_edit_someone_elses_post(harness):
    harness.add_member("alex")
    harness.add_member("kim")
    pid = await share(harness)
    out = await harness.command("kim", f"practice edit {pid}")
    assert "Only the author (Alex) can edit" in out[-1].text
    out = await harness.submit("kim", "practice.share", {"title": "Hacked", "what_we_did": "x"}, context=str(pid))
    assert "Only the author (Alex) can edit" in out[-1].text
    out = await harness.command("kim", f"practice withdraw {pid}")
    assert "Only the author (Alex) can withdraw" in out[-1].text
    with harness.store.session() as s:
        assert s.get(Practice, pid).title == GOOD["title"]


async def test_author_edits_with_prefilled_form_and_withdraws(harness):
    harness.add_member("alex")
    set_channel(harness)
    pid = await share(harness)
    out = await harness.command("alex", f"practice edit {pid}")
    assert f"So far: {GOOD['title']}" in out[-1].text and "Keep" in out[-1].labels
    await harness.say("alex", "Buddy walks, v2")
    for _ in range(7):  # keep every other answer as it was
        await harness.press("alex", "Keep")
    with harness.store.session() as s:
        p = s.get(Practice, pid)
        assert (p.title, p.what_we_did, p.contact, p.tags) == ("Buddy walks, v2", GOOD["what_we_did"], "Alex", ["induction", "peer-support"])
    edits = [d for d in harness.adapter.delivered if d.outgoing.edit == channel_posts(harness)[0].ref]
    assert edits and "v2" in edits[-1].text
    await harness.command("alex", f"practice withdraw {pid}")
    await harness.press("alex", "Withdraw it")
    with harness.store.session() as s:
        assert s.get(Practice, pid).status == "withdrawn"
    out = await harness.command("alex", "practices")
    assert "No practices" in out[-1].text


async def test_facilitator_moderation_is_audited_and_member_refused(harness):
    harness.add_member("fay", role=Role.FACILITATOR)
    harness.add_member("alex")
    pid = await share(harness)
    out = await harness.command("alex", f"practice hide {pid}")
    assert "Only facilitators" in out[-1].text
    await harness.command("fay", f"practice feature {pid}")
    await harness.command("fay", f"practice retag {pid} wellbeing, buddies")
    await harness.command("fay", f"practice hide {pid}")
    with harness.store.session() as s:
        p = s.get(Practice, pid)
        assert (p.featured, p.tags, p.status) == (True, ["wellbeing", "buddies"], "hidden")
        actions = [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == ["practice.feature", "practice.retag", "practice.hide"]
    harness.add_member("kim")
    out = await harness.command("kim", f"practice {pid}")
    assert f"no practice #{pid}" in out[-1].text
    await harness.command("fay", f"practice unhide {pid}")
    out = await harness.command("kim", f"practice {pid}")
    assert "⭐ featured" in out[-1].text and "#wellbeing" in out[-1].text


async def test_bad_practice_numbers_get_clear_answers(harness):
    harness.add_member("kim")
    out = await harness.command("kim", "practice abc")
    assert "isn't a practice number" in out[-1].text and "Usage" in out[-1].text
    out = await harness.command("kim", "practice 999")
    assert "There is no practice #999" in out[-1].text


async def test_practice_channel_accepts_a_hash_name_or_a_slack_link(harness):
    from bot.store.models import Network, Role

    harness.add_member("fac", role=Role.FACILITATOR)
    await harness.command("fac", "practice channel #good-ideas")
    with harness.store.session() as s:
        assert s.get(Network, harness.network_id).practice_channel == "good-ideas"
    await harness.command("fac", "practice channel <#C0PRACT1|good-ideas>")
    with harness.store.session() as s:
        assert s.get(Network, harness.network_id).practice_channel == "C0PRACT1"


async def test_practice_channel_off_stops_posts_and_is_undone(harness):
    harness.add_member("fac", role=Role.FACILITATOR)
    harness.add_member("alex")
    set_channel(harness)
    out = await harness.command("fac", "practice channel off")
    assert "won't be posted in a channel" in out[-1].text
    with harness.store.session() as s:
        assert s.get(Network, harness.network_id).practice_channel is None
    await share(harness)
    assert not channel_posts(harness) and "isn't posted in a channel yet" in harness.last("alex").text
    out = await harness.command("fac", "practice channel off")
    assert "aren't posted in a channel already" in out[-1].text
    await harness.command("fac", "undo")
    with harness.store.session() as s:
        assert s.get(Network, harness.network_id).practice_channel == CHANNEL
    await share(harness, title="Another one")
    assert len(channel_posts(harness)) == 1


async def test_moderation_is_undone_one_step_at_a_time(harness):
    harness.add_member("fay", role=Role.FACILITATOR)
    harness.add_member("alex")
    set_channel(harness)
    pid = await share(harness)
    with harness.store.session() as s:
        original = s.get(Practice, pid).tags
    await harness.command("fay", f"practice feature {pid}")
    await harness.command("fay", f"practice retag {pid} wellbeing")
    await harness.command("fay", f"practice hide {pid}")
    out = await harness.command("fay", "undo")
    assert f"Put practice #{pid}" in out[-1].text and "back as it was" in out[-1].text
    with harness.store.session() as s:
        p = s.get(Practice, pid)
        assert (p.status, p.featured, p.tags) == ("active", True, ["wellbeing"])
    assert "Buddy walks" in channel_posts(harness)[-1].text  # the card is shown again
    await harness.command("fay", "undo")
    await harness.command("fay", "undo")
    with harness.store.session() as s:
        p = s.get(Practice, pid)
        assert (p.status, p.featured, p.tags) == ("active", False, original)
    await harness.command("fay", f"practice hide {pid}")
    await harness.command("alex", f"practice withdraw {pid}")
    await harness.press("alex", "Withdraw it")
    out = await harness.command("fay", "undo")
    assert "withdrawn by its author" in out[-1].text
    with harness.store.session() as s:
        assert s.get(Practice, pid).status == "withdrawn"
