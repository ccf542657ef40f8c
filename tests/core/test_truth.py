"""What the monitor says is true, with real processes: trees through dead agents, zag spawn's
two entries as one agent, ends zag recorded while the process runs on, deaths it saw."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.factories import entries_in, make_entry, write_store
from zag_tray.agents.present import outcome, runtime
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.timestamps import now_rfc3339
from zag_tray.agents.tree import descendants_deepest_first, walk
from zag_tray.procs import actions
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.procs.monitor import Monitor
from zag_tray.procs.stopping import StopTracker
from zag_tray.store.read import read_store

Spawn = Callable[..., subprocess.Popen[bytes]]


def shape(monitor_seen: object) -> list[tuple[int, str]]:
    return [(depth, node.entry.id) for depth, node in walk(monitor_seen.running_forest)]  # type: ignore[attr-defined]


def test_a_running_worker_of_a_dead_orchestrator_stays_under_the_running_top(
    base_dir: Path, agents: Spawn
) -> None:
    top, worker = agents("top"), agents("worker")
    store = write_store(
        base_dir,
        [
            make_entry(pid=top.pid, entry_id="top"),
            make_entry(pid=4_000_001, entry_id="orch", parent="top"),  # died: no process
            make_entry(pid=4_000_002, entry_id="lead", parent="orch", status="exited", exit_code=0),
            make_entry(pid=worker.pid, entry_id="worker", parent="lead"),
        ],
    )
    seen = Monitor(store).observe()
    assert shape(seen) == [(0, "top"), (1, "worker")]  # not a root of its own
    assert [n.entry.id for n in descendants_deepest_first(seen.running_forest[0])] == ["worker"]
    outcome_of_tree = actions.kill(store, "top", LivenessChecker(), tree=True)
    assert [e.id for e in outcome_of_tree.signalled] == ["worker", "top"]  # the CLI's kill --tree too


def test_zag_spawns_two_entries_for_one_child_and_it_is_one_agent(base_dir: Path, agents: Spawn) -> None:
    """ZAG_SESSIONS.md 5.4: the spawn entry (left running for good) and the child's own
    registration, siblings under the spawner sharing the child's session id."""
    spawner, wrapper, child = agents("spawner"), agents("spawner"), agents("child")
    spawn_entry = make_entry(pid=wrapper.pid, entry_id="spawn-entry", parent="spawner", command="exec")
    registration = make_entry(pid=child.pid, entry_id="child", parent="spawner")
    for entry in (spawn_entry, registration):
        entry.update(session_id="s-child", parent_session_id="s-spawner")
    registration["started_at"] = now_rfc3339()  # registered after the spawn entry
    top = make_entry(pid=spawner.pid, entry_id="spawner")
    top["session_id"] = "s-spawner"
    store = write_store(base_dir, [top, spawn_entry, registration])
    monitor = Monitor(store)
    seen = monitor.observe()
    assert shape(seen) == [(0, "spawner"), (1, "child")]
    assert len(seen.running) == 2
    registration.update(status="exited", exit_code=0, exited_at=now_rfc3339())
    write_store(base_dir, [top, spawn_entry, registration])
    child.kill()
    child.wait()
    ended = monitor.observe().finished
    assert [(f.entry.id, f.status) for f in ended] == [("child", LiveStatus.EXITED)]
    wrapper.kill()  # zag's background exec ends after its child: its spawn entry stays "running"
    wrapper.wait()
    seen = monitor.observe()
    assert seen.finished == () and [e.id for e in seen.running] == ["spawner"]


def test_a_child_whose_parent_entry_is_gone_goes_under_its_parent_session(
    base_dir: Path, agents: Spawn
) -> None:
    parent, child = agents("parent"), agents("child")
    top = make_entry(pid=parent.pid, entry_id="parent")
    top["session_id"] = "s-parent"
    kid = make_entry(pid=child.pid, entry_id="child", parent="an-id-gc-removed")
    kid["parent_session_id"] = "s-parent"
    seen = Monitor(write_store(base_dir, [top, kid])).observe()
    assert shape(seen) == [(0, "parent"), (1, "child")]


def test_an_end_zag_recorded_while_the_process_runs_on_is_running_with_a_force_kill(
    base_dir: Path, handler_agent: Callable[[str, str, str], tuple[subprocess.Popen[bytes], Path]]
) -> None:
    """zag's ``ps kill`` records the kill, then sends SIGTERM: an agent that ignores it runs on."""
    stubborn, _ = handler_agent("stubborn", "SIGTERM", "ignore")
    store = write_store(
        base_dir,
        [make_entry(pid=stubborn.pid, entry_id="stubborn", status="killed", exited_at=now_rfc3339())],
    )
    monitor = Monitor(store)
    seen = monitor.observe()
    assert [e.id for e in seen.running] == ["stubborn"]
    state = seen.state_of(seen.running[0])
    assert outcome(seen.running[0], state).label == "still running (recorded killed)"
    actions.kill(store, "stubborn", LivenessChecker(), force=True)
    seen = monitor.observe()
    assert seen.running == () and [(f.entry.id, f.status) for f in seen.finished] == [
        ("stubborn", LiveStatus.KILLED)
    ]


def test_an_old_end_of_a_reused_pid_is_not_running(base_dir: Path, agents: Spawn) -> None:
    stranger = agents(None)  # not tagged: a pid zag's entry names, now someone else's
    store = write_store(
        base_dir, [make_entry(pid=stranger.pid, entry_id="ended", status="killed", exited_at=now_rfc3339())]
    )
    seen = Monitor(store).observe()
    assert seen.running == () and seen.status_of(seen.snapshot.entries[0]) is LiveStatus.KILLED


def test_a_death_the_tray_saw_has_a_runtime_that_stops_and_is_recently_finished(
    base_dir: Path, agents: Spawn
) -> None:
    proc = agents("mortal")
    store = write_store(base_dir, [make_entry(pid=proc.pid, entry_id="mortal")])
    monitor = Monitor(store)
    monitor.observe()
    proc.kill()
    proc.wait()
    seen = monitor.observe()
    (died,) = seen.finished
    assert died.status is LiveStatus.DEAD and died.state.gone_at is not None
    later = seen.observed_at + 3600
    assert runtime(died.entry, seen.state_of(died.entry), later) == runtime(
        died.entry, died.state, later + 86400
    )
    assert [e.id for e in seen.finished_since(seen.observed_at - 60)] == ["mortal"]


def test_agents_signalled_together_are_announced_together(base_dir: Path) -> None:
    store = write_store(base_dir, [make_entry(pid=1000 + n, entry_id=f"a{n}") for n in range(3)])
    entries = read_store(store).entries
    tracker = StopTracker(grace=60)
    tracker.add(entries, "SIGTERM", at=0.0)
    running, dead = LiveStatus.RUNNING, LiveStatus.DEAD
    first = tracker.settle(store, {"a0": dead, "a1": running, "a2": running}, now=1.0)
    assert (first.ended, first.held, set(first.stopping)) == ({}, {"a0": "SIGTERM"}, {"a1", "a2"})
    second = tracker.settle(store, {"a1": dead, "a2": dead}, now=2.0)
    assert (second.ended, second.held, second.stopping) == (
        dict.fromkeys(("a0", "a1", "a2"), "SIGTERM"),
        {},
        {},
    )
    assert {e["id"]: e["status"] for e in entries_in(store).values()} == dict.fromkeys(
        ("a0", "a1", "a2"), "killed"
    )


def test_one_that_outlives_the_grace_does_not_hold_back_the_others(base_dir: Path) -> None:
    store = write_store(base_dir, [make_entry(pid=1000 + n, entry_id=f"a{n}") for n in range(2)])
    tracker = StopTracker(grace=5)
    tracker.add(read_store(store).entries, "SIGTERM", at=0.0)
    settled = tracker.settle(store, {"a0": LiveStatus.DEAD, "a1": LiveStatus.RUNNING}, now=6.0)
    assert settled.ended == {"a0": "SIGTERM"} and settled.stopping["a1"].overdue
