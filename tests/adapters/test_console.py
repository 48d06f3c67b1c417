"""The console adapter as a newcomer uses it: `printf … | beacon run`."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT


def _run(tmp_path, script: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    env.update(BEACON_DATABASE_URL=f"sqlite:///{tmp_path}/console.db", COLUMNS="120")
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_scripted_session_answers_help_and_exits_cleanly(tmp_path):
    proc = _run(tmp_path, "/beacon help\n")
    assert proc.returncode == 0, proc.stderr
    assert "/beacon help [command]" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert " INFO " not in proc.stderr  # the terminal is the chat: no start-up log lines


def test_unknown_command_and_bad_tick_get_explanations(tmp_path):
    proc = _run(tmp_path, "/beacon frobnicate\n/beacon tick soon\n")
    assert proc.returncode == 0, proc.stderr
    assert "I don't know the command" in proc.stdout
    assert "tick 1d" in proc.stdout


def test_identity_and_role_switching(tmp_path):
    proc = _run(tmp_path, "/as bob coordinator\n/beacon help\n", "--as", "alice")
    assert proc.returncode == 0, proc.stderr
    assert "You are now bob (coordinator)." in proc.stdout
    assert "You are a coordinator" in proc.stdout


def test_tick_moves_the_clock_and_state_survives_a_restart(tmp_path):
    first = _run(tmp_path, "/beacon tick 2d\n")
    assert "Moved on 2 days" in first.stdout
    second = _run(tmp_path, "/beacon help\n")
    assert second.returncode == 0 and "You are a facilitator" in second.stdout  # same database, same member
