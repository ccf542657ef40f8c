"""The one way work leaves the GUI thread: a job runs on a worker thread and its result,
or the exception it raised, always comes back to the GUI thread.

Nothing a job raises can leave a caller waiting forever (a watcher that never
observes again, a kill that fails silently): :class:`Worker` catches everything,
logs it with its traceback, and delivers the exception in place of the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
"""Called on the GUI thread with the job's result, or the exception it raised."""


class _Job(QRunnable):
    def __init__(self, worker: Worker, work: Callable[[], object], done: Done) -> None:
        super().__init__()
        self._worker, self._work, self._done = worker, work, done

    def run(self) -> None:
        try:
            result: object = self._work()
        except Exception as exc:  # delivered to the caller, never lost
            log.error("work off the GUI thread failed", exc_info=exc)
            result = exc
        self._worker.delivered.emit(self._done, result)


class Worker(QObject):
    """Runs jobs one at a time, in order, on a thread of its own."""

    delivered = Signal(object, object)
    """(done, result): emitted on the worker thread, received on the worker's own thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)  # one thread for good: not a new one per job at rest
        self.delivered.connect(self._deliver)

    def run(self, work: Callable[[], object], done: Done) -> None:
        """Run ``work()`` off the GUI thread; ``done`` gets its result or its exception."""
        self._pool.start(_Job(self, work, done))

    def wait(self) -> None:
        """Block until every job started has run (its ``done`` is still to be delivered)."""
        self._pool.waitForDone()

    @Slot(object, object)
    def _deliver(self, done: Done, result: object) -> None:
        done(result)
