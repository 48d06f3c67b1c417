"""The README's command table says what the router really dispatches (issue 18).

Every command a person can see in ``/beacon help`` is in the table, under the
role that may use it, and everything in the table is a command (or an
argument its usage names). The table's shapes: ``name``; ``name a|b`` (sub-
commands, or words its usage names); ``name (`a`, `b`)`` (the command and its
sub-commands); ``[...]``, UPPER-case, ``@someone`` and numbers are arguments.
"""

from __future__ import annotations

import re

from bot.adapters.console import ALIASES
from bot.app import build_router
from bot.store.models import Role
from tests.support import ROOT

WHO = {
    "members": frozenset({Role.MEMBER}),
    "facilitators": frozenset({Role.FACILITATOR}),
    "coordinators (and facilitators)": frozenset({Role.COORDINATOR, Role.FACILITATOR}),
}


def _table() -> list[tuple[str, str]]:
    """(who, commands cell) for each row of the README's command table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    rows, who = [], ""
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) != 3 or cells[0] in ("who", "---"):
            continue
        who = cells[0] or who
        rows.append((who, cells[2].replace("\\|", "|")))
    return rows


def _is_argument(word: str) -> bool:
    return word.startswith(("[", "@", "#", "<", '"')) or word.isupper() or word[:1].isdigit()


def _listed(router) -> tuple[dict[tuple[str, ...], str], list[str]]:
    """The command paths the table names, with the row's "who", and what it names that is not a command."""
    listed: dict[tuple[str, ...], str] = {}
    wrong: list[str] = []
    for who, cell in _table():
        for item, subs in re.findall(r"`([^`]+)`(?: \(((?:`[^`]+`(?:, )?)+)\))?", cell):
            words = item.split()
            base = (words[0],)
            paths = [base]
            if subs:
                paths += [(*base, s) for s in re.findall(r"`([^`]+)`", subs)]
            elif len(words) > 1 and not _is_argument(words[1]):
                alternatives = words[1].split("|")
                if all((*base, a) in router.commands for a in alternatives):
                    paths = [(*base, a) for a in alternatives]
                elif base not in router.commands or not all(a in router.commands[base].usage for a in alternatives):
                    wrong.append(item)
            for path in paths:
                if path in router.commands:
                    listed[path] = who
                else:
                    wrong.append(" ".join(path))
    return listed, wrong


def test_every_command_in_the_table_exists_and_every_command_is_in_it():
    router = build_router()
    listed, wrong = _listed(router)
    assert not wrong, f"the README's table names what is not a command: {wrong}"
    visible = {path for path, cmd in router.commands.items() if not cmd.hidden}
    missing = sorted(" ".join(p) for p in visible - set(listed))
    assert not missing, f"commands missing from the README's table: {missing}"


def test_the_table_puts_each_command_under_who_may_use_it():
    router = build_router()
    listed, _ = _listed(router)
    misplaced = sorted(
        f"{' '.join(p)} (README: {who}; router: {router.commands[p].for_whom()})" for p, who in listed.items() if WHO[who] != router.commands[p].roles
    )
    assert not misplaced, misplaced


def test_the_short_commands_the_readme_names_are_the_routers_and_the_consoles():
    router = build_router()
    section = (ROOT / "README.md").read_text().split("## Commands", 1)[1].split("| who |", 1)[0]
    named = set(re.findall(r"`/([a-z-]+)`", section))
    assert named == set(router.aliases) == set(ALIASES)
