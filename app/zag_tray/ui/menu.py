"""The tray menu: what it lists (:func:`menu_items`, plain data) and how it gets into a QMenu
(:func:`render`, which changes the QMenu in place).

The menu is worked out anew when it is about to show and, where the tray host renders it
itself (a StatusNotifierItem's DBusMenu), whenever an observation changes what it lists;
``render`` keeps every QAction whose item is unchanged, so the host sees no relayout and
each kept item keeps its DBusMenu id, and rendering what is already shown does nothing at
all (a menu that changed at rest would be D-Bus traffic at rest).

Everything shown is plain text: ``&`` is doubled (Qt reads it as a mnemonic) and QMenu
never renders rich text, so a prompt like ``<b>x</b>`` stays literal.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu

from zag_tray.agents.activity import NO_LOG, Activity
from zag_tray.agents.entry import Entry
from zag_tray.agents.glance import needs_you_line, running_summary
from zag_tray.agents.observation import Observation
from zag_tray.agents.present import AMBER, ORANGE, activity_colour, finished_label, menu_label, outcome
from zag_tray.agents.status import AgentState
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
    set_notify_waiting: Callable[[bool], None]
    set_start_at_login: Callable[[bool], None]
    settings: Callable[[], None]
    quit: Callable[[], None]
    remote: Callable[[str], None] = lambda _key: None
    """An action on another machine's agent (ui/remote_tray.py's key: action, alias, id)."""
    sign_in: Callable[[str], None] = lambda _alias: None


@dataclass(frozen=True)
class MenuOptions:
    """The menu's check marks and how long finished agents stay listed."""

    notifications: bool = True
    notify_waiting: bool = True
    start_at_login: bool = False
    recent_seconds: float = 3600.0
    attention: str = ""
    """Why the icon has its dot ("1 failed since you looked: …"), under the header."""
    ticking: bool = True
    """Runtimes in the labels: only where the menu is worked out as it opens. A host that
    renders the menu itself shows the start instead (labels that tick change at rest)."""
    remote: tuple[Item, ...] = ()
    """Other machines' sections (ui/remote_tray.py), after this machine's agents."""


@dataclass(frozen=True)
class Item:
    """One menu entry: its text, what it calls (a handler's name, and the agent's id), whether
    it is enabled, its dot's colour, its check mark (a toggle), its submenu; or a separator."""

    text: str = ""
    call: tuple[str, str | None] | None = None
    enabled: bool = True
    colour: str | None = None
    checked: bool | None = None
    submenu: tuple[Item, ...] | None = None
    separator: bool = False
    key: str | None = None
    """What the item is about (an agent's id): an action is kept only for the same."""


SEPARATOR = Item(separator=True)


def populate(
    menu: QMenu,
    observation: Observation | None,
    handlers: MenuHandlers,
    now: float,
    options: MenuOptions = MenuOptions(),  # frozen: safe to share
) -> None:
    """Make ``menu`` show ``observation``."""
    render(menu, menu_items(observation, now, options), handlers)


def menu_items(observation: Observation | None, now: float, options: MenuOptions) -> tuple[Item, ...]:
    """What the menu lists, top to bottom."""
    items: list[Item] = []
    if observation is None:
        items.append(Item("Reading the store…", enabled=False))
    else:
        items += _header(observation, options.attention)
        items += _agents(observation, now, options.ticking)
        items += options.remote
        items += _recent(observation, now, options.recent_seconds)
    return (
        *items,
        SEPARATOR,
        Item("Open window", ("open_window", None)),
        Item("Open zag folder", ("open_folder", None)),
        SEPARATOR,
        Item("Notify when agents end", ("set_notifications", None), checked=options.notifications),
        Item("Notify when agents wait", ("set_notify_waiting", None), checked=options.notify_waiting),
        Item("Start at login", ("set_start_at_login", None), checked=options.start_at_login),
        Item("Settings…", ("settings", None)),
        SEPARATOR,
        Item("Quit", ("quit", None)),
    )


def _header(observation: Observation, attention: str) -> list[Item]:
    items = []
    if observation.error:
        items.append(Item(one_line(f"Store error: {observation.error}", 90), enabled=False))
    items.append(Item(running_summary(observation), enabled=False))
    waiting = needs_you_line(observation)
    if waiting:
        items.append(Item(one_line(waiting, 120), enabled=False, colour=AMBER))
    if attention:
        items.append(Item(one_line(attention, 120), enabled=False, colour=ORANGE))
    return [*items, SEPARATOR]


def _agents(observation: Observation, now: float, ticking: bool) -> list[Item]:
    """The running agents as nested submenus, :data:`MAX_AGENTS` of them at most."""
    budget = [MAX_AGENTS]

    def level(nodes: Sequence[Node]) -> list[Item]:
        made = []
        for node in nodes:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            state = observation.state_of(node.entry)
            actions = _agent_actions(node, stopping=state.stopping is not None)
            children = level(node.children)
            activity = observation.activity_of(node.entry)
            label = menu_label(node.entry, state, now if ticking else None, activity)
            submenu = (*actions, SEPARATOR, *children) if children else actions
            colour = _colour(node.entry, state, activity, now)
            made.append(Item(label, colour=colour, submenu=submenu, key=node.entry.id))
        return made

    items = level(observation.running_forest)
    hidden = len(observation.running) - (MAX_AGENTS - budget[0])
    if hidden > 0:
        items.append(Item(f"{hidden} more — open the window", ("open_window", None)))
    return items


def _colour(entry: Entry, state: AgentState, activity: Activity | None, now: float) -> str:
    """The dot of a running agent: its activity's colour (amber: it needs you) unless it is
    being stopped, which its outcome's colour says; the outcome's too without a log."""
    if state.stopping is not None or activity is None or activity is NO_LOG:
        return outcome(entry, state).colour
    return activity_colour(activity, now)


def _agent_actions(node: Node, *, stopping: bool) -> tuple[Item, ...]:
    entry_id, has_root = node.entry.id, bool(node.entry.root)
    items = [
        Item("Details", ("details", entry_id)),
        Item("Open root", ("open_root", entry_id), enabled=has_root),
        Item("Terminal here", ("open_terminal", entry_id), enabled=has_root),
        Item("Copy ID", ("copy_id", entry_id)),
    ]
    if STOP_SUPPORTED and sys.platform != "win32":
        items.append(Item("Stop", ("stop", entry_id)))
    items.append(Item("Kill…", ("kill", entry_id)))
    descendants = len(descendants_deepest_first(node))
    if descendants:
        items.append(Item(f"Kill tree ({descendants + 1})…", ("kill_tree", entry_id)))
    if stopping:  # signalled and still running, or zag recorded an end it outlived
        items.append(Item("Force kill…", ("force_kill", entry_id)))
    return tuple(items)


def _recent(observation: Observation, now: float, within: float) -> list[Item]:
    finished = observation.finished_since(now - within)
    if not finished:
        return []
    items = []
    for entry in finished[:RECENT]:
        state = observation.state_of(entry)
        colour = outcome(entry, state).colour
        items.append(Item(finished_label(entry, state, now), ("details", entry.id), colour=colour))
    if len(finished) > RECENT:
        items.append(Item(f"{len(finished) - RECENT} more in the window", ("open_window", None)))
    return [Item("Recently finished", submenu=tuple(items))]


# --- into a QMenu ------------------------------------------------------------------------------


def render(menu: QMenu, items: Sequence[Item], handlers: MenuHandlers) -> None:
    """Make ``menu`` show ``items``, changing what is there as little as it can: an action
    whose item is of the same kind (a separator, a submenu for the same agent, what calls the
    same handler for the same agent) is kept and changed in place where its text, colour or
    check mark differ, a kept submenu rendered the same way; an item that is new is inserted
    where it goes, an action whose item is gone is removed. So an agent whose activity
    changes is one label changed, and a line that appears is one item inserted (a DBusMenu
    host gets the changed properties, not a relayout of the whole menu)."""
    actions = menu.actions()
    at = 0
    for item in items:
        if at + 1 < len(actions) and not _keeps(actions[at], item) and _keeps(actions[at + 1], item):
            _remove(menu, actions[at])  # its item is gone
            at += 1
        if at < len(actions) and _keeps(actions[at], item):
            _show(actions[at], item, handlers)
            at += 1
        else:
            _add(menu, item, handlers, before=actions[at] if at < len(actions) else None)
    for action in actions[at:]:
        _remove(menu, action)


def _keeps(action: QAction, item: Item) -> bool:
    shown = action.property("item")
    return isinstance(shown, Item) and _same_kind(shown, item)


def _show(action: QAction, item: Item, handlers: MenuHandlers) -> None:
    """A kept action shows ``item`` now."""
    shown = action.property("item")
    if _without_submenu(shown) != _without_submenu(item):
        _change(action, item)
    if item.submenu is not None and item.submenu != shown.submenu:  # an agent's actions rarely change
        render(action.menu(), item.submenu, handlers)  # type: ignore[arg-type]
    action.setProperty("item", item)


def _remove(menu: QMenu, action: QAction) -> None:
    menu.removeAction(action)
    action.deleteLater()
    sub = action.menu()
    if isinstance(sub, QMenu):
        sub.deleteLater()


def _same_kind(shown: Item, item: Item) -> bool:
    """Can an action made for ``shown`` show ``item``? (Its slot calls ``shown.call``.)"""
    return (
        shown.separator == item.separator
        and shown.key == item.key
        and (shown.submenu is None) == (item.submenu is None)
        and shown.call == item.call
        and (shown.checked is None) == (item.checked is None)
    )


def _change(action: QAction, item: Item) -> None:
    """An action (or a submenu's) shows ``item`` now: text, enabled, dot, check mark."""
    sub = action.menu()
    if isinstance(sub, QMenu):
        sub.setTitle(menu_text(item.text))
        sub.setIcon(dot_icon(item.colour) if item.colour else QIcon())
        return
    action.setText(menu_text(item.text))
    action.setEnabled(item.enabled)
    action.setIcon(dot_icon(item.colour) if item.colour else QIcon())
    if item.checked is not None:
        action.setChecked(item.checked)


def _without_submenu(item: Item) -> Item:
    return item if item.submenu is None else dataclasses.replace(item, submenu=())


def _add(menu: QMenu, item: Item, handlers: MenuHandlers, before: QAction | None = None) -> None:
    """An action for ``item``, before ``before`` (None: at the end)."""
    if item.separator:
        action = menu.insertSeparator(before) if before is not None else menu.addSeparator()
    elif item.submenu is not None:
        sub = QMenu(menu_text(item.text), menu)
        render(sub, item.submenu, handlers)
        action = menu.insertMenu(before, sub) if before is not None else menu.addMenu(sub)
        if item.colour:
            sub.setIcon(dot_icon(item.colour))
    else:
        action = QAction(menu_text(item.text), menu)
        action.setEnabled(item.enabled)
        if item.colour:
            action.setIcon(dot_icon(item.colour))
        if item.checked is not None:
            action.setCheckable(True)
            action.setChecked(item.checked)
        if item.call is not None:
            action.triggered.connect(_caller(handlers, item))
        if before is not None:
            menu.insertAction(before, action)
        else:
            menu.addAction(action)
    action.setProperty("item", item)


def _caller(handlers: MenuHandlers, item: Item) -> Callable[[bool], None]:
    """The slot of an item's action: its handler, with the agent's id or the check mark."""
    assert item.call is not None
    name, entry_id = item.call
    handler = getattr(handlers, name)

    def call(checked: bool = False) -> None:
        if entry_id is not None:
            handler(entry_id)
        elif item.checked is not None:
            handler(checked)
        else:
            handler()

    return call
