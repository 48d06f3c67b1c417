"""A member's own limits: pause, resume, time zone, quiet hours, weekends, which nudges."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store.models import Role

UTC = UTC


async def test_pause_and_resume(harness):
    h = harness
    h.add_member("ana")
    assert h.beacon.router.aliases["pause"] == "pause"
    out = await h.command("ana", "pause")
    assert "Paused until Mon 16 Nov 2026" in out[-1].text
    assert h.member("ana").paused_until == datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    out = await h.command("ana", "pause until 2026-12-24")
    assert h.member("ana").paused_until == datetime(2026, 12, 24, 0, 0, tzinfo=UTC)
    out = await h.command("ana", "pause until 2026-01-01")
    assert "not in the future" in out[-1].text
    out = await h.command("ana", "resume")
    assert "Welcome back" in out[-1].text and h.member("ana").paused_until is None
    out = await h.command("ana", "resume")
    assert "You're not paused" in out[-1].text


async def test_settings_timezone_quiet_hours_weekends_and_nudges(harness):
    h = harness
    h.add_member("ana")
    out = await h.command("ana", "settings timezone Mars/Olympus")
    assert "not a time zone I know" in out[-1].text and h.member("ana").timezone is None
    await h.command("ana", "settings timezone Europe/Paris")
    assert h.member("ana").timezone == "Europe/Paris"
    out = await h.command("ana", "settings quiet 25:00-07:00")
    assert "HH:MM-HH:MM" in out[-1].text
    await h.command("ana", "settings quiet 21:00-7:30")
    assert h.member("ana").quiet_hours == "21:00-07:30"
    await h.command("ana", "settings weekends ok")
    assert h.member("ana").quiet_weekends is False
    await h.command("ana", "settings nudges off pair")
    await h.command("ana", "settings nudges off steal")
    assert h.member("ana").opted_out == ["nudges:pair", "nudges:steal"]
    out = await h.command("ana", "settings nudges off bogus")
    assert "There's no nudge `bogus`" in out[-1].text
    text = (await h.command("ana", "settings"))[-1].text
    assert "Europe/Paris" in text and "21:00-07:30" in text and "on, except pair, steal" in text
    await h.command("ana", "settings nudges on all")
    assert h.member("ana").opted_out == []


async def test_one_nudge_on_after_all_off(harness):
    h = harness
    h.add_member("ana")
    await h.command("ana", "settings nudges off all")
    out = await h.command("ana", "settings nudges on pair")
    assert "`pair` nudges are on" in out[-1].text
    opted = h.member("ana").opted_out
    assert "nudges" not in opted and "nudges:pair" not in opted
    others = [r for r in h.beacon.router.follow_ups if r != "pair"]
    assert others and sorted(opted) == sorted(f"nudges:{r}" for r in others)
    text = (await h.command("ana", "settings"))[-1].text
    nudges = next(line for line in text.splitlines() if line.startswith("• Nudges:"))
    assert nudges.startswith("• Nudges: on, except") and "pair" not in nudges


async def test_settings_typos_get_suggestions(harness):
    h = harness
    h.add_member("ana")
    out = await h.command("ana", "settings timezon Europe/Paris")
    assert "Did you mean `/beacon settings timezone`?" in out[-1].text and "Your settings" not in out[-1].text
    assert h.member("ana").timezone is None
    out = await h.command("ana", "settings quite 21:00-07:00")
    assert "Did you mean `/beacon settings quiet`?" in out[-1].text and h.member("ana").quiet_hours != "21:00-07:00"
    assert "Your settings" in (await h.command("ana", "settings"))[-1].text


async def test_pairing_practices_and_reflection_can_be_switched_off_and_on(harness):
    h = harness
    h.add_member("ana")
    out = await h.command("ana", "settings pairing off")
    assert "Learning pairs are off for you" in out[-1].text and h.member("ana").opted_out == ["pairing"]
    await h.command("ana", "settings practices off")
    out = await h.command("ana", "settings")
    assert "Learning pairs: off" in out[-1].text and "Steal-with-pride follow-ups: off" in out[-1].text
    assert "Reflection prompts: on" in out[-1].text
    await h.command("ana", "settings pairing on")
    assert h.member("ana").opted_out == ["practices"]
    out = await h.command("ana", "settings pairing maybe")
    assert "settings pairing on" in out[-1].text and h.member("ana").opted_out == ["practices"]


async def test_a_dated_pause_from_a_reflection_prompt(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("ana")
    await h.command("fac", "reflection add weekly weekly every monday 10:00")
    await h.tick(hours=1)
    out = await h.press("ana", "Pause until…")
    assert [c.label for c in out[-1].outgoing.choices] == ["1 week", "2 weeks", "A month"]
    out = await h.press("ana", "2 weeks")
    assert h.member("ana").paused_until == datetime(2026, 11, 16, 10, 0, tzinfo=UTC)
    assert any("Paused until Mon 16 Nov 2026" in d.text for d in out)
    await h.press("ana", "Resume now")
    assert h.member("ana").paused_until is None
