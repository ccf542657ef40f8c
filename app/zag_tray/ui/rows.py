"""The window model's rows (ui/model.py): one :class:`Item` per shown agent, and the plan
that shows a store change by touching only the rows it concerns."""

from __future__ import annotations

from collections.abc import Mapping, Set

from PySide6.QtGui import QColor

from zag_tray.agents.entry import Entry, SnapshotChange
from zag_tray.agents.status import AgentState


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


def top_of(item: Item) -> Item:
    """The top-level row ``item`` is under (or is)."""
    while item.parent is not None and item.parent.parent is not None:
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
