"""Names are text on the console too: a network or member name that looks
like markup is shown as typed, never as a link or style."""

from __future__ import annotations

from bot.core.markup import to_rich
from bot.core.members import mention
from bot.flows.pairing.text import describe_member
from bot.store.models import Member
from tests.support.harness import Harness

EVIL = "<https://evil.example|Tap here> *bold*"


async def test_a_network_name_like_a_link_is_text_in_help_and_welcome(sqlite_store, clock):
    h = Harness(store=sqlite_store, clock=clock, network_name=EVIL)
    try:
        h.add_member("ann")
        (reply,) = await h.command("ann", "help")
        assert "[link=https://evil.example]" not in to_rich(reply.text) and "[bold]bold[/bold]" not in to_rich(reply.text)
        assert "<https://evil.example|Tap here> *bold*" in to_rich(reply.text).replace("\\[", "[")
    finally:
        await h.close()


def test_a_member_is_named_as_typed_wherever_they_are_mentioned():
    evil = Member(network_id=1, platform_user_id="ann", display_name=EVIL)
    assert "[link=" not in to_rich(mention(evil)) and EVIL in to_rich(describe_member(evil))
