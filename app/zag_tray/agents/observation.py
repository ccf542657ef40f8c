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

from zag_tray.agents.activity import Activity, ActivityState
from zag_tray.agents.entry import Entry, Snapshot, SnapshotChange
from zag_tray.agents.status import PLAIN, AgentState, LiveStatus, Stopping, live_status
from zag_tray.agents.timestamps import parse_rfc3339_each
from zag_tray.agents.tree import Lineage, Node, build_forest

LATEST_FINISHED_KEPT: Final = 10
"""Finished agents an observation remembers, latest first: more than the menu lists."""
_FINISHED_STATUSES: Final = frozenset({"exited", "killed"})


@dataclass(frozen=True, slots=True)
class Finished:
    """An agent that stopped running between two observations, and how."""

    entry: Entry
    state: AgentState

    @property
    def status(self) -> LiveStatus:
        return self.state.status


@dataclass(frozen=True, slots=True)
class EndFacts:
    """What the tray saw of agents ending, beyond what the store records (procs/monitor.py)."""

    stopping: Mapping[str, Stopping] = dataclasses.field(default_factory=dict)
    """Running agents being stopped, by id: by the user's own signal, or recorded ended by
    zag while their process still verifiably runs."""
    alive_ended: tuple[Entry, ...] = ()
    """Entries zag recorded killed or exited whose process verifiably still runs: running."""
    gone_at: Mapping[str, float] = dataclasses.field(default_factory=dict)
    """When the tray saw the process of an entry stored running gone (zag recorded no end)."""
    ended_by: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Agents the user's own stop or kill ended, by id: the signal."""
    held: frozenset[str] = frozenset()
    """Ended by the user, announced once those signalled with them are gone too."""
    released: frozenset[str] = frozenset()
    """Ended by the user, held before and announced now."""


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
    lineage: Lineage = dataclasses.field(compare=False)
    """Parents across the whole store, for running agents whose parent is not running."""

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
        return cls(snapshot, stored_running, providers, latest, Lineage(entries))


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
    ends: EndFacts = EndFacts()
    activity: Mapping[str, Activity] = dataclasses.field(default_factory=dict)
    """What each running agent is doing, by entry id (agents/activity.py), from its session
    log as read at ``observed_at`` (NO_LOG, ``unknown``, where none was found). Only running
    agents have one; an unchanged log gives the very same object as before."""
    followed_logs: frozenset[str] = frozenset()
    """The session logs being followed (paths): a change to one is a reason to call
    ``Monitor.observe_activity`` (watch them; the timer alone would be late)."""
    began_waiting: tuple[Entry, ...] = ()
    """Running agents that began waiting for the user (``waiting``) since the observation
    before (none in the first: a wait already there at start-up is never announced)."""
    activity_due: float | None = None
    """The first moment an activity's state or wording changes with no new line in its log
    (a heartbeat overdue, a tool pending 30 s, a resume time): observe again then."""

    @property
    def snapshot(self) -> Snapshot:
        return self.facts.snapshot

    @property
    def providers(self) -> tuple[str, ...]:
        return self.facts.providers

    def status_of(self, entry: Entry) -> LiveStatus:
        """The live status of any entry of the snapshot (agents/status.py)."""
        return live_status(entry, self.checked)

    def state_of(self, entry: Entry) -> AgentState:
        """Everything that decides how ``entry`` is shown (agents/present.py)."""
        status = live_status(entry, self.checked)
        ends, entry_id = self.ends, entry.id
        stopping, gone_at, ended_by = ends.stopping, ends.gone_at, ends.ended_by
        if entry_id not in stopping and entry_id not in gone_at and entry_id not in ended_by:
            return PLAIN[status]  # nearly every entry of a big store
        return AgentState(status, stopping.get(entry_id), gone_at.get(entry_id), ended_by.get(entry_id))

    def activity_of(self, entry: Entry) -> Activity | None:
        """What ``entry`` is doing, if it runs (None for one that does not)."""
        return self.activity.get(entry.id)

    def needs_you(self) -> tuple[Entry, ...]:
        """Running agents waiting for the user or with a tool pending long enough to be asking
        for approval (Activity.needs_you), at ``observed_at``, newest first."""
        at, activity = self.observed_at, self.activity
        found = [e for e in self.running if e.id in activity and activity[e.id].needs_you(at)]
        return tuple(sorted(found, key=lambda e: e.sort_key, reverse=True))

    def finished_since(self, since: float) -> list[Entry]:
        """Agents that ended at ``since`` or later, the latest first: those zag recorded as
        exited or killed, and those the tray saw die (their process gone, no end recorded)."""
        gone_at = self.ends.gone_at
        recorded = [(e.ended or 0.0, e) for e in self.facts.latest_finished if (e.ended or 0.0) >= since]
        died = [(gone_at[e.id], e) for e in self.facts.stored_running if e.id in gone_at]
        both = recorded + [(at, e) for at, e in died if at >= since and self.status_of(e) is LiveStatus.DEAD]
        return [e for _, e in sorted(both, key=lambda pair: (pair[0], pair[1].sort_key), reverse=True)]

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
    ends: EndFacts = EndFacts(),  # frozen: safe to share
) -> Observation:
    """The observation of ``facts`` with the live statuses ``checked``; what finished is
    worked out against ``before`` (nothing, without one: what was over at start-up is never
    announced)."""
    running = tuple(e for e in facts.stored_running if checked.get(e.id) is LiveStatus.RUNNING)
    running = _one_per_session(running + ends.alive_ended, facts.lineage)
    forest = tuple(build_forest(running, facts.lineage))
    seen = Observation(facts, checked, running, forest, (), error, change=change, ends=ends)
    finished = _finished_between(before, seen)
    return dataclasses.replace(seen, finished=finished) if finished else seen


def _one_per_session(running: tuple[Entry, ...], lineage: Lineage) -> tuple[Entry, ...]:
    """One agent per zag session: ``zag spawn`` records a child twice (its spawn entry, left
    ``running`` for good, and the child's own registration: ZAG_SESSIONS.md 5.4), and a
    resumed session is a new entry. A session runs as its newest entry: an older one whose
    process still lives is not another agent."""
    sessions = {e.session_id for e in running if e.session_id is not None}
    if not sessions:
        return running
    newest = lineage.newest_in_sessions(sessions)
    return tuple(e for e in running if e.session_id is None or newest.get(e.session_id) is e)


def _finished_between(before: Observation | None, now: Observation) -> tuple[Finished, ...]:
    if before is None:
        return ()
    still, ends = {e.id for e in now.running}, now.ends
    was_running = {e.id for e in before.running}
    gone = [e.id for e in before.running if e.id not in still and e.id not in ends.held]
    gone += sorted((ends.released & (was_running | before.ends.held)) - set(gone))
    if not gone:
        return ()
    wanted = set(gone)
    latest = {e.id: e for e in now.snapshot.entries if e.id in wanted}  # the last of duplicate ids
    finished = []
    for entry_id in gone:
        entry = latest.get(entry_id)
        if entry is None:
            continue  # no longer stored at all: nothing to say about it
        state = now.state_of(entry)
        if state.status in (LiveStatus.EXITED, LiveStatus.KILLED, LiveStatus.DEAD):
            finished.append(Finished(entry, state))
    return tuple(finished)


def with_activity(
    observation: Observation,
    activity: Mapping[str, Activity],
    followed: frozenset[str],
    before: Observation | None,
    *,
    look_at: float | None = None,
) -> Observation:
    """``observation`` with the running agents' ``activity`` (by id) and the logs being
    ``followed``; who began waiting is worked out against ``before``; ``look_at``: when a
    log not found yet is looked for again (it makes ``activity_due`` no later)."""
    at = observation.observed_at
    began: tuple[Entry, ...] = ()
    if before is not None:
        waited, then = before.activity, before.observed_at
        began = tuple(
            e
            for e in observation.running
            if e.id in activity
            and activity[e.id].state_at(at) is ActivityState.WAITING
            and (e.id not in waited or waited[e.id].state_at(then) is not ActivityState.WAITING)
        )
    due = [moment for a in activity.values() if (moment := a.next_change(at)) is not None]
    if look_at is not None:
        due.append(look_at)
    return dataclasses.replace(
        observation,
        activity=activity,
        followed_logs=followed,
        began_waiting=began,
        activity_due=min(due) if due else None,
    )
