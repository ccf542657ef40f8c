"""The user's own stops and kills, through the real tray over real agent processes: shown
as stopping until gone, announced as the user's doing, never as a failure."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from tests.factories import make_entry, write_store
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.desktop.settings import Settings, save_settings
from zag_tray.procs.stopping import StopTracker
from zag_tray.ui.app import build_tray
from zag_tray.ui.tray import TrayApp

Spawn = Callable[..., subprocess.Popen[bytes]]
HandlerAgent = Callable[[str, str, str], tuple[subprocess.Popen[bytes], Path]]


def statuses(store: Path) -> dict[str, str]:
    return {e["id"]: e["status"] for e in json.loads(store.read_bytes())["processes"]}


@pytest.fixture
def start(qtbot: QtBot, settings_file: Path) -> Iterator[Callable[[Path], TrayApp]]:
    trays: list[TrayApp] = []

    def start_on(base: Path) -> TrayApp:
        save_settings(Settings(refresh_seconds=0.5), settings_file)
        tray = build_tray(BaseDirChoice(base, "test"), settings_file, tracker=StopTracker(grace=0.5))
        tray.controller.confirm = lambda question: True
        tray.start()
        qtbot.waitUntil(lambda: tray.observation is not None, timeout=5000)
        trays.append(tray)
        return tray

    yield start_on
    for tray in trays:
        tray.shutdown()


def test_a_kill_tree_of_four_is_four_agents_killed_with_no_dot(
    base_dir: Path,
    agents: Spawn,
    start: Callable[[Path], TrayApp],
    qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    procs = {name: agents(name) for name in ("orch", "a", "b", "c")}
    store = write_store(
        base_dir,
        [
            make_entry(pid=procs["orch"].pid, entry_id="orch"),
            make_entry(pid=procs["a"].pid, entry_id="a", parent="orch"),
            make_entry(pid=procs["b"].pid, entry_id="b", parent="orch"),
            make_entry(pid=procs["c"].pid, entry_id="c", parent="a"),
        ],
    )
    tray = start(base_dir)
    qtbot.waitUntil(lambda: tray.observation is not None and len(tray.observation.running) == 4, timeout=5000)
    tray.controller.kill("orch", tree=True)
    qtbot.waitUntil(lambda: bool(tray.notices), timeout=10000)
    assert [(n.title, n.text, n.urgent) for n in tray.notices] == [("zag-tray", "4 agents killed", False)]
    assert not tray.attention
    assert statuses(store) == dict.fromkeys(procs, "killed")
    # The tray's log says who ended them. "SIGTERM sent" is written when the kill's result
    # is back on the GUI thread, which may be after the monitor saw them gone and told.
    sent = {f"SIGTERM sent to agent {name} (pid {proc.pid})" for name, proc in procs.items()}
    qtbot.waitUntil(lambda: sent <= {r.getMessage() for r in caplog.records}, timeout=5000)
    assert {f"recorded agent {name} killed" for name in procs} <= {r.getMessage() for r in caplog.records}


def test_stop_says_stopping_at_once_and_then_that_it_stopped(
    base_dir: Path, handler_agent: HandlerAgent, start: Callable[[Path], TrayApp], qtbot: QtBot
) -> None:
    proc, marker = handler_agent("hup", "SIGHUP", "exit")
    store = write_store(base_dir, [make_entry(pid=proc.pid, entry_id="hup", prompt="stop me")])
    tray = start(base_dir)
    said: list[str] = []
    tray.controller.message.connect(said.append)
    tray.controller.stop("hup")
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    assert said == ["Stopping claude · sonnet (SIGHUP sent)…"]
    qtbot.waitUntil(lambda: bool(tray.notices), timeout=10000)
    assert [(n.title, n.text) for n in tray.notices] == [
        ("Agent stopped", "claude · sonnet was stopped after 0s")
    ]
    assert marker.read_text() == "SIGHUP" and not tray.attention
    assert statuses(store) == {"hup": "running"}  # a stop leaves the store alone, as zag's does


def test_an_agent_that_ignores_sigterm_stays_with_force_kill_until_forced(
    base_dir: Path, handler_agent: HandlerAgent, start: Callable[[Path], TrayApp], qtbot: QtBot
) -> None:
    proc, _ = handler_agent("stubborn", "SIGTERM", "ignore")
    store = write_store(base_dir, [make_entry(pid=proc.pid, entry_id="stubborn", prompt="never stops")])
    tray = start(base_dir)
    shown: list[str] = []
    tray.notifier.balloon.connect(lambda title, text, urgent: shown.append(text))  # no server here
    tray.controller.kill("stubborn")
    qtbot.waitUntil(lambda: any("still running" in text for text in shown), timeout=10000)
    assert shown[-1].startswith("claude · sonnet is still running")
    assert "after SIGTERM: Force kill is in its menu and in the window" in shown[-1]
    assert tray.notices == [] and proc.poll() is None and statuses(store) == {"stubborn": "running"}
    assert tray.observation is not None and len(tray.observation.running) == 1  # still counted
    tray.rebuild_menu()
    agent = tray.menu.actions()[2].menu()
    assert isinstance(agent, QMenu) and agent.title().endswith("still running after SIGTERM")
    next(a for a in agent.actions() if a.text() == "Force kill…").trigger()
    qtbot.waitUntil(lambda: bool(tray.notices), timeout=10000)
    assert [(n.title, n.urgent) for n in tray.notices] == [("Agent killed", False)]
    assert statuses(store) == {"stubborn": "killed"} and proc.poll() is not None
