"""The tray host the icon lives in, and what a click on the icon means there.

- XEmbed trays (X11 panels, trayer): the host has no menu of its own; Qt gives a single
  click and a double click: a single click shows our menu (after the double-click interval,
  so a double click does not also pop it), a double click opens the window.
- StatusNotifierItem hosts (KDE Plasma, GNOME with the AppIndicator extension, Xfce's
  status-notifier plugin, waybar on sway or Hyprland): the host shows our menu itself, from
  its DBusMenu, on a right click; a left click (Activate) has no double: it opens, raises or
  hides the window. Qt uses this protocol when a StatusNotifierWatcher is on the session bus
  as the app starts, and never otherwise in that process (qgenericunixthemes.cpp decides
  once): see :func:`sni_watcher_present`.
- macOS: a click shows the menu (Qt does it; the menu has "Open window").
- Everywhere: a middle click (SecondaryActivate) opens the window.
"""

from __future__ import annotations

import sys
from enum import StrEnum

from PySide6.QtCore import QObject, QPoint, QTimer, Signal, Slot
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QSystemTrayIcon

from zag_tray.desktop.session_bus import has_owner

SNI_WATCHER = "org.kde.StatusNotifierWatcher"


class Host(StrEnum):
    XEMBED = "xembed"
    SNI = "sni"
    MACOS = "macos"
    WINDOWS = "windows"


def sni_watcher_present() -> bool:
    """Is a StatusNotifierWatcher on the session bus (so Qt's icon is an SNI item)? Asked
    through desktop/session_bus.py: QtDBus would load a library and start a thread in a
    tray with no bus at all."""
    return has_owner(SNI_WATCHER)


def detect_host() -> Host:
    """The host Qt's icon uses in this process (decided as Qt decides, at start)."""
    if sys.platform == "darwin":
        return Host.MACOS
    if sys.platform == "win32":
        return Host.WINDOWS
    return Host.SNI if sni_watcher_present() else Host.XEMBED


Reason = QSystemTrayIcon.ActivationReason


class Clicks(QObject):
    """Turns the icon's activations into what the user meant on ``host``."""

    menu_wanted = Signal(QPoint)
    """Show our menu there (XEmbed, Windows: the host has none of its own)."""
    window_wanted = Signal()
    """Open (or raise) the window."""
    window_toggled = Signal()
    """Open, raise or hide the window (a left click where the host has its own menu)."""

    def __init__(self, host: Host, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self._single = QTimer(self, singleShot=True)
        self._single.timeout.connect(self._single_click)
        self._at = QPoint()

    @Slot(QSystemTrayIcon.ActivationReason)
    def activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == Reason.MiddleClick:
            self.window_wanted.emit()
        elif self.host is Host.SNI:
            if reason == Reason.Trigger:  # Activate: SNI hosts send no double click
                self.window_toggled.emit()
        elif self.host is Host.MACOS:
            return  # the click shows the menu: Qt does it
        elif reason == Reason.Trigger:
            self._at = QCursor.pos()
            self._single.start(QGuiApplication.styleHints().mouseDoubleClickInterval())
        elif reason == Reason.DoubleClick:
            self._single.stop()
            self.window_wanted.emit()

    def pending(self) -> bool:
        """Is a single click waiting out the double-click interval?"""
        return self._single.isActive()

    @Slot()
    def _single_click(self) -> None:
        self.menu_wanted.emit(self._at)
