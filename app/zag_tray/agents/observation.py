"""One observation of the store and its processes, with every view the UI and the CLI show.

procs/monitor.py makes an :class:`Observation` on a worker thread; everything here is
worked out there, once per observation (or once per snapshot, in
:class:`SnapshotFacts`), so the GUI thread only reads what it shows and never walks
a 100,000-entry snapshot.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Final, cast

from zag_tray.agents.entry import Entry, Snapshot, SnapshotChange
from zag_tray.agents.status import LiveStatus, live_status
from zag_tray.agents.timestamps import parse_rfc3339_each
from zag_tray.agents.tree import Node, build_forest

LATEST_FINISHED_KEPT: Final = 10
"""Finished agents an observation remembers, latest first: more than the menu lists."""
_FINISHED_STATUSES: Final = frozenset({"exited", "killed"})


@dataclass(frozen=True, slots=True)
class Finished:
    """An agent that stopped running between two observations, and how."""

    entry: Entry
    status: LiveStatus


@dataclass(frozen=True, slots=True)
class SnapshotFacts:
    """What a snapshot alone decides, worked out once per snapshot rather than per observation
    (liveness is checked every few seconds; the store changes when an agent starts or ends)."""

    snapshot: Snapshot
    stored_running: tuple[Entry, ...]
    """Entries zag recorded as running: the only ones whose process is looked at."""
    providers: tuple[str, ...]
    latest_finished: tuple[Entry, ...]
    """The entries zag recorded as exited or killed that ended last, latest first."""

    @classmethod
    def of(
        cls, snapshot: Snapshot, before: SnapshotFacts | None = None, change: SnapshotChange | None = None
    ) -> SnapshotFacts:
        """The facts of ``snapshot``; with the facts of the snapshot before and the ``change``
        between them, the finished entries are worked out from the change alone."""
        entries = snapshot.entries
        stored_running = tuple(e for e in entries if e.status == "running")
        providers = tuple(sorted({e.provider for e in entries}))
        latest = None
        if before is not None and change is not None and change.before is before.snapshot:
            latest = _latest_after_change(before.latest_finished, change)
        if latest is None:
            latest = _latest_finished(entries)
        return cls(snapshot, stored_running, providers, latest)


def _latest_after_change(latest: tuple[Entry, ...], change: SnapshotChange) -> tuple[Entry, ...] | None:
    """The latest finished entries after ``change``, from those before it and the entries it
    added; None when one may have to come from the rest of the snapshot instead."""
    replaced = {id(e) for e in change.removed}  # every other entry is the very same object
    after = _latest_finished(itertools.chain((e for e in latest if id(e) not in replaced), change.added))
    if len(latest) < LATEST_FINISHED_KEPT:
        return after  # ``latest`` held every finished entry: nothing else can come in
    floor = latest[-1]  # every entry left out before comes after it
    if len(after) == LATEST_FINISHED_KEPT and _order(after[-1]) >= _order(floor):
        return after
    return None


def _latest_finished(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    return tuple(
        entry for _, entry in heapq.nlargest(LATEST_FINISHED_KEPT, _ended(entries), key=itemgetter(0))
    )


def _ended(entries: Iterable[Entry]) -> Iterator[tuple[tuple[float, float, str], Entry]]:
    """(:func:`_order`, entry) of the entries zag recorded as finished, at a time it can read
    (read all at once: a first read has 100,000 of them, each checked to be RFC 3339)."""
    finished = [e for e in entries if e.status in _FINISHED_STATUSES and e.exited_at is not None]
    for start in range(0, len(finished), _ENDS_AT_ONCE):
        some = finished[start : start + _ENDS_AT_ONCE]
        for entry, ended in zip(
            some, parse_rfc3339_each([cast(str, e.exited_at) for e in some]), strict=True
        ):
            if ended is not None:
                yield (ended, *entry.sort_key), entry


_ENDS_AT_ONCE: Final = 2048
"""End times read at once: enough to read them in C, few enough to leave no memory behind."""


def _order(entry: Entry) -> tuple[float, float, str]:
    """Latest end first; ties (ended at the same moment) newest start first, then by id, as
    the tree does: the same order whether worked out from a change or from a whole snapshot."""
    return (entry.ended or 0.0, *entry.sort_key)


@dataclass(frozen=True, slots=True)
class Observation:
    """The store and its agents' processes at ``observed_at``, and the views of them."""

    facts: SnapshotFacts
    checked: Mapping[str, LiveStatus]
    """Live status by id of the entries stored running, checked at ``observed_at``."""
    running: tuple[Entry, ...]
    """Entries whose live status is running, in file order."""
    running_forest: tuple[Node, ...]
    """``running`` as a tree, newest first; shared by every view, so never changed."""
    finished: tuple[Finished, ...] = ()
    """Agents running in the observation before this one and not in this one."""
    error: str | None = None
    """Why the store could not be read (the last good snapshot is shown), or what failed."""
    observed_at: float = dataclasses.field(default_factory=time.time)
    change: SnapshotChange | None = None
    """How ``snapshot`` differs from the snapshot read before it, when the reader knows."""

    @property
    def snapshot(self) -> Snapshot:
        return self.facts.snapshot

    @property
    def providers(self) -> tuple[str, ...]:
        return self.facts.providers

    def status_of(self, entry: Entry) -> LiveStatus:
        """The live status of any entry of the snapshot (agents/status.py)."""
        return live_status(entry, self.checked)

    def finished_since(self, since: float) -> list[Entry]:
        """Entries zag recorded as exited or killed at ``since`` or later, the latest first."""
        return [e for e in self.facts.latest_finished if (e.ended or 0.0) >= since]

    def failed(self, error: str) -> Observation:
        """This observation's views, now, with ``error``: what is shown when a later
        observation could not be made at all."""
        return dataclasses.replace(self, finished=(), error=error, observed_at=time.time(), change=None)


def observe(
    facts: SnapshotFacts,
    checked: Mapping[str, LiveStatus],
    before: Observation | None = None,
    *,
    error: str | None = None,
    change: SnapshotChange | None = None,
) -> Observation:
    """The observation of ``facts`` with the live statuses ``checked``; what finished is
    worked out against ``before`` (nothing, without one: what was over at start-up is never
    announced)."""
    running = tuple(e for e in facts.stored_running if checked.get(e.id) is LiveStatus.RUNNING)
    finished = _finished_between(before, running, facts.snapshot, checked)
    return Observation(facts, checked, running, tuple(build_forest(running)), finished, error, change=change)


def _finished_between(
    before: Observation | None,
    running: tuple[Entry, ...],
    snapshot: Snapshot,
    checked: Mapping[str, LiveStatus],
) -> tuple[Finished, ...]:
    if before is None:
        return ()
    still = {e.id for e in running}
    gone = [e.id for e in before.running if e.id not in still]
    if not gone:
        return ()
    wanted = set(gone)
    latest = {e.id: e for e in snapshot.entries if e.id in wanted}  # the last of duplicate ids
    finished = []
    for entry_id in gone:
        entry = latest.get(entry_id)
        if entry is None:
            continue  # no longer stored at all: nothing to say about it
        status = live_status(entry, checked)
        if status in (LiveStatus.EXITED, LiveStatus.KILLED, LiveStatus.DEAD):
            finished.append(Finished(entry, status))
    return tuple(finished)
