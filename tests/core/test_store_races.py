"""Writing while zag writes: the tray never deletes, moves away or rolls back a save of zag's.

zag saves with load -> change -> temp file -> rename and no lock (ZAG_STORE.md). A
save that lands while we write is carried into what we write next; a storm of zag
writers loses no more entries with the tray's kills than with zag's own.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ORCH, SAMPLE, WORKER
from tests.factories import entries_in, files_beside, make_entry, write_store
from zag_tray.store import swap
from zag_tray.store.layout import serialise
from zag_tray.store.write import Target, stats, update_entries

KILLED = {"status": "killed", "exit_code": None, "exited_at": "2026-03-28T10:30:00+00:00"}
ORCH_AGENT = Target(ORCH, 42000)


Change = Callable[[list[dict[str, Any]]], None]
"""What one save of zag's does to the entries."""


def zag_save(store: Path, change: Change) -> None:
    """One save as zag makes it: load, change, temp file, rename."""
    doc = json.loads(store.read_bytes())
    change(doc["processes"])
    tmp = store.with_name(f".{store.name}.{os.getpid()}.zag.tmp")
    tmp.write_bytes(serialise(doc))
    os.replace(tmp, store)


def add(entry_id: str) -> Change:
    """zag's ``add``: a new agent, stored running."""
    return lambda processes: processes.append(make_entry(pid=7, entry_id=entry_id))


def set_status(entry_id: str, status: str) -> Change:
    def change(processes: list[dict[str, Any]]) -> None:
        next(e for e in processes if e["id"] == entry_id)["status"] = status

    return change


def saves_around_our_exchange(monkeypatch: pytest.MonkeyPatch, before: Change, after: Change) -> None:
    """zag saves ``before`` right before our first exchange and ``after`` right after it:
    the two moments a save of zag's can be displaced, then moved away by a swap back."""
    exchange, calls = swap.exchange, []

    def paused(a: Path, b: Path) -> None:
        calls.append(b)
        if len(calls) == 1:
            zag_save(b, before)
        exchange(a, b)
        if len(calls) == 1:
            zag_save(b, after)

    monkeypatch.setattr(swap, "exchange", paused)


def test_saves_zag_makes_around_our_exchange_are_kept(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saves_around_our_exchange(monkeypatch, add("saved-before-our-swap"), add("saved-right-after-it"))
    merges = stats.merges
    assert update_entries(store, {ORCH_AGENT: KILLED}) == {ORCH_AGENT}
    after = entries_in(store)
    assert {"saved-before-our-swap", "saved-right-after-it"} <= after.keys()
    assert after[ORCH]["status"] == "killed"
    assert set(after) == {e["id"] for e in json.loads(SAMPLE.read_bytes())["processes"]} | {
        "saved-before-our-swap",
        "saved-right-after-it",
    }
    assert stats.merges == merges + 1
    assert files_beside(store) == []


def test_a_change_zag_saves_meanwhile_is_kept_and_its_exit_record_wins(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves_around_our_exchange(monkeypatch, set_status(WORKER, "exited"), set_status(ORCH, "exited"))
    assert update_entries(store, {ORCH_AGENT: KILLED}) == set()
    after = entries_in(store)
    assert (after[WORKER]["status"], after[ORCH]["status"]) == ("exited", "exited")
    assert files_beside(store) == []


RUNNING = [ORCH, WORKER, "8c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e05", "9d5e6f7a-8b9c-4d0e-1f2a-3b4c5d6e7f06"]
"""The sample's running entries: the ones zag may record the exit of."""

saves = st.lists(
    st.one_of(
        st.builds(lambda n: ("add", f"zag-added-{n}"), st.integers(0, 10**6)),
        st.builds(lambda entry_id: ("exit", entry_id), st.sampled_from(RUNNING)),
    ),
    max_size=4,
)


def applied(changes: list[tuple[str, str]]) -> Change:
    def change(processes: list[dict[str, Any]]) -> None:
        for what, entry_id in changes:
            (add(entry_id) if what == "add" else set_status(entry_id, "exited"))(processes)

    return change


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=saves, after=saves)
def test_whatever_zag_saves_around_our_exchange_is_kept(
    tmp_path: Path, before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(SAMPLE.read_bytes())
    with pytest.MonkeyPatch.context() as monkeypatch:
        saves_around_our_exchange(monkeypatch, applied(before), applied(after))
        recorded = update_entries(store, {ORCH_AGENT: KILLED})
    final = entries_in(store)
    zag_did = before + after
    assert {entry_id for what, entry_id in zag_did if what == "add"} <= final.keys()
    assert all(final[entry_id]["status"] == "exited" for what, entry_id in zag_did if what == "exit")
    orch_exited = ("exit", ORCH) in zag_did
    assert final[ORCH]["status"] == ("exited" if orch_exited else "killed")
    assert recorded == (set() if orch_exited else {ORCH_AGENT})
    assert files_beside(store) == []


STORM_SECONDS = 2.0
"""How long each storm runs (two run: well under a minute with start-up)."""
ZAG_WRITERS = 3

WRITER_PAUSE = 0.01
"""Between two saves of one zag writer."""
KILL_PAUSE = 0.003

ZAG_WRITER = (
    f"PAUSE = {WRITER_PAUSE}\n"
    + r"""
import fcntl, json, os, sys, time
import msgspec  # zag's serde_json is native code: so are this load and save
store, out, name = sys.argv[1:4]
start, seconds = float(sys.argv[4]), float(sys.argv[5])
added, unreadable = [], 0
turns = open(os.path.join(os.path.dirname(store), "writers.lock"), "wb")
while time.monotonic() < start:
    time.sleep(0.001)
while time.monotonic() < start + seconds:
    fcntl.flock(turns, fcntl.LOCK_EX)
    with open(store, "rb") as f:
        data = f.read()
    try:
        doc = msgspec.json.decode(data)
    except msgspec.DecodeError:
        unreadable += 1
        fcntl.flock(turns, fcntl.LOCK_UN)
        continue
    entry_id = f"{name}-{len(added)}"
    doc["processes"].append({"id": entry_id, "pid": 1, "session_id": None, "provider": "codex",
        "model": "gpt-5", "command": "exec", "prompt": None, "started_at": "2026-03-28T10:00:00Z",
        "status": "running", "exit_code": None, "exited_at": None, "root": None,
        "parent_process_id": None, "parent_session_id": None})  # zag's add: a new agent, running
    tmp = f"{os.path.dirname(store)}/.processes.json.{os.getpid()}.{len(added)}.tmp"
    with open(tmp, "wb") as f:
        f.write(msgspec.json.format(msgspec.json.encode(doc), indent=2))
    os.replace(tmp, store)
    fcntl.flock(turns, fcntl.LOCK_UN)
    added.append(entry_id)
    time.sleep(PAUSE)
with open(out, "w") as f:
    json.dump({"added": added, "unreadable": unreadable}, f)
"""
)

KILLER = (
    f"PAUSE = {KILL_PAUSE}\n"
    + r"""
import json, os, sys, time
store, mode, start, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
targets = json.loads(sys.argv[5])
killed = {"status": "killed", "exit_code": None, "exited_at": "2026-03-28T10:30:00+00:00"}
if mode == "tray":
    from pathlib import Path
    from zag_tray.store.errors import StoreError
    from zag_tray.store.write import Target, stats, update_entries

    def kill(entry_id, pid):
        try:
            return bool(update_entries(Path(store), {Target(entry_id, pid): killed}))
        except StoreError:  # the store kept changing: the tray reports the kill unrecorded
            return False
else:
    import msgspec

    def kill(entry_id, pid):  # one more zag: load, change, temp file, rename
        with open(store, "rb") as f:
            doc = msgspec.json.decode(f.read())
        for entry in doc["processes"]:
            if entry["id"] == entry_id and entry["status"] == "running":
                entry.update(killed)
        tmp = f"{os.path.dirname(store)}/.processes.json.{os.getpid()}.kill.tmp"
        with open(tmp, "wb") as f:
            f.write(msgspec.json.format(msgspec.json.encode(doc), indent=2))
        os.replace(tmp, store)
        return True

while time.monotonic() < start:
    time.sleep(0.001)
recorded = []
for entry_id, pid in targets:
    if time.monotonic() >= start + seconds:
        break
    if kill(entry_id, pid):
        recorded.append(entry_id)
    time.sleep(PAUSE)
figures = {"recorded": recorded}
if mode == "tray":
    figures.update(writes=stats.writes, merges=stats.merges)
print(json.dumps(figures))
"""
)

POLLING_READER = r"""
import json, sys, time
store, start, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
reads, failed = 0, 0
while time.monotonic() < start + seconds + 0.5:
    with open(store, "rb") as f:
        data = f.read()
    try:
        json.loads(data)
    except ValueError:
        failed += 1
    reads += 1
    time.sleep(0.002)
print(json.dumps({"reads": reads, "failed": failed}))
"""


def storm(base: Path, killer: str) -> dict[str, Any]:
    """zag writers adding entries while ``killer`` ("tray" or "zag") kills the running ones.

    The writers take turns (a lock only they know of), so every entry lost is lost to
    the kills: zag's writers also race one another, as much in one storm as in the
    other, and that would drown what the kills do in noise. The killer knows no lock.
    """
    base.mkdir()
    targets = [(f"target-{n}", 10_000 + n) for n in range(400)]
    store = write_store(base, [make_entry(pid=pid, entry_id=entry_id) for entry_id, pid in targets])
    start = time.monotonic() + 1.0  # every process has started by then
    timing = [str(start), str(STORM_SECONDS)]
    python = [sys.executable, "-c"]
    outs = [base / f"writer-{n}.json" for n in range(ZAG_WRITERS)]
    writers = [
        subprocess.Popen([*python, ZAG_WRITER, str(store), str(out), f"zag{n}", *timing])
        for n, out in enumerate(outs)
    ]
    reader = subprocess.Popen([*python, POLLING_READER, str(store), *timing], stdout=subprocess.PIPE)
    try:
        kills = subprocess.run(
            [*python, KILLER, str(store), killer, *timing, json.dumps(targets)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert kills.returncode == 0, kills.stderr.decode()
        assert all(writer.wait(timeout=60) == 0 for writer in writers)
        polled = json.loads(reader.communicate(timeout=60)[0])
    finally:
        for proc in (*writers, reader):
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    written = [json.loads(out.read_text()) for out in outs]
    killed = json.loads(kills.stdout)
    final = entries_in(store)
    added = [entry_id for each in written for entry_id in each["added"]]
    return {
        "written": len(added),
        "lost": sum(entry_id not in final for entry_id in added),
        "kills": len(killed["recorded"]),
        "kills lost": sum(final[entry_id]["status"] != "killed" for entry_id in killed["recorded"]),
        "merges": killed.get("merges", 0),
        "unreadable": sum(each["unreadable"] for each in written) + polled["failed"],
        "reads": polled["reads"],
    }


def test_a_storm_of_zag_saves_loses_no_more_entries_with_tray_kills_than_with_zags(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    zag = storm(tmp_path / "zag", "zag")
    tray = storm(tmp_path / "tray", "tray")
    record_property("storm", {"kills by one more zag": zag, "kills by the tray": tray})  # in the summary
    assert zag["written"] > 100 and tray["written"] > 100 and tray["kills"] > 20, (zag, tray)
    assert zag["unreadable"] == tray["unreadable"] == 0, (zag, tray)
    assert tray["lost"] <= zag["lost"], (zag, tray)


def test_without_an_exchange_the_write_is_a_rename_after_a_check(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_exchange(a: Path, b: Path) -> None:
        raise OSError(errno.ENOSYS, "no exchange here")

    monkeypatch.setattr(swap, "exchange", no_exchange)
    assert update_entries(store, {ORCH_AGENT: KILLED}) == {ORCH_AGENT}
    assert entries_in(store)[ORCH]["status"] == "killed"
    assert files_beside(store) == []
