"""Add host… in the window: an ssh alias (and optionally where zag-tray is there), held to
agents/hostnames.py's strict rule, added to the settings the tray watches from. A bad alias
is refused in the dialog, with what the rule allows; nothing is saved then.

Given ``serve_file``, it also takes a zag serve URL with its token (ui/add_serve_host.py:
the certificate is shown and pinned once accepted); the dialog stays open, its OK disabled,
while the certificate is fetched."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from zag_tray.agents.hostnames import ALIAS
from zag_tray.agents.text import one_line
from zag_tray.desktop.settings import MAX_HOSTS, HostEntry, Settings, host_entry
from zag_tray.remote.serve_hosts import is_serve_url
from zag_tray.ui.add_serve_host import CONNECT_HELD, TOKEN_HINT, ServeAdder

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
    """Asks for the alias and the path; ``added`` carries the :class:`HostEntry` once valid.
    With ``serve_file``, a zag serve URL and its token too, pinned there (the tray reads that
    file, not the settings)."""

    added = Signal(object)

    def __init__(
        self, taken: Collection[str], parent: QWidget | None = None, serve_file: Path | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("zag-tray — add a machine")
        self._taken = tuple(taken)
        self.serve = None if serve_file is None else ServeAdder(serve_file, self)
        example = "devbox, or user@gpu-vm" + (", or https://HOST:2100" if self.serve else "")
        self.alias = QLineEdit(placeholderText=example)
        self.program = QLineEdit(placeholderText="optional: ~/venv/bin/zag-tray (else on its PATH)")
        self.token = QLineEdit(placeholderText="the token zag serve printed (not shown)")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)  # nor copied out of the field
        self.token_hint = QLabel(TOKEN_HINT)
        self.token_hint.setWordWrap(True)
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
        self.form = form = QFormLayout(self)
        how = "Agents there are watched over your own ssh; zag-tray must be installed there."
        if self.serve is not None:
            how += "\nOr give the URL of its zag serve (https://HOST[:PORT]) and its token."
            self.serve.failed.connect(self._failed)
            self.serve.added.connect(self._serve_added)
            self.serve.connect_known.connect(self._connect_known)
        form.addRow(QLabel(how))
        form.addRow("ssh alias or URL:" if self.serve else "ssh alias:", self.alias)
        form.addRow("zag-tray there:", self.program)
        form.addRow("token:", self.token)
        form.addRow(self.token_hint)
        form.addRow(self.error)
        form.addRow(buttons)
        self.alias.textChanged.connect(self._kind)
        self._kind(self.alias.text())

    def _serving(self, text: str) -> bool:
        return self.serve is not None and is_serve_url(text)

    def _kind(self, text: str) -> None:
        """The rows of what is typed: the path for an alias, the token for a URL."""
        url = self._serving(text)
        self.form.setRowVisible(self.program, not url)
        self.form.setRowVisible(self.token, url)
        self.form.setRowVisible(self.token_hint, url)
        self.token_hint.setText(TOKEN_HINT)
        if url and self.serve is not None:
            self.serve.look_up(text)

    def _connect_known(self, text: str, held: bool) -> None:
        if text == self.alias.text():  # not an answer about what was typed before
            self.token_hint.setText(CONNECT_HELD if held else TOKEN_HINT)

    def accept(self) -> None:
        if self.serve is not None and self._serving(self.alias.text()):
            self.error.hide()
            self.ok.setEnabled(False)  # one certificate asked about at a time
            self.serve.add(self.alias.text(), self.token.text())
            return
        host = new_host(self.alias.text(), self.program.text(), self._taken)
        if isinstance(host, str):
            self._failed(host)
            return
        self.added.emit(host)
        super().accept()

    def reject(self) -> None:
        if self.serve is not None:
            self.serve.cancel()
        self.ok.setEnabled(True)
        super().reject()

    def _failed(self, why: str) -> None:
        self.ok.setEnabled(True)
        self.error.setText(why)
        self.error.show()

    def _serve_added(self, _url: str) -> None:
        self.token.clear()
        self.ok.setEnabled(True)
        super().accept()
