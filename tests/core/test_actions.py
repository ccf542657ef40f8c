"""Kill, kill tree, stop and open-root on real processes and a copy of the shared fixture."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import GRANDCHILD, ORCH, ORPHAN, SAMPLE, WORKER, LiveSample
from tests.factories import entry_now, write_one
from zag_tray.agents.timestamps import now_rfc3339
from zag_tray.procs import actions
from zag_tray.procs.actions import ActionError
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.store.layout import serialise

Spawn = Callable[..., subprocess.Popen[bytes]]
HandlerAgent = Callable[[str, str, str], tuple[subprocess.Popen[bytes], Path]]


def expected_after_kill(before: bytes, killed: set[str], exited_at: str) -> bytes:
    doc = json.loads(before)
    for item in doc["processes"]:
        if item["id"] in killed:
            item.update(status="killed", exit_code=None, exited_at=exited_at)
    return serialise(doc)


def exited_at_of(store: Path, entry_id: str) -> str:
    return next(e["exited_at"] for e in json.loads(store.read_bytes())["processes"] if e["id"] == entry_id)


def test_kill_ends_the_agent_and_changes_only_its_entry(live_sample: LiveSample) -> None:
    before = live_sample.path.read_bytes()
    outcome = actions.kill(live_sample.path, ORPHAN, LivenessChecker())
    assert outcome.ok and [e.id for e in outcome.signalled] == [ORPHAN]
    assert outcome.recorded == {ORPHAN}
    live_sample.procs[ORPHAN].wait(timeout=5)
    after = live_sample.path.read_bytes()
    assert after == expected_after_kill(before, {ORPHAN}, exited_at_of(live_sample.path, ORPHAN))
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert [b.strip().split(b":")[0] for _, b in changed] == [b'"status"', b'"exited_at"']
    assert b'"future_field": {\n        "kept": true\n      }' in after
    assert all(live_sample.alive(i) for i in (ORCH, WORKER, GRANDCHILD))
    assert sorted(p.name for p in live_sample.base.iterdir()) == ["processes.json"]


def test_kill_tree_ends_descendants_deepest_first_and_no_bystander(live_sample: LiveSample) -> None:
    outcome = actions.kill(live_sample.path, ORCH, LivenessChecker(), tree=True)
    assert [e.id for e in outcome.signalled] == [GRANDCHILD, WORKER, ORCH]
    for entry_id in (GRANDCHILD, WORKER, ORCH):
        live_sample.procs[entry_id].wait(timeout=5)
    assert live_sample.alive(ORPHAN)
    statuses = {e["id"]: e["status"] for e in json.loads(live_sample.path.read_bytes())["processes"]}
    assert [statuses[i] for i in (ORCH, WORKER, GRANDCHILD, ORPHAN)] == ["killed"] * 3 + ["running"]
    assert statuses["7b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d04"] == "killed"  # was killed already


def test_kill_refuses_an_agent_that_is_not_running(base_dir: Path) -> None:
    store = base_dir / "processes.json"
    store.write_bytes(SAMPLE.read_bytes())  # placeholder pids: nothing runs
    with pytest.raises(ActionError, match="is not running \\(dead\\)"):
        actions.kill(store, ORCH, LivenessChecker())
    with pytest.raises(ActionError, match="is not running \\(exited\\)"):
        actions.kill(store, "0b7d3c1e", LivenessChecker())
    assert store.read_bytes() == SAMPLE.read_bytes()


def test_kill_refuses_unknown_and_ambiguous_ids(live_sample: LiveSample) -> None:
    with pytest.raises(ActionError, match="no agent with id"):
        actions.kill(live_sample.path, "nope", LivenessChecker())
    with pytest.raises(ActionError, match="no agent with id"):
        actions.kill(live_sample.path, "5f1", LivenessChecker())  # too short to be a prefix


def test_an_agent_that_ignores_sigterm_is_not_recorded_killed_until_a_force_kill_ends_it(
    base_dir: Path, handler_agent: HandlerAgent
) -> None:
    stubborn, marker = handler_agent("stubborn", "SIGTERM", "ignore")
    store = write_one(base_dir, "stubborn", stubborn.pid)
    outcome = actions.kill(store, "stubborn", LivenessChecker(), wait=0.5)
    assert marker.read_text() == "SIGTERM"
    assert [e.id for e in outcome.still_running] == ["stubborn"] and outcome.recorded == frozenset()
    assert json.loads(store.read_bytes())["processes"][0]["status"] == "running"  # it is, still
    forced = actions.kill(store, "stubborn", LivenessChecker(), force=True)
    assert forced.signal == "SIGKILL" and forced.recorded == {"stubborn"} and forced.still_running == ()
    assert stubborn.wait(timeout=5) is not None  # gone (the kill waited for it: its exit code is psutil's)
    assert json.loads(store.read_bytes())["processes"][0]["status"] == "killed"


def test_a_force_kill_ends_an_agent_zag_recorded_killed_that_ignored_it(
    base_dir: Path, handler_agent: HandlerAgent
) -> None:
    """zag's ``ps kill`` records the kill, then signals: an agent that ignores SIGTERM runs on."""
    stubborn, _ = handler_agent("stubborn", "SIGTERM", "ignore")
    store = write_one(base_dir, "stubborn", stubborn.pid, status="killed", exited_at=now_rfc3339())
    recorded = store.read_bytes()
    forced = actions.kill(store, "stubborn", LivenessChecker(), force=True)
    assert [e.id for e in forced.signalled] == ["stubborn"] and forced.signal == "SIGKILL"
    assert forced.recorded == frozenset() and forced.still_running == ()
    assert stubborn.wait(timeout=5) is not None
    assert store.read_bytes() == recorded  # zag's record stands


def test_force_refuses_a_killed_entry_whose_process_is_gone(base_dir: Path) -> None:
    store = write_one(base_dir, "gone", 999_999, status="killed")
    with pytest.raises(ActionError, match="not running"):
        actions.kill(store, "gone", LivenessChecker(), force=True)


def test_stop_sends_sighup_and_leaves_the_store(base_dir: Path, handler_agent: HandlerAgent) -> None:
    proc, marker = handler_agent("hup", "SIGHUP", "exit")
    store = write_one(base_dir, "hup", proc.pid)
    before = store.read_bytes()
    actions.stop(store, "hup", LivenessChecker())
    assert proc.wait(timeout=5) == 0
    assert marker.read_text() == "SIGHUP"
    assert store.read_bytes() == before


def test_stop_refuses_an_agent_that_is_not_running(base_dir: Path) -> None:
    store = write_one(base_dir, "dead", 999_999)
    with pytest.raises(ActionError, match="not running"):
        actions.stop(store, "dead", LivenessChecker())


def test_open_root_accepts_only_an_existing_directory(tmp_path: Path) -> None:
    assert actions.root_to_open(entry_now(pid=5, root=str(tmp_path))) == tmp_path
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    for root, message in (
        (str(script), "is not a directory"),
        (str(tmp_path / "gone"), "does not exist"),
        (None, "has no root"),
        ("relative/dir", "not an absolute path"),
    ):
        with pytest.raises(ActionError, match=message):
            actions.root_to_open(entry_now(pid=5, root=root))
