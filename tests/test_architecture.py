"""The layout's rules (DESIGN.md, "Layout: one package per concept"), checked with ``ast``.

Over every module of ``bot/`` but the migrations, without importing any:

- no import cycle between modules, imports inside functions included (they
  hide a cycle, they do not remove it); ``if TYPE_CHECKING:`` imports excluded;
- no private name (``_x``, not ``__x__``) imported from another module, nor
  reached as ``module._x``; a helper two modules share is a public name in the
  lower one (``obj._x`` on another module's object is ruff's SLF001, in
  pyproject.toml);
- no flow package (``bot/flows/<flow>/``) importing another flow package, but
  for the pairs in ``FLOW_IMPORTS_ALLOWED``; what crosses flows goes through
  the router's hooks (type-only imports count: naming another flow's types is
  knowing it);
- no import inside a function, but of the heavy optional libraries in
  ``LAZY_IMPORTS_ALLOWED``;
- no re-export facade: ``# noqa: F401`` only on imports of modules for their
  side effect (``bot/store/tables.py``), and ``__all__`` naming imported names
  only in a package's ``__init__``;
- every package under ``bot/flows/`` has an ``__init__.py`` with ``__all__``,
  and a flow package's also binds ``register``.

Edges: ``import bot.a.b`` and ``from bot.a import b`` (``bot/a/b.py`` a module)
go to ``bot.a.b``; ``from bot.a import name`` goes to ``bot.a``, which is the
package's ``__init__`` when ``bot/a`` is a package. Parent packages, which
Python imports first, are not edges: a package's ``__init__`` importing its
own modules is the layout, not a cycle. ``importlib.import_module`` with a
literal name counts as an import; with a computed one (``bot.flows.FLOW_MODULES``)
it cannot be seen.

Set ``BEACON_ARCH_ROOT`` to check another checkout (a directory holding ``bot/``),
e.g. an older commit through ``git worktree add``.
"""

from __future__ import annotations

import ast
import io
import os
import re
import sys
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Flow packages that may import another, each with why. Keys are
# (importing flow, imported flow), the names of packages under bot/flows/.
FLOW_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {
    ("reflection", "commitments"): "a reflection's last answer becomes a commitment: reflection reads it with the commitments' own parser",
    (
        "meetings",
        "commitments",
    ): "/beacon next and the before-meeting nudge show the member's open commitments, described as commitments describe them",
}

# What may be imported inside a function: heavy optional libraries, loaded on
# first use. A dotted prefix covers its submodules.
LAZY_IMPORTS_ALLOWED: dict[str, str] = {
    "matplotlib": "the digest chart only: over a second of start-up for a picture most processes never draw",
    "bot.adapters.slack": "slack-bolt, slack-sdk and aiohttp (~0.5 s): loaded only when Slack settings are present",
    "bot.adapters.telegram": "python-telegram-bot and its httpx (~0.4 s): loaded only when Telegram settings are present",
}

ROOT = Path(os.environ.get("BEACON_ARCH_ROOT") or Path(__file__).resolve().parents[1])
PACKAGE = "bot"
EXCLUDED = ("bot/store/migrations",)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclass(frozen=True)
class Import:
    """One imported module or name, as one module's source says it."""

    importer: str
    line: int
    target: str  # the module imported (a module of ours when ``internal``), else the dotted name as written
    name: str | None  # for ``from target import name``: the name, when it is not a module itself
    alias: str  # the name the import binds in the importer
    internal: bool
    function: str | None  # the enclosing function, for an import inside one
    type_checking: bool  # under ``if TYPE_CHECKING:``

    @property
    def where(self) -> str:
        return f"{self.importer}:{self.line}"


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    source: str

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


@dataclass
class Layout:
    """Every module under ``root/package`` and what each imports."""

    root: Path
    package: str = PACKAGE
    excluded: tuple[str, ...] = EXCLUDED
    modules: dict[str, Module] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)
    _edges: dict[str, dict[str, list[Import]]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        base = self.root / self.package
        if not base.is_dir():
            raise FileNotFoundError(f"no {self.package}/ under {self.root}")
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(self.root)
            if any(rel.as_posix().startswith(e.rstrip("/") + "/") for e in self.excluded):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            source = path.read_text(encoding="utf-8")
            name = ".".join(parts)
            self.modules[name] = Module(name, path, ast.parse(source, filename=str(path)), source)
        for module in self.modules.values():
            self.imports.extend(self._imports_of(module))

    # -- reading imports ---------------------------------------------------------------

    def _imports_of(self, module: Module) -> Iterator[Import]:
        def visit(node: ast.AST, function: str | None, tc: bool) -> Iterator[Import]:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                for child in node.body:
                    yield from visit(child, function, True)
                for child in node.orelse:
                    yield from visit(child, function, tc)
                return
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function = node.name if function is None else f"{function}.{node.name}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    yield self._import(module, node.lineno, alias.name, None, bound, function, tc)
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(module, node)
                for alias in node.names:
                    yield self._import(module, node.lineno, base, alias.name, alias.asname or alias.name, function, tc)
            elif isinstance(node, ast.Call) and _is_import_module(node):
                yield self._import(module, node.lineno, node.args[0].value, None, "", function, tc)
            for child in ast.iter_child_nodes(node):
                yield from visit(child, function, tc)

        yield from visit(module.tree, None, False)

    def _absolute(self, module: Module, node: ast.ImportFrom) -> str:
        if node.level == 0:
            return node.module or ""
        parts = module.name.split(".")
        if not module.is_package:
            parts.pop()
        parts = parts[: len(parts) - (node.level - 1)]
        return ".".join(parts + ([node.module] if node.module else []))

    def _import(self, module: Module, line: int, base: str, name: str | None, alias: str, function: str | None, tc: bool) -> Import:
        if name is not None and name != "*" and f"{base}.{name}" in self.modules:
            base, name = f"{base}.{name}", None  # `from bot.a import b`, b a module: an edge to bot.a.b
        if name == "*":
            name = None
        target = base
        while target and target not in self.modules and "." in target:
            target = target.rsplit(".", 1)[0]  # `import bot.a.missing` -> bot.a, the module Python runs
        internal = target in self.modules
        return Import(module.name, line, target if internal else base, name, alias, internal, function, tc)

    # -- the checks, each a list of findings ---------------------------------------------

    def edges(self) -> dict[str, dict[str, list[Import]]]:
        """importer -> imported module -> the imports that make the edge (TYPE_CHECKING ones left out)."""
        if self._edges is None:
            self._edges = {m: {} for m in self.modules}
            for imp in self.imports:
                if imp.internal and not imp.type_checking and imp.target != imp.importer:
                    self._edges[imp.importer].setdefault(imp.target, []).append(imp)
        return self._edges

    def cycles(self) -> list[list[str]]:
        """The strongly connected components of more than one module, each sorted, smallest module first."""
        graph = {m: sorted(targets) for m, targets in self.edges().items()}
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[list[str]] = []
        for start in sorted(graph):  # Tarjan's algorithm, iterative so deep chains need no recursion
            if start in index:
                continue
            work = [(start, iter(graph[start]))]
            index[start] = low[start] = len(index)
            stack.append(start)
            on_stack.add(start)
            while work:
                node, children = work[-1]
                child = next(children, None)
                if child is not None:
                    if child not in index:
                        index[child] = low[child] = len(index)
                        stack.append(child)
                        on_stack.add(child)
                        work.append((child, iter(graph[child])))
                    elif child in on_stack:
                        low[node] = min(low[node], index[child])
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
        return sorted(found)

    def describe_cycle(self, component: list[str]) -> str:
        members = set(component)
        lines = [f"{len(component)} modules import each other: {', '.join(component)}"]
        inside = [imps[0] for importer in component for target, imps in self.edges()[importer].items() if target in members]
        for imp in sorted(inside, key=lambda imp: (imp.importer, imp.line)):
            how = f" (inside {imp.function}())" if imp.function else ""
            lines.append(f"    {imp.where} -> {imp.target}{how}")
        return "\n".join(lines)

    def private_imports(self) -> list[str]:
        found = []
        for imp in self.imports:
            if not imp.internal:
                continue
            if imp.name is not None and is_private(imp.name):
                found.append(f"{imp.where} takes {imp.name} from {imp.target}")
            elif imp.name is None and is_private(imp.target.rsplit(".", 1)[-1]):
                package = imp.target.rsplit(".", 1)[0]
                if not (imp.importer == package or imp.importer.startswith(package + ".")):
                    found.append(f"{imp.where} imports the private module {imp.target} from outside {package}")
        for module in self.modules.values():  # `module._name` through a module bound by an import
            bound = self._bound_modules(module)
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Attribute) and is_private(node.attr):
                    owner = bound.get(ast.unparse(node.value))
                    if owner is not None and owner != module.name:
                        found.append(f"{module.name}:{node.lineno} reaches {owner}.{node.attr}")
        return sorted(set(found), key=_by_place)

    def _bound_modules(self, module: Module) -> dict[str, str]:
        """Names this module's imports bind to modules of ours: {"audit": "bot.flows.admin.audit", ...}."""
        bound: dict[str, str] = {}
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in self.modules:
                        bound[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(module, node)
                for alias in node.names:
                    if f"{base}.{alias.name}" in self.modules:
                        bound[alias.asname or alias.name] = f"{base}.{alias.name}"
        return bound

    def flow_of(self, module: str) -> str | None:
        """The flow package a module belongs to (``pairing`` for bot.flows.pairing.matching.groups)."""
        parts = module.split(".")
        if len(parts) < 3 or parts[:2] != [self.package, "flows"]:
            return None
        return parts[2] if (self.root / self.package / "flows" / parts[2]).is_dir() else None

    def flow_imports(self, allowed: dict[tuple[str, str], str]) -> tuple[list[str], list[tuple[str, str]]]:
        """Imports of one flow package by another not allowed, and allowed pairs that no longer occur."""
        found, seen = [], set()
        for imp in self.imports:
            source = self.flow_of(imp.importer)
            target = self.flow_of(imp.target) if imp.internal else None
            if source and target and source != target:
                seen.add((source, target))
                if (source, target) not in allowed:
                    how = " (inside a function)" if imp.function else " (TYPE_CHECKING)" if imp.type_checking else ""
                    what = f"{imp.target}.{imp.name}" if imp.name else imp.target
                    found.append(f"{imp.where}: flow {source} imports flow {target}: {what}{how}")
        return sorted(found, key=_by_place), sorted(set(allowed) - seen)

    def lazy_imports(self, allowed: dict[str, str]) -> tuple[list[str], list[str]]:
        """Imports inside functions of what is not allowed there, and allowed entries no longer used."""
        found, used = [], set()
        for imp in self.imports:
            if imp.function is None or imp.type_checking:
                continue
            entry = next((a for a in allowed if imp.target == a or imp.target.startswith(a + ".")), None)
            if entry is not None:
                used.add(entry)
            else:
                found.append(f"{imp.where} imports {imp.target} inside {imp.function}()")
        return sorted(set(found), key=_by_place), sorted(set(allowed) - used)

    def noqa_reexports(self) -> list[str]:
        """``# noqa: F401`` (or a bare ``# noqa``) on an import of anything but a module of ours."""
        found = []
        for module in self.modules.values():
            suppressed = _noqa_f401_lines(module.source)
            for node in ast.walk(module.tree):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                if not suppressed.intersection(range(node.lineno, (node.end_lineno or node.lineno) + 1)):
                    continue
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names if a.name not in self.modules]
                else:
                    base = self._absolute(module, node)
                    names = [a.name for a in node.names if f"{base}.{a.name}" not in self.modules]
                if names:
                    found.append(f"{module.name}:{node.lineno} re-exports {', '.join(names)} behind # noqa: F401")
        return sorted(found, key=_by_place)

    def all_facades(self) -> list[str]:
        """A module that is not a package's ``__init__`` listing in ``__all__`` names it imported from ours."""
        found = []
        for module in self.modules.values():
            if module.is_package:
                continue
            imported = {}
            for imp in self.imports:
                if imp.importer == module.name and imp.internal and imp.function is None and imp.alias:
                    imported[imp.alias] = imp.target
            for line, names in _dunder_all(module.tree):
                again = [n for n in names if n in imported]
                if again:
                    found.append(
                        f"{module.name}:{line} re-exports {', '.join(again)} in __all__ (imported from {', '.join(sorted({imported[n] for n in again}))})"
                    )
        return sorted(found, key=_by_place)

    def flow_package_inits(self) -> list[str]:
        """Every package under bot/flows/ has an ``__init__.py`` with ``__all__``; a flow package's binds ``register``."""
        found = []
        flows = self.root / self.package / "flows"
        for directory in sorted(p for p in flows.rglob("*") if p.is_dir() and p.name != "__pycache__"):
            if not any(directory.rglob("*.py")):
                continue
            rel = directory.relative_to(self.root)
            name = ".".join(rel.parts)
            module = self.modules.get(name)
            if module is None or not module.is_package:
                found.append(f"{rel.as_posix()}/ has no __init__.py")
                continue
            bound = _module_level_names(module.tree)
            missing = [n for n in ("__all__", "register") if n not in bound and (n == "__all__" or directory.parent == flows)]
            if missing:
                found.append(f"{rel.as_posix()}/__init__.py does not define {' or '.join(missing)}")
        return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_import_module(node: ast.Call) -> bool:
    func = node.func
    named = (isinstance(func, ast.Name) and func.id == "import_module") or (isinstance(func, ast.Attribute) and func.attr == "import_module")
    return named and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)


_NOQA = re.compile(r"#\s*noqa(?P<codes>:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)?", re.IGNORECASE)


def _noqa_f401_lines(source: str) -> set[int]:
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            match = _NOQA.search(tok.string)
            if match and (match["codes"] is None or "F401" in match["codes"].upper()):
                lines.add(tok.start[0])
    return lines


def _dunder_all(tree: ast.Module) -> Iterator[tuple[int, list[str]]]:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            try:
                names = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError):
                continue
            yield node.lineno, [n for n in names if isinstance(n, str)]


def _module_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _by_place(finding: str) -> tuple[str, int, str]:
    match = re.match(r"([\w.]+):(\d+)", finding)
    return (match[1], int(match[2]), finding) if match else (finding, 0, finding)


def check(title: str, findings: list, advice: str) -> None:
    """Fail with every finding, one a line, and what to do about them."""
    if findings:
        pytest.fail(f"{title} ({len(findings)}) in {ROOT / PACKAGE}:\n  " + "\n  ".join(map(str, findings)) + f"\n{advice}", pytrace=False)


_layout: Layout | None = None


def layout() -> Layout:
    global _layout
    if _layout is None:
        _layout = Layout(ROOT)
    return _layout


# -- the checks on bot/ --------------------------------------------------------------------


def test_no_import_cycle():
    check(
        "Import cycles, lazy imports included",
        [layout().describe_cycle(c) for c in layout().cycles()],
        "Break each: move what both need into the lower module, or let the lower one reach the upper through a hook the core owns.",
    )


def test_no_private_name_from_another_module():
    check(
        "Private names used across modules",
        layout().private_imports(),
        "A helper two modules share is a public name (no leading underscore) in the lower one.",
    )


def test_no_flow_imports_another_flow():
    found, stale = layout().flow_imports(FLOW_IMPORTS_ALLOWED)
    check(
        "Flow packages importing another flow package",
        found,
        "Cross through a hook on the router (follow-up source, event, undo), or allow the pair in FLOW_IMPORTS_ALLOWED with a reason.",
    )
    check("FLOW_IMPORTS_ALLOWED pairs that no longer import each other", stale, "Remove them from FLOW_IMPORTS_ALLOWED.")


def test_no_import_inside_a_function():
    found, stale = layout().lazy_imports(LAZY_IMPORTS_ALLOWED)
    check(
        "Imports inside functions",
        found,
        "Import at the top of the module; only a heavy optional library loaded on first use belongs in LAZY_IMPORTS_ALLOWED, with why.",
    )
    check("LAZY_IMPORTS_ALLOWED libraries no function imports any more", stale, "Remove them from LAZY_IMPORTS_ALLOWED.")


def test_no_noqa_reexport_facade():
    check(
        "Re-exports behind # noqa: F401",
        layout().noqa_reexports(),
        "Import each name from the module that defines it; a package's public names go in its __init__'s __all__.",
    )


def test_only_a_package_init_re_exports():
    check(
        "Modules re-exporting imported names through __all__",
        layout().all_facades(),
        "Importers take a name from the module that defines it, or from its package's __init__.",
    )


def test_flow_packages_have_register_and_all():
    check(
        "Flow packages without their __init__",
        layout().flow_package_inits(),
        "Each package's __init__.py lists its public names in __all__; a flow package's also holds register(router).",
    )


if __name__ == "__main__":  # a quick report: python tests/test_architecture.py [ROOT]
    if len(sys.argv) > 1:
        ROOT = Path(sys.argv[1])
    lay = Layout(ROOT)
    print("cycles:", *(lay.describe_cycle(c) for c in lay.cycles()), sep="\n")
    print("private:", *lay.private_imports(), sep="\n  ")
    print("flows:", *lay.flow_imports(FLOW_IMPORTS_ALLOWED)[0], sep="\n  ")
    print("lazy:", *lay.lazy_imports(LAZY_IMPORTS_ALLOWED)[0], sep="\n  ")
    print("noqa:", *lay.noqa_reexports(), sep="\n  ")
    print("__all__:", *lay.all_facades(), sep="\n  ")
    print("inits:", *lay.flow_package_inits(), sep="\n  ")
