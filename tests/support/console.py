"""The console as a newcomer runs it (`beacon run` with no tokens), in-process.

Drives the real command line, adapter and app through Typer's runner: what is
typed is standard input, what the console prints is the output. The runner
leaves the process as it found it (environment, log levels).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from tests.support import ROOT

__all__ = ["ConsoleRun", "console_run"]


@dataclass
class ConsoleRun:
    """A console session on one database; ``run`` may be called again (a restart)."""

    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch

    @property
    def database(self) -> Path:
        return self.tmp_path / "console.db"

    @property
    def files(self) -> Path:
        return self.tmp_path / "beacon-files"

    def run(self, script: str, *args: str, exit_code: int = 0) -> str:
        """Type ``script`` (one message a line) into ``beacon run ARGS``; what it printed."""
        for name in list(os.environ):
            if name.startswith(("SLACK_", "TELEGRAM_")):
                self.monkeypatch.delenv(name)
        self.monkeypatch.setenv("COLUMNS", "200")
        self.monkeypatch.setenv("BEACON_CONFIG", str(ROOT / "config" / "beacon.yaml"))
        self.monkeypatch.setenv("BEACON_DATABASE_URL", f"sqlite:///{self.database}")
        levels = {name: logging.getLogger(name).level for name in ("", "alembic")}
        try:
            result = CliRunner().invoke(cli, ["run", *args], input=script, catch_exceptions=False)
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
        assert result.exit_code == exit_code, result.output
        return result.output


@pytest.fixture
def console_run(tmp_path, monkeypatch) -> ConsoleRun:
    return ConsoleRun(tmp_path, monkeypatch)
