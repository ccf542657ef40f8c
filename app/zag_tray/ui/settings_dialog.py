"""The settings dialog: the five choices a user makes; geometry and columns save themselves."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from zag_tray.desktop.settings import RANGES, Settings


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
        form.addRow(buttons)

    def settings(self) -> Settings:
        return dataclasses.replace(
            self._current,
            notifications=self.notifications.isChecked(),
            notify_waiting=self.notify_waiting.isChecked(),
            confirm_kill=self.confirm_kill.isChecked(),
            refresh_seconds=self.refresh.value(),
            recent_minutes=self.recent.value(),
        )
