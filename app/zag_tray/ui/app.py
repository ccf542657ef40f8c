"""Start the tray on a base dir (minimal: icon, running count in the tooltip, Quit)."""

from __future__ import annotations

import signal
import sys
from importlib import resources

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from zag_tray.core.monitor import Monitor, Observation
from zag_tray.core.paths import BaseDirChoice

REFRESH_MS = 2000


class _Relay(QObject):
    observed = Signal(object)


class _ObserveTask(QRunnable):
    def __init__(self, monitor: Monitor, relay: _Relay) -> None:
        super().__init__()
        self._monitor, self._relay = monitor, relay

    def run(self) -> None:
        self._relay.observed.emit(self._monitor.observe())


def icon() -> QIcon:
    return QIcon(str(resources.files("zag_tray") / "resources" / "zag-tray.svg"))


def run_tray(choice: BaseDirChoice) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    monitor = Monitor(choice.store)
    tray = QSystemTrayIcon(icon())
    menu = QMenu()
    quit_action = QAction("Quit", menu)
    quit_action.triggered.connect(app.quit)
    menu.addAction(quit_action)
    tray.setContextMenu(menu)
    relay = _Relay()
    pool = QThreadPool()
    pool.setMaxThreadCount(1)

    def apply(obs: Observation) -> None:
        count = len(obs.running)
        tray.setToolTip(obs.error or f"zag-tray: {count} agent{'s' if count != 1 else ''} running")

    relay.observed.connect(apply)
    timer = QTimer(interval=REFRESH_MS)
    timer.timeout.connect(lambda: pool.start(_ObserveTask(monitor, relay)))
    timer.start()
    pool.start(_ObserveTask(monitor, relay))
    tray.show()
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    code = app.exec()
    pool.waitForDone()
    return int(code)
