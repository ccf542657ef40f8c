"""The layers of docs/architecture.md, held by a test over the import graph.

Every import in app/zag_tray counts, those inside functions too (the CLI imports the tray
lazily, and that import is a dependency all the same).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "app" / "zag_tray"

MAY_IMPORT: dict[str, frozenset[str]] = {
    "agents": frozenset(),
    "desktop": frozenset({"agents"}),
    "store": frozenset({"agents", "desktop"}),
    "sessions": frozenset({"agents", "desktop"}),
    "procs": frozenset({"agents", "desktop", "store", "sessions"}),
    "remote": frozenset({"agents", "desktop", "store"}),
    "ui": frozenset({"agents", "desktop", "store", "sessions", "procs", "remote"}),
    "demo": frozenset({"agents", "desktop", "store", "sessions"}),
    "cli": frozenset({"agents", "desktop", "store", "sessions", "procs", "remote", "ui", "demo"}),
    "__main__": frozenset({"cli"}),
    "": frozenset(),
}
"""Each part of ours (``""`` is ``zag_tray/__init__.py``) and the other parts it may import:
docs/architecture.md's table. Only the entry point (cli) imports ui, to run the tray;
agents imports nothing of ours."""

ONLY_IN = {
    "PySide6": {"ui"},
    "shiboken6": {"ui"},
    "psutil": {"procs"},
    "platformdirs": {"desktop"},
    "jeepney": {"desktop"},
}
"""Third-party packages and the one part of ours allowed to import each."""

AGENTS_MAY_USE = frozenset(
    {
        "__future__", "collections", "dataclasses", "datetime", "enum", "functools", "heapq",
        "itertools", "json", "math", "msgspec", "operator", "pathlib", "re", "time", "typing",
    }
)  # fmt: skip
"""Everything agents/ may import besides itself: data, text and time, no OS calls (no ``os``,
``io``, ``subprocess``, threads or sockets); pathlib for pure path text only."""

NO_IO_CALLS = frozenset({"open", "exec", "eval", "__import__"})
"""Built-ins that reach the file system or run code: never called in agents/."""

MAX_LINES = 400


def part_of(module: str) -> str:
    """``zag_tray.store.read`` -> ``store``; ``zag_tray`` itself and what it holds (its
    ``__version__``) -> ``""``, which every part may import: it imports nothing of ours."""
    names = module.split(".")
    return names[1] if len(names) > 1 and names[1] in MAY_IMPORT else ""


def imports_of(path: Path, module: str) -> Iterator[str]:
    """Every module ``path`` imports: statements anywhere (``if TYPE_CHECKING:`` blocks are
    left out: they never run), and ``importlib.import_module``/``__import__`` calls, as
    ``<dynamic>`` when the name is not a literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Call) and _called(node) in ("import_module", "__import__"):
            first = node.args[0] if node.args else None
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            yield first.value if literal else "<dynamic>"  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _called_name(child.test) == "TYPE_CHECKING":
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _called(call: ast.Call) -> str:
    return _called_name(call.func)


def _called_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def calls_of(path: Path) -> set[str]:
    """The names of the built-ins of :data:`NO_IO_CALLS` that ``path`` calls."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return {
        node.func.id
        for node in _runtime_nodes(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NO_IO_CALLS
    }


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module name -> every module name it imports (ours and others')."""
    graph = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        module = ".".join(parts)
        graph[module] = set(imports_of(path, module))
    return graph


def violations(graph: Mapping[str, set[str]]) -> list[str]:
    """Every import that breaks a rule above, as "importer -> imported: why"."""
    found = []
    for module, imported in sorted(graph.items()):
        mine = part_of(module)
        for name in sorted(imported):
            top = name.split(".")[0]
            if name == "<dynamic>":
                found.append(f"{module} -> {name}: an import by a computed name hides a dependency")
            elif top == "zag_tray":
                theirs = part_of(name)
                if theirs not in (mine, "") and theirs not in MAY_IMPORT.get(mine, frozenset()):
                    found.append(f"{module} -> {name}: {mine or 'zag_tray'} may not import {theirs}")
            elif top in ONLY_IN and mine not in ONLY_IN[top]:
                found.append(f"{module} -> {name}: only {', '.join(sorted(ONLY_IN[top]))} may import {top}")
            elif mine == "agents" and top not in AGENTS_MAY_USE:
                found.append(f"{module} -> {name}: agents/ is pure rules")
    return found


def test_the_layers_hold() -> None:
    graph = import_graph()
    assert {part_of(m) for m in graph} == set(MAY_IMPORT)  # every part is there, under its name
    assert violations(graph) == []


def test_agents_calls_nothing_that_reaches_the_system() -> None:
    calls = {str(path.relative_to(PACKAGE)): calls_of(path) for path in (PACKAGE / "agents").rglob("*.py")}
    assert {name: found for name, found in calls.items() if found} == {}


@pytest.mark.parametrize(
    ("module", "imported", "why"),
    [
        ("zag_tray.agents.tree", "zag_tray.store.read", "agents may not import store"),
        ("zag_tray.store.parse", "zag_tray.ui.model", "store may not import ui"),
        ("zag_tray.procs.monitor", "zag_tray.ui.worker", "procs may not import ui"),
        ("zag_tray.desktop.paths", "zag_tray.procs.actions", "desktop may not import procs"),
        ("zag_tray.sessions.follow", "zag_tray.store.read", "sessions may not import store"),
        ("zag_tray.sessions.tracker", "zag_tray.procs.liveness", "sessions may not import procs"),
        ("zag_tray.agents.activity", "zag_tray.sessions.follow", "agents may not import sessions"),
        ("zag_tray.sessions.locate", "psutil", "only procs may import psutil"),
        ("zag_tray.demo", "zag_tray.ui.window", "demo may not import ui"),
        ("zag_tray.ui.tray", "zag_tray.cli", "ui may not import cli"),
        ("zag_tray", "zag_tray.ui", "zag_tray may not import ui"),
        ("zag_tray.agents.entry", "os", "agents/ is pure rules"),
        ("zag_tray.agents.tree", "<dynamic>", "an import by a computed name hides a dependency"),
        ("zag_tray.store.reader", "PySide6.QtCore", "only ui may import PySide6"),
        ("zag_tray.cli", "PySide6", "only ui may import PySide6"),
        ("zag_tray.ui.menu", "psutil", "only procs may import psutil"),
        ("zag_tray.remote.driver", "zag_tray.procs.actions", "remote may not import procs"),
        ("zag_tray.remote.state", "PySide6.QtCore", "only ui may import PySide6"),
        ("zag_tray.agents.present", "subprocess", "agents/ is pure rules"),
    ],
)
def test_a_forbidden_import_is_caught(module: str, imported: str, why: str) -> None:
    graph = import_graph()
    graph[module] = graph.get(module, set()) | {imported}
    assert [v for v in violations(graph) if v.startswith(f"{module} -> {imported}:")] == [
        f"{module} -> {imported}: {why}"
    ]


def test_no_module_is_longer_than_a_reader_holds_at_once() -> None:
    lengths = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_imports_by_name_count_and_annotation_only_imports_do_not(tmp_path: Path) -> None:
    module = tmp_path / "mod.py"
    module.write_text(
        "import importlib\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import os\n"
        "def f(name):\n"
        "    importlib.import_module('zag_tray.ui')\n"
        "    __import__(name)\n",
        encoding="utf-8",
    )
    assert set(imports_of(module, "zag_tray.agents.mod")) == {
        "importlib",
        "typing",
        "typing.TYPE_CHECKING",
        "zag_tray.ui",
        "<dynamic>",
    }
