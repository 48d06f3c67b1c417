"""The fake Bot API refuses what the real one refuses (``/work/shared/PLATFORMS.md``).

One test per refusal, each through the real python-telegram-bot ``Bot``, and
one per leniency to show a test can ask for it by name.
"""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from tests.fakes import FakeTelegram, make_png, tg_command, tg_my_chat_member, tg_text
from tests.fakes.telegram_api import MAX_DOCUMENT_BYTES, image_size

GROUP = -1001234567890


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def tg():
    clock = Clock()
    async with FakeTelegram(clock=clock) as fake:
        fake.test_clock = clock
        yield fake


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def bot(fake: FakeTelegram) -> Bot:
    return Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)


# -- who may be written to ---------------------------------------------------------


async def test_a_user_who_never_started_the_bot_cannot_be_written_to(tg):
    async with bot(tg) as b:
        with pytest.raises(Forbidden, match="(?i)bot can't initiate conversation with a user"):
            await b.send_message(1001, "hello")
        with pytest.raises(Forbidden, match="(?i)initiate"):
            await b.send_document(1001, b"a,b\n", filename="x.csv")
    assert tg.count("sendMessage", status=403) == 1


async def test_a_private_start_or_any_private_message_counts_as_started(tg):
    tg.push_update(tg_command("start", user_id=1001))
    tg.push_update(tg_text("hi", user_id=1002))
    tg.push_update(tg_command("beacon", "help", user_id=1003, chat_id=GROUP, bot_username="beacon_test_bot"))  # in a group: not a start
    async with bot(tg) as b:
        assert (await b.send_message(1001, "one")).text == "one"
        assert (await b.send_message(1002, "two")).text == "two"
        with pytest.raises(Forbidden, match="(?i)initiate"):
            await b.send_message(1003, "three")


async def test_a_user_who_blocked_the_bot_is_refused_until_they_unblock(tg):
    tg.start_user(1001)
    tg.push_update(tg_my_chat_member("kicked", "member", user_id=1001))
    async with bot(tg) as b:
        with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
            await b.send_message(1001, "hello")
        tg.push_update(tg_my_chat_member("member", "kicked", user_id=1001))
        assert (await b.send_message(1001, "again")).text == "again"


async def test_the_unstarted_leniency_is_asked_for_by_name():
    async with FakeTelegram(lenient={"unstarted"}) as fake, bot(fake) as b:
        assert (await b.send_message(1001, "hello")).text == "hello"
    with pytest.raises(ValueError, match="(?i)unknown leniencies"):
        FakeTelegram(lenient={"everything"})


# -- photos and documents ---------------------------------------------------------------


async def test_send_photo_refuses_bytes_that_are_not_a_picture(tg):
    tg.start_user(1001)
    async with bot(tg) as b:
        with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
            await b.send_photo(1001, photo=b"name,email\nada,ada@example.org\n", filename="members.csv")
        with pytest.raises(BadRequest, match="(?i)IMAGE_PROCESS_FAILED"):
            await b.send_photo(1001, photo=b"\x89PNG fake", filename="chart.png")
        sent = await b.send_photo(1001, photo=make_png(30, 20), filename="chart.png")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (30, 20)


async def test_send_photo_refuses_a_picture_too_tall(tg):
    tg.start_user(1001)
    tall = make_png(100, 9950)  # width + height > 10000
    assert image_size(tall) == (100, 9950)
    async with bot(tg) as b:
        with pytest.raises(BadRequest, match="(?i)PHOTO_INVALID_DIMENSIONS"):
            await b.send_photo(1001, photo=tall, filename="tall.png")


async def test_send_document_takes_any_file_up_to_50_mb(tg):
    tg.start_user(1001)
    assert tg.max_document_bytes == MAX_DOCUMENT_BYTES == 50 * 1024 * 1024
    tg.max_document_bytes = 1024  # the same rule, at a size a test can afford to upload
    async with bot(tg) as b:
        doc = await b.send_document(1001, document=b"x" * 1024, filename="members.csv")
        with pytest.raises(NetworkError, match="(?i)Request Entity Too Large"):
            await b.send_document(1001, document=b"x" * 1025, filename="big.csv")
    assert doc.document.file_name == "members.csv"


# -- chats and members ----------------------------------------------------------------------


async def test_get_chat_answers_a_full_chat_full_info_for_known_chats_only(tg):
    tg.add_chat(GROUP, type="supergroup", title="Learning Network")
    async with bot(tg) as b:
        chat = await b.get_chat(GROUP)  # PTB 22 parses a ChatFullInfo: accent colour, reactions, gift types
        assert (chat.id, chat.type, chat.title, chat.max_reaction_count) == (GROUP, "supergroup", "Learning Network", 11)
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await b.get_chat(-100999)


async def test_get_chat_member_answers_each_users_real_status(tg):
    tg.add_chat(GROUP, type="supergroup", title="Learning Network")
    for user, status in ((1, "creator"), (2, "administrator"), (3, "member"), (4, "restricted"), (5, "left"), (6, "kicked")):
        tg.set_member(GROUP, user, status)
    async with bot(tg) as b:
        statuses = [(await b.get_chat_member(GROUP, user)).status for user in range(1, 8)]
    assert statuses == ["creator", "administrator", "member", "restricted", "left", "kicked", "left"]  # 7: never in the group


async def test_the_roster_follows_the_updates_pushed_through_the_fake(tg):
    tg.push_update(tg_command("beacon", "help", user_id=1001, chat_id=GROUP, bot_username="beacon_test_bot"))
    left = tg_text("", user_id=1001, chat_id=GROUP)
    left["message"].pop("text", None)
    left["message"]["left_chat_member"] = left["message"]["from"]
    async with bot(tg) as b:
        assert (await b.get_chat_member(GROUP, 1001)).status == "member"
        tg.push_update(left)
        assert (await b.get_chat_member(GROUP, 1001)).status == "left"


# -- flood limits -----------------------------------------------------------------------------


async def test_one_chat_gets_a_short_burst_then_429_with_retry_after(tg):
    tg.start_user(1001)
    async with bot(tg) as b:
        for n in range(3):
            await b.send_message(1001, f"m{n}")
        with pytest.raises(RetryAfter) as flood:
            await b.send_message(1001, "too soon")
        assert _seconds(flood.value) >= 1
        tg.test_clock.now += 3
        await b.send_message(1001, "later")
    assert tg.calls_to("sendMessage", ok=False)[0]["text"] == "too soon"
    assert tg.calls[-2].response["parameters"]["retry_after"] >= 1


async def test_thirty_a_second_overall(tg):
    users = list(range(2000, 2031))
    tg.start_user(*users)
    async with bot(tg) as b:
        for user in users[:30]:
            await b.send_message(user, "hi")
        with pytest.raises(RetryAfter):
            await b.send_message(users[30], "one too many")
        tg.test_clock.now += 1.01
        await b.send_message(users[30], "now")


async def test_twenty_a_minute_into_one_group(tg):
    async with bot(tg) as b:
        for n in range(20):
            await b.send_message(GROUP, f"post {n}")
            tg.test_clock.now += 1.5
        with pytest.raises(RetryAfter) as flood:
            await b.send_message(GROUP, "post 21")
        assert _seconds(flood.value) > 1
        tg.test_clock.now += 60
        await b.send_message(GROUP, "post 21")


async def test_the_flood_leniency_is_asked_for_by_name():
    async with FakeTelegram(lenient={"flood", "unstarted"}) as fake, bot(fake) as b:
        for n in range(10):
            await b.send_message(1001, f"m{n}")


# -- sizes and HTML ------------------------------------------------------------------------------


async def test_text_over_4096_characters_is_refused(tg):
    tg.start_user(1001)
    async with bot(tg) as b:
        await b.send_message(1001, "a" * 4096)
        tg.test_clock.now += 5
        with pytest.raises(BadRequest, match="(?i)message is too long"):
            await b.send_message(1001, "a" * 4097)
        tg.test_clock.now += 5
        await b.send_message(1001, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)  # tags do not count


async def test_caption_over_1024_characters_is_refused(tg):
    tg.start_user(1001)
    async with bot(tg) as b:
        with pytest.raises(BadRequest, match="(?i)caption is too long"):
            await b.send_photo(1001, photo=make_png(), caption="c" * 1025)


async def test_callback_data_must_be_1_to_64_bytes(tg):
    tg.start_user(1001)
    async with bot(tg) as b:
        for data in ("x" * 65, "é" * 33):
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])
            with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
                await b.send_message(1001, "press", reply_markup=markup)
        tg.test_clock.now += 5
        await b.send_message(1001, "press", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="x" * 64)]]))


@pytest.mark.parametrize(
    "text",
    ["<b>bold", "<b><i>crossed</b></i>", "a <walks> b", "1 < 2", "<div>block</div>", "</b>"],
)
async def test_html_parse_mode_refuses_unknown_or_unbalanced_tags(tg, text):
    tg.start_user(1001)
    async with bot(tg) as b:
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await b.send_message(1001, text, parse_mode=ParseMode.HTML)


async def test_html_parse_mode_takes_what_telegram_supports(tg):
    tg.start_user(1001)
    text = '<b>b</b> <i>i</i> <a href="https://example.org/?a=1&amp;b=2">link</a> <code>1 &lt; 2</code> <pre>x</pre> <blockquote>q</blockquote>'
    async with bot(tg) as b:
        assert await b.send_message(1001, text, parse_mode=ParseMode.HTML)
        tg.test_clock.now += 5
        assert await b.send_message(1001, "1 < 2 without a parse mode")
