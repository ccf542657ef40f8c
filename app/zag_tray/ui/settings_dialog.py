"""The settings dialog: the choices a user makes, and the other machines watched (one per line:
an ssh alias, then optionally where zag-tray is there); geometry and columns save themselves."""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from zag_tray.desktop.settings import MAX_HOSTS, RANGES, HostEntry, Settings, host_entry

log = logging.getLogger(__name__)


def hosts_text(hosts: tuple[HostEntry, ...]) -> str:
    return "".join(f"{h.alias} {h.program}\n" if h.program else f"{h.alias}\n" for h in hosts)


def hosts_of(text: str) -> tuple[HostEntry, ...]:
    """One host a line ("devbox" or "devbox ~/venv/bin/zag-tray"); a line that breaks the
    rule (desktop/settings.host_entry) is left out, with a log line."""
    kept: dict[str, HostEntry] = {}
    for line in text.splitlines()[:MAX_HOSTS]:
        alias, _, program = line.strip().partition(" ")
        if not alias:
            continue
        host = host_entry({"alias": alias, "program": program.strip() or None})
        if host is None:
            log.warning("host %r is not an ssh alias (with an optional path): left out", line)
        else:
            kept.setdefault(host.alias, host)
    return tuple(kept.values())


class SettingsDialog(QDialog):
    """Edits a :class:`Settings`; :meth:`settings` is the result once accepted."""

    def __init__(self, current: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("zag-tray — settings")
        self._current = current
        self.notifications = QCheckBox("Notify when an agent finishes, fails or dies")
        self.notifications.setChecked(current.notifications)
        self.notify_waiting = QCheckBox("Notify when an agent starts waiting for you")
        self.notify_waiting.setChecked(current.notify_waiting)
        self.confirm_kill = QCheckBox("Ask before Kill and Kill tree")
        self.confirm_kill.setChecked(current.confirm_kill)
        self.refresh = QDoubleSpinBox(suffix=" s", decimals=1, singleStep=0.5)
        self.refresh.setRange(*RANGES["refresh_seconds"])
        self.refresh.setValue(current.refresh_seconds)
        self.recent = QSpinBox(suffix=" min")
        self.recent.setRange(*(int(x) for x in RANGES["recent_minutes"]))
        self.recent.setValue(current.recent_minutes)
        self.hosts = QPlainTextEdit(hosts_text(current.hosts))
        self.hosts.setPlaceholderText("devbox\nuser@gpu-vm ~/venv/bin/zag-tray")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.notifications)
        form.addRow(self.notify_waiting)
        form.addRow(self.confirm_kill)
        form.addRow("Check running agents every:", self.refresh)
        form.addRow('Keep finished agents in "Recently finished" for:', self.recent)
        form.addRow("Other machines (ssh aliases, one a line):", self.hosts)
        form.addRow(buttons)

    def settings(self) -> Settings:
        return dataclasses.replace(
            self._current,
            notifications=self.notifications.isChecked(),
            notify_waiting=self.notify_waiting.isChecked(),
            confirm_kill=self.confirm_kill.isChecked(),
            refresh_seconds=self.refresh.value(),
            recent_minutes=self.recent.value(),
            hosts=hosts_of(self.hosts.toPlainText()),
        )
