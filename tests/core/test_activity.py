"""The activity model (agents/activity.py, agents/activity_fold.py) on logs written as zag
writes them (tests/session_logs.py): every state, its transitions, and properties over
random event sequences."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.session_logs import EVENT_TYPES, SessionLog, zag_time
from zag_tray.agents.activity import (
    APPROVAL_AFTER,
    NO_LOG,
    Activity,
    ActivityState,
    StepKind,
    ToolOutcome,
    Usage,
)
from zag_tray.agents.activity_fold import ActivityFold
from zag_tray.agents.sessionlog import decode, decode_all, decode_head, text_head

T0 = 1_780_000_000.0  # 2026-05-28
S = ActivityState


class Log:
    """A session log held in memory: the lines zag would write, fed to a fold on demand."""

    def __init__(self, command: str = "exec", *, start: bool = True, **log: Any) -> None:
        self.writer = SessionLog(Path("/nonexistent/s1.jsonl"), **log)
        self.lines: list[str] = []
        self.t = T0
        if start:
            self.add("session_started", command)

    def add(self, kind: str, *args: Any, dt: float = 1.0, **fields: Any) -> Log:
        """Append an event ``dt`` seconds after the last (the writer's method ``kind``)."""
        self.t += dt
        self.writer.append = self.lines.append  # type: ignore[method-assign]
        getattr(self.writer, kind)(*args, at=self.t, **fields)
        return self

    def activity(self) -> Activity:
        fold = ActivityFold("/logs/s1.jsonl")
        fold.feed(decode_all([line.encode() for line in self.lines]))
        return fold.activity()


def test_an_exec_at_work_shows_heartbeats_only_and_is_working() -> None:
    log = Log("exec").add("user_message", "fix the failing test").add("heartbeat", dt=10)
    activity = log.activity()
    assert activity.state_at(log.t + 5) is S.WORKING
    assert activity.since_at(log.t) == T0 + 1  # at work since the session started
    assert activity.last_event_at == T0 + 2  # the prompt: heartbeats are no activity
    assert activity.heartbeat_at == log.t
    assert activity.turns == 1 and activity.steps[0].kind is StepKind.PROMPT


def test_no_heartbeat_for_30_s_is_stalled_and_a_new_one_ends_it() -> None:
    log = Log("exec").add("user_message", "go").add("heartbeat", dt=10)
    activity = log.activity()
    assert activity.state_at(log.t + 30) is S.WORKING
    assert activity.next_change(log.t) == log.t + 30
    assert activity.state_at(log.t + 30.5) is S.STALLED
    assert activity.since_at(log.t + 31) == log.t  # silent since its last heartbeat
    assert log.add("heartbeat", dt=31).activity().state_at(log.t + 1) is S.WORKING


def test_a_slower_heartbeat_is_stalled_after_three_of_its_intervals() -> None:
    log = Log("exec").add("heartbeat", 20)
    assert log.activity().state_at(log.t + 59) is S.WORKING
    assert log.activity().state_at(log.t + 61) is S.STALLED


def test_a_relay_session_writes_no_heartbeats_and_is_never_stalled() -> None:
    log = Log("interactive").add("user_message", "hi").add("assistant_message", "hello")
    assert log.activity().state_at(log.t + 3600) is S.WORKING


def test_a_pending_tool_is_named_with_its_start_then_may_be_an_approval() -> None:
    log = Log("run").add("tool_call", "Bash", "t1", {"command": "cargo test"}, source_kind="provider_file")
    activity = log.activity()
    assert activity.state_at(log.t) is S.TOOL
    assert (activity.tool, activity.tool_at, activity.tools_pending) == ("Bash", log.t, 1)
    assert not activity.maybe_approval(log.t + APPROVAL_AFTER - 1)
    assert not activity.needs_you(log.t + 1)
    assert activity.next_change(log.t) == log.t + APPROVAL_AFTER
    assert activity.maybe_approval(log.t + APPROVAL_AFTER) and activity.needs_you(log.t + APPROVAL_AFTER)
    assert activity.steps[-1].outcome is ToolOutcome.PENDING and activity.steps[-1].text == "cargo test"


def test_a_tool_result_ends_the_tool_and_says_how_it_went() -> None:
    log = Log("run").add("tool_call", "Bash", "t1", {"command": "false"}).add("tool_call", "Read", "t2")
    assert log.activity().tool == "Bash"  # the oldest pending
    log.add("tool_result", "t1", "Bash", success=False, error="exit 1")
    assert (log.activity().tool, log.activity().tools_pending) == ("Read", 1)
    log.add("tool_result", "t2", "Read", output="...")
    activity = log.activity()
    assert activity.state_at(log.t) is S.WORKING and activity.working_at == log.t
    assert [s.outcome for s in activity.steps if s.kind is StepKind.TOOL] == [
        ToolOutcome.FAILED,
        ToolOutcome.OK,
    ]


def test_calls_without_an_id_are_answered_by_name_oldest_first() -> None:
    log = Log("run").add("tool_call", "Bash", None).add("tool_call", "Grep", None)
    log.add("tool_result", None, "Grep")
    assert (log.activity().tool, log.activity().tools_pending) == ("Bash", 1)


def test_the_end_of_a_turn_is_waiting_and_what_follows_ends_it() -> None:
    log = Log("interactive").add("user_message", "hi").add("assistant_message", "hello")
    log.add("turn_complete", 1, {"input_tokens": 10, "output_tokens": 5})
    log.add("turn_result", "hello", num_turns=1)  # the Result that follows a turn ends nothing
    activity = log.activity()
    assert activity.state_at(log.t) is S.WAITING and activity.since_at(log.t) == log.t - 1
    assert activity.needs_you(log.t) and activity.next_change(log.t) is None
    assert activity.usage == Usage(10, 5, None, per_turn=True) and activity.turns == 1
    log.add("user_message", "and now?")
    assert log.activity().state_at(log.t) is S.WORKING


def test_an_interactive_run_waits_after_an_answer_with_every_tool_answered() -> None:
    log = Log("run").add("user_message", "hi", source_kind="provider_file")
    log.add("tool_call", "Bash", "t1", source_kind="provider_file")
    log.add("assistant_message", "running it", source_kind="provider_file")
    assert log.activity().state_at(log.t) is S.TOOL  # not every call answered
    log.add("tool_result", "t1", "Bash", source_kind="provider_file")
    log.add("assistant_message", "Done.", source_kind="provider_file")
    assert log.activity().state_at(log.t) is S.WAITING
    log.add("heartbeat", dt=5).add("provider_status", "Claude system event", {"subtype": "x"})
    assert log.activity().state_at(log.t) is S.WAITING  # heartbeats and statuses are not activity


def test_an_exec_never_waits_for_anyone() -> None:
    log = Log("exec").add("user_message", "go").add("assistant_message", "done").add("turn_complete", 1)
    assert log.activity().state_at(log.t) is S.WORKING
    assert (
        Log("exec").add("assistant_message", "x", source_kind="wrapper").activity().state_at(T0) is S.WORKING
    )


def test_the_end_of_a_turn_leaves_no_tool_pending() -> None:
    log = Log("interactive").add("tool_call", "Bash", "t1").add("turn_complete", 1)
    activity = log.activity()
    assert activity.state_at(log.t) is S.WAITING and activity.tool is None
    assert activity.steps[-1].outcome is ToolOutcome.UNANSWERED


def test_a_usage_limit_is_rate_limited_until_resumed_or_failed() -> None:
    resume = T0 + 3600
    log = Log("interactive").add("usage_limit_hit", "i1", scheduled_resume_at=zag_time(resume))
    activity = log.activity()
    assert activity.state_at(log.t) is S.RATE_LIMITED
    assert (activity.limited_at, activity.resume_at) == (log.t, resume)
    assert activity.next_change(log.t) == resume
    log.add("usage_limit_resumed", "other")  # another incident's: nothing
    assert log.activity().rate_limited
    log.add("usage_limit_resumed", "i1")
    assert log.activity().state_at(log.t) is S.WORKING
    log.add("usage_limit_hit", "i2", reset_at=zag_time(resume)).add(
        "usage_limit_resume_failed", "i2", "fifo gone"
    )
    assert log.activity().state_at(log.t) is S.WORKING
    assert log.activity().steps[-1].text == "resume failed: fifo gone"


def test_an_exec_that_went_on_after_a_limit_is_no_longer_limited() -> None:
    log = Log("exec").add("usage_limit_hit", "i1").add("usage", 0, 0).add("heartbeat", dt=10)
    assert log.activity().state_at(log.t) is S.RATE_LIMITED and log.activity().resume_at is None
    log.add("assistant_message", "resumed and done")
    assert log.activity().state_at(log.t) is S.WORKING


def test_session_ended_is_finished_with_the_result_or_the_error() -> None:
    log = Log("exec").add("assistant_message", "first\nanswer").add("usage", 100, 20, total_cost_usd=0.25)
    log.add("usage", 1, 2).add("session_ended", success=True)
    activity = log.activity()
    assert activity.state_at(log.t + 999) is S.FINISHED and activity.success
    assert (activity.result, activity.since_at(log.t)) == ("first\nanswer", log.t)
    assert activity.usage == Usage(101, 22, 0.25) and activity.next_change(log.t) is None
    log = (
        Log("run")
        .add("assistant_message", "x")
        .add("session_result", "the result")
        .add("assistant_message", "y")
    )
    log.add("session_ended", success=False, error="cancelled: user asked")
    activity = log.activity()
    assert (activity.result, activity.success, activity.error) == (
        "the result",
        False,
        "cancelled: user asked",
    )
    assert activity.steps[-1].text == "failed: cancelled: user asked"


def test_a_resumed_run_is_the_events_after_its_last_session_started() -> None:
    log = Log("exec").add("usage", 5, 5).add("session_ended").add("session_started", "run", resumed=True)
    activity = log.activity()
    assert activity.state_at(log.t) is S.WORKING and activity.usage == Usage()
    assert activity.started_at == log.t and activity.command == "run"


def test_no_log_is_unknown() -> None:
    assert NO_LOG.state_at(T0) is S.UNKNOWN and NO_LOG.since_at(T0) is None and not NO_LOG.needs_you(T0)


def test_the_timeline_keeps_the_last_events_each_capped_to_a_line() -> None:
    log = Log("run").add("user_message", "\n\n  " + "p" * 5000 + "\nsecond line")
    log.add("permission", "Bash", "rm -rf /", granted=False)
    for i in range(20):
        log.add("tool_call", "Read", f"t{i}", {"file_path": f"/f{i}"})
    activity = log.activity()
    assert len(activity.steps) == 12 and activity.steps[-1].text == "/f19"
    assert Log().add("user_message", "x" * 5000).activity().steps[0].text == "x" * 300


def test_the_activity_is_the_same_object_until_a_line_changes_it() -> None:
    fold = ActivityFold("/l")
    fold.feed([decode(Log().lines[0].encode())])
    first = fold.activity()
    assert fold.activity() is first
    fold.feed([])
    assert fold.activity() is first
    fold.feed([None])
    assert fold.activity() is not first and fold.activity().malformed == 1


def test_a_huge_result_is_kept_to_its_cap_and_said_to_be_cut() -> None:
    activity = Log("run").add("session_result", "r" * 100_000).activity()
    assert activity.result == "r" * 65_536 and activity.result_cut


def test_text_head_decodes_only_a_head_and_never_splits_an_escape() -> None:
    from msgspec import Raw

    assert text_head(Raw(b'"' + b"\\ud83d\\ude00" * 1000 + b'"'), 3) == ("😀😀😀", True)
    assert text_head(Raw(b"null"), 3) is None and text_head(Raw(b"12"), 3) is None
    assert text_head(Raw(b'"ab"'), 3) == ("ab", False)


def test_an_over_long_line_is_read_from_its_head() -> None:
    line = Log("run").add("tool_result", "t9", "Bash", success=False, output="o" * 100).lines[-1]
    event = decode_head(line.encode()[:60])
    assert event is None  # cut before any large field: not an event
    event = decode_head(line.encode()[: line.index(',"output":') + 20])
    assert event is not None and (event.type, event.tool_id, event.success) == ("tool_result", "t9", False)


# --- properties over random sequences ------------------------------------------------------

_TEXT = st.text(max_size=30)
_ID = st.sampled_from(["t1", "t2", "t3", None])
_EVENT = st.one_of(
    st.tuples(st.just("session_started"), st.sampled_from(["run", "exec", "interactive"])),
    st.tuples(st.just("user_message"), _TEXT),
    st.tuples(st.just("assistant_message"), _TEXT),
    st.tuples(st.just("reasoning"), _TEXT),
    st.tuples(st.just("tool_call"), st.sampled_from(["Bash", "Read"]), _ID),
    st.tuples(st.just("tool_result"), _ID),
    st.tuples(st.just("provider_status"), _TEXT),
    st.tuples(st.just("turn_complete"), st.integers(0, 5)),
    st.tuples(st.just("session_ended")),
    st.tuples(st.just("session_result"), _TEXT),
    st.tuples(st.just("heartbeat")),
    st.tuples(st.just("usage"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("usage_limit_hit"), st.sampled_from(["a", "b"])),
    st.tuples(st.just("usage_limit_resumed"), st.sampled_from(["a", "b"])),
    st.tuples(st.just("usage_limit_resume_failed"), st.sampled_from(["a", "b"]), _TEXT),
    st.tuples(st.just("stderr"), _TEXT),
    st.tuples(st.just("parse_warning"), _TEXT),
    st.tuples(st.just("session_cleared")),
    st.tuples(st.just("user_event"), _TEXT, _TEXT),
    st.tuples(st.just("permission"), _TEXT, _TEXT),
    st.tuples(st.just("garbage"), st.binary(max_size=40)),
)


def _write(events: list[tuple[Any, ...]], costs: list[float | None]) -> tuple[list[bytes], list[str]]:
    """The lines of ``events`` and the type of each (``garbage``: a line that is not an event)."""
    log = Log(start=False)
    lines, kinds = [], []
    for i, (kind, *args) in enumerate(events):
        if kind == "garbage":
            raw = b"{" + args[0].replace(b"\n", b"") + b"\x00"  # never a JSON object
            lines.append(raw)
        else:
            if kind == "usage":
                log.add("usage", *args, total_cost_usd=costs[i % len(costs)])
            elif kind == "permission":
                log.add("permission", *args, granted=bool(i % 2))
            else:
                log.add(kind, *args)
            lines.append(log.lines[-1].encode())
        kinds.append(kind)
    return lines, kinds


@given(
    st.lists(_EVENT, max_size=40), st.lists(st.one_of(st.none(), st.floats(0, 10)), min_size=1, max_size=4)
)
def test_any_sequence_folds_without_error_and_by_the_rules(
    events: list[tuple[Any, ...]], costs: list[float | None]
) -> None:
    lines, kinds = _write(events, costs)
    fold = ActivityFold("/l")
    fold.feed(decode_all(lines))
    activity = fold.activity()
    starts = [i for i, kind in enumerate(kinds) if kind == "session_started"]
    after = kinds[starts[-1] + 1 :] if starts else kinds
    lines_after = lines[starts[-1] + 1 :] if starts else lines
    assert activity.ended == ("session_ended" in after)
    assert (activity.state_at(T0 + 10**6) is S.FINISHED) == ("session_ended" in after)
    usage = [decode(line) for line, kind in zip(lines_after, after, strict=True) if kind == "usage"]
    if usage:
        assert activity.usage.input_tokens == sum(u.input_tokens or 0 for u in usage if u)
        assert activity.usage.output_tokens == sum(u.output_tokens or 0 for u in usage if u)
        paid = [u.total_cost_usd for u in usage if u and u.total_cost_usd is not None]
        assert activity.usage.cost_usd == (sum(paid[1:], paid[0]) if paid else None)
    assert activity.malformed == after.count("garbage")
    for moment in (T0, T0 + 100, T0 + 10**6):
        state = activity.state_at(moment)  # never raises, always one of the states
        assert state in set(S) - {S.UNKNOWN}
        activity.since_at(moment), activity.needs_you(moment), activity.next_change(moment)


@given(st.lists(_EVENT, max_size=40), st.data())
def test_feeding_in_pieces_is_feeding_at_once(events: list[tuple[Any, ...]], data: st.DataObject) -> None:
    lines, _ = _write(events, [0.5])
    whole = ActivityFold("/l")
    whole.feed(decode_all(lines))
    pieces = ActivityFold("/l")
    at = 0
    while at < len(lines):
        step = data.draw(st.integers(1, max(1, len(lines) - at)))
        pieces.feed(decode_all(lines[at : at + step]))
        pieces.activity()  # read between pieces, as the monitor does
        at += step
    assert pieces.activity() == whole.activity()


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_every_event_type_decodes(kind: str) -> None:
    log = Log(start=False)
    args: dict[str, tuple[Any, ...]] = {
        "tool_call": ("Bash", "t1", {"command": "ls"}),
        "tool_result": ("t1",),
        "permission": ("Bash", "ls"),
        "provider_status": ("Turn 1 complete", {"turn_index": 1}),
        "stderr": ("oops",),
        "parse_warning": ("bad", "raw"),
        "user_event": ("info", "note", {"k": 1}),
        "usage": (1, 2),
        "usage_limit_resumed": ("i1",),
        "usage_limit_resume_failed": ("i1", "error"),
        "user_message": ("hi",),
        "assistant_message": ("hi",),
        "reasoning": ("hmm",),
        "session_result": ("r",),
    }
    extra = {"permission": {"granted": True}}.get(kind, {})
    log.add(kind, *args.get(kind, ()), **extra)
    event = decode(log.lines[0].encode())
    assert event is not None and event.type == kind
