"""The activity of the running agents: :class:`ActivityTracker` (the monitor's, on its worker
thread) and :func:`read_activity` (the CLI's, once).

Only the logs of running agents are followed, each by one :class:`LogFollower` however
many agents name it (a ``zag spawn`` child's two entries share a session). An agent whose
log is not found yet is looked for again a little later: a log appears a few ms after its
entry; a plain ``zag exec`` is linked only while it is young (locate.py). A follower is
dropped, with its memory, when no running agent names its log any more.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import msgspec

from zag_tray.agents.activity import NO_LOG, Activity
from zag_tray.agents.entry import Entry
from zag_tray.sessions.follow import LogFollower
from zag_tray.sessions.locate import LogLocator

RETRY_AFTER: Final = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 60.0)
"""Seconds between looks for a log not found yet (the last repeats)."""
WAKE_UNDER: Final = 30.0
"""A look due sooner than this after the one before wakes the tray for it (next_look); a
later one waits for the tray's own look, twice a minute at rest: an agent that never has a
log (an older zag) costs no wakeup of its own."""
LINK_WHILE: Final = 60.0
"""Seconds after its start a plain ``zag exec`` is looked for a log (it writes one at once)."""


class _Slot(msgspec.Struct):
    """One running agent: its log (None: not found), and when to look for one again."""

    log: Path | None
    looks: int
    next_look: float
    looking: bool = True
    """Is it looked for again? (A plain run is linked only while it is young.)"""
    wait: float = 0.0
    """Seconds from the look before to ``next_look``."""


class ActivityTracker:
    """Finds and follows the logs of the running agents of one base dir. One thread at a time."""

    def __init__(self, base: Path, *, link_while: float = LINK_WHILE) -> None:
        self.base = base
        self.locator = LogLocator(base)
        self.link_while = link_while
        """Seconds after its start a plain run is looked for a log (the CLI: any age)."""
        self._slots: dict[str, _Slot] = {}
        self._followers: dict[Path, LogFollower] = {}

    @property
    def followed(self) -> frozenset[Path]:
        """The logs being followed: watch them for changes (a change there is a reason to
        call :meth:`update` again)."""
        return frozenset(self._followers)

    def next_look(self) -> float | None:
        """When an agent whose log is not found yet is looked for again (None: none is):
        observe then, or a log that appears after its entry waits for the next store change."""
        looks = [
            slot.next_look
            for slot in self._slots.values()
            if slot.log is None and slot.looking and slot.wait < WAKE_UNDER
        ]
        return min(looks) if looks else None

    def update(self, running: Iterable[Entry], now: float) -> dict[str, Activity]:
        """The activity of each of ``running`` by entry id, after reading what their logs
        gained; NO_LOG (``unknown``) for one whose log is not found."""
        running = list(running)
        ids = {e.id for e in running}
        for gone in self._slots.keys() - ids:
            del self._slots[gone]
        taken = self._taken(running)
        for entry in running:
            slot = self._slots.get(entry.id)
            if slot is None:
                slot = self._slots[entry.id] = _Slot(None, 0, now)
            if slot.log is None and now >= slot.next_look:
                self._look(entry, slot, taken, now)
        wanted = {slot.log for slot in self._slots.values() if slot.log is not None}
        for path in self._followers.keys() - wanted:
            del self._followers[path]
        activity: dict[str, Activity] = {}
        for path in wanted:
            follower = self._followers.get(path)
            if follower is None:
                follower = self._followers[path] = LogFollower(path)
            follower.poll()
        for entry in running:
            log = self._slots[entry.id].log
            activity[entry.id] = NO_LOG if log is None else self._followers[log].activity()
        return activity

    def _taken(self, running: list[Entry]) -> set[str]:
        """What a plain run may not be linked to: the sessions of the other running agents and
        the logs already linked."""
        taken = {e.session_id for e in running if e.session_id is not None}
        taken.update(str(slot.log) for slot in self._slots.values() if slot.log is not None)
        return taken

    def _look(self, entry: Entry, slot: _Slot, taken: set[str], now: float) -> None:
        if entry.session_id is not None:
            slot.log = self.locator.find(entry)
        elif entry.started is not None and now - entry.started <= self.link_while:
            slot.log = self.locator.link(entry, taken)
            if slot.log is not None:
                taken.add(str(slot.log))
        else:
            slot.looking = False  # too old to link (or no start): never looked for again
        slot.wait = RETRY_AFTER[min(slot.looks, len(RETRY_AFTER) - 1)]
        slot.next_look = now + slot.wait
        slot.looks += 1


def read_activity(base: Path, entry: Entry, others: Iterable[Entry] = ()) -> Activity:
    """The activity of ``entry`` read once (the CLI): its log found (a plain run linked,
    ``others`` being the other running agents) and read from its last ``session_started``."""
    locator = LogLocator(base)
    if entry.session_id is not None:
        log = locator.find(entry)
    else:
        taken = {e.session_id for e in others if e.session_id is not None and e.id != entry.id}
        log = locator.link(entry, taken)
    if log is None:
        return NO_LOG
    follower = LogFollower(log)
    follower.poll()
    return follower.activity()


def activities(base: Path, entries: Iterable[Entry], now: float) -> Mapping[str, Activity]:
    """The activity of each of ``entries`` (the running agents), read once: ``list``."""
    entries = list(entries)
    return ActivityTracker(base, link_while=math.inf).update(entries, now) if entries else {}
