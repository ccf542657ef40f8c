"""How activity is worded (agents/present.py): never more than the log shows, escaped."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.factories import entry, observation
from zag_tray.agents.activity import NO_LOG, Activity, Step, StepKind, ToolOutcome, Usage
from zag_tray.agents.glance import needs_you_line
from zag_tray.agents.observation import with_activity
from zag_tray.agents.present import (
    AMBER,
    GREEN,
    GREY,
    ORANGE,
    RED,
    activity_colour,
    activity_label,
    activity_sentence,
    result_text,
    step_line,
    usage_text,
)
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.times import clock

NOW = datetime(2026, 5, 28, 15, 10, 0).timestamp()  # local time
LOG = "/l.jsonl"


def at(seconds_ago: float) -> float:
    return NOW - seconds_ago


@pytest.mark.parametrize(
    ("activity", "label", "steady"),
    [
        (
            Activity(LOG, waiting=True, waiting_at=at(120)),
            "waiting for you · 2m00s",
            "waiting for you since 15:08",
        ),
        (Activity(LOG, tool="Bash", tool_at=at(40), tools_pending=1), None, None),
        (
            Activity(LOG, tool="Bash", tool_at=at(10), tools_pending=1),
            "running Bash · 10s",
            "running Bash since 15:09",
        ),
        (
            Activity(LOG, tool="Read", tool_at=at(10), tools_pending=3),
            "running Read and 2 more · 10s",
            "running Read and 2 more since 15:09",
        ),
        (Activity(LOG, working_at=at(180)), "working · 3m00s", "working since 15:07"),
        (
            Activity(LOG, heartbeat_at=at(45)),
            "stalled: no heartbeat for 45s",
            "stalled: no heartbeat since 15:09",
        ),
        (Activity(LOG, rate_limited=True, resume_at=at(-1800)), "rate-limited until 15:40", None),
        (Activity(LOG, rate_limited=True, resume_at=at(60)), "rate-limited, resume was due 15:09", None),
        (Activity(LOG, rate_limited=True), "rate-limited", None),
        (Activity(LOG, ended=True, success=True), "finished", None),
        (
            Activity(LOG, ended=True, success=False, error="cancelled: \x1b[2Jbye"),
            "failed: cancelled: \\x1b[2Jbye",
            None,
        ),
        (NO_LOG, "—", None),
        (None, "—", None),
    ],
)
def test_each_state_is_worded(activity: Activity | None, label: str | None, steady: str | None) -> None:
    if label is not None:
        assert activity_label(activity, NOW) == label
    if steady is not None:
        assert activity_label(activity, NOW, ticking=False) == steady


def test_a_long_pending_tool_says_it_may_be_waiting_for_approval() -> None:
    activity = Activity(LOG, tool="Bash", tool_at=at(40), tools_pending=1)
    assert activity_label(activity, NOW) == "running Bash or waiting for your approval · 40s"
    assert activity_label(activity, at(15)) == "running Bash · 25s"
    assert activity_colour(activity, NOW) == AMBER and activity_colour(activity, at(15)) == GREEN


def test_a_hostile_tool_name_is_escaped_and_cut() -> None:
    activity = Activity(LOG, tool="\u202eevil\n" + "x" * 100, tool_at=NOW, tools_pending=1)
    label = activity_label(activity, NOW)
    assert "\u202e" not in label and "\n" not in label and len(label) < 70


def test_colours() -> None:
    assert activity_colour(Activity(LOG, waiting=True), NOW) == AMBER
    assert activity_colour(Activity(LOG, ended=True, success=False), NOW) == RED
    assert activity_colour(Activity(LOG, rate_limited=True), NOW) == GREY
    assert activity_colour(NO_LOG, NOW) == GREY and activity_colour(Activity(LOG), NOW) == GREEN
    assert activity_colour(Activity(LOG, heartbeat_at=at(45)), NOW) == ORANGE  # stalled: not asking


def test_usage_text() -> None:
    assert usage_text(Usage(12_345, 4_100, 0.42)) == "12.3k in / 4.1k out · $0.42"
    assert usage_text(Usage(950, 2_500_000, None)) == "950 in / 2.5M out"
    assert usage_text(Usage(None, None, 0.004)) == "$0.0040"
    assert usage_text(Usage()) == ""


def test_timeline_lines() -> None:
    assert step_line(Step(at(30), StepKind.PROMPT, "fix the test"), NOW) == "15:09:30  prompt: fix the test"
    tool = Step(at(20), StepKind.TOOL, "cargo test", "Bash", ToolOutcome.FAILED)
    assert step_line(tool, NOW) == "15:09:40  Bash: cargo test → failed"
    assert step_line(Step(None, StepKind.TOOL, "", "Read", ToolOutcome.UNANSWERED), NOW) == "Read → no result"
    assert step_line(Step(at(86400), StepKind.USAGE, usage=Usage(10, 2, 0.5)), NOW).endswith(
        "usage: 10 in / 2 out · $0.50"
    )
    assert (
        step_line(Step(at(1), StepKind.ASSISTANT, "\x1b]52;c;x\x07"), NOW)
        == "15:09:59  assistant: \\x1b]52;c;x\\x07"
    )
    assert clock(at(86400), NOW).startswith("May 27")


def test_result_text_keeps_lines_and_says_what_was_cut() -> None:
    assert result_text(Activity(LOG, result="a\nb\x1b"), 100) == "a\nb\\x1b"
    assert result_text(Activity(LOG, result="x" * 10), 4) == "xxxx… (6 more characters)"
    assert result_text(Activity(LOG, result="x" * 10, result_cut=True), 100).endswith("… (longer in the log)")
    assert result_text(Activity(LOG), 10) == ""


def test_the_tooltips_line_names_who_waits() -> None:
    one, two = (
        entry("a", root="/home/u/proj", minute=1),
        entry("b", provider="codex", model="gpt-5", minute=2),
    )
    seen = observation([one, two], {"a": LiveStatus.RUNNING, "b": LiveStatus.RUNNING})
    waiting = Activity(LOG, waiting=True, waiting_at=seen.observed_at)
    busy = Activity(LOG, tool="Bash", tool_at=seen.observed_at - 60, tools_pending=1)
    assert needs_you_line(with_activity(seen, {"a": waiting, "b": Activity(LOG)}, frozenset(), None)) == (
        "1 waiting for you: claude · sonnet — /home/u/proj"
    )
    both = with_activity(seen, {"a": waiting, "b": busy}, frozenset(), None)
    assert needs_you_line(both) == "2 may be waiting for you: codex · gpt-5, claude · sonnet — /home/u/proj"
    assert needs_you_line(with_activity(seen, {}, frozenset(), None)) == ""
    assert activity_sentence(one, waiting, seen.observed_at).startswith(
        "claude · sonnet: waiting for you since "
    )
