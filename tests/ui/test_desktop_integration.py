"""Notifications, settings and the no-tray fallback, on the real tray over real agent processes."""

from __future__ import annotations

import dataclasses
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import Popen

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.desktop_entry import unquote_exec
from tests.factories import make_entry, stored, write_store
from zag_tray.agents.glance import app_name
from zag_tray.desktop.autostart import XdgAutostart, launch_command
from zag_tray.desktop.paths import BaseDirChoice, store_label
from zag_tray.desktop.settings import Settings, load_settings, save_settings
from zag_tray.ui.app import build_tray
from zag_tray.ui.no_tray import WithoutTray
from zag_tray.ui.settings_dialog import SettingsDialog
from zag_tray.ui.tray import TrayApp

Spawn = Callable[..., "Popen[bytes]"]


class Agents:
    """Four running agents in a store, and the ways they can stop."""

    def __init__(self, base: Path, spawn: Spawn) -> None:
        self.base = base
        self.procs = {name: spawn(name) for name in ("a", "b", "c", "d")}
        self.entries = {
            name: stored(name, pid=proc.pid, provider="codex", model="gpt-5", root=str(Path.home() / "proj"))
            for name, proc in self.procs.items()
        }
        self.save()

    def save(self) -> None:
        write_store(self.base, list(self.entries.values()))

    def finish(self, *ends: tuple[str, str, int | None]) -> None:
        """zag records each (name, status, exit code) in one write, then the processes end."""
        for name, status, exit_code in ends:
            self.entries[name].update(status=status, exit_code=exit_code, exited_at="2026-03-28T10:04:12Z")
        self.save()
        for name, _, _ in ends:
            self.die(name)

    def die(self, name: str) -> None:
        """The process ends and nothing is recorded (as after a crash)."""
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()


@pytest.fixture
def four(base_dir: Path, agents: Spawn) -> Agents:
    return Agents(base_dir, agents)


@pytest.fixture
def tray(four: Agents, qtbot: QtBot, settings_file: Path) -> Iterator[TrayApp]:
    save_settings(Settings(refresh_seconds=1.0), settings_file)
    app = build_tray(BaseDirChoice(four.base, "test"), settings_file)
    app.start()
    qtbot.waitUntil(lambda: app.observation is not None and len(app.observation.running) == 4, timeout=5000)
    yield app
    app.shutdown()


def test_no_notification_for_what_is_found_at_start_up(
    base_dir: Path, agents: Spawn, qtbot: QtBot, settings_file: Path
) -> None:
    proc = agents("x")
    write_store(
        base_dir,
        [
            make_entry(pid=proc.pid, entry_id="x"),
            make_entry(pid=4_000_001, entry_id="gone", status="running"),  # dead before we started
            make_entry(pid=4_000_002, entry_id="done", status="exited", exit_code=0),
        ],
    )
    app = build_tray(BaseDirChoice(base_dir, "test"), settings_file)
    seen: list[object] = []
    app.watcher.observed.connect(seen.append)
    app.start()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    looks = len(seen)
    app.watcher.refresh()  # a second look: what was found at start-up is still not news
    qtbot.waitUntil(lambda: len(seen) > looks, timeout=5000)
    assert app.notices == []
    app.shutdown()


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [
        ("exited", 0, "codex · gpt-5 finished (exit 0) after 4m12s — ~/proj"),
        ("exited", 3, "codex · gpt-5 failed (exit 3) after 4m12s — ~/proj"),
        ("killed", None, "codex · gpt-5 was killed after 4m12s — ~/proj"),
    ],
)
def test_each_way_of_finishing_is_told(
    tray: TrayApp, four: Agents, qtbot: QtBot, status: str, code: int | None, text: str
) -> None:
    four.finish(("b", status, code))
    qtbot.waitUntil(lambda: len(tray.notices) == 1, timeout=5000)
    assert tray.notices[0].text == text and tray.notices[0].entry_id == "b"


def test_an_agent_that_dies_is_told_as_died(tray: TrayApp, four: Agents, qtbot: QtBot) -> None:
    four.die("c")  # the store still says running
    qtbot.waitUntil(lambda: len(tray.notices) == 1, timeout=5000)
    # No end is recorded: the runtime ends when the tray saw the process gone.
    assert re.fullmatch(r"codex · gpt-5 died \(no exit recorded\) after \S+ — ~/proj", tray.notices[0].text)
    assert tray.notices[0].title == "Agent failed" and tray.attention


def test_several_at_once_are_one_notification(tray: TrayApp, four: Agents, qtbot: QtBot) -> None:
    seen: list[object] = []
    tray.watcher.observed.connect(seen.append)
    four.finish(("a", "exited", 0), ("b", "exited", 1), ("c", "killed", None))
    qtbot.waitUntil(lambda: bool(tray.notices), timeout=5000)
    announced = len(seen)
    for look in (1, 2):  # two more looks must not announce them again
        tray.watcher.refresh()
        qtbot.waitUntil(lambda look=look: len(seen) >= announced + look, timeout=10000)
    assert [n.text for n in tray.notices] == ["3 agents ended: 1 finished, 1 killed, 1 failed or died"]
    assert tray.notices[0].entry_id is None


def test_clicking_the_notification_opens_the_window_on_the_agent(
    tray: TrayApp, four: Agents, qtbot: QtBot
) -> None:
    four.finish(("d", "exited", 0))
    qtbot.waitUntil(lambda: len(tray.notices) == 1, timeout=5000)
    tray.icon.messageClicked.emit()
    assert tray.window.isVisible() and tray.window.selected_id() == "d"
    tray.window.hide()


def test_notifications_off_means_none(tray: TrayApp, four: Agents, qtbot: QtBot) -> None:
    tray.set_notifications(False)
    assert load_settings(tray.settings_file) == dataclasses.replace(tray.settings, notifications=False)
    four.finish(("a", "exited", 0))
    qtbot.waitUntil(lambda: tray.observation is not None and len(tray.observation.running) == 3, timeout=5000)
    assert tray.notices == []


def test_settings_dialog_changes_what_the_tray_does(tray: TrayApp, qtbot: QtBot) -> None:
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        dialog.confirm_kill.setChecked(False)
        dialog.refresh.setValue(10)
        dialog.recent.setValue(15)
        dialog.accept()

    QTimer.singleShot(0, answer)
    tray.edit_settings()  # modal, as from the menu
    assert tray.controller.confirm_kill is False
    assert tray.watcher.liveness_interval() == 10_000
    assert load_settings(tray.settings_file).recent_minutes == 15


def test_malformed_settings_file_means_a_tray_with_the_defaults(
    four: Agents, qtbot: QtBot, settings_file: Path
) -> None:
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text('{"notifications": tru', encoding="utf-8")
    app = build_tray(BaseDirChoice(four.base, "test"), settings_file)
    assert app.settings == Settings() and app.controller.confirm_kill
    app.shutdown()


def test_window_layout_is_kept_between_runs(four: Agents, qtbot: QtBot, settings_file: Path) -> None:
    first = build_tray(BaseDirChoice(four.base, "test"), settings_file)
    first.window.resize(700, 450)
    first.window.view.header().resizeSection(0, 333)
    first.save_layout()  # as Quit does
    first.shutdown()
    second = build_tray(BaseDirChoice(four.base, "test"), settings_file)
    assert second.window.size().width() == 700 and second.window.view.header().sectionSize(0) == 333
    second.shutdown()


def test_without_a_tray_the_window_shows_with_a_note_and_closing_quits(tray: TrayApp, qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quit_before = app.quitOnLastWindowClosed()
    try:
        WithoutTray(app, tray).start()
        assert tray.window.isVisible() and "No system tray" in tray.window.note.text()
        assert tray.window.close() and not tray.window.isVisible()  # closed, not hidden to a tray
        assert app.quitOnLastWindowClosed()  # so the last window closing ends the app
    finally:
        app.setQuitOnLastWindowClosed(quit_before)


def _menu_toggle(tray: TrayApp, text: str) -> QAction:
    tray.menu.aboutToShow.emit()  # rebuilt as when it opens
    return next(a for a in tray.menu.actions() if a.text() == text)


def test_start_at_login_from_the_menu_follows_the_file_on_disk(tray: TrayApp, tmp_path: Path) -> None:
    tray.autostart = XdgAutostart(tmp_path / "xdg-config")
    toggle = _menu_toggle(tray, "Start at login")
    assert toggle.isCheckable() and not toggle.isChecked()
    toggle.trigger()
    exec_line = next(x for x in tray.autostart.path.read_text().splitlines() if x.startswith("Exec="))
    assert unquote_exec(exec_line.removeprefix("Exec=")) == launch_command()  # this very command
    assert _menu_toggle(tray, "Start at login").isChecked()
    tray.autostart.path.unlink()  # removed behind the tray's back (e.g. from the desktop's settings)
    assert not _menu_toggle(tray, "Start at login").isChecked()
    tray.autostart.enable(launch_command())
    _menu_toggle(tray, "Start at login").trigger()
    assert not tray.autostart.path.exists()


def test_the_notification_toggles_in_the_menu_are_saved(tray: TrayApp) -> None:
    for text, name in (
        ("Notify when agents end", "notifications"),
        ("Notify when agents wait", "notify_waiting"),
    ):
        toggle = _menu_toggle(tray, text)
        assert toggle.isChecked()  # both on for a new user
        toggle.trigger()
        assert not getattr(load_settings(tray.settings_file), name)
        assert not _menu_toggle(tray, text).isChecked()
    assert load_settings(tray.settings_file) == tray.settings  # each toggle saved alone


def test_a_tray_on_another_store_names_it_in_the_tooltip_and_the_window(
    four: Agents, qtbot: QtBot, settings_file: Path
) -> None:
    app = build_tray(BaseDirChoice(four.base, "test"), settings_file)
    app.start()
    try:
        qtbot.waitUntil(lambda: app.observation is not None, timeout=5000)
        named = app_name(store_label(BaseDirChoice(four.base, "test")))
        assert named.startswith("zag-tray (/")
        assert app.icon.toolTip().splitlines()[0] == f"{named}: 4 agents running (4 top-level)"
        assert app.window.windowTitle() == f"{named} — agents"
    finally:
        app.shutdown()


def test_the_window_without_a_tray_starts_unfolded(tray: TrayApp, qtbot: QtBot, four: Agents) -> None:
    four.entries["b"]["parent_process_id"] = "a"
    four.save()
    qtbot.waitUntil(
        lambda: tray.observation is not None and len(tray.observation.running_forest) == 3, timeout=5000
    )
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quit_before = app.quitOnLastWindowClosed()
    try:
        WithoutTray(app, tray).start()
        index = tray.window.model.index_of_id("a")
        assert tray.window.view.isExpanded(index)
    finally:
        app.setQuitOnLastWindowClosed(quit_before)
        tray.window.allow_close = False
        tray.window.hide()


def test_a_tray_that_appears_later_takes_the_window_back(tray: TrayApp, qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quit_before = app.quitOnLastWindowClosed()
    try:
        without = WithoutTray(app, tray)
        without.start()
        without.adopt()  # what check() does once a tray host answers
        assert not tray.window.note.isVisible() and not app.quitOnLastWindowClosed()
        tray.window.close()
        assert not tray.window.isVisible() and not tray.window.allow_close  # hidden to the tray
    finally:
        app.setQuitOnLastWindowClosed(quit_before)
