"""Secrets never reach a log: messages, arguments, exceptions, tracebacks and URLs' passwords."""

from __future__ import annotations

import io
import logging

import pytest
from starlette.applications import Starlette

from bot.server.http import http_server
from bot.server.logs import configure_logging, mask_secrets
from bot.settings import Settings

TOKEN = "123456:TELEGRAM-SECRET-TOKEN"
DATABASE_URL = "postgresql://beacon:pa55@db.example.org:5432/beacon"
logger = logging.getLogger("bot.test_logs")


@pytest.fixture
def output(caplog):
    """What a real stream handler on the root logger writes, and what caplog captured,
    with the production set-up (``beacon run`` calls ``configure_logging`` first)."""
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    httpx_level = logging.getLogger("httpx").level
    configure_logging("DEBUG", [TOKEN])
    yield lambda: stream.getvalue() + caplog.text
    root.removeHandler(handler)
    logging.getLogger("httpx").setLevel(httpx_level)
    for h in root.handlers:
        h.filters.clear()


def _refuse(token: str) -> None:
    raise RuntimeError(f"the API refused {token}: 401 Unauthorized")


def test_an_exceptions_message_and_traceback_are_masked(output):
    try:
        _refuse(TOKEN)
    except RuntimeError:
        logger.exception("start-up failed")
    text = output()
    assert "Traceback" in text and "start-up failed" in text
    assert "RuntimeError: the API refused ***: 401 Unauthorized" in text
    assert TOKEN not in text


def test_a_traceback_whose_source_line_holds_the_token_is_masked(output):
    try:
        raise ValueError("bad token 123456:TELEGRAM-SECRET-TOKEN")  # the line itself is printed in the traceback
    except ValueError:
        logger.warning("it went wrong", exc_info=True)
    assert TOKEN not in output()


def test_arguments_and_the_stack_are_masked(output):
    logger.info("token %s and %s", TOKEN, "y")
    logger.info("as a mapping: %(token)s", {"token": TOKEN})
    logger.debug("here", stack_info=True)  # the stack prints this line: 123456:TELEGRAM-SECRET-TOKEN
    text = output()
    assert "as a mapping: ***" in text and "Stack (most recent call last)" in text
    assert TOKEN not in text


def test_a_database_urls_password_is_masked_however_short(output):
    logger.error("cannot reach %s", DATABASE_URL)
    try:
        raise ConnectionError(f"connection to {DATABASE_URL} failed")
    except ConnectionError:
        logger.exception("database ping failed")
    text = output()
    assert "cannot reach postgresql://beacon:***@db.example.org:5432/beacon" in text
    assert "pa55" not in text


def test_the_database_password_is_one_of_the_settings_secrets():
    settings = Settings(BEACON_CONFIG="/nonexistent.yaml", BEACON_DATABASE_URL="postgresql://beacon:s3cret%2Fpw@host/db")
    assert {"s3cret%2Fpw", "s3cret/pw"} <= set(settings.secrets())
    assert Settings(BEACON_CONFIG="/nonexistent.yaml", BEACON_DATABASE_URL="sqlite:///beacon.db").secrets() == []


def test_mask_secrets_leaves_urls_without_a_password_alone():
    assert mask_secrets("see https://api.telegram.org/ and sqlite:///beacon.db", []) == "see https://api.telegram.org/ and sqlite:///beacon.db"
    assert mask_secrets("redis://:hunter2@cache:6379/0", []) == "redis://:***@cache:6379/0"


def test_the_http_servers_own_logs_go_through_the_masker(output):
    http_server(Starlette(), host="127.0.0.1", port=0)  # uvicorn configures its logging here
    try:
        _refuse(TOKEN)
    except RuntimeError:
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=True)
    text = output()
    assert "Exception in ASGI application" in text and "RuntimeError: the API refused ***" in text
    assert TOKEN not in text


def test_any_slack_token_is_masked_configured_or_not():
    text = "bot xoxb-1-2-abc, user xoxp-9-x, app xapp-1-A0-42-ff, rotated xoxe.xoxb-1-MTIz and refresh xoxe-1-My0x"
    assert mask_secrets(text, []) == "bot xoxb-***, user xoxp-***, app xapp-***, rotated xoxe-*** and refresh xoxe-***"
