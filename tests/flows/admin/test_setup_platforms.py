"""`/beacon setup` on Slack: the command opens a modal through the real Bolt app,
its submission (with a bad field first) configures the network and its flows."""

from __future__ import annotations

from sqlmodel import select

from bot.store.models import Flow, Network
from tests.support.slack import slack_bot


async def test_setup_through_a_slack_modal(sqlite_store, clock):
    async with slack_bot(sqlite_store, clock) as sb:
        sb.user("UFAC", name="Fay")
        await sb.command("UFAC", "setup")
        view = sb.last_view()
        assert {b["block_id"] for b in view["blocks"] if b.get("type") == "input"} >= {
            "name",
            "timezone",
            "practice_channel",
            "reflection",
            "pairing",
            "digest",
        }
        values = {
            "name": "Northern Councils",
            "timezone": "Mars/Olympus",
            "practice_channel": "<#C0PRACT1|ideas>",
            "reflection": "every thursday 15:00",
            "pairing": "off",
            "digest": "every monday 09:00",
        }
        refused = await sb.submit("UFAC", values, view=view)
        assert refused.json()["response_action"] == "errors" and "timezone" in refused.json()["errors"]
        await sb.submit("UFAC", {**values, "timezone": "Europe/London"}, view=view)
    with sqlite_store.session() as s:
        network = s.exec(select(Network)).one()
        flows = {f.kind: f for f in s.exec(select(Flow))}
    assert (network.name, network.timezone, network.practice_channel) == ("Northern Councils", "Europe/London", "C0PRACT1")
    assert flows["reflection"].schedule == "every thursday at 15:00" and flows["reflection"].enabled
    assert "pairing" not in flows or not flows["pairing"].enabled
    assert flows["digest"].enabled
