"""What people type is checked at the edge: odd numbers and control characters never reach a traceback."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.dispatch.results import SORRY
from bot.store.models import Member, Role
from bot.store.practices import Practice
from tests.support.harness import Harness

ODD_NUMBERS = ["²", "١٢", "12345678901234567890", "-1", "0x1f", "1e3", " 7 "]
"""Unicode digits int() takes or refuses, an id past every column's range, signs and other forms."""


@pytest.fixture
async def any_harness(any_store, clock):
    h = Harness(store=any_store, clock=clock)
    h.add_member("fay", role=Role.COORDINATOR, display_name="Fay")
    h.add_member("max", display_name="Max")
    yield h
    await h.close()


def _sorry(out) -> list[str]:
    return [d.text for d in out if d.text == SORRY]


async def test_practice_numbers_are_ascii_digits_in_range(any_harness):
    for odd in ["²", "١٢", "12345678901234567890"]:
        out = await any_harness.command("max", f"practice {odd}")
        assert not _sorry(out), odd
        assert "practice" in out[-1].text.lower()
    out = await any_harness.command("max", "practice ١٢")
    assert "There is no practice" in out[-1].text or "isn't a practice number" in out[-1].text


async def test_every_command_answers_odd_numbers_without_a_traceback(any_harness):
    router = any_harness.beacon.router
    failures = []
    for path, cmd in sorted(router.commands.items()):
        if cmd.platforms and "console" not in cmd.platforms:
            continue
        for odd in ODD_NUMBERS:
            text = " ".join(path) + f" {odd}"
            out = await any_harness.command("fay", text)
            if _sorry(out):
                failures.append(text)
    assert failures == [], "\n".join(map(str, failures))


async def test_every_button_answers_a_forged_value_without_a_traceback(any_harness):
    router = any_harness.beacon.router
    failures = []
    for action in sorted(router.actions):
        for odd in [*ODD_NUMBERS, "", "abc", "1:²", "99999999999999999999:1", "1:99999999999999999999"]:
            out = await any_harness.send(any_harness._incoming("fay", kind="action", action_id=action, value=odd, action_label="x"))
            if _sorry(out):
                failures.append((action, odd))
    assert failures == [], "\n".join(map(str, failures))


async def test_every_form_answers_a_forged_context_without_a_traceback(any_harness):
    router = any_harness.beacon.router
    failures = []
    for form_id in sorted(router.forms):
        for odd in [*ODD_NUMBERS, "abc"]:
            out = await any_harness.submit("fay", form_id, {"title": "t", "problem": "p", "what_we_did": "w"}, context=odd)
            if _sorry(out):
                failures.append((form_id, odd))
    assert failures == [], "\n".join(map(str, failures))


async def test_control_characters_are_removed_from_everything_typed(any_harness):
    """A NUL in a form value, a command, a chat answer or a name used to crash PostgreSQL's insert."""
    h = any_harness
    out = await h.submit("max", "practice.share", {"title": "Buddy\x00 walks\x07", "what_we_did": "We walked.\n\tTogether\x00.\x1b[31m"})
    assert not _sorry(out)
    with h.store.session() as s:
        p = s.exec(select(Practice)).one()
        assert (p.title, p.what_we_did) == ("Buddy walks", "We walked.\n\tTogether.[31m")
    out = await h.command("max", f"practice {p.id}\x00")
    assert not _sorry(out) and "Buddy walks" in out[-1].text
    out = await h.say("max", "hello\x00 there")
    assert not _sorry(out)
    out = await h.send(h._incoming("nia", kind="message", text="hi\x00", user_name="Nia\x00\x01"))
    assert not _sorry(out)
    with h.store.session() as s:
        assert s.exec(select(Member).where(Member.platform_user_id == "nia")).one().display_name == "Nia"
    out = await h.send(h._incoming("max", kind="action", action_id="practice.steal", value=f"{p.id}\x00", action_label="Steal\x00"))
    assert not _sorry(out)
