"""The item model: QAbstractItemModelTester through store changes; views keep their state."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTreeView
from pytestqt.modeltest import ModelTester

from zag_tray.core.demo import make_entry
from zag_tray.core.liveness import LiveStatus
from zag_tray.core.store import Entry, parse_entry
from zag_tray.core.tree import build_forest
from zag_tray.ui.model import ENTRY_ID_ROLE, AgentTreeModel, Column

RUN, EXIT, DEAD = LiveStatus.RUNNING, LiveStatus.EXITED, LiveStatus.DEAD


def entry(entry_id: str, parent: str | None = None, minute: int = 0, **fields: object) -> Entry:
    parsed = parse_entry(
        make_entry(
            pid=1000 + minute,
            entry_id=entry_id,
            parent=parent,  # type: ignore[arg-type]
            started_at=f"2026-03-28T10:{minute:02d}:00Z",
            **fields,
        )
    )
    assert isinstance(parsed, Entry)
    return parsed


def apply(model: AgentTreeModel, entries: list[Entry], statuses: dict[str, LiveStatus]) -> None:
    model.apply(build_forest(entries), statuses, now=1774692000.0 + 3600)


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
        expected = [
            (d, n.entry.id)
            for d, n in __import__("zag_tray.core.tree", fromlist=["walk"]).walk(build_forest(entries))
        ]
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
    assert model.index(0, Column.STARTED).data(Qt.ItemDataRole.ToolTipRole).startswith("2026-03-28")
