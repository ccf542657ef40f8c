"""A kill records exactly the entries whose process it signalled: matched by id and pid."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.factories import make_entry, with_member, write_store
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


def test_the_other_agent_of_a_repeated_id_can_be_killed_next(base_dir: Path, agents: Spawn) -> None:
    first, second = agents("dup-id"), agents("dup-id")
    store = write_store(
        base_dir,
        [make_entry(pid=first.pid, entry_id="dup-id"), make_entry(pid=second.pid, entry_id="dup-id")],
    )
    actions.kill(store, "dup-id", LivenessChecker())
    second.wait(timeout=5)
    outcome = actions.kill(store, "dup-id", LivenessChecker())
    assert [e.pid for e in outcome.signalled] == [first.pid]  # the one still running
    first.wait(timeout=5)
    assert statuses(store) == [("dup-id", first.pid, "killed"), ("dup-id", second.pid, "killed")]


LONE_SURROGATE = '"extra": "\\ud800"'
"""An unknown key holding a lone surrogate: JSON can escape one and zag's reader skips an
unknown key's value, so zag reads the entry (and the tray shows it)."""


def test_an_agent_with_a_lone_surrogate_in_an_unknown_key_is_recorded_killed(
    base_dir: Path, agents: Spawn
) -> None:
    proc = agents("odd-agent")
    store = write_store(base_dir, [make_entry(pid=proc.pid, entry_id="odd-agent")])
    with_member(store, LONE_SURROGATE)
    before = store.read_bytes()
    outcome = actions.kill(store, "odd-agent", LivenessChecker())
    assert outcome.ok and outcome.recorded == {"odd-agent"}
    assert statuses(store) == [("odd-agent", proc.pid, "killed")]
    assert LONE_SURROGATE.encode() in store.read_bytes()  # its bytes stay as written
    assert len(store.read_bytes().splitlines()) == len(before.splitlines())


def test_a_store_not_in_zags_layout_with_a_lone_surrogate_is_rewritten_readable(
    base_dir: Path, agents: Spawn
) -> None:
    proc = agents("odd-agent")
    entry = {**make_entry(pid=proc.pid, entry_id="odd-agent"), "extra": "\ud800"}
    store = base_dir / "processes.json"
    store.write_text(json.dumps({"processes": [entry]}), encoding="ascii")  # compact: not zag's layout
    outcome = actions.kill(store, "odd-agent", LivenessChecker())
    assert outcome.ok and outcome.recorded == {"odd-agent"}
    after = json.loads(store.read_bytes())["processes"][0]
    assert (after["status"], after["extra"]) == ("killed", "\ud800")
