"""A facilitator's reflection command acts on the flow and cohort named, or is refused with suggestions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.flows.reflection.questions import QUESTION_SETS
from bot.store.models import AuditEntry, Flow, Role
from bot.store.reflection import Prompt
from tests.support.harness import Harness


def _flows(h: Harness) -> dict[str, Flow]:
    with h.store.session() as s:
        return {f.name: f for f in s.exec(select(Flow).where(Flow.network_id == h.network_id, Flow.kind == "reflection"))}


def _prompts(h: Harness) -> list[Prompt]:
    with h.store.session() as s:
        return list(s.exec(select(Prompt)))


def _audit(h: Harness) -> list[str]:
    with h.store.session() as s:
        return [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id))]


async def _one_flow(h: Harness) -> None:
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana")
    out = await h.command("fac", "reflection add weekly")
    assert "Added the reflection `weekly`" in out[-1].text


async def test_run_now_with_a_misspelled_name_sends_nothing_even_with_one_flow(harness):
    h = harness
    await _one_flow(h)
    out = await h.command("fac", "reflection run-now montly")
    assert "There is no reflection called `montly`. This network has `weekly`." in out[-1].text
    assert _prompts(h) == [] and h.inbox("ana") == []
    out = await h.command("fac", "reflection run-now weekyl")
    assert "There is no reflection called `weekyl`. Did you mean `weekly`?" in out[-1].text
    assert _prompts(h) == []


@pytest.mark.parametrize(
    "command",
    [
        "reflection pause montly",
        "reflection resume montly",
        "reflection preview montly",
        "reflection questions montly",
        'reflection questions montly "What did you try?"',
        "reflection edit montly window 72",
        "reflection audience montly everyone",
        "reflection schedule montly every friday 09:00",
    ],
)
async def test_every_command_that_takes_a_flow_name_refuses_a_misspelled_one(harness, command):
    h = harness
    await _one_flow(h)
    if "resume" in command:
        await h.command("fac", "reflection pause weekly")
    before = (_flows(h)["weekly"].enabled, _flows(h)["weekly"].schedule, _flows(h)["weekly"].settings, _audit(h))
    out = await h.command("fac", command)
    assert "There is no reflection called `montly`" in out[-1].text and "`weekly`" in out[-1].text, out[-1].text
    assert (_flows(h)["weekly"].enabled, _flows(h)["weekly"].schedule, _flows(h)["weekly"].settings, _audit(h)) == before


async def test_the_name_stays_optional_with_one_flow(harness):
    h = harness
    await _one_flow(h)
    out = await h.command("fac", "reflection schedule every monday 09:00")
    assert "now runs every Monday at 09:00" in out[-1].text
    out = await h.command("fac", "reflection edit window 72")
    assert "members have 72 hours to reply" in out[-1].text
    out = await h.command("fac", "reflection edit windw 72")
    assert "I can't change `windw`" in out[-1].text
    out = await h.command("fac", "reflection audience everyone")
    assert "now goes to everyone" in out[-1].text
    out = await h.command("fac", 'reflection questions "What did you try?"')
    assert "What did you try?" in out[-1].text
    out = await h.command("fac", "reflection run-now")
    assert "`weekly` would go now to 2 members" in out[-1].text and out[-1].labels == ["Send to 2 members", "Cancel"]


async def test_an_audience_naming_a_cohort_that_does_not_exist_is_refused(harness):
    h = harness
    await _one_flow(h)
    await h.command("fac", 'cohort add "wave 2"')
    await h.command("fac", "cohort add North")
    out = await h.command("fac", 'reflection audience weekly cohort "wave 9"')
    text = out[-1].text
    assert "There is no cohort `wave 9`" in text and "Cohorts: `North`, `wave 2`" in text, text
    assert _flows(h)["weekly"].settings["audience"] == "everyone" and "reflection.audience" not in _audit(h)
    out = await h.command("fac", "reflection audience weekly cohort nort")
    assert "Did you mean `North`?" in out[-1].text
    out = await h.command("fac", 'reflection audience weekly cohort "Wave 2"')
    assert "now goes to the cohort Wave 2" in out[-1].text


async def test_an_audience_cohort_is_refused_when_the_network_has_none(harness):
    h = harness
    await _one_flow(h)
    out = await h.command("fac", "reflection audience weekly cohort North")
    assert "There is no cohort `North`" in out[-1].text and "Cohorts: none yet" in out[-1].text


async def test_run_now_says_who_gets_what_and_sends_only_when_confirmed(harness):
    h = harness
    await _one_flow(h)
    h.add_member("ben", paused_until=h.clock.now() + timedelta(days=7))
    out = await h.command("fac", "reflection run-now weekly")
    ask = out[-1]
    assert ask.text.startswith("`weekly` would go now to 2 members (everyone), each as a direct message with 4 questions, starting with:")
    assert QUESTION_SETS["weekly"][0] in ask.text and ask.labels == ["Send to 2 members", "Cancel"]
    assert _prompts(h) == [] and h.inbox("ana") == []
    out = await h.press("ben", "Send to 2 members", message=ask)  # only a facilitator may send it
    assert "Only facilitators" in out[-1].text and _prompts(h) == []
    out = await h.press("fac", "Send to 2 members", message=ask)
    assert any(d.text == "✓ Sent `weekly` to 2 members now." for d in out)
    assert {p.member_id for p in _prompts(h)} == {h.member("ana").id, h.member("fac").id}
    out = await h.press("fac", "Send to 2 members", message=ask)  # the same confirmation again sends nothing twice
    assert "already has it" in out[-1].text and len(_prompts(h)) == 2


async def test_run_now_can_be_cancelled_and_a_stale_confirmation_is_refused(harness):
    h = harness
    await _one_flow(h)
    out = await h.command("fac", "reflection run-now weekly")
    out = await h.press("fac", "Cancel", message=out[-1])
    assert "Nothing was sent" in out[-1].text and _prompts(h) == []
    out = await h.command("fac", "reflection run-now weekly")
    ask = out[-1]
    h.clock.advance(timedelta(hours=2))
    out = await h.press("fac", "Send to 2 members", message=ask)
    assert "over an hour ago" in out[-1].text and _prompts(h) == []
