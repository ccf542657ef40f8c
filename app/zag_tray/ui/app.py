"""Start the tray on a base dir: wire the watcher, controller, window and tray icon together."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QFileSystemWatcher, QSocketNotifier
from PySide6.QtWidgets import QApplication

from zag_tray import version
from zag_tray.agents.glance import app_name
from zag_tray.desktop.autostart import autostart_for
from zag_tray.desktop.instance import InstanceLock
from zag_tray.desktop.paths import DESKTOP_ID, BaseDirChoice, store_label
from zag_tray.desktop.settings import load_settings, settings_path
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.procs.monitor import Monitor
from zag_tray.procs.stopping import StopTracker
from zag_tray.remote import serve_hosts
from zag_tray.remote.ssh import SshConfig
from zag_tray.ui.controller import AgentController
from zag_tray.ui.host import Host
from zag_tray.ui.icons import app_icon
from zag_tray.ui.no_tray import OPEN_WINDOW_ENV, WithoutTray
from zag_tray.ui.notifier import Notifier
from zag_tray.ui.questions import ask
from zag_tray.ui.remote_link import RemoteHosts
from zag_tray.ui.tray import TrayApp
from zag_tray.ui.watcher import StoreWatcher

if TYPE_CHECKING:
    from zag_tray.ui.window import AgentWindow

log = logging.getLogger(__name__)

"""The app's id: its .desktop file's and AppStream's (packaging/linux), reverse DNS."""


def build_tray(
    choice: BaseDirChoice,
    settings_file: Path | None = None,
    notifier: Notifier | None = None,
    tracker: StopTracker | None = None,
    host: Host | None = None,
    ssh: SshConfig | None = None,
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
        functools.partial(_window, str(choice.store), name),
        load_settings(settings_file),
        settings_file,
        autostart_for(),
        notifier or Notifier(),
        name=name,
        host=host,
        # ssh None: the system ssh (remote/ssh.py); zag serve hosts: beside the settings, as
        # remote/serve_hosts.hosts_file() has them (a test's settings file keeps them its own).
        remote=RemoteHosts(ssh, serve_file=settings_file.parent / serve_hosts.FILE_NAME),
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
    app.setApplicationVersion(version())
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    # The desktop entry the Linux bundle installs (packaging/linux): Wayland shells find the
    # window's icon and name through it.
    app.setDesktopFileName(DESKTOP_ID)
    tray = build_tray(choice)
    asked = QFileSystemWatcher([str(lock.folder)])  # a second tray leaves a wake-up file there
    asked.directoryChanged.connect(lambda _: _show_if_asked(lock, tray))
    tray.start()
    if not tray.tray_available:
        WithoutTray(app, tray).start()
    elif os.environ.pop(OPEN_WINDOW_ENV, None):  # started again to use a tray that appeared
        tray.open_window()
    signals = QuitOnSignals(tray.quit)
    code = app.exec()
    signals.close()
    tray.shutdown()
    lock.release()
    return int(code)


def _window(store: str, name: str) -> AgentWindow:
    """The window, loaded and built when first opened: most days a tray never is."""
    from zag_tray.ui.window import AgentWindow

    return AgentWindow(store, name)


class QuitOnSignals:
    """SIGTERM and SIGINT quit the tray. Python runs a signal handler only between bytecodes,
    and Qt's event loop runs none while it waits: the signal's byte on a socket
    (``signal.set_wakeup_fd``) wakes the loop, instead of a timer that woke it four times a
    second forever."""

    def __init__(self, quit_app: Callable[[], None]) -> None:
        self._read, self._write = socket.socketpair()
        for end in (self._read, self._write):
            end.setblocking(False)
        self._previous = signal.set_wakeup_fd(self._write.fileno())
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)
        signal.signal(signal.SIGTERM, lambda *_: quit_app())
        signal.signal(signal.SIGINT, lambda *_: quit_app())

    def _drain(self) -> None:
        with contextlib.suppress(OSError):  # Python has run the handler by now; just empty it
            self._read.recv(4096)

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous)
        self._notifier.setEnabled(False)
        self._read.close()
        self._write.close()


def _show_if_asked(lock: InstanceLock, tray: TrayApp) -> None:
    if lock.take_wake_request():
        log.info("another zag-tray was started: showing the window")
        tray.open_window()
