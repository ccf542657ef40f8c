"""Above the window's tree: the text filter, the provider filter, the machine filter (shown
while other machines are configured) and "Running only", and a note for messages (plain
text, over everything else)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from zag_tray.agents.entry import Entry
from zag_tray.agents.text import one_line
from zag_tray.agents.tree import entry_matcher

ALL_PROVIDERS = "All providers"
ALL_MACHINES = "All machines"
THIS_MACHINE = "This machine"
FILTER_DELAY_MS = 150
"""The filter applies once typing pauses this long (filtering 100,000 entries takes a moment)."""


class FilterBar(QWidget):
    """Emits ``changed`` when what is shown should change (typing: once it pauses)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLineEdit(placeholderText="Filter: id, agent, status, pid, command, root, prompt…")
        self.text.setClearButtonEnabled(True)
        self.running_only = QCheckBox("Running only")
        self.running_only.setChecked(True)
        self.provider = QComboBox()
        self.provider.addItem(ALL_PROVIDERS)
        self.machine = QComboBox()
        self.machine.setToolTip("Show the agents of one machine")
        self.machine.hide()
        self._typing = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._typing.timeout.connect(self.changed)
        self.text.textChanged.connect(self._typing.start)
        self.provider.currentTextChanged.connect(self.changed)
        self.machine.currentIndexChanged.connect(self.changed)
        self.running_only.toggled.connect(self.changed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.text, 1)
        row.addWidget(self.provider)
        row.addWidget(self.machine)
        row.addWidget(self.running_only)

    def matcher(self) -> Callable[[Entry], bool] | None:
        """What the filters keep (None: everything)."""
        provider = self.provider.currentData()
        return entry_matcher(self.text.text(), provider if isinstance(provider, str) else "")

    def set_providers(self, providers: Sequence[str]) -> None:
        """The providers to choose from (each shown cut to a short line: any text zag stored
        is measured by the combo box); the choice stays if it is still one of them."""
        present = [self.provider.itemData(i) for i in range(1, self.provider.count())]
        if list(providers) == present:
            return
        current = self.provider.currentData()
        self.provider.blockSignals(True)
        self.provider.clear()
        self.provider.addItem(ALL_PROVIDERS, None)
        for provider in providers:
            self.provider.addItem(one_line(provider, 40), provider)
        self.provider.setCurrentIndex(max(0, self.provider.findData(current)) if current in providers else 0)
        self.provider.blockSignals(False)

    def machine_choice(self) -> str | None:
        """The machine to show: None for all, "" for this one, else a host's alias."""
        chosen = self.machine.currentData()
        return chosen if isinstance(chosen, str) else None

    def set_machines(self, aliases: Sequence[str]) -> None:
        """The other machines to choose from (none: the filter is hidden, all shown); the
        choice stays if it is still there."""
        present = [self.machine.itemData(i) for i in range(2, self.machine.count())]
        if list(aliases) == present and self.machine.count():
            return
        current = self.machine.currentData()
        self.machine.blockSignals(True)
        self.machine.clear()
        self.machine.addItem(ALL_MACHINES, None)
        self.machine.addItem(THIS_MACHINE, "")
        for alias in aliases:
            self.machine.addItem(one_line(alias, 40), alias)
        kept = current == "" or current in aliases
        self.machine.setCurrentIndex(self.machine.findData(current) if kept else 0)
        self.machine.blockSignals(False)
        self.machine.setVisible(bool(aliases))
        if not kept and current is not None:
            self.changed.emit()  # the machine shown is gone: all are shown again


class Note(QLabel):
    """A plain-text message above the tree, hidden again after a while."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setStyleSheet(
            "QLabel { background: #fff5d6; color: #3d2c00; border: 1px solid #e3c66d;"
            " border-radius: 3px; padding: 4px 8px; }"
        )
        self.hide()
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.hide)

    def say(self, text: str, timeout_ms: int) -> None:
        """Show ``text``; ``timeout_ms`` 0 keeps it until the next one."""
        self.setText(text)
        self.show()
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()
