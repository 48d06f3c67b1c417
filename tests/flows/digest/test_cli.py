"""``beacon digest --from/--to``: a bad date is a clear message and exit code 2, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from bot.store.models import Network


@pytest.fixture
def database(sqlite_store, clock) -> str:
    with sqlite_store.session() as s:
        s.add(Network(platform="console", platform_key="net", name="North", timezone="Europe/London", created_at=clock.now()))
    return sqlite_store.url


def _digest(database: str, *args: str):
    return CliRunner().invoke(cli, ["digest", "--network", "North", "--database", database, *args])


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "0001-01-01"],
        ["--to", "9999-12-31"],
        ["--from", "0001-01-01", "--to", "0001-01-02"],
        ["--to", "0001-01-03"],
        ["--from", "2026-02-30"],
        ["--from", "yesterday"],
        ["--from", "1900-01-01", "--to", "2026-11-01"],
        ["--from", "2026-11-05", "--to", "2026-11-01"],
    ],
)
def test_bad_dates_get_a_clear_message_and_exit_code_2(database, args):
    result = _digest(database, *args)
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, OverflowError | ValueError) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "--from" in result.output or "--to" in result.output


def test_a_good_range_exports(database):
    result = _digest(database, "--from", "2026-10-26", "--to", "2026-11-01")
    assert result.exit_code == 0, result.output
