"""The rules of ``list``'s table (cli/listing.py, cli/table.py): cells, cuts and colours."""

from __future__ import annotations

import re
from operator import attrgetter
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import entry
from zag_tray.agents.activity import NO_LOG, Activity
from zag_tray.agents.entry import Entry
from zag_tray.agents.present import (
    GREEN,
    GREY,
    NO_VALUE,
    ORANGE,
    RED,
    activity_label,
    age,
    outcome,
    runtime_text,
    title,
)
from zag_tray.agents.status import LiveStatus, live_status
from zag_tray.agents.text import one_line, short_path, visible
from zag_tray.agents.tree import Node, build_forest
from zag_tray.cli import listing
from zag_tray.cli.columns import ages, one_lines, sizes_of, visible_each
from zag_tray.cli.listing import HEADER, _columns, drawn, forest_rows, table_lines
from zag_tray.cli.table import cells, sgr

BOUNDS = [
    0.0,
    0.5,
    1.0,
    -1.0,
    59.99,
    60.0,
    3599.5,
    3600.0,
    172799.9,
    172800.0,
    86400.0 * 60,
    86400.0 * 730,
    -86400.0,
]

NOW = 1774692000.0 + 3600  # an hour after the factories' agents start
SGR = re.compile(r"\x1b\[[0-9;]*m")

WIDE = [
    entry("wide-1", model="クロード", prompt="修复解析器的错误" * 10, status="exited", exit_code=3),
    entry("wide-2", "wide-1", 1, prompt="e\u0301te\u0301 " * 20, status="killed"),  # combining accents
    entry("narrow", minute=2, prompt="plain " * 20, status="exited", exit_code=0),
]


def test_cells_count_what_a_terminal_shows() -> None:
    assert cells("plain ascii") == 11
    assert cells("└─ claude · opus — “quoted” …") == 29  # the usual text: one cell each
    assert cells("クロード") == 8 and cells("e\u0301") == 1 and cells("a\u200bb") == 2
    assert cells("✓ Übersetze") == 11


def test_columns_line_up_in_terminal_cells_with_wide_and_combining_characters() -> None:
    lines = list(table_lines(forest_rows(build_forest(WIDE), {}), NOW))
    assert lines[0].split() == list(HEADER)
    for name in HEADER[1:]:
        at = cells(lines[0][: lines[0].index(name)])
        for line in lines:  # each row's cell starts at the header's cell, after the gap
            index = _index_at_cell(line, at)
            assert line[index - 2 : index] == "  " and line[index] != " ", (name, line)


def _index_at_cell(line: str, at: int) -> int:
    """The index of the character of ``line`` that starts at cell ``at``."""
    used = 0
    for index, char in enumerate(line):
        if used == at:
            return index
        used += cells(char)
    raise AssertionError(f"no character starts at cell {at}: {line!r}")


@pytest.mark.parametrize("colour", [False, True])
def test_every_width_cuts_at_a_character_and_ends_every_colour(colour: bool) -> None:
    whole = list(table_lines(forest_rows(build_forest(WIDE), {}), NOW))
    for width in range(1, max(map(cells, whole)) + 2):
        for line, full in zip(
            table_lines(forest_rows(build_forest(WIDE), {}), NOW, width=width, colour=colour),
            whole,
            strict=True,
        ):
            plain = SGR.sub("", line)
            first = full.split("  ")[0]  # the tree and the id: never cut
            assert cells(plain) <= max(width, cells(first) + 1), (width, line)
            assert plain == full or (plain.endswith("…") and full.startswith(plain[:-1])), (width, line)
            assert line.count("\x1b[0m") == len(SGR.findall(line)) / 2  # every colour ended
            assert plain.startswith(first)


@pytest.mark.parametrize("colour", ["never", "always"])
def test_the_table_is_written_a_batch_at_a_time_as_it_is_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], colour: str
) -> None:
    rows = forest_rows(build_forest(WIDE), {})
    monkeypatch.setattr(listing, "BATCH", 2)  # the header and 3 rows: 2 batches, the last short
    listing.print_table(rows, NOW, {}, colour)
    assert capsys.readouterr().out == "\n".join(table_lines(rows, NOW, colour=colour == "always")) + "\n"


def test_only_the_status_is_coloured_in_the_terminal_s_own_colours() -> None:
    lines = list(table_lines(forest_rows(build_forest(WIDE), {}), NOW, colour=True))
    assert [len(SGR.findall(line)) for line in lines] == [0, 2, 2, 2]
    coloured = [re.findall(r"\x1b\[[0-9]+m([^\x1b]*)\x1b\[0m", line) for line in lines[1:]]
    assert coloured == [["exited (0)"], ["exited (3)"], ["killed"]]
    assert "\x1b[31mexited (3)\x1b[0m" in lines[2]  # a failure is red under every rule
    assert [sgr(c) for c in (GREEN, RED, ORANGE, GREY)] == ["\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[90m"]
    assert sgr("not a colour") == ""


# --- a column at a time (cli/columns.py) is each row's own answer ---------------------------

texts = (
    st.none()
    | st.text(max_size=300)
    | st.sampled_from(
        ["  padded  ", "x" * 61, "y" * 241, "a\nb\tc", "\u2028\x1b[31m", "日本語" * 30, "e\u0301", "a · b"]
    )
)


@given(st.lists(st.floats(-4e9, 4e9) | st.sampled_from(BOUNDS), max_size=40))
def test_ages_are_age_of_each(deltas: list[float]) -> None:
    assert ages(deltas) == [age(delta) for delta in deltas]


@given(st.lists(texts, max_size=20), st.sampled_from([0, 1, 20, 30, 60]))
def test_one_lines_are_one_line_of_each(column: list[str | None], limit: int) -> None:
    assert one_lines(column, limit) == [one_line(text, limit) for text in column]


@given(st.lists(st.text(max_size=12), max_size=20))
def test_visible_each_and_sizes_are_those_of_each(column: list[str]) -> None:
    assert visible_each(column) == [visible(text) for text in column]
    assert sizes_of(column) == [cells(text) for text in column]


one_entry = st.builds(
    entry,
    st.sampled_from(["a", "b", "c\x1b", "d\u202e"]),
    st.none() | st.sampled_from(["a", "b", "gone"]),
    st.integers(0, 59),
    status=st.sampled_from(["running", "exited", "killed", "paused"]),
    exit_code=st.none() | st.integers(-3, 3),
    exited_at=st.none()
    | st.sampled_from(["2026-03-28T11:00:00Z", "2026-03-28T10:30:00.5+02:00", "soon", ""]),
    prompt=texts,
    root=st.none() | st.sampled_from(["/home/dev/x", "/elsewhere\n", ""]),
    provider=st.sampled_from(["claude", "co\u200edex", "x" * 30]),
)
entries_ = st.lists(
    st.builds(
        lambda made, odd: msgspec.structs.replace(made, started_at="soon\n", started=None) if odd else made,
        one_entry,
        st.booleans(),
    ),
    max_size=12,
)


@given(
    st.lists(one_entry, max_size=12),
    st.dictionaries(st.sampled_from(["a", "b"]), st.sampled_from(LiveStatus)),
)
def test_the_columns_are_each_row_s_own_cells(entries: list[Entry], checked: dict[str, LiveStatus]) -> None:
    """cli/listing.py's columns, as they were worked out row by row from agents/present.py."""
    roots = build_forest(entries)
    activity = {"a": NO_LOG} if "a" in checked else {}  # read for a running agent's log: "unknown"
    assert _columns(forest_rows(roots, checked), NOW, activity) == row_by_row(roots, checked, NOW, activity)


def row_by_row(
    roots: list[Node], checked: dict[str, LiveStatus], now: float, activity: dict[str, Activity]
) -> tuple[list[list[str]], list[str]]:
    columns: list[list[str]] = [[name] for name in HEADER]
    colours = [""]
    ids, agents, commands, states, doing, pids, starts, runtimes, roots_, prompts = columns
    for prefix, node in zip(*drawn(roots, attrgetter("children")), strict=True):
        item = node.entry
        status = live_status(item, checked)
        shown = outcome(item, status)
        ids.append(prefix + visible(item.id[:8]))
        agents.append(title(item))
        commands.append(one_line(item.command, 20))
        states.append(shown.label)
        doing.append(activity_label(activity.get(item.id), now))
        colours.append(sgr(shown.colour))
        pids.append(str(item.pid))
        starts.append(one_line(item.started_at, 30) if item.started is None else age(now - item.started))
        runtimes.append(runtime_text(item, status, now))
        roots_.append(one_line(short_path(item.root, Path.home()), 60) if item.root else NO_VALUE)
        prompts.append(one_line(item.prompt, 60) or NO_VALUE)
    return columns, colours


@given(entries_, st.integers(1, 4))
def test_the_tree_is_drawn_as_each_depth_drew_it(entries: list[Entry], cap: int) -> None:
    """cli/listing.py's ``drawn``, as it was drawn keeping each depth's last child (also with
    the drawn depth capped, so deep trees are covered by small ones)."""
    roots = build_forest(entries)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(listing, "MAX_DRAWN_DEPTH", cap)
        assert [(p, id(n)) for p, n in zip(*drawn(roots, attrgetter("children")), strict=True)] == [
            (p, id(n)) for p, n in drawn_by_depth(roots, cap)
        ]


def drawn_by_depth(roots: list[Node], cap: int) -> list[tuple[str, Node]]:
    walked = []
    stack = [(0, node, i == 0) for i, node in enumerate(reversed(roots))]
    while stack:
        depth, node, is_last = stack.pop()
        walked.append((depth, node, is_last))
        stack.extend((depth + 1, child, i == 0) for i, child in enumerate(reversed(node.children)))
    drawn, last_at_depth = [], []
    for depth, node, is_last in walked:
        del last_at_depth[depth:]
        prefix = "".join("   " if last else "│  " for last in last_at_depth[1:cap])
        if depth:
            prefix += "└─ " if is_last else "├─ "
        if depth > cap:
            prefix += f"[{depth}] "
        last_at_depth.append(is_last)
        drawn.append((prefix, node))
    return drawn
