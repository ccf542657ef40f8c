"""Other machines in the tray (issue 17, phase 2), with a local stand-in for ssh and the remote
zag-tray (tests/remote/standin.py): real processes, a real QProcess per host, the tray built as
the app builds it."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.dbus_session import NotificationServer
from tests.remote.standin import StandIn, agent
from tests.ui.conftest import Start
from tests.ui.menus import labels
from zag_tray.desktop.settings import HostEntry, Settings
from zag_tray.remote.failures import Problem
from zag_tray.remote.state import Link
from zag_tray.ui.icons import IconState
from zag_tray.ui.tray import TrayApp

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-ins")


def link(tray: TrayApp) -> Link:
    state = tray.remote.state_of("devbox")
    assert state is not None
    return state.link


def test_a_hosts_agents_are_in_the_menu_and_counted_in_the_icon_and_tooltip(
    standin: StandIn, start: Start, qtbot: QtBot
) -> None:
    tray = start(agent("r1", prompt="fix <b>the</b> parser"), agent("r2", prompt="lint"))
    assert (tray.look.state, tray.look.count) == (IconState.BUSY, 2)
    assert "devbox: 2 running" in tray.icon.toolTip().splitlines()
    menu = labels(tray)
    section = menu[menu.index("devbox: 2 running") + 1 :]
    assert section[0].startswith("claude · sonnet — fix <b>the</b> parser — ")  # plain text, as local
    standin.send({"event": "started", "agent": agent("r3", prompt="third")})
    qtbot.waitUntil(lambda: tray.look.count == 3, timeout=5000)


def test_a_host_that_drops_stays_greyed_with_its_last_snapshot_and_a_reconnect_repeats_no_notification(
    standin: StandIn, start: Start, qtbot: QtBot
) -> None:
    tray = start(agent("r1", prompt="one"), agent("r2", prompt="two"))
    standin.send(
        {"event": "finished", "agent": {**agent("r1"), "live_status": "exited"}, "outcome": "exited"}
    )
    qtbot.waitUntil(lambda: len(tray.notices) == 1, timeout=5000)
    assert tray.notices[0].title == "Agent finished on devbox"
    standin.snapshot([])  # r2 ends while the host is away: nobody saw it end
    standin.drop()
    qtbot.waitUntil(lambda: link(tray) is Link.OFFLINE, timeout=5000)
    state = tray.remote.state_of("devbox")
    assert state is not None and [a.entry.id for a in state.agents] == ["r2"]
    tooltip = tray.icon.toolTip().splitlines()
    assert any(line.startswith("devbox: offline (the stream ended), last seen ") for line in tooltip)
    labels(tray)
    menu = tray.menu.actions()
    greyed = [a for a in menu if a.text().startswith("claude · sonnet — two")]
    assert len(greyed) == 1 and not greyed[0].isEnabled() and greyed[0].menu() is None
    live_again = lambda: standin.connections() == 2 and link(tray) is Link.LIVE  # noqa: E731
    qtbot.waitUntil(lambda: live_again() and tray.look.count == 0, timeout=10000)  # its new snapshot
    assert len(tray.notices) == 1  # r2 dropped silently, r1 not told twice


def test_a_kill_runs_the_hosts_command_and_says_its_result(
    standin: StandIn, start: Start, qtbot: QtBot
) -> None:
    tray = start(agent("r1", prompt="one"))
    tray.remote_actions.confirm = lambda question: question.accept == "Kill tree"
    said: list[str] = []
    tray.remote_actions.message.connect(said.append)
    labels(tray)
    agent_menu = next(a.menu() for a in tray.menu.actions() if a.text().startswith("claude · sonnet — one"))
    assert agent_menu is not None
    kill_tree = next(a for a in agent_menu.actions() if a.text() == "Kill tree…")
    standin.answer(0, "killed 1 agent (and 0 below)")
    kill_tree.trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=10000)
    assert standin.actions.read_text() == "kill --tree -- r1\n"
    assert said == ["devbox: Kill tree claude · sonnet: done: killed 1 agent (and 0 below)"]
    standin.answer(1, "zag-tray: no agent r1")
    next(a for a in agent_menu.actions() if a.text() == "Stop…").trigger()
    qtbot.waitUntil(lambda: len(said) == 2, timeout=10000)
    assert said[1] == "devbox: Stop claude · sonnet: exit 1: zag-tray: no agent r1"


def test_sign_in_is_offered_for_a_host_that_refuses_the_key(
    standin: StandIn, start: Start, qtbot: QtBot
) -> None:
    standin.ssh.write_text("#!/bin/bash\necho 'user@box: Permission denied (publickey).' >&2\nexit 255\n")
    tray = start(live=False)
    qtbot.waitUntil(lambda: link(tray) is Link.OFFLINE, timeout=5000)
    state = tray.remote.state_of("devbox")
    assert state is not None and state.problem is Problem.SIGN_IN
    assert "Sign in to devbox…" in labels(tray)
    assert "devbox: offline (needs sign-in)" in tray.icon.toolTip().splitlines()


def test_a_host_key_problem_offers_sign_in_and_is_said_in_the_tooltip(
    standin: StandIn, start: Start, qtbot: QtBot
) -> None:
    standin.ssh.write_text(
        "#!/bin/bash\necho '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@' >&2\n"
        "echo 'Host key verification failed.' >&2\nexit 255\n"
    )
    tray = start(live=False)
    qtbot.waitUntil(lambda: link(tray) is Link.OFFLINE, timeout=5000)
    assert "devbox: offline (host key problem)" in tray.icon.toolTip().splitlines()
    menu = labels(tray)
    head = menu.index("devbox: offline (host key problem)")
    assert menu[head + 1 : head + 3] == ["Host key verification failed.", "Sign in to devbox…"]


def test_a_host_still_connecting_says_so_in_the_tooltip_and_counts_nothing(
    standin: StandIn, start: Start, qtbot: QtBot
) -> None:
    standin.ssh.write_text("#!/bin/bash\nexec cat > /dev/null\n")  # connected, nothing said yet
    tray = start(live=False)
    qtbot.waitUntil(lambda: "devbox: connecting…" in tray.icon.toolTip().splitlines(), timeout=5000)
    assert link(tray) is Link.CONNECTING and tray.look.state is IconState.IDLE
    assert "devbox: connecting…" in labels(tray)


def waiting(entry_id: str) -> dict[str, Any]:
    """An ``activity`` line: the agent's turn ended, it waits for the user."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"event": "activity", "id": entry_id, "activity": {"state": "waiting", "since": now}}


def test_a_remote_agent_that_begins_waiting_is_a_notification_naming_the_host_and_needs_you(
    standin: StandIn, start: Start, notification_server: NotificationServer, qtbot: QtBot
) -> None:
    tray = start(agent("r1", prompt="one"), agent("r2", prompt="two"), agent("r3", prompt="three"))
    assert (tray.look.state, tray.look.count) == (IconState.BUSY, 3)
    standin.send(waiting("r1"))
    (sent,) = notification_server.wait_for(1, qtbot.waitUntil)
    assert sent.summary == "Agent waiting for you on devbox"
    assert sent.body.startswith("claude · sonnet: waiting for you since ")
    assert (tray.look.state, tray.look.count) == (IconState.NEEDS_YOU, 1)
    standin.send(waiting("r2"))
    second = notification_server.wait_for(2, qtbot.waitUntil)[1]
    assert second.replaces_id == sent.notification_id  # coalesced, as local ones are
    assert second.body == "2 agents waiting for you: claude · sonnet on devbox, claude · sonnet on devbox"
    qtbot.waitUntil(lambda: tray.look.count == 2, timeout=5000)
    standin.send(waiting("r2"))  # still waiting: no news
    standin.send({"event": "started", "agent": agent("r4", prompt="four")})
    qtbot.waitUntil(lambda: tray.look.count == 2 and len(tray.remote.states()[0].agents) == 4, timeout=5000)
    assert len(notification_server.received) == 2


def test_a_wait_found_on_connecting_or_with_notify_waiting_off_is_counted_not_announced(
    standin: StandIn, start: Start, notification_server: NotificationServer, qtbot: QtBot
) -> None:
    already = {**agent("r1", prompt="one"), "activity": waiting("r1")["activity"]}
    tray = start(already, agent("r2", prompt="two"), notify_waiting=False)
    assert (tray.look.state, tray.look.count) == (IconState.NEEDS_YOU, 1)  # there before we looked
    standin.send(waiting("r2"))
    qtbot.waitUntil(lambda: tray.look.count == 2, timeout=5000)
    standin.send(
        {"event": "finished", "agent": {**agent("r1"), "live_status": "exited"}, "outcome": "exited"}
    )
    qtbot.waitUntil(lambda: len(tray.notices) == 1, timeout=5000)  # an end: its own setting
    assert tray.notices[0].title == "Agent finished on devbox"
    # The notice is sent to the server as the tray shows it: wait for the server's copy too.
    sent = notification_server.wait_for(1, qtbot.waitUntil)
    assert [n.summary for n in sent] == ["Agent finished on devbox"]


def test_hosts_are_edited_in_the_settings_dialog_and_invalid_ones_are_dropped(qtbot: QtBot) -> None:
    from zag_tray.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(hosts=(HostEntry("devbox", "~/venv/bin/zag-tray"),)))
    qtbot.addWidget(dialog)
    assert dialog.hosts.toPlainText() == "devbox ~/venv/bin/zag-tray\n"
    dialog.hosts.setPlainText(
        "devbox ~/venv/bin/zag-tray\n-oProxyCommand=id\n\nuser@gpu\ndevbox\nbox relative/path\n"
    )
    assert dialog.settings().hosts == (HostEntry("devbox", "~/venv/bin/zag-tray"), HostEntry("user@gpu"))


def test_invalid_hosts_in_the_settings_file_are_dropped_with_a_log_line(
    settings_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    from zag_tray.desktop.settings import load_settings

    settings_file.parent.mkdir(parents=True)
    hosts = [{"alias": "devbox"}, {"alias": "-oProxyCommand=id"}, "gpu", {"alias": "vm", "program": "rel"}]
    settings_file.write_text(json.dumps({"hosts": hosts, "notifications": False}))
    loaded = load_settings(settings_file)
    assert (loaded.hosts, loaded.notifications) == ((HostEntry("devbox"),), False)
    assert sum("is not valid" in r.message for r in caplog.records) == 3
