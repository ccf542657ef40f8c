"""Watch the store and the agents: file-system events for the store and for the running
agents' session logs, exit events for their processes, a timer for the rest.

zag saves by renaming a temp file over the store, which drops the file from a
QFileSystemWatcher; the directory is watched too and the file re-armed on
every event. Where the OS tells when a process exits (a pidfd per running agent, Linux),
nothing needs asking at rest: the timer then only backs the events up, twice a minute,
and runs at the user's interval while something is in flux (an agent being stopped, or one
not verified yet: the next look settles it). Elsewhere it runs at the user's interval.
A change to a followed session log reads the logs alone (``Monitor.observe_activity``: no
store read, no process looked at), as does the moment an activity changes by the clock
(``Observation.activity_due``: a tool pending 30 s, a heartbeat overdue, a log looked for
again). Reading and liveness checks run on a worker (ui/worker.py); only the resulting
:class:`Observation` reaches the GUI thread, or, if the observation raised, the last one
again with the error, and the next observation runs as usual.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QSocketNotifier, Qt, QTimer, Signal, Slot

from zag_tray.agents.observation import Observation
from zag_tray.agents.status import LiveStatus
from zag_tray.procs.monitor import Monitor
from zag_tray.procs.pinned import exit_notice_fd
from zag_tray.ui.worker import Worker

LIVENESS_MS = 3000
BACKSTOP_MS = 30_000
"""The timer at rest where exits are events: a look twice a minute, for what no event says."""
DEBOUNCE_MS = 60
"""How long after a store change the tray reads it: zag's save is a write and a rename."""
LOG_DEBOUNCE_MS = 300
"""How long after a session log grows the tray reads the logs: an agent writes several lines
at once (a tool call, its result, usage); at most three reads a second, each applied to the
icon, tooltip and menu (benchmarks/activity_tray.py: the CPU at 20 busy agents, the delay)."""


class StoreWatcher(QObject):
    """Emits ``observed`` with a fresh :class:`Observation` whenever something may have changed."""

    observed = Signal(object)

    def __init__(
        self, monitor: Monitor, parent: QObject | None = None, *, liveness_ms: int = LIVENESS_MS
    ) -> None:
        super().__init__(parent)
        self.monitor = monitor
        self._worker = Worker(self)
        self._busy = False
        self._again: Callable[[], Observation] | None = None  # what to observe after the one in flight
        self._stopped = True  # until start()
        self._fs = QFileSystemWatcher(self)
        self._fs.fileChanged.connect(self._on_fs_event)
        self._fs.directoryChanged.connect(self._on_fs_event)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self._logs = QFileSystemWatcher(self)
        self._logs.fileChanged.connect(self._on_log_event)
        self._log_debounce = QTimer(self, singleShot=True, interval=LOG_DEBOUNCE_MS)
        self._log_debounce.timeout.connect(self.refresh_activity)
        # precise: a coarse timer may fire a little early, before the change it waits for
        self._activity_due = QTimer(self, singleShot=True, timerType=Qt.TimerType.PreciseTimer)
        self._activity_due.timeout.connect(self.refresh_activity)
        self._liveness = QTimer(self, interval=liveness_ms)
        self._liveness.timeout.connect(self.refresh)
        self._interval_ms = liveness_ms
        self._exits: dict[int, tuple[int, QSocketNotifier]] = {}  # pid -> (pidfd, its notifier)

    def set_liveness_interval(self, ms: int) -> None:
        """How often running agents are checked when the store does not change (and nothing
        says they exited: see the module)."""
        self._interval_ms = ms
        self._liveness.setInterval(ms)

    def liveness_interval(self) -> int:
        return self._interval_ms

    @property
    def store(self) -> Path:
        return self.monitor.store

    def start(self) -> None:
        self._stopped = False
        self._arm()
        self._liveness.start()
        self.refresh()

    def stop(self) -> None:
        """No observation starts after this, and none is delivered (the tray may be going away)."""
        self._stopped = True
        self._liveness.stop()
        for timer in (self._debounce, self._log_debounce, self._activity_due):
            timer.stop()
        self._watch_exits(set())
        for fs in (self._fs, self._logs):
            watched = fs.files() + fs.directories()
            if watched:
                fs.removePaths(watched)
        self._worker.wait()

    @Slot()
    def refresh(self) -> None:
        """Observe now (or right after the observation in flight)."""
        self._observe(self.monitor.observe)

    @Slot()
    def refresh_activity(self) -> None:
        """Read the followed session logs again, and nothing else (a full observation asked
        for meanwhile covers it)."""
        self._observe(self.monitor.observe_activity)

    def _observe(self, how: Callable[[], Observation]) -> None:
        if self._stopped:
            return
        if self._busy:
            if self._again != self.monitor.observe:  # a full look covers the logs too
                self._again = how
            return
        self._busy = True
        self._worker.run(how, self._on_delivered)

    @Slot(str)
    def _on_fs_event(self, _path: str) -> None:
        if self._stopped:
            return
        self._arm()
        # Not restarted by later events: a store written 100 times a second still shows
        # within DEBOUNCE_MS and one read, instead of only when the writes pause.
        if not self._debounce.isActive():
            self._debounce.start()

    def _arm(self) -> None:
        """Watch the store and its folder; the folder's parent only until the folder exists
        (for ~/.zag that parent is the home folder: every file made there would be a re-read)."""
        folder = self.store.parent
        wanted = [self.store, folder] if folder.is_dir() else [folder.parent]
        existing = set(self._fs.files()) | set(self._fs.directories())
        for path in wanted:
            if str(path) not in existing and path.exists():
                self._fs.addPath(str(path))
        if str(folder.parent) in existing and folder.is_dir():
            self._fs.removePath(str(folder.parent))

    @Slot(str)
    def _on_log_event(self, path: str) -> None:
        """A followed session log changed: read the logs soon (not restarted by later lines:
        an agent writing all the time still shows within LOG_DEBOUNCE_MS). A log replaced
        (renamed over) leaves the watch: watched again if it is there."""
        if self._stopped:
            return
        if path not in self._logs.files() and os.path.exists(path):
            self._logs.addPath(path)
        if not self._log_debounce.isActive():
            self._log_debounce.start()

    def watched(self) -> list[str]:
        """The paths watched for changes now (the store's, and the followed session logs)."""
        return sorted(self._fs.files() + self._fs.directories() + self._logs.files())

    def _on_delivered(self, result: Observation | Exception) -> None:
        self._busy = False
        if self._stopped:
            return
        if isinstance(result, Exception):
            observation = self.monitor.failed(f"unexpected error: {type(result).__name__}: {result}")
        else:
            observation = result
        self._arm()
        self._follow(observation)
        self._follow_logs(observation)
        self.observed.emit(observation)
        again, self._again = self._again, None
        if again is not None:
            self._observe(again)

    def _follow(self, observation: Observation) -> None:
        """Wait on the running agents' exits; ask at rest only as a backstop where that works."""
        running = {e.pid for e in observation.running}
        self._watch_exits(running)
        unwatched = any(pid not in self._exits for pid in running)  # no exit events here
        in_flux = bool(observation.ends.stopping) or LiveStatus.UNVERIFIED in observation.checked.values()
        interval = self._interval_ms if in_flux or unwatched else BACKSTOP_MS
        if self._liveness.interval() != interval:
            self._liveness.setInterval(interval)

    def _follow_logs(self, observation: Observation) -> None:
        """Watch the running agents' session logs (only theirs), and observe again when an
        activity changes by the clock alone."""
        wanted, watched = observation.followed_logs, set(self._logs.files())
        gone = sorted(watched - wanted)
        if gone:
            self._logs.removePaths(gone)
        new = sorted(wanted - watched)
        if new:
            self._logs.addPaths(new)  # one that vanished meanwhile is left out, as it should be
        due = observation.activity_due
        if due is None:
            self._activity_due.stop()
        else:
            # a little after the moment, so that the state has changed by then; a resume time
            # days ahead (or a hostile one) is looked at again by the backstop first
            wait_ms = int((due - time.time()) * 1000) + 20
            self._activity_due.start(min(max(wait_ms, 0), BACKSTOP_MS))

    def _watch_exits(self, pids: set[int]) -> None:
        for pid in set(self._exits) - pids:
            fd, notifier = self._exits.pop(pid)
            notifier.setEnabled(False)  # then gone with its last reference: Python owns it
            os.close(fd)
        for pid in pids - set(self._exits):
            pidfd = exit_notice_fd(pid)
            if pidfd is not None:
                notifier = QSocketNotifier(pidfd, QSocketNotifier.Type.Read)  # no parent: see above
                notifier.activated.connect(functools.partial(self._exited, pid))  # (pid, fd, type)
                self._exits[pid] = (pidfd, notifier)

    def _exited(self, pid: int, *_: object) -> None:
        """An agent's process exited: look now (its notifier stays readable: mute it)."""
        watched = self._exits.get(pid)
        if watched is not None:
            watched[1].setEnabled(False)
        self.refresh()
