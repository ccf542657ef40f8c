"""Is this entry's pid really this agent? The live status of an entry.

zag calls an entry ``running`` when its pid answers ``kill(pid, 0)``, so a
reused pid looks running. The tray says ``running``, and may signal the
process, only when its identity is verified: every check below passes. A
check that shows the pid is someone else's makes the entry ``dead``; a live
process the tray cannot prove to be the agent is ``unverified`` ("cannot
verify", with the reason), never running, never signalled. In order:

1. stored ``exited`` / ``killed`` -> as stored; any stored value other than
   ``running`` -> ``unknown``. Only stored ``running`` goes on.
2. pid <= 1, the tray's own pid or one of its ancestors -> ``dead``: these are
   never an agent the tray may report or signal.
3. no process with that pid, or a zombie (exited, not reaped) -> ``dead``.
4. the process cannot be inspected at all (access denied on its create
   time) -> ``unverified``.
5. the process was created more than :data:`CREATE_TIME_SLACK` seconds before
   the entry's ``started_at`` -> ``dead``: zag registers an entry after it
   starts and then retargets it to a child it spawns, so neither can predate
   the entry.
6. the process's create time differs from the one first seen for this
   (entry id, pid) -> ``dead``: the pid was reused while we watched.
7. its environment (readable and not empty):
   - ``ZAG_PROCESS_ID`` equal to the entry id -> this agent: zag passes it to
     the agent it spawns and retargets the entry to
     (zag-agent/src/process_registration.rs in zag's source), go to 9;
   - any other value but the parent entry's id -> ``dead`` (another agent's);
   - missing, or the parent entry's id: zag itself, in the instant before it
     retargets the entry (for ``plan`` and ``review``, all along). zag never
     puts its own entry's id in its own environment (it passes it to the agent
     only: zag-agent/src/process_registration.rs), so what tells it from any
     other zag is its age: the zag that wrote the entry started before it did.
     A process named ``zag`` created no later than :data:`CREATE_TIME_SLACK`
     after ``started_at`` -> go to 9; a younger one -> ``dead`` (a pid reused
     by another zag); anything else -> ``dead``.
8. its environment is empty or cannot be read:
   - Linux -> ``unverified``. Linux shows an empty environment for an
     instant after an exec (the next check sees it), and ``env -i`` clears it
     for good; a process of our own user that is not set-id is always
     readable, so unreadable means one of those.
   - elsewhere (macOS hides every other process's environment since Big Sur,
     psutil issue #2084; Windows some): the equivalent check is
     :func:`started_by_zag`, its parent is a zag that existed when the entry
     was written (zag spawns the agent itself), then go to 9; else
     ``unverified``. Untested here: CI runs Linux only.
9. never a process of another user or a set-id one: its real uid differs
   from ours (as root: it is not root's), or its effective or saved uid or
   gid differs from the real one -> ``unverified``. Else ``running``.

Signals go through :class:`~zag_tray.procs.pinned.PinnedProcess`: pinned (a
pidfd on Linux), then checked, then signalled through the pin
(:meth:`LivenessChecker.signal`).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from typing import Final

import msgspec
import psutil

from zag_tray.agents.entry import Entry
from zag_tray.agents.status import LiveStatus, stored_status
from zag_tray.procs.pinned import PinnedProcess

CREATE_TIME_SLACK: Final = 5.0
"""Seconds a process may appear to predate its entry: clock and create-time
granularity (psutil derives create time from boot time in whole seconds)."""

AGENT_ENV: Final = "ZAG_PROCESS_ID"
RECORDED_ENDS: Final = frozenset({"killed", "exited"})

ENVIRONMENT_ALWAYS_READABLE: Final = sys.platform == "linux"
"""Where our own user's processes always show their environment (rule 8)."""


class Verdict(msgspec.Struct, frozen=True):
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

    def verified_process(self, entry: Entry, *, allow_ended: bool = False) -> psutil.Process:
        """The psutil Process of a running agent, checked now, or :class:`NotVerifiedError`.

        ``allow_ended`` admits an entry already recorded killed or exited whose process
        verifiably still runs: its environment names the entry (no other rule will do for
        an end zag recorded). To signal it, use :meth:`signal`, which pins the process
        before this check.
        """
        tag_only = allow_ended and entry.status in RECORDED_ENDS
        if tag_only:
            entry = _as_running(entry)
        verdict, proc = self._check(entry, None, tag_only=tag_only)
        if verdict.status is not LiveStatus.RUNNING or proc is None:
            raise NotVerifiedError(entry, verdict)
        return proc

    def signal(self, entry: Entry, sig: int, *, allow_ended: bool = False) -> psutil.Process:
        """Send ``sig`` to the agent of ``entry`` if, and only if, it is verified: the process
        is pinned first, checked, then signalled through the pin (procs/pinned.py).

        :class:`NotVerifiedError` before any signal; ProcessLookupError when the checked
        process is gone by the signal, PermissionError when the OS refuses it.
        """
        with PinnedProcess(entry.pid) as pinned:
            proc = self.verified_process(entry, allow_ended=allow_ended)
            pinned.send(sig)
        return proc

    def still_running(self, ended: Iterable[Entry]) -> list[Entry]:
        """Of entries zag recorded killed or exited, those whose process verifiably still runs
        (its environment names the entry): zag's ``ps kill`` records the kill before it
        signals, and an agent may ignore the signal."""
        live_pids = frozenset(psutil.pids())
        found = []
        for entry in ended:
            if entry.status in RECORDED_ENDS and entry.pid in live_pids:
                verdict, _ = self._check(_as_running(entry), live_pids, tag_only=True)
                if verdict.status is LiveStatus.RUNNING:
                    found.append(entry)
        return found

    def _check(
        self, entry: Entry, live_pids: frozenset[int] | None, *, tag_only: bool = False
    ) -> tuple[Verdict, psutil.Process | None]:
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
            return _unverified(f"pid {pid} cannot be inspected"), None
        if state == psutil.STATUS_ZOMBIE:
            return _dead(f"pid {pid} is a zombie (exited, not reaped)"), None
        if entry.started is not None and created < entry.started - CREATE_TIME_SLACK:
            return _dead(f"pid {pid} belongs to a process created before this entry"), None
        with self._lock:
            first = self._first_seen.setdefault((entry.id, pid), created)
        if first != created:  # exact, as psutil compares identities
            return _dead(f"pid {pid} was reused by another process"), None
        return _identity(entry, proc, created, tag_only), proc


class NotVerifiedError(Exception):
    """The entry's pid is not verifiably its agent; nothing may be signalled."""

    def __init__(self, entry: Entry, verdict: Verdict) -> None:
        if verdict.status is LiveStatus.UNVERIFIED:
            message = f"agent {entry.id} is not signalled, cannot verify its process: {verdict.reason}"
        else:
            message = f"agent {entry.id} is not running ({verdict.status}): {verdict.reason}"
        super().__init__(message)
        self.entry = entry
        self.verdict = verdict


def _identity(entry: Entry, proc: psutil.Process, created: float, tag_only: bool = False) -> Verdict:
    """Rules 7 to 9 for a live process newer than its entry (``tag_only``: the environment
    must name the entry; for an end zag recorded, where zag itself has nothing to do)."""
    pid = proc.pid
    try:
        env: dict[str, str] | None = proc.environ()
    except psutil.ZombieProcess:
        return _dead(f"pid {pid} is a zombie (exited, not reaped)")
    except psutil.NoSuchProcess:
        return _dead(f"no process has pid {pid}")
    except (psutil.AccessDenied, OSError):
        env = None
    if env:
        tagged = env.get(AGENT_ENV)
        if tagged == entry.id:
            return _owned(proc, f"{AGENT_ENV} names this entry")
        if tag_only or (tagged is not None and tagged != entry.parent_process_id):
            return _dead(f"pid {pid} belongs to agent {tagged}" if tagged else f"pid {pid} is not tagged")
        if not _is_zag(proc):
            return _dead(f"pid {pid} belongs to a process that is neither this agent nor zag")
        if entry.started is None:  # started_at is not RFC 3339: no telling which zag wrote it
            return _unverified(f"pid {pid} is a zag, and this entry's start time is not a time")
        if created > entry.started + CREATE_TIME_SLACK:
            return _dead(
                f"pid {pid} is a zag started after this entry was written, not the one that wrote it"
            )
        return _owned(proc, "zag itself, which wrote this entry (before it hands it to its agent)")
    problem = owner_problem(proc)
    if problem is not None:
        return _unverified(problem)  # the likelier reason its environment is hidden
    if ENVIRONMENT_ALWAYS_READABLE:
        if env is None:
            return _unverified(f"the environment of pid {pid} cannot be read")
        return _unverified(f"the environment of pid {pid} is empty, so it cannot name this entry")
    if started_by_zag(entry, proc):
        return _owned(proc, "its parent is zag (this system hides its environment)")
    return _unverified(f"this system hides the environment of pid {pid} and its parent is not zag")


def _owned(proc: psutil.Process, reason: str) -> Verdict:
    """Rule 9: the agent's process, running, unless another user's or set-id."""
    problem = owner_problem(proc)
    return Verdict(LiveStatus.RUNNING, reason) if problem is None else _unverified(problem)


def owner_problem(proc: psutil.Process) -> str | None:
    """Why ``proc`` is never signalled whoever it is (rule 9), or None.

    The kernel lets a user signal a set-uid program it started (its real uid
    is the user's): a tray run by that user must not. As root, the kernel lets
    the tray signal anything: it signals root's own processes only.
    """
    try:
        if sys.platform == "win32":  # no set-id there; an account is a user name
            mine = psutil.Process().username()
            return None if proc.username() == mine else f"pid {proc.pid} belongs to another user"
        uids, gids = proc.uids(), proc.gids()
    except psutil.Error:
        return f"the owner of pid {proc.pid} cannot be read"
    if uids.real != os.getuid():
        return f"pid {proc.pid} belongs to another user (uid {uids.real})"
    if len(set(uids)) > 1 or len(set(gids)) > 1:
        return f"pid {proc.pid} runs set-uid or set-gid"
    return None


def started_by_zag(entry: Entry, proc: psutil.Process) -> bool:
    """Rule 8's equivalent check where the OS hides environments: ``proc``'s parent is a
    process named zag created no later than the entry (zag registers the entry, then
    spawns the agent and retargets the entry to it: zag-agent/src/process_registration.rs)."""
    try:
        parent = proc.parent()
        return (
            parent is not None
            and _is_zag(parent)
            and entry.started is not None
            and parent.create_time() <= entry.started + CREATE_TIME_SLACK
        )
    except psutil.Error:
        return False


def _dead(reason: str) -> Verdict:
    return Verdict(LiveStatus.DEAD, reason)


def _unverified(reason: str) -> Verdict:
    return Verdict(LiveStatus.UNVERIFIED, reason)


def _is_zag(proc: psutil.Process) -> bool:
    try:
        name = proc.name().lower()
    except psutil.Error:
        return False
    return name.removesuffix(".exe") == "zag"


def _as_running(entry: Entry) -> Entry:
    return msgspec.structs.replace(entry, status="running")
