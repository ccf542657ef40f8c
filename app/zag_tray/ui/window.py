"""The details window: the agent tree with filter, sort, details pane and actions.

It only applies observations it is given; it never reads the store itself.
"""

from __future__ import annotations

import base64
import contextlib
import html
import time
from collections.abc import Callable

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QModelIndex,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from zag_tray.core.actions import STOP_SUPPORTED
from zag_tray.core.liveness import LiveStatus
from zag_tray.core.monitor import Observation
from zag_tray.core.store import Entry, release_free_memory
from zag_tray.core.text import duration
from zag_tray.core.tree import (
    Node,
    build_forest,
    descendants_deepest_first,
    entry_matcher,
    find_node,
    prune_forest,
    sort_forest,
)
from zag_tray.ui.model import ENTRY_ID_ROLE, HIGHLIGHT_SECONDS, AgentTreeModel, Column

ALL_PROVIDERS = "All providers"
FILTER_DELAY_MS = 150
"""The filter applies once typing pauses this long (filtering 100,000 entries takes a moment)."""
FIELDS = (
    "id",
    "pid",
    "provider",
    "model",
    "command",
    "status",
    "live",
    "started_at",
    "exited_at",
    "exit_code",
    "root",
    "session_id",
    "parent_process_id",
    "parent_session_id",
    "prompt",
)


class AgentWindow(QMainWindow):
    """Tree of agents, details of the selected one, actions as buttons, keys and a context menu."""

    kill_requested = Signal(str, bool)
    """(entry id, whole tree)."""
    stop_requested = Signal(str)
    open_root_requested = Signal(str)
    open_terminal_requested = Signal(str)
    settings_requested = Signal()
    copy_id_requested = Signal(str)
    refresh_requested = Signal()
    shown = Signal()

    def __init__(self, store_path: str) -> None:
        super().__init__()
        self.setWindowTitle("zag-tray — agents")
        self.resize(1100, 640)
        self.allow_close = False
        """Set when the app quits (Qt 6 asks windows to close first) or when there is no tray."""
        self._store_path = store_path
        self.observation: Observation | None = None
        self._ended_at: dict[str, float] = {}
        self._was_running: set[str] = set()
        self.model = AgentTreeModel(self)
        self._sort: tuple[int, Qt.SortOrder] = (Column.STARTED, Qt.SortOrder.DescendingOrder)
        self._build()
        self._linger = QTimer(self, singleShot=True, interval=int(HIGHLIGHT_SECONDS * 1000) + 100)
        self._linger.timeout.connect(self._reapply)

    # --- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.filter_edit = QLineEdit(placeholderText="Filter by id, provider, model, prompt or root")
        self.filter_edit.setClearButtonEnabled(True)
        self.running_only = QCheckBox("Running only")
        self.running_only.setChecked(True)
        self.provider_box = QComboBox()
        self.provider_box.addItem(ALL_PROVIDERS)
        self._typing = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._typing.timeout.connect(self._show_anew)
        self.filter_edit.textChanged.connect(self._typing.start)  # once typing pauses
        self.provider_box.currentTextChanged.connect(self._show_anew)
        self.running_only.toggled.connect(self._show_anew)

        self.view = QTreeView()
        self.view.setModel(self.model)
        self.placeholder = QLabel("Reading the store…")  # over the empty tree, saying why
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setTextFormat(Qt.TextFormat.PlainText)
        self.placeholder.setEnabled(False)  # the style's grey
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        QVBoxLayout(self.view.viewport()).addWidget(self.placeholder)
        header = self.view.header()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sortIndicatorChanged.connect(self.sort_by)
        header.setSortIndicator(Column.STARTED, Qt.SortOrder.DescendingOrder)
        self.view.setUniformRowHeights(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._show_details())
        self.model.rowsInserted.connect(self._expand_new)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in (
            (Column.AGENT, 240),
            (Column.STATUS, 90),
            (Column.PID, 70),
            (Column.COMMAND, 70),
            (Column.STARTED, 90),
            (Column.RUNTIME, 80),
            (Column.ROOT, 180),
        ):
            header.resizeSection(column, width)

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.provider_box)
        top.addWidget(self.running_only)
        settings = QPushButton("Settings…")
        settings.clicked.connect(self.settings_requested)
        top.addWidget(settings)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(self._build_details())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        self.note = QLabel()
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(
            "QLabel { background: #fff5d6; color: #3d2c00; border: 1px solid #e3c66d;"
            " border-radius: 3px; padding: 4px 8px; }"
        )
        self.note.hide()
        self._note_timer = QTimer(self, singleShot=True)
        self._note_timer.timeout.connect(self.note.hide)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.note)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self._add_shortcuts()
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addWidget(self.status_label, 1)

    def _build_details(self) -> QWidget:
        pane = QWidget()
        form = QFormLayout()
        self.detail_labels: dict[str, QLabel] = {}
        for name in FIELDS:
            label = QLabel()
            if name == "parent_process_id":
                label.setTextFormat(Qt.TextFormat.RichText)  # a link; its text is escaped
                label.linkActivated.connect(self.select_entry)
            else:
                label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextBrowserInteraction
                if name == "parent_process_id"
                else Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            label.setWordWrap(name == "prompt")
            self.detail_labels[name] = label
            form.addRow(name.replace("_", " ") + ":", label)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text in (
            ("open_root", "Open root"),
            ("open_terminal", "Terminal here"),
            ("copy_id", "Copy ID"),
            ("stop", "Stop"),
            ("kill", "Kill…"),
            ("kill_tree", "Kill tree…"),
        ):
            button = QPushButton(text)
            button.clicked.connect(self._action_slot(key))
            self.buttons[key] = button
            buttons.addWidget(button)
        self.buttons["stop"].setVisible(STOP_SUPPORTED)
        buttons.addStretch(1)
        outer = QVBoxLayout(pane)
        outer.addLayout(form)
        outer.addLayout(buttons)
        outer.addStretch(1)
        return pane

    def _add_shortcuts(self) -> None:
        """Ctrl+F, F5 and Ctrl+W (close to the tray) anywhere in the window; the row keys are
        handled by the tree (eventFilter)."""
        for keys, handler in (
            (QKeySequence(QKeySequence.StandardKey.Find), self._focus_filter),
            (QKeySequence(Qt.Key.Key_F5), self.refresh_requested.emit),
            (QKeySequence(QKeySequence.StandardKey.Close), self.close),
        ):
            action = QAction(self)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(handler)
            self.addAction(action)
        self.view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete = kill, Ctrl+C = copy id, Enter = details, F5 = refresh, Ctrl+F = filter, on the tree."""
        if watched is not self.view or event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        assert isinstance(event, QKeyEvent)
        if event.key() == Qt.Key.Key_Delete:
            self._act("kill")
        elif event.matches(QKeySequence.StandardKey.Copy):
            self._act("copy_id")
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._show_details()
            self.detail_labels["id"].setFocus()
        elif event.key() == Qt.Key.Key_F5:
            self.refresh_requested.emit()
        elif event.matches(QKeySequence.StandardKey.Find):
            self._focus_filter()
        else:
            return super().eventFilter(watched, event)
        return True

    # --- applying observations -------------------------------------------------------------

    def apply(self, observation: Observation) -> None:
        """Show ``observation``: rows change in place, so selection and expansion stay."""
        now = time.time()
        running = {e.id for e in observation.running}
        for gone in self._was_running - running:
            self._ended_at[gone] = now
        self._was_running = running
        self._ended_at = {k: t for k, t in self._ended_at.items() if now - t < HIGHLIGHT_SECONDS}
        if self._ended_at:
            self._linger.start()
        self.observation = observation
        self._update_providers(observation)
        self._reapply()

    @Slot()
    def _show_anew(self) -> None:
        """A new tree (view, filter or sort changed): built in one go, unfolded (a 100,000-row
        "All" view too)."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a second at most, at 100,000 rows
        try:
            self._reapply(reset=True)
            self.view.expandAll()
        finally:
            QApplication.restoreOverrideCursor()

    @Slot()
    def _reapply(self, reset: bool = False) -> None:
        observation = self.observation
        if observation is None:
            return
        now = time.time()
        self._ended_at = {k: t for k, t in self._ended_at.items() if now - t < HIGHLIGHT_SECONDS}
        ended = frozenset(self._ended_at)
        whole = not self.running_only.isChecked() and self._matcher() is None and self._zags_order()
        applied = (
            whole
            and not reset
            and self.model.apply_change(
                observation.snapshot, observation.change, observation.statuses, now, ended=ended
            )
        )
        if not applied:
            roots = self._forest(observation)
            source = observation.snapshot if whole else None
            self.model.apply(roots, observation.statuses, now, ended=ended, reset=reset, source=source)
        self.view.viewport().update()  # elapsed times and highlights follow the clock: repaint what is seen
        if not self.view.currentIndex().isValid() and self.model.rowCount() > 0:
            self.view.setCurrentIndex(self.model.index(0, 0))
        self._show_details()
        self._update_status(observation)
        self._update_placeholder(observation)

    def _update_placeholder(self, observation: Observation) -> None:
        text = "" if self.model.rowCount() else self._why_empty(observation)
        self.placeholder.setText(text)
        self.placeholder.setVisible(bool(text))

    def _why_empty(self, observation: Observation) -> str:
        if observation.error and not observation.snapshot.entries:
            return "The store could not be read (see the status bar)."
        if self._matcher() is not None:
            return "No agent matches the filter."
        if not observation.snapshot.entries:
            return "No agents yet: zag has not run any here."
        if self.running_only.isChecked():
            return "No agents running. Untick “Running only” to see the finished ones."
        return ""

    def _forest(self, observation: Observation) -> list[Node]:
        """The tree to show: running-only or all, filtered, sorted."""
        entries = observation.snapshot.entries
        if self.running_only.isChecked():
            entries = observation.running
            if self._ended_at:  # just finished: shown (in red) for a moment longer
                lingering = tuple(e for e in observation.snapshot.entries if e.id in self._ended_at)
                entries = entries + lingering
        roots = build_forest(entries)
        matcher = self._matcher()
        if matcher is not None:
            roots = prune_forest(roots, matcher)
        if not self._zags_order():
            column, order = Column(self._sort[0]), self._sort[1]
            statuses, unknown, sort_value = observation.statuses, LiveStatus.UNKNOWN, self.model.sort_value

            def key(node: Node) -> object:
                return sort_value(node.entry, statuses.get(node.entry.id, unknown), column)

            sort_forest(roots, key, reverse=order == Qt.SortOrder.DescendingOrder)
        return roots

    def _matcher(self) -> Callable[[Entry], bool] | None:
        provider = self.provider_box.currentText()
        return entry_matcher(self.filter_edit.text(), "" if provider == ALL_PROVIDERS else provider)

    def _zags_order(self) -> bool:
        """Newest first: the order the forest is built in, no sorting needed."""
        return self._sort == (Column.STARTED, Qt.SortOrder.DescendingOrder)

    def _update_providers(self, observation: Observation) -> None:
        providers = list(observation.providers)
        present = [self.provider_box.itemText(i) for i in range(1, self.provider_box.count())]
        if providers != present:
            current = self.provider_box.currentText()
            self.provider_box.blockSignals(True)
            self.provider_box.clear()
            self.provider_box.addItems([ALL_PROVIDERS, *providers])
            self.provider_box.setCurrentText(current if current in providers else ALL_PROVIDERS)
            self.provider_box.blockSignals(False)

    def _update_status(self, observation: Observation) -> None:
        snapshot = observation.snapshot
        parts = [
            self._store_path,
            f"{len(observation.running)} running, {len(snapshot.entries)} stored",
            "updated " + time.strftime("%H:%M:%S", time.localtime(observation.observed_at)),
        ]
        if snapshot.skipped:
            parts.append(f"{len(snapshot.skipped)} invalid entries skipped")
        if observation.error:
            parts.append(f"error: {observation.error}")
        self.status_label.setText("  ·  ".join(parts))

    def show_note(self, text: str, timeout_ms: int = 10000) -> None:
        """A plain-text note above the tree (messages, errors); ``timeout_ms`` 0 keeps it."""
        self.note.setText(text)
        self.note.show()
        if timeout_ms:
            self._note_timer.start(timeout_ms)
        else:
            self._note_timer.stop()

    def mark_stopping(self, ids: set[str]) -> None:
        self.model.stopping |= ids
        self._reapply()

    # --- selection and details -------------------------------------------------------------

    def visible_rows(self) -> list[list[object]]:
        """[depth, agent, status] per row, in view order (for the end-to-end tests' seam)."""
        rows: list[list[object]] = []
        stack = [(0, self.model.index(r, 0)) for r in reversed(range(self.model.rowCount()))]
        while stack:
            depth, index = stack.pop()
            rows.append([depth, index.data(), index.siblingAtColumn(Column.STATUS).data()])
            children = range(self.model.rowCount(index))
            stack.extend((depth + 1, self.model.index(r, 0, index)) for r in reversed(children))
        return rows

    def selected_id(self) -> str | None:
        index = self.view.selectionModel().currentIndex()
        return index.data(ENTRY_ID_ROLE) if index.isValid() else None

    @Slot(str)
    def select_entry(self, entry_id: str) -> bool:
        """Select (and reveal) an agent; False if it is not shown."""
        index = self.model.index_of_id(entry_id)
        if not index.isValid() and self.running_only.isChecked():
            self.running_only.setChecked(False)
            index = self.model.index_of_id(entry_id)
        if not index.isValid():
            return False
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def _show_details(self) -> None:
        entry_id = self.selected_id()
        entry = self.model.entry(entry_id) if entry_id else None
        status = self.observation.statuses.get(entry.id) if entry and self.observation else None
        for name, label in self.detail_labels.items():
            label.setText(self._field_text(entry, status, name))
        running = status is LiveStatus.RUNNING
        for key, button in self.buttons.items():
            button.setEnabled(
                entry is not None and (running or key in ("copy_id", "open_root", "open_terminal"))
            )
        if entry is not None and self.observation is not None:
            node = find_node(build_forest(self.observation.running), entry.id)
            count = len(descendants_deepest_first(node)) + 1 if node else 1
            self.buttons["kill_tree"].setText(f"Kill tree ({count})…")
            self.buttons["kill_tree"].setEnabled(running and count > 1)

    def _field_text(self, entry: Entry | None, status: LiveStatus | None, name: str) -> str:
        if entry is None:
            return ""
        if name == "live":
            runtime = time.time() if status is LiveStatus.RUNNING else entry.ended or time.time()
            return f"{status.value if status else 'unknown'} for {duration(runtime - entry.started)}"
        value = entry.raw.get(name)
        if name == "parent_process_id" and isinstance(value, str):
            escaped = html.escape(value, quote=True)
            return f'<a href="{escaped}">{escaped}</a>'
        return "—" if value is None else str(value)

    # --- actions -----------------------------------------------------------------------------

    def _act(self, action: str) -> None:
        entry_id = self.selected_id()
        if entry_id is None:
            return
        if action == "kill":
            self.kill_requested.emit(entry_id, False)
        elif action == "kill_tree":
            self.kill_requested.emit(entry_id, True)
        elif action == "stop":
            self.stop_requested.emit(entry_id)
        elif action == "open_root":
            self.open_root_requested.emit(entry_id)
        elif action == "open_terminal":
            self.open_terminal_requested.emit(entry_id)
        elif action == "copy_id":
            self.copy_id_requested.emit(entry_id)

    def context_menu_for(self, index: QModelIndex) -> QMenu:
        """The row's context menu: the details pane's actions, enabled alike."""
        self.view.setCurrentIndex(index)
        menu = QMenu(self)
        for key, button in self.buttons.items():
            if not button.isHidden():
                action = menu.addAction(button.text())
                action.setEnabled(button.isEnabled())
                action.triggered.connect(self._action_slot(key))
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.context_menu_for(index).exec(self.view.viewport().mapToGlobal(pos))

    def _action_slot(self, key: str) -> Callable[[], None]:
        return lambda: self._act(key)

    @Slot(int, Qt.SortOrder)
    def sort_by(self, column: int, order: Qt.SortOrder) -> None:
        """Sort the tree (children stay under their parent). Newest first is the order the
        forest is built in, so it needs no sorting at all: a 100,000-row "All" view shows at once."""
        header = self.view.header()
        if header.sortIndicatorSection() != column or header.sortIndicatorOrder() != order:
            header.setSortIndicator(column, order)  # comes back here through the signal
            return
        if self._sort != (column, order):
            self._sort = (column, order)
            self._show_anew()

    @Slot(QModelIndex, int, int)
    def _expand_new(self, parent: QModelIndex, first: int, last: int) -> None:
        """New agents appear unfolded, under an unfolded parent, as the rest of the tree."""
        if parent.isValid():
            self.view.expand(parent)
        for row in range(first, last + 1):
            self.view.expandRecursively(self.model.index(row, 0, parent))

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    # --- window behaviour --------------------------------------------------------------------

    def show_and_raise(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
        self.view.expandAll()
        self.shown.emit()

    def layout_state(self) -> tuple[str, str]:
        """(geometry, column layout) as base64 text, for the settings file."""
        geometry, columns = self.saveGeometry(), self.view.header().saveState()
        return _base64(geometry), _base64(columns)

    def restore_layout(self, geometry: str, columns: str) -> None:
        """Put back what :meth:`layout_state` saved (anything unusable is ignored by Qt)."""
        with contextlib.suppress(ValueError):  # not base64: nothing to restore
            if geometry:
                self.restoreGeometry(QByteArray(base64.b64decode(geometry, validate=True)))
            if columns:
                self.view.header().restoreState(QByteArray(base64.b64decode(columns, validate=True)))

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not event.spontaneous():  # hidden by us (closed to the tray), not minimised
            QTimer.singleShot(0, self._release_pixels)

    @Slot()
    def _release_pixels(self) -> None:
        """A hidden window gives back its native window and its backing store (3 MB at the
        default size; a tray runs all day). Qt makes new ones when it is shown again."""
        if self.isVisible() or any(w.isVisible() for w in self.findChildren(QWidget) if w.isWindow()):
            return
        self.destroy(True, False)
        release_free_memory()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing hides to the tray; Quit is in the tray menu."""
        if self.allow_close:
            event.accept()
            return
        event.ignore()
        self.hide()


def _base64(data: QByteArray) -> str:
    return base64.b64encode(data.data()).decode("ascii")  # data() copies while ``data`` is alive
