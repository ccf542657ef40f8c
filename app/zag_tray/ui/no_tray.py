"""Without a tray host the app is a window; when one appears (a login race: the panel starts
after the app), the tray takes over.

- An XEmbed tray appearing later: Qt embeds the icon by itself; the window's note and its
  "closing quits" follow (the note goes, closing hides to the tray again).
- A StatusNotifierWatcher appearing later: Qt decides once, as the app starts, whether its
  icon is a StatusNotifierItem (qgenericunixthemes.cpp), and never uses a watcher that
  appears after that. So the app starts itself again, in place (the same process, the same
  pid), and the new start sees the watcher; its window is opened again. Once only: a
  second start that still finds no tray stays a window.

Asked every :data:`CHECK_MS` while there is no tray, never once there is one.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from zag_tray.ui.host import Host, sni_watcher_present
from zag_tray.ui.tray import TrayApp

log = logging.getLogger(__name__)

CHECK_MS: Final = 2000
RESTARTED_ENV: Final = "ZAG_TRAY_RESTARTED"
OPEN_WINDOW_ENV: Final = "ZAG_TRAY_OPEN_WINDOW"
NOTE: Final = "No system tray is available here, so zag-tray runs as this window; closing it quits."


class WithoutTray(QObject):
    """The app as a window until a tray host appears."""

    def __init__(self, app: QApplication, tray: TrayApp, restart: Callable[[], None] | None = None) -> None:
        super().__init__(tray)
        self._app, self._tray = app, tray
        self._restart = restart or restart_in_place
        self._check = QTimer(self, interval=CHECK_MS)
        self._check.timeout.connect(self.check)

    def start(self) -> None:
        """A normal window, with a note saying why; closing it quits."""
        log.warning("no system tray available: running as a window")
        self._app.setQuitOnLastWindowClosed(True)
        self._tray.window.show_note(NOTE, timeout_ms=0)
        self._tray.window.allow_close = True
        self._tray.open_window()
        self._check.start()

    @Slot()
    def check(self) -> None:
        """Has a tray host appeared? Then the tray takes over (see the module)."""
        if self._tray.host is not Host.SNI and sni_watcher_present() and sys.platform.startswith("linux"):
            if not os.environ.get(RESTARTED_ENV):
                log.warning("a StatusNotifierItem host appeared: starting again to use it")
                self._check.stop()
                self._restart()
                return
        if QSystemTrayIcon.isSystemTrayAvailable() and not sni_watcher_present():
            self.adopt()

    def adopt(self) -> None:
        """The tray is there: the window is a window of the tray's again."""
        log.info("a system tray appeared: the window closes to it again")
        self._check.stop()
        self._app.setQuitOnLastWindowClosed(False)
        self._tray.window.allow_close = False
        self._tray.window.note.hide()
        self._tray.tray_available = True
        self._tray.icon.show()
        self._tray.write_state()


def restart_in_place() -> None:
    """This program again, in this process (the instance lock closes with its descriptor),
    with the window open as it was."""
    os.environ[RESTARTED_ENV] = "1"
    os.environ[OPEN_WINDOW_ENV] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606
