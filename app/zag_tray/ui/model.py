"""The agent forest as one QAbstractItemModel that applies changes instead of resetting.

:meth:`AgentTreeModel.apply` reconciles the current rows with a new forest
using row removes, moves, inserts and dataChanged, so a view's selection,
expansion and scroll position survive every refresh (the approach of
qutebrowser's DownloadModel, not a reset).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from zag_tray.core.liveness import LiveStatus
from zag_tray.core.store import Entry
from zag_tray.core.text import duration, one_line, short_path
from zag_tray.core.tree import Node
from zag_tray.ui.icons import status_icon
from zag_tray.ui.plain import plain_tooltip

HIGHLIGHT_SECONDS = 2.0
Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    AGENT = 0
    STATUS = 1
    PID = 2
    COMMAND = 3
    STARTED = 4
    RUNTIME = 5
    ROOT = 6
    PROMPT = 7


HEADERS = {
    Column.AGENT: "Agent",
    Column.STATUS: "Status",
    Column.PID: "PID",
    Column.COMMAND: "Command",
    Column.STARTED: "Started",
    Column.RUNTIME: "Runtime",
    Column.ROOT: "Root",
    Column.PROMPT: "Prompt",
}

ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
LIVE_STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
SORT_ROLE = Qt.ItemDataRole.UserRole + 4

NEW_COLOUR = QColor(46, 160, 67, 70)
ENDED_COLOUR = QColor(215, 58, 73, 70)


class _Item:
    __slots__ = ("children", "entry", "highlight", "highlight_until", "parent", "position", "status")

    def __init__(self, entry: Entry | None, status: LiveStatus, parent: _Item | None) -> None:
        self.entry = entry
        self.status = status
        self.parent = parent
        self.children: list[_Item] = []
        self.highlight: QColor | None = None
        self.highlight_until = 0.0
        self.position = 0  # index in parent.children, kept current (views ask for it constantly)

    @property
    def id(self) -> str:
        assert self.entry is not None
        return self.entry.id

    def row(self) -> int:
        return self.position


def _renumber(parent: _Item, start: int = 0) -> None:
    children = parent.children
    for position in range(start, len(children)):
        children[position].position = position


class AgentTreeModel(QAbstractItemModel):
    """Rows are agents, children under their parent agent."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Item(None, LiveStatus.UNKNOWN, None)
        self._by_id: dict[str, _Item] = {}
        self._now = time.time()
        self._applied_once = False
        self.stopping: set[str] = set()
        """Ids killed from the UI and not gone yet: shown as "stopping…"."""

    # --- structure -------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        item = self._item(parent)
        return self.createIndex(row, column, item.children[row])

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid():
            return QModelIndex()
        item: _Item = child.internalPointer()
        parent = item.parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row(), 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._item(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def _item(self, index: Index) -> _Item:
        return index.internalPointer() if index.isValid() else self._root

    def _index_of(self, item: _Item) -> QModelIndex:
        if item is self._root:
            return QModelIndex()
        return self.createIndex(item.row(), 0, item)

    def index_of_id(self, entry_id: str) -> QModelIndex:
        item = self._by_id.get(entry_id)
        return QModelIndex() if item is None else self._index_of(item)

    def entry(self, entry_id: str) -> Entry | None:
        item = self._by_id.get(entry_id)
        return None if item is None else item.entry

    # --- data ------------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item: _Item = index.internalPointer()
        entry = item.entry
        assert entry is not None
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, item.status, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(entry, column)
        if role == Qt.ItemDataRole.DecorationRole and column is Column.STATUS:
            return status_icon(item.status.value)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(item.highlight) if item.highlight and self._now < item.highlight_until else None
        if role == ENTRY_ID_ROLE:
            return entry.id
        if role == ENTRY_ROLE:
            return entry
        if role == LIVE_STATUS_ROLE:
            return item.status.value
        if role == SORT_ROLE:
            return self._sort_value(entry, item.status, column)
        return None

    def _display(self, entry: Entry, status: LiveStatus, column: Column) -> str:
        if column is Column.AGENT:
            return f"{one_line(entry.provider, 20)} · {one_line(entry.model, 30)}"
        if column is Column.STATUS:
            if entry.id in self.stopping and status is LiveStatus.RUNNING:
                return "stopping…"
            if entry.exit_code is not None and status is LiveStatus.EXITED:
                return f"exited ({entry.exit_code})"
            return status.value
        if column is Column.PID:
            return str(entry.pid)
        if column is Column.COMMAND:
            return one_line(entry.command, 20)
        if column is Column.STARTED:
            return f"{duration(self._now - entry.started)} ago"
        if column is Column.RUNTIME:
            return duration(self._runtime(entry, status))
        if column is Column.ROOT:
            return one_line(short_path(entry.root), 80)
        return one_line(entry.prompt, 100)

    def _tooltip(self, entry: Entry, column: Column) -> str | None:
        if column is Column.STARTED:
            return datetime.fromtimestamp(entry.started).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
        if column is Column.PROMPT and entry.prompt:
            return plain_tooltip(one_line(entry.prompt, 500))
        if column is Column.ROOT and entry.root:
            return plain_tooltip(one_line(entry.root, 500))
        return None

    def _runtime(self, entry: Entry, status: LiveStatus) -> float:
        end = self._now if status is LiveStatus.RUNNING or entry.ended is None else entry.ended
        return end - entry.started

    def _sort_value(self, entry: Entry, status: LiveStatus, column: Column) -> Any:
        if column is Column.PID:
            return entry.pid
        if column is Column.STARTED:
            return entry.started
        if column is Column.RUNTIME:
            return self._runtime(entry, status)
        return self._display(entry, status, column).casefold()

    # --- applying a new forest -------------------------------------------------------------

    def apply(
        self,
        roots: list[Node],
        statuses: Mapping[str, LiveStatus],
        now: float | None = None,
        *,
        ended: frozenset[str] = frozenset(),
        reset: bool = False,
    ) -> None:
        """Make the rows equal ``roots`` with the fewest row operations.

        New rows are highlighted (not on the first apply), as are rows in ``ended``
        (agents that just stopped running). ``reset`` (or an empty model) fills the
        rows in one go instead: for a new view of a 100,000-entry store.
        """
        self._now = time.time() if now is None else now
        if reset or not self._root.children:
            self._fill(roots, statuses)
        else:
            self._update_rows(roots, statuses, ended)
        self.stopping &= self._by_id.keys()
        self._applied_once = True

    def _fill(self, roots: list[Node], statuses: Mapping[str, LiveStatus]) -> None:
        self.beginResetModel()
        self._root.children = []
        self._by_id = {}
        pending: list[tuple[_Item, list[Node]]] = [(self._root, roots)]
        unknown = LiveStatus.UNKNOWN
        while pending:
            parent, nodes = pending.pop()
            for position, node in enumerate(nodes):
                item = _Item(node.entry, statuses.get(node.entry.id, unknown), parent)
                item.position = position
                parent.children.append(item)
                self._by_id[node.entry.id] = item
                if node.children:
                    pending.append((item, node.children))
        self.endResetModel()

    def _update_rows(
        self, roots: list[Node], statuses: Mapping[str, LiveStatus], ended: frozenset[str]
    ) -> None:
        wanted_parent: dict[str, str | None] = {}
        stack: list[tuple[Node, str | None]] = [(node, None) for node in roots]
        while stack:
            node, parent_id = stack.pop()
            wanted_parent[node.entry.id] = parent_id
            stack.extend((child, node.entry.id) for child in node.children)
        self._remove_unwanted(wanted_parent)
        pending: list[tuple[_Item, list[Node]]] = [(self._root, roots)]
        while pending:
            parent, nodes = pending.pop()
            self._reconcile(parent, nodes, statuses, ended)
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
                    self.beginRemoveRows(self._index_of(parent), row, row)
                    del parent.children[row]
                    _renumber(parent, row)
                    self._forget(child)
                    self.endRemoveRows()
            stack.extend(parent.children)

    def _forget(self, item: _Item) -> None:
        stack = [item]
        while stack:
            current = stack.pop()
            if self._by_id.get(current.id) is current:
                del self._by_id[current.id]
            stack.extend(current.children)

    def _reconcile(
        self, parent: _Item, nodes: list[Node], statuses: Mapping[str, LiveStatus], ended: frozenset[str]
    ) -> None:
        parent_index = self._index_of(parent)
        for row, node in enumerate(nodes):
            entry_id = node.entry.id
            status = statuses.get(entry_id, LiveStatus.UNKNOWN)
            current = parent.children[row] if row < len(parent.children) else None
            if current is not None and current.id == entry_id:
                self._update(current, node.entry, status, row, parent_index, ended)
                continue
            found = self._by_id.get(entry_id)
            existing = found.position if found is not None and found.parent is parent else None
            if existing is not None and existing <= row:
                existing = None  # a duplicate id: a row of its own
            if existing is not None:
                self.beginMoveRows(parent_index, existing, existing, parent_index, row)
                parent.children.insert(row, parent.children.pop(existing))
                _renumber(parent, row)
                self.endMoveRows()
                self._update(parent.children[row], node.entry, status, row, parent_index, ended)
                continue
            item = _Item(node.entry, status, parent)
            if self._applied_once:
                item.highlight, item.highlight_until = NEW_COLOUR, self._now + HIGHLIGHT_SECONDS
            self.beginInsertRows(parent_index, row, row)
            parent.children.insert(row, item)
            _renumber(parent, row)
            self._by_id[entry_id] = item
            self.endInsertRows()

    def _update(
        self,
        item: _Item,
        entry: Entry,
        status: LiveStatus,
        row: int,
        parent_index: QModelIndex,
        ended: frozenset[str],
    ) -> None:
        if item.entry == entry and item.status is status:
            return
        if entry.id in ended and status is not LiveStatus.RUNNING:
            item.highlight, item.highlight_until = ENDED_COLOUR, self._now + HIGHLIGHT_SECONDS
        item.entry, item.status = entry, status
        self.dataChanged.emit(
            self.index(row, 0, parent_index), self.index(row, len(Column) - 1, parent_index)
        )
