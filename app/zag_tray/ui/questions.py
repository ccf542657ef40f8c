"""What the user is asked before a kill: whom it ends, why a force kill is asked for, what
it leaves running, in plain text, with a button that says what it does ("Kill 4 agents")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Observation
from zag_tray.agents.present import title
from zag_tray.agents.text import duration, has_hidden, one_line, short_path
from zag_tray.agents.tree import descendants_deepest_first, find_node

LISTED: Final = 12
"""Agents named in a question; the rest are counted."""
HOLDS_HIDDEN: Final = "holds control or direction characters"


@dataclass(frozen=True, slots=True)
class Question:
    """A confirmation: its window title, its plain text, and the button that goes ahead."""

    title: str
    text: str
    accept: str


def kill_question(observation: Observation, entry_id: str, *, tree: bool, force: bool) -> Question:
    """The question before killing ``entry_id`` (its tree, or by force)."""
    node = find_node(observation.running_forest, entry_id)
    entry = node.entry if node is not None else _stored(observation, entry_id)
    below = [n.entry for n in descendants_deepest_first(node)] if node is not None else []
    targets = [*below, entry] if tree else [entry]
    if force:
        return _force_question(observation, entry)
    count = f"{len(targets)} agents" if len(targets) > 1 else "agent"
    lines = [f"Kill {count}?", "", *_listed(targets[::-1])]
    if not tree and below:
        others = f"{len(below)} agents" if len(below) > 1 else "1 agent"
        lines += ["", f"The {others} it started keep running (Kill tree ends them too)."]
    lines += _careful(targets)
    accept = f"Kill {len(targets)} agents" if len(targets) > 1 else "Kill"
    return Question("Kill tree" if tree else "Kill agent", "\n".join(lines), accept)


def _force_question(observation: Observation, entry: Entry) -> Question:
    stopping = observation.state_of(entry).stopping
    who = f"{title(entry)} (pid {entry.pid})"
    if stopping is None:
        why = f"{who} is running."
    elif not stopping.by_user:
        why = f"zag recorded {who} {stopping.signal}, but its process is still running."
    else:
        waited = duration(max(observation.observed_at - stopping.since, 0.0))
        why = f"{who} is still running {waited} after {stopping.signal}."
    lines = [
        why,
        "",
        "Send SIGKILL? It ends the process at once, with no chance to clean up.",
        *_careful([entry]),
    ]
    return Question("Force kill", "\n".join(lines), "Force kill")


def _listed(targets: list[Entry]) -> list[str]:
    lines = [
        f"• {title(t)}  pid {t.pid}  {one_line(short_path(t.root), 60) or '(no root)'}"
        for t in targets[:LISTED]
    ]
    if len(targets) > LISTED:
        lines.append(f"… and {len(targets) - LISTED} more")
    return lines


def _careful(targets: list[Entry]) -> list[str]:
    """A warning where what zag stored would read otherwise than it is (shown escaped)."""
    if any(has_hidden(text or "") for t in targets for text in (t.id, t.provider, t.model, t.root)):
        return ["", f"Careful: what zag stored here {HOLDS_HIDDEN}, shown escaped (\\u202e, \\x1b)."]
    return []


def _stored(observation: Observation, entry_id: str) -> Entry:
    """The entry of ``entry_id``: the last of those stored (as zag's ``add`` appends)."""
    return next(e for e in reversed(observation.snapshot.entries) if e.id == entry_id)


def ask(question: Question) -> bool:
    """The default confirmation: a modal question in plain text, its button saying what it
    does ("Kill 4 agents"), Cancel the default."""
    box = QMessageBox(QMessageBox.Icon.Warning, question.title, question.text)
    box.setTextFormat(Qt.TextFormat.PlainText)
    go = box.addButton(f"&{question.accept}", QMessageBox.ButtonRole.DestructiveRole)  # Alt+K, Alt+F
    box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
    box.exec()
    return box.clickedButton() is go
