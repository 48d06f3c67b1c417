"""``/beacon profile``: the form (guided chat and submission), quick edits,
tag normalisation and suggestions, availability."""

from __future__ import annotations

from bot.core.markup import to_plain
from bot.store.models import Role


def _t(delivered) -> str:
    return to_plain(delivered.text)


async def test_the_form_as_a_guided_chat_saves_normalised_tags(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("bob", wants_tags=["youth engagement"], offers_tags=["data sharing"])
    out = await h.command("ann", "profile")
    assert "Your profile" in _t(out[-1]) and "(1 of 6)" in _t(out[-1])
    await h.say("ann", "Riverside Council")
    out = await h.say("ann", "How to get young people into planning")
    assert "Used in your network: data sharing, youth engagement" in _t(out[-1])  # the wants-tags hint
    await h.say("ann", "Youth  Engagement, Planning")
    await h.say("ann", "Our data-sharing agreement template")
    await h.say("ann", "Data Sharing")
    out = await h.say("ann", "every other round")
    text = _t(out[-1])
    assert "Saved." in text and "Organisation: Riverside Council" in text and "Pairing: every other round" in text
    ann = h.member("ann")
    assert ann.organisation == "Riverside Council" and ann.wants == "How to get young people into planning"
    assert ann.wants_tags == ["planning", "youth engagement"] and ann.offers_tags == ["data sharing"]
    assert ann.availability == "alternate"
    assert "Tags used in your network: data sharing, youth engagement, planning" in text


async def test_the_form_is_prefilled_and_a_submission_is_checked(harness):
    h = harness
    h.add_member("ann", organisation="Hill Agency", wants="mentoring", wants_tags=["mentoring"])
    out = await h.command("ann", "profile")
    assert "So far: Hill Agency" in _t(out[-1]) and "Keep" in out[-1].labels
    await h.say("ann", "cancel")
    out = await h.submit("ann", "profile", {"organisation": "Hill Agency", "wants": "x", "wants_tags": "a" * 60,
                                             "offers": "", "offers_tags": "", "availability": "sometimes"})  # fmt: skip
    assert "long for a tag" in out[-1].text and "Availability is" in out[-1].text
    assert h.member("ann").wants_tags == ["mentoring"]  # nothing saved
    out = await h.submit("ann", "profile", {"organisation": "", "wants": "Mentoring, Peer review", "wants_tags": "",
                                             "offers": "", "offers_tags": "", "availability": "paused until 2026-12-24"})  # fmt: skip
    ann = h.member("ann")
    assert ann.organisation is None and ann.wants_tags == ["mentoring", "peer review"]
    assert ann.availability == "paused:2026-12-24" and "paused until 24 December 2026" in _t(out[-1])


async def test_quick_set_and_show(harness):
    h = harness
    h.add_member("bob", offers_tags=["youth engagement"])
    out = await h.command("ann", "profile set wants Youth Engagement; Data  Sharing")
    assert "Updated." in out[-1].text and "Tags used in your network: youth engagement, data sharing" in _t(out[-1])
    assert h.member("ann").wants_tags == ["data sharing", "youth engagement"]
    await h.command("ann", 'profile set org "Valley School"')
    await h.command("ann", "profile set availability paused 4w")
    assert h.member("ann").availability == "paused:2026-11-30"
    await h.command("ann", "profile set availability every round")
    out = await h.command("ann", "profile show")
    text = _t(out[-1])
    assert "Organisation: Valley School" in text and "Pairing: every round" in text
    assert "(tags: data sharing, youth engagement)" in text
    out = await h.command("ann", "profile set availability whenever")
    assert 'Availability is "every round"' in out[-1].text and h.member("ann").availability == "every"
    out = await h.command("ann", "profile set colour blue")
    assert "Say what to set" in out[-1].text and "Usage: `/beacon profile set" in out[-1].text
