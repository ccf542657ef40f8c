"""The window's tree of agents: columns sized, placed and sortable (a saved layout restored,
one saved before a column existed too), the clock's columns ticking on screen, new rows
unfolded, and a line of text over the empty tree saying why it is empty."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Final

from PySide6.QtCore import QByteArray, QDataStream, QModelIndex, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QHideEvent, QKeySequence, QRegion, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTreeView, QVBoxLayout

from zag_tray.agents.status import LiveStatus
from zag_tray.ui.columns import TICKING, Column
from zag_tray.ui.model import LIVE_STATUS_ROLE, AgentTreeModel

WIDTHS = {
    Column.AGENT: 170,
    Column.STATUS: 110,
    Column.PID: 60,
    Column.COMMAND: 65,
    Column.STARTED: 85,
    Column.RUNTIME: 70,
    Column.ROOT: 140,
    Column.ACTIVITY: 250,
}
"""Widths that fit the tree beside the details (the prompt takes the rest); the user's own
are kept between runs."""
SHOWN_AFTER: Final = {Column.ACTIVITY: Column.STATUS}
"""Where a column added since the first release is shown: after this one. Its logical index is
the last (ui/columns.py), so a layout saved before it existed restores as it was saved, and
the new column, which Qt appends at the end, is moved here."""
TICK_MS: Final = 1000
_RUNNING: Final = LiveStatus.RUNNING.value


class AgentTreeView(QTreeView):
    """A view of an :class:`AgentTreeModel`, newest first until a header is clicked."""

    ticked = Signal()
    """A second went by while the tree is on screen (its running rows' clock columns repainted)."""

    def __init__(self, model: AgentTreeModel) -> None:
        super().__init__()
        self.setModel(model)
        self.agents = model
        self.placeholder = QLabel("Reading the store…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setTextFormat(Qt.TextFormat.PlainText)
        self.placeholder.setEnabled(False)  # the style's grey
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        QVBoxLayout(self.viewport()).addWidget(self.placeholder)
        header = self.header()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(Column.STARTED, Qt.SortOrder.DescendingOrder)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in WIDTHS.items():
            header.resizeSection(column, width)
        self._place(SHOWN_AFTER)
        self._default_layout = header.saveState()
        self.setUniformRowHeights(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        model.rowsInserted.connect(self._expand_new)
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self.tick)

    def _place(self, columns: Iterable[Column]) -> None:
        """``columns`` where they are shown by default (:data:`SHOWN_AFTER`), at their width."""
        header = self.header()
        for column in columns:
            header.moveSection(header.visualIndex(column), header.visualIndex(SHOWN_AFTER[column]) + 1)
            header.resizeSection(column, WIDTHS[column])

    def restore_columns(self, state: QByteArray) -> bool:
        """Put back a layout ``QHeaderView.saveState`` made (False, nothing done, for one Qt
        cannot read). A layout saved with fewer columns gets the newer ones where they go."""
        header, saved = self.header(), saved_sections(state)
        if not header.restoreState(state):
            return False
        if saved is None or saved >= header.count():
            return True
        # Qt appends the sections an older layout lacks but leaves its total length short of
        # them, and refuses a layout saved after that (it checks the one against the other):
        # the older layout is read, then laid onto the default one step by step.
        columns = sorted((column for column in Column if column < saved), key=header.visualIndex)
        widths = {column: _width(header, column) for column in columns}
        hidden = [column for column in columns if header.isSectionHidden(column)]
        by = (header.sortIndicatorSection(), header.sortIndicatorOrder())
        header.restoreState(self._default_layout)
        for visual, column in enumerate(columns):
            header.moveSection(header.visualIndex(column), visual)
            header.resizeSection(column, widths[column])
        for column in hidden:
            header.hideSection(column)
        header.setSortIndicator(*by)
        self._place(column for column in SHOWN_AFTER if column >= saved)
        return True

    # --- the clock -----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._tick.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._tick.stop()  # a hidden tree has nothing to tick: the tray at rest never wakes for it

    @Slot()
    def tick(self) -> None:
        """Show the clock's columns (elapsed time, activity) of the running rows on screen at
        the time it is now: those cells alone are repainted, no model signal is sent (the
        model's ``now`` is when its text is worked out, as an observation sets it)."""
        self.agents.now = time.time()
        viewport, region = self.viewport(), QRegion()
        index = self.indexAt(QPoint(0, 0))
        while index.isValid() and self.visualRect(index).top() < viewport.height():
            if index.data(LIVE_STATUS_ROLE) == _RUNNING:
                for column in TICKING:
                    region += self.visualRect(index.siblingAtColumn(column))
            index = self.indexBelow(index)
        if not region.isEmpty():
            viewport.update(region)
        self.ticked.emit()

    def on_enter(self, handler: Callable[[], object]) -> None:
        """Return or Enter on the tree calls ``handler`` (the view's ``activated`` also fires on
        a double click, and on a single click where the desktop says so: not that)."""
        action = QAction(self)
        action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(handler)
        self.addAction(action)

    def say_why_empty(self, text: str) -> None:
        """Show ``text`` over the tree while it has no rows ("" hides it)."""
        text = "" if self.agents.rowCount() else text
        self.placeholder.setText(text)
        self.placeholder.setVisible(bool(text))

    def visible_rows(self) -> list[list[object]]:
        """[depth, agent, status] per row, in view order (for the end-to-end tests' seam)."""
        model, rows = self.agents, []
        stack = [(0, model.index(r, 0)) for r in reversed(range(model.rowCount()))]
        while stack:
            depth, index = stack.pop()
            rows.append([depth, index.data(), index.siblingAtColumn(Column.STATUS).data()])
            children = range(model.rowCount(index))
            stack.extend((depth + 1, model.index(r, 0, index)) for r in reversed(children))
        return rows

    @Slot(QModelIndex, int, int)
    def _expand_new(self, parent: QModelIndex, first: int, last: int) -> None:
        """New agents appear unfolded, under an unfolded parent, as the rest of the tree."""
        if parent.isValid():
            self.expand(parent)
        for row in range(first, last + 1):
            self.expandRecursively(self.agents.index(row, 0, parent))


def _width(header: QHeaderView, column: int) -> int:
    """The width of ``column``, hidden or not (a hidden one keeps the width it will show at)."""
    if not header.isSectionHidden(column):
        return header.sectionSize(column)
    header.showSection(column)
    width = header.sectionSize(column)
    header.hideSection(column)
    return width


_STATE_MARKER: Final = 0xFF  # QHeaderViewPrivate::VersionMarker


def saved_sections(state: QByteArray) -> int | None:
    """The number of columns in a layout ``QHeaderView.saveState`` made, or None where it does
    not read as one. Qt's format (the same since Qt 4): a marker and a version; orientation,
    sort order, sort section and whether the indicator shows; the visual and the logical order
    (lists of ints), the hidden sections (bits) and their sizes (int pairs); the length; the
    count."""
    stream = QDataStream(state)
    if stream.readInt32() != _STATE_MARKER or stream.readInt32() != 0:
        return None
    stream.skipRawData(3 * 4 + 1)
    for bytes_each in (4, 4, 0, 8):  # 0: bits
        items = stream.readUInt32()
        if items > state.size():  # not Qt's: a count that large would have us skip for ever
            return None
        stream.skipRawData(items * bytes_each if bytes_each else (items + 7) // 8)
    stream.skipRawData(4)
    count = stream.readInt32()
    return count if stream.status() == QDataStream.Status.Ok and count >= 0 else None
