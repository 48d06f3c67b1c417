"""The console shows what a chat would (issue 18): welcome, people, buttons, files, joining.

Each runs the real ``beacon run`` console in-process (tests/support/console.py).
"""

from __future__ import annotations

import re

import pytest

from bot.adapters.console import files_folder
from tests.support.console import ConsoleRun


@pytest.fixture
def console(tmp_path, monkeypatch) -> ConsoleRun:
    return ConsoleRun(tmp_path, monkeypatch)


def _button(out: str, label: str) -> str:
    """The number the console printed beside the last button called ``label``."""
    found = re.findall(rf"(\d+)\) {re.escape(label)}", out)
    assert found, f"no {label!r} button in:\n{out}"
    return found[-1]


def test_a_persons_first_message_gets_the_welcome_a_telegram_member_gets(console):
    out = console.run("hello\n/as bob\nhi there\nhi again\n")
    assert "Hello you, welcome to Neighbourhood Learning Network on Beacon." in out
    assert "Hello bob, welcome to Neighbourhood Learning Network on Beacon." in out
    assert out.count("welcome to Neighbourhood") == 2  # once each, not on every message
    again = console.run("hello\n")
    assert "welcome to Neighbourhood" not in again  # the same person after a restart


def test_the_welcome_reaches_someone_given_a_role_before_their_first_word(console):
    out = console.run("/beacon help\n", "--as", "carol", "--role", "coordinator")
    assert "Hello carol, welcome to" in out and "You are a coordinator" in out


def test_as_keeps_each_persons_buttons(console):
    out = console.run("/beacon forget-me\n/as bob\n/beacon help\n3\n/as you\n3\n")
    assert "Button 3 is on a message to you: /as you to press it." in out  # bob cannot press it
    assert out.count("Cancelled. Nothing was deleted.") == 1  # you still can


def test_only_an_exact_as_switches_and_unknown_console_commands_are_answered(console):
    out = console.run("/ask something\n/asbob\n/as\n/beacon help\n")
    assert "You are now" not in out
    assert "I don't know the console command /ask." in out and "I don't know the console command /asbob." in out
    assert "Usage: /as NAME [member|facilitator|coordinator]" in out
    assert "You are a facilitator" in out  # still the first person, the network's facilitator


def test_as_with_a_role_that_does_not_exist_switches_nobody(console):
    out = console.run("/as bob boss\n/beacon help\n")
    assert "There is no role 'boss'" in out
    assert "You are now bob" not in out
    assert "You are a facilitator" in out


def test_run_role_accepts_only_real_roles(console):
    out = console.run("/beacon help\n", "--role", "boss", exit_code=2)
    assert "boss" in out and "member" in out and "coordinator" in out
    assert "welcome" not in out


def test_buttons_of_earlier_messages_stay_pressable(console):
    out = console.run("/beacon reflect\n/beacon forget-me\n1\n")
    assert _button(out, "Answer now") == "1" and _button(out, "Cancel") == "8"  # each button has its own number
    assert "✓ Answer now" in out  # 1 pressed the prompt's button, not the newer message's first one
    assert "Deleting your data" not in out


def test_a_number_that_presses_nothing_is_asked_about_not_stored_as_an_answer(console):
    out = console.run("/beacon reflect\n1\n9\n")
    assert "No button has the number 9. You have no buttons to press. To send “9” as a message, type it again." in out
    assert "2/4" not in out  # the open reflection did not take 9 as its first answer


def test_a_number_typed_twice_is_sent_as_a_message(console):
    out = console.run("/beacon reflect\n1\n9\n9\n")
    assert out.count("No button has the number 9") == 1
    assert "2/4" in out  # typed again: it is the answer


def test_attachments_are_saved_beside_the_database_and_their_paths_shown(console):
    out = console.run("/beacon members csv\n/beacon my-data\n/beacon members csv\n")
    csv_path, export, second = console.files / "members.csv", console.files / "my-data.json", console.files / "members-2.csv"
    assert f"file saved: {csv_path}" in out and f"file saved: {export}" in out and f"file saved: {second}" in out
    assert "you" in csv_path.read_text()
    assert second.read_bytes() == csv_path.read_bytes()  # an earlier file is never overwritten
    assert export.read_text().startswith("{")


def test_the_digest_chart_is_saved_as_a_file(console):
    console.run("/beacon digest preview\n", "--role", "coordinator")  # a coordinator reads it; a facilitator sends it
    assert (console.files / "digest.png").read_bytes().startswith(b"\x89PNG")


def test_join_works_in_the_consoles_network(console):
    out = console.run("/beacon join\n")
    assert "You're a member of Neighbourhood Learning Network" in out
    assert "in your network's group" not in out


def test_files_go_beside_the_sqlite_file_or_into_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert files_folder("sqlite:///data/beacon.db") == tmp_path / "data" / "beacon-files"
    assert files_folder(f"sqlite:///{tmp_path}/x/y.db") == tmp_path / "x" / "beacon-files"
    assert files_folder("postgresql://postgres@127.0.0.1:54329/postgres") == tmp_path / "beacon-files"
    assert files_folder("sqlite://") == tmp_path / "beacon-files"


def test_a_newcomers_first_hello_gets_only_the_welcome(console):
    """The welcome answers it; "I don't have a question open" right under it read as a rebuff."""
    out = console.run("hello\n")
    assert "Hello you, welcome to" in out and "have a question open" not in out
    out = console.run("hello again\n")  # later messages still get the usual answer
    assert "I don't have a question open for you right now" in out
