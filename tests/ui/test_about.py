"""About zag-tray: the version, the files and the links, as plain text, from the window."""

from __future__ import annotations

from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from zag_tray.desktop.logs import log_path
from zag_tray.desktop.settings import settings_path
from zag_tray.ui.about import ZAG_URL
from zag_tray.ui.icons import app_icon
from zag_tray.ui.window import AgentWindow


def test_the_window_shows_the_version_files_and_links_as_plain_text(qtbot: QtBot) -> None:
    win = AgentWindow("/tmp/<b>odd</b>\x1b[31m/processes.json")
    qtbot.addWidget(win)
    win.show_and_raise()
    button = next(b for b in win.findChildren(QPushButton) if b.text() == "About")
    button.click()
    qtbot.waitUntil(lambda: win.findChild(QMessageBox) is not None)
    box = win.findChild(QMessageBox)
    assert isinstance(box, QMessageBox)
    text = box.text()
    assert text.startswith(f"zag-tray {metadata.version('zag-tray')}\n")
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "/tmp/<b>odd</b>\\x1b[31m/processes.json" in text  # escaped, never rendered
    assert str(settings_path()) in text and str(log_path()) in text and ZAG_URL in text
    assert box.windowTitle() == "About zag-tray" and not box.iconPixmap().isNull()
    box.close()
    qtbot.waitUntil(lambda: win.findChild(QMessageBox) is None)  # it deletes itself


def test_the_app_icon_has_every_size_the_window_asks_for(qapp: object) -> None:
    sizes = {(s.width(), s.height()) for s in app_icon().availableSizes()}
    assert {(16, 16), (32, 32), (64, 64), (128, 128)} <= sizes
