"""What the window shows of each running agent's session log (issue 15): the Activity column in
every state, kept current by activity-only observations that touch nothing else, the details'
activity, usage, timeline and result, all hostile text plain and cut, and a column layout saved
before the column existed."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy
from pytestqt.qtbot import QtBot

from tests.factories import LoggedAgents, activity_of_log, entry, observation
from tests.session_logs import SessionLog, zag_time
from zag_tray.agents.activity import NO_LOG, Activity
from zag_tray.agents.observation import with_activity
from zag_tray.agents.present import APPROVAL_NOTE
from zag_tray.agents.status import LiveStatus
from zag_tray.procs.monitor import Monitor
from zag_tray.ui.activity_pane import LONGEST_WORD
from zag_tray.ui.columns import Column
from zag_tray.ui.model import ENTRY_ID_ROLE
from zag_tray.ui.window import AgentWindow

RUN = LiveStatus.RUNNING
Spawn = Callable[..., subprocess.Popen[bytes]]


Events = Callable[[SessionLog, Callable[[float], float]], object]
"""What a log holds: its events, each ``at`` a time (``ago(seconds)``: that long before now)."""


def write_log(folder: Path, name: str, events: Events) -> Activity:
    """The activity the tray reads from a log zag would have written with ``events``, now."""
    log, now = SessionLog(folder / f"{name}.jsonl"), time.time()
    events(log, lambda seconds: now - seconds)
    return activity_of_log(log.path)


STATES: dict[str, Events] = {
    "waiting": lambda log, ago: (
        log.session_started("interactive", at=ago(300)),
        log.user_message("fix the test", at=ago(290)),
        log.turn_complete(1, {"input_tokens": 1200, "output_tokens": 300}, at=ago(120)),
    ),
    "tool": lambda log, ago: (
        log.session_started("run", at=ago(60)),
        log.tool_call("Bash", "t1", {"command": "cargo test"}, at=ago(10)),
    ),
    "approval": lambda log, ago: (
        log.session_started("run", at=ago(300)),
        log.tool_call("Bash", "t1", {"command": "rm -rf target"}, at=ago(40)),
    ),
    "rate_limited": lambda log, ago: (
        log.session_started("exec", at=ago(300)),
        log.usage_limit_hit("i1", scheduled_resume_at=zag_time(ago(-1800)), at=ago(30)),
    ),
    "stalled": lambda log, ago: (log.session_started("exec", at=ago(300)), log.heartbeat(at=ago(45))),
    "working": lambda log, ago: (log.session_started("exec", at=ago(180)), log.heartbeat(at=ago(2))),
    "finished": lambda log, ago: (log.session_started("exec", at=ago(100)), log.session_ended(at=ago(5))),
    "failed": lambda log, ago: (
        log.session_started("exec", at=ago(100)),
        log.session_ended(success=False, error="cancelled: \x1b[2J<b>bye</b>", at=ago(5)),
    ),
}
WORDING = {
    "waiting": r"waiting for you · 2m0\ds",
    "tool": r"running Bash · 1\ds",
    "approval": r"running Bash or waiting for your approval · 4\ds",
    "rate_limited": r"rate-limited until (\w\w\w \d\d )?\d\d:\d\d",  # in 30 min: another day too
    "stalled": r"stalled: no heartbeat for 4\ds",
    "working": r"working · 3m0\ds",
    "finished": "finished",
    "failed": re.escape("failed: cancelled: \\x1b[2J<b>bye</b>"),
    "unknown": "—",
    "ended": "",  # not running: no activity at all
}


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[AgentWindow]:
    """A window on one running agent in each state (and one without a log, one that ended)."""
    activity = {name: write_log(tmp_path, name, events) for name, events in STATES.items()}
    activity["unknown"] = NO_LOG
    entries = [entry(name, None, minute, pid=1000 + minute) for minute, name in enumerate(WORDING)]
    statuses = {e.id: RUN for e in entries} | {"ended": LiveStatus.EXITED}
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    win.apply(with_activity(observation(entries, statuses), activity, frozenset(), None))
    win.running_only.setChecked(False)
    win.show_and_raise()
    yield win


def cell(win: AgentWindow, entry_id: str, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> Any:
    return win.model.index_of_id(entry_id).siblingAtColumn(Column.ACTIVITY).data(role)


def test_the_activity_column_says_what_each_agent_is_doing(window: AgentWindow) -> None:
    assert window.model.headerData(Column.ACTIVITY, Qt.Orientation.Horizontal) == "Activity"
    for name, wording in WORDING.items():
        assert re.fullmatch(wording, cell(window, name) or ""), (name, cell(window, name))
    dots = {name: cell(window, name, Qt.ItemDataRole.DecorationRole) is not None for name in WORDING}
    assert dots == {name: name not in ("unknown", "ended") for name in WORDING}
    tip = cell(window, "approval", Qt.ItemDataRole.ToolTipRole)
    assert "running Bash or waiting for your approval" in tip and APPROVAL_NOTE in tip
    assert "&lt;b&gt;bye" in cell(window, "failed", Qt.ItemDataRole.ToolTipRole)  # shown, never markup
    assert cell(window, "ended", Qt.ItemDataRole.ToolTipRole) is None


def test_sorting_by_activity_puts_who_may_need_you_first(window: AgentWindow) -> None:
    window.sort_by(Column.ACTIVITY, Qt.SortOrder.AscendingOrder)
    order = [window.model.index(row, 0).data(ENTRY_ID_ROLE) for row in range(window.model.rowCount())]
    assert order == [
        "waiting",  # the longest wait (2 min) before a tool pending 40 s
        "approval",
        "stalled",
        "rate_limited",
        "tool",
        "working",
        "failed",
        "finished",
        "unknown",
        "ended",
    ]


def test_the_activity_follows_the_clock_on_screen_without_model_signals(
    window: AgentWindow, qtbot: QtBot
) -> None:
    window.select_entry("tool")
    before, details = cell(window, "tool"), window.details.activity.labels["activity"]
    assert details.text() == before
    changed = QSignalSpy(window.model.dataChanged)
    qtbot.waitUntil(lambda: cell(window, "tool") != before, timeout=3000)  # it ticks once a second
    qtbot.waitUntil(lambda: details.text() == cell(window, "tool"))
    assert changed.count() == 0  # only the cells on screen were repainted


# --- activity-only observations ------------------------------------------------------------------


SIGNALS = ("modelReset", "layoutChanged", "rowsInserted", "rowsRemoved", "rowsMoved", "dataChanged")


def spies(win: AgentWindow) -> dict[str, QSignalSpy]:
    return {name: QSignalSpy(getattr(win.model, name)) for name in SIGNALS}


def counts(spied: dict[str, QSignalSpy]) -> dict[str, int]:
    return {name: spy.count() for name, spy in spied.items()}


@pytest.mark.parametrize("view", ["running", "all", "all filtered and sorted"])
def test_an_activity_only_observation_updates_the_activity_cells_it_changed_and_nothing_else(
    qtbot: QtBot, base_dir: Path, agents: Spawn, view: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = LoggedAgents(base_dir, agents)
    logs = {entry_id: running.start(entry_id, "run") for entry_id in ("agent-1", "agent-2")}
    monitor = Monitor(base_dir / "processes.json")
    win = AgentWindow(str(base_dir / "processes.json"))
    qtbot.addWidget(win)
    win.apply(monitor.observe())
    win.running_only.setChecked(view == "running")
    if view == "all filtered and sorted":
        win.filter_edit.setText("agent")
        win.sort_by(Column.PID, Qt.SortOrder.AscendingOrder)
        qtbot.waitUntil(lambda: win.model.rowCount() == 2)
    win.show_and_raise()
    win.select_entry("agent-1")
    assert re.fullmatch(r"working · \d+s", cell(win, "agent-1"))

    def no_tree(*_: object, **__: object) -> bool:
        raise AssertionError("an activity-only observation walked the tree")

    monkeypatch.setattr(win.model, "apply", no_tree)
    monkeypatch.setattr(win.model, "apply_change", no_tree)
    spied = spies(win)
    logs["agent-1"].tool_call("Bash", "t1", {"command": "cargo test"})
    seen = monitor.observe_activity()
    win.apply(seen)
    assert counts(spied) == {name: int(name == "dataChanged") for name in SIGNALS}
    top_left, bottom_right, roles = spied["dataChanged"].at(0)
    assert top_left == bottom_right and top_left.column() == Column.ACTIVITY
    assert top_left.data(ENTRY_ID_ROLE) == "agent-1" and Qt.ItemDataRole.DisplayRole in roles
    assert cell(win, "agent-1").startswith("running Bash · ")
    assert win.details.activity.labels["activity"].text().startswith("running Bash · ")
    assert "Bash: cargo test → running" in win.details.activity.timeline.toPlainText()
    logs["agent-1"].heartbeat()  # a new line, the same look: nothing to repaint
    later = monitor.observe_activity()
    assert later.activity["agent-1"] is not seen.activity["agent-1"]
    win.apply(later)
    win.apply(monitor.observe_activity())  # the logs did not change: nothing to show
    assert counts(spied)["dataChanged"] == 1


def test_an_observation_that_is_not_activity_only_is_applied_whole(qtbot: QtBot) -> None:
    """A store change or a process look brings new facts: the tree takes them as before."""
    one, two = entry("a", None, 1), entry("b", None, 2)
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    first = with_activity(observation([one], {"a": RUN}), {"a": NO_LOG}, frozenset(), None)
    win.apply(first)
    later = observation([one, two], {"a": RUN, "b": RUN}, before=first)
    win.apply(with_activity(later, {"a": NO_LOG, "b": Activity("/b.jsonl")}, frozenset(), first))
    assert cell(win, "b").startswith("working")


# --- the details ----------------------------------------------------------------------------------

HOSTILE = "\x1b]52;c;aGk=\x07<b>bold</b> \u202eevil\u202c\x00"
LONG_RUN = "x" * 5000


def hostile_log(log: SessionLog, result: str) -> None:
    now = time.time()

    def ago(seconds: float) -> float:
        return now - seconds

    log.session_started("run", at=ago(60))
    log.user_message(f"fix it {HOSTILE}\nsecond line", at=ago(50))
    log.tool_call("Bash", "t1", {"command": f"echo {HOSTILE}"}, at=ago(40))
    log.tool_result("t1", "Bash", success=False, error="exit 1", at=ago(39))
    log.assistant_message(f"Here {HOSTILE}\nand more", at=ago(30))
    log.usage(12_345, 4_100, total_cost_usd=0.42, at=ago(29))
    log.session_result(result, at=ago(28))
    log.turn_complete(1, at=ago(27))


def details_window(qtbot: QtBot, activity: Activity) -> AgentWindow:
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    agents = [entry("a", None, 1), entry("done", None, 2, status="exited", exit_code=0)]
    seen = observation(agents, {"a": RUN, "done": LiveStatus.EXITED})
    win.apply(with_activity(seen, {"a": activity}, frozenset(), None))
    win.running_only.setChecked(False)
    win.show_and_raise()
    win.select_entry("a")
    return win


SHOWN_BUT_LINES = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def test_the_details_show_activity_usage_timeline_and_result_as_plain_capped_text(
    qtbot: QtBot, tmp_path: Path
) -> None:
    result = f"Done {HOSTILE}\r\n{LONG_RUN}\n" + "y" * 70_000
    win = details_window(qtbot, write_log(tmp_path, "hostile", lambda log, _: hostile_log(log, result)))
    rows = win.details.activity
    assert [rows.labels[name].text() for name in ("usage", "turns")] == ["12.3k in / 4.1k out · $0.42", "1"]
    assert rows.labels["activity"].text().startswith("waiting for you · ")
    assert rows.labels["log"].text() == str(tmp_path / "hostile.jsonl")
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in rows.labels.values())
    timeline = rows.timeline.toPlainText().splitlines()
    assert [re.sub(r"^\d\d:\d\d:\d\d  ", "", line) for line in timeline] == [
        "prompt: fix it \\x1b]52;c;aGk=\\x07<b>bold</b> \\u202eevil\\u202c\\x00",
        "Bash: echo \\x1b]52;c;aGk=\\x07<b>bold</b> \\u202eevil\\u202c\\x00 → failed",
        "assistant: Here \\x1b]52;c;aGk=\\x07<b>bold</b> \\u202eevil\\u202c\\x00",
        "usage: 12.3k in / 4.1k out · $0.42",
        "result: Done \\x1b]52;c;aGk=\\x07<b>bold</b> \\u202eevil\\u202c\\x00",
    ]
    shown = rows.result.toPlainText()
    assert shown.startswith("Done \\x1b]52;c;aGk=\\x07<b>bold</b> \\u202eevil\\u202c\\x00\\r\nxxx")
    assert not SHOWN_BUT_LINES.search(shown + rows.timeline.toPlainText())
    assert max(map(len, shown.splitlines())) <= LONGEST_WORD + 40  # no line Qt must wrap word by word
    assert shown.endswith("… (longer in the log)") and len(shown) < 66_000  # the 64k the tray keeps
    assert rows.result.isReadOnly() and rows.timeline.isReadOnly()
    with qtbot.waitSignal(win.copy_text_requested) as copied:
        rows.copy_result.click()
    assert copied.args == ["result", result[:65_536]]  # as the log has it: the clipboard escapes it


def test_a_selection_in_the_result_survives_activity_that_leaves_the_result_alone(
    qtbot: QtBot, tmp_path: Path
) -> None:
    log = SessionLog(tmp_path / "s.jsonl")
    hostile_log(log, "the answer")
    win = details_window(qtbot, activity_of_log(log.path))
    win.details.activity.result.selectAll()
    log.heartbeat()
    log.user_message("and now?")
    then = win.observation
    assert then is not None
    win.apply(with_activity(then, {"a": activity_of_log(log.path)}, frozenset(), then))
    assert win.details.activity.labels["activity"].text().startswith("working")
    assert win.details.activity.result.textCursor().selectedText() == "the answer"


def test_no_activity_rows_for_an_agent_that_does_not_run_and_one_line_without_a_log(
    qtbot: QtBot,
) -> None:
    win = details_window(qtbot, NO_LOG)
    rows = win.details.activity
    assert rows.labels["activity"].isVisible() and rows.labels["activity"].text().startswith("no session log")
    assert not rows.labels["usage"].isVisible() and not rows.timeline.isVisible()
    win.select_entry("done")
    assert win.details.labels["id"].text() == "done" and not rows.labels["activity"].isVisible()
    assert not rows.result.isVisible() and not rows.labels["log"].isVisible()


# --- the column layout -----------------------------------------------------------------------------

RELEASED_LAYOUT = (  # what the window of the release before the Activity column saved: the agent
    # column 230 px wide, the root 90, the prompt moved before the root, the PID hidden, by runtime
    "AAAA/wAAAAAAAAABAAAAAAAAAAUBAAAACAAAAAAAAAABAAAAAgAAAAMAAAAEAAAABQAAAAcAAAAGAAAACAAAAAAAAAABAAAAAgAA"
    "AAMAAAAEAAAABQAAAAcAAAAGAAAACAQAAAABAAAAAgAAADwAAALuAAAACAEBAAEAAAAAAAAAAAAAAABk/////wAAAIEAAAAAAAAA"
    "CAAAAOYAAAABAAAAAAAAAG4AAAABAAAAAAAAAAAAAAABAAAAAAAAAEEAAAABAAAAAAAAAFUAAAABAAAAAAAAAEYAAAABAAAAAAAA"
    "AGQAAAABAAAAAAAAAFoAAAABAAAAAAAAA+gAAAAAWgAAAAAAAAAAAAAAAAAAAAE="
)


def visual_order(win: AgentWindow) -> list[Column]:
    header = win.view.header()
    return sorted(Column, key=header.visualIndex)


def test_a_layout_saved_before_the_activity_column_restores_with_it_after_status(qtbot: QtBot) -> None:
    fresh = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(fresh)
    assert visual_order(fresh)[:3] == [Column.AGENT, Column.STATUS, Column.ACTIVITY]
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    win.restore_layout("", RELEASED_LAYOUT)
    header = win.view.header()
    assert visual_order(win) == [
        Column.AGENT,
        Column.STATUS,
        Column.ACTIVITY,
        Column.PID,
        Column.COMMAND,
        Column.STARTED,
        Column.RUNTIME,
        Column.PROMPT,
        Column.ROOT,
    ]
    assert [header.sectionSize(c) for c in (Column.AGENT, Column.ROOT, Column.ACTIVITY)] == [230, 90, 250]
    assert header.isSectionHidden(Column.PID) and not header.isSectionHidden(Column.ACTIVITY)
    assert header.sortIndicatorSection() == Column.RUNTIME
    header.moveSection(header.visualIndex(Column.ACTIVITY), header.count() - 1)  # the user's own place
    again = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(again)
    again.restore_layout("", win.layout_state()[1])
    assert visual_order(again) == visual_order(win) and visual_order(again)[-1] is Column.ACTIVITY


@pytest.mark.parametrize("saved", ["not base64!", "AAAA", "AAAA/w==", ""])
def test_a_layout_that_is_not_one_is_ignored(qtbot: QtBot, saved: str) -> None:
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    win.restore_layout("", saved)
    assert visual_order(win)[:3] == [Column.AGENT, Column.STATUS, Column.ACTIVITY]
