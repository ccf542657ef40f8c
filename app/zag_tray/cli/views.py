"""What ``list --json``, ``show`` and ``where`` print, as data or lines; the commands in
cli/__init__.py write them out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from zag_tray.agents.activity import Activity
from zag_tray.agents.entry import Entry, Snapshot
from zag_tray.agents.jsontext import json_text
from zag_tray.agents.present import activity_label, outcome, result_text, step_line, usage_text, when
from zag_tray.agents.status import LiveStatus, live_status
from zag_tray.agents.text import LONG_FIELD, visible
from zag_tray.agents.tree import Node, walk
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.sessions.tracker import activities

Statuses = Mapping[str, LiveStatus]
"""Live status by entry id, for entries stored running (agents/status.py decides the rest)."""
Activities = Mapping[str, Activity]
"""Activity by entry id, of the agents whose log was looked at (the running ones)."""

RESULT_CHARS: Final = 2000
"""Characters of the result in an ``activity`` object."""


def node_json(root: Node, checked: Statuses, activity: Activities, now: float) -> dict[str, Any]:
    """The stored keys, in store order, plus ``live_status``, ``activity`` and ``children``
    (iterative)."""
    top = _node_dict(root, checked, activity, now)
    stack = [(root, top["children"])]  # a node, and the list its children's dicts go in
    while stack:
        node, into = stack.pop()
        for child in node.children:
            made = _node_dict(child, checked, activity, now)
            into.append(made)
            if child.children:
                stack.append((child, made["children"]))
    return top


def _node_dict(node: Node, checked: Statuses, activity: Activities, now: float) -> dict[str, Any]:
    entry = node.entry
    return {
        **entry.raw,
        "live_status": live_status(entry, checked).value,
        "activity": activity_json(activity.get(entry.id), now),
        "children": [],
    }


def flat_json(roots: list[Node], checked: Statuses, activity: Activities, now: float) -> list[dict[str, Any]]:
    """``list --json --flat``: one object per agent, in the tree's order (depth first, as
    ``list`` draws it), its stored keys plus ``live_status``, ``activity`` and ``parent``, the
    id of its parent in the tree or null, so ``jq`` selects without walking ``children``."""
    return [
        {
            **node.entry.raw,
            "live_status": live_status(node.entry, checked).value,
            "activity": activity_json(activity.get(node.entry.id), now),
            "parent": None if node.parent is None else node.parent.entry.id,
        }
        for _, node in walk(roots)
    ]


def running_entries(snapshot: Snapshot, checked: Statuses) -> list[Entry]:
    """The entries whose process verifiably runs: the only ones whose logs ``list`` reads."""
    return [e for e in snapshot.entries if checked.get(e.id) is LiveStatus.RUNNING]


def subtree_activity(
    snapshot: Snapshot, node: Node, checked: Statuses, own: Activity, now: float
) -> Activities:
    """``show --json``'s activities: the agent's ``own`` and those of its running descendants."""
    below = {n.entry.id for _, n in walk([node])} - {node.entry.id}
    running = [e for e in running_entries(snapshot, checked) if e.id in below]
    return {**activities(snapshot.path.parent, running, now), node.entry.id: own}


def activity_json(activity: Activity | None, now: float) -> dict[str, Any] | None:
    """The ``activity`` object of ``--json`` and ``watch --json``, its state at ``now``: exactly
    ``state``, ``since``, ``last_event_at``, ``tool``, ``resume_at``, ``turns``, ``usage``
    (``input_tokens``, ``output_tokens``, ``cost_usd``), ``result`` (its first 2,000
    characters) and ``log``; times RFC 3339 in UTC, null where unknown. None (null) for an
    agent whose log was not looked at (not running, in ``list``)."""
    if activity is None:
        return None
    usage = activity.usage
    return {
        "state": activity.state_at(now).value,
        "since": rfc3339(activity.since_at(now)),
        "last_event_at": rfc3339(activity.last_event_at),
        "tool": activity.tool,
        "resume_at": rfc3339(activity.resume_at),
        "turns": activity.turns,
        "usage": {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cost_usd": usage.cost_usd,
        },
        "result": None if activity.result is None else activity.result[:RESULT_CHARS],
        "log": activity.log,
    }


def rfc3339(epoch: float | None) -> str | None:
    """``epoch`` as zag writes times (UTC, ``+00:00``); None for None or a time out of range."""
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(epoch, UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def activity_lines(activity: Activity, now: float) -> Iterator[tuple[str, str]]:
    """``show``'s (label, text) rows of an agent's activity: the state, its last event, usage,
    turns, log, result and timeline (one row per line of a multi-line text)."""
    since = activity.since_at(now)
    started = f" (since {when(since, now)})" if since is not None and activity.log else ""
    yield "activity", activity_label(activity, now) + started
    if activity.log is None:
        return
    if activity.last_event_at is not None:
        yield "last event", when(activity.last_event_at, now)
    usage = usage_text(activity.usage)
    yield "usage", f"{usage} (of its turns)" if usage and activity.usage.per_turn else usage or "—"
    yield "turns", str(activity.turns)
    yield "log", visible(activity.log)
    if activity.malformed:
        yield "skipped", f"{activity.malformed} unreadable lines"
    if activity.result is not None:
        for i, line in enumerate(result_text(activity, LONG_FIELD).splitlines() or [""]):
            yield ("result" if i == 0 else ""), line
    for i, step in enumerate(activity.steps):
        yield ("events" if i == 0 else ""), step_line(step, now)


def show_lines(
    entry: Entry, node: Node, status: LiveStatus, reason: str, now: float, activity: Activity | None = None
) -> Iterator[str]:
    """``show``: every stored key and its value, then the live status and why, then the
    children, then what its session log shows. The times local and human, with their age; a
    time that is not RFC 3339, or that the local calendar cannot hold, as stored (``--json``
    has every value as stored)."""
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
    if activity is not None:
        for label, text in activity_lines(activity, now):
            yield f"{label:<{width}}  {text}"


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
