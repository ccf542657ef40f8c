"""The item model: QAbstractItemModelTester through store changes; views keep their state."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QTreeView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from tests.factories import entry, stored
from zag_tray.agents.entry import Entry
from zag_tray.agents.status import PLAIN, AgentState, LiveStatus
from zag_tray.agents.tree import build_forest, walk
from zag_tray.procs.monitor import Monitor
from zag_tray.store.layout import serialise
from zag_tray.store.parse import parse_entry
from zag_tray.store.reader import StoreReader
from zag_tray.ui.model import BATCH_ROWS, ENTRY_ID_ROLE, ENTRY_ROLE, LIVE_STATUS_ROLE, AgentTreeModel, Column

RUN, EXIT, DEAD = LiveStatus.RUNNING, LiveStatus.EXITED, LiveStatus.DEAD


def status_by_id(statuses: dict[str, LiveStatus]) -> Callable[[Entry], AgentState]:
    return lambda e: PLAIN[statuses.get(e.id, LiveStatus.UNKNOWN)]


def apply(model: AgentTreeModel, entries: list[Entry], statuses: dict[str, LiveStatus]) -> None:
    model.apply(build_forest(entries), status_by_id(statuses), now=1774692000.0 + 3600)


def rows(model: AgentTreeModel) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    stack = [(0, model.index(r, 0)) for r in reversed(range(model.rowCount()))]
    while stack:
        depth, index = stack.pop()
        out.append((depth, index.data(ENTRY_ID_ROLE)))
        stack.extend((depth + 1, model.index(r, 0, index)) for r in reversed(range(model.rowCount(index))))
    return out


STEPS = [  # a sequence of store states: agents start, nest, finish, die, re-parent
    ([entry("orch", None, 1)], {"orch": RUN}),
    ([entry("orch", None, 1), entry("w1", "orch", 2)], {"orch": RUN, "w1": RUN}),
    (
        [entry("orch", None, 1), entry("w1", "orch", 2), entry("w2", "orch", 3), entry("g", "w1", 4)],
        {"orch": RUN, "w1": RUN, "w2": RUN, "g": RUN},
    ),
    (
        [
            entry("orch", None, 1),
            entry("w1", "orch", 2, status="exited", exit_code=0),
            entry("w2", "orch", 3),
            entry("g", "w1", 4),
        ],
        {"orch": RUN, "w1": EXIT, "w2": RUN, "g": RUN},
    ),
    (
        [entry("orch", None, 1), entry("w2", "orch", 3), entry("g", "orch", 4), entry("solo", None, 5)],
        {"orch": RUN, "w2": DEAD, "g": RUN, "solo": RUN},
    ),
    ([entry("solo", None, 5), entry("orch", "solo", 6)], {"orch": RUN, "solo": RUN}),
    ([], {}),
]


def test_model_passes_the_model_tester_through_store_changes(qtmodeltester: ModelTester) -> None:
    model = AgentTreeModel()
    qtmodeltester.check(model, force_py=True)
    for entries, statuses in STEPS:
        apply(model, entries, statuses)
        expected = [(d, n.entry.id) for d, n in walk(build_forest(entries))]
        assert rows(model) == expected


def test_refresh_applies_changes_without_a_reset() -> None:
    model = AgentTreeModel()
    resets: list[str] = []
    apply(model, *STEPS[0])  # an empty model is filled in one go
    model.modelReset.connect(lambda: resets.append("reset"))
    for entries, statuses in STEPS[1:]:
        apply(model, entries, statuses)
    assert resets == []


def test_selection_and_expansion_survive_a_refresh(qtbot: object) -> None:
    model = AgentTreeModel()
    view = QTreeView()
    view.setModel(model)
    entries, statuses = STEPS[2]
    apply(model, entries, statuses)
    w1 = model.index_of_id("w1")
    view.expand(model.index_of_id("orch"))
    view.expand(w1)
    view.selectionModel().setCurrentIndex(w1, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    apply(
        model,
        [*entries, entry("new", "orch", 9), entry("other", None, 8)],
        {**statuses, "new": RUN, "other": RUN},
    )
    current = view.selectionModel().currentIndex()
    assert current.data(ENTRY_ID_ROLE) == "w1"
    assert view.isExpanded(model.index_of_id("orch")) and view.isExpanded(model.index_of_id("w1"))
    assert view.selectionModel().isSelected(model.index_of_id("w1"))


def test_columns_show_plain_values() -> None:
    model = AgentTreeModel()
    apply(
        model,
        [entry("a", None, 1, prompt="<b>x</b>\nline", root="/tmp/p", status="exited", exit_code=3)],
        {"a": EXIT},
    )
    row = [model.index(0, c).data() for c in Column]
    assert row[Column.AGENT] == "claude · sonnet"
    assert row[Column.STATUS] == "exited (3)"
    assert row[Column.PROMPT] == "<b>x</b> line"
    started = model.index(0, Column.STARTED).data(Qt.ItemDataRole.ToolTipRole)
    assert "2026-03-28T10:01:00Z" in started and "<br>" in started  # local time, then as stored


@pytest.fixture
def west_of_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time 8 hours behind UTC (a POSIX TZ rule: no time zone files needed)."""
    monkeypatch.setenv("TZ", "XST8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("west_of_utc")
def test_a_start_the_local_calendar_cannot_hold_is_shown_as_stored() -> None:
    """0001-01-01T00:00:00+00:00 is year 0 west of UTC: the tooltip raised ValueError."""
    model = AgentTreeModel()
    first, last = "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-23:59"
    apply(model, [store_entry_at("first", first), store_entry_at("last", last)], {})
    tips = {model.index(r, 0).data(ENTRY_ID_ROLE): model.index(r, Column.STARTED) for r in range(2)}
    assert first in tips["first"].data(Qt.ItemDataRole.ToolTipRole)
    assert last in tips["last"].data(Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize("started_at", ["20260328T100000Z", "2026-W13-6T10:00:00Z", "yesterday"])
def test_a_start_that_is_not_rfc3339_is_shown_as_given_and_sorts_as_the_oldest(started_at: str) -> None:
    model = AgentTreeModel()
    apply(model, [store_entry_at("odd", started_at), entry("z", None, 1), entry("y", None, 2)], {})
    assert [model.index(r, 0).data(ENTRY_ID_ROLE) for r in range(3)] == ["y", "z", "odd"]
    odd = model.index(2, Column.STARTED)
    assert odd.data() == started_at  # no "ago": no time is worked out from it
    assert started_at in odd.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(2, Column.RUNTIME).data() == "—"


def store_entry_at(entry_id: str, started_at: str) -> Entry:
    parsed = parse_entry({**stored(entry_id), "started_at": started_at})
    assert isinstance(parsed, Entry), parsed
    return parsed


# --- the "All" view of a big store: batches of top-level rows, and changes applied alone ---------

Edit = tuple[str, int, int]
edits = st.tuples(
    st.sampled_from(["finish", "prompt", "start", "start-child", "reparent", "retime", "remove"]),
    st.integers(0, 50),
    st.integers(0, 50),
)


def store_entry(number: int, parent: str | None = None, status: str = "running") -> dict[str, object]:
    # pid: no such process, so stored running reads as dead, the same both ways
    return stored(
        f"e{number:03d}", parent, number // 60, second=number % 60, pid=4_000_000 + number, status=status
    )


def edit_store(items: list[dict[str, object]], edit: Edit, serial: int) -> None:
    kind, a, b = edit
    target = items[a % len(items)] if items else None
    if kind in ("start", "start-child") or target is None:
        parent = items[b % len(items)]["id"] if kind == "start-child" and items else None
        items.append(store_entry(100 + serial, parent))  # type: ignore[arg-type]
    elif kind == "finish":
        target.update(status="exited", exit_code=b % 3, exited_at="2026-03-28T12:00:00Z")
    elif kind == "prompt":
        target["prompt"] = f"prompt {serial}"
    elif kind == "reparent":
        target["parent_process_id"] = items[b % len(items)]["id"]
    elif kind == "retime":  # now and then to a start zag cannot read as a time (the oldest)
        target["started_at"] = f"2026-03-28T11:{b % 60:02d}:00Z" if b % 7 else f"at {b}"
    else:
        items.remove(target)


def every_row(model: AgentTreeModel) -> list[tuple[int, object, object]]:
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    out: list[tuple[int, object, object]] = []
    stack = [(0, model.index(r, 0)) for r in reversed(range(model.rowCount()))]
    while stack:
        depth, index = stack.pop()
        out.append((depth, index.data(ENTRY_ROLE), index.data(LIVE_STATUS_ROLE)))
        stack.extend((depth + 1, model.index(r, 0, index)) for r in reversed(range(model.rowCount(index))))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.integers(0, 12),
    steps=st.lists(st.lists(edits, min_size=1, max_size=3), min_size=1, max_size=6),
    batch=st.integers(1, 4),
)
def test_a_change_applied_alone_shows_what_a_full_apply_shows(
    tmp_path_factory: pytest.TempPathFactory,
    qtmodeltester: ModelTester,
    start: int,
    steps: list[list[Edit]],
    batch: int,
) -> None:
    path = tmp_path_factory.mktemp("store") / "processes.json"
    items = [store_entry(n, f"e{n // 3:03d}" if n % 3 else None) for n in range(start)]
    path.write_bytes(serialise({"processes": items}))
    monitor = Monitor(path, reader=StoreReader(path, group_bytes=1))  # one entry per group: small changes
    model = AgentTreeModel(batch_rows=batch)  # many top-level rows not yet fetched
    qtmodeltester.check(model)  # Qt's own tester checks every signal the model sends
    first = monitor.observe()
    model.apply(build_forest(first.snapshot.entries), first.state_of, source=first.snapshot)
    serials = iter(range(len(steps) * 3))  # a new agent, a new id
    for step in steps:
        for edit in step:
            edit_store(items, edit, next(serials))
        path.write_bytes(serialise({"processes": items}))
        seen = monitor.observe()
        if not model.apply_change(seen.snapshot, seen.change, seen.state_of):
            model.apply(build_forest(seen.snapshot.entries), seen.state_of, source=seen.snapshot)
        fresh = AgentTreeModel()
        fresh.apply(build_forest(seen.snapshot.entries), seen.state_of)
        assert every_row(model) == every_row(fresh)


def test_zags_usual_writes_take_the_short_road(tmp_path: Path) -> None:
    """An agent starts, its pid is updated, it finishes: no walk over the whole forest."""
    items = [store_entry(n) for n in range(30)]
    path = tmp_path / "processes.json"
    path.write_bytes(serialise({"processes": items}))
    monitor, model = Monitor(path), AgentTreeModel()
    first = monitor.observe()
    model.apply(build_forest(first.snapshot.entries), first.state_of, source=first.snapshot)
    inserted: list[int] = []
    model.rowsInserted.connect(lambda parent, first_row, last_row: inserted.append(first_row))
    for edit in (lambda: items.append(store_entry(99, "e010")), lambda: items[5].update(pid=7)):
        edit()
        path.write_bytes(serialise({"processes": items}))
        seen = monitor.observe()
        assert model.apply_change(seen.snapshot, seen.change, seen.state_of)
    assert inserted == [0]  # the new worker, first (newest) under e010
    assert model.entry("e005").pid == 7  # type: ignore[union-attr]
    assert model.index_of_id("e099").parent().data(ENTRY_ID_ROLE) == "e010"


def test_top_level_rows_reach_the_view_in_batches(qtbot: QtBot) -> None:
    model = AgentTreeModel()
    many = [entry(f"r{n:03d}", None, n % 60) for n in range(BATCH_ROWS + 20)]
    model.apply(build_forest(many), status_by_id({}))
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    assert model.rowCount() == BATCH_ROWS and model.canFetchMore(QModelIndex())
    assert model.index_of_id(many[0].id).isValid()  # asking for a row hands it over
    assert model.rowCount() == len(many)


def test_scrolling_to_the_end_fetches_the_next_batch(qtbot: QtBot) -> None:
    model = AgentTreeModel()
    many = [entry(f"r{n:04d}", None, n % 60) for n in range(BATCH_ROWS * 4 + 20)]
    model.apply(build_forest(many), status_by_id({}))
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    given = model.rowCount()  # what the view took to lay itself out: a batch or two
    assert given < len(many) and given % BATCH_ROWS == 0
    view.scrollToBottom()  # the view asks for more as its end comes into sight
    qtbot.waitUntil(lambda: model.rowCount() > given)
    assert model.rowCount() < len(many)  # one batch more, not everything
