"""Files are files: on Telegram a picture goes by ``sendPhoto`` and every other
attachment by ``sendDocument`` under its own name, through the strict fake
(which refuses anything but a real image as a photo)."""

from __future__ import annotations

import json

from bot.core.messages import Attachment
from tests.fakes import make_png, tg_my_chat_member
from tests.support.telegram import GROUP_ID, TelegramHarness


async def _facilitator(th: TelegramHarness, user_id: int = 1001) -> None:
    """``user_id`` adds the bot to the group (so runs its network), then starts a private chat."""
    await th.push(tg_my_chat_member("member", "left", chat_id=GROUP_ID, user_id=user_id))
    await th.command("start", str(GROUP_ID), user_id=user_id)


def _documents(th: TelegramHarness, chat_id: int) -> list[dict]:
    return [p for p in th.tg.calls_to("sendDocument", ok=True) if p["chat_id"] == chat_id]


async def test_the_members_csv_arrives_as_a_document_named_members_csv(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _facilitator(th)
        await th.command("beacon", "members csv")
        [doc] = _documents(th, 1001)
        assert doc["document"]["filename"] == "members.csv"
        assert doc["document"]["content"].decode().startswith("name,username,role")
        assert "members.csv" in doc["caption"]
        assert not th.tg.calls_to("sendPhoto")


async def test_the_my_data_export_arrives_as_a_document_named_my_data_json(sqlite_store, clock):
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        await _facilitator(th)
        await th.command("beacon", "my-data")
        [doc] = _documents(th, 1001)
        assert doc["document"]["filename"] == "my-data.json"
        assert json.loads(doc["document"]["content"])["member"]["platform_user_id"] == "1001"
        stored = th.tg.results("sendDocument")[0]["document"]
        assert stored["file_name"] == "my-data.json"


async def test_a_picture_goes_as_a_photo_and_one_telegram_refuses_as_a_document(sqlite_store, clock):
    chart, tall = make_png(40, 30), make_png(50, 9990)
    async with TelegramHarness(store=sqlite_store, clock=clock) as th:
        th.beacon.router.command("tgtest chart", lambda ctx: ctx.reply("The mix", attachment=Attachment.picture(chart)), help="test")
        th.beacon.router.command("tgtest tall", lambda ctx: ctx.reply("Too tall", attachment=Attachment.picture(tall, "tall.png")), help="test")
        await _facilitator(th)
        await th.command("beacon", "tgtest chart")
        assert [p["caption"] for p in th.tg.calls_to("sendPhoto", ok=True)] == ["The mix"]
        await th.command("beacon", "tgtest tall")
        assert th.tg.count("sendPhoto", status=400) == 1
        [doc] = _documents(th, 1001)
        assert doc["document"]["filename"] == "tall.png" and doc["caption"] == "Too tall"
