"""Observe one store: read it when it changed, look at the processes of the running
entries, and hand back one :class:`~zag_tray.agents.observation.Observation`.

The UI runs :meth:`Monitor.observe` on a worker thread (ui/worker.py) and only
applies the result. A store that turns bad keeps the last good snapshot on show,
with the error beside it; anything else that goes wrong is :meth:`Monitor.failed`.

Each observation carries what the running agents are doing (``Observation.activity``),
read from their session logs by offset (sessions/tracker.py). When only a log changed,
:meth:`Monitor.observe_activity` reads the logs alone and keeps the rest of the last
observation: no store read, no process looked at.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Final

from zag_tray.agents.entry import Entry, FileStamp, Snapshot, SnapshotChange
from zag_tray.agents.observation import EndFacts, Observation, SnapshotFacts, observe, with_activity
from zag_tray.agents.status import LiveStatus, Stopping
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.procs.stopping import StopTracker
from zag_tray.sessions.tracker import ActivityTracker
from zag_tray.store.errors import StoreError
from zag_tray.store.reader import StoreReader

ENDS_REMEMBERED: Final = 1000
"""Ends the tray saw itself (deaths, the user's own kills) kept for the views, at most."""


class Monitor:
    """Observes one store; re-reads it only when its stamp changed.

    What a snapshot alone decides is worked out once per snapshot
    (:class:`SnapshotFacts`); each observation after that looks only at the
    processes of the entries stored as running, so an unchanged 100,000-entry
    store costs a stat and a few psutil calls.
    """

    def __init__(
        self,
        store: Path,
        checker: LivenessChecker | None = None,
        reader: StoreReader | None = None,
        tracker: StopTracker | None = None,
        *,
        follow_logs: bool = True,
    ) -> None:
        self.store = store
        self.checker = checker or LivenessChecker()
        self.tracker = tracker or StopTracker()
        """The agents the user signalled (the UI's controller adds them)."""
        self._reader = reader or StoreReader(store)
        self._last_good = Snapshot(store, ())
        self._facts = SnapshotFacts.of(self._last_good)
        self._last: Observation | None = None
        self._gone_at: dict[str, float] = {}
        self._ended_by: dict[str, str] = {}
        self._alive_ended: set[str] = set()  # recorded ended, seen running: looked at until gone
        self._logs = ActivityTracker(store.parent) if follow_logs else None
        """The running agents' session logs, in zag's base dir (the store's folder)."""

    def observe(self) -> Observation:
        """Read (if changed), check liveness, settle what the user signalled. Call from one
        thread at a time."""
        now = time.time()
        error, change = self._read()
        checked = self.checker.statuses(self._facts.stored_running)
        alive_ended = self._still_running_after_record()
        checked.update((e.id, LiveStatus.RUNNING) for e in alive_ended)
        settled = self.tracker.settle(self.store, checked, now)
        if settled.recorded:  # a kill was written: show the store as it now is
            error, later = self._read()
            change = change if later is None else later
        self._remember(settled.ended | settled.held, checked, now)
        stopping = {e.id: _recorded_end(e) for e in alive_ended} | settled.stopping
        ends = EndFacts(
            stopping,
            tuple(alive_ended),
            dict(self._gone_at),
            dict(self._ended_by),
            frozenset(settled.held),
            frozenset(settled.ended),
        )
        before = self._last
        seen = observe(self._facts, checked, before, error=error, change=change, ends=ends)
        self._last = self._with_activity(seen, before)
        return self._last

    def observe_activity(self) -> Observation:
        """The last observation with the running agents' logs read again (what they gained),
        at a new ``observed_at``: for a change to a followed log. No store read, no process
        looked at; nothing ``finished``. The first call is a full :meth:`observe`."""
        before = self._last
        if before is None:
            return self.observe()
        seen = dataclasses.replace(before, finished=(), change=None, observed_at=time.time())
        self._last = self._with_activity(seen, before)
        return self._last

    def _with_activity(self, seen: Observation, before: Observation | None) -> Observation:
        if self._logs is None:
            return seen
        activity = self._logs.update(seen.running, seen.observed_at)
        followed = frozenset(map(str, self._logs.followed))
        return with_activity(seen, activity, followed, before, look_at=self._logs.next_look())

    @property
    def followed_logs(self) -> frozenset[Path]:
        """The session logs being followed now (those of the running agents that have one)."""
        return frozenset() if self._logs is None else self._logs.followed

    def _read(self) -> tuple[str | None, SnapshotChange | None]:
        """Read the store if it changed: (the error, or None; the change, or None)."""
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
        return error, change

    def _still_running_after_record(self) -> list[Entry]:
        """The recent ends zag recorded (and those seen running before) whose process runs on."""
        candidates = list(self._facts.latest_finished)
        if self._alive_ended:
            known = {e.id for e in candidates}
            seen_running = self._alive_ended - known
            candidates += [e for e in self._facts.snapshot.entries if e.id in seen_running]
        found = self.checker.still_running(candidates)
        self._alive_ended = {e.id for e in found}
        return found

    def _remember(self, ended_by: dict[str, str], checked: dict[str, LiveStatus], now: float) -> None:
        """When processes were seen gone (an end zag never recorded), and which ends the user's
        own stop or kill made."""
        self._ended_by.update(ended_by)
        before = self._last
        if before is not None:
            was_running = {e.id for e in before.running}
            for entry_id, status in checked.items():
                if status is LiveStatus.DEAD and entry_id in was_running:
                    self._gone_at.setdefault(entry_id, now)
        for seen in (self._gone_at, self._ended_by):
            while len(seen) > ENDS_REMEMBERED:
                del seen[next(iter(seen))]  # the oldest first: dicts keep their order

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


def _recorded_end(entry: Entry) -> Stopping:
    """A process that runs on after zag recorded its end (a kill it ignored)."""
    return Stopping(entry.status, entry.ended or 0.0, by_user=False)
