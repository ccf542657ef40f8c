"""The command line's activity: list's ACTIVITY column, show's activity, usage, result and
events, the ``activity`` object of --json, and ``watch`` (a real process, real agents)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.factories import LineReader, make_entry, write_store
from tests.session_logs import SessionLog, log_path
from zag_tray.cli import main

Spawn = Callable[..., subprocess.Popen[bytes]]
KEYS = ["state", "since", "last_event_at", "tool", "resume_at", "turns", "usage", "result", "log"]
CLEAR = "\x1b[2J"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


@pytest.fixture
def busy(base_dir: Path, agents: Spawn) -> dict[str, Any]:
    """Two running agents (one running a tool, one waiting) and a finished one, with logs."""
    tool, waiting = agents("tool-agent"), agents("wait-agent")
    entries = [
        make_entry(pid=tool.pid, entry_id="tool-agent", command="run"),
        make_entry(pid=waiting.pid, entry_id="wait-agent", command="interactive", root="/home/u/proj"),
        make_entry(
            pid=1, entry_id="done-agent", status="exited", exit_code=0, exited_at="2026-03-28T10:00:00Z"
        ),
    ]
    write_store(base_dir, entries)
    logs = {e["id"]: SessionLog(log_path(base_dir, e["root"], e["session_id"])) for e in entries}
    logs["tool-agent"].session_started("run")
    logs["tool-agent"].tool_call(CLEAR + "Bash", "t1", {"command": "cargo test"})
    logs["wait-agent"].session_started("interactive")
    logs["wait-agent"].user_message("fix the test")
    logs["wait-agent"].assistant_message("Fixed.\nAll green.")
    logs["wait-agent"].turn_complete(1, {"input_tokens": 12_300, "output_tokens": 4_100})
    logs["done-agent"].session_started("exec")
    logs["done-agent"].assistant_message("The answer is 42" + CLEAR)
    logs["done-agent"].usage(1500, 800, total_cost_usd=0.42)
    logs["done-agent"].session_ended(success=True)
    return {"base": base_dir, "logs": logs}


def test_list_has_an_activity_column(busy: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(capsys, "list", "--all", "--base-dir", str(busy["base"]))
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert code == 0 and out.splitlines()[0].split()[4] == "ACTIVITY"
    assert "running \\x1b[2JBash · " in rows["tool-age"]  # escaped, not acted on
    assert "waiting for you · " in rows["wait-age"]
    assert "exited (0)  —  " in rows["done-age"]  # a finished agent's log is show's, not list's


def test_list_json_carries_the_activity_object(
    busy: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = cli(capsys, "list", "--all", "--json", "--flat", "--base-dir", str(busy["base"]))
    by_id = {agent["id"]: agent for agent in json.loads(out)}
    assert code == 0
    tool, waiting = by_id["tool-agent"]["activity"], by_id["wait-agent"]["activity"]
    assert list(tool) == KEYS and list(tool["usage"]) == ["input_tokens", "output_tokens", "cost_usd"]
    assert (tool["state"], tool["tool"], tool["turns"]) == ("tool", CLEAR + "Bash", 0)
    assert tool["log"] == str(busy["logs"]["tool-agent"].path) and tool["since"].endswith("+00:00")
    assert (waiting["state"], waiting["result"], waiting["turns"]) == ("waiting", "Fixed.\nAll green.", 1)
    assert waiting["usage"] == {"input_tokens": 12300, "output_tokens": 4100, "cost_usd": None}
    assert by_id["done-agent"]["activity"] is None
    assert "\x1b" not in out  # escaped as \u001b


def test_show_reads_a_finished_agents_log(busy: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(capsys, "show", "done-agent", "--base-dir", str(busy["base"]))
    lines = out.splitlines()
    assert code == 0 and "\x1b" not in out
    shown = {line[:19].strip(): line[19:] for line in lines if line[:19].strip()}
    assert shown["activity"].startswith("finished (since ")
    assert shown["usage"] == "1.5k in / 800 out · $0.42" and shown["turns"] == "0"
    assert shown["result"] == "The answer is 42\\x1b[2J"
    assert shown["events"].endswith("assistant: The answer is 42\\x1b[2J")
    assert lines[-1].endswith("ended: success")
    code, out = cli(capsys, "show", "done-agent", "--json", "--base-dir", str(busy["base"]))
    activity = json.loads(out)["activity"]
    assert (activity["state"], activity["usage"]["cost_usd"], activity["result"]) == (
        "finished",
        0.42,
        "The answer is 42" + CLEAR,
    )


def test_show_json_caps_the_result_at_2000_characters(
    base_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = make_entry(pid=1, entry_id="long", status="exited", exit_code=0)
    write_store(base_dir, [entry])
    log = SessionLog(log_path(base_dir, None, entry["session_id"]))
    log.session_started()
    log.session_result("r" * 5000)
    _, out = cli(capsys, "show", "long", "--json", "--base-dir", str(base_dir))
    assert json.loads(out)["activity"]["result"] == "r" * 2000


# --- watch ---------------------------------------------------------------------------------------


class Watch(LineReader):
    """``zag-tray watch`` as a real process on ``base``."""

    def __init__(self, base: Path, *flags: str) -> None:
        super().__init__([sys.executable, "-m", "zag_tray", "watch", *flags, "--base-dir", str(base)])


def test_watch_json_says_hello_a_snapshot_and_each_change(base_dir: Path, agents: Spawn) -> None:
    proc = agents("agent-1")
    entry = make_entry(pid=proc.pid, entry_id="agent-1", command="interactive")
    write_store(base_dir, [entry])
    log = SessionLog(log_path(base_dir, None, entry["session_id"]))
    log.session_started("interactive")
    watch = Watch(base_dir, "--json")
    try:
        hello = watch.event()
        assert hello["event"] == "hello" and hello["schema"] == 1 and hello["host"] and hello["version"]
        snapshot = watch.event()
        assert [a["id"] for a in snapshot["agents"]] == ["agent-1"]
        assert snapshot["agents"][0]["activity"]["state"] == "working"
        log.tool_call("Bash", "t1")
        changed = watch.until("activity")
        assert (changed["id"], changed["was"], changed["activity"]["state"]) == ("agent-1", "working", "tool")
        log.tool_result("t1", "Bash")
        log.turn_complete(1)
        assert watch.until("activity")["activity"]["state"] in ("working", "waiting")
        other = agents("agent-2")
        write_store(base_dir, [entry, make_entry(pid=other.pid, entry_id="agent-2")])
        assert watch.until("started")["agent"]["id"] == "agent-2"
        proc.kill()
        proc.wait()
        finished = watch.until("finished")
        assert finished["agent"]["id"] == "agent-1" and finished["agent"]["live_status"] == "dead"
        assert finished["agent"]["activity"]["log"] == str(log.path)
        assert watch.until("heartbeat", timeout=15)["running"] == 1
        assert watch.proc.stdin is not None
        watch.proc.stdin.close()  # the reader went away: watch ends, 0
        assert watch.proc.wait(10) == 0
    finally:
        watch.end()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_watch_ends_with_0_on_sigterm_and_sigint(base_dir: Path, sig: signal.Signals) -> None:
    watch = Watch(base_dir)
    try:
        assert "watching" in watch.line()
        assert "no agents running" in watch.line()
        watch.proc.send_signal(sig)
        assert watch.proc.wait(10) == 0
    finally:
        watch.end()


def test_watch_human_lines_are_escaped(base_dir: Path, agents: Spawn) -> None:
    proc = agents("agent-1")
    entry = make_entry(pid=proc.pid, entry_id="agent-1", provider=CLEAR + "claude", prompt="x\ny")
    write_store(base_dir, [entry])
    watch = Watch(base_dir)
    try:
        watch.line()
        line = watch.line()
        assert "running   agent-1  \\x1b[2Jclaude · sonnet — —" in line and "\x1b" not in line
        log = SessionLog(log_path(base_dir, None, entry["session_id"]))
        log.session_started("exec")
        log.tool_call("\u202eBash", "t1")
        line = watch.line()
        assert "activity  agent-1" in line and "running \\u202eBash · " in line and "\u202e" not in line
    finally:
        watch.end()


def test_show_json_gives_each_descendant_its_live_status_and_activity(
    base_dir: Path, agents: Spawn, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another agent's process is looked at by `show` where the answer depends on it: here each
    descendant's, whose status and activity --json carries."""
    orchestrator, worker = agents("orch-1"), agents("kid-1")
    entries = [
        make_entry(pid=orchestrator.pid, entry_id="orch-1", command="run"),
        make_entry(pid=worker.pid, entry_id="kid-1", parent="orch-1", command="run"),
        make_entry(pid=1, entry_id="kid-2", parent="orch-1", status="exited", exit_code=0),
    ]
    write_store(base_dir, entries)
    SessionLog(log_path(base_dir, None, entries[1]["session_id"])).session_started("run")
    code, out = cli(capsys, "show", "orch-1", "--json", "--base-dir", str(base_dir))
    children = {child["id"]: child for child in json.loads(out)["children"]}
    assert code == 0 and children["kid-1"]["status"] == "running" and children["kid-2"]["status"] == "exited"
    assert children["kid-1"]["activity"]["state"] == "working"


def test_show_of_a_plain_run_finds_its_log_among_those_of_the_running_agents(
    base_dir: Path, agents: Spawn, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plain run has no session id: its log is the one that fits it and is no other running
    agent's (sessions/locate.py), so `show` looks at the other agents' processes for it."""
    other_process = agents("other-1")
    plain = make_entry(pid=1, entry_id="plain-1", status="exited", exit_code=0)
    plain["session_id"] = None
    other = make_entry(pid=other_process.pid, entry_id="other-1")
    write_store(base_dir, [plain, other])
    started = datetime.fromisoformat(plain["started_at"]).timestamp()
    mine = SessionLog(log_path(base_dir, None, "plain-log"))
    mine.session_started("exec", at=started + 0.002)
    mine.assistant_message("mine")
    theirs = SessionLog(log_path(base_dir, None, other["session_id"]))  # fits the plain run too
    theirs.session_started("exec", at=started + 0.003)
    code, out = cli(capsys, "show", "plain-1", "--base-dir", str(base_dir))
    assert code == 0 and str(mine.path) in out
