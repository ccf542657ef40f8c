"""The agent forest as one QAbstractItemModel that applies changes instead of resetting.

:meth:`AgentTreeModel.apply` reconciles the current rows with a new forest
using row removes, moves, inserts and dataChanged, so a view's selection,
expansion and scroll position survive every refresh (the approach of
qutebrowser's DownloadModel, not a reset).

For a 100,000-entry store it stays cheap in two ways: top-level rows reach the
view in batches as it scrolls (``canFetchMore``/``fetchMore``), and when the
rows are a whole snapshot's forest, :meth:`AgentTreeModel.apply_change`
applies just the entries a reload replaced instead of walking the forest.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from zag_tray.agents.activity import Activity
from zag_tray.agents.entry import Entry, Snapshot, SnapshotChange
from zag_tray.agents.status import AgentState, LiveStatus
from zag_tray.agents.tree import Node
from zag_tray.ui.columns import ENDED_COLOUR, HEADERS, NEW_COLOUR, Column, cell_data, looks_changed
from zag_tray.ui.rows import (
    Item,
    fill,
    forget,
    newest_first_position,
    plan_change,
    renumber,
    top_of,
    wanted_parents,
)

StateOf = Callable[[Entry], AgentState]
"""How an entry is to be shown (Observation.state_of)."""

HIGHLIGHT_SECONDS = 2.0
BATCH_ROWS = 500
"""Top-level rows handed to the view at a time: a screenful many times over."""
Index = QModelIndex | QPersistentModelIndex


ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
LIVE_STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
_ACTIVITY_ROLES = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole]


class AgentTreeModel(QAbstractItemModel):
    """Rows are agents, children under their parent agent."""

    def __init__(self, parent: QObject | None = None, batch_rows: int = BATCH_ROWS) -> None:
        super().__init__(parent)
        self.batch_rows = batch_rows
        """Top-level rows handed to the view at a time."""
        self._root = Item(None, AgentState(LiveStatus.UNKNOWN), None)
        self._top = self._root  # the invisible root (ui/host_model.py puts a machines' level here)
        self._by_id: dict[str, Item] = {}
        self._shown = 0  # top-level rows the view has been given (fetchMore adds more)
        self._in_change = False  # a slot of our own signals may ask for more rows: not then
        self.now = time.time()
        """The moment the clock's columns (elapsed times, activity) are shown at."""
        self._applied_once = False
        self.snapshot: Snapshot | None = None
        """The snapshot whose whole forest the rows are (set by ``apply(source=...)``)."""
        self._orphaned_by: set[str] = set()  # parent ids named by entries but not present
        self._stored_running: set[str] = set()  # ids whose state can change without a store change
        self._activity: Mapping[str, Activity] = {}  # by id, running agents only (Observation.activity)

    # --- structure -------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        item = self._item(parent)
        return self.createIndex(row, column, item.children[row])

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid():
            return QModelIndex()
        item: Item = child.internalPointer()
        parent = item.parent
        if parent is None or parent is self._top:
            return QModelIndex()
        return self.createIndex(parent.row(), 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        item = self._item(parent)
        return self._shown if item is self._root else len(item.children)

    def canFetchMore(self, parent: Index) -> bool:
        root, busy = self._root, self._in_change
        return self._item(parent) is root and not busy and self._shown < len(root.children)

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._show_up_to(min(self._shown + self.batch_rows, len(self._root.children)))

    def _show_up_to(self, count: int) -> None:
        if count > self._shown:
            with self._changing():
                self.beginInsertRows(self._index_of(self._root), self._shown, count - 1)
                self._shown = count
                self.endInsertRows()

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        was, self._in_change = self._in_change, True  # nests: a slot may hand over rows
        try:
            yield
        finally:
            self._in_change = was

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def _item(self, index: Index) -> Item:
        return index.internalPointer() if index.isValid() else self._top

    def _index_of(self, item: Item) -> QModelIndex:
        if item is self._top:
            return QModelIndex()
        return self.createIndex(item.row(), 0, item)

    def index_of_id(self, entry_id: str) -> QModelIndex:
        """The row of ``entry_id``, handed to the view first if it was not yet."""
        item = self._by_id.get(entry_id)
        if item is None:
            return QModelIndex()
        self._show_up_to(top_of(item, self._root).position + 1)
        return self._index_of(item)

    def entry(self, entry_id: str) -> Entry | None:
        item = self._by_id.get(entry_id)
        return None if item is None else item.entry

    # --- data ------------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item: Item = index.internalPointer()
        entry = item.entry
        assert entry is not None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(item.highlight) if item.highlight and self.now < item.highlight_until else None
        if role == ENTRY_ID_ROLE:
            return entry.id
        if role == ENTRY_ROLE:
            return entry
        if role == LIVE_STATUS_ROLE:
            return item.state.status.value
        column = Column(index.column())
        running = column is Column.ACTIVITY and item.state.status is LiveStatus.RUNNING
        activity = self._activity.get(entry.id) if running else None  # a duplicate id's ended row: none
        return cell_data(entry, item.state, column, role, self.now, activity)

    def show_activity(self, activity: Mapping[str, Activity], now: float) -> None:
        """What the running agents are doing (by id): the Activity cells whose activity is not
        the very object shown before, and looks otherwise, hear of it (dataChanged for that cell
        alone); nothing else does: an activity-only observation costs O(running agents)."""
        before, self._activity, self.now = self._activity, activity, now
        changed = {i for i, doing in activity.items() if looks_changed(before.get(i), doing, now)}
        changed |= before.keys() - activity.keys()
        for item in (self._by_id[i] for i in changed if i in self._by_id):
            if item.parent is not None and self._given(item.parent, item.row()):
                cell = self.createIndex(item.row(), Column.ACTIVITY, item)
                self.dataChanged.emit(cell, cell, _ACTIVITY_ROLES)

    # --- applying a new forest -------------------------------------------------------------

    def apply(
        self,
        roots: list[Node],
        state_of: StateOf,
        now: float | None = None,
        *,
        ended: frozenset[str] = frozenset(),
        reset: bool = False,
        source: Snapshot | None = None,
    ) -> None:
        """Make the rows equal ``roots`` with the fewest row operations.

        New rows are highlighted (not on the first apply), as are rows in ``ended``
        (agents that just stopped running). ``reset`` (or an empty model) fills the
        rows in one go instead: for a new view of a 100,000-entry store. ``source``:
        the snapshot ``roots`` is the whole forest of, which lets the next change
        take :meth:`apply_change`.
        """
        self.now = time.time() if now is None else now
        if reset or not self._root.children:
            self._fill(roots, state_of)
        else:
            self._update_rows(roots, state_of, ended)
        self._applied_once = True
        self.snapshot = source
        if source is not None:
            self._orphaned_by = {
                e.parent_process_id for e in source.entries if e.parent_process_id is not None
            } - self._by_id.keys()
            self._stored_running = {e.id for e in source.entries if e.status == "running"}

    def apply_change(
        self,
        snapshot: Snapshot,
        change: SnapshotChange | None,
        state_of: StateOf,
        now: float | None = None,
        *,
        ended: frozenset[str] = frozenset(),
        changing: frozenset[str] = frozenset(),
    ) -> bool:
        """Show ``snapshot`` by applying only ``change`` to the rows of ``self.snapshot``, in
        time proportional to the change, and the states of the entries stored running and of
        ``changing`` (they change with no change to the store). False (and nothing done) when
        that is not enough: no known change, an entry removed, re-parented or re-timed, or a
        new entry that adopts existing ones; then :meth:`apply` does it."""
        if self.snapshot is None:
            return False
        plan = None
        if snapshot is not self.snapshot:
            if change is None or change.before is not self.snapshot:
                return False
            plan = plan_change(change, self._by_id, self._orphaned_by)
            if plan is None:
                return False
        self.now = time.time() if now is None else now
        if plan is not None:
            self._apply_plan(*plan, state_of, ended)
            self.snapshot = snapshot
        for entry_id in self._stored_running | (changing & self._by_id.keys()):
            item = self._by_id[entry_id]  # its state is worked out anew at every observation
            state = state_of(item.entry)  # type: ignore[arg-type]
            if state != item.state:
                self._update(item, item.entry, state, item.row(), self._index_of(item.parent), ended)  # type: ignore[arg-type]
        return True

    def _apply_plan(
        self,
        updates: list[tuple[Item, Entry]],
        inserts: list[Entry],
        state_of: StateOf,
        ended: frozenset[str],
    ) -> None:
        for item, entry in updates:
            state = state_of(entry)
            self._update(item, entry, state, item.row(), self._index_of(item.parent), ended)  # type: ignore[arg-type]
            self._track_running(entry)
        for entry in inserts:
            parent_id = entry.parent_process_id
            parent = self._by_id.get(parent_id) if parent_id is not None else None
            if parent_id is not None and parent is None:
                self._orphaned_by.add(parent_id)
            parent = parent or self._root
            item = Item(entry, state_of(entry), parent)
            item.highlight, item.highlight_until = NEW_COLOUR, self.now + HIGHLIGHT_SECONDS
            self._insert_row(parent, newest_first_position(parent.children, entry), item)
            self._by_id[entry.id] = item
            self._track_running(entry)

    def _track_running(self, entry: Entry) -> None:
        if entry.status == "running":
            self._stored_running.add(entry.id)
        else:
            self._stored_running.discard(entry.id)

    def _fill(self, roots: list[Node], state_of: StateOf) -> None:
        with self._changing():
            self.beginResetModel()
            self._by_id = fill(self._root, roots, state_of)
            self._shown = min(self.batch_rows, len(self._root.children))
            self.endResetModel()

    def _update_rows(self, roots: list[Node], state_of: StateOf, ended: frozenset[str]) -> None:
        self._remove_unwanted(wanted_parents(roots))
        pending: list[tuple[Item, list[Node]]] = [(self._root, roots)]
        while pending:
            parent, nodes = pending.pop()
            self._reconcile(parent, nodes, state_of, ended)
            pending.extend(
                (parent.children[i], node.children) for i, node in enumerate(nodes) if node.children
            )

    def _remove_unwanted(self, wanted_parent: Mapping[str, str | None]) -> None:
        stack = [self._root]
        while stack:
            parent = stack.pop()
            parent_id = None if parent is self._root else parent.id
            for row in range(len(parent.children) - 1, -1, -1):
                child = parent.children[row]
                if child.id not in wanted_parent or wanted_parent[child.id] != parent_id:
                    self._remove_row(parent, row)
                    forget(child, self._by_id)
            stack.extend(parent.children)

    def _reconcile(self, parent: Item, nodes: list[Node], state_of: StateOf, ended: frozenset[str]) -> None:
        parent_index = self._index_of(parent)
        for row, node in enumerate(nodes):
            entry_id = node.entry.id
            state = state_of(node.entry)
            current = parent.children[row] if row < len(parent.children) else None
            if current is not None and current.id == entry_id:
                self._update(current, node.entry, state, row, parent_index, ended)
                continue
            found = self._by_id.get(entry_id)
            existing = found.position if found is not None and found.parent is parent else None
            if existing is not None and existing <= row:
                existing = None  # a duplicate id: a row of its own
            if existing is not None:
                self._move_row_up(parent, existing, row)
                self._update(parent.children[row], node.entry, state, row, self._index_of(parent), ended)
                continue
            item = Item(node.entry, state, parent)
            if self._applied_once:
                item.highlight, item.highlight_until = NEW_COLOUR, self.now + HIGHLIGHT_SECONDS
            self._insert_row(parent, row, item)
            self._by_id[entry_id] = item

    # --- row operations: the view hears of rows it has been given, and only of those -------

    def _given(self, parent: Item, row: int) -> bool:
        """Has the view been given row ``row`` of ``parent``?"""
        if parent is self._root:
            return row < self._shown
        return top_of(parent, self._root).position < self._shown

    def _insert_row(self, parent: Item, row: int, item: Item) -> None:
        given = self._given(parent, row) or (parent is self._root and self._shown == len(parent.children))
        if not given:
            parent.children.insert(row, item)
            renumber(parent, row)
            return
        with self._changing():
            self.beginInsertRows(self._index_of(parent), row, row)
            parent.children.insert(row, item)
            renumber(parent, row)
            if parent is self._root:
                self._shown += 1
            self.endInsertRows()

    def _remove_row(self, parent: Item, row: int) -> None:
        if not self._given(parent, row):
            del parent.children[row]
            renumber(parent, row)
            return
        with self._changing():
            self.beginRemoveRows(self._index_of(parent), row, row)
            del parent.children[row]
            renumber(parent, row)
            if parent is self._root:
                self._shown -= 1
            self.endRemoveRows()

    def _move_row_up(self, parent: Item, source: int, row: int) -> None:
        if not self._given(parent, source):  # from rows the view never had: to the view, new
            item = parent.children.pop(source)
            renumber(parent, row)
            self._insert_row(parent, row, item)
            return
        parent_index = self._index_of(parent)
        with self._changing():
            self.beginMoveRows(parent_index, source, source, parent_index, row)
            parent.children.insert(row, parent.children.pop(source))
            renumber(parent, row)
            self.endMoveRows()

    def _update(
        self,
        item: Item,
        entry: Entry,
        state: AgentState,
        row: int,
        parent_index: QModelIndex,
        ended: frozenset[str],
    ) -> None:
        if item.entry == entry and item.state == state:
            item.entry = entry  # equal: keep the snapshot's own object
            return
        if entry.id in ended and state.status is not LiveStatus.RUNNING:
            item.highlight, item.highlight_until = ENDED_COLOUR, self.now + HIGHLIGHT_SECONDS
        item.entry, item.state = entry, state
        if item.parent is not None and self._given(item.parent, row):
            self.dataChanged.emit(
                self.index(row, 0, parent_index), self.index(row, len(Column) - 1, parent_index)
            )
