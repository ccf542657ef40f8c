"""``zag-tray list``: the agents drawn as a tree, one line each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from zag_tray.agents.entry import Entry
from zag_tray.agents.present import outcome, runtime_text, title
from zag_tray.agents.status import LiveStatus, live_status
from zag_tray.agents.text import one_line, short_path, visible
from zag_tray.agents.tree import Node

MAX_DRAWN_DEPTH: Final = 32
"""Tree levels drawn as indentation; deeper agents are drawn at this depth, their own depth
written before them (``└─ [9999] ...``). In full, a 10,000-deep chain was 150 MB of spaces."""


def tree_lines(roots: list[Node], checked: Mapping[str, LiveStatus], now: float) -> list[str]:
    """The human ``list`` output: one line per agent, drawn as a tree."""
    lines = []
    last_at_depth: list[bool] = []
    for depth, node, is_last in _walk_with_last(roots):
        del last_at_depth[depth:]
        prefix = "".join("   " if last else "│  " for last in last_at_depth[1:MAX_DRAWN_DEPTH])
        if depth:
            prefix += "└─ " if is_last else "├─ "
        if depth > MAX_DRAWN_DEPTH:
            prefix += f"[{depth}] "
        last_at_depth.append(is_last)
        lines.append(prefix + _describe(node.entry, live_status(node.entry, checked), now))
    return lines


def _walk_with_last(roots: list[Node]) -> list[tuple[int, Node, bool]]:
    result = []
    stack = [(0, node, i == 0) for i, node in enumerate(reversed(roots))]
    while stack:
        depth, node, is_last = stack.pop()
        result.append((depth, node, is_last))
        kids = node.children
        stack.extend((depth + 1, child, i == 0) for i, child in enumerate(reversed(kids)))
    return result


def _describe(entry: Entry, status: LiveStatus, now: float) -> str:
    parts = [
        visible(entry.id[:8]),
        f"{title(entry)} · {one_line(entry.command, 20)}",
        outcome(entry, status).label,
        f"pid {entry.pid}",
        runtime_text(entry, status, now),
    ]
    if entry.root:
        parts.append(one_line(short_path(entry.root), 60))
    if entry.prompt:
        parts.append(f"“{one_line(entry.prompt, 60)}”")
    return "  ".join(parts)
