"""The window's tree with a level for machines (issue 17): "This machine" first, its agents as
:class:`~zag_tray.ui.model.AgentTreeModel` keeps them, then a row per other machine with the
agents of its last snapshot under it. With no host configured there is no extra level: the
rows are AgentTreeModel's own, exactly.

A host's agents are titled, worded and coloured by the local rules (ui/columns.py over
agents/present.py), their activity converted as the tray's menu converts it (remote/glance.py);
an offline host's agents stay, greyed. A host's rows change by inserts, removes and
dataChanged like the local ones, so a selection survives every update: only the level coming
or going, or the hosts themselves changing (a settings change), lays the tree out anew.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from zag_tray.agents.activity import Activity
from zag_tray.agents.entry import Entry
from zag_tray.agents.present import GREY
from zag_tray.agents.status import PLAIN, AgentState, LiveStatus
from zag_tray.remote.glance import activity, machine_line
from zag_tray.remote.protocol import RemoteAgent
from zag_tray.remote.state import HostState, Link, describe
from zag_tray.ui.columns import Column, activity_data, cell_data
from zag_tray.ui.icons import dot_icon
from zag_tray.ui.model import (
    BATCH_ROWS,
    ENTRY_ID_ROLE,
    ENTRY_ROLE,
    LIVE_STATUS_ROLE,
    AgentTreeModel,
    Index,
)
from zag_tray.ui.plain import plain_tooltip
from zag_tray.ui.rows import Item, renumber

REMOTE_ROLE: Final = Qt.ItemDataRole.UserRole + 4
"""(alias, entry id) of a remote agent's row; its ENTRY_ID_ROLE is None, so that nothing meant
for a local agent (Kill, Delete) ever takes a remote id for a local one."""
HOST_ROLE: Final = Qt.ItemDataRole.UserRole + 5
"""A machine's row: its alias ("" for this machine)."""
THIS_MACHINE: Final = "This machine"
UNCERTAIN: Final = "zag serve checks only that the agent's pid is alive"
_NONE: Final = PLAIN[LiveStatus.UNKNOWN]


def heading(state: HostState | None, running_here: int, now: float) -> str:
    """A machine's line, in the tray's words (its tooltip, its menu's section heads):
    "This machine: 3 running", "devbox: 2 running", "devbox: offline (unreachable), last
    seen 3 min ago"."""
    if state is None:
        return f"{THIS_MACHINE}: {running_here} running"
    return machine_line(state, now)


class HostItem(Item):
    """A machine's row."""

    __slots__ = ("host",)

    def __init__(self, host: HostState, parent: Item) -> None:
        super().__init__(None, _NONE, parent)
        self.host = host


class RemoteItem(Item):
    """An agent of another machine, as its host last said; ``live``: that host is."""

    __slots__ = ("activity", "agent", "alias", "live")

    def __init__(self, alias: str, agent: RemoteAgent, live: bool, parent: Item) -> None:
        super().__init__(agent.entry, PLAIN[agent.live_status], parent)
        self.alias, self.agent, self.live = alias, agent, live
        self.activity: Activity | None = activity(agent.activity)


class HostTreeModel(AgentTreeModel):
    """An :class:`AgentTreeModel` with the machines' level when :meth:`show_hosts` has any."""

    def __init__(self, parent: QObject | None = None, batch_rows: int = BATCH_ROWS) -> None:
        super().__init__(parent, batch_rows)
        self.running_here = 0

    @property
    def has_hosts(self) -> bool:
        return self._top is not self._root

    def _hosts(self) -> list[HostItem]:
        return [item for item in self._top.children if isinstance(item, HostItem)]

    def show_hosts(
        self, states: Sequence[HostState], keep: Callable[[Entry], bool] | None, running_here: int, now: float
    ) -> bool:
        """Show ``states`` (the settings' order), their agents that ``keep`` keeps, newest
        first. True when the tree was laid out anew (the level or the hosts changed)."""
        self.now = now
        if [state.alias for state in states] != [item.host.alias for item in self._hosts()]:
            self._lay_out(states, keep, running_here)
            return True
        if running_here != self.running_here and self.has_hosts:
            self.running_here = running_here
            self.dataChanged.emit(self._index_of(self._root), self._index_of(self._root))
        for item, state in zip(self._hosts(), states, strict=True):
            item.host = state
            index = self._index_of(item)
            self.dataChanged.emit(index, index)
            self._reconcile_host(item, _wanted(state, keep))
        return False

    def _lay_out(self, states: Sequence[HostState], keep: Callable[[Entry], bool] | None, here: int) -> None:
        with self._changing():
            self.beginResetModel()
            self.running_here = here
            if states:
                self._top = Item(None, _NONE, None)
                self._top.children = [self._root]
                self._root.parent = self._top
                for state in states:
                    host = HostItem(state, self._top)
                    self._top.children.append(host)
                    live = state.link is Link.LIVE
                    host.children = [RemoteItem(state.alias, a, live, host) for a in _wanted(state, keep)]
                    renumber(host)
                renumber(self._top)
            else:
                self._root.parent, self._top = None, self._root
            self.endResetModel()

    def _reconcile_host(self, host: HostItem, agents: list[RemoteAgent]) -> None:
        """The host's rows made ``agents`` by removes, inserts and dataChanged."""
        live = host.host.link is Link.LIVE
        wanted = {agent.entry.id for agent in agents}
        for row in reversed(range(len(host.children))):
            if host.children[row].id not in wanted:
                self._remove_row(host, row)
        for row, agent in enumerate(agents):
            children = host.children
            current = children[row] if row < len(children) else None
            if isinstance(current, RemoteItem) and current.id == agent.entry.id:
                if (current.agent, current.live) != (agent, live):
                    current.agent, current.live, current.entry = agent, live, agent.entry
                    current.state, current.activity = PLAIN[agent.live_status], activity(agent.activity)
                    last = len(Column) - 1
                    self.dataChanged.emit(
                        self.createIndex(row, 0, current), self.createIndex(row, last, current)
                    )
                continue
            later = next((r for r in range(row + 1, len(children)) if children[r].id == agent.entry.id), None)
            if later is not None:  # its place changed (a new start time): moved as a remove and an insert
                self._remove_row(host, later)
            self._insert_row(host, row, RemoteItem(host.host.alias, agent, live, host))

    def _given(self, parent: Item, row: int) -> bool:
        return isinstance(parent, HostItem) or super()._given(parent, row)

    # --- data --------------------------------------------------------------------------------

    def flags(self, index: Index) -> Qt.ItemFlag:
        item = index.internalPointer() if index.isValid() else None
        if item is not None and (item is self._root or isinstance(item, HostItem)):
            return Qt.ItemFlag.ItemIsEnabled  # a heading: not an agent to select
        return super().flags(index)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = index.internalPointer()
        if item is self._root:
            return self._heading_data(None, role, index.column())
        if isinstance(item, HostItem):
            return self._heading_data(item.host, role, index.column())
        if isinstance(item, RemoteItem):
            return self._remote_data(item, Column(index.column()), role)
        return super().data(index, role)

    def _heading_data(self, host: HostState | None, role: int, column: int) -> Any:
        if role == HOST_ROLE:
            return "" if host is None else host.alias
        if column != Column.AGENT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return heading(host, self.running_here, self.now)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and host is not None:
            return plain_tooltip(describe(host, self.now))  # with what ssh said, escaped and cut
        return None

    def _remote_data(self, item: RemoteItem, column: Column, role: int) -> Any:
        agent = item.agent
        if role in (ENTRY_ID_ROLE, ENTRY_ROLE):
            return None
        if role == REMOTE_ROLE:
            return (item.alias, agent.entry.id)
        if role == LIVE_STATUS_ROLE:
            return agent.live_status.value
        if role == Qt.ItemDataRole.ForegroundRole:
            return None if item.live else _greyed()
        state: AgentState = item.state
        if column is Column.ACTIVITY:
            doing = item.activity if state.status is LiveStatus.RUNNING else None
            shown = activity_data(doing, role, self.now)
        else:
            shown = cell_data(agent.entry, state, column, role, self.now)
        if role == Qt.ItemDataRole.DecorationRole and shown is not None and not item.live:
            return dot_icon(GREY)  # as last seen, not as it is now: no colour claims otherwise
        return shown

    def remote_index(self, alias: str, entry_id: str) -> QModelIndex:
        """The row of a host's agent (invalid when it is not shown)."""
        for host in self._hosts():
            if host.host.alias == alias:
                for child in host.children:
                    if child.id == entry_id:
                        return self._index_of(child)
        return QModelIndex()


def _greyed() -> QColor:
    """The style's own colour for text that cannot be acted on."""
    return QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)


def _wanted(state: HostState, keep: Callable[[Entry], bool] | None) -> list[RemoteAgent]:
    kept = [agent for agent in state.agents if keep is None or keep(agent.entry)]
    return sorted(kept, key=lambda agent: agent.entry.sort_key, reverse=True)
