"""Nudges know no other flow: everything they follow up comes through the router's follow-up sources."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.flows.nudges

PACKAGE = Path(bot.flows.nudges.__file__).parent


def test_nudges_import_no_other_flow_and_nothing_inside_a_function():
    crossing, lazy = [], []
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text())
        inside = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("bot.flows.") and not name.startswith("bot.flows.nudges"):
                    crossing.append(f"{path.name}: {name}")
                if id(node) in inside:
                    lazy.append(f"{path.name}: {name}")
    assert crossing == [] and lazy == []
