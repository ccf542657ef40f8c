"""Observe one store: read it when it changed, look at the processes of the running
entries, and hand back one :class:`~zag_tray.agents.observation.Observation`.

The UI runs :meth:`Monitor.observe` on a worker thread (ui/worker.py) and only
applies the result. A store that turns bad keeps the last good snapshot on show,
with the error beside it; anything else that goes wrong is :meth:`Monitor.failed`.
"""

from __future__ import annotations

import os
from pathlib import Path

from zag_tray.agents.entry import FileStamp, Snapshot
from zag_tray.agents.observation import Observation, SnapshotFacts, observe
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.store.errors import StoreError
from zag_tray.store.reader import StoreReader


class Monitor:
    """Observes one store; re-reads it only when its stamp changed.

    What a snapshot alone decides is worked out once per snapshot
    (:class:`SnapshotFacts`); each observation after that looks only at the
    processes of the entries stored as running, so an unchanged 100,000-entry
    store costs a stat and a few psutil calls.
    """

    def __init__(
        self, store: Path, checker: LivenessChecker | None = None, reader: StoreReader | None = None
    ) -> None:
        self.store = store
        self.checker = checker or LivenessChecker()
        self._reader = reader or StoreReader(store)
        self._last_good = Snapshot(store, ())
        self._facts = SnapshotFacts.of(self._last_good)
        self._last: Observation | None = None

    def observe(self) -> Observation:
        """Read (if changed) and check liveness. Call from one thread at a time."""
        error, change = None, None
        try:
            snapshot = self._read_if_changed()
            if snapshot is not self._last_good:
                change = self._reader.change
            self._last_good = snapshot
        except StoreError as exc:
            snapshot, error = self._last_good, str(exc)
        if snapshot is not self._facts.snapshot:
            self._facts = SnapshotFacts.of(snapshot, self._facts, change)
        checked = self.checker.statuses(self._facts.stored_running)
        self._last = observe(self._facts, checked, self._last, error=error, change=change)
        return self._last

    def failed(self, error: str) -> Observation:
        """What to show when :meth:`observe` raised something unexpected: the last
        observation's views with ``error``. The next observation starts afresh."""
        last = self._last or observe(self._facts, {})
        return last.failed(error)

    def _read_if_changed(self) -> Snapshot:
        last = self._last_good
        try:
            current: FileStamp | None = FileStamp.of(os.stat(self.store))
        except OSError:
            current = None
        if current is not None and current == last.stamp:
            return last
        return self._reader.read()
