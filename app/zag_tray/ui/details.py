"""The details pane beside the window's tree: every stored field of the selected agent,
as plain text (the parent is a link that selects it), its live status, and what its session
log shows (ui/activity_pane.py): its activity, usage and turns with its status, the last
events and the result under the buttons."""

from __future__ import annotations

import functools
import html
import time
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from zag_tray.agents.activity import Activity
from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Observation
from zag_tray.agents.present import NO_VALUE, state_line, when
from zag_tray.agents.status import PLAIN, AgentState, LiveStatus
from zag_tray.agents.text import LONG_FIELD, SHORT_FIELD, capped, one_line
from zag_tray.ui.activity_pane import SUMMARY, ActivityRows
from zag_tray.ui.plain import plain_tooltip

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
_LINK = "parent_process_id"
NOTHING_SELECTED = "Select an agent to see everything zag recorded about it."
_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard


class DetailsPane(QWidget):
    """A form of :data:`FIELDS` and the session log's rows; ``parent_clicked`` carries the
    parent id the user clicked, ``copy_requested`` a field's whole value (a value too long to
    show is cut, with a "Copy all" button beside it) or the result."""

    parent_clicked = Signal(str)
    copy_requested = Signal(str, str)
    """(field name, its whole value)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields = QWidget()
        self.placeholder = QLabel(NOTHING_SELECTED)
        self.placeholder.setTextFormat(Qt.TextFormat.PlainText)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: palette(placeholder-text); padding: 12px;")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(self.fields)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages, 1)
        self.form = form = QFormLayout(self.fields)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.labels: dict[str, QLabel] = {}
        self.activity = ActivityRows(self)
        self.activity.copy_requested.connect(self.copy_requested)
        self._rows: dict[str, QWidget] = {}  # the session log's rows, by name
        self.copy_all: dict[str, QToolButton] = {}
        self._values: dict[str, str] = {}
        self._parent: str | None = None  # the parent id the link selects (not in the link: uncapped)
        self.machine = QLabel()  # another machine's agent: which, and how sure its status is
        self.machine.setTextFormat(Qt.TextFormat.PlainText)
        self.machine.setTextInteractionFlags(_SELECTABLE)
        self.machine.setWordWrap(True)
        form.addRow("machine:", self.machine)
        form.setRowVisible(self.machine, False)
        for name in FIELDS:
            label = QLabel()
            if name == _LINK:
                label.setTextFormat(Qt.TextFormat.RichText)  # a link; its text is escaped
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
                label.linkActivated.connect(self._parent_link)
            else:
                label.setTextFormat(Qt.TextFormat.PlainText)
                label.setTextInteractionFlags(_SELECTABLE)
            label.setWordWrap(True)  # a side panel: long values wrap rather than widen it
            copy = QToolButton()
            copy.setText("Copy all")
            copy.setToolTip(f"Copy the whole {name.replace('_', ' ')}")
            copy.clicked.connect(functools.partial(self._copy, name))
            copy.hide()
            row = QHBoxLayout()
            row.addWidget(label, 1)
            row.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
            self.labels[name], self.copy_all[name] = label, copy
            form.addRow(name.replace("_", " ") + ":", row)
            if name == "live":  # what it is doing, beside its state
                self._add_rows({name: self.activity.labels[name] for name in SUMMARY})
        self._buttons_at = form.rowCount()  # the buttons go here, the long rows after them
        rows = self.activity
        self._add_rows({"log": rows.labels["log"], "last events": rows.timeline, "result": rows.result_box})
        self._show_rows(rows.rows(None))

    def _add_rows(self, rows: Mapping[str, QWidget]) -> None:
        for name, widget in rows.items():
            self.form.addRow(f"{name}:", widget)
            self._rows[name] = widget

    def _show_rows(self, rows: Mapping[str, bool]) -> None:
        for name, shown in rows.items():
            self.form.setRowVisible(self._rows[name], shown)

    def add_buttons(self, actions: Mapping[str, QAction]) -> dict[str, QToolButton]:
        """Buttons under the fields, three a row, one per action: each shows, follows and is
        shown or hidden with its action."""
        grid = QGridLayout()
        buttons = {}
        for n, (key, action) in enumerate(actions.items()):
            action.setIconText(action.text())  # a tool button shows the icon text, which drops "…"
            button = buttons[key] = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setVisible(action.isVisible())
            action.visibleChanged.connect(functools.partial(_follow_visibility, button, action))
            grid.addWidget(button, n // 3, n % 3)
        self.form.insertRow(self._buttons_at, grid)
        return buttons

    def _parent_link(self, _: str) -> None:
        parent = self._parent
        if parent is not None:
            self.parent_clicked.emit(parent)

    def _copy(self, name: str) -> None:
        self.copy_requested.emit(name, self._values[name])

    def show_agent(self, entry: Entry | None, observation: Observation | None, now: float) -> AgentState:
        """Show ``entry`` as ``observation`` sees it (its state, and its activity if it runs);
        the state shown."""
        if entry is None or observation is None:
            self.show_entry(entry, PLAIN[LiveStatus.UNKNOWN], now)
            return PLAIN[LiveStatus.UNKNOWN]
        state = observation.state_of(entry)
        running = state.status is LiveStatus.RUNNING  # a duplicate id's ended row has no activity
        self.show_entry(entry, state, now, observation.activity_of(entry) if running else None)
        return state

    def show_entry(
        self, entry: Entry | None, state: AgentState, now: float, activity: Activity | None = None
    ) -> None:
        """Show ``entry`` in ``state`` doing ``activity``; for None, a line saying there is
        nothing selected."""
        self.activity.show(activity, now)
        self._show_rows(self.activity.rows(activity))
        self.form.setRowVisible(self.machine, False)  # this machine's, until show_machine says otherwise
        self.pages.setCurrentWidget(self.placeholder if entry is None else self.fields)
        if entry is None:
            self.placeholder.setText(NOTHING_SELECTED)
        self._values = {}
        self._parent = None if entry is None else entry.parent_process_id
        for name, label in self.labels.items():
            value = None if entry is None else entry.raw.get(name)
            whole = value if isinstance(value, str) else None
            label.setText("" if entry is None else _field_text(entry, state, name, now))
            if name in _TIMES:
                label.setToolTip(plain_tooltip(capped(whole, SHORT_FIELD)) if whole else "")
            cut = whole is not None and len(whole) > _limit(name)
            if cut:
                self._values[name] = whole  # type: ignore[assignment]
            self.copy_all[name].setVisible(cut)

    def show_machine(self, text: str) -> None:
        """After :meth:`show_entry`: the agent is another machine's, ``text`` says which (plain
        text, already escaped and cut)."""
        self.machine.setText(text)
        self.form.setRowVisible(self.machine, True)

    def show_hidden(self, entry_id: str) -> None:
        """The agent selected is not shown (a filter, or "Running only"): say so, and show no
        other agent's fields in its place."""
        self.pages.setCurrentWidget(self.placeholder)
        self.placeholder.setText(f"The selected agent {one_line(entry_id, 40)} is hidden by the filter.")


def _follow_visibility(button: QToolButton, action: QAction) -> None:
    button.setVisible(action.isVisible())


def _limit(name: str) -> int:
    return LONG_FIELD if name in _LONG else SHORT_FIELD


def _field_text(entry: Entry, state: AgentState, name: str, now: float) -> str:
    """The field as shown: hidden characters escaped, cut to a length Qt lays out at once."""
    if name == "live":
        return state_line(entry, state, now)
    if name in _TIMES:  # local and human; the stored RFC 3339 text is the label's tooltip
        shown = when(entry.started if name == "started_at" else entry.ended, now)
        if shown:
            return shown
    value = entry.raw.get(name)
    if name == _LINK and isinstance(value, str):
        escaped = html.escape(capped(value, SHORT_FIELD), quote=True)
        return f'<a href="parent">{escaped}</a>'
    if isinstance(value, str):
        return capped(value, _limit(name), keep_lines=name in _LONG)
    return NO_VALUE if value is None else capped(str(value), SHORT_FIELD)


_LONG = frozenset({"prompt"})
_TIMES = frozenset({"started_at", "exited_at"})


def status_line(store_path: str, observation: Observation) -> str:
    """The window's status bar: the store, counts, when it was read, what went wrong."""
    snapshot = observation.snapshot
    parts = [
        store_path,
        f"{len(observation.running)} running, {len(snapshot.entries)} stored",
        "updated " + time.strftime("%H:%M:%S", time.localtime(observation.observed_at)),
    ]
    if snapshot.skipped:
        parts.append(f"{len(snapshot.skipped)} invalid entries skipped")
    if observation.error:
        parts.append(f"error: {one_line(observation.error, 300)}")
    return "  ·  ".join(parts)
