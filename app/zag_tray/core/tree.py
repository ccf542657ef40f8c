"""The agent forest: entries grouped under their parent entry (``parent_process_id``).

An entry's tree parent is the entry whose id equals its ``parent_process_id``
when that entry is in the given set; otherwise it is a root. With duplicate
ids the last one in the file is the parent (zag's ``add`` appends). A cycle
(self-parents included) is cut at its oldest member, which becomes a root, so
the result does not depend on the order of the input. Everything here is
iterative: a 10,000-deep chain needs no recursion. Newest first at every level.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from zag_tray.core.store import Entry


@dataclass(slots=True, eq=False)
class Node:
    """One entry in the forest."""

    entry: Entry
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)


def build_forest(entries: Iterable[Entry]) -> list[Node]:
    """Root nodes, newest first; each node's children newest first."""
    nodes = [Node(entry) for entry in entries]
    by_id = {node.entry.id: node for node in nodes}
    for node in nodes:
        parent_id = node.entry.parent_process_id
        if parent_id is not None:
            parent = by_id.get(parent_id)
            node.parent = parent if parent is not node else None
    _break_cycles(nodes)
    roots: list[Node] = []
    for node in nodes:
        (roots if node.parent is None else node.parent.children).append(node)
    roots.sort(key=_sort_key, reverse=True)
    for node in nodes:
        if len(node.children) > 1:
            node.children.sort(key=_sort_key, reverse=True)
    return roots


def _sort_key(node: Node) -> tuple[float, str]:
    return node.entry.sort_key


def _break_cycles(nodes: list[Node]) -> None:
    unseen, on_path, done = 0, 1, 2
    state: dict[int, int] = {}
    for start in nodes:
        path: list[Node] = []
        node: Node | None = start
        while node is not None and state.get(id(node), unseen) == unseen:
            state[id(node)] = on_path
            path.append(node)
            node = node.parent
        if node is not None and state[id(node)] == on_path:
            cycle = path[path.index(node) :]
            min(cycle, key=lambda n: n.entry.sort_key).parent = None
        for visited in path:
            state[id(visited)] = done


def walk(roots: Iterable[Node]) -> Iterator[tuple[int, Node]]:
    """Depth-first, pre-order: (depth, node), children in their stored order."""
    stack = [(0, node) for node in reversed(list(roots))]
    while stack:
        depth, node = stack.pop()
        yield depth, node
        stack.extend((depth + 1, child) for child in reversed(node.children))


def descendants_deepest_first(node: Node) -> list[Node]:
    """Every descendant of ``node`` (not ``node``), deepest level first."""
    levels: list[list[Node]] = []
    level = node.children
    while level:
        levels.append(level)
        level = [child for parent in level for child in parent.children]
    return [n for lvl in reversed(levels) for n in lvl]


def find_node(roots: Iterable[Node], entry_id: str) -> Node | None:
    """The node of ``entry_id`` (the last one, as with duplicate ids), or None."""
    found = None
    for _, node in walk(roots):
        if node.entry.id == entry_id:
            found = node
    return found
