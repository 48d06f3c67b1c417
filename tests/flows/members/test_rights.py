"""Member rights: the export holds every registered part; forget-me leaves no row naming the member."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import JSON, String, Text
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.core.messages import Address, Outgoing
from bot.store import outbox
from bot.store.models import AuditEntry, Member, Network, OutboxMember, OutboxMessage, Role

ZELDA = {"user": "U7ZELDA", "display_name": "Zelda Quixote", "username": "zquix"}


def _notes_part(router):
    """A stand-in flow with personal data, registered the way every flow does."""
    notes: dict[int, list[str]] = {}
    calls: list[bool] = []

    def export(session, member):
        return notes.get(member.id, [])

    def forget(session, member, keep_shared):
        calls.append(keep_shared)
        notes.pop(member.id, None)

    router.personal_data("test_notes", export=export, forget=forget)
    return notes, calls


def scan_for(store, needles: list[str]) -> list[str]:
    """Every (table, column, value) whose text or JSON mentions one of ``needles``."""
    hits = []
    with store.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
            if not cols:
                continue
            for row in conn.execute(sa_select(*cols)):
                for col, value in zip(cols, row):
                    text = json.dumps(value) if not isinstance(value, str) else value
                    for n in needles:
                        if value is not None and n.lower() in text.lower():
                            hits.append(f"{table.name}.{col.name}: {text[:120]}")
    return hits


async def _run_now(h) -> None:
    """``reflection run-now weekly``, confirmed with its button."""
    out = await h.command("fac", "reflection run-now weekly")
    await h.press("fac", next(label for label in out[-1].labels if label.startswith("Send to")), message=out[-1])


def _zelda(h, **kw):
    return h.add_member(ZELDA["user"], display_name=ZELDA["display_name"], username=ZELDA["username"], organisation="Quixote Trust", **kw)


async def test_my_data_exports_every_registered_part(harness):
    h = harness
    notes, _ = _notes_part(h.beacon.router)
    h.add_member("fac", role=Role.FACILITATOR)
    z = _zelda(h)
    notes[z.id] = ["tried the huddle board"]
    await h.command("fac", 'cohort add "wave 2"')
    await h.command("fac", 'cohort assign @zquix "wave 2"')
    out = await h.command(ZELDA["user"], "my-data", user_name=ZELDA["display_name"])
    msg = out[-1].outgoing
    assert (msg.attachment.kind, msg.attachment.name, msg.attachment.mime_type) == ("file", "my-data.json", "application/json")
    assert "everything Beacon stores about you" in msg.text
    data = json.loads(msg.attachment.content)
    assert set(h.beacon.router.personal) <= set(data)  # every flow's part is there
    assert data["test_notes"] == ["tried the huddle board"]
    assert data["member"]["display_name"] == "Zelda Quixote" and data["member"]["cohort"] == "wave 2"
    assert data["member"]["organisation"] == "Quixote Trust"


async def test_my_data_from_a_channel_goes_privately(harness):
    h = harness
    _zelda(h)
    out = await h.command(ZELDA["user"], "my-data", user_name=ZELDA["display_name"], is_private=False, conversation="C-general")
    files = [d for d in out if d.outgoing.attachment and d.outgoing.attachment.name == "my-data.json"]
    assert files and files[0].outgoing.to.members and not files[0].outgoing.to.channel
    assert any("in a private message" in d.text for d in out)


async def test_forget_me_leaves_no_row_naming_the_member(harness):
    h = harness
    notes, calls = _notes_part(h.beacon.router)
    fac = h.add_member("fac", role=Role.FACILITATOR)
    z = _zelda(h)
    notes[z.id] = ["a private note"]
    await h.command("fac", 'cohort add "wave 2"')
    await h.command("fac", 'cohort assign @zquix "wave 2"')
    await h.command("fac", "role grant @zquix coordinator")  # a DM to her, a reply naming her, audit entries
    await h.command(ZELDA["user"], "my-data", user_name=ZELDA["display_name"])
    with h.store.session() as s:  # something still waiting to be sent to her, and a group message naming her
        outbox.enqueue(
            s,
            key="later",
            network_id=h.network_id,
            platform="console",
            now=h.clock.now(),
            outgoing=Outgoing(text="Reminder for Zelda Quixote", to=Address.member(z.id)),
            not_before=h.clock.now() + timedelta(days=2),
        )
        outbox.enqueue(
            s,
            key="intro",
            network_id=h.network_id,
            platform="console",
            now=h.clock.now(),
            outgoing=Outgoing(text="Fac, meet Zelda Quixote (@zquix)", to=Address.group([fac.id, z.id])),
            not_before=h.clock.now() + timedelta(days=2),
            unprompted="pairing",
        )
    needles = [ZELDA["user"], ZELDA["display_name"], ZELDA["username"], "Quixote Trust"]
    assert scan_for(h.store, needles)  # the scan does find her before

    await h.command(ZELDA["user"], "forget-me", user_name=ZELDA["display_name"])
    assert h.last(ZELDA["user"]).labels == ["Delete my data", "Keep shared practices, delete the rest", "Cancel"]
    await h.press(ZELDA["user"], "Delete my data", user_name=ZELDA["display_name"])
    assert "your data is deleted" in h.last(ZELDA["user"]).text  # the goodbye still reached her

    assert scan_for(h.store, needles) == []
    assert calls == [False] and z.id not in notes
    with h.store.session() as s:
        m = s.get(Member, z.id)
        assert m.display_name == "a former member" and m.platform_user_id.startswith("forgotten:")
        assert m.roles == frozenset() and m.cohort is None and m.unreachable
        rows = s.exec(select(OutboxMessage)).all()
        assert "later" not in {r.key for r in rows}  # the pending message to her was cancelled
        intro = next(r for r in rows if r.key == "intro")
        assert intro.payload["to"]["members"] == [fac.id] and "a former member" in intro.payload["text"]
        assert [r.member_id for r in s.exec(select(OutboxMember))] == [fac.id]  # it counts for no one else's gap
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "rights.forget")).one().actor_id == z.id
    # writing again makes a new, ordinary member
    await h.command(ZELDA["user"], "help", user_name=ZELDA["display_name"])
    assert h.member(ZELDA["user"]).id != z.id


async def test_forget_me_keep_shared_and_cancel(harness):
    h = harness
    notes, calls = _notes_part(h.beacon.router)
    _zelda(h)
    await h.command(ZELDA["user"], "forget-me")
    await h.press(ZELDA["user"], "Cancel")
    assert "Nothing was deleted" in h.last(ZELDA["user"]).text
    assert h.member(ZELDA["user"]).display_name != "a former member"
    await h.command(ZELDA["user"], "forget-me")
    await h.press(ZELDA["user"], "Keep shared practices, delete the rest")
    assert calls == [True]
    assert "shared practices stay" in h.last(ZELDA["user"]).text


async def test_retention_setting_runs_every_hook_daily_and_can_be_undone(harness):
    h = harness
    seen: list[tuple[int, object]] = []
    h.beacon.router.retention("test_replies", lambda session, network, before: seen.append((network.id, before)) or 0)
    h.add_member("fac", role=Role.FACILITATOR)
    out = await h.command("fac", "retention")
    assert "kept until members delete them" in out[-1].text
    out = await h.command("fac", "retention 0")
    assert "from 1 to 3650" in out[-1].text
    await h.command("fac", "retention 30")
    with h.store.session() as s:
        assert s.get(Network, h.network_id).settings["retention_days"] == 30
    await h.tick(hours=24)
    assert len(seen) == 1
    network_id, before = seen[0]
    assert network_id == h.network_id and before.hour == 3 and (h.clock.now() - before).days in (30, 31)
    await h.command("fac", "undo")
    with h.store.session() as s:
        assert "retention_days" not in s.get(Network, h.network_id).settings
    await h.tick(hours=24)
    assert len(seen) == 1  # no retention configured, nothing deleted


# -- every flow's data, driven through the real commands, then forgotten -------------------------

ZN = {"user_name": ZELDA["display_name"]}
PRACTICE = {
    "title": "Walk-and-talk supervision",
    "problem": "Supervision felt like an inspection",
    "what_we_did": "Zelda Quixote started walking supervisions by the river",
    "what_made_it_work": "No notes during the walk",
    "watch_out_for": "Weather",
    "evidence": "Staff survey",
    "tags": "supervision",
    "contact": "Zelda Quixote, zelda@quixote.example",
}


async def _zelda_everywhere(h):
    """Zelda with a practice, a steal, a save, questions asked and answered, a reflection and its
    commitment, a pair group and a nudge log; returns her member row and the practice ids."""
    from bot.store.commitments import Commitment
    from bot.store.nudges import NudgeLog
    from bot.store.pairing import PairMember
    from bot.store.practices import Practice, PracticeQuestion, SavedPractice, Steal
    from bot.store.reflection import Reflection, ReflectionAnswer

    h.add_member("fac", role=Role.FACILITATOR)
    kim = h.add_member("kim", organisation="Kim Works", wants="supervision", offers="induction")
    z = _zelda(h, wants="induction", offers="supervision")
    with h.store.session() as s:
        n = s.get(Network, h.network_id)
        n.practice_channel = "practices"
        s.add(n)
    await h.command("fac", "nudges rules")  # the hourly nudge flow
    await h.command("fac", "reflection add weekly weekly every friday 16:00")
    await _run_now(h)
    await h.say(ZELDA["user"], "1. walking supervision\n2. Zelda Quixote felt lighter\n3. fresh air helps\n4. Call the river team by Friday", **ZN)
    await h.press(ZELDA["user"], "Looks right", **ZN)
    await h.submit(ZELDA["user"], "practice.share", PRACTICE, **ZN)
    await h.submit("kim", "practice.share", {**PRACTICE, "title": "Buddy walks", "what_we_did": "Buddies", "contact": "Kim"})
    with h.store.session() as s:
        mine, kims = (p.id for p in s.exec(select(Practice).order_by(Practice.id)))
    cards = {d.text.split("\n")[0]: d for d in h.adapter.delivered if d.to == "#practices"}
    kim_card = next(d for t, d in cards.items() if "Buddy walks" in t)
    zelda_card = next(d for t, d in cards.items() if "Walk-and-talk" in t)
    await h.submit(ZELDA["user"], "practice.steal", {"mode": "adapted", "note": "Zelda's version, shorter"}, context=str(kims), **ZN)
    await h.press(ZELDA["user"], "Save", message=kim_card, **ZN)
    await h.press(ZELDA["user"], "Ask the author", message=kim_card, **ZN)
    await h.say(ZELDA["user"], "Zelda here: how long are the walks?", **ZN)
    await h.submit("kim", "practice.steal", {"mode": "closely_based", "note": "ours by the canal"}, context=str(mine))
    await h.press("kim", "Ask the author", message=zelda_card)
    await h.say("kim", "Does it work in winter?")
    await h.press(ZELDA["user"], "Answer", message=h.last_with_choice(ZELDA["user"], "Answer"), **ZN)
    await h.say(ZELDA["user"], "Zelda says: with coats, yes", **ZN)
    asked = await h.command("fac", "pairing run-now")
    await h.press("fac", asked[-1].labels[0], message=asked[-1])  # the confirm button
    await h.tick(timedelta(days=4, hours=2), step=timedelta(hours=1))  # Friday: her commitment is nudged
    with h.store.session() as s:
        for model, column in ((Steal, Steal.member_id), (SavedPractice, SavedPractice.member_id),
                              (PracticeQuestion, PracticeQuestion.asker_id), (Reflection, Reflection.member_id),
                              (Commitment, Commitment.member_id), (PairMember, PairMember.member_id),
                              (NudgeLog, NudgeLog.member_id)):  # fmt: skip
            assert s.exec(select(model).where(column == z.id)).all(), model.__name__
        assert s.exec(select(ReflectionAnswer)).all()
        assert s.exec(select(PracticeQuestion).where(PracticeQuestion.asker_id == kim.id)).one().answer
    return z, mine, kims


NEEDLES = [ZELDA["user"], ZELDA["display_name"], ZELDA["username"], "Quixote Trust"]


async def test_my_data_holds_every_flow_of_hers(harness):
    h = harness
    await _zelda_everywhere(h)
    out = await h.command(ZELDA["user"], "my-data", **ZN)
    data = json.loads(out[-1].outgoing.attachment.content)
    p = data["practices"]
    assert [x["title"] for x in p["posts"]] == ["Walk-and-talk supervision"]
    assert [(x["title"], x["note"]) for x in p["steals"]] == [("Buddy walks", "Zelda's version, shorter")]
    assert [x["title"] for x in p["saved"]] == ["Buddy walks"]
    assert [x["question"] for x in p["questions_asked"]] == ["Zelda here: how long are the walks?"]
    assert [(x["question"], x["answer"]) for x in p["answers_given"]] == [("Does it work in winter?", "Zelda says: with coats, yes")]
    assert data["reflection"]["commitments"][0]["text"].startswith("Call the river team")
    assert data["pairing"] and data["nudges"]


async def test_forget_me_everywhere_deletes_all_of_it(harness):
    from bot.store.practices import Practice, PracticeQuestion, SavedPractice, Steal

    h = harness
    z, mine, kims = await _zelda_everywhere(h)
    assert scan_for(h.store, NEEDLES)
    await h.command(ZELDA["user"], "forget-me", **ZN)
    await h.press(ZELDA["user"], "Delete my data", **ZN)
    hits = scan_for(h.store, NEEDLES)
    assert hits == [], "\n".join(hits)
    with h.store.session() as s:
        assert [p.id for p in s.exec(select(Practice))] == [kims]  # her post went, with Kim's steal and question of it
        assert s.exec(select(Steal)).all() == [] and s.exec(select(SavedPractice)).all() == []
        assert s.exec(select(PracticeQuestion)).all() == []
    out = await h.command("kim", "practices supervision")
    assert "Walk-and-talk" not in out[-1].text  # gone from search too
    card = _card_now(h, "Walk-and-talk")
    assert card.outgoing.text == f"_Practice #{mine} is no longer available._" and card.labels == []
    out = await h.command("kim", f"practice {mine}")
    assert "Walk-and-talk" not in out[-1].text


async def test_forget_me_keep_shared_leaves_her_post_to_a_former_member(harness):
    from bot.store.practices import Practice, PracticeQuestion, Steal

    h = harness
    z, mine, kims = await _zelda_everywhere(h)
    kim = h.member("kim")
    await h.command(ZELDA["user"], "forget-me", **ZN)
    await h.press(ZELDA["user"], "Keep shared practices, delete the rest", **ZN)
    assert scan_for(h.store, NEEDLES) == []  # the post stays, but nothing in it names her
    with h.store.session() as s:
        post = s.get(Practice, mine)
        assert post.author_id is None and post.contact == ""
        assert post.what_we_did == "a former member started walking supervisions by the river"
        assert [st.member_id for st in s.exec(select(Steal))] == [kim.id]  # Kim's steal of it stays
        (q,) = s.exec(select(PracticeQuestion)).all()  # hers to Kim went; Kim's to her stays, her private answer cleared
        assert q.practice_id == mine and q.answer is None
    out = await h.command("kim", f"practice {mine}")
    assert "shared by a former member" in out[-1].text and "ours by the canal" in out[-1].text
    out = await h.command("kim", "practices supervision")
    assert "Walk-and-talk" in out[-1].text and "a former member" in out[-1].text  # still found by search
    card = _card_now(h, "Walk-and-talk")  # the channel card people can still see names her no more
    assert "Walk-and-talk" in card.text and "a former member" in card.text
    assert not any(n in card.text for n in NEEDLES) and card.labels  # still stealable


def _card_now(h, title: str):
    """The channel card as it shows now: its latest delivery, edits included."""
    first = next(d for d in h.adapter.delivered if d.to == "#practices" and title in d.text)
    return [d for d in h.adapter.delivered if d.ref == first.ref][-1]


async def test_retention_deletes_old_unshared_answers_and_keeps_shared_ones(harness):
    from bot.store.reflection import Prompt, Reflection, ReflectionAnswer

    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana")
    await h.command("fac", "reflection add weekly weekly every friday 16:00")
    await h.command("fac", "reflection edit weekly channel #practice")
    await h.command("fac", "reflection edit weekly share on")
    await _run_now(h)
    await h.say("ana", "1. huddles\n2. they came\n3. short works\n4. keep going")
    await h.press("ana", "Looks right")
    await h.tick(days=2)
    await _run_now(h)
    await h.say("ana", "1. pairs\n2. good talk\n3. listening matters\n4. more pairs")
    out = await h.press("ana", "Looks right")
    await h.press("ana", "Share anonymously", message=next(d for d in out if "Share anonymously" in d.labels))
    await h.tick(days=2)
    await _run_now(h)
    await h.say("ana", "1. recent\n2. fresh\n3. new\n4. later")
    await h.press("ana", "Looks right")
    await h.command("fac", "retention 3")
    with h.store.session() as s:
        prompts = set(s.exec(select(Prompt.id)))
    await h.tick(hours=24)  # the nightly run: the first reflection is over three days old
    with h.store.session() as s:
        answers = [a.answer for a in s.exec(select(ReflectionAnswer).order_by(ReflectionAnswer.id))]
        assert "huddles" not in answers and "they came" not in answers
        assert "listening matters" in answers and "recent" in answers
        assert len(s.exec(select(Reflection)).all()) == 3  # participation figures stay
        assert prompts <= set(s.exec(select(Prompt.id)))  # no prompt row goes
    out = await h.command("fac", "reflection list")
    assert "3 answered" in out[-1].text and "1 shared" in out[-1].text


# -- what she wrote goes from every copy ---------------------------------------------------------

HER_WORDS = ["how long are the walks", "Call the river team", "with coats, yes", "fresh air helps"]


def outbox_texts(h) -> list[str]:
    with h.store.session() as s:
        return [json.dumps(row.payload, ensure_ascii=False) for row in s.exec(select(OutboxMessage))]


async def test_forget_me_takes_her_words_out_of_other_members_messages(harness):
    h = harness
    await _zelda_everywhere(h)
    assert any("how long are the walks" in t for t in outbox_texts(h))  # her question, in Kim's messages
    await h.command(ZELDA["user"], "forget-me", **ZN)
    await h.press(ZELDA["user"], "Delete my data", **ZN)
    left = [t[:160] for t in outbox_texts(h) if any(w.lower() in t.lower() for w in HER_WORDS)]
    assert left == []
    kims = [t for t in outbox_texts(h) if "removed at the writer" in t]
    assert kims, "Kim's copies of her question and answer remain, without her words"


async def test_forget_me_edits_the_excerpt_she_shared_in_the_channel(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana", display_name="Ana Lima")
    await h.command("fac", "reflection add weekly weekly every friday 16:00")
    await h.command("fac", "reflection edit weekly channel #practice")
    await h.command("fac", "reflection edit weekly share on")
    await _run_now(h)
    await h.say("ana", "1. walking huddles with the night shift\n2. they came early\n3. short huddles keep people talking\n4. keep going")
    out = await h.press("ana", "Looks right")
    await h.press("ana", "Share anonymously", message=next(d for d in out if "Share anonymously" in d.labels))
    post = next(d for d in h.adapter.delivered if d.to == "#practice")
    assert "short huddles keep people talking" in post.text
    await h.command("ana", "forget-me")
    await h.press("ana", "Keep shared practices, delete the rest")  # an excerpt is not a practice: it goes
    shown = [d for d in h.adapter.delivered if d.ref == post.ref][-1]
    assert shown is not post and "short huddles keep people talking" not in shown.text
    assert "removed at the writer" in shown.text
    assert not any("short huddles keep people talking" in t for t in outbox_texts(h))


async def test_keep_shared_keeps_her_practice_and_nothing_else_she_wrote(harness):
    h = harness
    await _zelda_everywhere(h)
    await h.command(ZELDA["user"], "forget-me", **ZN)
    await h.press(ZELDA["user"], "Keep shared practices, delete the rest", **ZN)
    texts = outbox_texts(h)
    assert any("No notes during the walk" in t for t in texts)  # the kept practice's card
    assert not any(w.lower() in t.lower() for t in texts for w in HER_WORDS)


def test_the_redactor_finds_excerpts_not_common_phrases():
    from bot.core.members import REMOVED_TEXT, Redactor

    r = Redactor(["I will try the buddy system with new starters next month", "Try it tomorrow", "yes thanks"])
    assert r.text("> _I will try the buddy system with new…_ (Sam)") == f"> _{REMOVED_TEXT}…_ (Sam)"
    assert r.text("Someone said: TRY it, tomorrow!") == f"Someone said: {REMOVED_TEXT}!"
    assert r.text("We will try the buddy approach") == "We will try the buddy approach"
    assert r.text("yes thanks, see you") == "yes thanks, see you"  # two words are nobody's in particular
    assert r({"a": ["the buddy system with new starters"], "n": 3}) == {"a": [REMOVED_TEXT], "n": 3}


# -- what is kept after delivery -----------------------------------------------------------------


async def test_delivered_messages_lose_their_words_after_thirty_days_or_the_retention(harness):
    from bot.store.models import InboundEvent

    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana")
    await h.command("ana", "profile")
    with h.store.session() as s:
        outbox.enqueue(s, key="later", network_id=h.network_id, platform="console",
                       outgoing=Outgoing(text="not yet due", to=Address.member(h.member("ana").id)),
                       not_before=h.clock.now() + timedelta(days=60), now=h.clock.now())  # fmt: skip
        sent = [r for r in s.exec(select(OutboxMessage)) if r.status == "sent"]
        assert sent and all(r.payload["text"] for r in sent)
        assert s.exec(select(InboundEvent)).all()
    await h.tick(days=8, step=timedelta(hours=6))
    with h.store.session() as s:
        assert s.exec(select(InboundEvent)).all() == []  # retries come within hours: a week is ample
        assert all(r.payload["text"] for r in s.exec(select(OutboxMessage)) if r.status == "sent")  # not thirty days yet
    await h.tick(days=23, step=timedelta(hours=12))
    with h.store.session() as s:
        rows = s.exec(select(OutboxMessage)).all()
        old = [r for r in rows if r.status == "sent"]
        assert old and all(r.payload == {"text": "", "to": r.payload["to"], "pruned": True} for r in old)
        assert next(r for r in rows if r.key == "later").payload["text"] == "not yet due"  # not delivered: kept
    await h.command("fac", "retention 3")
    await h.command("ana", "profile")
    await h.tick(days=2, step=timedelta(hours=12))
    with h.store.session() as s:
        assert [r for r in s.exec(select(OutboxMessage)) if r.status == "sent" and r.payload["text"]]
    await h.tick(days=2, step=timedelta(hours=12))
    with h.store.session() as s:
        assert [r for r in s.exec(select(OutboxMessage)) if r.status == "sent" and r.payload["text"]] == []
