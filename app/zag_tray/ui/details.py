"""The details pane under the window's tree: every stored field of the selected agent,
as plain text (the parent is a link that selects it), and its live status."""

from __future__ import annotations

import html
import time
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QToolButton, QWidget

from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Observation
from zag_tray.agents.present import NO_VALUE, outcome, runtime_text
from zag_tray.agents.status import LiveStatus

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
_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard


class DetailsPane(QWidget):
    """A form of :data:`FIELDS`; ``parent_clicked`` carries the parent id the user clicked."""

    parent_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form = QFormLayout(self)
        self.labels: dict[str, QLabel] = {}
        for name in FIELDS:
            label = QLabel()
            if name == _LINK:
                label.setTextFormat(Qt.TextFormat.RichText)  # a link; its text is escaped
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
                label.linkActivated.connect(self.parent_clicked)
            else:
                label.setTextFormat(Qt.TextFormat.PlainText)
                label.setTextInteractionFlags(_SELECTABLE)
            label.setWordWrap(name == "prompt")
            self.labels[name] = label
            form.addRow(name.replace("_", " ") + ":", label)

    def add_buttons(self, actions: Mapping[str, QAction]) -> dict[str, QToolButton]:
        """A row of buttons under the fields, one per action (which it shows and follows)."""
        row = QHBoxLayout()
        buttons = {}
        for key, action in actions.items():
            action.setIconText(action.text())  # a tool button shows the icon text, which drops "…"
            buttons[key] = QToolButton()
            buttons[key].setDefaultAction(action)
            row.addWidget(buttons[key])
        row.addStretch(1)
        self.form.addRow(row)
        return buttons

    def show_entry(self, entry: Entry | None, status: LiveStatus, now: float) -> None:
        """Show ``entry`` (nothing for None) at live status ``status``."""
        for name, label in self.labels.items():
            label.setText("" if entry is None else _field_text(entry, status, name, now))


def _field_text(entry: Entry, status: LiveStatus, name: str, now: float) -> str:
    if name == "live":
        ran = runtime_text(entry, status, now)
        return outcome(entry, status).label + ("" if ran == NO_VALUE else f" for {ran}")
    value = entry.raw.get(name)
    if name == _LINK and isinstance(value, str):
        escaped = html.escape(value, quote=True)
        return f'<a href="{escaped}">{escaped}</a>'
    return NO_VALUE if value is None else str(value)


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
        parts.append(f"error: {observation.error}")
    return "  ·  ".join(parts)
