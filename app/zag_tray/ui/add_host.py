"""Add host… in the window: an ssh alias (and optionally where zag-tray is there), held to
agents/hostnames.py's strict rule, added to the settings the tray watches from. A bad alias
is refused in the dialog, with what the rule allows; nothing is saved then."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from zag_tray.agents.hostnames import ALIAS
from zag_tray.agents.text import one_line
from zag_tray.desktop.settings import MAX_HOSTS, HostEntry, Settings, host_entry

RULE = "letters, digits, “.”, “_” and “-”, optionally after “user@”, not starting with “-”"


def new_host(alias: str, program: str, taken: Collection[str]) -> HostEntry | str:
    """The host to add, or why not (a line for the user)."""
    alias, program = alias.strip(), program.strip()
    if not alias:
        return "Give the ssh alias of the machine (a Host of your ~/.ssh/config, or a host name)."
    if not ALIAS.fullmatch(alias):
        return f"“{one_line(alias, 60)}” is not an ssh alias zag-tray runs: {RULE}."
    host = host_entry({"alias": alias, "program": program or None})
    if host is None:
        return "Where zag-tray is there must be an absolute path or one under ~/ (or left empty)."
    if alias in taken:
        return f"{alias} is watched already."
    if len(taken) >= MAX_HOSTS:
        return f"zag-tray watches at most {MAX_HOSTS} machines."
    return host


def with_host(settings: Settings, host: HostEntry) -> Settings:
    return dataclasses.replace(settings, hosts=(*settings.hosts, host))


class AddHostDialog(QDialog):
    """Asks for the alias and the path; ``added`` carries the :class:`HostEntry` once valid."""

    added = Signal(object)

    def __init__(self, taken: Collection[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("zag-tray — add a machine")
        self._taken = tuple(taken)
        self.alias = QLineEdit(placeholderText="devbox, or user@gpu-vm")
        self.program = QLineEdit(placeholderText="optional: ~/venv/bin/zag-tray (else on its PATH)")
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # the alias as typed is shown in it
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        form = QFormLayout(self)
        form.addRow(QLabel("Agents there are watched over your own ssh; zag-tray must be installed there."))
        form.addRow("ssh alias:", self.alias)
        form.addRow("zag-tray there:", self.program)
        form.addRow(self.error)
        form.addRow(buttons)

    def accept(self) -> None:
        host = new_host(self.alias.text(), self.program.text(), self._taken)
        if isinstance(host, str):
            self.error.setText(host)
            self.error.show()
            return
        self.added.emit(host)
        super().accept()
