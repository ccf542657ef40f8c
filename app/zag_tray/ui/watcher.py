"""Watch the store: file-system events for changes, a slow timer for liveness.

zag saves by renaming a temp file over the store, which drops the file from a
QFileSystemWatcher; the directory is watched too and the file re-armed on
every event. Reading and liveness checks run on a worker (ui/worker.py); only the
resulting :class:`Observation` reaches the GUI thread, or, if the observation
raised, the last one again with the error, and the next observation runs as usual.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from zag_tray.agents.observation import Observation
from zag_tray.procs.monitor import Monitor
from zag_tray.ui.worker import Worker

LIVENESS_MS = 3000
DEBOUNCE_MS = 60
"""How long after a store change the tray reads it: zag's save is a write and a rename."""


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
        self._again = False
        self._stopped = True  # until start()
        self._fs = QFileSystemWatcher(self)
        self._fs.fileChanged.connect(self._on_fs_event)
        self._fs.directoryChanged.connect(self._on_fs_event)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self._liveness = QTimer(self, interval=liveness_ms)
        self._liveness.timeout.connect(self.refresh)

    def set_liveness_interval(self, ms: int) -> None:
        """How often running agents are checked when the store does not change."""
        self._liveness.setInterval(ms)

    def liveness_interval(self) -> int:
        return self._liveness.interval()

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
        self._debounce.stop()
        watched = self._fs.files() + self._fs.directories()
        if watched:
            self._fs.removePaths(watched)
        self._worker.wait()

    @Slot()
    def refresh(self) -> None:
        """Observe now (or right after the observation in flight)."""
        if self._stopped:
            return
        if self._busy:
            self._again = True
            return
        self._busy = True
        self._worker.run(self.monitor.observe, self._on_delivered)

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
        """Watch the store's directory (and its parent, until it exists) and the store itself."""
        wanted = [self.store, self.store.parent, self.store.parent.parent]
        existing = set(self._fs.files()) | set(self._fs.directories())
        for path in wanted:
            if str(path) not in existing and path.exists():
                self._fs.addPath(str(path))

    def _on_delivered(self, result: Observation | Exception) -> None:
        self._busy = False
        if self._stopped:
            return
        if isinstance(result, Exception):
            observation = self.monitor.failed(f"unexpected error: {type(result).__name__}: {result}")
        else:
            observation = result
        self._arm()
        self.observed.emit(observation)
        if self._again:
            self._again = False
            self.refresh()
