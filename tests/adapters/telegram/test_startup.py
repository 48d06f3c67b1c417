"""A bot token Telegram rejects: python-telegram-bot's error quotes it; Beacon's
says what to fix, without it, and ``beacon run`` stops with that line."""

from __future__ import annotations

import asyncio
import os
import sys
import traceback

import pytest

from bot.adapters.base import StartupError
from bot.adapters.telegram import TelegramAdapter
from tests.fakes import FakeTelegram
from tests.support import ROOT

WRONG_TOKEN = "654321:REVOKED-beacon-token"
MESSAGE = "Telegram refused the bot token (TELEGRAM_BOT_TOKEN): check it with @BotFather"


async def _handle(_incoming) -> None:  # never called: the adapter does not start
    raise AssertionError("no update should arrive")


async def test_a_rejected_token_is_reworded_without_the_token(sqlite_store):
    async with FakeTelegram() as tg:
        adapter = TelegramAdapter(token=WRONG_TOKEN, handle=_handle, store=sqlite_store, api_url=tg.base_url)
        with pytest.raises(StartupError) as caught:
            await adapter.start()
        assert tg.calls_to("getMe") and not tg.calls_to("getMe", ok=True)  # the real Bot API answered 401
        assert MESSAGE in str(caught.value)
        printed = "".join(traceback.format_exception(caught.value))
        assert WRONG_TOKEN not in printed and "654321" not in printed
        await adapter.stop()  # stopping an adapter that never started is harmless


async def test_beacon_run_exits_with_the_reworded_message(tmp_path):
    async with FakeTelegram() as tg:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_", "BEACON_"))}
        env.update(
            BEACON_DATABASE_URL=f"sqlite:///{tmp_path}/beacon.db",
            BEACON_CONFIG="/nonexistent.yaml",
            TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
            TELEGRAM_API_URL=tg.base_url,
            BEACON_LOG_LEVEL="DEBUG",
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    output = (stdout + stderr).decode()
    assert proc.returncode == 1, output
    assert MESSAGE in stderr.decode()
    assert WRONG_TOKEN not in output and "Traceback" not in output
