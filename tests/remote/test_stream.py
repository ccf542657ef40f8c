"""remote/protocol.py, remote/state.py and remote/failures.py: watch --json's lines read back
into a host's state, and what an ssh exit means."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import stored
from zag_tray.agents.status import LiveStatus
from zag_tray.remote.failures import Problem, backoff, classify, last_line
from zag_tray.remote.protocol import Lines, Stream
from zag_tray.remote.state import HostState, Link, connecting, describe, offline, received

ESC = "\x1b]0;owned\x07"


def agent(entry_id: str, state: str = "working", **fields: Any) -> dict[str, Any]:
    """An agent as watch --json writes one."""
    activity = {"state": state, "since": None, "last_event_at": None, "tool": None, "resume_at": None,
                "turns": 0, "usage": {"input_tokens": 1, "output_tokens": 2, "cost_usd": None},
                "result": None, "log": "/l"}  # fmt: skip
    return {**stored(entry_id, **fields), "live_status": "running", "activity": activity}


def line(event: str, **fields: Any) -> bytes:
    return (json.dumps({"event": event, "at": "2026-03-28T10:00:00+00:00", **fields}) + "\n").encode()


HELLO = line("hello", schema=1, version="0.1.0", host="box", store="/s")


def fed(state: HostState, *lines: bytes, now: float = 1000.0) -> tuple[HostState, list[Any]]:
    stream, ended = Stream(), []
    for data in lines:
        for event in stream.feed(data):
            state, more = received(state, event, now)
            ended += more
    return state, ended


def test_lines_are_cut_at_line_breaks_across_chunks_and_over_long_ones_dropped_whole() -> None:
    lines = Lines(cap=10)
    assert lines.feed(b"ab") == []
    assert lines.feed(b"c\nde\n0123456") == [b"abc", b"de"]
    assert lines.feed(b"7890X") == []  # over the cap: let go as it comes
    assert lines.feed(b"YZ\nok\n") == [None, b"ok"]
    assert lines.feed(b"0123456789\n") == [b"0123456789"]
    assert lines.feed(b"01234567890\n") == [None]


def test_noise_before_hello_is_skipped_and_bad_lines_after_it_are_counted() -> None:
    stream = Stream()
    events = stream.feed(b"Welcome to box!\n" + line("heartbeat", running=3) + b"\x1b[2J\n" + HELLO)
    events += stream.feed(b"not json\n" + line("heartbeat", running=2) + line("new_kind", x=1))
    assert [type(e).__name__ for e in events] == ["Hello", "Heartbeat"]
    assert (stream.noise, stream.unreadable) == (3, 2)


def test_a_snapshot_makes_the_host_live_and_changes_follow() -> None:
    state, ended = fed(
        HostState("dev"),
        HELLO,
        line("snapshot", agents=[agent("a1"), agent("a2")]),
        line("started", agent=agent("a3")),
        line("activity", id="a1", activity=agent("a1", "waiting")["activity"], was="working"),
        line("finished", agent={**agent("a2"), "live_status": "exited"}, outcome="a2 finished"),
    )
    assert (state.link, state.remote_host, state.version, state.last_seen) == (
        Link.LIVE,
        "box",
        "0.1.0",
        1000.0,
    )
    assert [(a.entry.id, a.activity and a.activity.state.value) for a in state.agents] == [
        ("a1", "waiting"),
        ("a3", "working"),
    ]
    assert [(e.alias, e.agent.entry.id, e.agent.live_status, e.outcome) for e in ended] == [
        ("dev", "a2", LiveStatus.EXITED, "a2 finished")
    ]


def test_an_offline_host_keeps_its_agents_and_what_ended_meanwhile_is_never_finished() -> None:
    live, _ = fed(HostState("dev"), HELLO, line("snapshot", agents=[agent("a1"), agent("a2")]))
    down = offline(live, Problem.UNREACHABLE, "ssh: connect to host dev port 22: Connection refused")
    assert down.link is Link.OFFLINE and [a.entry.id for a in down.agents] == ["a1", "a2"]
    assert describe(down, 1180.0) == (
        "offline: unreachable (ssh: connect to host dev port 22: Connection refused) · last seen 3 min ago"
    )
    again = connecting(down)
    assert again.agents == down.agents and again.problem is Problem.UNREACHABLE
    back, ended = fed(again, HELLO, line("snapshot", agents=[agent("a1")]),
                      line("finished", agent=agent("a2"), outcome="a2 died"))  # fmt: skip
    assert ended == [] and [a.entry.id for a in back.agents] == ["a1"]
    assert (back.link, back.problem, describe(back, 1000.0)) == (Link.LIVE, None, "live · 1 running")


def test_a_finished_agent_is_announced_once() -> None:
    finished = line("finished", agent=agent("a1"), outcome="done")
    _, ended = fed(HostState("dev"), HELLO, line("snapshot", agents=[agent("a1")]), finished, finished)
    assert len(ended) == 1


def test_changes_before_a_snapshot_are_not_taken() -> None:
    state, ended = fed(HostState("dev"), HELLO, line("started", agent=agent("a1")),
                       line("finished", agent=agent("a1"), outcome="x"))  # fmt: skip
    assert (state.link, state.agents, ended) == (Link.CONNECTING, (), [])


def test_hostile_agents_are_taken_as_zag_would_take_them_and_shown_escaped() -> None:
    bad = {**agent("a2"), "pid": "not a number"}
    odd = {**agent("a3"), "live_status": ESC, "activity": {"state": "dancing"}}
    long = agent("a4", "tool")
    long["activity"]["tool"] = "T" * 10_000
    state, _ = fed(
        HostState("dev"), HELLO, line("snapshot", agents=[agent("a1", provider=ESC), bad, odd, long])
    )
    assert [a.entry.id for a in state.agents] == ["a1", "a3", "a4"] and state.rejected == 1
    assert state.agents[0].entry.provider == ESC  # kept as the store's text is, escaped when shown
    assert (state.agents[1].live_status, state.agents[1].activity) == (LiveStatus.UNKNOWN, None)
    assert state.agents[2].activity is not None and len(state.agents[2].activity.tool or "") == 200
    assert state.agents[0].json()["provider"] == ESC and "live_status" in state.agents[0].json()
    down = offline(state, Problem.UNREACHABLE, ESC + "\u202eevil")
    assert "\x1b" not in describe(down, 1000.0) and "\\x1b" in describe(down, 1000.0)


def test_another_schema_is_incompatible() -> None:
    state, _ = fed(HostState("dev"), line("hello", schema=2, version="9", host="box"))
    assert (state.link, state.problem) == (Link.OFFLINE, Problem.INCOMPATIBLE)


@pytest.mark.parametrize(
    ("code", "stderr", "problem"),
    [
        (255, "u@h: Permission denied (publickey).", Problem.SIGN_IN),
        (255, "Host key verification failed.", Problem.HOST_KEY),
        (
            255,
            "@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nPermission denied",
            Problem.HOST_KEY,
        ),
        (255, "ssh: connect to host h port 22: Connection refused", Problem.UNREACHABLE),
        (255, "", Problem.UNREACHABLE),
        (127, "sh: 1: exec: /home/u/.local/bin/zag-tray: not found", Problem.NOT_INSTALLED),
        (126, "Permission denied", Problem.NOT_INSTALLED),
        (0, "", Problem.ENDED),
        (1, "Permission denied", Problem.ENDED),
        (None, "", Problem.ENDED),
    ],
)
def test_an_ssh_exit_is_a_problem_a_user_understands(code: int | None, stderr: str, problem: Problem) -> None:
    assert classify(code, stderr) is problem


def test_the_last_line_of_stderr_is_the_reason() -> None:
    assert (
        last_line("warning: x\n\nssh: Could not resolve hostname q\n  \n")
        == "ssh: Could not resolve hostname q"
    )
    assert last_line("") == ""


def test_backoff_doubles_from_1_s_to_60_s_less_up_to_a_fifth() -> None:
    assert [backoff(n, 0.0) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff(0, 0.999) == pytest.approx(0.8, abs=0.001) and backoff(100, 0.5) == 54
