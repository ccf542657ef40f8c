"""The minimal tray: its tooltip follows the store, off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.conftest import LiveSample
from zag_tray.core.monitor import Monitor
from zag_tray.ui.app import MinimalTray


def test_tooltip_counts_running_agents_and_follows_the_store(live_sample: LiveSample, qtbot: QtBot) -> None:
    tray = MinimalTray(Monitor(live_sample.path))
    tray.start()
    qtbot.waitUntil(lambda: tray.icon.toolTip() == "zag-tray: 4 agents running", timeout=5000)
    live_sample.procs["9d5e6f7a-8b9c-4d0e-1f2a-3b4c5d6e7f06"].kill()
    live_sample.procs["9d5e6f7a-8b9c-4d0e-1f2a-3b4c5d6e7f06"].wait()
    tray.refresh()
    qtbot.waitUntil(lambda: tray.icon.toolTip() == "zag-tray: 3 agents running", timeout=5000)
    tray.shutdown()


def test_bad_store_shows_the_error_in_the_tooltip(base_dir: Path, qtbot: QtBot) -> None:
    (base_dir / "processes.json").write_text("{oops")
    tray = MinimalTray(Monitor(base_dir / "processes.json"))
    tray.start()
    qtbot.waitUntil(lambda: "not valid JSON" in tray.icon.toolTip(), timeout=5000)
    assert [a.text() for a in tray.menu.actions()] == ["Quit"]
    tray.shutdown()
