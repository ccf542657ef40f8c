"""Start the tray on a base dir: wire the watcher, controller, window and tray icon together."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from zag_tray import __version__
from zag_tray.agents.present import app_name
from zag_tray.desktop.autostart import autostart_for
from zag_tray.desktop.instance import InstanceLock
from zag_tray.desktop.paths import BaseDirChoice, store_label
from zag_tray.desktop.settings import load_settings, settings_path
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.procs.monitor import Monitor
from zag_tray.procs.stopping import StopTracker
from zag_tray.ui.controller import AgentController
from zag_tray.ui.notifier import Notifier
from zag_tray.ui.tray import TrayApp, ask
from zag_tray.ui.watcher import StoreWatcher
from zag_tray.ui.window import AgentWindow

log = logging.getLogger(__name__)


def build_tray(
    choice: BaseDirChoice,
    settings_file: Path | None = None,
    notifier: Notifier | None = None,
    tracker: StopTracker | None = None,
) -> TrayApp:
    """The whole app for one store, not yet shown (tests build it the same way, each with
    a settings file of its own)."""
    checker, tracker = LivenessChecker(), tracker or StopTracker()
    name = app_name(store_label(choice))
    watcher = StoreWatcher(Monitor(choice.store, checker, tracker=tracker))
    controller = AgentController(choice.store, checker, ask, tracker=tracker)
    settings_file = settings_file or settings_path()
    return TrayApp(
        watcher,
        controller,
        lambda: AgentWindow(str(choice.store), name),
        load_settings(settings_file),
        settings_file,
        autostart_for(),
        notifier or Notifier(),
        name=name,
    )


def run_tray(choice: BaseDirChoice) -> int:
    """Run the tray until Quit (or SIGINT/SIGTERM); a second tray on the same store shows the
    first one's window instead, and exits."""
    lock = InstanceLock(choice.path)
    if not lock.acquire():
        lock.wake_owner()
        print(f"zag-tray is already running for {choice.path}; showing its window")
        return 0
    app = QApplication.instance() or QApplication(["zag-tray"])  # argv[0] names the X11 WM_CLASS
    assert isinstance(app, QApplication)
    app.setApplicationName("zag-tray")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)
    tray = build_tray(choice)
    asked = QFileSystemWatcher([str(lock.folder)])  # a second tray leaves a wake-up file there
    asked.directoryChanged.connect(lambda _: _show_if_asked(lock, tray))
    tray.start()
    if not QSystemTrayIcon.isSystemTrayAvailable():
        be_a_window(app, tray)
    signal.signal(signal.SIGTERM, lambda *_: tray.quit())
    signal.signal(signal.SIGINT, lambda *_: tray.quit())
    # Python runs signal handlers between bytecodes only: wake it now and then.
    wake = QTimer(interval=250)
    wake.timeout.connect(lambda: None)
    wake.start()
    code = app.exec()
    tray.shutdown()
    lock.release()
    return int(code)


def _show_if_asked(lock: InstanceLock, tray: TrayApp) -> None:
    if lock.take_wake_request():
        log.info("another zag-tray was started: showing the window")
        tray.open_window()


def be_a_window(app: QApplication, tray: TrayApp) -> None:
    """No tray host (e.g. GNOME without an AppIndicator extension): a normal window, with a
    note saying why; closing it quits."""
    log.warning("no system tray available: running as a window")
    app.setQuitOnLastWindowClosed(True)
    tray.window.show_note(
        "No system tray is available here, so zag-tray runs as this window; closing it quits.",
        timeout_ms=0,
    )
    tray.window.allow_close = True
    tray.open_window()
