"""Other machines in the window (issue 17, item 7): a level per machine, this one first, the
hosts' agents worded as local ones, an offline host's greyed with when it was last seen, the
machine filter, a remote agent's details and actions (run on its host, through the local
stand-in for ssh), and Add host…."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.remote.standin import StandIn, agent
from tests.ui import test_window
from tests.ui.conftest import Start
from tests.ui.test_window import shown
from zag_tray.desktop.settings import HostEntry, load_settings
from zag_tray.remote.failures import Problem
from zag_tray.remote.protocol import RemoteAgent, remote_agent
from zag_tray.remote.state import HostState, Link
from zag_tray.ui.host_model import HOST_ROLE, REMOTE_ROLE, UNCERTAIN
from zag_tray.ui.model import ENTRY_ID_ROLE
from zag_tray.ui.window import AgentWindow

window = test_window.window  # the window fixture: this machine's agents, as there
LOCAL_ROWS = [(0, "orch"), (1, "w2"), (1, "w1"), (2, "g")]


def remote(entry_id: str, minute: int = 0, **fields: object) -> RemoteAgent:
    made = remote_agent(agent(entry_id, minute=minute, **fields))
    assert made is not None
    return made


def hosts(now: float) -> list[HostState]:
    devbox = HostState(
        "devbox",
        Link.LIVE,
        (remote("r1", 1, prompt="older"), remote("r2", 2, prompt="fix \x1b[31mthe\x1b[0m parser")),
        last_seen=now,
    )
    gpu = HostState(
        "gpu", Link.OFFLINE, (remote("g1", prompt="train"),), last_seen=now - 185, problem=Problem.UNREACHABLE
    )
    return [devbox, gpu]


def top_rows(win: AgentWindow) -> list[str]:
    return [win.model.index(row, 0).data() for row in range(win.model.rowCount())]


def children(win: AgentWindow, row: int, column: int = 0) -> list[str]:
    parent = win.model.index(row, 0)
    return [win.model.index(r, column, parent).data() for r in range(win.model.rowCount(parent))]


def test_with_no_host_the_tree_has_no_machines_level(window: AgentWindow) -> None:
    window.hosts.show([])
    assert shown(window) == LOCAL_ROWS
    assert window.model.rowCount() == 1 and not window.model.has_hosts
    assert not window.filters.machine.isVisibleTo(window)


def test_this_machine_first_then_each_host_worded_as_local_agents(window: AgentWindow) -> None:
    window.hosts.show(hosts(time.time()))
    assert top_rows(window) == [
        "This machine: 4 running",
        "devbox: 2 running",
        "gpu: offline (unreachable), last seen 3 min ago",
    ]
    here = window.model.index(0, 0)
    assert [
        window.model.index(r, 0, here).data(ENTRY_ID_ROLE) for r in range(window.model.rowCount(here))
    ] == ["orch"]
    assert children(window, 1) == ["claude · sonnet", "claude · sonnet"]  # local agents' title
    assert children(window, 1, 7) == ["fix \\x1b[31mthe\\x1b[0m parser", "older"]  # newest first, escaped
    assert children(window, 1, 1) == ["running", "running"]
    devbox, gpu = window.model.index(1, 0), window.model.index(2, 0)
    live_row, greyed_row = window.model.index(0, 0, devbox), window.model.index(0, 0, gpu)
    assert live_row.data(Qt.ItemDataRole.ForegroundRole) is None
    grey = QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert greyed_row.data(Qt.ItemDataRole.ForegroundRole) == grey
    status = Qt.ItemDataRole.DecorationRole
    dots = [
        row.siblingAtColumn(1).data(status).pixmap(8).toImage().pixel(4, 4) for row in (live_row, greyed_row)
    ]
    assert dots[0] != dots[1]  # the last snapshot's dot is grey, not green
    assert greyed_row.data(REMOTE_ROLE) == ("gpu", "g1")
    assert greyed_row.data(ENTRY_ID_ROLE) is None  # never a local id
    assert window.view.isFirstColumnSpanned(1, QModelIndex())


def test_a_hosts_update_changes_its_rows_in_place_and_the_selection_stays(
    window: AgentWindow, qtbot: QtBot
) -> None:
    now = time.time()
    devbox, gpu = hosts(now)
    window.hosts.show([devbox, gpu])
    window.view.setCurrentIndex(window.model.remote_index("devbox", "r1"))
    resets: list[object] = []
    window.model.modelReset.connect(lambda: resets.append(1))
    grown = HostState("devbox", Link.LIVE, (*devbox.agents, remote("r3", 3, prompt="third")), last_seen=now)
    window.hosts.show([grown, gpu])
    assert children(window, 1, 7)[0] == "third" and not resets
    assert window.view.currentIndex().data(REMOTE_ROLE) == ("devbox", "r1")
    window.hosts.show(
        [HostState("devbox", Link.OFFLINE, grown.agents, last_seen=now, problem=Problem.STALLED), gpu]
    )
    row = window.model.remote_index("devbox", "r1")
    assert row.data(Qt.ItemDataRole.ForegroundRole) is not None and not resets


def test_the_machine_filter_shows_one_machine_and_the_text_filter_the_hosts_agents_too(
    window: AgentWindow, qtbot: QtBot
) -> None:
    window.hosts.show(hosts(time.time()))
    machine = window.filters.machine
    assert [machine.itemText(i) for i in range(machine.count())] == [
        "All machines",
        "This machine",
        "devbox",
        "gpu",
    ]
    assert machine.isVisibleTo(window)
    hidden = lambda: [window.view.isRowHidden(r, QModelIndex()) for r in range(3)]  # noqa: E731
    machine.setCurrentText("devbox")
    assert hidden() == [True, False, True]
    machine.setCurrentText("This machine")
    assert hidden() == [False, True, True]
    machine.setCurrentText("All machines")
    assert hidden() == [False, False, False]
    window.filter_edit.setText("parser")
    qtbot.waitUntil(lambda: children(window, 1, 7) == ["fix \\x1b[31mthe\\x1b[0m parser"])
    assert children(window, 2) == []
    window.hosts.show(hosts(time.time())[:1])  # gpu taken out of the settings
    assert [machine.itemText(i) for i in range(machine.count())][2:] == ["devbox"]


def test_a_remote_agents_details_and_actions(window: AgentWindow) -> None:
    devbox, gpu = hosts(time.time())
    serve = HostState(
        "https://box:8443", Link.LIVE, (remote("s1"),), last_seen=time.time(), status_certain=False
    )
    window.hosts.show([devbox, gpu, serve])
    asked: list[str] = []
    window.hosts.action_requested.connect(asked.append)
    window.view.setCurrentIndex(window.model.remote_index("devbox", "r2"))
    labels, actions = window.details.labels, window.agent_actions
    assert labels["id"].text() == "r2"
    assert labels["prompt"].text() == "fix \\x1b[31mthe\\x1b[0m parser"
    assert window.details.machine.text() == "devbox: 2 running"
    assert window.details.machine.isVisibleTo(window)
    assert window.selected_id() is None  # nothing local points at it
    assert [k for k, a in actions.items() if a.isEnabled()] == [
        "copy_id",
        "stop",
        "kill",
        "kill_tree",
        "force_kill",
    ]
    actions["kill_tree"].trigger()
    assert asked == ["kill_tree\x1fdevbox\x1fr2"]
    window.view.setCurrentIndex(window.model.remote_index("gpu", "g1"))
    assert window.details.machine.text() == "gpu: offline (unreachable), last seen 3 min ago"
    assert [k for k, a in actions.items() if a.isEnabled()] == ["copy_id"]  # its host is away
    window.view.setCurrentIndex(window.model.remote_index("https://box:8443", "s1"))
    assert window.details.machine.text().splitlines()[1] == UNCERTAIN
    assert [k for k, a in actions.items() if a.isEnabled()] == ["copy_id", "stop", "kill"]  # zag's API
    window.select_entry("orch")
    assert not window.details.machine.isVisibleTo(window)  # a local agent again


pytestmark_posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-ins")


@pytestmark_posix
def test_a_kill_from_the_window_runs_on_its_host_and_says_its_result(
    standin: StandIn, start: Start, qtbot: QtBot
) -> None:
    tray = start(agent("r1", prompt="one"))
    tray.remote_actions.confirm = lambda question: question.accept == "Kill"
    tray.open_window()
    window = tray.window
    qtbot.waitUntil(lambda: window.model.remote_index("devbox", "r1").isValid(), timeout=5000)
    assert window.model.index(1, 0).data(HOST_ROLE) == "devbox"
    window.view.setCurrentIndex(window.model.remote_index("devbox", "r1"))
    standin.answer(0, "killed 1 agent")
    window.view.setFocus()
    window.agent_actions["kill"].trigger()
    qtbot.waitUntil(lambda: window.note.isVisible(), timeout=10000)
    assert standin.actions.read_text() == "kill -- r1\n"
    assert window.note.text() == "devbox: Kill claude · sonnet: done: killed 1 agent"


@pytestmark_posix
def test_add_host_refuses_a_bad_alias_and_saves_a_good_one_which_the_tray_then_watches(
    standin: StandIn, start: Start, qtbot: QtBot, settings_file: Path
) -> None:
    tray = start()
    tray.open_window()
    window = tray.window
    dialog = window.hosts.add_host()
    for alias, program, said in (
        ("-oProxyCommand=id", "", "is not an ssh alias"),
        ("devbox", "", "devbox is watched already."),
        ("gpu", "relative/zag-tray", "absolute path"),
    ):
        dialog.alias.setText(alias)
        dialog.program.setText(program)
        dialog.ok.click()
        assert said in dialog.error.text() and dialog.isVisible()
    assert load_settings(settings_file).hosts == (HostEntry("devbox"),)
    dialog.alias.setText(" gpu ")
    dialog.program.setText("~/venv/bin/zag-tray")
    dialog.ok.click()
    assert not dialog.isVisible()
    expected = (HostEntry("devbox"), HostEntry("gpu", "~/venv/bin/zag-tray"))
    assert load_settings(settings_file).hosts == expected
    assert tray.remote.state_of("gpu") is not None
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=5000)
    assert window.model.index(2, 0).data(HOST_ROLE) == "gpu"
