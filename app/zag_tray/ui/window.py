"""The details window: the agent tree with filter, sort, details pane and actions; other
machines' agents under a level per machine when any is configured (ui/window_hosts.py).

It only applies observations it is given; it never reads the store itself.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Observation
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.tree import descendants_deepest_first, find_node
from zag_tray.desktop.memory import release_free_memory
from zag_tray.ui import window_layout
from zag_tray.ui.about import about_box
from zag_tray.ui.agent_actions import AgentActions
from zag_tray.ui.columns import Column
from zag_tray.ui.details import DetailsPane, status_line
from zag_tray.ui.filter_bar import FilterBar, Note
from zag_tray.ui.host_model import HostTreeModel
from zag_tray.ui.model import ENTRY_ID_ROLE, HIGHLIGHT_SECONDS
from zag_tray.ui.shown import Choices, activity_only, forest, newer, why_empty
from zag_tray.ui.tree_view import AgentTreeView
from zag_tray.ui.window_hosts import WindowHosts


class AgentWindow(QMainWindow):
    """Tree of agents, details of the selected one, actions as buttons, keys and a context menu."""

    kill_requested = Signal(str, bool)
    """(entry id, whole tree)."""
    force_kill_requested = Signal(str)
    stop_requested = Signal(str)
    open_root_requested = Signal(str)
    open_terminal_requested = Signal(str)
    settings_requested = Signal()
    copy_id_requested = Signal(str)
    copy_text_requested = Signal(str, str)  # (field, whole text): too long to show, copied
    refresh_requested = Signal()
    shown = Signal()
    hidden = Signal()

    def __init__(self, store_path: str, name: str = "zag-tray") -> None:
        super().__init__()
        self.setWindowTitle(f"{name} — agents")
        self.resize(1100, 640)
        self.allow_close = False
        """Set when the app quits (Qt 6 asks windows to close first) or when there is no tray."""
        self._store_path = store_path
        self.observation: Observation | None = None
        self._lingering: dict[str, tuple[Entry, float]] = {}
        """Agents that just stopped running, and when: shown (in red) a moment longer."""
        self._chosen: str | None = None
        """The agent the user selected last, kept selected across new trees (filter, sort...)."""
        self.model = HostTreeModel(self)
        self._sort: tuple[int, Qt.SortOrder] = (Column.STARTED, Qt.SortOrder.DescendingOrder)
        self._build()
        self._linger = QTimer(self, singleShot=True, interval=int(HIGHLIGHT_SECONDS * 1000) + 100)
        self._linger.timeout.connect(self._reapply)

    # --- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.filters = FilterBar()
        self.filters.changed.connect(self._show_anew)
        self.filter_edit, self.running_only = self.filters.text, self.filters.running_only

        self.view = AgentTreeView(self.model)
        self.placeholder = self.view.placeholder
        self.view.header().sortIndicatorChanged.connect(self.sort_by)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._show_details())
        self.view.ticked.connect(self._show_details)  # its elapsed time and activity follow the clock
        details = self._build_details()
        self.hosts = WindowHosts(self, self.view, self.filters, self.details, self.actions_on_agent)

        top = QHBoxLayout()
        top.addWidget(self.filters, 1)
        self.details_toggle = QPushButton("Details")
        self.details_toggle.setCheckable(True)
        self.details_toggle.setChecked(True)
        self.details_toggle.setToolTip("Show or hide the details of the selected agent (Ctrl+I)")
        self.details_toggle.setShortcut(QKeySequence("Ctrl+I"))
        top.addWidget(self.details_toggle)
        settings = QPushButton("Settings…")
        settings.clicked.connect(self.settings_requested)
        top.addWidget(settings)
        top.addWidget(self.hosts.add_button)
        about = QPushButton("About")
        about.setToolTip("The version, and the files zag-tray reads and writes")
        about.clicked.connect(self.show_about)
        top.addWidget(about)

        # The tree gets the room: the details are a side panel that folds away.
        splitter = self.splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setCollapsible(0, False)
        splitter.setSizes([700, 400])
        self.details_toggle.toggled.connect(details.setVisible)

        self.note = Note()

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
        self.details = DetailsPane()
        self.details.parent_clicked.connect(self.select_entry)
        self.details.copy_requested.connect(self.copy_text_requested)
        self.actions_on_agent = AgentActions(self, lambda: self.selected_id() or self.hosts.selected_id())
        self.actions_on_agent.requested.connect(self._act)
        self.agent_actions = self.actions_on_agent.by_key
        self.buttons = self.details.add_buttons(self.agent_actions)
        scroll = QScrollArea()
        scroll.setWidget(self.details)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(260)
        return scroll

    def _add_shortcuts(self) -> None:
        """Ctrl+F, F5 and Ctrl+W (close to the tray) anywhere in the window; Delete (kill) and
        Ctrl+C (copy id) on the tree, through the same actions as the buttons."""
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
        row_keys = {
            "kill": QKeySequence(Qt.Key.Key_Delete),
            "copy_id": QKeySequence(QKeySequence.StandardKey.Copy),
        }
        for key, sequence in row_keys.items():
            self.agent_actions[key].setShortcut(sequence)
            self.agent_actions[key].setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.view.addAction(self.agent_actions[key])
        self.view.on_enter(self.details.labels["id"].setFocus)  # not a double click: the keys stay

    # --- applying observations -------------------------------------------------------------

    def apply(self, observation: Observation) -> None:
        """Show ``observation``: rows change in place, so selection and expansion stay. One that
        only brings what the agents are doing (several a second while they work) touches just
        the Activity cells and the details that changed: no tree is walked for it, however big."""
        now, before = time.time(), self.observation
        self.observation = observation
        if before is not None and activity_only(observation, before):
            self.model.show_activity(observation.activity, now)
            chosen = self.selected_id() or ""
            if observation.activity.get(chosen) is not before.activity.get(chosen):
                self._show_details()
            return  # the order by activity follows at the next whole observation: no rows jump meanwhile
        if self._lingering:  # zag may record the end after the process is gone: show its record
            for entry in newer(observation, before, self._lingering.keys()):
                self._lingering[entry.id] = (entry, self._lingering[entry.id][1])
        for finished in observation.finished:
            self._lingering[finished.entry.id] = (finished.entry, now)
        if self._lingering:
            self._linger.start()
        self.filters.set_providers(observation.providers)
        self._reapply()

    @Slot()
    def _show_anew(self) -> None:
        """A new tree (view, filter or sort changed): built in one go, unfolded (a 100,000-row
        "All" view too), the selection kept on the same agent."""
        self._chosen = self.selected_id() or self._chosen
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a second at most, at 100,000 rows
        try:
            self._reapply(reset=True)
        finally:
            QApplication.restoreOverrideCursor()

    def _keep_selection(self) -> None:
        """The agent the user chose stays selected wherever it goes; one filtered out is said to
        be, and no other agent takes its place (its Kill button would point elsewhere). With
        nothing chosen yet, the first row."""
        if self.view.currentIndex().isValid():
            self._chosen = self.selected_id()
            return
        if self._chosen is not None:
            index = self.model.index_of_id(self._chosen)
            if index.isValid():
                self.view.setCurrentIndex(index)
                self.view.scrollTo(index)
            return
        if self.model.rowCount() > 0:
            self.view.setCurrentIndex(self.model.index(0, 0))

    @Slot()
    def _reapply(self, reset: bool = False) -> None:
        observation = self.observation
        if observation is None:
            return
        now = time.time()
        self._lingering = {k: v for k, v in self._lingering.items() if now - v[1] < HIGHLIGHT_SECONDS}
        ended = frozenset(self._lingering)
        choices = self._choices()
        whole = choices.whole_store
        changing = frozenset(observation.ends.stopping) | frozenset(observation.ends.ended_by)
        applied = (
            whole
            and not reset
            and self.model.apply_change(
                observation.snapshot,
                observation.change,
                observation.state_of,
                now,
                ended=ended,
                changing=changing,
            )
        )
        if not applied:
            roots = forest(observation, choices, [e for e, _ in self._lingering.values()])
            source, filled = observation.snapshot if whole else None, reset or not self.model.rowCount()
            self.model.apply(roots, observation.state_of, now, ended=ended, reset=reset, source=source)
            if filled:  # rows made in one go (a first fill too): unfolded, as new rows are
                self.view.expandAll()
        self.model.show_activity(observation.activity, now)
        self.view.viewport().update()  # elapsed times and highlights follow the clock: repaint what is seen
        self._keep_selection()
        self._show_details()
        self.hosts.refresh(len(observation.running))
        self.status_label.setText(status_line(self._store_path, observation))
        self.view.say_why_empty(why_empty(observation, choices))

    def _choices(self) -> Choices:
        return Choices(self.running_only.isChecked(), self.filters.matcher(), self._sort)

    def show_about(self) -> QMessageBox:
        box = about_box(self, self._store_path)
        box.open()  # window-modal, not exec(): observations go on meanwhile
        return box

    def show_note(self, text: str, timeout_ms: int = 10000) -> None:
        """A plain-text note above the tree (messages, errors); ``timeout_ms`` 0 keeps it."""
        self.note.say(text, timeout_ms)

    # --- selection and details -------------------------------------------------------------

    def visible_rows(self) -> list[list[object]]:
        return self.view.visible_rows()

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
        if self.hosts.show_details():
            return
        entry_id = self.selected_id()
        entry = self.model.entry(entry_id) if entry_id else None
        observation = self.observation
        if entry is None and self._chosen is not None:
            self.details.show_hidden(self._chosen)
            self.actions_on_agent.enable_for(False, False, 1)
            return
        state = self.details.show_agent(entry, observation, time.time())
        node = (
            None if entry is None or observation is None else find_node(observation.running_forest, entry.id)
        )
        tree_size = len(descendants_deepest_first(node)) + 1 if node else 1
        running = state.status is LiveStatus.RUNNING
        self.actions_on_agent.enable_for(entry is not None, running, tree_size, state.stopping is not None)

    # --- actions -----------------------------------------------------------------------------

    def _act(self, action: str, entry_id: str) -> None:
        if self.hosts.act(action):
            return
        if action in ("kill", "kill_tree"):
            self.kill_requested.emit(entry_id, action == "kill_tree")
        elif action == "force_kill":
            self.force_kill_requested.emit(entry_id)
        else:
            {
                "stop": self.stop_requested,
                "open_root": self.open_root_requested,
                "open_terminal": self.open_terminal_requested,
                "copy_id": self.copy_id_requested,
            }[action].emit(entry_id)

    def context_menu_for(self, index: QModelIndex) -> QMenu:
        """The row's context menu: the same actions as the buttons under the tree."""
        self.view.setCurrentIndex(index)
        menu = QMenu(self)
        menu.addActions([action for action in self.agent_actions.values() if action.isVisible()])
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.context_menu_for(index).exec(self.view.viewport().mapToGlobal(pos))

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
        return window_layout.layout_state(self, self.view)

    def restore_layout(self, geometry: str, columns: str) -> None:
        window_layout.restore_layout(self, self.view, geometry, columns)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.hidden.emit()
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
