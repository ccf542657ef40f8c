"""The tray process: a minimal tray over the core (icon, running count in the tooltip, Quit).

Observation (file reading, psutil) runs on a worker thread; the GUI thread
only applies the result.
"""

from __future__ import annotations

import signal
import sys
from importlib import resources

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from zag_tray.core.monitor import Monitor, Observation
from zag_tray.core.paths import BaseDirChoice

REFRESH_MS = 2000


def app_icon() -> QIcon:
    return QIcon(str(resources.files("zag_tray") / "resources" / "zag-tray.svg"))


class _ObserveTask(QRunnable):
    def __init__(self, monitor: Monitor, tray: MinimalTray) -> None:
        super().__init__()
        self._monitor, self._tray = monitor, tray

    def run(self) -> None:
        self._tray.observed.emit(self._monitor.observe())  # queued to the GUI thread


class MinimalTray(QObject):
    """The tray icon, its tooltip and a menu with Quit."""

    observed = Signal(object)

    def __init__(self, monitor: Monitor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._monitor = monitor
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.icon = QSystemTrayIcon(app_icon(), self)
        self.menu = QMenu()
        self.quit_action = QAction("Quit", self.menu)
        self.quit_action.triggered.connect(QApplication.quit)
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.setToolTip("zag-tray: reading the store…")
        self.observed.connect(self.apply)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    def start(self) -> None:
        self.icon.show()
        self._timer.start()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        self._pool.start(_ObserveTask(self._monitor, self))

    @Slot(object)
    def apply(self, observation: Observation) -> None:
        count = len(observation.running)
        text = f"zag-tray: {count} agent{'' if count == 1 else 's'} running"
        self.icon.setToolTip(f"zag-tray: {observation.error}" if observation.error else text)

    def shutdown(self) -> None:
        self._timer.stop()
        self._pool.waitForDone()
        self.icon.hide()


def run_tray(choice: BaseDirChoice) -> int:
    """Run the tray until Quit (or SIGINT/SIGTERM)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    tray = MinimalTray(Monitor(choice.store))
    tray.start()
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    # Python only runs signal handlers between bytecodes: wake it up now and then.
    wake = QTimer(interval=250)
    wake.timeout.connect(lambda: None)
    wake.start()
    code = app.exec()
    tray.shutdown()
    return int(code)
