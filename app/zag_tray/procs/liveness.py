"""Is this entry's pid really this agent? The live status of an entry.

zag calls an entry ``running`` when its pid answers ``kill(pid, 0)``, so a
reused pid looks running. The tray only says ``running`` when every check
below passes; any failed check makes the entry ``dead`` (the agent is gone,
its pid is someone else's). The rule, in the order it is applied:

1. stored ``exited`` / ``killed`` -> as stored; any stored value other than
   ``running`` -> ``unknown``. Only stored ``running`` goes on.
2. pid <= 1, the tray's own pid or one of its ancestors -> ``dead``: these are
   never an agent the tray may report or signal.
3. no process with that pid -> ``dead``.
4. the process is a zombie (exited, not reaped) -> ``dead``.
5. the process was created more than :data:`CREATE_TIME_SLACK` seconds before
   the entry's ``started_at`` -> ``dead``: zag registers an entry after it
   starts and then retargets it to a child it spawns, so neither can predate
   the entry.
6. the process's create time differs from the one first seen for this
   (entry id, pid) -> ``dead``: the pid was reused while we watched, even
   where the environment cannot be read.
7. where the environment is readable: ``ZAG_PROCESS_ID`` equal to the entry
   id -> ``running`` (zag puts it in every agent's environment). Any other
   value -> ``dead``, except the parent entry's id, which a nested zag
   inherits before it retargets the entry to its agent; that case and a
   missing ``ZAG_PROCESS_ID`` are ``running`` only for a process named
   ``zag`` (zag itself, before the retarget), else ``dead``.
8. otherwise (environment unreadable, or still empty in the instant after
   an exec) -> ``running``.

The process cannot be inspected at all (access denied on its create time) ->
``unknown``: never claimed running, never signalled.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import msgspec
import psutil

from zag_tray.agents.entry import Entry
from zag_tray.agents.status import LiveStatus, stored_status

CREATE_TIME_SLACK: Final = 5.0
"""Seconds a process may appear to predate its entry: clock and create-time
granularity (psutil derives create time from boot time in whole seconds)."""

AGENT_ENV: Final = "ZAG_PROCESS_ID"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A live status and the reason for it, for messages and ``show``."""

    status: LiveStatus
    reason: str


def protected_pids() -> frozenset[int]:
    """The tray's own pid and all its ancestors: never reported running, never signalled."""
    pids = {os.getpid()}
    try:
        pids.update(parent.pid for parent in psutil.Process().parents())
    except psutil.Error:
        pids.add(os.getppid())
    return frozenset(pids)


class LivenessChecker:
    """Applies the rule above; remembers the first create time seen per (entry id, pid)."""

    def __init__(self) -> None:
        self._protected = protected_pids()
        self._first_seen: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    def verdict(self, entry: Entry) -> Verdict:
        """The live status of one entry, checked now."""
        return self._check(entry, None)[0]

    def statuses(self, entries: Iterable[Entry]) -> dict[str, LiveStatus]:
        """Live status by entry id, checked now (one pid listing for all): the entries are
        those stored running (agents/status.py decides the rest from the store).

        Forgets first-seen create times of entries no longer stored running.
        """
        live_pids = frozenset(psutil.pids())
        result: dict[str, LiveStatus] = {}
        keep: set[tuple[str, int]] = set()
        for entry in entries:
            if entry.status == "running":
                keep.add((entry.id, entry.pid))
            result[entry.id] = self._check(entry, live_pids)[0].status
        with self._lock:
            self._first_seen = {k: v for k, v in self._first_seen.items() if k in keep}
        return result

    def first_seen(self, entry: Entry) -> float | None:
        """The create time first seen for ``entry``'s pid, while the entry is stored running
        (what tells a reused pid from the agent, rule 6 above)."""
        with self._lock:
            return self._first_seen.get((entry.id, entry.pid))

    def verified_process(self, entry: Entry, *, allow_killed: bool = False) -> psutil.Process:
        """The psutil Process of a running agent, checked now, or :class:`NotVerifiedError`.

        The Process is created by the check, so psutil's own (pid, create time)
        guard covers the moment between this check and a signal sent through it.
        ``allow_killed`` admits an entry already recorded killed whose process
        is verifiably still alive (a force kill after SIGTERM was ignored).
        """
        if allow_killed and entry.status == "killed":
            entry = _as_running(entry)
        verdict, proc = self._check(entry, None)
        if verdict.status is not LiveStatus.RUNNING or proc is None:
            raise NotVerifiedError(entry, verdict)
        return proc

    def _check(self, entry: Entry, live_pids: frozenset[int] | None) -> tuple[Verdict, psutil.Process | None]:
        decided = stored_status(entry.status)
        if decided is not None:
            return Verdict(decided, f"stored status is {entry.status!r}"), None
        pid = entry.pid
        if pid <= 1:
            return _dead(f"pid {pid} is never an agent"), None
        if pid in self._protected:
            return _dead(f"pid {pid} is zag-tray itself or one of its parents"), None
        if live_pids is None:
            live_pids = frozenset(psutil.pids())
        if pid not in live_pids:
            return _dead(f"no process has pid {pid}"), None
        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                state = proc.status()
                created = proc.create_time()
        except psutil.ZombieProcess:
            return _dead(f"pid {pid} is a zombie (exited, not reaped)"), None
        except psutil.NoSuchProcess:
            return _dead(f"no process has pid {pid}"), None
        except psutil.AccessDenied:
            return Verdict(LiveStatus.UNKNOWN, f"pid {pid} cannot be inspected"), None
        if state == psutil.STATUS_ZOMBIE:
            return _dead(f"pid {pid} is a zombie (exited, not reaped)"), None
        if created < entry.started - CREATE_TIME_SLACK:
            return _dead(f"pid {pid} belongs to a process created before this entry"), None
        with self._lock:
            first = self._first_seen.setdefault((entry.id, pid), created)
        if first != created:  # exact, as psutil compares identities
            return _dead(f"pid {pid} was reused by another process"), None
        return self._check_environment(entry, proc), proc

    def _check_environment(self, entry: Entry, proc: psutil.Process) -> Verdict:
        try:
            env = proc.environ()
        except psutil.ZombieProcess:
            return _dead(f"pid {proc.pid} is a zombie (exited, not reaped)")
        except psutil.NoSuchProcess:
            return _dead(f"no process has pid {proc.pid}")
        except (psutil.AccessDenied, OSError):
            return Verdict(LiveStatus.RUNNING, "alive and newer than the entry (environment unreadable)")
        if not env:
            # Linux shows an empty environment while a fresh exec is still setting
            # up its memory; that is "unreadable", not "untagged".
            return Verdict(LiveStatus.RUNNING, "alive and newer than the entry (environment not set up yet)")
        tagged = env.get(AGENT_ENV)
        if tagged == entry.id:
            return Verdict(LiveStatus.RUNNING, f"{AGENT_ENV} names this entry")
        if tagged is not None and tagged != entry.parent_process_id:
            return _dead(f"pid {proc.pid} belongs to agent {tagged}")
        if _is_zag(proc):
            return Verdict(LiveStatus.RUNNING, "zag itself, before it hands the entry to its agent")
        return _dead(f"pid {proc.pid} belongs to a process that is neither this agent nor zag")


class NotVerifiedError(Exception):
    """The entry's pid is not verifiably its agent; nothing may be signalled."""

    def __init__(self, entry: Entry, verdict: Verdict) -> None:
        super().__init__(f"agent {entry.id} is not running ({verdict.status}): {verdict.reason}")
        self.entry = entry
        self.verdict = verdict


def _dead(reason: str) -> Verdict:
    return Verdict(LiveStatus.DEAD, reason)


def _is_zag(proc: psutil.Process) -> bool:
    try:
        name = proc.name().lower()
    except psutil.Error:
        return False
    return name.removesuffix(".exe") == "zag"


def _as_running(entry: Entry) -> Entry:
    return msgspec.structs.replace(entry, status="running")
