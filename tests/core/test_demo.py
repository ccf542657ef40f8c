"""``zag-tray demo``'s agents: real, nested two levels, and gone after the demo."""

from __future__ import annotations

import time

import psutil

from tests.factories import activity_of_log, wait_for
from zag_tray.agents.activity import Activity, ActivityState
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.tree import build_forest, walk
from zag_tray.demo import DemoAgents, spawn_agent
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.sessions.locate import LogLocator
from zag_tray.store.read import read_store


def test_demo_agents_are_live_nested_and_cleaned_up() -> None:
    with DemoAgents() as demo:
        snapshot = read_store(demo.store)
        statuses = LivenessChecker().statuses(snapshot.entries)
        running = [e for e in snapshot.entries if statuses[e.id] is LiveStatus.RUNNING]
        assert len(running) == 4 and len(snapshot.entries) == 7
        depths = [d for d, _ in walk(build_forest(running))]
        assert max(depths) == 2
        pids = [e.pid for e in running]
        base = demo.base
    assert not base.exists()
    assert not any(
        psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids
    )


def test_a_spawned_agent_is_verifiable_the_moment_spawn_returns() -> None:
    # Linux shows an empty environment until an exec has set it up, after Popen returns
    # (about 1 spawn in 75 here): a store written then named an agent that could not be verified.
    for _ in range(200):
        proc = spawn_agent("agent-x", ["sleep", "30"])
        try:
            assert psutil.Process(proc.pid).environ().get("ZAG_PROCESS_ID") == "agent-x"
        finally:
            proc.kill()
            proc.wait()


def test_demo_agents_log_what_they_do_where_the_tray_finds_it() -> None:
    with DemoAgents() as demo:
        snapshot = read_store(demo.store)
        running = {f"{e.provider} {e.model}": e for e in snapshot.entries if e.status == "running"}
        locator = LogLocator(demo.base)

        def activity(name: str) -> Activity:
            path = locator.find(running[name])
            assert path is not None, f"no session log found for {name}"
            return activity_of_log(path)

        def state(name: str) -> ActivityState:
            return activity(name).state_at(time.time())

        assert state("gemini pro") is ActivityState.TOOL  # pending 45 s: it may wait for you
        assert activity("gemini pro").maybe_approval(time.time())
        assert state("claude sonnet") is ActivityState.RATE_LIMITED
        # The others change with time (timeouts: a loaded machine may start the demo slowly):
        # the worker runs its tests 7 s of every 15, the orchestrator ends its turn 6 s in.
        wait_for("the worker to run its tests", lambda: state("codex gpt-5") == "tool", timeout=20)
        wait_for("the orchestrator to wait for you", lambda: state("claude opus") == "waiting", timeout=20)
        assert activity("claude opus").turns == 1
        assert activity("claude opus").usage.cost_usd == 0.42
