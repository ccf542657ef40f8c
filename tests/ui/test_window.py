"""The window: filters, running-only, sorting under parents, highlights, keys, details, status bar."""

from __future__ import annotations

import re
from collections.abc import Iterator

import msgspec
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QWindow
from PySide6.QtTest import QSignalSpy
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.factories import entry, observation
from zag_tray.agents.entry import Entry, SkippedEntry
from zag_tray.agents.observation import EndFacts, Observation
from zag_tray.agents.status import LiveStatus, Stopping
from zag_tray.ui.columns import ENDED_COLOUR, NEW_COLOUR
from zag_tray.ui.model import ENTRY_ID_ROLE, Column
from zag_tray.ui.window import AgentWindow

RUN, EXIT = LiveStatus.RUNNING, LiveStatus.EXITED


ENTRIES = (
    entry("orch", None, 1, pid=500, provider="claude", prompt="Orchestrate <b>it</b>"),
    entry("w1", "orch", 2, pid=900, provider="codex", root="/srv/parser"),
    entry("w2", "orch", 3, pid=300, provider="gemini"),
    entry("g", "w1", 4, pid=700, provider="claude"),
    entry("done", None, 5, pid=200, provider="ollama", status="exited", exit_code=0),
)
STATUSES = {"orch": RUN, "w1": RUN, "w2": RUN, "g": RUN, "done": EXIT}


def observe(
    entries: tuple[Entry, ...] = ENTRIES,
    statuses: dict[str, LiveStatus] | None = None,
    error: str | None = None,
    skipped: tuple[SkippedEntry, ...] = (),
    before: Observation | None = None,
    ends: EndFacts | None = None,
) -> Observation:
    return observation(entries, statuses or STATUSES, error=error, skipped=skipped, before=before, ends=ends)


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[AgentWindow]:
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    win.apply(observe())
    win.show_and_raise()
    yield win


def shown(win: AgentWindow) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    stack = [(0, win.model.index(r, 0)) for r in reversed(range(win.model.rowCount()))]
    while stack:
        depth, index = stack.pop()
        out.append((depth, index.data(ENTRY_ID_ROLE)))
        stack.extend(
            (depth + 1, win.model.index(r, 0, index)) for r in reversed(range(win.model.rowCount(index)))
        )
    return out


def test_running_only_by_default_and_all_on_toggle(window: AgentWindow) -> None:
    assert shown(window) == [(0, "orch"), (1, "w2"), (1, "w1"), (2, "g")]
    window.running_only.setChecked(False)
    assert shown(window) == [(0, "done"), (0, "orch"), (1, "w2"), (1, "w1"), (2, "g")]


def test_text_filter_keeps_the_parents_of_a_match(window: AgentWindow, qtbot: QtBot) -> None:
    window.filter_edit.setText("G")  # the id "g" (and gemini's w2), case-insensitive
    qtbot.waitUntil(lambda: shown(window) == [(0, "orch"), (1, "w2"), (1, "w1"), (2, "g")])
    window.filter_edit.setText("/srv/parser")
    qtbot.waitUntil(lambda: shown(window) == [(0, "orch"), (1, "w1")])
    window.filter_edit.setText("nothing matches this")
    qtbot.waitUntil(lambda: shown(window) == [])


def test_text_filter_waits_for_typing_to_pause(window: AgentWindow, qtbot: QtBot) -> None:
    for text in ("/", "/s", "/sr", "/srv"):
        window.filter_edit.setText(text)
    assert len(shown(window)) == 4  # not yet: no filtering per keystroke
    qtbot.waitUntil(lambda: shown(window) == [(0, "orch"), (1, "w1")])


def test_provider_filter(window: AgentWindow) -> None:
    window.filters.provider.setCurrentText("codex")
    assert shown(window) == [(0, "orch"), (1, "w1")]
    assert [window.filters.provider.itemText(i) for i in range(window.filters.provider.count())] == [
        "All providers",
        "claude",
        "codex",
        "gemini",
        "ollama",
    ]


def test_sorting_keeps_children_under_their_parent(window: AgentWindow) -> None:
    window.sort_by(Column.PID, Qt.SortOrder.AscendingOrder)
    assert shown(window) == [(0, "orch"), (1, "w2"), (1, "w1"), (2, "g")]  # 300 < 900 among siblings
    window.sort_by(Column.PID, Qt.SortOrder.DescendingOrder)
    assert shown(window) == [(0, "orch"), (1, "w1"), (2, "g"), (1, "w2")]
    window.sort_by(Column.STARTED, Qt.SortOrder.DescendingOrder)  # back to zag's order, newest first
    assert shown(window) == [(0, "orch"), (1, "w2"), (1, "w1"), (2, "g")]


def test_new_rows_are_green_and_finished_rows_red_for_a_moment(window: AgentWindow, qtbot: QtBot) -> None:
    window.apply(observe((*ENTRIES, entry("late", "orch", 9)), {**STATUSES, "late": RUN}))
    late = window.model.index_of_id("late")
    assert late.data(Qt.ItemDataRole.BackgroundRole).color() == NEW_COLOUR
    assert window.model.index_of_id("w2").data(Qt.ItemDataRole.BackgroundRole) is None
    ended = {**STATUSES, "w2": EXIT}
    window.apply(observe(statuses=ended, before=window.observation))
    w2 = window.model.index_of_id("w2")
    assert w2.isValid() and w2.data(Qt.ItemDataRole.BackgroundRole).color() == ENDED_COLOUR
    qtbot.waitUntil(lambda: not window.model.index_of_id("w2").isValid(), timeout=4000)


def test_stopping_is_shown_until_the_agent_is_gone_with_force_kill_on_offer(window: AgentWindow) -> None:
    def status() -> str:
        return str(window.model.index_of_id("w2").siblingAtColumn(Column.STATUS).data())

    signalled = Stopping("SIGTERM", 1000.0, by_user=True)
    window.apply(observe(ends=EndFacts(stopping={"w2": signalled})))
    window.select_entry("w2")
    assert status() == "stopping…" and window.agent_actions["force_kill"].isEnabled()
    window.apply(observe(ends=EndFacts(stopping={"w2": msgspec.structs.replace(signalled, overdue=True)})))
    assert status() == "still running after SIGTERM" and window.agent_actions["force_kill"].isEnabled()
    window.apply(observe(ends=EndFacts(ended_by={"w2": "SIGTERM"})))
    assert status() == "running" and not window.agent_actions["force_kill"].isVisible()


def test_details_are_plain_text_and_the_parent_link_selects_it(window: AgentWindow) -> None:
    assert window.select_entry("orch")
    prompt = window.details.labels["prompt"]
    assert prompt.text() == "Orchestrate <b>it</b>" and prompt.textFormat() == Qt.TextFormat.PlainText
    window.select_entry("g")
    assert window.details.labels["id"].text() == "g"
    window.details.labels["parent_process_id"].linkActivated.emit("w1")
    assert window.selected_id() == "w1"
    assert window.buttons["kill_tree"].text() == "Kill tree (2)…" and window.buttons["kill_tree"].isEnabled()


def test_keys_delete_copy_refresh_and_find(window: AgentWindow, qtbot: QtBot) -> None:
    window.activateWindow()
    window.select_entry("w1")
    window.view.setFocus()
    with qtbot.waitSignal(window.kill_requested, timeout=1000) as killed:
        qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert killed.args == ["w1", False]
    with qtbot.waitSignal(window.copy_id_requested, timeout=1000) as copied:
        qtbot.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert copied.args == ["w1"]
    with qtbot.waitSignal(window.refresh_requested, timeout=1000):
        qtbot.keyClick(window.view, Qt.Key.Key_F5)
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.filter_edit


def test_status_bar_says_path_counts_skips_and_errors(window: AgentWindow) -> None:
    window.apply(observe(error="/tmp/x/processes.json: not valid JSON", skipped=(SkippedEntry(3, "pid"),)))
    text = window.status_label.text()
    assert text.startswith("/tmp/x/processes.json  ·  4 running, 5 stored  ·  updated ")
    assert "1 invalid entries skipped" in text and "error: /tmp/x/processes.json: not valid JSON" in text


def test_refresh_keeps_the_scroll_position(qtbot: QtBot) -> None:
    many = tuple(entry(f"a{i:03d}", None, i % 60, pid=1000 + i) for i in range(300))
    statuses = {e.id: RUN for e in many}
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    win.apply(observe(many, statuses))
    win.show_and_raise()
    bar = win.view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    before = bar.value()
    win.apply(observe((*many, entry("zz-new", None, 30, pid=5)), {**statuses, "zz-new": RUN}))
    assert bar.value() == before and before > 0


def test_context_menu_acts_on_its_row(window: AgentWindow, qtbot: QtBot) -> None:
    index = window.model.index_of_id("w2")
    menu = window.context_menu_for(index)
    assert [a.text() for a in menu.actions()] == [
        "Open root",
        "Terminal here",
        "Copy ID",
        "Stop",
        "Kill…",
        "Kill tree (1)…",
    ]
    with qtbot.waitSignal(window.kill_requested, timeout=1000) as killed:
        next(a for a in menu.actions() if a.text() == "Kill…").trigger()
    assert killed.args == ["w2", False]


def test_an_empty_tree_says_why(qtbot: QtBot) -> None:
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    win.show_and_raise()
    assert win.placeholder.isVisible() and win.placeholder.text() == "Reading the store…"
    win.apply(observe(entries=(), statuses={}))
    assert win.placeholder.text() == "No agents yet: zag has not run any here."
    finished_only = (ENTRIES[-1],)
    win.apply(observe(entries=finished_only, statuses={"done": EXIT}))
    assert win.placeholder.text().startswith("No agents running.")
    win.running_only.setChecked(False)
    assert not win.placeholder.isVisible()  # the finished agent is a row
    win.filter_edit.setText("nothing matches this")
    qtbot.waitUntil(lambda: win.placeholder.text() == "No agent matches the filter.")
    assert win.placeholder.isVisible()
    win.filter_edit.clear()
    qtbot.waitUntil(lambda: not win.placeholder.isVisible())


def test_a_hidden_window_gives_back_its_native_window_and_shows_again(
    window: AgentWindow, qtbot: QtBot
) -> None:
    assert window.testAttribute(Qt.WidgetAttribute.WA_WState_Created)
    window.close()  # to the tray
    qtbot.waitUntil(lambda: not window.testAttribute(Qt.WidgetAttribute.WA_WState_Created))
    window.show_and_raise()
    assert window.isVisible() and shown(window) == [(0, "orch"), (1, "w2"), (1, "w1"), (2, "g")]
    window.showMinimized()  # minimised is not hidden: the native window stays
    handle = window.windowHandle()
    qtbot.waitUntil(lambda: handle.visibility() == QWindow.Visibility.Minimized)
    with qtbot.waitCallback() as settled:  # what minimising queued (a release, say) has run by now
        QTimer.singleShot(0, settled)
    assert window.testAttribute(Qt.WidgetAttribute.WA_WState_Created)


def test_a_window_opened_before_the_first_observation_shows_the_tree_unfolded(qtbot: QtBot) -> None:
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    win.show_and_raise()  # as when there is no tray: the window comes first, the store after
    win.apply(observe())
    assert win.view.isExpanded(win.model.index_of_id("orch"))
    assert win.view.isExpanded(win.model.index_of_id("w1"))


def test_a_lingering_row_shows_what_zag_records_after_the_process_is_gone(window: AgentWindow) -> None:
    """The process dies first; zag records the exit a moment later: the red row says so."""
    died = {**STATUSES, "w2": LiveStatus.DEAD}
    window.apply(observe(statuses=died, before=window.observation))
    assert window.model.index_of_id("w2").siblingAtColumn(Column.STATUS).data() == "dead"
    recorded = tuple(
        entry("w2", "orch", 3, pid=300, provider="gemini", status="exited", exit_code=0)
        if e.id == "w2"
        else e
        for e in ENTRIES
    )
    window.apply(observe(recorded, died, before=window.observation))
    assert window.model.index_of_id("w2").siblingAtColumn(Column.STATUS).data() == "exited (0)"


def test_a_double_click_keeps_the_keys_on_the_tree_and_enter_moves_to_the_details(
    window: AgentWindow, qtbot: QtBot
) -> None:
    window.activateWindow()
    index = window.model.index_of_id("w2")
    window.view.setCurrentIndex(index)
    window.view.setFocus()
    # What a double click (or a single click, where the desktop's style says so) makes the view
    # emit; the offscreen platform delivers no double click to simulate it with.
    window.view.activated.emit(index)
    assert QApplication.focusWidget() is window.view
    with qtbot.waitSignal(window.kill_requested, timeout=1000) as killed:
        qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert killed.args == ["w2", False]
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is window.details.labels["id"]


def test_sorting_filtering_and_running_only_keep_the_selection_on_the_same_agent(
    window: AgentWindow, qtbot: QtBot
) -> None:
    assert window.select_entry("g")
    window.sort_by(Column.PID, Qt.SortOrder.DescendingOrder)
    assert window.selected_id() == "g" and window.details.labels["id"].text() == "g"
    window.running_only.setChecked(False)
    assert window.selected_id() == "g"
    window.filter_edit.setText("claude")  # orch and g are claude's
    qtbot.waitUntil(lambda: shown(window) == [(0, "orch"), (1, "w1"), (2, "g")])
    assert window.selected_id() == "g"
    window.filter_edit.setText("gemini")  # g is filtered out: no other agent takes its place
    qtbot.waitUntil(lambda: shown(window) == [(0, "orch"), (1, "w2")])
    assert window.selected_id() is None
    assert window.details.placeholder.text() == "The selected agent g is hidden by the filter."
    assert not window.agent_actions["kill"].isEnabled()
    window.filter_edit.clear()
    qtbot.waitUntil(lambda: window.selected_id() == "g")


def test_the_filter_matches_every_column_shown(window: AgentWindow, qtbot: QtBot) -> None:
    window.filter_edit.setText("700")  # g's pid
    qtbot.waitUntil(lambda: shown(window) == [(0, "orch"), (1, "w1"), (2, "g")])
    window.filter_edit.setText("gemini · sonnet")  # the Agent column's text
    qtbot.waitUntil(lambda: shown(window) == [(0, "orch"), (1, "w2")])
    window.filter_edit.setText("EXEC")  # every command
    qtbot.waitUntil(lambda: len(shown(window)) == 4)


def test_a_match_only_among_finished_agents_says_to_untick_running_only(
    window: AgentWindow, qtbot: QtBot
) -> None:
    window.filter_edit.setText("ollama")  # only the finished "done"
    qtbot.waitUntil(lambda: shown(window) == [])
    assert window.placeholder.text() == "1 finished agent matches: untick “Running only” to see them."


def test_the_tree_gets_the_room_and_the_details_fold_away(window: AgentWindow, qtbot: QtBot) -> None:
    tree, details = window.splitter.sizes()
    assert tree > details > 0
    window.details_toggle.click()
    assert window.splitter.widget(1).isHidden()
    window.details_toggle.click()
    assert not window.splitter.widget(1).isHidden()


def test_with_nothing_selected_the_details_say_so_without_empty_fields(qtbot: QtBot) -> None:
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    win.show_and_raise()
    assert win.details.pages.currentWidget() is win.details.placeholder
    assert win.details.placeholder.text() == "Select an agent to see everything zag recorded about it."
    assert not win.details.fields.isVisible()


def test_force_kill_shows_only_for_an_agent_being_stopped(window: AgentWindow) -> None:
    window.select_entry("w2")
    assert not window.buttons["force_kill"].isVisible() and window.buttons["kill"].isVisible()
    window.apply(observe(ends=EndFacts(stopping={"w2": Stopping("SIGTERM", 1000.0, by_user=True)})))
    assert window.buttons["force_kill"].isVisible()


def test_a_store_that_is_not_zags_own_is_named_in_the_title(qtbot: QtBot) -> None:
    win = AgentWindow("/srv/other/processes.json", name="zag-tray (/srv/other)")
    qtbot.addWidget(win)
    assert win.windowTitle() == "zag-tray (/srv/other) — agents"


def test_times_in_the_details_are_local_and_human_with_the_stored_text_a_hover_away(
    window: AgentWindow,
) -> None:
    assert window.select_entry("w1")
    started = window.details.labels["started_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ months ago\)", started.text())
    assert "2026-03-28T10:02:00Z" in started.toolTip()
    assert window.details.labels["exited_at"].text() == "—"


@pytest.mark.parametrize("selected", ["w2", "w1", "done"])
def test_the_clock_ticking_leaves_the_actions_as_they_are(window: AgentWindow, selected: str) -> None:
    # An action set and set back says it changed, and its buttons lay out and repaint the whole
    # details pane again: every second, while the window is open.
    window.running_only.setChecked(False)
    window.select_entry(selected)
    changed = [QSignalSpy(action.changed) for action in window.actions_on_agent.by_key.values()]
    window.view.tick()
    window.apply(observe())
    assert [spy.count() for spy in changed] == [0] * len(changed)
