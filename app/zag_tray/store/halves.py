"""A big store checked in two processes at once: its first half here, the rest in a child.

Checking every entry of a 100,000-entry store as the full parse checks it (store/scan.py) is
most of what ``list`` costs: 120 ms of one core, and a machine has more than one. The child,
forked once the store is mapped, checks the entries after the middle and sends back what
:class:`~zag_tray.store.scan.Scanned` keeps of them (their ids, the running ones, with
``columns`` their statuses and links, and where each group lies: 2 to 5 MB of msgpack);
this process checks the first half meanwhile and adds the child's part after its own, so
the result is the very :class:`Scanned` one process makes (a property test holds the two
together, tests/core/test_store_scan.py). The bytes stay where they are: the child reads
the same mapping.

Only where a fork is safe and worth it: Linux (a fork keeps the mapping and nothing else; on
macOS a forked process may not use what the system frameworks set up), a process of one
thread (a lock another thread held at the fork would never be released in the child), a
store of :data:`SPLIT_BYTES` or more, and more than one processor to run on. A child that
fails for any reason (killed, out of memory) leaves its half to be checked here.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING, Any, Final

import msgspec

from zag_tray.store import layout

if TYPE_CHECKING:
    from zag_tray.store.scan import Bytes, Scanned

SPLIT_BYTES: Final = 8 << 20
"""The smallest store checked in two processes: below it, starting one (about 2 ms, and its
part sent back) costs more than it saves."""

_NOT_EXACT: Final = b"-"
"""The child's answer when its half is not exactly zag's entries (then the full parse answers)."""


def middle(data: Bytes, head: int, stop: int, split_bytes: int | None) -> int | None:
    """Where the first entry separator after the middle of ``data`` begins, where the store is
    to be checked in two processes; else None. Any separator splits the entries as well as
    another: store/scan.py splits its groups at them too."""
    if stop - head < (split_bytes or SPLIT_BYTES) or not _can_split():
        return None
    at = data.find(layout.BETWEEN, head + (stop - head) // 2, stop)
    return None if at < 0 else at


def _can_split() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1 and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def scan_halves(scanned: Scanned, head: int, middle: int, stop: int, group_bytes: int) -> Scanned | None:
    """``scanned`` with every entry, the first half checked here and the second in a child,
    or None where a half is not exactly zag's entries."""
    from zag_tray.store.scan import Scanned, check

    second = middle + len(layout.BETWEEN)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its half's answer down the pipe, then gone without cleaning up
        code = 1
        try:
            os.close(read_end)
            part = Scanned(scanned.data, columns=scanned.columns)
            answer = _encode(part) if check(part, second, stop, group_bytes) else _NOT_EXACT
            with open(write_end, "wb") as out:
                out.write(answer)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    answered = False
    try:
        if not check(scanned, head, middle, group_bytes):
            return None
        with open(read_end, "rb", closefd=False) as answers:
            answer = answers.read()
        answered = True
    finally:
        os.close(read_end)
        _reap(pid, done=answered)
    if answer == _NOT_EXACT:
        return None
    if _add_part(scanned, answer):
        return scanned
    # The child failed: its half is checked here.
    return scanned if check(scanned, second, stop, group_bytes) else None


def _reap(pid: int, *, done: bool) -> None:
    """The child waited for, so it never outlives the command: once it has answered (it is
    exiting), or killed first where it may still be at work (this half was not exactly zag's,
    or an exception)."""
    try:
        if not done:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):  # reaped already (a SIGCHLD handler of a host)
        pass


class _Part(msgspec.Struct, array_like=True, gc=False):
    """What :class:`Scanned` keeps of the child's entries, positions counted from its first."""

    count: int
    groups: list[tuple[int, int, int]]
    running: list[int]
    ids: list[str]
    statuses: list[str]
    sessions: list[str | None]
    parents: list[str | None]
    parent_sessions: list[str | None]


def _encode(part: Scanned) -> bytes:
    return msgspec.msgpack.encode(
        _Part(
            part.count,
            part.groups,
            part.running,
            part.ids,
            part.statuses,
            part.sessions,
            part.parents,
            part.parent_sessions,
        )
    )


def _add_part(scanned: Scanned, answer: bytes) -> bool:
    """The child's part added after the entries of ``scanned``; False if it sent none."""
    try:
        part: Any = msgspec.msgpack.decode(answer, type=_Part)
    except msgspec.DecodeError:  # nothing, or cut short: the child did not finish
        return False
    first = scanned.count
    scanned.count += part.count
    scanned.groups += [(start, end, first + at) for start, end, at in part.groups]
    scanned.running += [first + at for at in part.running]
    scanned.ids += part.ids
    if scanned.columns:
        scanned.statuses += part.statuses
        scanned.sessions += part.sessions
        scanned.parents += part.parents
        scanned.parent_sessions += part.parent_sessions
    return True
