"""Stop, kill and kill-tree an agent, and the check behind "Open root".

The order is zag's, made safe: refuse unless the agent is verifiably running,
then for each process pin it, check its identity again and signal it through
the pin (procs/liveness.py ``LivenessChecker.signal``, a pidfd on Linux), then
record the kill in the store. Recording only touches entries still stored ``running``:
when zag's wrapper has meanwhile recorded the exit itself, what zag wrote stays.
A failed write after a successful signal is reported in the outcome.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import psutil

from zag_tray.agents import ids
from zag_tray.agents.entry import Entry, Snapshot
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.tree import build_forest, descendants_deepest_first, find_node
from zag_tray.procs.liveness import LivenessChecker, NotVerifiedError
from zag_tray.procs.stopping import StopTracker, record_killed
from zag_tray.store.errors import StoreError
from zag_tray.store.read import read_store

log = logging.getLogger(__name__)

STOP_SUPPORTED = hasattr(signal, "SIGHUP")
"""Stop is SIGHUP, which Windows does not have."""

FORCE_SIGNAL: Final[int] = getattr(signal, "SIGKILL", signal.SIGTERM)
"""``kill --force``; Windows has no SIGKILL, and psutil ends a process there either way."""

TERM_GRACE_SECONDS: Final = 3.0
"""How long a kill waits for its processes to go before it reports who still runs."""
ENDED: Final = frozenset({"killed", "exited"})
"""Recorded ends a force kill looks past, where the process verifiably still runs."""


class ActionError(Exception):
    """The action was refused or failed before any signal. ``str()`` is one line."""


@dataclass(frozen=True, slots=True)
class KillOutcome:
    """What a kill did: whom it signalled, whom it recorded killed (those gone within the
    wait), who still runs, what went wrong."""

    signalled: tuple[Entry, ...]
    processes: tuple[psutil.Process, ...]
    recorded: frozenset[str]
    failures: tuple[str, ...] = ()
    write_error: str | None = None
    still_running: tuple[Entry, ...] = ()
    signal: str = "SIGTERM"

    @property
    def ok(self) -> bool:
        return not self.failures and self.write_error is None


def resolve_entry(snapshot: Snapshot, ident: str) -> Entry:
    """The entry with this id, or with this unique id prefix: agents/ids.py."""
    try:
        return ids.resolve_entry(snapshot.entries, ident, snapshot.path)
    except ids.IdError as exc:
        raise ActionError(str(exc)) from None


def stop(store: Path, ident: str, checker: LivenessChecker, tracker: StopTracker | None = None) -> Entry:
    """SIGHUP the agent (zag's ``ps stop``); the store is left as it is. With ``tracker``, the
    agent is followed as being stopped from before the signal (procs/stopping.py)."""
    if not STOP_SUPPORTED:
        raise ActionError("stop is not available on Windows (it has no SIGHUP); use kill")
    entry = resolve_entry(_read(store), ident)
    tracker = tracker or StopTracker()
    tracker.add([entry], "SIGHUP", time.time())
    try:
        checker.signal(entry, signal.SIGHUP)
    except (NotVerifiedError, ProcessLookupError, PermissionError) as exc:
        tracker.discard([entry])
        raise ActionError(_not_stopped(entry, exc)) from None
    return entry


def _not_stopped(entry: Entry, exc: Exception) -> str:
    if isinstance(exc, ProcessLookupError):
        return f"agent {entry.id} exited before it could be stopped"
    if isinstance(exc, PermissionError):
        return f"not permitted to signal pid {entry.pid}"
    return str(exc)


def kill(
    store: Path,
    ident: str,
    checker: LivenessChecker,
    *,
    tree: bool = False,
    force: bool = False,
    wait: float = TERM_GRACE_SECONDS,
    tracker: StopTracker | None = None,
) -> KillOutcome:
    """SIGTERM (SIGKILL with ``force``) the agent, or its whole tree deepest first, then
    record ``killed`` for those whose process is gone within ``wait`` seconds: an agent is
    recorded killed only once it verifiably is (procs/stopping.py follows the others).

    ``force`` also admits an agent recorded ended whose process verifiably still runs:
    the follow-up when SIGTERM was ignored (or when zag recorded a kill that did not end it).
    With ``tracker``, the targets are followed as being stopped from before the first signal
    (an exit noticed at once is then the user's kill, never a death: procs/stopping.py).
    """
    snapshot = _read(store)
    entry = resolve_entry(snapshot, ident)
    _verified(checker, entry, force=force)  # refuse before anything is signalled
    targets = [entry]
    if tree:
        node = find_node(build_forest(snapshot.entries), entry.id)
        assert node is not None
        targets = [n.entry for n in descendants_deepest_first(node) if _signallable(n.entry, force)]
        targets.append(entry)
    signal_name = "SIGKILL" if force and FORCE_SIGNAL != signal.SIGTERM else "SIGTERM"
    tracker = tracker or StopTracker()
    tracker.add(targets, signal_name, time.time())
    signalled, processes, failures = _signal_all(targets, checker, force)
    tracker.discard([t for t in targets if t not in signalled])
    alive = {p.pid for p in wait_gone(processes, wait)}
    gone = [e for e, p in zip(signalled, processes, strict=True) if p.pid not in alive]
    still = tuple(e for e, p in zip(signalled, processes, strict=True) if p.pid in alive)
    recorded, write_error = record_killed(store, gone)
    return KillOutcome(
        tuple(signalled), tuple(processes), recorded, tuple(failures), write_error, still, signal_name
    )


def wait_gone(processes: Sequence[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to ``timeout`` seconds; the processes still alive then."""
    _, alive = psutil.wait_procs(list(processes), timeout=timeout)
    return [p for p in alive if _alive(p)]


def root_to_open(entry: Entry) -> Path:
    """The agent's root if it is an existing directory; anything else is an :class:`ActionError`.

    Only a directory is handed to the file manager: opening a file could run it.
    """
    if not entry.root:
        raise ActionError(f"agent {entry.id} has no root recorded")
    root = Path(entry.root)
    if not root.is_absolute():
        raise ActionError(f"root {entry.root!r} is not an absolute path")
    if not root.exists():
        raise ActionError(f"root {entry.root} does not exist")
    if not root.is_dir():
        raise ActionError(f"root {entry.root} is not a directory")
    return root


def _read(store: Path) -> Snapshot:
    try:
        return read_store(store)
    except StoreError as exc:
        raise ActionError(str(exc)) from None


def _verified(checker: LivenessChecker, entry: Entry, *, force: bool) -> psutil.Process:
    try:
        return checker.verified_process(entry, allow_ended=force)
    except NotVerifiedError as exc:
        raise ActionError(str(exc)) from None


def _signallable(entry: Entry, force: bool) -> bool:
    return entry.status == "running" or (force and entry.status in ENDED)


def _signal_all(
    targets: list[Entry], checker: LivenessChecker, force: bool
) -> tuple[list[Entry], list[psutil.Process], list[str]]:
    signalled: list[Entry] = []
    processes: list[psutil.Process] = []
    failures: list[str] = []
    for target in targets:
        try:
            proc = checker.signal(target, FORCE_SIGNAL if force else signal.SIGTERM, allow_ended=force)
        except NotVerifiedError as exc:
            if target.status == "running" and exc.verdict.status is not LiveStatus.DEAD:
                failures.append(str(exc))
            continue  # already gone: nothing to signal, and zag's record (or ours) stands
        except ProcessLookupError:
            continue  # gone between its check and the signal
        except PermissionError:
            failures.append(f"not permitted to signal pid {target.pid} (agent {target.id})")
            continue
        signalled.append(target)
        processes.append(proc)
    return signalled, processes, failures


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
