"""The actions on the agent selected in the window: one QAction each, shared by the buttons
under the tree, the row's context menu and the keys (Delete, Ctrl+C)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from zag_tray.procs.actions import STOP_SUPPORTED

ACTIONS = (
    ("open_root", "Open root"),
    ("open_terminal", "Terminal here"),
    ("copy_id", "Copy ID"),
    ("stop", "Stop"),
    ("kill", "Kill…"),
    ("kill_tree", "Kill tree…"),
    ("force_kill", "Force kill…"),
)
ALWAYS_ENABLED = frozenset({"copy_id", "open_root", "open_terminal"})
"""Actions that also make sense for an agent that is not running."""
ON_ITS_HOST = frozenset({"stop", "kill", "kill_tree", "force_kill"})
ON_A_SERVE_HOST = frozenset({"stop", "kill"})
"""What zag serve's API does (remote/serve.py): no tree kill, no SIGKILL."""
"""What another machine's agent allows (run there, as the tray's menu runs them), and Copy ID;
its root and terminal are on that machine, not here."""


class AgentActions(QObject):
    """Emits ``requested`` (action key, entry id) for the agent ``selected()`` names."""

    requested = Signal(str, str)

    def __init__(self, parent: QObject, selected: Callable[[], str | None]) -> None:
        super().__init__(parent)
        self._selected = selected
        self.by_key: dict[str, QAction] = {}
        for key, text in ACTIONS:
            action = QAction(text, parent)
            action.triggered.connect(functools.partial(self._request, key))
            action.setVisible(key != "stop" or STOP_SUPPORTED)
            self.by_key[key] = action

    def enable_for(self, selected: bool, running: bool, tree_size: int, stopping: bool = False) -> None:
        """What the selected agent allows: a running one everything, another only what does
        not signal it; Force kill one being stopped (shown only then); Kill tree says how
        many agents it would end. Each action is set once, to its final state: a state set
        and set back sends ``changed``, and its buttons lay out and repaint the whole details
        pane again (every second, as the clock ticks)."""
        enabled = {key: selected and (running or key in ALWAYS_ENABLED) for key in self.by_key}
        enabled["force_kill"] = selected and running and stopping
        enabled["kill_tree"] = selected and running and tree_size > 1
        self.by_key["force_kill"].setVisible(stopping)
        label = f"Kill tree ({tree_size})…"
        tree = self.by_key["kill_tree"]
        tree.setText(label)
        tree.setIconText(label)  # a tool button shows the icon text
        for key, action in self.by_key.items():
            action.setEnabled(enabled[key])

    def enable_remote(self, live: bool, offered: frozenset[str] = ON_ITS_HOST) -> None:
        """Another machine's agent: what its host ``offered`` (:data:`ON_ITS_HOST` over ssh,
        :data:`ON_A_SERVE_HOST` on a zag serve) while it is live (an offline host's agents are
        its last snapshot: nothing to act on), Copy ID always."""
        self.by_key["force_kill"].setVisible(True)
        tree = self.by_key["kill_tree"]
        tree.setText("Kill tree…")
        tree.setIconText("Kill tree…")
        for key, action in self.by_key.items():
            action.setEnabled(key == "copy_id" or (live and key in offered))

    def _request(self, key: str) -> None:
        entry_id = self._selected()
        if entry_id is not None:
            self.requested.emit(key, entry_id)
