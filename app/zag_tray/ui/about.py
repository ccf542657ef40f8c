"""About zag-tray: the version (the package metadata's, as ``zag-tray --version`` prints it),
the files the tray reads and writes, and where to read more. Plain text throughout: the store
path can hold anything a folder name can, and nothing here is a link that opens by a click."""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from zag_tray import version
from zag_tray.agents.text import visible
from zag_tray.desktop.logs import log_path
from zag_tray.desktop.settings import settings_path
from zag_tray.ui.icons import app_icon

ZAG_URL = "https://github.com/niclaslindstedt/zag"


def about_text(store_path: str) -> str:
    rows = (
        ("Store", visible(store_path)),
        ("Settings", visible(str(settings_path()))),
        ("Log", visible(str(log_path()))),
        ("zag", ZAG_URL),
    )
    lines = [f"{label}: {text}" for label, text in rows]  # no padding: the font is proportional
    runtime = f"Python {platform.python_version()} · Qt {qVersion()} · PySide6 {PySide6.__version__}"
    return "\n".join(
        [f"zag-tray {version()}", "A system-tray monitor for zag coding agents.", "", *lines, "", runtime]
    )


def about_box(parent: QWidget | None, store_path: str) -> QMessageBox:
    """The box, not yet shown; it deletes itself when closed."""
    box = QMessageBox(parent)
    box.setWindowTitle("About zag-tray")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(about_text(store_path))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # paths to copy
    box.setIconPixmap(app_icon().pixmap(64, 64))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box
