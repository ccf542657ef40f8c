"""remote/driver.py's HostStream with a local stand-in for ssh (it runs the remote command
with sh, as sshd would) and a zag-tray that says hello, then nothing: stalled, killed, again."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest

from tests.factories import stored
from zag_tray.remote.driver import HostStream
from zag_tray.remote.failures import Problem
from zag_tray.remote.ssh import SshConfig
from zag_tray.remote.state import Ended, HostState, Link

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell scripts")

SNAPSHOT = json.dumps({"event": "snapshot", "agents": [{**stored("a1"), "live_status": "running"}]})


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)
    return path


def test_a_silent_stream_is_stalled_killed_and_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_ssh = script(bin_dir / "ssh", 'exec sh -c "exec ${@: -1}"\n')  # the remote command, run here
    script(bin_dir / "zag-tray", f"""echo noise
echo '{{"event": "hello", "schema": 1, "version": "1", "host": "box"}}'
echo '{SNAPSHOT}'
echo run >> {tmp_path / "runs"}
exec sleep 60
""")  # fmt: skip
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    seen: list[HostState] = []
    stop = threading.Event()

    def report(state: HostState, ended: list[Ended]) -> None:
        seen.append(state)
        if sum(s.problem is Problem.STALLED and s.link is Link.OFFLINE for s in seen) == 2:
            stop.set()

    stream = HostStream("box", SshConfig(ssh=str(fake_ssh)), report, stall_after=1.0)
    runner = threading.Thread(target=stream.run, args=(stop,))
    runner.start()
    runner.join(20)
    stop.set()
    runner.join(5)
    assert not runner.is_alive(), [(s.link, s.problem, s.detail) for s in seen]
    links = [s.link for s in seen]
    assert links[:4] == [Link.CONNECTING, Link.CONNECTING, Link.LIVE, Link.OFFLINE]  # hello, then snapshot
    offline = seen[3]
    assert (offline.problem, offline.detail, [a.entry.id for a in offline.agents]) == (
        Problem.STALLED,
        "no line for 1 s",
        ["a1"],
    )
    assert (tmp_path / "runs").read_text() == "run\nrun\n"  # the stalled one killed, a new one started


def test_zag_tray_missing_there_is_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_ssh = script(tmp_path / "ssh", 'HOME=/nonexistent exec sh -c "exec ${@: -1}"\n')
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    seen: list[HostState] = []
    stop = threading.Event()

    def report(state: HostState, ended: list[Ended]) -> None:
        seen.append(state)
        if state.link is Link.OFFLINE:
            stop.set()

    HostStream("box", SshConfig(ssh=str(fake_ssh)), report).run(stop)
    assert (seen[-1].problem, seen[-1].agents) == (Problem.NOT_INSTALLED, ())
    assert "zag-tray" in seen[-1].detail
