"""The UI's actions on agents: confirm, then call the core off the GUI thread, report results.

The UI never parses the store or sends a signal itself: kill, stop and the
root check are :mod:`zag_tray.core.actions`, run on a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, QUrl, Signal, SignalInstance, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication

from zag_tray.core import actions, terminal
from zag_tray.core.actions import ActionError, KillOutcome
from zag_tray.core.liveness import LivenessChecker
from zag_tray.core.monitor import Observation
from zag_tray.core.store import Entry
from zag_tray.core.text import one_line, short_path
from zag_tray.core.tree import build_forest, descendants_deepest_first, find_node

FORCE_AFTER_MS = 5000

Confirm = Callable[[str, str], bool]
"""(title, plain-text question) -> accepted?"""


class _Job(QRunnable):
    def __init__(self, work: Callable[[], object], done: SignalInstance) -> None:
        super().__init__()
        self._work, self._done = work, done

    def run(self) -> None:
        try:
            result: object = self._work()
        except (ActionError, OSError) as exc:
            result = exc
        self._done.emit(result)


class AgentController(QObject):
    """Kill, kill tree, stop, open root, copy id: with confirmation and clear messages."""

    message = Signal(str)
    """A one-line message for the user (errors, results)."""
    stopping = Signal(object)
    """Ids that were signalled and are expected to disappear."""
    finished = Signal()
    _killed = Signal(object)

    def __init__(
        self,
        store: Path,
        checker: LivenessChecker,
        confirm: Confirm,
        open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.checker = checker
        self.confirm = confirm
        self.confirm_kill = True
        """Ask before Kill and Kill tree (a setting); a force kill is always an offer."""
        self.open_url = open_url
        self.terminal: list[str] | None = None
        """The terminal command (None: found when needed, see core/terminal.py)."""
        self.observation: Observation | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._killed.connect(self._on_killed)

    def wait(self) -> None:
        self._pool.waitForDone()

    # --- kill / stop -----------------------------------------------------------------------

    def kill(self, entry_id: str, *, tree: bool = False, force: bool = False) -> None:
        question = self._kill_question(entry_id, tree, force)
        if question is None:
            self.message.emit(f"Agent {entry_id} is no longer in the store.")
            return
        title = "Force kill" if force else ("Kill tree" if tree else "Kill agent")
        if (force or self.confirm_kill) and not self.confirm(title, question):
            return
        store, checker = self.store, self.checker
        self._pool.start(
            _Job(lambda: actions.kill(store, entry_id, checker, tree=tree, force=force), self._killed)
        )

    def stop(self, entry_id: str) -> None:
        store, checker = self.store, self.checker
        self._pool.start(_Job(lambda: actions.stop(store, entry_id, checker), self._killed))

    def _kill_question(self, entry_id: str, tree: bool, force: bool) -> str | None:
        if self.observation is None:
            return None
        node = find_node(build_forest(self.observation.running), entry_id)
        if node is None:
            entries = [e for e in self.observation.snapshot.entries if e.id == entry_id]
            if not entries:
                return None
            targets = entries[-1:]
        else:
            targets = [n.entry for n in descendants_deepest_first(node)] if tree else []
            targets.append(node.entry)
        verb = "Send SIGKILL to" if force else "Kill"
        lines = [f"{verb} {len(targets)} agent{'s' if len(targets) > 1 else ''}?", ""]
        for target in targets[::-1][:12]:
            lines.append(
                f"• {one_line(target.provider, 16)} · {one_line(target.model, 24)}  pid {target.pid}"
                f"  {one_line(short_path(target.root), 60) or '(no root)'}"
            )
        if len(targets) > 12:
            lines.append(f"… and {len(targets) - 12} more")
        return "\n".join(lines)

    @Slot(object)
    def _on_killed(self, result: object) -> None:
        self.finished.emit()
        if isinstance(result, Exception):
            self.message.emit(one_line(str(result), 300))
            return
        if not isinstance(result, KillOutcome):
            return  # a stop: nothing to follow up
        for failure in result.failures:
            self.message.emit(one_line(failure, 300))
        if result.write_error:
            self.message.emit(one_line(result.write_error, 300))
        ids = {e.id for e in result.signalled}
        self.stopping.emit(ids)
        processes = result.processes
        if processes and not all(e.status == "killed" for e in result.signalled):
            QTimer.singleShot(FORCE_AFTER_MS, lambda: self._offer_force(result))

    def _offer_force(self, outcome: KillOutcome) -> None:
        alive = actions.wait_gone(outcome.processes, 0)
        pids = {p.pid for p in alive}
        for entry in outcome.signalled:
            if entry.pid in pids:
                self.kill(entry.id, force=True)

    # --- open / copy -----------------------------------------------------------------------

    def open_root(self, entry_id: str) -> None:
        entry = self._entry(entry_id)
        if entry is None:
            return
        try:
            root = actions.root_to_open(entry)
        except ActionError as exc:
            self.message.emit(one_line(str(exc), 300))
            return
        self.open_url(QUrl.fromLocalFile(str(root)))

    def open_terminal(self, entry_id: str) -> None:
        """The user's terminal, in the agent's root (an existing directory only)."""
        entry = self._entry(entry_id)
        if entry is None:
            return
        try:
            terminal.open_terminal(actions.root_to_open(entry), self.terminal)
        except ActionError as exc:
            self.message.emit(one_line(str(exc), 300))

    def open_folder(self) -> None:
        folder = self.store.parent
        if folder.is_dir():
            self.open_url(QUrl.fromLocalFile(str(folder)))
        else:
            self.message.emit(f"{folder} does not exist yet (zag has not run here).")

    def copy_id(self, entry_id: str) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(entry_id)

    def _entry(self, entry_id: str) -> Entry | None:
        if self.observation is not None:
            for entry in reversed(self.observation.snapshot.entries):
                if entry.id == entry_id:
                    return entry
        self.message.emit(f"Agent {entry_id} is no longer in the store.")
        return None
