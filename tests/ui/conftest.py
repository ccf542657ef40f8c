"""UI tests run on Qt's offscreen platform (no display needed); the tray watching another
machine through the local stand-in for ssh (tests/remote/standin.py), for the tray's tests and
the window's."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.remote.standin import StandIn
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.desktop.settings import HostEntry, Settings, save_settings
from zag_tray.remote.state import Link
from zag_tray.ui.app import build_tray
from zag_tray.ui.tray import TrayApp

Start = Callable[..., TrayApp]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread() -> Iterator[None]:
    """Garbage is collected on the GUI thread only, as the tray does (ui/collector.py).

    A test's windows and watchers die in reference cycles; an automatic collection
    triggered on a later test's worker thread would delete them there, under the
    GUI thread's feet.
    """
    gc.disable()
    yield
    gc.collect()


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    """A settings file of the test's own, not written yet (so: the defaults)."""
    return tmp_path / "config" / "settings.json"


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    made = StandIn(tmp_path / "standin")
    monkeypatch.setenv("PATH", made.path)
    return made


@pytest.fixture
def start(base_dir: Path, qtbot: QtBot, settings_file: Path, standin: StandIn) -> Iterator[Start]:
    started: list[TrayApp] = []

    def start(
        *agents: dict[str, Any], live: bool = True, more: tuple[HostEntry, ...] = (), **options: Any
    ) -> TrayApp:
        """The tray watching "devbox" (and ``more``), whose snapshot holds ``agents``; once
        devbox is ``live``."""
        standin.snapshot(list(agents))
        save_settings(Settings(hosts=(HostEntry("devbox"), *more), **options), settings_file)
        app = build_tray(BaseDirChoice(base_dir, "test"), settings_file, ssh=standin.config)
        app.start()
        started.append(app)
        qtbot.waitUntil(lambda: app.observation is not None, timeout=5000)
        if live:
            qtbot.waitUntil(lambda: _link(app) is Link.LIVE, timeout=5000)
        return app

    yield start
    while started:
        started.pop().shutdown()


def _link(tray: TrayApp) -> Link | None:
    state = tray.remote.state_of("devbox")
    return None if state is None else state.link
