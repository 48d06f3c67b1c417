"""Joining by deep link requires being in the group; the adder runs the network;
leaving the group leaves the network. Through the strict fake, whose rosters
answer ``getChatMember`` as Telegram does."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.store.models import LEFT_GROUP, Member, Network
from tests.fakes import tg_my_chat_member, tg_text, tg_user
from tests.support.telegram import GROUP_ID, TelegramHarness


def _members(store) -> dict[str, Member]:
    with store.session() as session:
        return {m.platform_user_id: m for m in session.exec(select(Member))}


def _networks(store) -> list[Network]:
    with store.session() as session:
        return list(session.exec(select(Network)))


def _chat_member(user_id: int, new: str, old: str = "member", *, by: int | None = None) -> dict:
    """A ``chat_member`` update: ``user_id``'s status in the group changed (``by`` an admin, or themself)."""
    update = tg_my_chat_member(new, old, chat_id=GROUP_ID, user_id=by or user_id)
    change = update.pop("my_chat_member")
    user = tg_user(user_id)
    change["old_chat_member"] = {"user": user, "status": old}
    change["new_chat_member"] = {"user": user, "status": new} | ({"until_date": 0} if new == "kicked" else {})
    return {**update, "chat_member": change}


def _left(user_id: int) -> dict:
    """The service message a group shows when someone leaves it."""
    update = tg_text("", user_id=user_id, chat_id=GROUP_ID)
    update["message"].pop("text", None)
    update["message"]["left_chat_member"] = tg_user(user_id)
    return update


async def _added_by(th: TelegramHarness, user_id: int) -> None:
    await th.push(tg_my_chat_member("member", "left", chat_id=GROUP_ID, user_id=user_id))


async def test_the_person_who_added_the_bot_becomes_the_facilitator(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        th.tg.set_member(GROUP_ID, 1001, "member")
        await _added_by(th, 7007)
        await th.command("start", str(GROUP_ID), user_id=1001)  # first to open a private chat, but not the adder
        await th.command("start", str(GROUP_ID), user_id=7007)
        members = _members(sqlite_store)
        assert members["7007"].is_facilitator and not members["1001"].roles
        assert "welcome to <b>" in th.last_text(1001)


async def test_a_stranger_with_a_guessed_group_id_is_refused(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _added_by(th, 1001)
        await th.command("start", str(GROUP_ID), user_id=6666)  # never in the group
        assert "Join the group on Telegram first" in th.last_text(6666)
        assert "6666" not in _members(sqlite_store)
        assert th.tg.calls_to("getChatMember")[-1] == {"chat_id": GROUP_ID, "user_id": 6666}


async def test_a_private_start_never_creates_a_network_nor_a_facilitator(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        th.tg.add_chat(GROUP_ID, type="supergroup", title="Learning Network")
        th.tg.set_member(GROUP_ID, 1001, "creator")  # in the group, but the network was never set up
        await th.command("start", str(GROUP_ID), user_id=1001)
        assert _networks(sqlite_store) == [] and _members(sqlite_store) == {}
        assert "isn't set up on Beacon yet" in th.last_text(1001)


async def test_someone_removed_from_the_group_leaves_the_network_and_cannot_reuse_the_link(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _added_by(th, 1001)
        th.tg.set_member(GROUP_ID, 2002, "member")
        await th.command("start", str(GROUP_ID), user_id=2002)
        assert not _members(sqlite_store)["2002"].unreachable
        await th.push(_chat_member(2002, "kicked", by=1001))
        gone = _members(sqlite_store)["2002"]
        assert gone.unreachable and gone.unreachable_reason == LEFT_GROUP
        await th.command("start", str(GROUP_ID), user_id=2002)
        assert "Join the group on Telegram first" in th.last_text(2002)
        assert _members(sqlite_store)["2002"].unreachable_reason == LEFT_GROUP
        await th.say("hello?", user_id=2002)  # a private message does not bring them back either
        assert _members(sqlite_store)["2002"].unreachable_reason == LEFT_GROUP
        assert "not in a network" in th.last_text(2002)


async def test_someone_who_leaves_the_group_leaves_the_network_and_may_come_back(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _added_by(th, 7007)
        th.tg.set_member(GROUP_ID, 1001, "member")
        await th.command("start", str(GROUP_ID), user_id=1001)
        await th.push(_left(1001))
        left = _members(sqlite_store)["1001"]
        assert left.unreachable and left.unreachable_reason == LEFT_GROUP and not left.roles
        th.tg.set_member(GROUP_ID, 1001, "member")  # rejoined the group
        await th.command("start", str(GROUP_ID), user_id=1001)
        back = _members(sqlite_store)["1001"]
        assert not back.unreachable and back.unreachable_reason is None


async def test_a_facilitator_removed_from_the_group_no_longer_runs_it(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _added_by(th, 7007)
        assert _members(sqlite_store)["7007"].is_facilitator
        await th.push(_chat_member(7007, "left"))
        assert not _members(sqlite_store)["7007"].roles


async def test_a_command_asked_in_the_group_before_starting_the_bot_is_answered_after_start(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _added_by(th, 7007)
        await th.group_command("help", user_id=3003)  # never started the bot: Telegram would refuse a private answer
        assert th.tg.count("sendMessage", status=403) == 0 and not th.texts(3003)  # so none is attempted
        assert not [c for c in th.tg.calls_to("sendMessage") if c.get("chat_id") in (3003, "3003")]
        [invite] = [t for t in th.texts(GROUP_ID) if "?start=" in t and t.startswith("Welcome to")]
        payload = invite.split("?start=")[1].split('"')[0]
        assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
        assert payload.startswith(f"{GROUP_ID}_") and "answer your <code>/beacon help</code>" in invite
        await th.command("start", payload, user_id=3003)  # pressing Start sends /start <payload>
        assert "/beacon help" in th.last_text(3003) and "pause" in th.last_text(3003).lower()
        assert not _members(sqlite_store)["3003"].unreachable


async def test_an_ask_too_long_for_the_link_is_asked_again_and_the_link_still_joins(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _added_by(th, 7007)
        ask = "profile set wants " + "coaching skills for new managers " * 3
        await th.group_command(ask, user_id=3003)
        [invite] = [t for t in th.texts(GROUP_ID) if "?start=" in t and t.startswith("Welcome to")]
        assert f'?start={GROUP_ID}"' in invite and "again there" in invite
        await th.command("start", str(GROUP_ID), user_id=3003)
        assert "welcome to <b>" in th.last_text(3003)


def test_start_payloads_carry_the_ask_within_telegrams_limit():
    from bot.core.startlink import read_payload, start_payload

    for ask in ("help", "share", "profile wants coaching", "réflexion ✓"):
        payload = start_payload(str(GROUP_ID), ask)
        assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
        assert read_payload(payload) == (str(GROUP_ID), ask)
    assert start_payload(str(GROUP_ID), "x" * 60) == str(GROUP_ID)
    assert read_payload(str(GROUP_ID)) == (str(GROUP_ID), "")
    assert read_payload("hello") is None and read_payload(f"{GROUP_ID}_%%%") is None
    assert read_payload(f"{GROUP_ID}_@@@") is None
