"""``zag-tray list``: the agents as a table under a header, as ``docker ps`` and ``kubectl
get`` print theirs, the tree drawn in the ID column.

Columns are padded to their widest cell (in terminal cells: cli/table.py), and each line
is cut to the terminal's width at its end, so the tree and the id, drawn first, stay
whole. Only the status is coloured, with our own escape sequences around text that
``visible``/``one_line`` (agents/text.py) have already escaped: nothing of the store's
reaches the terminal raw. The table is built a column at a time, so 100,000 rows cost a
few list comprehensions and joins in C, not a Python loop per cell; its lines are made as
they are written. Its agents come as :class:`Rows`: of a forest of nodes (a full read of
the store, or a zag serve's answer), or of the items a scan of the store kept (cli/every.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import compress, count, islice, repeat
from operator import add, attrgetter, sub
from typing import Any, Final, TypeVar

import msgspec

from zag_tray.agents.activity import Activity
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
from zag_tray.cli.table import RESET, cut_index, sgr, terminal_width, wants_colour

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
BATCH: Final = 4096
"""Lines written at a time."""

MAX_DRAWN_DEPTH: Final = 32
"""Tree levels drawn as indentation; deeper agents are drawn at this depth, their own depth
written before them (``└─ [9999] ...``). In full, a 10,000-deep chain was 150 MB of spaces."""


class Rows(msgspec.Struct, frozen=True, gc=False):
    """The agents of the table, a column each, in the order they are drawn: all its cells are
    worked out from. Made of a forest of nodes (:func:`forest_rows`), or of items read as
    zag's entries without a node each (cli/every.py, ``list --all`` of a big store)."""

    trees: list[str]
    """What is drawn before each id: the tree (``│  ├─ ``), see :func:`drawn`."""
    ids: list[str]
    providers: list[str]
    models: list[str]
    commands: list[str]
    pids: list[int]
    roots: list[str | None]
    prompts: list[str | None]
    started_ats: list[str]
    starts: list[float | None]
    """Each ``started_at`` as a POSIX time (None: not RFC 3339)."""
    exited_ats: list[str | None]
    exit_codes: list[int | None]
    statuses: list[LiveStatus]


def rows_of(
    trees: list[str],
    agents: list[Any],
    starts: list[float | None],
    exit_codes: list[int | None],
    checked: Mapping[str, LiveStatus],
) -> Rows:
    """The rows of ``agents`` (entries, or items with zag's keys) drawn after ``trees``, with
    their starts and exit codes, their live statuses from ``checked``."""
    ids = list(map(_ID, agents))
    return Rows(
        trees,
        ids,
        list(map(_PROVIDER, agents)),
        list(map(_MODEL, agents)),
        list(map(_COMMAND, agents)),
        list(map(_PID, agents)),
        list(map(_ROOT, agents)),
        list(map(_PROMPT, agents)),
        list(map(_STARTED_AT, agents)),
        starts,
        list(map(_EXITED_AT, agents)),
        exit_codes,
        live_statuses(ids, list(map(_STATUS, agents)), checked),
    )


def forest_rows(roots: list[Node], checked: Mapping[str, LiveStatus]) -> Rows:
    """The rows of a forest of nodes: each node depth first, its tree drawn before it."""
    trees, nodes = drawn(roots, _CHILDREN)
    entries = list(map(_ENTRY, nodes))
    return rows_of(trees, entries, list(map(_STARTED, entries)), list(map(_EXIT_CODE, entries)), checked)


def print_table(rows: Rows, now: float, activity: Mapping[str, Activity], colour_choice: str) -> None:
    """The table written to stdout: each line cut to the terminal's width, coloured where asked
    (``--color``), as cli/table.py decides; :data:`BATCH` lines at a time, each made as it is
    written, so the text of 100,000 (15 MB, and as much again encoded) is never held whole."""
    out = sys.stdout
    lines = table_lines(
        rows, now, activity, width=terminal_width(out), colour=wants_colour(colour_choice, out)
    )
    while batch := list(islice(lines, BATCH)):
        out.write("\n".join(batch) + "\n")


def table_lines(
    rows: Rows,
    now: float,
    activity: Mapping[str, Activity] | None = None,
    *,
    width: int | None = None,
    colour: bool = False,
) -> Iterator[str]:
    """The human ``list`` output: a header and one line per agent, drawn as a tree, each made
    as it is taken; each line cut to ``width`` cells (None: whole), the status coloured with
    ``colour``."""
    columns, colours = _columns(rows, now, activity or {})
    one_cell = list(map(one_cell_each_in, columns))
    sizes = list(map(sizes_of, columns, one_cell))
    widest = list(map(max, sizes[:-1]))
    if width is None and not colour:
        return _lines(columns, one_cell, sizes, widest)
    return _cut_lines(columns, sizes, widest, colours if colour else None, width)


def _cut_lines(
    columns: list[list[str]],
    sizes: list[list[int]],
    widest: list[int],
    colours: list[str] | None,
    width: int | None,
) -> Iterator[str]:
    """Each line cut to ``width`` cells (None: whole), its status coloured where ``colours``
    gives it one (SGR, or ""; None: none is)."""
    padded = list(map(_padded, columns[:-1], sizes[:-1], widest))
    fixed = sum(widest) + len(GAP) * (len(columns) - 1)  # cells before the last column
    lasts, ids, statuses = sizes[-1], columns[0], columns[STATUS]
    for i, row in enumerate(zip(*padded, columns[-1], strict=True)):
        line = GAP.join(row)
        at = None if width is None else cut_index(line, fixed + lasts[i], width, keep=len(ids[i]))
        text, end = (line, "") if at is None else (line[:at].rstrip(" "), ELLIPSIS)
        start = sum(map(len, row[:STATUS])) + len(GAP) * STATUS
        if colours is not None and colours[i] and start < len(text):
            stop = start + len(statuses[i])
            text = f"{text[:start]}{colours[i]}{text[start:stop]}{RESET}{text[stop:]}"
        yield text + end


def _lines(
    columns: list[list[str]], one_cell: list[bool], sizes: list[list[int]], widest: list[int]
) -> Iterator[str]:
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
    return map(row.__mod__, zip(*shown, columns[-1], strict=True))


def _padded(column: list[str], sizes: list[int], widest: int) -> list[str]:
    """Each cell padded to ``widest`` cells. ljust counts characters: a cell gets as many more
    as it takes cells fewer than it has characters."""
    return list(map(str.ljust, column, map(add, repeat(widest), map(sub, map(len, column), sizes))))


def _columns(rows: Rows, now: float, activity: Mapping[str, Activity]) -> tuple[list[list[str]], list[str]]:
    """Each column's cells, the header first, and each row's status colour (SGR, or ""): a
    column at a time (cli/columns.py). ACTIVITY is what the log of a running agent shows ("—"
    for the others: not read)."""
    outcomes = outcomes_of(rows.statuses, rows.exit_codes)
    prompts = one_lines(rows.prompts, 60)
    cells_ = (
        list(map(add, rows.trees, visible_each([ident[:8] for ident in rows.ids]))),
        titles(rows.providers, rows.models),
        commands(rows.commands),
        list(map(_LABEL, outcomes)),
        _activity_cells(rows.ids, activity, now),
        list(map(str, rows.pids)),
        started_cells(rows.started_ats, rows.starts, now),
        runtime_cells(rows.starts, rows.exited_ats, rows.statuses, now),
        root_cells(rows.roots),
        [prompt or NO_VALUE for prompt in prompts],
    )
    columns = [[name, *column] for name, column in zip(HEADER, cells_, strict=True)]
    return columns, ["", *map(sgr, map(_COLOUR, outcomes))]


def _activity_cells(ids: list[str], activity: Mapping[str, Activity], now: float) -> list[str]:
    """``activity_label`` of each agent's activity: the same dash for all but the few running
    agents whose log was read."""
    cells_ = [activity_label(None, now)] * len(ids)
    if activity:
        for position in compress(count(), map(activity.__contains__, ids)):
            cells_[position] = activity_label(activity[ids[position]], now)
    return cells_


_ID, _PROMPT, _STATUS = attrgetter("id"), attrgetter("prompt"), attrgetter("status")
_PROVIDER, _MODEL = attrgetter("provider"), attrgetter("model")
_COMMAND, _PID, _ROOT = attrgetter("command"), attrgetter("pid"), attrgetter("root")
_STARTED_AT, _STARTED, _EXITED_AT = attrgetter("started_at"), attrgetter("started"), attrgetter("exited_at")
_EXIT_CODE, _ENTRY, _CHILDREN = attrgetter("exit_code"), attrgetter("entry"), attrgetter("children")
_LABEL, _COLOUR = attrgetter("label"), attrgetter("colour")
T = TypeVar("T")


def drawn(roots: list[T], children_of: Callable[[T], Sequence[T] | None]) -> tuple[list[str], list[T]]:
    """Each node depth first, and the tree drawn before it (``│  ├─ ``): the lines of its
    ancestors below the roots (to :data:`MAX_DRAWN_DEPTH`), then its own branch. A node is
    anything ``children_of`` gives the children of, newest first (a :class:`Node`, a
    position in the store)."""
    trees: list[str] = []
    nodes: list[T] = []
    add_tree, add_node = trees.append, nodes.append
    for root in roots:
        add_tree("")
        add_node(root)
        kids = children_of(root)
        if not kids:
            continue  # most roots: nothing below
        # (node, depth, is it its parent's last child, what its ancestors draw before it)
        stack = [(child, 1, i == 0, "") for i, child in enumerate(reversed(kids))]
        pop, push = stack.pop, stack.extend
        while stack:
            node, depth, is_last, lines = pop()
            prefix = lines + ("└─ " if is_last else "├─ ")
            add_tree(prefix if depth <= MAX_DRAWN_DEPTH else f"{prefix}[{depth}] ")
            add_node(node)
            kids = children_of(node)
            if kids:
                below = lines + ("   " if is_last else "│  ") if depth < MAX_DRAWN_DEPTH else lines
                push((child, depth + 1, i == 0, below) for i, child in enumerate(reversed(kids)))
    return trees, nodes
