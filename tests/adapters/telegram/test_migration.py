"""A Telegram group that becomes a supergroup gets a new chat id: the network,
its stored channels and its queued posts follow it, end to end through the
real python-telegram-bot Application against FakeTelegram."""

from __future__ import annotations

from sqlmodel import func, select

from bot.adapters.telegram.members import move_chat
from bot.core.messages import Address, Outgoing
from bot.store import outbox
from bot.store.migrate_chat import move_network
from bot.store.models import Flow, Member, Network, OutboxMessage, OutboxStatus
from tests.fakes import tg_text
from tests.support.telegram import TelegramHarness

OLD = -4001234567  # a basic group
NEW = -1009876543210  # the supergroup it became


def _notice(chat_id: int, *, user_id: int = 1001, **field: int) -> dict:
    """The service message Telegram sends in a chat when the group migrates."""
    update = tg_text("", user_id=user_id, chat_id=chat_id, chat_type="group" if chat_id == OLD else "supergroup")
    del update["message"]["text"]
    update["message"].update(field)
    return update


def migrate_to() -> dict:
    return _notice(OLD, migrate_to_chat_id=NEW)


def migrate_from() -> dict:
    update = _notice(NEW, migrate_from_chat_id=OLD)
    update["message"]["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    return update


def _networks(store) -> list[Network]:
    with store.session() as session:
        return list(session.exec(select(Network).order_by(Network.id)).all())


def _members(store, network_id: int) -> set[str]:
    with store.session() as session:
        return set(session.exec(select(Member.platform_user_id).where(Member.network_id == network_id)).all())


async def _group_of_two(th: TelegramHarness) -> Network:
    await th.group_command("join", user_id=1001, chat_id=OLD)
    await th.group_command("join", user_id=2002, chat_id=OLD)
    [network] = _networks(th.store)
    assert network.platform_key == str(OLD) and _members(th.store, network.id) == {"1001", "2002"}
    return network


async def test_migration_notice_moves_the_network_and_the_new_chat_lands_in_it(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        network = await _group_of_two(th)
        sends = th.tg.count("sendMessage")
        await th.push(migrate_to())
        assert th.tg.count("sendMessage") == sends  # a notice, not a member's message: nothing answered
        [moved] = _networks(sqlite_store)
        assert (moved.id, moved.platform_key) == (network.id, str(NEW))
        await th.group_command("help", user_id=2002, chat_id=NEW)
        [after] = _networks(sqlite_store)
        assert after.id == network.id and _members(sqlite_store, network.id) == {"1001", "2002"}
        assert th.texts(NEW) or th.texts(2002)  # answered, in the same network


async def test_only_the_notice_in_the_new_chat_is_enough(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        network = await _group_of_two(th)
        await th.push(migrate_from())
        assert [(n.id, n.platform_key) for n in _networks(sqlite_store)] == [(network.id, str(NEW))]


async def test_a_queued_post_to_the_old_group_is_delivered_to_the_new_one(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        network = await _group_of_two(th)
        th.tg.migrate_chat(OLD, NEW)
        with sqlite_store.session() as session:
            outbox.enqueue(
                session,
                key="test:post",
                network_id=network.id,
                platform="telegram",
                outgoing=Outgoing(text="Meeting moved to Thursday", to=Address.to_channel(str(OLD))),
                now=clock.now(),
            )
        await th.beacon.delivery.drain()
        assert th.tg.count("sendMessage", status=400) == 1  # the old id answered ChatMigrated once
        assert th.texts(NEW) == ["Meeting moved to Thursday"] and th.texts(OLD)[-1] != "Meeting moved to Thursday"
        with sqlite_store.session() as session:
            row = session.exec(select(OutboxMessage).where(OutboxMessage.key == "test:post")).one()
        assert row.status == OutboxStatus.SENT and row.platform_message_id.startswith(f"{NEW}:")
        assert row.payload["to"]["channel"] == str(NEW)
        assert [n.platform_key for n in _networks(sqlite_store)] == [str(NEW)]


async def test_a_start_link_with_the_old_group_id_still_joins_the_network(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        network = await _group_of_two(th)
        th.tg.set_member(OLD, 3003, "member")
        th.tg.migrate_chat(OLD, NEW)  # no notice seen: the link posted earlier is how we learn
        await th.command("start", str(OLD), user_id=3003)
        assert [(n.id, n.platform_key) for n in _networks(sqlite_store)] == [(network.id, str(NEW))]
        assert "3003" in _members(sqlite_store, network.id)


async def test_migrating_twice_from_both_notices_and_a_send_is_harmless(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        network = await _group_of_two(th)
        await th.push(migrate_to())
        await th.push(migrate_from())
        move_chat(sqlite_store, OLD, NEW)
        assert [(n.id, n.platform_key) for n in _networks(sqlite_store)] == [(network.id, str(NEW))]
        assert _members(sqlite_store, network.id) == {"1001", "2002"}


async def test_stored_channels_follow_the_group(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        network = await _group_of_two(th)
        th.tg.set_member(OLD, 1001, "member")
        await th.command("start", str(OLD), user_id=1001)  # a command in the group is answered only once they started the bot
        await th.group_command(f"practice channel {OLD}", user_id=1001, chat_id=OLD)
        with sqlite_store.session() as session:
            assert session.get(Network, network.id).practice_channel == str(OLD)
            session.add(
                Flow(
                    network_id=network.id,
                    kind="digest",
                    name="weekly",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                    settings={"channels": [str(OLD), "coordinators"], "quiet_weeks": 3},
                )
            )
            session.add(
                Flow(
                    network_id=network.id,
                    kind="reflection",
                    name="weekly",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                    settings={"share_channel": str(OLD), "note": str(OLD)},
                )
            )
        await th.push(migrate_to())
        with sqlite_store.session() as session:
            assert session.get(Network, network.id).practice_channel == str(NEW)
            settings = {f.kind: f.settings for f in session.exec(select(Flow).where(Flow.network_id == network.id))}
        assert settings["digest"] == {"channels": [str(NEW), "coordinators"], "quiet_weeks": 3}
        assert settings["reflection"] == {"share_channel": str(NEW), "note": str(OLD)}  # only channels change


# -- the store rule, without Telegram ------------------------------------------------


def _network(session, key: str, users: tuple[str, ...], now) -> Network:
    network = Network(platform="telegram", platform_key=key, name=key, created_at=now)
    session.add(network)
    session.flush()
    for user in users:
        session.add(Member(network_id=network.id, platform_user_id=user, created_at=now))
    session.flush()
    return network


def test_a_young_network_under_the_new_id_is_folded_into_the_old_one(sqlite_store, clock):
    now = clock.now()
    with sqlite_store.session() as session:
        old = _network(session, str(OLD), ("1001", "2002"), now)
        young = _network(session, str(NEW), ("2002", "3003"), now)  # a message from the new chat came first
        dup = session.exec(select(Member).where(Member.network_id == young.id, Member.platform_user_id == "2002")).one()
        outbox.enqueue(
            session, key="young:reply", network_id=young.id, platform="telegram", outgoing=Outgoing(text="hi", to=Address.member(dup.id)), now=now
        )
        old_id, young_id = old.id, young.id
    with sqlite_store.session() as session:
        moved = move_network(session, platform="telegram", old_key=str(OLD), new_key=str(NEW))
        assert moved.id == old_id
    with sqlite_store.session() as session:
        assert session.get(Network, young_id) is None
        members = {m.platform_user_id: m for m in session.exec(select(Member).where(Member.network_id == old_id))}
        assert set(members) == {"1001", "2002", "3003"} and members["3003"].roles == frozenset()
        row = session.exec(select(OutboxMessage).where(OutboxMessage.key == "young:reply")).one()
        assert row.network_id == old_id and row.payload["to"]["members"] == [members["2002"].id]


def test_a_new_network_with_data_of_its_own_is_left_alone(sqlite_store, clock):
    now = clock.now()
    with sqlite_store.session() as session:
        old = _network(session, str(OLD), ("1001",), now)
        busy = _network(session, str(NEW), ("3003",), now)
        session.add(Flow(network_id=busy.id, kind="digest", name="weekly", created_at=now, updated_at=now))
        old_id, busy_id = old.id, busy.id
    with sqlite_store.session() as session:
        assert move_network(session, platform="telegram", old_key=str(OLD), new_key=str(NEW)).id == busy_id
    with sqlite_store.session() as session:
        assert session.get(Network, old_id).platform_key == str(OLD)
        assert session.exec(select(func.count()).select_from(Network)).one() == 2


def test_move_network_follows_queued_posts_on_both_databases(any_store, clock):
    """The queued post's channel is found inside the JSON payload (``#>>`` on PostgreSQL)."""
    from bot.core.messages import Address, Outgoing

    with any_store.session() as s:
        net = Network(platform="telegram", platform_key=str(OLD), name="G", created_at=clock.now())
        s.add(net)
        s.flush()
        outbox.enqueue(s, key="post", network_id=net.id, platform="telegram",
                       outgoing=Outgoing(text="hi", to=Address.to_channel(str(OLD))), now=clock.now())  # fmt: skip
        outbox.enqueue(s, key="elsewhere", network_id=net.id, platform="telegram",
                       outgoing=Outgoing(text="hi", to=Address.to_channel("-555")), now=clock.now())  # fmt: skip
    for _ in range(2):  # the second run changes nothing
        with any_store.session() as s:
            move_network(s, platform="telegram", old_key=str(OLD), new_key=str(NEW))
    with any_store.session() as s:
        channels = {r.key: r.payload["to"]["channel"] for r in s.exec(select(OutboxMessage))}
        keys = [n.platform_key for n in s.exec(select(Network))]
    assert channels == {"post": str(NEW), "elsewhere": "-555"}
    assert keys == [str(NEW)]
