"""The monitor's activity (procs/monitor.py, sessions/tracker.py) with real running agents:
every state and its transitions as their logs are appended to while the monitor runs."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.factories import LoggedAgents, make_entry, write_store
from tests.session_logs import SessionLog, zag_time
from zag_tray.agents.activity import ActivityState
from zag_tray.agents.timestamps import parse_rfc3339
from zag_tray.procs.monitor import Monitor

S = ActivityState
Spawn = Callable[..., subprocess.Popen[bytes]]
Running = LoggedAgents


@pytest.fixture
def running(base_dir: Path, agents: Spawn) -> Running:
    return LoggedAgents(base_dir, agents)


def state(monitor: Monitor, entry_id: str, *, logs_only: bool = True) -> S:
    observation = monitor.observe_activity() if logs_only else monitor.observe()
    activity = observation.activity[entry_id]
    return activity.state_at(observation.observed_at)


def test_each_state_in_turn_as_the_log_grows(running: Running) -> None:
    log = running.start("agent-1", "interactive")
    monitor = Monitor(running.base / "processes.json")
    first = monitor.observe()
    assert first.activity["agent-1"].state_at(first.observed_at) is S.WORKING
    assert first.followed_logs == {str(log.path)} and monitor.followed_logs == {log.path}
    log.user_message("fix the failing test")
    log.tool_call("Bash", "t1", {"command": "cargo test"})
    assert state(monitor, "agent-1") is S.TOOL
    log.tool_result("t1", "Bash", output="ok")
    assert state(monitor, "agent-1") is S.WORKING
    log.assistant_message("All green.")
    log.turn_complete(1, {"input_tokens": 1200, "output_tokens": 300})
    seen = monitor.observe_activity()
    assert seen.activity["agent-1"].state_at(seen.observed_at) is S.WAITING
    assert [e.id for e in seen.began_waiting] == ["agent-1"] and [e.id for e in seen.needs_you()] == [
        "agent-1"
    ]
    again = monitor.observe_activity()
    assert again.began_waiting == () and again.activity["agent-1"] is seen.activity["agent-1"]  # unchanged
    log.usage_limit_hit("i1", scheduled_resume_at=zag_time(time.time() + 600))
    seen = monitor.observe_activity()
    assert seen.activity["agent-1"].state_at(seen.observed_at) is S.RATE_LIMITED
    assert seen.activity_due is not None and seen.activity_due > time.time() + 500
    log.usage_limit_resumed("i1")
    log.user_message("go on")
    assert state(monitor, "agent-1") is S.WORKING
    log.session_ended(success=True)
    assert state(monitor, "agent-1", logs_only=False) is S.FINISHED  # the process may outlive it


def test_a_wrapper_that_stops_its_heartbeats_is_stalled_and_one_more_revives_it(running: Running) -> None:
    log = running.start("agent-1", "exec")
    log.heartbeat(at=time.time() - 45)
    monitor = Monitor(running.base / "processes.json")
    assert state(monitor, "agent-1", logs_only=False) is S.STALLED
    log.heartbeat()
    seen = monitor.observe_activity()
    assert seen.activity["agent-1"].state_at(seen.observed_at) is S.WORKING
    assert seen.activity_due is not None and 29 < seen.activity_due - time.time() <= 31


def test_a_tool_pending_for_30_s_may_be_an_approval(running: Running) -> None:
    log = running.start("agent-1", "run")
    log.tool_call("Bash", "t1", {"command": "rm -rf build"}, at=time.time() - 31, source_kind="provider_file")
    seen = Monitor(running.base / "processes.json").observe()
    activity = seen.activity["agent-1"]
    assert activity.state_at(seen.observed_at) is S.TOOL and activity.maybe_approval(seen.observed_at)
    assert [e.id for e in seen.needs_you()] == ["agent-1"] and seen.began_waiting == ()


def test_an_agent_without_a_log_is_unknown_until_its_log_appears(running: Running) -> None:
    log = running.start("agent-1", log=False)
    monitor = Monitor(running.base / "processes.json")
    seen = monitor.observe()
    assert seen.activity["agent-1"].state_at(seen.observed_at) is S.UNKNOWN
    assert monitor.followed_logs == frozenset()
    # the observation says when the log is looked for again: the tray observes then
    assert seen.activity_due is not None and seen.activity_due - seen.observed_at <= 0.51
    log.session_started("exec")
    time.sleep(max(seen.activity_due - time.time(), 0.0))
    assert state(monitor, "agent-1") is S.WORKING


def test_a_plain_exec_too_old_to_link_is_not_looked_for_again(running: Running) -> None:
    proc = running.spawn("plain")
    entry = make_entry(pid=proc.pid, entry_id="plain", command="exec", started_at="2026-01-01T00:00:00Z")
    entry["session_id"] = None
    write_store(running.base, [entry])
    seen = Monitor(running.base / "processes.json").observe()
    assert seen.activity["plain"].state_at(seen.observed_at) is S.UNKNOWN
    assert seen.activity_due is None  # nothing to wake the tray for


def test_a_plain_exec_is_linked_to_its_log(running: Running) -> None:
    proc = running.spawn("plain")
    entry = make_entry(pid=proc.pid, entry_id="plain", command="exec")
    entry["session_id"] = None
    write_store(running.base, [entry])
    writer = SessionLog(running.base / "logs" / "sessions" / "0b1c-uuid.jsonl")
    writer.session_started("exec", at=(parse_rfc3339(str(entry["started_at"])) or 0) + 0.002)
    writer.user_message("hello")
    seen = Monitor(running.base / "processes.json").observe()
    assert seen.activity["plain"].turns == 1 and seen.followed_logs == {str(writer.path)}


def test_only_running_agents_are_followed(running: Running) -> None:
    running.start("agent-1")
    running.start("agent-2").user_message("hi")
    monitor = Monitor(running.base / "processes.json")
    assert set(monitor.observe().activity) == {"agent-1", "agent-2"}
    running.end("agent-1")
    seen = monitor.observe()
    assert set(seen.activity) == {"agent-2"} and len(seen.followed_logs) == 1


def test_a_monitor_can_leave_the_logs_alone(running: Running) -> None:
    running.start("agent-1")
    seen = Monitor(running.base / "processes.json", follow_logs=False).observe()
    assert seen.activity == {} and seen.followed_logs == frozenset()
