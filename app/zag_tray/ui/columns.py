"""The window's columns: what each shows, its tooltip and what it sorts by, per agent.

The words come from agents/present.py, the same ones the menu, tooltip, CLI and
notifications use.
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import Any, Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from zag_tray.agents.activity import Activity, ActivityState
from zag_tray.agents.entry import Entry
from zag_tray.agents.present import (
    APPROVAL_NOTE,
    GREEN,
    RED,
    activity_colour,
    activity_label,
    age,
    local_time,
    outcome,
    runtime,
    runtime_text,
    title,
    usage_text,
)
from zag_tray.agents.status import AgentState
from zag_tray.agents.text import one_line, short_path
from zag_tray.ui.icons import dot_icon
from zag_tray.ui.plain import plain_tooltip


class Column(IntEnum):
    AGENT = 0
    STATUS = 1
    PID = 2
    COMMAND = 3
    STARTED = 4
    RUNTIME = 5
    ROOT = 6
    PROMPT = 7
    ACTIVITY = 8
    """Last of the logical columns (saved layouts of the eight before it restore as they were:
    Qt appends a section a saved state lacks); shown after Status (ui/tree_view.py)."""


HEADERS = {
    Column.AGENT: "Agent",
    Column.STATUS: "Status",
    Column.PID: "PID",
    Column.COMMAND: "Command",
    Column.STARTED: "Started",
    Column.RUNTIME: "Runtime",
    Column.ROOT: "Root",
    Column.PROMPT: "Prompt",
    Column.ACTIVITY: "Activity",
}
TICKING: Final = (Column.RUNTIME, Column.ACTIVITY)
"""The columns whose text follows the clock while an agent runs."""


def tint(colour: str) -> QColor:
    """A row highlight: the outcome colour, faint enough to read text on."""
    faint = QColor(colour)
    faint.setAlpha(70)
    return faint


NEW_COLOUR = tint(GREEN)
ENDED_COLOUR = tint(RED)


def cell_data(
    entry: Entry, state: AgentState, column: Column, role: int, now: float, activity: Activity | None = None
) -> Any:
    """What a cell shows for ``role``: its text, its tooltip, the status dot. ``activity``: what
    the agent is doing, if it runs (Observation.activity_of)."""
    if column is Column.ACTIVITY:
        return activity_data(activity, role, now)
    if role == Qt.ItemDataRole.DisplayRole:
        return cell_text(entry, state, column, now)
    if role == Qt.ItemDataRole.ToolTipRole:
        return cell_tooltip(entry, column, now)
    if role == Qt.ItemDataRole.DecorationRole and column is Column.STATUS:
        return dot_icon(outcome(entry, state).colour)
    return None


def activity_data(activity: Activity | None, role: int, now: float) -> Any:
    """The Activity cell: empty for an agent that does not run (it has none), "—" for one
    whose log was not found; else the wording, its colour's dot, and a tooltip with the whole
    wording (the column may be too narrow) and what the log cannot tell."""
    if activity is None:
        return None
    if role == Qt.ItemDataRole.DisplayRole:
        return activity_label(activity, now)
    if activity.log is None:
        return None
    if role == Qt.ItemDataRole.DecorationRole:
        return dot_icon(activity_colour(activity, now))
    if role == Qt.ItemDataRole.ToolTipRole:
        lines = [activity_label(activity, now), activity_label(activity, now, ticking=False)]
        if activity.maybe_approval(now):
            lines.append(APPROVAL_NOTE)
        lines.append(usage_text(activity.usage))
        return plain_tooltip("\n".join(dict.fromkeys(line for line in lines if line)))
    return None


def looks_changed(before: Activity | None, after: Activity, now: float) -> bool:
    """Does the Activity cell of ``after`` look other than that of ``before`` at ``now``? Not when
    it is the very same object (an unchanged log), nor when a new line changed nothing it shows
    (a heartbeat, usage, the timeline: the tooltip is asked for as it shows, the time follows
    the clock's repaint). A view repaints only the cells said to have changed."""
    if before is after:
        return False
    if before is None:
        return True
    return (activity_label(before, now), activity_colour(before, now)) != (
        activity_label(after, now),
        activity_colour(after, now),
    )


def cell_text(entry: Entry, state: AgentState, column: Column, now: float) -> str:
    if column is Column.AGENT:
        return title(entry)
    if column is Column.STATUS:
        return outcome(entry, state).label
    if column is Column.PID:
        return str(entry.pid)
    if column is Column.COMMAND:
        return one_line(entry.command, 20)
    if column is Column.STARTED:
        if entry.started is None:
            return one_line(entry.started_at, 40)  # not RFC 3339: shown as stored, no time math
        return age(now - entry.started)
    if column is Column.RUNTIME:
        return runtime_text(entry, state, now)
    if column is Column.ROOT:
        return one_line(short_path(entry.root), 80)
    return one_line(entry.prompt, 100)


def cell_tooltip(entry: Entry, column: Column, now: float) -> str | None:
    if column is Column.STARTED:
        return started_tooltip(entry, now)
    if column is Column.PROMPT and entry.prompt:
        return plain_tooltip(one_line(entry.prompt, 500))
    if column is Column.ROOT and entry.root:
        return plain_tooltip(one_line(entry.root, 500))
    return None


def started_tooltip(entry: Entry, now: float) -> str:
    """When the agent started, local ("today 14:03:12"), and as zag stored it (RFC 3339); only
    as stored where that is not a time the local calendar holds (0001-01-01T00:00:00+00:00 is
    year 0 west of UTC, which raised ValueError)."""
    stored = one_line(entry.started_at, 500)
    shown = "" if entry.started is None else local_time(entry.started, now)
    return plain_tooltip(f"{shown}\n{stored}" if shown else stored)


def sort_value(
    entry: Entry, state: AgentState, column: Column, now: float, activity: Activity | None = None
) -> Any:
    """What ``column`` sorts ``entry`` by (an unknown runtime sorts below every known one)."""
    if column is Column.ACTIVITY:
        return activity_order(activity, now)
    if column is Column.PID:
        return entry.pid
    if column is Column.STARTED:
        return entry.sort_key[0]  # an unknown start sorts as the oldest
    if column is Column.RUNTIME:
        seconds = runtime(entry, state, now)
        return -1.0 if seconds is None else seconds
    return cell_text(entry, state, column, now).casefold()


_RANKS: Final = {
    ActivityState.STALLED: 1,
    ActivityState.RATE_LIMITED: 2,
    ActivityState.TOOL: 3,
    ActivityState.WORKING: 4,
    ActivityState.FINISHED: 6,
    ActivityState.UNKNOWN: 7,
}
_FAILED: Final = 5
_NOT_RUNNING: Final = 8


def activity_order(activity: Activity | None, now: float) -> tuple[int, float]:
    """The Activity column's order, ascending: who may need the user first (waiting, or a tool
    pending long enough to be asking for approval), then stalled, rate-limited, running a
    tool, working, a session that failed, one that finished, without a log, not running;
    within each, the longest in that state first (who has waited longest for you heads it)."""
    if activity is None:
        return _NOT_RUNNING, 0.0
    state = activity.state_at(now)
    rank = _RANKS.get(state, 0)
    if activity.needs_you(now):
        rank = 0
    elif state is ActivityState.FINISHED and activity.success is False:
        rank = _FAILED
    since = activity.since_at(now)
    return rank, math.inf if since is None else since
