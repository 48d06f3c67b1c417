"""One person in several Telegram groups: one private chat, several networks.

Every button says which network it acts in, a typed reply goes to the
conversation open in any network, and commands say where they acted.
"""

from __future__ import annotations

from sqlmodel import select

from bot.store.models import Conversation, Member, Network
from tests.fakes import tg_callback_query
from tests.support.telegram import GROUP_ID, TelegramHarness

OTHER_GROUP = -1009876543210


async def _in_both(th: TelegramHarness, user_id: int = 1001) -> None:
    """Facilitator of group A (with a weekly reflection flow), then active in group B."""
    await th.group_command("join", user_id=user_id)
    await th.command("start", str(GROUP_ID), user_id=user_id)
    await th.command("beacon", "reflection add weekly", user_id=user_id)


async def _prompted(th: TelegramHarness, user_id: int = 1001) -> None:
    await th.command("beacon", "reflection run-now weekly", user_id=user_id)
    send = next(b["text"] for b in _buttons(th, user_id) if b["text"].startswith("Send to"))
    await th.press(send, user_id=user_id)
    assert th.message_with_button("Answer now", chat_id=user_id)


def _buttons(th: TelegramHarness, chat_id: int) -> list[dict]:
    _, message = max(((k, m) for k, m in th.tg.messages.items() if k[0] == chat_id and m.get("reply_markup")), key=lambda kv: kv[0][1])
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


def _networks(store) -> dict[str, int]:
    with store.session() as session:
        return {n.platform_key: n.id for n in session.exec(select(Network))}


async def test_a_prompt_from_group_a_is_answered_after_being_active_in_group_b(any_store, clock):
    async with TelegramHarness(store=any_store, clock=clock) as th:
        await _in_both(th)
        await _prompted(th)
        clock.advance(minutes=5)
        await th.group_command("join", user_id=1001, chat_id=OTHER_GROUP)  # now last active in B
        await th.press("Answer now")
        assert "no longer open" not in th.last_text(1001)
        await th.say("I tried a new intake form")
        with any_store.session() as session:
            a = session.exec(select(Member).join(Network).where(Network.platform_key == str(GROUP_ID))).one()
            assert a.last_active_at is not None
        assert "have a question open" not in th.last_text(1001)


async def test_an_old_button_without_a_network_still_works_in_the_latest_network(any_store, clock):
    async with TelegramHarness(store=any_store, clock=clock) as th:
        await _in_both(th)
        await _prompted(th)
        _, message = th.message_with_button("Answer now", chat_id=1001)
        prompt_id = next(b["callback_data"] for b in _buttons(th, 1001) if b["text"] == "Answer now").rsplit("|", 1)[1]
        update = tg_callback_query(f"reflection.answer|{prompt_id}", user_id=1001, message_id=message["message_id"], message_text=message.get("text"))
        await th.push(update)
        assert "no longer open" not in th.last_text(1001)


async def test_a_forged_button_naming_a_network_the_person_is_not_in_changes_nothing(any_store, clock):
    async with TelegramHarness(store=any_store, clock=clock) as th:
        await th.group_command("join", user_id=2002, chat_id=OTHER_GROUP)
        await _in_both(th)
        other = _networks(any_store)[str(OTHER_GROUP)]
        with any_store.session() as session:
            before = len(session.exec(select(Member)).all())
        await th.push(tg_callback_query(f"#{other}|reflection.answer|1", user_id=1001, message_id=1, message_text="x"))
        with any_store.session() as session:
            assert len(session.exec(select(Member)).all()) == before
        assert "not a member" in th.last_text(1001)


def _name_networks(store) -> None:
    with store.session() as session:
        for n in session.exec(select(Network)):
            n.name = "North" if n.platform_key == str(GROUP_ID) else "South"
            session.add(n)
        session.commit()


async def test_a_typed_reply_finds_the_question_open_in_another_network(any_store, clock):
    async with TelegramHarness(store=any_store, clock=clock) as th:
        await _in_both(th)
        await _prompted(th)
        await th.press("Answer now")
        first_question = th.last_text(1001)
        clock.advance(minutes=5)
        await th.group_command("join", user_id=1001, chat_id=OTHER_GROUP)  # now last active in B, which asks nothing
        await th.say("I tried a new intake form")
        assert "have a question open" not in th.last_text(1001) and th.last_text(1001) != first_question


async def test_commands_name_their_network_and_network_chooses_another(any_store, clock):
    async with TelegramHarness(store=any_store, clock=clock) as th:
        await _in_both(th)
        clock.advance(minutes=5)
        await th.group_command("join", user_id=1001, chat_id=OTHER_GROUP)
        _name_networks(any_store)
        await th.command("beacon", "settings")
        assert "In South" in th.last_text(1001)
        await th.command("beacon", "network")
        assert "act in <b>South</b>" in th.last_text(1001)
        await th.press("North")
        assert "now act in <b>North</b>" in th.last_text(1001)
        clock.advance(minutes=5)
        await th.group_command("help", user_id=1001, chat_id=OTHER_GROUP)  # activity in South does not undo the choice
        await th.command("beacon", "reflection list")
        assert "In North" in th.last_text(1001) and "weekly" in th.last_text(1001)
        await th.command("beacon", "network sou")
        assert "now act in <b>South</b>" in th.last_text(1001)


async def test_two_open_questions_ask_which_and_lose_nothing(any_store, clock):
    async with TelegramHarness(store=any_store, clock=clock) as th:
        await _in_both(th)
        await _prompted(th)
        await th.press("Answer now")
        north_question = th.last_text(1001)
        clock.advance(minutes=5)
        await th.group_command("join", user_id=1001, chat_id=OTHER_GROUP)
        _name_networks(any_store)
        await th.command("beacon", "network South")
        await th.command("beacon", "reflection add weekly")
        await _prompted(th)
        await th.press("Answer now")
        await th.say("We ran a peer review")
        assert "Which is this answer for?" in th.last_text(1001)
        await th.press("North")
        with any_store.session() as session:
            states = {session.get(Member, c.member_id).network_id: c.state for c in session.exec(select(Conversation))}
        nets = _networks(any_store)
        assert all("typed_reply" not in s for s in states.values())
        assert th.last_text(1001) != north_question and "Which" not in th.last_text(1001)
        assert states[nets[str(OTHER_GROUP)]] != states.get(nets[str(GROUP_ID)]), states
