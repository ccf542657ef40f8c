"""One observation of the store: the snapshot, every entry's live status, and any error.

The UI runs :meth:`Monitor.observe` on a worker thread and only applies the
result; the CLI could use it the same way. A store that turns bad keeps the
last good snapshot on show, with the error beside it.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from zag_tray.core.liveness import LivenessChecker, LiveStatus
from zag_tray.core.store import Entry, FileStamp, Snapshot, StoreError, StoreReader


@dataclass(frozen=True, slots=True)
class Observation:
    """The store and the live status of each entry at ``observed_at``.

    ``running`` and ``providers`` are worked out once, on the worker thread, so
    the GUI thread never walks a 100,000-entry snapshot to find them.
    """

    snapshot: Snapshot
    statuses: Mapping[str, LiveStatus]
    error: str | None = None
    observed_at: float = field(default_factory=time.time)
    running: tuple[Entry, ...] = field(init=False)
    providers: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        statuses, running_status = self.statuses, LiveStatus.RUNNING
        running = tuple(e for e in self.snapshot.entries if statuses.get(e.id) is running_status)
        object.__setattr__(self, "running", running)
        object.__setattr__(self, "providers", tuple(sorted({e.provider for e in self.snapshot.entries})))

    def running_by_provider(self) -> Counter[str]:
        return Counter(e.provider for e in self.running)


class Monitor:
    """Observes one store; re-reads it only when its stamp changed."""

    def __init__(self, store: Path, checker: LivenessChecker | None = None) -> None:
        self.store = store
        self.checker = checker or LivenessChecker()
        self._reader = StoreReader(store)
        self._last_good = Snapshot(store, ())

    def observe(self) -> Observation:
        """Read (if changed) and check liveness. Call from one thread at a time."""
        error = None
        try:
            snapshot = self._read_if_changed()
            self._last_good = snapshot
        except StoreError as exc:
            snapshot, error = self._last_good, str(exc)
        return Observation(snapshot, self.checker.statuses(snapshot.entries), error)

    def _read_if_changed(self) -> Snapshot:
        last = self._last_good
        try:
            current: FileStamp | None = FileStamp.of(os.stat(self.store))
        except OSError:
            current = None
        if current is not None and current == last.stamp:
            return last
        return self._reader.read()
