"""The tray app: tooltip and icon follow the store (also across zag's atomic renames)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.conftest import ORPHAN, LiveSample
from tests.factories import entry, write_one
from zag_tray.agents.observation import Finished
from zag_tray.agents.status import AgentState, LiveStatus
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.procs.monitor import Monitor
from zag_tray.store.layout import serialise
from zag_tray.ui.app import build_tray
from zag_tray.ui.host import Host
from zag_tray.ui.icons import IconState
from zag_tray.ui.model import ENTRY_ID_ROLE
from zag_tray.ui.tray import TrayApp
from zag_tray.ui.watcher import StoreWatcher


@pytest.fixture
def tray(live_sample: LiveSample, qtbot: QtBot, settings_file: Path) -> Iterator[TrayApp]:
    app = build_tray(BaseDirChoice(live_sample.base, "test"), settings_file)
    app.watcher.set_liveness_interval(3_600_000)  # store changes then show through file-system events only
    app.start()
    qtbot.waitUntil(lambda: app.observation is not None, timeout=5000)
    yield app
    app.shutdown()


def test_tooltip_and_icon_show_the_running_agents(tray: TrayApp) -> None:
    tooltip = tray.icon.toolTip().splitlines()
    assert tooltip[0] == f"{tray.name}: 4 agents running (2 top-level)"  # named: not ~/.zag
    assert tooltip[1:4] == ["claude: 2 (1 top-level)", "codex: 1 (0 top-level)", "ollama: 1 (1 top-level)"]
    assert tooltip[4].startswith("longest: claude · opus, ")
    assert tray.look.state is IconState.BUSY and tray.look.count == 4


def test_atomic_rename_shows_in_the_model(tray: TrayApp, live_sample: LiveSample, qtbot: QtBot) -> None:
    model = tray.window.model
    assert model.index_of_id(ORPHAN).isValid()
    doc = json.loads(live_sample.path.read_bytes())
    doc["processes"] = [e for e in doc["processes"] if e["id"] != ORPHAN]
    tmp = live_sample.base / ".processes.json.zag.tmp"
    tmp.write_bytes(serialise(doc))
    os.replace(tmp, live_sample.path)
    qtbot.waitUntil(lambda: not model.index_of_id(ORPHAN).isValid(), timeout=5000)
    # ... and again: the watch was re-armed after the rename.
    doc["processes"][0]["prompt"] = "changed"
    tmp.write_bytes(serialise(doc))
    os.replace(tmp, live_sample.path)
    first = doc["processes"][1]["id"]
    qtbot.waitUntil(lambda: tray.window.model.entry(first) is not None, timeout=5000)


def test_bad_store_keeps_the_last_good_view_and_shows_the_error(
    tray: TrayApp, live_sample: LiveSample, qtbot: QtBot
) -> None:
    tmp = live_sample.base / ".tmp"
    tmp.write_text("{broken")
    os.replace(tmp, live_sample.path)
    qtbot.waitUntil(lambda: tray.look.state is IconState.ERROR, timeout=5000)
    assert "store error" in tray.icon.toolTip()
    assert tray.window.model.index_of_id(ORPHAN).isValid()  # the last good snapshot stays
    assert "error:" in tray.window.status_label.text()


def test_agent_dying_sets_attention_until_the_menu_is_opened(
    tray: TrayApp, live_sample: LiveSample, qtbot: QtBot
) -> None:
    live_sample.procs[ORPHAN].kill()
    live_sample.procs[ORPHAN].wait()
    tray.watcher.refresh()
    qtbot.waitUntil(lambda: tray.look.attention, timeout=5000)
    why = "1 failed since you looked: ollama · qwen3.5 died (no exit recorded)"
    assert tray.icon.toolTip().splitlines()[1] == why
    tray.menu.popup(QPoint(10, 10))
    qtbot.waitUntil(lambda: not tray.attention and not tray.look.attention, timeout=5000)
    tray.menu.hide()


def test_details_selects_the_agent_in_the_window(tray: TrayApp, qtbot: QtBot) -> None:
    tray.show_details(ORPHAN)
    assert tray.window.isVisible()
    assert tray.window.view.currentIndex().data(ENTRY_ID_ROLE) == ORPHAN
    assert tray.window.details.labels["id"].text() == ORPHAN
    tray.window.close()
    assert not tray.window.isVisible()  # closing hides to the tray


def test_store_appearing_later_is_picked_up(
    tmp_path: Path, agents: object, qtbot: QtBot, settings_file: Path
) -> None:
    base = tmp_path / ".zag"  # does not exist yet
    app = build_tray(BaseDirChoice(base, "test"), settings_file)
    app.watcher.set_liveness_interval(3_600_000)  # the new store shows through file-system events only
    app.start()
    qtbot.waitUntil(lambda: app.observation is not None, timeout=5000)
    assert app.look.state is IconState.IDLE
    proc = agents("late")  # type: ignore[operator]
    write_one(base, "late", proc.pid)
    qtbot.waitUntil(lambda: app.window.model.index_of_id("late").isValid(), timeout=5000)
    app.shutdown()


def test_single_click_waits_for_a_possible_double_click(tray: TrayApp, qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    assert tray.host is Host.XEMBED  # no StatusNotifierWatcher here
    popups: list[object] = []
    tray.clicks.menu_wanted.connect(popups.append)
    trigger, double = QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick
    tray.icon.activated.emit(trigger)
    assert popups == [] and tray.clicks.pending()  # not yet: this may be the first half of a double click
    qtbot.waitUntil(lambda: len(popups) == 1, timeout=5000)
    tray.menu.hide()
    tray.icon.activated.emit(trigger)
    tray.icon.activated.emit(double)
    assert tray.window.isVisible()
    assert not tray.clicks.pending() and len(popups) == 1  # the single click was cancelled


def test_a_stopped_watcher_observes_nothing_more(
    live_sample: LiveSample, qtbot: QtBot, settings_file: Path
) -> None:
    """After shutdown no observation starts or arrives: the tray may be going away."""
    app = build_tray(BaseDirChoice(live_sample.base, "test"), settings_file)
    seen: list[object] = []
    app.watcher.observed.connect(seen.append)
    app.start()
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    app.shutdown()
    count = len(seen)
    control = StoreWatcher(Monitor(live_sample.path))  # a running watcher on the same store
    looks: list[object] = []
    control.observed.connect(looks.append)
    control.start()
    qtbot.waitUntil(lambda: bool(looks), timeout=5000)
    try:
        with qtbot.assertNotEmitted(app.watcher.observed):
            live_sample.path.write_bytes(live_sample.path.read_bytes())  # a store change
            app.watcher.refresh()
            control.refresh()
            # The running watcher has seen the refresh and the change: the stopped one would have too.
            qtbot.waitUntil(lambda: len(looks) >= 3, timeout=10000)
    finally:
        control.stop()
    assert len(seen) == count


def test_the_window_is_built_when_first_opened_with_the_latest_state(
    tray: TrayApp, live_sample: LiveSample, qtbot: QtBot
) -> None:
    assert not tray.window_built()  # the tray alone: no window, no model kept current
    tray.write_state()  # the state seam answers without building it
    tray.open_window()
    rows = tray.window.visible_rows()
    assert tray.window.isVisible() and len(rows) == len(tray.observation.running)  # type: ignore[union-attr]
    assert {row[2] for row in rows} == {"running"}
    tray.window.hide()


WRITER = """
import json, os, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
doc = json.loads(open(path, "rb").read())
tick, end = 0, time.monotonic() + seconds
while time.monotonic() < end:
    tick += 1
    doc["processes"][0]["prompt"] = f"tick {tick}"
    with open(path + ".tmp", "w") as out:
        json.dump(doc, out, indent=2, ensure_ascii=False)
    os.replace(path + ".tmp", path)
    time.sleep(0.01)
"""


def test_a_store_written_100_times_a_second_still_shows_its_changes(
    tray: TrayApp, live_sample: LiveSample, qtbot: QtBot
) -> None:
    """Each change restarted the wait for the writes to pause: none showed while they went on."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(live_sample.path), "20"])
    try:

        def shown() -> str:
            assert tray.observation is not None
            return tray.observation.snapshot.entries[0].prompt or ""

        qtbot.waitUntil(lambda: shown().startswith("tick"), timeout=5000)
        assert writer.poll() is None  # shown while the writes go on
    finally:
        writer.kill()
        writer.wait()


@pytest.fixture
def sni_tray(live_sample: LiveSample, qtbot: QtBot, settings_file: Path) -> Iterator[TrayApp]:
    """The tray as a StatusNotifierItem host drives it (the host shows the menu itself)."""
    app = build_tray(BaseDirChoice(live_sample.base, "test"), settings_file, host=Host.SNI)
    app.start()
    qtbot.waitUntil(lambda: app.observation is not None, timeout=5000)
    yield app
    app.shutdown()


def test_under_sni_a_left_click_opens_raises_or_hides_the_window_and_a_middle_click_opens_it(
    sni_tray: TrayApp, qtbot: QtBot
) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    reason = QSystemTrayIcon.ActivationReason
    sni_tray.icon.activated.emit(reason.Trigger)  # Activate
    assert sni_tray.window.isVisible()
    sni_tray.window.activateWindow()
    qtbot.waitUntil(sni_tray.window.isActiveWindow, timeout=5000)
    sni_tray.icon.activated.emit(reason.Trigger)
    assert not sni_tray.window.isVisible()  # in front: a click hides it
    sni_tray.icon.activated.emit(reason.MiddleClick)  # SecondaryActivate
    assert sni_tray.window.isVisible()
    assert not sni_tray.clicks.pending()  # no menu of ours pops up under SNI


def test_the_dot_stays_until_the_menu_was_really_seen(tray: TrayApp, qtbot: QtBot) -> None:
    tray.unseen.append(failure())
    tray.menu.aboutToShow.emit()  # a popup the platform refused (Wayland): never on screen
    QApplication.processEvents()
    assert tray.attention
    tray.menu.popup(QPoint(10, 10))
    qtbot.waitUntil(lambda: not tray.attention, timeout=5000)
    tray.menu.hide()


def test_under_sni_the_host_opening_the_menu_is_seeing_it(sni_tray: TrayApp, qtbot: QtBot) -> None:
    sni_tray.unseen.append(failure())
    sni_tray.menu.aboutToShow.emit()  # the host opened our DBusMenu: Qt says so with this
    qtbot.waitUntil(lambda: not sni_tray.attention, timeout=5000)


def failure() -> Finished:
    return Finished(entry("f", status="exited", exit_code=3), AgentState(LiveStatus.EXITED))


def test_the_watch_is_the_store_and_its_folder_and_the_parent_only_until_the_folder_exists(
    tmp_path: Path, qtbot: QtBot
) -> None:
    """For ~/.zag the parent is the home folder: watched for good, every file made there was a re-read."""
    store = tmp_path / "home" / ".zag" / "processes.json"
    store.parent.parent.mkdir()
    watcher = StoreWatcher(Monitor(store))
    watcher.start()
    try:
        assert watcher.watched() == [str(store.parent.parent)]  # waiting for zag's folder
        store.parent.mkdir()
        write_one(store.parent, "a", 999_999)
        qtbot.waitUntil(lambda: watcher.watched() == sorted([str(store), str(store.parent)]), timeout=5000)
    finally:
        watcher.stop()
