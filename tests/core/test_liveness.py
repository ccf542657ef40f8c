"""Live status with real processes: each branch of the rule in liveness.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from tests.factories import entry_now, make_entry, wait_for, write_store
from zag_tray.agents.entry import Entry
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.timestamps import rfc3339
from zag_tray.procs.liveness import LivenessChecker, NotVerifiedError
from zag_tray.procs.pinned import PIDFD_SIGNALS, PinnedProcess

Spawn = Callable[..., subprocess.Popen[bytes]]
NS_LAST_PID = Path("/proc/sys/kernel/ns_last_pid")


def status_of(entry: Entry, checker: LivenessChecker | None = None) -> LiveStatus:
    return (checker or LivenessChecker()).statuses([entry])[entry.id]


def test_alive_agent_is_running(agents: Spawn) -> None:
    proc = agents("agent-1")
    assert status_of(entry_now(pid=proc.pid)) is LiveStatus.RUNNING
    assert LivenessChecker().verdict(entry_now(pid=proc.pid)).reason == "ZAG_PROCESS_ID names this entry"


def test_gone_agent_is_dead(agents: Spawn) -> None:
    proc = agents("agent-1")
    proc.kill()
    proc.wait()
    assert status_of(entry_now(pid=proc.pid)) is LiveStatus.DEAD


def test_zombie_agent_is_dead(agents: Spawn) -> None:
    proc = agents("agent-1")
    proc.kill()  # not waited for: it stays a zombie until the teardown reaps it
    wait_for("a zombie", lambda: psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE)
    verdict = LivenessChecker().verdict(entry_now(pid=proc.pid))
    assert verdict.status is LiveStatus.DEAD and "zombie" in verdict.reason


def test_process_older_than_entry_is_dead_and_not_signalled(agents: Spawn) -> None:
    proc = agents("agent-1")
    created = psutil.Process(proc.pid).create_time()
    later = rfc3339(datetime.fromtimestamp(created + 60, UTC))
    entry = entry_now(pid=proc.pid, started_at=later)
    assert status_of(entry) is LiveStatus.DEAD
    with pytest.raises(NotVerifiedError, match="created before this entry"):
        LivenessChecker().verified_process(entry)
    assert proc.poll() is None


@pytest.mark.parametrize("which", ["own", "parent", "init", "zero"])
def test_tray_itself_its_ancestors_and_init_are_never_running(which: str) -> None:
    pid = {"own": os.getpid(), "parent": os.getppid(), "init": 1, "zero": 0}[which]
    assert status_of(entry_now(pid=pid)) is LiveStatus.DEAD
    with pytest.raises(NotVerifiedError):
        LivenessChecker().verified_process(entry_now(pid=pid))


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("exited", LiveStatus.EXITED),
        ("killed", LiveStatus.KILLED),
        ("paused", LiveStatus.UNKNOWN),
        ("", LiveStatus.UNKNOWN),
    ],
)
def test_stored_statuses_other_than_running_are_as_stored(
    agents: Spawn, stored: str, expected: LiveStatus
) -> None:
    proc = agents("agent-1")  # alive, yet what zag recorded wins
    assert status_of(entry_now(pid=proc.pid, status=stored)) is expected


def test_pid_tagged_for_another_agent_is_dead(agents: Spawn) -> None:
    proc = agents("someone-else")
    verdict = LivenessChecker().verdict(entry_now(pid=proc.pid))
    assert verdict.status is LiveStatus.DEAD and "belongs to agent someone-else" in verdict.reason


def test_untagged_stranger_is_dead(agents: Spawn) -> None:
    proc = agents(None, argv=["sleep", "30"])
    verdict = LivenessChecker().verdict(entry_now(pid=proc.pid))
    assert verdict.status is LiveStatus.DEAD and "neither this agent nor zag" in verdict.reason


def test_zag_itself_before_retargeting_is_running(agents: Spawn, tmp_path: Path) -> None:
    sleep = shutil.which("sleep")
    assert sleep
    zag = tmp_path / "zag"
    shutil.copy(sleep, zag)
    # A nested zag inherits its parent agent's ZAG_PROCESS_ID and never shows its own entry's id
    # (zag passes it to its agent only): it is this entry's zag because it predates the entry.
    proc = agents("parent-agent", argv=[str(zag), "30"])
    entry = entry_now(pid=proc.pid, parent="parent-agent")
    assert status_of(entry) is LiveStatus.RUNNING
    assert status_of(entry_now(pid=proc.pid, parent="other")) is LiveStatus.DEAD


def _spawn_at_pid(spawn: Spawn, pid: int, entry_id: str | None) -> subprocess.Popen[bytes]:
    for _ in range(20):
        NS_LAST_PID.write_text(str(pid - 1))
        proc = spawn(entry_id)
        if proc.pid == pid:
            return proc
        proc.kill()
    pytest.fail(f"could not get pid {pid} back")


def _need_pid_control() -> None:
    if not os.access(NS_LAST_PID, os.W_OK) or os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run as root on Linux to reuse a pid for real")
        pytest.skip("reusing a pid needs root and /proc/sys/kernel/ns_last_pid")


def test_pid_reused_while_watched_is_dead_even_with_the_same_tag(agents: Spawn) -> None:
    _need_pid_control()
    first = agents("agent-1")
    checker = LivenessChecker()
    entry = entry_now(pid=first.pid)
    assert status_of(entry, checker) is LiveStatus.RUNNING
    time.sleep(0.05)  # create times have a 10 ms granularity on Linux
    first.kill()
    first.wait()
    second = _spawn_at_pid(agents, first.pid, "agent-1")  # same pid, same tag, new process
    assert status_of(entry, checker) is LiveStatus.DEAD
    with pytest.raises(NotVerifiedError, match="reused"):
        checker.verified_process(entry)
    assert second.poll() is None


def test_pid_reused_by_a_stranger_is_dead_for_a_fresh_checker(agents: Spawn) -> None:
    _need_pid_control()
    first = agents("agent-1")
    entry = entry_now(pid=first.pid)
    first.kill()
    first.wait()
    stranger = _spawn_at_pid(agents, first.pid, None)
    assert status_of(entry) is LiveStatus.DEAD
    assert stranger.poll() is None


@pytest.mark.skipif(sys.platform != "linux", reason="pidfds are Linux's")
def test_signals_go_through_a_pidfd_on_linux(agents: Spawn) -> None:
    proc = agents("agent-1")
    assert PIDFD_SIGNALS
    with PinnedProcess(proc.pid) as pinned:
        assert pinned.through_pidfd
    checker, entry = LivenessChecker(), entry_now(pid=proc.pid)
    checker.signal(entry, signal.SIGTERM)
    assert proc.wait(timeout=5) == -signal.SIGTERM


@pytest.mark.parametrize("use_pidfd", [True, False], ids=["pidfd", "psutil re-check"])
def test_a_process_replaced_between_its_check_and_the_signal_is_never_hit(
    agents: Spawn, use_pidfd: bool
) -> None:
    _need_pid_control()
    first = agents("agent-1")
    checker, entry = LivenessChecker(), entry_now(pid=first.pid)
    time.sleep(0.05)  # create times have a 10 ms granularity on Linux
    with PinnedProcess(first.pid, use_pidfd=use_pidfd) as pinned:
        assert pinned.through_pidfd is use_pidfd
        checker.verified_process(entry)  # the check passes: this is the agent
        first.kill()
        first.wait()
        second = _spawn_at_pid(agents, first.pid, "agent-1")  # same pid, same tag, not the agent
        with pytest.raises(ProcessLookupError):
            pinned.send(signal.SIGTERM)
    assert second.poll() is None
    second.kill()
    assert second.wait(timeout=5) == -signal.SIGKILL  # it never had the SIGTERM


def test_first_seen_memory_is_forgotten_with_the_entry(agents: Spawn) -> None:
    proc = agents("agent-1")
    checker, entry = LivenessChecker(), entry_now(pid=proc.pid)
    checker.statuses([entry])
    assert checker.first_seen(entry) == psutil.Process(proc.pid).create_time()
    checker.statuses([])
    assert checker.first_seen(entry) is None


def test_monitor_keeps_pid_memory_across_store_changes(agents: Spawn, base_dir: Path) -> None:
    from zag_tray.procs.monitor import Monitor

    proc = agents("agent-1")
    entry = make_entry(pid=proc.pid, entry_id="agent-1")
    write_store(base_dir, [entry])
    monitor = Monitor(base_dir / "processes.json")
    running = monitor.observe().running
    assert [e.id for e in running] == ["agent-1"]
    write_store(base_dir, [entry, make_entry(pid=1, entry_id="other", status="exited")])
    monitor.observe()
    created = psutil.Process(proc.pid).create_time()
    assert monitor.checker.first_seen(running[0]) == created  # still remembered after the store changed
