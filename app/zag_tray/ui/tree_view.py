"""The window's tree of agents: columns sized and sortable, new rows unfolded, and a line of
text over the empty tree saying why it is empty."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTreeView, QVBoxLayout

from zag_tray.ui.columns import Column
from zag_tray.ui.model import AgentTreeModel

WIDTHS = {
    Column.AGENT: 170,
    Column.STATUS: 110,
    Column.PID: 60,
    Column.COMMAND: 65,
    Column.STARTED: 85,
    Column.RUNTIME: 70,
    Column.ROOT: 140,
}
"""Widths that fit the tree beside the details (the prompt takes the rest); the user's own
are kept between runs."""


class AgentTreeView(QTreeView):
    """A view of an :class:`AgentTreeModel`, newest first until a header is clicked."""

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
        self.setUniformRowHeights(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        model.rowsInserted.connect(self._expand_new)

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
