"""``--host`` against a real OpenSSH server (tests/remote/conftest.py): agents of the remote
user listed, shown and killed through ssh; every ssh failure a one-line problem."""

from __future__ import annotations

import json
import time

import pytest

from tests.factories import entries_in
from tests.remote.conftest import Remote
from tests.remote.sshd import an_agent


def test_agents_of_the_remote_user_are_listed_with_their_host(remote: Remote) -> None:
    parent, parent_entry = an_agent(remote.user, "remote-parent-1", prompt="\x1b[2JPlan")
    child, child_entry = an_agent(remote.user, "remote-child-1", parent="remote-parent-1")
    try:
        remote.user.store([parent_entry, child_entry])
        done = remote.zag_tray("list", "--json", "--host", "zt-test")
        assert done.returncode == 0, done.stderr
        (root,) = json.loads(done.stdout)
        assert (root["id"], root["host"], root["live_status"]) == ("remote-parent-1", "zt-test", "running")
        assert [(c["id"], c["host"]) for c in root["children"]] == [("remote-child-1", "zt-test")]
        assert "\x1b" not in done.stdout and "\\u001b[2JPlan" in done.stdout
        table = remote.zag_tray("list", "--host", "zt-test")
        assert table.returncode == 0 and "Welcome" not in table.stdout  # the .bashrc's line: not ours
        assert "remote-p" in table.stdout and "\x1b" not in table.stdout and "\\x1b[2JPlan" in table.stdout
        shown = remote.zag_tray("show", "remote-child", "--json", "--host", "zt-test")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["host"] == "zt-test" and json.loads(shown.stdout)["pid"] == child.pid
    finally:
        for proc in (parent, child):
            proc.kill()
            proc.wait()


def test_kill_through_ssh_ends_the_remote_process_and_its_store_says_killed(remote: Remote) -> None:
    proc, entry = an_agent(remote.user, "remote-kill-1")
    store = remote.user.store([entry])
    try:
        done = remote.zag_tray("kill", "--host", "zt-test", "remote-kill")
        assert done.returncode == 0, done.stderr
        assert "SIGTERM sent to remote-kill-1" in done.stdout
        assert proc.wait(10) is not None
        assert entries_in(store)["remote-kill-1"]["status"] == "killed"
        again = remote.zag_tray("kill", "--host", "zt-test", "remote-kill-1")
        assert again.returncode == 1 and again.stderr.startswith("zag-tray: zt-test: ")
        assert len(again.stderr.splitlines()) == 1
    finally:
        proc.kill()
        proc.wait()


def test_an_id_that_looks_like_shell_or_an_option_is_only_an_id_there(remote: Remote) -> None:
    remote.user.store([])
    marker = remote.user.home / "pwned"
    done = remote.zag_tray("stop", "--host", "zt-test", f"--x; touch {marker}")
    assert done.returncode == 1 and "no agent" in done.stderr.lower()
    assert not marker.exists()


@pytest.mark.parametrize(
    ("alias", "said"),
    [
        ("zt-changed", "host key problem"),
        ("zt-unknown", "host key problem"),
        ("zt-denied", "needs sign-in"),
        ("zt-bare", "zag-tray not installed there"),
        ("zt-nowhere", "unreachable"),
    ],
)
def test_each_failure_is_one_line_a_user_understands(remote: Remote, alias: str, said: str) -> None:
    remote.close_connections()  # a new connection: one up already was checked when made
    before = {p: p.read_bytes() for p in remote.folder.glob("known_hosts*")}
    started = time.monotonic()
    done = remote.zag_tray("list", "--host", alias, timeout=30)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"zag-tray: {alias}: {said}") and len(done.stderr.splitlines()) == 1
    assert {p: p.read_bytes() for p in remote.folder.glob("known_hosts*")} == before  # nothing accepted
    assert time.monotonic() - started < 20
