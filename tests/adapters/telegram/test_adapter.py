"""End to end: the real python-telegram-bot Application against FakeTelegram
on 127.0.0.1, by polling and by webhook, through the real dispatcher, outbox
and delivery worker."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from bot.core.context import Context
from bot.core.messages import Attachment, Choice, Field, Form
from bot.store.models import InboundEvent, Member, Network, OutboxMessage, OutboxStatus, Role
from tests.fakes import make_png, tg_callback_query, tg_command, tg_my_chat_member, tg_text
from tests.support.telegram import GROUP_ID, SECRET, TelegramHarness


def _member(store, user_id: int) -> Member:
    with store.session() as session:
        return session.exec(select(Member).where(Member.platform_user_id == str(user_id))).one()


def _count(store, model) -> int:
    with store.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def _joined(th: TelegramHarness, user_id: int = 1001) -> None:
    """The member joins in the group, then opens the private chat with /start."""
    await th.group_command("join", user_id=user_id)
    await th.command("start", str(GROUP_ID), user_id=user_id)


async def test_command_by_polling_gets_the_help_reply(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _joined(th)
        await th.command("beacon", "help")
        reply = "\n".join(th.texts(1001))
        assert "<b>Beacon</b> for Learning Network" in reply and "<code>/beacon join</code>" in reply
        assert th.tg.calls_to("setMyCommands")[0]["commands"][0]["command"] == "beacon"
        assert th.adapter.status() == {"ok": True, "bot": {"id": 123456, "username": "beacon_test_bot"}, "mode": "polling", "polling_here": True}


async def test_alias_and_group_mention_reach_the_router(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _joined(th)
        await th.command("help")
        assert "tells more about one" in th.last_text(1001)
        before = len(th.texts(1001))
        mention = tg_text("@beacon_test_bot help", chat_id=GROUP_ID)
        mention["message"]["entities"] = [{"type": "mention", "offset": 0, "length": 16}]
        await th.push(mention)
        th.clock.advance(timedelta(seconds=2))  # a fourth message this second is over Telegram's flood limit: it goes a second later
        await th.beacon.delivery.drain()
        assert len(th.texts(1001)) > before  # answered privately: Telegram has no ephemeral
        before = len(th.tg.calls_to("sendMessage"))
        chatter = tg_text("lunch anyone?", chat_id=GROUP_ID)
        await th.push(chatter)
        assert len(th.tg.calls_to("sendMessage")) == before  # chatter not addressed to the bot is ignored


async def test_webhook_with_the_right_secret_answers(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock, webhook=True) as th:
        assert th.tg.webhook == {"url": "https://beacon.example.org/telegram/webhook", "secret_token": SECRET}
        response = await th.push(tg_command("beacon", "join", chat_id=GROUP_ID, bot_username="beacon_test_bot"))
        assert response.status_code == 200
        await th.push(tg_command("start", str(GROUP_ID)))
        await th.push(tg_command("beacon", "help"))
        assert "tells more about one" in th.last_text(1001)


async def test_webhook_with_a_wrong_or_missing_secret_is_refused_and_touches_nothing(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock, webhook=True) as th:
        for secret in ("wrong", None, ""):
            response = await th.push(tg_command("beacon", "help"), secret=secret)
            assert response.status_code == 403
        assert th.adapter.handled == 0
        assert _count(sqlite_store, InboundEvent) == 0 and _count(sqlite_store, Network) == 0
        assert th.tg.calls_to("sendMessage") == []


async def test_duplicate_update_by_webhook_is_handled_once(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock, webhook=True) as th:
        await th.push(tg_command("beacon", "join", chat_id=GROUP_ID, bot_username="beacon_test_bot"))
        await th.push(tg_command("start", str(GROUP_ID)))
        update = tg_command("beacon", "help", update_id=777001)
        await th.push(update)
        await th.push(update)
        helps = [t for t in th.texts(1001) if "tells more about one" in t]
        assert len(helps) == 1
        with sqlite_store.session() as session:
            assert session.exec(select(InboundEvent).where(InboundEvent.event_id == "tg:777001")).one()


def _buttons(th: TelegramHarness) -> None:
    def ask(ctx: Context) -> None:
        ctx.reply("Coffee or <tea> & cake?", choices=[Choice("Coffee", "tgtest.pick", "c"), Choice("Tea", "tgtest.pick", "t")])

    def pick(ctx: Context) -> None:
        ctx.reply(f"You picked {ctx.incoming.value}")

    th.beacon.router.command("tgtest ask", ask, help="test")
    th.beacon.router.action("tgtest.pick", pick)


async def test_button_press_is_answered_and_the_keyboard_replaced(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        _buttons(th)
        await _joined(th)
        await th.command("beacon", "tgtest ask")
        sent = th.tg.calls_to("sendMessage")[-1]
        assert sent["text"] == "Coffee or &lt;tea&gt; &amp; cake?"
        assert sent["reply_markup"] == {
            "inline_keyboard": [[{"text": "Coffee", "callback_data": "#1|tgtest.pick|c"}, {"text": "Tea", "callback_data": "#1|tgtest.pick|t"}]]
        }
        await th.press("Tea")
        assert len(th.tg.calls_to("answerCallbackQuery")) == 1
        edit = th.tg.calls_to("editMessageText")[-1]
        assert edit["text"].endswith("✓ Tea") and "reply_markup" not in edit
        assert th.last_text(1001) == "You picked t"
        message = th.tg.messages[(1001, edit["message_id"])]
        assert "reply_markup" not in message  # the buttons are gone


async def test_an_expired_button_is_answered_with_a_clear_message(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _joined(th)
        await th.push(tg_callback_query("~0123456789abcdef01234567"))
        assert th.tg.calls_to("answerCallbackQuery")[-1]["text"].startswith("That button has expired")


async def test_guided_form_is_answered_message_by_message(sqlite_store, clock):
    got: list[dict[str, str]] = []
    form = Form(
        id="tgtest.form",
        title="Your practice",
        fields=(
            Field(name="title", label="Title", required=True),
            Field(name="tip", label="What made it work"),
            Field(name="mode", label="Mode", options=("adapted", "accelerated")),
        ),
    )

    def submitted(ctx: Context) -> None:
        got.append(dict(ctx.incoming.form_values))
        ctx.reply("Saved.")

    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        th.beacon.router.command("tgtest form", lambda ctx: ctx.open_form(form), help="test")
        th.beacon.router.form("tgtest.form", submitted)
        await _joined(th)
        await th.command("beacon", "tgtest form")
        assert "Title" in th.last_text(1001) and "(1 of 3)" in th.last_text(1001)
        await th.say("Buddy <walks> & talks")
        assert "(2 of 3)" in th.last_text(1001)
        await th.say("/skip")
        assert "(3 of 3)" in th.last_text(1001)
        await th.press("adapted")
        assert got == [{"title": "Buddy <walks> & talks", "mode": "adapted"}]
        assert th.last_text(1001) == "Saved."


async def test_blocked_user_becomes_unreachable_and_is_not_retried(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _joined(th)
        await th.push(tg_command("beacon", "help", user_id=1001), drain=False)
        th.tg.block(1001)  # between writing and the answer: a blocked user cannot write to the bot
        await th.beacon.delivery.drain()
        clock.advance(timedelta(hours=1))
        await th.beacon.delivery.drain()
        assert th.tg.count("sendMessage", status=403) == 1
        member = _member(sqlite_store, 1001)
        assert member.unreachable and "blocked" in member.unreachable_reason
        with sqlite_store.session() as session:
            assert session.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)).one()


async def test_my_chat_member_keeps_reachability_in_sync(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _joined(th)
        await th.push(tg_my_chat_member("kicked", "member"))
        assert _member(sqlite_store, 1001).unreachable
        unblocked = tg_my_chat_member("member", "kicked")
        unblocked["my_chat_member"]["old_chat_member"]["until_date"] = 0
        await th.push(unblocked)
        assert not _member(sqlite_store, 1001).unreachable


async def test_rate_limit_is_honoured_and_delivered_exactly_once(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _joined(th)
        th.beacon.router.command("tgtest ping", lambda ctx: ctx.reply("pong"), help="test")
        th.tg.fail_next("sendMessage", retry_after=3)
        th.settle_floods = False  # this test moves the clock through the retry itself
        before = len(th.texts(1001))
        await th.command("beacon", "tgtest ping")
        assert th.tg.rate_limited_count == 1 and len(th.texts(1001)) == before
        clock.advance(timedelta(seconds=2))
        await th.beacon.delivery.drain()
        assert len(th.texts(1001)) == before
        clock.advance(timedelta(seconds=1))
        await th.beacon.delivery.drain()
        await th.beacon.delivery.drain()
        assert th.texts(1001)[before:] == ["pong"]
        assert th.beacon.delivery.stats.rate_limited == 1


async def test_start_with_a_deep_link_links_the_member_to_the_groups_network(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join", user_id=1001)  # creates the group's network
        assert "start=-1001234567890" in th.last_text(GROUP_ID)
        assert _member(sqlite_store, 1001).has_private_chat is False
        th.tg.set_member(GROUP_ID, 2002, "member")  # in the group, though she never wrote there
        await th.command("start", str(GROUP_ID), user_id=2002)
        assert "welcome to <b>Learning Network</b>" in th.last_text(2002)
        bea = _member(sqlite_store, 2002)
        with sqlite_store.session() as session:
            network = session.get(Network, bea.network_id)
        assert network.platform_key == str(GROUP_ID) and bea.has_private_chat and bea.roles == frozenset()


async def test_start_without_a_network_says_how_to_join(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.command("start")
        assert "not in a network" in th.last_text(1001)
        assert _count(sqlite_store, Network) == 0


async def test_member_first_seen_in_the_group_gets_one_start_link(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.group_command("join", user_id=1001)
        await th.group_command("help", user_id=3003)
        await th.group_command("help", user_id=3003)
        links = [t for t in th.texts(GROUP_ID) if "?start=" in t]
        assert len(links) == 2  # ada's join, and one for the newcomer (not repeated)
        assert _member(sqlite_store, 3003).has_private_chat is False


async def test_bot_added_to_a_group_offers_the_adder_the_setup(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await th.push(tg_my_chat_member("member", "left", chat_id=GROUP_ID))
        text = th.last_text(GROUP_ID)
        assert "facilitator" in text and "/beacon join" in text and "?start=-1001234567890" in text
        assert _member(sqlite_store, 1001).roles == {Role.FACILITATOR}


async def test_long_messages_are_split_and_the_keyboard_goes_last(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        para = "word " * 300
        th.beacon.router.command("tgtest long", lambda ctx: ctx.reply("\n\n".join([para] * 8), choices=[Choice("OK", "tgtest.ok")]), help="test")
        await _joined(th)
        before = len(th.tg.calls_to("sendMessage"))
        await th.command("beacon", "tgtest long")
        parts = th.tg.calls_to("sendMessage")[before:]
        assert len(parts) == 4 and all(len(p["text"]) <= 4096 for p in parts)
        assert [("reply_markup" in p) for p in parts] == [False, False, False, True]
        assert sum(p["text"].count("word") for p in parts) == 2400


async def test_an_edit_is_not_taken_as_the_answer_to_the_next_question(sqlite_store, clock):
    from tests.fakes import tg_edited_message

    got: list[dict[str, str]] = []
    form = Form(id="tgtest.form", title="Two", fields=(Field(name="a", label="A"), Field(name="b", label="B")))
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        th.beacon.router.command("tgtest form", lambda ctx: ctx.open_form(form), help="test")
        th.beacon.router.form("tgtest.form", lambda ctx: got.append(dict(ctx.incoming.form_values)))
        await _joined(th)
        await th.command("beacon", "tgtest form")
        await th.say("first", message_id=501)
        await th.push(tg_edited_message("first, fixed", message_id=501))
        await th.push(tg_edited_message("/beacon help", message_id=502))
        assert "(2 of 2)" in th.last_text(1001)
        await th.say("second")
        assert got == [{"a": "first", "b": "second"}]


async def test_the_pacer_is_told_as_many_requests_as_a_message_really_makes(sqlite_store, clock):
    """Telegram counts every Bot API call against its 30 a second; a photo and
    each part of a long text are calls of their own, to every addressee."""
    from bot.adapters.base import Envelope, Recipient
    from bot.core.messages import Address, Outgoing

    async with TelegramHarness(store=sqlite_store, clock=clock, lenient={"flood"}) as th:  # sends here bypass the pacer
        await _joined(th, 1001)
        await _joined(th, 1002)
        ann, bob = _member(sqlite_store, 1001), _member(sqlite_store, 1002)
        people = {m.id: Recipient(member_id=m.id, platform_user_id=m.platform_user_id, display_name=m.display_name)
                  for m in (ann, bob)}  # fmt: skip
        long_text = "\n\n".join(["word " * 300] * 8)
        png = make_png(8, 8)
        cases = {
            "short": Outgoing(text="hello", to=Address.member(ann.id)),
            "long": Outgoing(text=long_text, to=Address.member(ann.id)),
            "photo": Outgoing(text="a chart", to=Address.member(ann.id), attachment=Attachment.picture(png)),
            "photo, long text": Outgoing(text=long_text, to=Address.member(ann.id), attachment=Attachment.picture(png)),
            "to two": Outgoing(text="you two", to=Address(members=(ann.id, bob.id))),
        }
        made = {}
        for n, (name, out) in enumerate(cases.items()):
            envelope = Envelope(outbox_id=10_000 + n, key=name, network_key=str(GROUP_ID), outgoing=out,
                                recipients=tuple(people[i] for i in out.to.members))  # fmt: skip
            before = len(th.tg.calls)
            await th.adapter.send(envelope)
            sent = [c for c in th.tg.calls[before:] if c.method in ("sendMessage", "sendPhoto")]
            made[name] = (th.adapter.requests(envelope), len(sent))
        assert made == {"short": (1, 1), "long": (4, 4), "photo": (1, 1), "photo, long text": (5, 5), "to two": (2, 2)}
