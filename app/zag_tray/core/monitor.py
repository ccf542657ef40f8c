"""One observation of the store: the snapshot, every entry's live status, and any error.

The UI runs :meth:`Monitor.observe` on a worker thread and only applies the
result; the CLI could use it the same way. A store that turns bad keeps the
last good snapshot on show, with the error beside it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from zag_tray.core.liveness import LivenessChecker, LiveStatus, settled_statuses
from zag_tray.core.store import Entry, FileStamp, Snapshot, SnapshotChange, StoreError, StoreReader


@dataclass(frozen=True, slots=True)
class Observation:
    """The store and the live status of each entry at ``observed_at``.

    ``running`` and ``providers`` come worked out (on the worker thread), so the
    GUI thread never walks a 100,000-entry snapshot to find them.
    """

    snapshot: Snapshot
    statuses: Mapping[str, LiveStatus]
    running: tuple[Entry, ...]
    providers: tuple[str, ...]
    error: str | None = None
    observed_at: float = field(default_factory=time.time)
    change: SnapshotChange | None = None
    """How ``snapshot`` differs from the snapshot read before it, when the reader knows."""

    @classmethod
    def of(
        cls, snapshot: Snapshot, statuses: Mapping[str, LiveStatus], error: str | None = None
    ) -> Observation:
        """An observation with ``running`` and ``providers`` derived from ``statuses``."""
        running = tuple(e for e in snapshot.entries if statuses.get(e.id) is LiveStatus.RUNNING)
        return cls(snapshot, statuses, running, _providers(snapshot), error)

    def finished_since(self, since: float) -> list[Entry]:
        """Entries zag recorded as exited or killed at ``since`` or later, the latest first."""
        # exited_at is RFC 3339: its date, whatever its offset (under a day either way), is
        # at most a day before the UTC date. Comparing that text first leaves most of
        # 100,000 timestamps unparsed: the tray menu asks, on the GUI thread.
        earliest = time.strftime("%Y-%m-%d", time.gmtime(max(0.0, since - 86400)))
        found: list[tuple[float, Entry]] = []
        for entry in self.snapshot.entries:
            exited_at = entry.exited_at
            if exited_at is not None and entry.status in _FINISHED and exited_at[:10] >= earliest:
                ended = entry.ended
                if ended is not None and ended >= since:
                    found.append((ended, entry))
        found.sort(key=itemgetter(0), reverse=True)
        return [entry for _, entry in found]


_FINISHED = frozenset({"exited", "killed"})  # stored so: the live status is what zag recorded


def _providers(snapshot: Snapshot) -> tuple[str, ...]:
    return tuple(sorted({e.provider for e in snapshot.entries}))


class Statuses(Mapping[str, LiveStatus]):
    """Every entry's live status: checked now for entries stored as running, and worked out
    from the stored status for the rest, on first use only (the running view never asks,
    and a 100,000-entry dict per store change would be most of the tray's work at rest)."""

    def __init__(self, live: dict[str, LiveStatus], settled: SettledStatuses) -> None:
        self._live = live
        self._settled = settled

    def __getitem__(self, entry_id: str) -> LiveStatus:
        status = self._live.get(entry_id)
        return self._settled.all()[entry_id] if status is None else status

    def get(self, entry_id: str, default: LiveStatus | None = None) -> LiveStatus | None:  # type: ignore[override]
        status = self._live.get(entry_id)  # get, not the Mapping default: 100,000 calls per view
        return self._settled.all().get(entry_id, default) if status is None else status

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._live or entry_id in self._settled.all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._settled.all().keys() | self._live.keys())

    def __len__(self) -> int:
        return len(self._settled.all().keys() | self._live.keys())


class SettledStatuses:
    """The status of every entry not stored as running, worked out once, when first asked."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = entries
        self._statuses: dict[str, LiveStatus] | None = None

    def all(self) -> dict[str, LiveStatus]:
        if self._statuses is None:
            self._statuses = settled_statuses(self._entries)
        return self._statuses


class Monitor:
    """Observes one store; re-reads it only when its stamp changed.

    What a snapshot alone decides (the status of every finished entry, the
    providers) is worked out once per snapshot; each observation after that
    checks only the entries stored as running, so an unchanged 100,000-entry
    store costs a stat and a few psutil calls.
    """

    def __init__(self, store: Path, checker: LivenessChecker | None = None) -> None:
        self.store = store
        self.checker = checker or LivenessChecker()
        self._reader = StoreReader(store)
        self._last_good = Snapshot(store, ())
        self._facts_of: Snapshot | None = None
        self._settled: SettledStatuses = SettledStatuses(())
        self._stored_running: tuple[Entry, ...] = ()
        self._providers: tuple[str, ...] = ()

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
        if snapshot is not self._facts_of:
            self._learn(snapshot)
        live = self.checker.statuses(self._stored_running)
        running = tuple(e for e in self._stored_running if live[e.id] is LiveStatus.RUNNING)
        statuses = Statuses(live, self._settled)
        return Observation(snapshot, statuses, running, self._providers, error, change=change)

    def _learn(self, snapshot: Snapshot) -> None:
        self._facts_of = snapshot
        self._stored_running = tuple(e for e in snapshot.entries if e.status == "running")
        self._settled = SettledStatuses(snapshot.entries)
        self._providers = _providers(snapshot)

    def _read_if_changed(self) -> Snapshot:
        last = self._last_good
        try:
            current: FileStamp | None = FileStamp.of(os.stat(self.store))
        except OSError:
            current = None
        if current is not None and current == last.stamp:
            return last
        return self._reader.read()
