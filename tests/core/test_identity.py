"""Only a process whose identity is verified is ever signalled (procs/liveness.py).

Every test runs a real process at an entry's pid and tries what a user can: kill,
kill --force, kill a tree, stop, through the functions the tray calls and through
the real CLI. "Never signalled" is proved after the fact: the test then sends
SIGKILL itself, and the process must have died of that SIGKILL, not of an earlier
SIGTERM or SIGHUP (the kernel keeps the first fatal signal as the exit status).
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from tests.factories import entry_now, wait_for, write_one
from zag_tray.agents.present import ORANGE, outcome
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.timestamps import rfc3339
from zag_tray.procs import actions
from zag_tray.procs.actions import ActionError
from zag_tray.procs.liveness import LivenessChecker, started_by_zag

Run = Callable[..., subprocess.CompletedProcess[str]]
Launch = Callable[..., subprocess.Popen[bytes]]
OTHER_UID = 1001  # no account needs to exist for a uid to run a process


def _exec_done(pid: int, name: str, *, with_environment: bool = True) -> bool:
    """The process runs ``name`` and (Linux shows none for an instant) has its environment."""
    try:
        proc = psutil.Process(pid)
        return proc.name() == name and (bool(proc.environ()) or not with_environment)
    except psutil.Error:
        return False


@pytest.fixture
def launch() -> Iterator[Launch]:
    """``launch(argv, tag=..., name=...)``: a real process, returned once it runs ``name``;
    all are ended after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        argv: list[str],
        *,
        tag: str | None = None,
        name: str | None = None,
        with_environment: bool = True,
        stdout: int | None = None,
    ) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if k != "ZAG_PROCESS_ID"}
        if tag is not None:
            env["ZAG_PROCESS_ID"] = tag
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=stdout)
        started.append(proc)
        expected = name or Path(argv[0]).name
        wait_for("the exec", lambda: _exec_done(proc.pid, expected, with_environment=with_environment))
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def assert_never_signalled(proc: subprocess.Popen[bytes]) -> None:
    assert proc.poll() is None, f"pid {proc.pid} ended (exit {proc.returncode})"
    proc.kill()
    assert proc.wait(timeout=5) == -signal.SIGKILL  # a SIGTERM or SIGHUP sent before would show here


def try_every_action(store: Path, entry_id: str, message: str) -> None:
    """Stop, kill, kill --force and kill the tree --force, as the tray and the CLI call them;
    each must be refused with ``message``."""
    with pytest.raises(ActionError, match=message):
        actions.stop(store, entry_id, LivenessChecker())
    for tree in (False, True):
        for force in (False, True):
            with pytest.raises(ActionError, match=message):
                actions.kill(store, entry_id, LivenessChecker(), tree=tree, force=force)


def _need_root() -> None:
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run as root on Linux to run processes as another user")
        pytest.skip("running a process as another user or set-uid needs root")


def _program(tmp_path: Path, name: str) -> Path:
    """Where a test puts a program of its own (``tmp_path / "zag"`` is the store's folder)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    return folder / name


def _sleep() -> str:
    path = shutil.which("sleep")
    assert path
    return path


def test_a_process_with_a_cleared_environment_is_unverified_and_never_signalled(
    launch: Launch, base_dir: Path
) -> None:
    proc = launch(["env", "-i", _sleep(), "60"], name="sleep", with_environment=False)
    verdict = LivenessChecker().verdict(entry_now(pid=proc.pid))
    assert verdict.status is LiveStatus.UNVERIFIED
    assert verdict.reason == f"the environment of pid {proc.pid} is empty, so it cannot name this entry"
    try_every_action(write_one(base_dir, "agent-1", proc.pid), "agent-1", "cannot verify")
    assert_never_signalled(proc)


@pytest.mark.parametrize("tag", ["someone-else", "the-parent"])
def test_a_process_tagged_for_another_agent_or_for_the_parent_is_dead_and_never_signalled(
    launch: Launch, base_dir: Path, tag: str
) -> None:
    proc = launch([_sleep(), "60"], tag=tag)
    entry = entry_now(pid=proc.pid, parent="the-parent")
    verdict = LivenessChecker().verdict(entry)
    assert verdict.status is LiveStatus.DEAD
    store = write_one(base_dir, "agent-1", proc.pid, parent="the-parent")
    try_every_action(store, "agent-1", "is not running \\(dead\\)")
    assert_never_signalled(proc)


@pytest.mark.parametrize("tag", [None, "the-parent"])
def test_zag_itself_is_the_agent_while_it_holds_the_entry_it_wrote(
    launch: Launch, base_dir: Path, tmp_path: Path, tag: str | None
) -> None:
    # zag registers the entry with its own pid and passes ZAG_PROCESS_ID to the agent only
    # (zag-agent/src/process_registration.rs): its own environment has no tag, or, nested,
    # the parent agent's. What tells it from another zag is that it started before the entry
    # was written (plan and review keep their entry on zag all along).
    zag = _program(tmp_path, "zag")
    shutil.copy(_sleep(), zag)
    proc = launch([str(zag), "60"], tag=tag)
    verdict = LivenessChecker().verdict(entry_now(pid=proc.pid, parent="the-parent"))
    assert verdict.status is LiveStatus.RUNNING
    assert verdict.reason == "zag itself, which wrote this entry (before it hands it to its agent)"
    store = write_one(base_dir, "agent-1", proc.pid, parent="the-parent")
    actions.stop(store, "agent-1", LivenessChecker())
    assert proc.wait(timeout=5) == -signal.SIGHUP


@pytest.mark.parametrize("tag", [None, "the-parent"])
def test_a_zag_younger_than_the_entry_is_another_zag_and_never_signalled(
    launch: Launch, base_dir: Path, tmp_path: Path, tag: str | None
) -> None:
    zag = _program(tmp_path, "zag")
    shutil.copy(_sleep(), zag)
    proc = launch([str(zag), "60"], tag=tag)
    written = rfc3339(datetime.now(UTC) - timedelta(minutes=1))  # the entry is older than this zag
    verdict = LivenessChecker().verdict(entry_now(pid=proc.pid, parent="the-parent", started_at=written))
    assert verdict.status is LiveStatus.DEAD
    assert (
        verdict.reason
        == f"pid {proc.pid} is a zag started after this entry was written, not the one that wrote it"
    )
    store = write_one(base_dir, "agent-1", proc.pid, parent="the-parent", started_at=written)
    try_every_action(store, "agent-1", "is not running \\(dead\\)")
    assert_never_signalled(proc)


@pytest.mark.parametrize("mode", [stat.S_ISUID, stat.S_ISGID], ids=["set-uid", "set-gid"])
def test_a_set_id_process_is_never_signalled_even_when_it_names_the_entry(
    launch: Launch, base_dir: Path, tmp_path: Path, mode: int
) -> None:
    _need_root()
    program = _program(tmp_path, "setid-sleep")
    shutil.copy(_sleep(), program)
    os.chown(program, OTHER_UID, OTHER_UID)
    program.chmod(0o755 | mode)
    proc = launch([str(program), "60"], tag="agent-1")  # run by root: real ids 0, one effective id 1001
    verdict = LivenessChecker().verdict(entry_now(pid=proc.pid))
    assert verdict.status is LiveStatus.UNVERIFIED
    assert verdict.reason == f"pid {proc.pid} runs set-uid or set-gid"
    try_every_action(write_one(base_dir, "agent-1", proc.pid), "agent-1", "cannot verify")
    assert_never_signalled(proc)


def test_a_process_of_another_user_is_never_signalled_even_forced_through_the_cli(
    launch: Launch, base_dir: Path, run_cli: Run
) -> None:
    _need_root()
    argv = ["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups", _sleep(), "60"]
    proc = launch(argv, tag="agent-1", name="sleep")
    wait_for("the uid change", lambda: psutil.Process(proc.pid).uids().real == OTHER_UID)
    verdict = LivenessChecker().verdict(entry_now(pid=proc.pid))
    assert verdict.status is LiveStatus.UNVERIFIED
    assert verdict.reason == f"pid {proc.pid} belongs to another user (uid {OTHER_UID})"
    store = write_one(base_dir, "agent-1", proc.pid)
    before = store.read_bytes()
    try_every_action(store, "agent-1", "cannot verify")
    for args in (
        ["kill", "agent-1"],
        ["kill", "agent-1", "--force"],
        ["kill", "agent-1", "--tree", "--force"],
    ):
        done = run_cli(*args, "--base-dir", str(base_dir))
        assert done.returncode == 1 and "cannot verify" in done.stderr, done
    assert store.read_bytes() == before
    assert_never_signalled(proc)


def test_an_unverified_agent_is_shown_as_cannot_verify_in_orange() -> None:
    shown = outcome(entry_now(pid=5), LiveStatus.UNVERIFIED)
    assert (shown.label, shown.phrase, shown.colour, shown.failed) == (
        "cannot verify",
        "cannot be verified",
        ORANGE,
        False,
    )


def test_where_no_environment_can_be_read_the_agent_is_known_by_its_zag_parent(
    launch: Launch, tmp_path: Path
) -> None:
    # The check macOS and Windows fall back on (procs/liveness.py); it runs here on real
    # processes, the branch that uses it cannot.
    zag = _program(tmp_path, "zag")
    zag.write_text(f'#!/bin/sh\n"{_sleep()}" 60 &\necho $!\nwait\n')
    zag.chmod(0o755)
    wrapper = launch([str(zag)], stdout=subprocess.PIPE, name="zag")
    assert wrapper.stdout is not None
    child = psutil.Process(int(wrapper.stdout.readline()))
    stranger = launch([_sleep(), "60"])
    assert started_by_zag(entry_now(pid=child.pid), child)
    assert not started_by_zag(entry_now(pid=stranger.pid), psutil.Process(stranger.pid))
    assert not started_by_zag(entry_now(pid=wrapper.pid), psutil.Process(wrapper.pid))  # zag itself
    if sys.platform == "linux":
        assert LivenessChecker().verdict(entry_now(pid=child.pid)).status is LiveStatus.DEAD  # untagged
