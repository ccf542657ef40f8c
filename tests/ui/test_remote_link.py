"""ui/remote_link.py's RemoteHosts: one ``changed`` for a burst of lines from a host (issue 17:
the tray rebuilt its tooltip and menu for each line; benchmarks/remote.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.remote.standin import StandIn, agent
from zag_tray.desktop.settings import HostEntry
from zag_tray.remote.state import Link
from zag_tray.ui.remote_link import COALESCE_MS, RemoteHosts

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell stand-ins")


def test_a_burst_of_lines_is_one_change_and_none_is_held_longer_than_the_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot: QtBot
) -> None:
    standin = StandIn(tmp_path / "standin")
    monkeypatch.setenv("PATH", standin.path)
    hosts = RemoteHosts(standin.config)
    lines: list[object] = []
    changes: list[float] = []
    try:
        hosts.set_hosts([HostEntry("devbox")])
        hosts.links["devbox"].changed.connect(lambda *_: lines.append(None))
        qtbot.waitUntil(lambda: hosts.states()[0].link is Link.LIVE, timeout=5000)
        qtbot.wait(2 * COALESCE_MS)  # the snapshot's change is out
        hosts.changed.connect(lambda: changes.append(0.0))
        lines.clear()
        with standin.events.open("a") as out:  # ten lines in one write: a burst
            started = (json.dumps({"event": "started", "agent": agent(f"r{i}")}) for i in range(10))
            out.writelines(line + "\n" for line in started)
        qtbot.waitUntil(lambda: len(hosts.states()[0].agents) == 10 and bool(changes), timeout=5000)
        qtbot.wait(2 * COALESCE_MS)
        assert len(lines) == 10  # each line was taken in as it came
        assert len(changes) <= 2  # the tray heard of them once (twice if the lines were read apart)
    finally:
        hosts.stop()
