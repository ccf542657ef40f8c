"""Agents the user has stopped or killed, followed until their process is verifiably gone.

An agent is shown running-and-stopping from the signal until its process is gone; only
then is a kill recorded in the store (as zag records one) and the end announced, as the
user's own doing (never a failure or a death). One that outlives the grace period stays
running, "still running after SIGTERM", with a force kill on offer. The UI adds what it
signalled (:meth:`StopTracker.add`, on the controller's worker) and the monitor settles
it at every observation (:meth:`StopTracker.settle`, on the watcher's worker).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from zag_tray.agents.entry import Entry
from zag_tray.agents.status import LiveStatus, Stopping
from zag_tray.agents.text import visible
from zag_tray.agents.timestamps import now_rfc3339
from zag_tray.store.errors import StoreError
from zag_tray.store.write import Target, update_entries

log = logging.getLogger(__name__)

GRACE_SECONDS: Final = 5.0
"""How long a signalled agent is "stopping…" before it is "still running after SIGTERM"."""
FORGET_SECONDS: Final = 3600.0
"""A process that can no longer be verified (neither running nor gone) is let go after this."""
RECORDED_BY_KILL: Final = frozenset({"SIGTERM", "SIGKILL"})
"""Signals whose end is recorded ``killed`` (a stop, SIGHUP, leaves the store alone, as zag's)."""


@dataclass(frozen=True, slots=True)
class Signalled:
    """A signal the user sent to an agent's process, with others at once (``batch``)."""

    entry: Entry
    signal: str
    at: float
    batch: int


@dataclass(frozen=True, slots=True)
class Settled:
    """What a look at the signalled agents found."""

    stopping: dict[str, Stopping] = field(default_factory=dict)
    """Still running, by id."""
    ended: dict[str, str] = field(default_factory=dict)
    """Gone, by id, the signal that ended them: to announce now, all those signalled together
    at once (a kill tree of 4 is "4 agents killed", however their ends are spread)."""
    held: dict[str, str] = field(default_factory=dict)
    """Gone, not announced yet: others signalled with them are still on their way."""
    recorded: bool = False
    """A kill was written to the store (read it again)."""


class StopTracker:
    """The agents the user signalled and that are not verifiably gone yet; thread-safe."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self._lock = threading.Lock()
        self._signalled: dict[str, Signalled] = {}
        self._gone: dict[str, Signalled] = {}  # gone, held until the rest of their batch is
        self._batches = itertools.count()

    def add(self, entries: Iterable[Entry], signal: str, at: float) -> None:
        """``signal`` was sent to the processes of ``entries`` at ``at``, together."""
        with self._lock:
            batch = next(self._batches)
            for entry in entries:
                self._signalled[entry.id] = Signalled(entry, signal, at, batch)

    def discard(self, entries: Iterable[Entry]) -> None:
        """``entries`` were not signalled after all (refused, or gone before the signal)."""
        with self._lock:
            for entry in entries:
                self._signalled.pop(entry.id, None)

    def settle(self, store: Path, checked: Mapping[str, LiveStatus], now: float) -> Settled:
        """Sort the signalled agents by what ``checked`` (live statuses, by id) says of them;
        record the kills of those gone, as zag records a kill, where the store still has
        them running."""
        with self._lock:
            signalled = dict(self._signalled)
        if not signalled and not self._gone:
            return Settled()
        stopping: dict[str, Stopping] = {}
        gone: list[Signalled] = []
        waiting: set[int] = set()  # batches with a member on its way out, within the grace
        for entry_id, each in signalled.items():
            status = checked.get(entry_id)
            if status is LiveStatus.RUNNING:
                overdue = now - each.at > self.grace
                stopping[entry_id] = Stopping(each.signal, each.at, True, overdue)
                if not overdue:
                    waiting.add(each.batch)
            elif status is LiveStatus.UNVERIFIED and now - each.at < FORGET_SECONDS:
                waiting.add(each.batch)  # neither running nor provably gone: nothing said yet
            else:
                gone.append(each)
        with self._lock:
            for each in gone:
                if self._signalled.get(each.entry.id) is each:
                    del self._signalled[each.entry.id]
                self._gone[each.entry.id] = each
            held = {i: g.signal for i, g in self._gone.items() if g.batch in waiting}
            ended = {i: g.signal for i, g in self._gone.items() if g.batch not in waiting}
            for entry_id in ended:
                del self._gone[entry_id]
        recorded, _ = record_killed(store, [each.entry for each in gone if each.signal in RECORDED_BY_KILL])
        return Settled(stopping, ended, held, bool(recorded))


def record_killed(store: Path, ended: Sequence[Entry]) -> tuple[frozenset[str], str | None]:
    """Record ``ended`` (each verifiably gone after our signal) as zag records a kill:
    ``killed``, ``exit_code`` null, ``exited_at`` now, where still stored running (zag's own
    record of the end stands). The ids recorded, and why the store could not be written."""
    if not ended:
        return frozenset(), None
    fields = {"status": "killed", "exit_code": None, "exited_at": now_rfc3339()}
    try:
        changed = update_entries(store, {Target(e.id, e.pid): fields for e in ended})
    except StoreError as exc:
        log.warning("a kill was not recorded in the store: %s", exc)
        return frozenset(), f"signal sent, but the store was not updated: {exc}"
    for target in changed:
        log.info("recorded agent %s killed", visible(target.id))
    return frozenset(target.id for target in changed), None
