"""``/beacon help`` with the full router: compact enough for one Telegram message, and every command reachable."""

from __future__ import annotations

from bot.flows.help import sections
from bot.store.models import Role

TELEGRAM_SAFE = 3500


async def test_top_level_help_fits_one_message_for_every_role(harness):
    h = harness
    for user, role in (("mo", Role.MEMBER), ("fay", Role.FACILITATOR), ("cora", Role.COORDINATOR)):
        h.add_member(user, role=role)
        text = (await h.command(user, "help"))[-1].text
        print(f"--- {role.value}: {len(text)} chars\n{text}")
        assert len(text) < TELEGRAM_SAFE
        assert f"You are a {role.value}" in text and "/beacon help [group]" in text
    member = (await h.command("mo", "help"))[-1].text
    coordinator = (await h.command("cora", "help"))[-1].text
    assert "*digest*" in coordinator and "*digest*" not in member
    assert "`/beacon share`" in member and "`/beacon reflect`" in member


async def test_every_command_is_reachable_through_help_group(harness):
    h = harness
    router = h.beacon.router
    h.add_member("cora", role=(Role.FACILITATOR, Role.COORDINATOR))
    top = (await h.command("cora", "help"))[-1].text
    visible = router.visible_to({Role.FACILITATOR, Role.COORDINATOR}, "console")
    groups = sections(router, visible)
    seen: set[str] = set()
    for name, cmds in groups.items():
        assert f"*{name}*" in top  # every group is named at the top level
        text = (await h.command("cora", f"help {name}"))[-1].text
        assert len(text) < TELEGRAM_SAFE
        for c in cmds:
            assert f"`{c.synopsis()}`" in text, (name, c.name)
            if c.example and c.example != c.synopsis():
                assert c.example in text
            seen.add(c.name)
    assert seen == {c.name for c in visible}


async def test_help_group_shows_only_the_callers_commands(harness):
    h = harness
    h.add_member("mo")
    text = (await h.command("mo", "help practice"))[-1].text
    assert "/beacon share" in text and "/beacon practices" in text and "/beacon practice edit" in text
    assert "practice hide" not in text
    out = await h.command("mo", "help digest")
    assert "is for facilitators" in out[-1].text
    out = await h.command("mo", "help reflect")  # a command: its detail
    assert out[-1].text.startswith("*/beacon reflect")
    out = await h.command("mo", "help frobnicate")
    assert "There is no command or group `frobnicate`" in out[-1].text
