"""``zag-tray list``: the agents as a table under a header, as ``docker ps`` and ``kubectl
get`` print theirs, the tree drawn in the ID column.

Columns are padded to their widest cell (in terminal cells: cli/table.py), and each line
is cut to the terminal's width at its end, so the tree and the id, drawn first, stay
whole. Only the status is coloured, with our own escape sequences around text that
``visible``/``one_line`` (agents/text.py) have already escaped: nothing of the store's
reaches the terminal raw. The table is built a column at a time, so 100,000 rows cost a
few list comprehensions and joins in C, not a Python loop per cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress, count, repeat
from operator import add, attrgetter, itemgetter, sub
from typing import Final

from zag_tray.agents.activity import Activity
from zag_tray.agents.entry import Entry
from zag_tray.agents.present import NO_VALUE, activity_label
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.text import ELLIPSIS
from zag_tray.agents.tree import Node
from zag_tray.cli.columns import (
    commands,
    live_statuses,
    one_cell_each_in,
    one_lines,
    outcomes_of,
    root_cells,
    runtime_cells,
    sizes_of,
    started_cells,
    titles,
    visible_each,
)
from zag_tray.cli.table import RESET, cut_index, sgr

HEADER: Final = (
    "ID",
    "AGENT",
    "COMMAND",
    "STATUS",
    "ACTIVITY",
    "PID",
    "STARTED",
    "RUNTIME",
    "ROOT",
    "PROMPT",
)
STATUS: Final = HEADER.index("STATUS")
GAP: Final = "  "

MAX_DRAWN_DEPTH: Final = 32
"""Tree levels drawn as indentation; deeper agents are drawn at this depth, their own depth
written before them (``└─ [9999] ...``). In full, a 10,000-deep chain was 150 MB of spaces."""


def table_lines(
    roots: list[Node],
    checked: Mapping[str, LiveStatus],
    now: float,
    activity: Mapping[str, Activity] | None = None,
    *,
    width: int | None = None,
    colour: bool = False,
) -> list[str]:
    """The human ``list`` output: a header and one line per agent, drawn as a tree; each
    line cut to ``width`` cells (None: whole), the status coloured with ``colour``."""
    columns, colours = _columns(roots, checked, now, activity or {})
    one_cell = list(map(one_cell_each_in, columns))
    sizes = list(map(sizes_of, columns, one_cell))
    widest = list(map(max, sizes[:-1]))
    if width is None and not colour:
        return _lines(columns, one_cell, sizes, widest)
    padded = list(map(_padded, columns[:-1], sizes[:-1], widest))
    lines = list(map(GAP.join, zip(*padded, columns[-1], strict=True)))
    fixed = sum(widest) + len(GAP) * (len(columns) - 1)  # cells before the last column
    starts = [sum(map(len, row)) + len(GAP) * STATUS for row in zip(*padded[:STATUS], strict=True)]
    for i, line in enumerate(lines):
        at = None if width is None else cut_index(line, fixed + sizes[-1][i], width, keep=len(columns[0][i]))
        text, end = (line, "") if at is None else (line[:at].rstrip(" "), ELLIPSIS)
        start = starts[i]
        if colour and colours[i] and start < len(text):
            stop = start + len(columns[STATUS][i])
            text = f"{text[:start]}{colours[i]}{text[start:stop]}{RESET}{text[stop:]}"
        lines[i] = text + end
    return lines


def _lines(
    columns: list[list[str]], one_cell: list[bool], sizes: list[list[int]], widest: list[int]
) -> list[str]:
    """The lines whole: each row through one ``%`` format, which pads a column whose cells
    are all as wide as they are long; a column with a wider cell is padded cell by cell."""
    spec, shown = [], []
    for column, uniform, sized, most in zip(columns[:-1], one_cell, sizes[:-1], widest, strict=False):
        if uniform:
            spec.append(f"%-{most}s")
            shown.append(column)
        else:
            spec.append("%s")
            shown.append(_padded(column, sized, most))
    row = GAP.join([*spec, "%s"])
    return list(map(row.__mod__, zip(*shown, columns[-1], strict=True)))


def _padded(column: list[str], sizes: list[int], widest: int) -> list[str]:
    """Each cell padded to ``widest`` cells. ljust counts characters: a cell gets as many more
    as it takes cells fewer than it has characters."""
    return list(map(str.ljust, column, map(add, repeat(widest), map(sub, map(len, column), sizes))))


def _columns(
    roots: list[Node], checked: Mapping[str, LiveStatus], now: float, activity: Mapping[str, Activity]
) -> tuple[list[list[str]], list[str]]:
    """Each column's cells, the header first, and each row's status colour (SGR, or ""): a
    column at a time (cli/columns.py). ACTIVITY is what the log of a running agent shows ("—"
    for the others: not read)."""
    drawn = _drawn(roots)
    entries = [node.entry for _, node in drawn]
    statuses = live_statuses(entries, checked)
    outcomes = outcomes_of(statuses, entries)
    prompts = one_lines(list(map(_PROMPT, entries)), 60)
    cells_ = (
        list(map(add, map(itemgetter(0), drawn), visible_each([entry.id[:8] for entry in entries]))),
        titles(map(_PROVIDER, entries), map(_MODEL, entries)),
        commands(map(_COMMAND, entries)),
        list(map(_LABEL, outcomes)),
        _activity_cells(entries, activity, now),
        list(map(str, map(_PID, entries))),
        started_cells(entries, now),
        runtime_cells(entries, statuses, now),
        root_cells(map(_ROOT, entries)),
        [prompt or NO_VALUE for prompt in prompts],
    )
    columns = [[name, *column] for name, column in zip(HEADER, cells_, strict=True)]
    return columns, ["", *map(sgr, map(_COLOUR, outcomes))]


def _activity_cells(entries: list[Entry], activity: Mapping[str, Activity], now: float) -> list[str]:
    """``activity_label`` of each entry's activity: the same dash for all but the few running
    agents whose log was read."""
    cells_ = [activity_label(None, now)] * len(entries)
    if activity:
        for position in compress(count(), map(activity.__contains__, map(_ID, entries))):
            cells_[position] = activity_label(activity[entries[position].id], now)
    return cells_


_ID, _PROMPT = attrgetter("id"), attrgetter("prompt")
_PROVIDER, _MODEL = attrgetter("provider"), attrgetter("model")
_COMMAND, _PID, _ROOT = attrgetter("command"), attrgetter("pid"), attrgetter("root")
_LABEL, _COLOUR = attrgetter("label"), attrgetter("colour")


def _drawn(roots: list[Node]) -> list[tuple[str, Node]]:
    """Each node depth first, with the tree drawn before it (``│  ├─ ``): the lines of its
    ancestors below the roots (to :data:`MAX_DRAWN_DEPTH`), then its own branch."""
    drawn: list[tuple[str, Node]] = []
    append = drawn.append
    for root in roots:
        append(("", root))
        if not root.children:
            continue  # most roots: nothing below
        # (node, depth, is it its parent's last child, what its ancestors draw before it)
        stack = [(child, 1, i == 0, "") for i, child in enumerate(reversed(root.children))]
        pop, push = stack.pop, stack.extend
        while stack:
            node, depth, is_last, lines = pop()
            prefix = lines + ("└─ " if is_last else "├─ ")
            append((prefix if depth <= MAX_DRAWN_DEPTH else f"{prefix}[{depth}] ", node))
            kids = node.children
            if kids:
                below = lines + ("   " if is_last else "│  ") if depth < MAX_DRAWN_DEPTH else lines
                push((child, depth + 1, i == 0, below) for i, child in enumerate(reversed(kids)))
    return drawn
