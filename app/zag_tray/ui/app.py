"""Start the tray on a base dir: wire the watcher, controller, window and tray icon together."""

from __future__ import annotations

import signal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from zag_tray import __version__
from zag_tray.core.liveness import LivenessChecker
from zag_tray.core.monitor import Monitor
from zag_tray.core.paths import BaseDirChoice
from zag_tray.ui.controller import AgentController
from zag_tray.ui.tray import TrayApp, ask
from zag_tray.ui.watcher import StoreWatcher
from zag_tray.ui.window import AgentWindow


def build_tray(choice: BaseDirChoice) -> TrayApp:
    """The whole app for one store, not yet shown (tests build it the same way)."""
    checker = LivenessChecker()
    window = AgentWindow(str(choice.store))
    watcher = StoreWatcher(Monitor(choice.store, checker))
    controller = AgentController(choice.store, checker, ask)
    return TrayApp(watcher, controller, window)


def run_tray(choice: BaseDirChoice) -> int:
    """Run the tray until Quit (or SIGINT/SIGTERM)."""
    app = QApplication.instance() or QApplication(["zag-tray"])  # argv[0] names the X11 WM_CLASS
    assert isinstance(app, QApplication)
    app.setApplicationName("zag-tray")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)
    tray = build_tray(choice)
    tray.start()
    if not QSystemTrayIcon.isSystemTrayAvailable():
        # No tray host (e.g. GNOME without an AppIndicator extension): be a window.
        app.setQuitOnLastWindowClosed(True)
        tray.window.show_note(
            "No system tray is available here, so zag-tray runs as this window; closing it quits.",
            timeout_ms=0,
        )
        tray.window.allow_close = True
        tray.window.show_and_raise()
    signal.signal(signal.SIGTERM, lambda *_: tray.quit())
    signal.signal(signal.SIGINT, lambda *_: tray.quit())
    # Python runs signal handlers between bytecodes only: wake it now and then.
    wake = QTimer(interval=250)
    wake.timeout.connect(lambda: None)
    wake.start()
    code = app.exec()
    tray.shutdown()
    return int(code)
