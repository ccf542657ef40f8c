"""A kill records exactly the entries whose process it signalled: matched by id and pid."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.factories import make_entry, write_store
from zag_tray.procs import actions
from zag_tray.procs.liveness import LivenessChecker

Spawn = Callable[..., subprocess.Popen[bytes]]


def statuses(store: Path) -> list[tuple[str, int, str]]:
    return [(e["id"], e["pid"], e["status"]) for e in json.loads(store.read_bytes())["processes"]]


def test_kill_of_a_repeated_id_records_only_the_entry_it_signalled(base_dir: Path, agents: Spawn) -> None:
    first, second = agents("dup-id"), agents("dup-id")
    store = write_store(
        base_dir,
        [make_entry(pid=first.pid, entry_id="dup-id"), make_entry(pid=second.pid, entry_id="dup-id")],
    )
    outcome = actions.kill(store, "dup-id", LivenessChecker())
    assert [e.pid for e in outcome.signalled] == [second.pid]  # zag's last entry of an id wins
    second.wait(timeout=5)
    assert first.poll() is None
    assert statuses(store) == [("dup-id", first.pid, "running"), ("dup-id", second.pid, "killed")]
    assert outcome.recorded == {"dup-id"}
