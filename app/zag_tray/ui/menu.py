"""The tray menu, rebuilt from the latest observation each time it is about to show.

Everything shown is plain text: ``&`` is doubled (Qt reads it as a mnemonic)
and QMenu never renders rich text, so a prompt like ``<b>x</b>`` stays literal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QMenu

from zag_tray.agents.observation import Observation
from zag_tray.agents.present import ORANGE, finished_label, menu_label, outcome, running_summary
from zag_tray.agents.text import one_line
from zag_tray.agents.tree import Node, descendants_deepest_first
from zag_tray.procs.actions import STOP_SUPPORTED
from zag_tray.ui.icons import dot_icon

MAX_AGENTS = 20
"""Agents listed (all levels) before the menu says "N more — open the window"."""
RECENT = 5


def menu_text(text: str) -> str:
    """Text for a QAction: ``&`` is a mnemonic marker in menus, so it is doubled."""
    return text.replace("&", "&&")


@dataclass(frozen=True)
class MenuHandlers:
    """What the menu's actions call, by entry id where they act on an agent."""

    details: Callable[[str], None]
    open_root: Callable[[str], None]
    open_terminal: Callable[[str], None]
    copy_id: Callable[[str], None]
    stop: Callable[[str], None]
    kill: Callable[[str], None]
    kill_tree: Callable[[str], None]
    force_kill: Callable[[str], None]
    open_window: Callable[[], None]
    open_folder: Callable[[], None]
    set_notifications: Callable[[bool], None]
    set_start_at_login: Callable[[bool], None]
    settings: Callable[[], None]
    quit: Callable[[], None]


@dataclass(frozen=True)
class MenuOptions:
    """The menu's check marks and how long finished agents stay listed."""

    notifications: bool = True
    start_at_login: bool = False
    recent_seconds: float = 3600.0
    attention: str = ""
    """Why the icon has its dot ("1 failed since you looked: …"), under the header."""


def populate(
    menu: QMenu,
    observation: Observation | None,
    handlers: MenuHandlers,
    now: float,
    options: MenuOptions = MenuOptions(),  # frozen: safe to share
) -> None:
    """Fill ``menu`` (cleared first) from ``observation``."""
    menu.clear()
    if observation is None:
        menu.addAction("Reading the store…").setEnabled(False)
    else:
        _add_header(menu, observation, options.attention)
        _add_agents(menu, observation, handlers, now)
        _add_recent(menu, observation, handlers, now, options.recent_seconds)
    menu.addSeparator()
    menu.addAction("Open window", handlers.open_window)
    menu.addAction("Open zag folder", handlers.open_folder)
    menu.addSeparator()
    _add_toggle(menu, "Notifications", options.notifications, handlers.set_notifications)
    _add_toggle(menu, "Start at login", options.start_at_login, handlers.set_start_at_login)
    menu.addAction("Settings…", handlers.settings)
    menu.addSeparator()
    menu.addAction("Quit", handlers.quit)


def _add_toggle(menu: QMenu, text: str, checked: bool, handler: Callable[[bool], None]) -> None:
    action = menu.addAction(text)
    action.setCheckable(True)
    action.setChecked(checked)
    action.toggled.connect(handler)


def _add_header(menu: QMenu, observation: Observation, attention: str) -> None:
    if observation.error:
        menu.addAction(menu_text(one_line(f"Store error: {observation.error}", 90))).setEnabled(False)
    menu.addAction(menu_text(running_summary(observation))).setEnabled(False)
    if attention:
        menu.addAction(dot_icon(ORANGE), menu_text(one_line(attention, 120))).setEnabled(False)
    menu.addSeparator()


def _add_agents(menu: QMenu, observation: Observation, handlers: MenuHandlers, now: float) -> None:
    roots = list(observation.running_forest)
    budget = [MAX_AGENTS]
    shown_before = budget[0]
    pending: list[tuple[QMenu, list[Node]]] = [(menu, roots)]
    while pending:
        parent_menu, nodes = pending.pop(0)
        for node in nodes:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            state = observation.state_of(node.entry)
            label = menu_text(menu_label(node.entry, state, now))
            sub = parent_menu.addMenu(dot_icon(outcome(node.entry, state).colour), label)
            _add_agent_actions(sub, node, handlers, stopping=state.stopping is not None)
            if node.children:
                sub.addSeparator()
                pending.append((sub, node.children))
    hidden = len(observation.running) - (shown_before - budget[0])
    if hidden > 0:
        menu.addAction(f"{hidden} more — open the window", handlers.open_window)


def _add_agent_actions(sub: QMenu, node: Node, handlers: MenuHandlers, *, stopping: bool) -> None:
    entry_id = node.entry.id
    sub.addAction("Details", _bound(handlers.details, entry_id))
    sub.addAction("Open root", _bound(handlers.open_root, entry_id)).setEnabled(bool(node.entry.root))
    sub.addAction("Terminal here", _bound(handlers.open_terminal, entry_id)).setEnabled(bool(node.entry.root))
    sub.addAction("Copy ID", _bound(handlers.copy_id, entry_id))
    if STOP_SUPPORTED and sys.platform != "win32":
        sub.addAction("Stop", _bound(handlers.stop, entry_id))
    sub.addAction("Kill…", _bound(handlers.kill, entry_id))
    descendants = len(descendants_deepest_first(node))
    if descendants:
        sub.addAction(f"Kill tree ({descendants + 1})…", _bound(handlers.kill_tree, entry_id))
    if stopping:  # signalled and still running, or zag recorded an end it outlived
        sub.addAction("Force kill…", _bound(handlers.force_kill, entry_id))


def _bound(handler: Callable[[str], None], entry_id: str) -> Callable[[], None]:
    """A zero-argument slot for one entry (a loop variable in a lambda would bind late)."""
    return lambda: handler(entry_id)


def _add_recent(
    menu: QMenu, observation: Observation, handlers: MenuHandlers, now: float, within: float
) -> None:
    finished = observation.finished_since(now - within)
    if not finished:
        return
    recent = menu.addMenu("Recently finished")
    for entry in finished[:RECENT]:
        state = observation.state_of(entry)
        icon = dot_icon(outcome(entry, state).colour)
        recent.addAction(
            icon, menu_text(finished_label(entry, state, now)), _bound(handlers.details, entry.id)
        )
    if len(finished) > RECENT:
        recent.addAction(f"{len(finished) - RECENT} more in the window", handlers.open_window)
