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

LAYERS = ("__main__", "cli", "demo", "ui", "procs", "store", "desktop", "agents")
"""Top to bottom: a module may import its own part and the parts below it, never above.
Only the entry point (cli) imports ui, to run the tray; agents imports nothing of ours."""

ONLY_IN = {"PySide6": {"ui"}, "shiboken6": {"ui"}, "psutil": {"procs"}, "platformdirs": {"desktop"}}
"""Third-party packages and the one part of ours allowed to import each."""

NOT_IN_AGENTS = frozenset({"ctypes", "socket", "subprocess", "shutil", "threading"})
"""agents/ is pure rules: no processes, no threads, no OS calls."""

MAX_LINES = 420


def part_of(module: str) -> str:
    """``zag_tray.store.read`` -> ``store``; ``zag_tray`` itself -> ``""`` (its version only)."""
    names = module.split(".")
    return names[1] if len(names) > 1 else ""


def imports_of(path: Path, module: str) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`


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
            if top == "zag_tray":
                theirs = part_of(name)
                if theirs in LAYERS and mine and theirs != mine and LAYERS.index(theirs) < LAYERS.index(mine):
                    found.append(f"{module} -> {name}: {mine} is below {theirs}")
            elif top in ONLY_IN and mine not in ONLY_IN[top]:
                found.append(f"{module} -> {name}: only {', '.join(sorted(ONLY_IN[top]))} may import {top}")
            elif mine == "agents" and top in NOT_IN_AGENTS:
                found.append(f"{module} -> {name}: agents/ is pure rules")
    return found


def test_the_layers_hold() -> None:
    graph = import_graph()
    assert {part_of(m) for m in graph} >= set(LAYERS)  # every part is there, under its name
    assert violations(graph) == []


@pytest.mark.parametrize(
    ("module", "imported", "why"),
    [
        ("zag_tray.agents.tree", "zag_tray.store.read", "agents is below store"),
        ("zag_tray.store.parse", "zag_tray.ui.model", "store is below ui"),
        ("zag_tray.procs.monitor", "zag_tray.ui.worker", "procs is below ui"),
        ("zag_tray.desktop.paths", "zag_tray.procs.actions", "desktop is below procs"),
        ("zag_tray.store.reader", "PySide6.QtCore", "only ui may import PySide6"),
        ("zag_tray.cli", "PySide6", "only ui may import PySide6"),
        ("zag_tray.ui.menu", "psutil", "only procs may import psutil"),
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
