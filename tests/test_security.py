"""Security: secrets never logged, input lengths bounded, no SQL built from text."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from bot.app import build_app
from bot.server.logs import configure_logging
from bot.settings import Settings
from bot.store.models import Member, Network, Role
from tests.support.harness import Harness, MemoryAdapter

BOT = Path(__file__).resolve().parent.parent / "bot"
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-0000-SECRETBOTTOKEN",
    "SLACK_SIGNING_SECRET": "signing-SECRET-4242",
    "SLACK_CLIENT_SECRET": "client-SECRET-7777",
    "TELEGRAM_BOT_TOKEN": "123456:TELEGRAM-SECRET-TOKEN",
    "TELEGRAM_WEBHOOK_SECRET": "webhook-SECRET-9999",
}


def _assert_clean(text: str, secrets) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret appears in the logs: {secret[:6]}…"


@pytest.fixture
def debug_logs(caplog):
    """All log output at DEBUG, through the production logging set-up (secret masker included)."""
    httpx_level = logging.getLogger("httpx").level
    caplog.set_level(logging.DEBUG)
    yield caplog
    logging.getLogger("httpx").setLevel(httpx_level)
    for handler in logging.getLogger().handlers:
        handler.filters.clear()


async def _session(h: Harness) -> None:
    h.add_member("fac", role=Role.FACILITATOR)
    h.add_member("bob", username="bob")
    await h.command("fac", "setup")
    for answer in ("Secret-free Network", "Europe/London", "practices", "keep", "keep", "off"):
        await h.say("fac", answer)
    await h.command("fac", "members")
    await h.command("fac", "role grant @bob coordinator")
    await h.command("fac", "undo")
    await h.command("bob", "my-data")
    await h.command("bob", "forget-me")
    await h.press("bob", "Delete my data")
    await h.tick(hours=24 * 8)


async def test_a_full_console_session_logs_no_secret(sqlite_store, clock, debug_logs):
    h = Harness(store=sqlite_store, clock=clock)
    await h.close()
    settings = Settings(BEACON_CONFIG="/nonexistent.yaml", **SECRETS)
    h.adapter = MemoryAdapter()
    h.beacon = build_app(settings, clock=clock, adapters=[h.adapter], store=sqlite_store)
    try:
        _assert_clean(debug_logs.text, SECRETS.values())  # our own code never logs them, masker or not
        await _session(h)
        _assert_clean(debug_logs.text, SECRETS.values())
        assert "set up by member" in debug_logs.text  # the logs were captured
    finally:
        await h.close()


async def test_a_slack_session_logs_no_secret(sqlite_store, clock, debug_logs):
    slack_harness = pytest.importorskip("tests.support.slack")
    configure_logging("DEBUG", [slack_harness.TOKEN, slack_harness.SIGNING_SECRET])  # as `beacon run` does, first
    async with slack_harness.slack_bot(sqlite_store, clock) as sb:
        sb.user("U1", name="Ada")
        sb.user("U2", name="Bo")
        await sb.command("U1", "setup")
        await sb.command("U1", "members")
        await sb.command("U2", "my-data")
        await sb.command("U2", "forget-me")
        secrets = [slack_harness.TOKEN, slack_harness.SIGNING_SECRET]
    _assert_clean(debug_logs.text, secrets)
    assert "slack" in debug_logs.text.lower()


async def test_a_telegram_session_logs_no_secret(sqlite_store, clock, debug_logs):
    tg = pytest.importorskip("tests.support.telegram")
    th = tg.TelegramHarness(store=sqlite_store, clock=clock, webhook=True)
    # as `beacon run` does: logging is set up (with the masker) before anything starts;
    # python-telegram-bot logs its token-bearing base URL at DEBUG
    configure_logging("DEBUG", [th.tg.token, tg.SECRET])
    async with th:
        await th.group_command("join", user_id=1001)
        await th.command("beacon", "members", user_id=1001)
        await th.command("beacon", "my-data", user_id=1001)
        secrets = th.beacon.settings.secrets()
    assert secrets
    _assert_clean(debug_logs.text, secrets)


# -- input lengths ---------------------------------------------------------------------------


async def test_over_long_input_is_refused_not_stored(harness):
    h = harness
    h.add_member("fac", role=Role.FACILITATOR)
    out = await h.command("fac", "cohort add " + "x" * 5000)
    assert "longer than I can keep" in out[-1].text
    out = await h.command("fac", "cohort add " + "x" * 60)
    assert "up to 40" in out[-1].text
    await h.submit("fac", "admin.setup", {"name": "n" * 300, "timezone": "Europe/London"})
    with h.store.session() as s:
        assert s.get(Network, h.network_id).name == "Test Network"


def test_setup_form_fits_the_columns():
    from bot.flows.admin.commands import setup_form

    class _Ctx:  # setup_form reads only these
        network = Network(platform="console", platform_key="k", name="N", timezone="UTC")
        incoming = None
        platform = "console"
        session = None

    limits = {
        "name": Network.model_fields["name"],
        "timezone": Network.model_fields["timezone"],
        "practice_channel": Network.model_fields["practice_channel"],
    }
    from bot.flows.admin import commands as admin

    original = admin._flow_of
    admin._flow_of = lambda ctx, kind: None
    try:
        form = setup_form(_Ctx())
    finally:
        admin._flow_of = original
    for field in form.fields:
        if field.name in limits:
            column = Network.__table__.columns[field.name]
            assert field.max_length <= column.type.length, field.name
        else:
            assert field.max_length <= 200  # schedules: parse_schedule refuses longer
    assert Member.__table__.columns["cohort"].type.length >= 40


# -- SQL -----------------------------------------------------------------------------------------

SQL_CALLS = {"text", "exec_driver_sql", "execute"}
ALLOWED: dict[str, str] = {
    "bot/store/search.py:_sqlite": "splices only module constants and generated :s0 placeholders; the words are bound",
    "bot/store/search.py:_postgres": "splices only module constants and generated placeholders; the query is bound as :q",
    "bot/store/migrations/versions/0003_practices_practices.py:_create_search_index": "DDL from constant column lists",
    "bot/store/migrations/versions/0003_practices_practices.py:_drop_search_index": "DDL from constant trigger names",
    "bot/store/search.py:_top": "splices only the FTS table name and a constant ORDER BY; the MATCH text is bound",
    "bot/store/migrations/versions/0010_search_rank_search_rank.py:_build": "DDL from constant column lists and weights",
    "bot/store/migrations/versions/0010_search_rank_search_rank.py:_drop": "DDL from constant trigger names",
}


def _is_built_string(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return not (isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join"):
        return True
    return False


def _calls_by_function(tree: ast.AST):
    """(enclosing function name, call) for every call, innermost function first."""

    def visit(node, owner):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else owner
            if isinstance(child, ast.Call):
                yield owner, child
            yield from visit(child, name)

    yield from visit(tree, "<module>")


def sql_built_from_strings(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        rel = path.relative_to(root.parent).as_posix()
        for owner, node in _calls_by_function(tree):
            if not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in SQL_CALLS and _is_built_string(node.args[0]) and f"{rel}:{owner}" not in ALLOWED:
                found.append(f"{rel}:{node.lineno}")
    return found


def test_no_sql_is_built_from_strings():
    assert sql_built_from_strings(BOT) == []


def test_the_sql_check_would_catch_it(tmp_path):
    pkg = tmp_path / "bot"
    pkg.mkdir()
    (pkg / "bad.py").write_text(
        "from sqlalchemy import text\n"
        "def f(conn, name):\n"
        "    conn.execute(text(f\"SELECT * FROM member WHERE name = '{name}'\"))\n"
        "    conn.exec_driver_sql('DELETE FROM x WHERE id = %s' % name)\n"
        "    conn.execute(text('SELECT 1 WHERE a = {}'.format(name)))\n"
        "    conn.execute(text('SELECT :n'), {'n': name})\n"
    )
    assert sql_built_from_strings(pkg) == ["bot/bad.py:3", "bot/bad.py:4", "bot/bad.py:5"]
