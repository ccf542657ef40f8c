"""What a write leaves on disk: the store's owner, group and mode, and no temp files of
tray processes that are gone (never one of a live process's)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ORCH, SAMPLE
from tests.factories import entries_in, files_beside, make_entry, write_store
from zag_tray.store.errors import StoreError
from zag_tray.store.layout import serialise
from zag_tray.store.write import Target, update_entries

KILLED = {"status": "killed", "exit_code": None, "exited_at": "2026-03-28T10:30:00+00:00"}
ORCH_AGENT = Target(ORCH, 42000)


def gone_pid() -> int:
    """The pid of a process that has ended."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


def test_next_write_removes_temp_files_of_dead_tray_processes_only(
    store: Path, agents: Any, tmp_path: Path
) -> None:
    gone = gone_pid()
    alive = agents(None)
    cut_short = store.with_name(f".processes.json.zag-tray.{gone}.0.tmp")
    cut_short.write_bytes(b'{\n  "processes": [\n    {\n      "id": "half')
    of_a_live_tray = store.with_name(f".processes.json.zag-tray.{alive.pid}.3.tmp")
    of_a_live_tray.write_bytes(SAMPLE.read_bytes())
    of_zag = store.with_name(f".processes.json.{gone}.1.tmp")
    of_zag.write_bytes(SAMPLE.read_bytes())
    update_entries(store, {ORCH_AGENT: KILLED})
    assert files_beside(store) == sorted([of_a_live_tray.name, of_zag.name])


def test_a_save_left_at_a_dead_tray_temp_name_is_carried_over(store: Path) -> None:
    gone = gone_pid()
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"].append(make_entry(pid=9, entry_id="only-in-the-displaced-save"))
    displaced = store.with_name(f".processes.json.zag-tray.{gone}.7.tmp")
    displaced.write_bytes(serialise(doc))
    update_entries(store, {ORCH_AGENT: KILLED})
    after = entries_in(store)
    assert after["only-in-the-displaced-save"]["pid"] == 9
    assert after[ORCH]["status"] == "killed"
    assert files_beside(store) == []


def test_entries_gc_removed_since_a_save_was_left_behind_stay_removed(store: Path) -> None:
    """zag's ``gc`` removes finished entries, never running ones (ZAG_SESSIONS.md 5.2), and zag's
    ``add`` stores a new agent running: what a left-behind save holds beyond the store and is
    finished was removed since, not lost by our swap."""
    gone = gone_pid()
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"].append(make_entry(pid=9, entry_id="removed-by-gc", status="exited", exit_code=0))
    store.with_name(f".processes.json.zag-tray.{gone}.7.tmp").write_bytes(serialise(doc))
    update_entries(store, {ORCH_AGENT: KILLED})
    assert "removed-by-gc" not in entries_in(store)
    assert files_beside(store) == []


def test_a_write_of_nothing_leaves_temp_files_alone(store: Path) -> None:
    gone = gone_pid()
    leftover = store.with_name(f".processes.json.zag-tray.{gone}.0.tmp")
    leftover.write_bytes(b"{")
    assert update_entries(store, {Target("no-such-agent", 1): KILLED}) == set()
    assert files_beside(store) == [leftover.name]


def test_a_store_of_another_user_keeps_its_owner_group_and_mode(base_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    store = write_store(base_dir, [make_entry(pid=42, entry_id="theirs")])
    os.chown(store, 4242, 4343)
    os.chmod(store, 0o600)
    assert update_entries(store, {Target("theirs", 42): KILLED}) == {Target("theirs", 42)}
    status = os.stat(store)
    assert (status.st_uid, status.st_gid, status.st_mode & 0o7777) == (4242, 4343, 0o600)
    assert entries_in(store)["theirs"]["status"] == "killed"
    assert files_beside(store) == []


def as_user(uid: int, work: Any) -> str:
    """What ``work()`` returns when run by a forked copy of this process as ``uid`` (the
    interpreter lives where another user cannot start it, so no new program is run)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.write(write, str(work()).encode())
        except BaseException as exc:
            os.write(write, f"raised {exc!r}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as answer:
        said = answer.read()
    os.waitpid(child, 0)
    return said


def test_a_store_whose_owner_cannot_be_kept_is_refused() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to act as two users")
    shared = Path(tempfile.mkdtemp(prefix="zag-tray-shared-"))
    try:
        shared.chmod(0o777)  # anyone may add files here, as in a shared folder
        store = write_store(shared, [make_entry(pid=42, entry_id="theirs")])
        os.chown(store, 4242, 4242)
        store.chmod(0o666)
        before = store.read_bytes()

        def kill_as_another_user() -> str:
            try:
                update_entries(store, {Target("theirs", 42): KILLED})
            except StoreError as exc:
                return str(exc)
            return "written"

        assert as_user(4343, kill_as_another_user) == (
            f"{store}: belongs to user 4242 (group 4242), and user 4343 cannot give a new file"
            " that owner; nothing written"
        )
        assert store.read_bytes() == before
        assert os.stat(store).st_uid == 4242
        assert files_beside(store) == []
    finally:
        shutil.rmtree(shared)
