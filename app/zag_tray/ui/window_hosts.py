"""Other machines in the window: their rows (ui/host_model.py), the machine filter, a remote
agent's details and actions, and Add host….

The actions on a remote agent are the tray menu's (ui/remote_tray.RemoteActions: confirmed,
run there through remote/driver.run off the GUI thread, their result said as the menu's are);
the window only names the action, the host and the id.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from zag_tray.agents.status import PLAIN, LiveStatus
from zag_tray.remote.glance import activity
from zag_tray.remote.protocol import RemoteAgent
from zag_tray.remote.serve_hosts import is_serve_url
from zag_tray.remote.state import HostState, Link
from zag_tray.ui.add_host import AddHostDialog, with_host
from zag_tray.ui.agent_actions import ON_A_SERVE_HOST, ON_ITS_HOST, AgentActions
from zag_tray.ui.columns import Column
from zag_tray.ui.details import DetailsPane
from zag_tray.ui.filter_bar import FilterBar
from zag_tray.ui.host_model import HOST_ROLE, REMOTE_ROLE, UNCERTAIN, HostTreeModel, heading
from zag_tray.ui.remote_tray import SEP
from zag_tray.ui.tree_view import WIDTHS, AgentTreeView

if TYPE_CHECKING:
    from zag_tray.ui.tray import TrayApp


class WindowHosts(QObject):
    """The window's part for other machines; ``action_requested`` carries a
    :class:`~zag_tray.ui.remote_tray.RemoteActions` key, ``host_added`` a :class:`HostEntry`."""

    action_requested = Signal(str)
    host_added = Signal(object)

    def __init__(
        self,
        window: QWidget,
        view: AgentTreeView,
        filters: FilterBar,
        details: DetailsPane,
        actions: AgentActions,
    ) -> None:
        super().__init__(window)
        self._window, self.view, self.filters = window, view, filters
        self.details, self.actions = details, actions
        model = view.model()
        assert isinstance(model, HostTreeModel)
        self.model = model
        self.states: list[HostState] = []
        self.running_here = 0
        self.add_button = QPushButton("Add host…")
        self.add_button.setToolTip("Watch the agents of another machine, over ssh or its zag serve")
        self.add_button.clicked.connect(self.add_host)
        self.dialog: AddHostDialog | None = None
        self.serve_file: Path | None = None
        """serve-hosts.json as the tray reads it; None (no URLs taken) until attached."""

    def attach(self, tray: TrayApp) -> None:
        """Follow the tray's hosts, act through its remote actions (the menu's), add hosts to
        its settings (saved, and watched from then on)."""
        remote = tray.remote
        remote.changed.connect(lambda: self.show(remote.states()))
        self.action_requested.connect(tray.remote_actions.act)
        self.host_added.connect(lambda host: tray.apply_settings(with_host(tray.settings, host)))
        self.serve_file = remote.serve.path
        self.show(remote.states())

    def show(self, states: Sequence[HostState]) -> None:
        """The hosts' states, as the tray has them now."""
        self.states = list(states)
        self.filters.set_machines([state.alias for state in self.states])
        self.refresh(self.running_here)

    def refresh(self, running_here: int) -> None:
        """The hosts' rows again (after this machine's were, or a filter changed)."""
        self.running_here = running_here
        keep = self.filters.matcher()
        if self.model.show_hosts(self.states, keep, running_here, time.time()):
            self.view.expandAll()
            self._widen()
        if self.model.has_hosts:
            chosen, top = self.filters.machine_choice(), QModelIndex()
            for row in range(self.model.rowCount()):
                alias = self.model.index(row, 0).data(HOST_ROLE)
                self.view.setFirstColumnSpanned(row, top, True)  # a heading across the columns
                self.view.setRowHidden(row, top, chosen is not None and alias != chosen)
        self._show_selected()

    def _widen(self) -> None:
        """The Agent column one indentation wider while the machines' level is there (else the
        deepest titles are cut), only where it has the width it starts with: never the user's."""
        header, start = self.view.header(), WIDTHS[Column.AGENT]
        wider = start + self.view.indentation()
        if header.sectionSize(Column.AGENT) == (start if self.model.has_hosts else wider):
            header.resizeSection(Column.AGENT, wider if self.model.has_hosts else start)

    def selected(self) -> tuple[HostState, RemoteAgent] | None:
        """The host and agent of the selected row, when it is another machine's."""
        key = self.view.currentIndex().data(REMOTE_ROLE)
        if not isinstance(key, tuple):
            return None
        alias, entry_id = key
        state = next((s for s in self.states if s.alias == alias), None)
        agent = None if state is None else next((a for a in state.agents if a.entry.id == entry_id), None)
        return None if state is None or agent is None else (state, agent)

    def selected_id(self) -> str | None:
        chosen = self.selected()
        return None if chosen is None else chosen[1].entry.id

    def show_details(self) -> bool:
        """Show the selected remote agent's details and actions; False when none is selected."""
        chosen = self.selected()
        if chosen is None:
            return False
        state, agent = chosen
        now = time.time()
        running = agent.live_status is LiveStatus.RUNNING
        self.details.show_entry(
            agent.entry, PLAIN[agent.live_status], now, activity(agent.activity) if running else None
        )
        line = heading(state, 0, now)
        self.details.show_machine(line if state.status_certain else f"{line}\n{UNCERTAIN}")
        serve = is_serve_url(state.alias)
        self.actions.enable_remote(state.link is Link.LIVE, ON_A_SERVE_HOST if serve else ON_ITS_HOST)
        return True

    def _show_selected(self) -> None:
        if self.selected() is not None:
            self.show_details()

    def act(self, action: str) -> bool:
        """Run ``action`` on the selected remote agent's host; False when none is selected (or
        the action is Copy ID, which the window does as for any agent)."""
        chosen = self.selected()
        if chosen is None or action not in ON_ITS_HOST:
            return chosen is not None and action != "copy_id"
        state, agent = chosen
        self.action_requested.emit(SEP.join((action, state.alias, agent.entry.id)))
        return True

    def add_host(self) -> AddHostDialog:
        """Asks for a machine (window-modal, not exec(): observations go on meanwhile)."""
        taken = [state.alias for state in self.states]
        if self.dialog is not None:  # closed (it is window-modal): its worker thread ends with it
            self.dialog.deleteLater()
        dialog = self.dialog = AddHostDialog(taken, self._window, self.serve_file)
        dialog.added.connect(self.host_added)
        dialog.open()
        return dialog
