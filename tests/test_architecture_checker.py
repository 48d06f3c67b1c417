"""The layout checker of ``tests/test_architecture.py`` on tiny packages written for each test.

So the check itself can fail: each rule is shown catching what it is for,
and letting pass what it is not for.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.test_architecture import Layout


def write(root: Path, files: dict[str, str]) -> Layout:
    """``{"bot/a.py": source, ...}`` under ``root``, then the layout of ``root/bot``."""
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    for directory in {p.parent for p in root.joinpath("bot").rglob("*.py")}:
        directory.joinpath("__init__.py").touch()
    return Layout(root)


def test_a_cycle_through_an_import_inside_a_function_is_caught(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/a.py": "from bot.b import B\n",
            "bot/b.py": """
                B = 1

                def late():
                    from bot.a import something
                    return something
            """,
        },
    )
    assert lay.cycles() == [["bot.a", "bot.b"]]
    assert "bot.b:5 -> bot.a (inside late())" in lay.describe_cycle(["bot.a", "bot.b"])
    assert lay.lazy_imports({})[0] == ["bot.b:5 imports bot.a inside late()"]


def test_a_type_checking_import_is_no_edge_but_its_else_branch_is(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/a.py": "from bot.b import B\n",
            "bot/b.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from bot.a import A
                B = 1
            """,
        },
    )
    assert lay.cycles() == []
    assert lay.lazy_imports({})[0] == []

    lay = write(
        tmp_path,
        {
            "bot/b.py": """
                import typing
                if typing.TYPE_CHECKING:
                    pass
                else:
                    from bot.a import A
            """
        },
    )
    assert lay.cycles() == [["bot.a", "bot.b"]]


def test_a_cycle_through_three_modules_and_packages_is_one_component(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/p/__init__.py": "from bot.p.x import X\n__all__ = ['X']\n",  # `from bot import p` below: an edge to this
            "bot/p/x.py": "from bot.q import y\nX = y.Y\n",  # y is a module: an edge to bot.q.y, not to bot.q
            "bot/q/y.py": "import bot.r\nY = 1\n",
            "bot/r.py": "from bot import p\n",
            "bot/s.py": "from bot.q import y\n",  # imports into the cycle, is not part of it
        },
    )
    assert lay.cycles() == [["bot.p", "bot.p.x", "bot.q.y", "bot.r"]]


def test_a_package_importing_its_own_modules_is_no_cycle(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/p/__init__.py": "from bot.p.x import register\n__all__ = ['register']\n",
            "bot/p/x.py": "from bot.p.y import helper\ndef register(router): ...\n",
            "bot/p/y.py": "def helper(): ...\n",
        },
    )
    assert lay.cycles() == []


def test_relative_imports_and_import_module_are_resolved(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/p/a.py": "from . import b\nfrom ..q import C\n",
            "bot/p/b.py": "import importlib\nM = importlib.import_module('bot.p.a')\n",
            "bot/q.py": "C = 1\n",
        },
    )
    edges = lay.edges()
    assert set(edges["bot.p.a"]) == {"bot.p.b", "bot.q"}
    assert set(edges["bot.p.b"]) == {"bot.p.a"}
    assert lay.cycles() == [["bot.p.a", "bot.p.b"]]


def test_a_private_name_from_another_module_is_caught(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/low.py": "_helper = 1\nPUBLIC = 2\n__version__ = '1'\n",
            "bot/high.py": """
                from bot.low import PUBLIC, _helper, __version__
                from bot import low

                def f():
                    return low._helper
            """,
            "bot/other.py": "from os import _exit\n",  # not one of ours: not the layout's business
        },
    )
    assert lay.private_imports() == [
        "bot.high:2 takes _helper from bot.low",
        "bot.high:6 reaches bot.low._helper",
    ]


def test_a_private_module_is_private_to_its_package(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/p/_impl.py": "X = 1\n",
            "bot/p/a.py": "from bot.p._impl import X\n",
            "bot/q.py": "from bot.p import _impl\n",
        },
    )
    assert lay.private_imports() == ["bot.q:1 imports the private module bot.p._impl from outside bot.p"]


def test_a_flow_importing_another_flow_is_caught_unless_allowed(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/flows/help.py": "from bot.flows.pairing.rounds import KIND\n",  # a plain module belongs to no flow
            "bot/flows/pairing/rounds.py": "from bot.flows.pairing.score import score\nKIND = 'pairing'\n",
            "bot/flows/pairing/score.py": "def score(): ...\n",
            "bot/flows/nudges/run.py": """
                from bot.flows.pairing.rounds import KIND
                from bot.flows.help import HELP

                def later():
                    from bot.flows import pairing
            """,
        },
    )
    found, stale = lay.flow_imports({})
    assert found == [
        "bot.flows.nudges.run:2: flow nudges imports flow pairing: bot.flows.pairing.rounds.KIND",
        "bot.flows.nudges.run:6: flow nudges imports flow pairing: bot.flows.pairing (inside a function)",
    ]
    found, stale = lay.flow_imports({("nudges", "pairing"): "why", ("pairing", "admin"): "gone"})
    assert found == []
    assert stale == [("pairing", "admin")]


def test_only_allowed_libraries_may_be_imported_inside_a_function(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/chart.py": """
                import io

                def draw():
                    from matplotlib.figure import Figure
                    import json
                    return Figure, json

                class Later:
                    def method(self):
                        import bot.chart
            """,
        },
    )
    found, stale = lay.lazy_imports({"matplotlib": "heavy", "numpy": "no longer used"})
    assert found == ["bot.chart:6 imports json inside draw()", "bot.chart:11 imports bot.chart inside method()"]
    assert stale == ["numpy"]


def test_a_noqa_re_export_is_caught_and_a_side_effect_import_is_not(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/store/tables.py": "from bot.store import models  # noqa: F401\nimport bot.store.models  # noqa\n",
            "bot/store/models.py": "class Member: ...\n",
            "bot/facade.py": """
                from bot.store.models import (  # noqa: F401
                    Member,
                )
                from bot.store.models import Member as M  # noqa: E501, F401
                from bot.store.models import Member as N  # noqa: E501
                text = "# noqa: F401"
            """,
        },
    )
    assert lay.noqa_reexports() == [
        "bot.facade:2 re-exports Member behind # noqa: F401",
        "bot.facade:5 re-exports Member behind # noqa: F401",
    ]


def test_only_a_package_init_re_exports_through_all(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/p/__init__.py": "from bot.p.a import thing\n__all__ = ['thing']\n",
            "bot/p/a.py": "from bot.p.b import other as thing\nfrom os import path\n__all__ = ['thing', 'path', 'own']\nown = 1\n",
            "bot/p/b.py": "other = 1\n",
        },
    )
    assert lay.all_facades() == ["bot.p.a:3 re-exports thing in __all__ (imported from bot.p.b)"]


def test_flow_packages_need_register_and_all(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/flows/__init__.py": "",
            "bot/flows/welcome.py": "def register(router): ...\n",
            "bot/flows/good/__init__.py": "from bot.flows.good.run import register\n__all__ = ['register']\n",
            "bot/flows/good/run.py": "def register(router): ...\n",
            "bot/flows/good/inner/__init__.py": "__all__: list[str] = []\n",
            "bot/flows/good/inner/x.py": "",
            "bot/flows/bare/__init__.py": '"""bare"""\n',
            "bot/flows/bare/run.py": "",
            "bot/flows/half/__init__.py": "def register(router): ...\n",
            "bot/flows/half/inner/__init__.py": "",
            "bot/flows/half/inner/x.py": "",
        },
    )
    (tmp_path / "bot/flows/nodunder/deep").mkdir(parents=True)
    (tmp_path / "bot/flows/nodunder/deep/x.py").write_text("")
    assert lay.flow_package_inits() == [
        "bot/flows/bare/__init__.py does not define __all__ or register",
        "bot/flows/half/__init__.py does not define __all__",
        "bot/flows/half/inner/__init__.py does not define __all__",
        "bot/flows/nodunder/ has no __init__.py",
        "bot/flows/nodunder/deep/ has no __init__.py",
    ]


def test_the_migrations_are_not_read(tmp_path):
    lay = write(
        tmp_path,
        {
            "bot/store/types.py": "",
            "bot/store/migrations/env.py": "import bot.store.tables  # noqa: F401\nfrom bot.store.types import _x\n",
            "bot/store/migrations/versions/0001.py": "from bot.store.types import _y\n",
        },
    )
    assert "bot.store.migrations.env" not in lay.modules
    assert lay.private_imports() == []
