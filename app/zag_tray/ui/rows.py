"""The window model's rows (ui/model.py): one :class:`Item` per shown agent, and the plan
that shows a store change by touching only the rows it concerns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Set

from PySide6.QtGui import QColor

from zag_tray.agents.entry import Entry, SnapshotChange
from zag_tray.agents.status import AgentState
from zag_tray.agents.tree import Node


class Item:
    """One row: an agent, its state, its place under its parent row, its highlight."""

    __slots__ = ("children", "entry", "highlight", "highlight_until", "parent", "position", "state")

    def __init__(self, entry: Entry | None, state: AgentState, parent: Item | None) -> None:
        self.entry = entry
        self.state = state
        self.parent = parent
        self.children: list[Item] = []
        self.highlight: QColor | None = None
        self.highlight_until = 0.0
        self.position = 0  # index in parent.children, kept current (views ask for it constantly)

    @property
    def id(self) -> str:
        assert self.entry is not None
        return self.entry.id

    def row(self) -> int:
        return self.position


def renumber(parent: Item, start: int = 0) -> None:
    children = parent.children
    for position in range(start, len(children)):
        children[position].position = position


def fill(root: Item, roots: list[Node], state_of: Callable[[Entry], AgentState]) -> dict[str, Item]:
    """Make ``roots`` the rows under ``root`` (whose rows they replace), in one go; the rows by id."""
    root.children = []
    by_id: dict[str, Item] = {}
    pending: list[tuple[Item, list[Node]]] = [(root, roots)]
    while pending:
        parent, nodes = pending.pop()
        for position, node in enumerate(nodes):
            item = Item(node.entry, state_of(node.entry), parent)
            item.position = position
            parent.children.append(item)
            by_id[node.entry.id] = item
            if node.children:
                pending.append((item, node.children))
    return by_id


def wanted_parents(roots: list[Node]) -> dict[str, str | None]:
    """The parent id (None: top level) each agent of ``roots`` is to be shown under."""
    wanted: dict[str, str | None] = {}
    stack: list[tuple[Node, str | None]] = [(node, None) for node in roots]
    while stack:
        node, parent_id = stack.pop()
        wanted[node.entry.id] = parent_id
        stack.extend((child, node.entry.id) for child in node.children)
    return wanted


def forget(item: Item, by_id: MutableMapping[str, Item]) -> None:
    """Drop ``item`` and the rows under it from ``by_id`` (where they are still its rows)."""
    stack = [item]
    while stack:
        current = stack.pop()
        if by_id.get(current.id) is current:
            del by_id[current.id]
        stack.extend(current.children)


def top_of(item: Item, root: Item) -> Item:
    """The row right under ``root`` that ``item`` is under (or is)."""
    while item.parent is not None and item.parent is not root:
        item = item.parent
    return item


def newest_first_position(siblings: list[Item], entry: Entry) -> int:
    """Where ``entry`` goes among ``siblings`` (newest first, ties by id descending)."""
    key, low, high = entry.sort_key, 0, len(siblings)
    while low < high:
        middle = (low + high) // 2
        if siblings[middle].entry.sort_key > key:  # type: ignore[union-attr]
            low = middle + 1
        else:
            high = middle
    return low


def plan_change(
    change: SnapshotChange, by_id: Mapping[str, Item], orphaned_by: Set[str]
) -> tuple[list[tuple[Item, Entry]], list[Entry]] | None:
    """The rows to update and the entries to insert that show ``change``, or None when the
    change moves rows (an entry removed, re-parented or re-timed, or a new entry that adopts
    rows already shown): then the whole forest is reconciled."""
    removed = {e.id: e for e in change.removed}
    added = {e.id: e for e in change.added}
    if len(removed) != len(change.removed) or len(added) != len(change.added):
        return None  # duplicate ids
    if not removed.keys() <= added.keys():
        return None  # an entry went away (zag never prunes; someone edited the file)
    updates = []
    for entry_id, old in removed.items():
        new, item = added[entry_id], by_id.get(entry_id)
        if item is None or item.entry is not old:
            return None
        if new.parent_process_id != old.parent_process_id or new.started != old.started:
            return None  # moves in the tree
        updates.append((item, new))
    inserts = []
    for entry_id, new in added.items():
        if entry_id in removed:
            continue
        if entry_id in by_id or entry_id in orphaned_by:
            return None  # a duplicate, or the parent of rows already shown
        if new.parent_process_id in added and new.parent_process_id not in removed:
            return None  # its parent is new too
        inserts.append(new)
    return updates, inserts
