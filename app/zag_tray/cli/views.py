"""What ``list --json``, ``show`` and ``where`` print, as data or lines; the commands in
cli/__init__.py write them out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from zag_tray.agents.entry import Entry
from zag_tray.agents.jsontext import json_text
from zag_tray.agents.present import outcome, when
from zag_tray.agents.status import LiveStatus, live_status
from zag_tray.agents.text import visible
from zag_tray.agents.tree import Node, walk
from zag_tray.desktop.paths import BaseDirChoice

Statuses = Mapping[str, LiveStatus]
"""Live status by entry id, for entries stored running (agents/status.py decides the rest)."""


def node_json(root: Node, checked: Statuses) -> dict[str, Any]:
    """The stored keys, in store order, plus ``live_status`` and ``children`` (iterative)."""
    top = _node_dict(root, checked)
    stack = [(root, top["children"])]  # a node, and the list its children's dicts go in
    while stack:
        node, into = stack.pop()
        for child in node.children:
            made = _node_dict(child, checked)
            into.append(made)
            if child.children:
                stack.append((child, made["children"]))
    return top


def _node_dict(node: Node, checked: Statuses) -> dict[str, Any]:
    return {**node.entry.raw, "live_status": live_status(node.entry, checked).value, "children": []}


def flat_json(roots: list[Node], checked: Statuses) -> list[dict[str, Any]]:
    """``list --json --flat``: one object per agent, in the tree's order (depth first, as
    ``list`` draws it), its stored keys plus ``live_status`` and ``parent``, the id of its
    parent in the tree or null, so ``jq`` selects without walking ``children``."""
    return [
        {
            **node.entry.raw,
            "live_status": live_status(node.entry, checked).value,
            "parent": None if node.parent is None else node.parent.entry.id,
        }
        for _, node in walk(roots)
    ]


def show_lines(entry: Entry, node: Node, status: LiveStatus, reason: str, now: float) -> Iterator[str]:
    """``show``: every stored key and its value, then the live status and why, then the
    children. The times local and human, with their age; a time that is not RFC 3339, or
    that the local calendar cannot hold, as stored (``--json`` has every value as stored)."""
    keys = [visible(key) for key in entry.raw]  # unknown keys are the store's too
    width = min(max(map(len, keys)), 24)  # zag's longest is 17; a huge unknown key pads no line
    moments = {"started_at": entry.started, "exited_at": entry.ended}
    for key, (name, value) in zip(keys, entry.raw.items(), strict=True):
        human = when(moments[name], now) if name in moments and isinstance(value, str) else ""
        shown = human or (visible(value) if isinstance(value, str) else json_text(value, indent=False))
        yield f"{key:<{width}}  {shown}"
    # The reason may quote another process's ZAG_PROCESS_ID.
    yield f"{'live':<{width}}  {outcome(entry, status).label} — {visible(reason)}"
    if node.children:
        yield f"{'children':<{width}}  " + ", ".join(visible(c.entry.id) for c in node.children)


def where_lines(choice: BaseDirChoice, settings: Path, log: Path) -> Iterator[str]:
    """``where``: each path the tray uses, whether it is there, and why the base dir is the
    one it is. Paths and reasons may quote the environment: shown escaped."""
    store = choice.store
    rows = (
        ("base dir", f"{visible(str(choice.path))} ({_state(choice.path, 'a folder')})"),
        ("reason", visible(choice.reason)),
        ("store", f"{visible(str(store))} ({_state(store, 'a file', missing='no agents yet')})"),
        (
            "settings",
            f"{visible(str(settings))} ({_state(settings, 'a file', missing='the defaults apply')})",
        ),
        ("log", f"{visible(str(log))} ({_state(log, 'a file', missing='nothing logged yet')})"),
    )
    width = max(len(label) for label, _ in rows) + 1
    for label, text in rows:
        yield f"{label + ':':<{width}} {text}"


def _state(path: Path, kind: str, *, missing: str = "") -> str:
    """ "exists", "does not exist (no agents yet)", "exists, but is not a file"."""
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except OSError as exc:  # a loop of links, a folder we may not read
        return f"cannot be checked: {exc.strerror or exc}"
    if not exists:
        return f"does not exist: {missing}" if missing else "does not exist"
    if is_dir != (kind == "a folder"):
        return f"exists, but is not {kind}"
    return "exists"
