"""The UI's actions on agents: confirm, then call procs/actions.py off the GUI thread, report.

The UI never parses the store or sends a signal itself: kill, stop and the
root check are :mod:`zag_tray.procs.actions`, run through ui/worker.py, which
hands back the outcome or whatever the action raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication

from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Observation
from zag_tray.agents.present import title
from zag_tray.agents.text import has_hidden, one_line, pasteable, visible
from zag_tray.desktop import terminal
from zag_tray.procs import actions
from zag_tray.procs.actions import ActionError, KillOutcome
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.procs.stopping import StopTracker
from zag_tray.ui.questions import Question, kill_question
from zag_tray.ui.worker import Worker

MESSAGE_CHARS = 300
log = logging.getLogger(__name__)

Confirm = Callable[[Question], bool]
"""A question (title, plain-text text, the button that does it) -> accepted?"""


class AgentController(QObject):
    """Kill, kill tree, stop, open root, copy id: with confirmation and clear messages."""

    message = Signal(str)
    """A one-line message for the user (errors, results)."""
    noted = Signal(str)
    """A brief confirmation (Copy ID): shown a moment where the user is looking, never a
    notification."""
    signalled = Signal()
    """A stop or kill reached an agent: look again now ("stopping…" shows at once)."""
    finished = Signal()

    def __init__(
        self,
        store: Path,
        checker: LivenessChecker,
        confirm: Confirm,
        open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl,
        parent: QObject | None = None,
        tracker: StopTracker | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.checker = checker
        self.tracker = tracker or StopTracker()
        """Where what was signalled is followed until it is gone (shared with procs/monitor.py)."""
        self.confirm = confirm
        self.confirm_kill = True
        """Ask before Kill and Kill tree (a setting); a force kill is always an offer."""
        self.open_url = open_url
        self.terminal: list[str] | None = None
        """The terminal command (None: found when needed, see desktop/terminal.py)."""
        self.observation: Observation | None = None
        self._worker = Worker(self)

    def wait(self) -> None:
        self._worker.wait()

    # --- kill / stop -----------------------------------------------------------------------

    def kill(self, entry_id: str, *, tree: bool = False, force: bool = False) -> None:
        """Kill (or force-kill, or kill the tree of) an agent, asked first; it shows as
        stopping until its process is gone, then it is recorded and announced."""
        if self.observation is None or self._stored(entry_id) is None:
            self.message.emit(f"Agent {one_line(entry_id, 40)} is no longer in the store.")
            return
        question = kill_question(self.observation, entry_id, tree=tree, force=force)
        if (force or self.confirm_kill) and not self.confirm(question):
            return
        store, checker, tracker = self.store, self.checker, self.tracker
        self._worker.run(
            # not waited for: it shows as stopping until it is gone (procs/stopping.py)
            lambda: actions.kill(store, entry_id, checker, tree=tree, force=force, wait=0.0, tracker=tracker),
            self._on_done,
        )

    def stop(self, entry_id: str) -> None:
        store, checker, tracker = self.store, self.checker, self.tracker
        self._worker.run(lambda: actions.stop(store, entry_id, checker, tracker), self._on_done)

    def _on_done(self, result: object) -> None:
        """A kill's or a stop's result, on the GUI thread: whatever it was, the user hears."""
        self.finished.emit()
        if isinstance(result, ActionError):
            log.warning("refused: %s", visible(str(result)))
            self.message.emit(one_line(str(result), MESSAGE_CHARS))
            return
        if isinstance(result, Exception):
            self.message.emit(one_line(f"unexpected error: {type(result).__name__}: {result}", MESSAGE_CHARS))
            return
        if isinstance(result, Entry):  # a stop: SIGHUP sent
            log.info("SIGHUP sent to agent %s (pid %d)", visible(result.id), result.pid)
            self.message.emit(one_line(f"Stopping {title(result)} (SIGHUP sent)…", MESSAGE_CHARS))
            self.signalled.emit()
            return
        assert isinstance(result, KillOutcome)
        for entry in result.signalled:
            log.info("%s sent to agent %s (pid %d)", result.signal, visible(entry.id), entry.pid)
        for failure in (*result.failures, *([result.write_error] if result.write_error else [])):
            log.warning("%s", visible(failure))
            self.message.emit(one_line(failure, MESSAGE_CHARS))
        if result.signalled:
            self.signalled.emit()

    # --- open / copy -----------------------------------------------------------------------

    def open_root(self, entry_id: str) -> None:
        entry = self._entry(entry_id)
        if entry is None:
            return
        try:
            root = actions.root_to_open(entry)
        except ActionError as exc:
            self.message.emit(one_line(str(exc), MESSAGE_CHARS))
            return
        self._open_folder(root)

    def _open_folder(self, folder: Path) -> None:
        """The desktop's file manager on ``folder``; where none answers, the user hears so."""
        if not self.open_url(QUrl.fromLocalFile(str(folder))):
            self.message.emit(
                one_line(
                    f"Could not open {visible(str(folder))}: no file manager is set up here", MESSAGE_CHARS
                )
            )

    def open_terminal(self, entry_id: str) -> None:
        """The user's terminal, in the agent's root (an existing directory only)."""
        entry = self._entry(entry_id)
        if entry is None:
            return
        try:
            terminal.open_terminal(actions.root_to_open(entry), self.terminal)
        except (ActionError, terminal.TerminalError) as exc:
            self.message.emit(one_line(str(exc), MESSAGE_CHARS))

    def open_folder(self) -> None:
        folder = self.store.parent
        if folder.is_dir():
            self._open_folder(folder)
        else:
            self.message.emit(f"{folder} does not exist yet (zag has not run here).")

    def copy_id(self, entry_id: str) -> None:
        """The id to the clipboard; one holding control or direction characters goes escaped,
        and the user is told (pasted into a terminal, they would act)."""
        QGuiApplication.clipboard().setText(visible(entry_id))
        if has_hidden(entry_id):
            self.message.emit(
                f"This id holds control or direction characters; copied as {one_line(entry_id, 80)}"
            )
        else:
            self.noted.emit(f"Copied {one_line(entry_id, 40)} to the clipboard")

    def copy_text(self, what: str, text: str) -> None:
        """A whole field to the clipboard (line breaks kept, other hidden characters escaped)."""
        QGuiApplication.clipboard().setText(pasteable(text))
        if pasteable(text) != text:
            self.message.emit(
                f"The {what.replace('_', ' ')} holds control or direction characters; copied escaped"
            )

    def _entry(self, entry_id: str) -> Entry | None:
        entry = self._stored(entry_id)
        if entry is None:
            self.message.emit(f"Agent {one_line(entry_id, 40)} is no longer in the store.")
        return entry

    def _stored(self, entry_id: str) -> Entry | None:
        """The entry of ``entry_id`` (the last of duplicate ids): among the running ones first,
        the whole snapshot only for a finished agent the user acts on."""
        if self.observation is None:
            return None
        for entries in (self.observation.running, self.observation.snapshot.entries):
            for entry in reversed(entries):
                if entry.id == entry_id:
                    return entry
        return None
