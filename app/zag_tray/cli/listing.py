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
from pathlib import Path
from typing import Final

from zag_tray.agents.activity import Activity
from zag_tray.agents.present import NO_VALUE, activity_label, age, outcome, runtime_text, title
from zag_tray.agents.status import LiveStatus, live_status
from zag_tray.agents.text import ELLIPSIS, one_line, short_path, visible
from zag_tray.agents.tree import Node
from zag_tray.cli.table import RESET, cells, cut_index, sgr

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
    sizes = [list(map(cells, column)) for column in columns]
    # ljust counts characters: each cell gets as many more as it takes cells fewer than the widest.
    padded = [
        [text.ljust(widest + len(text) - size) for text, size in zip(column, sized, strict=True)]
        for column, sized, widest in zip(columns[:-1], sizes[:-1], map(max, sizes[:-1]), strict=True)
    ]
    lines = list(map(GAP.join, zip(*padded, columns[-1], strict=True)))
    if width is None and not colour:
        return lines
    fixed = sum(map(max, sizes[:-1])) + len(GAP) * (len(columns) - 1)  # cells before the last column
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


def _columns(
    roots: list[Node], checked: Mapping[str, LiveStatus], now: float, activity: Mapping[str, Activity]
) -> tuple[list[list[str]], list[str]]:
    """Each column's cells, the header first, and each row's status colour (SGR, or "").
    ACTIVITY is what the log of a running agent shows ("—" for the others: not read)."""
    columns: list[list[str]] = [[name] for name in HEADER]
    colours = [""]
    home = Path.home()  # once, not per row: short_path would look it up 100,000 times
    ids, agents, commands, states, doing, pids, starts, runtimes, roots_, prompts = columns
    for prefix, node in _drawn(roots):
        entry = node.entry
        status = live_status(entry, checked)
        shown = outcome(entry, status)
        started = entry.started
        ids.append(prefix + visible(entry.id[:8]))
        agents.append(title(entry))
        commands.append(one_line(entry.command, 20))
        states.append(shown.label)
        colours.append(sgr(shown.colour))
        doing.append(activity_label(activity.get(entry.id), now))
        pids.append(str(entry.pid))
        # A start that is not RFC 3339 is shown as stored: no time is worked out from it.
        starts.append(one_line(entry.started_at, 30) if started is None else age(now - started))
        runtimes.append(runtime_text(entry, status, now))
        roots_.append(one_line(short_path(entry.root, home), 60) if entry.root else NO_VALUE)
        prompts.append(one_line(entry.prompt, 60) or NO_VALUE)
    return columns, colours


def _drawn(roots: list[Node]) -> list[tuple[str, Node]]:
    """Each node depth first, with the tree drawn before it (``│  ├─ ``)."""
    drawn = []
    last_at_depth: list[bool] = []
    for depth, node, is_last in _walk_with_last(roots):
        del last_at_depth[depth:]
        prefix = "".join("   " if last else "│  " for last in last_at_depth[1:MAX_DRAWN_DEPTH])
        if depth:
            prefix += "└─ " if is_last else "├─ "
        if depth > MAX_DRAWN_DEPTH:
            prefix += f"[{depth}] "
        last_at_depth.append(is_last)
        drawn.append((prefix, node))
    return drawn


def _walk_with_last(roots: list[Node]) -> list[tuple[int, Node, bool]]:
    result = []
    stack = [(0, node, i == 0) for i, node in enumerate(reversed(roots))]
    while stack:
        depth, node, is_last = stack.pop()
        result.append((depth, node, is_last))
        kids = node.children
        stack.extend((depth + 1, child, i == 0) for i, child in enumerate(reversed(kids)))
    return result
