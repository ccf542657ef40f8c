"""A big store checked in two processes at once: its first half here, the rest in a child.

Checking every entry of a 100,000-entry store as the full parse checks it (store/scan.py) is
most of what ``list`` costs: 110 ms of one core, and a machine has more than one. The child,
forked once the store is mapped, checks the entries after the middle, sends back where its
groups lie and which entries are stored running (a few kB), and keeps the rest of what it
read, its half's :class:`~zag_tray.store.columns.Columns`: it answers each question the
command asks of them (which entries hold these ids, what are their links) while this
process answers for its own half, until the command is done. Sending the columns over
instead (50,000 ids, sessions and links) cost ``show`` 30 ms. The bytes stay where they
are: the child reads the same mapping, and an entry is built here from it.

Only where a fork is safe and worth it: Linux (a fork keeps the mapping and nothing else; on
macOS a forked process may not use what the system frameworks set up), a process of one
thread (a lock another thread held at the fork would never be released in the child), a
store of :data:`SPLIT_BYTES` or more, and more than one processor to run on. A child that
fails for any reason (killed, out of memory) leaves its half to be checked here, before it
answered (here) or after (store/scan.py's ``Scanned``). Questions and answers are msgpack,
each after its length. One scan at a time: a child forked while another's pipes are open
would hold them too, and that other child would then not see its questions end (the CLI
scans once a command; the tray, which has threads, never splits).
"""

from __future__ import annotations

import os
import signal
import struct
import sys
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import msgspec

from zag_tray.store import layout
from zag_tray.store.columns import QUESTIONS

if TYPE_CHECKING:
    from zag_tray.store.scan import Bytes, Scanned

SPLIT_BYTES: Final = 8 << 20
"""The smallest store checked in two processes: below it, starting one (about 2 ms, and its
part sent back) costs more than it saves."""


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
    """``scanned`` with every entry, the first half checked here and the second in a child
    that stays to answer questions of its columns, or None where a half is not exactly
    zag's entries."""
    from zag_tray.store.scan import Scanned, check

    reap()
    span = (middle + len(layout.BETWEEN), stop, group_bytes)
    questions, asked = os.pipe()
    answers, answering = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its half's summary, then its answers; gone without cleaning up
        code = 1
        try:
            os.close(asked)
            os.close(answers)
            part = Scanned(scanned.data, columns=scanned.columns)
            _serve(part if check(part, *span) else None, questions, answering)
            code = 0
        finally:
            os._exit(code)
    os.close(questions)
    os.close(answering)
    rest = Rest(pid, asked, answers, span)
    try:
        exact = check(scanned, head, middle, group_bytes)
        summary = rest.answer() if exact else None
    except BaseException:
        rest.close(kill=True)
        raise
    if not exact or summary == _NOT_EXACT:
        rest.close(kill=True)
        return None
    if summary is None:  # the child failed: its half is checked here
        rest.close(kill=True)
        return scanned if check(scanned, *span) else None
    count, groups, running = summary
    scanned.attach(rest, count, [tuple(group) for group in groups], running)
    return scanned


_NOT_EXACT: Final = "-"
"""The child's summary when its half is not exactly zag's entries (then the full parse answers)."""


def _serve(part: Scanned | None, questions: int, answering: int) -> None:
    """The child's summary of ``part`` (its count, groups and running entries), then an answer
    to each question of its columns until the parent closes its end."""
    with open(questions, "rb") as asked, open(answering, "wb") as out:
        if part is None:
            _send(out, _NOT_EXACT)
            return
        _send(out, (part.count, part.groups, part.running))
        columns = part.here
        while (question := _receive(asked)) is not None:
            name, args = question
            if name not in QUESTIONS:
                raise ValueError(f"not a question: {name!r}")
            _send(out, getattr(columns, name)(*args))


class Rest:
    """The child that checked the second half, and asks of its columns."""

    def __init__(self, pid: int, asked: int, answers: int, span: tuple[int, int, int]) -> None:
        self.pid = pid
        self.span = span
        """The child's half (start, stop) and its group size: to check it here if it fails."""
        self._asked = open(asked, "wb")  # noqa: SIM115 (closed by close())
        self._answers = open(answers, "rb")  # noqa: SIM115 (closed by close())

    def ask(self, question: str, args: tuple[Any, ...]) -> bool:
        """``question`` sent; False if the child is gone."""
        try:
            _send(self._asked, (question, args))
        except OSError:  # EPIPE: the child died
            return False
        return True

    def answer(self) -> Any:
        """The child's next answer, or None if it died before giving it whole."""
        try:
            return _receive(self._answers)
        except (OSError, msgspec.DecodeError):
            return None

    def close(self, *, kill: bool) -> None:
        """The child told it is done (its questions end; ``kill``: killed, where it may still be
        at work). It is not waited for: its exit, the teardown of its memory, takes 5 ms, which
        the command need not spend waiting (:data:`_EXITING`)."""
        try:
            if kill:
                os.kill(self.pid, signal.SIGKILL)  # our unreaped child: its pid is not reused
            self._asked.close()
        except OSError:
            pass
        finally:
            self._answers.close()
        _EXITING.append(self.pid)
        reap(block=False)


_EXITING: list[int] = []
"""Children told to end and not yet waited for. Each is reaped at the next split (or
:func:`reap`); a command's last one is reaped by init once the command has ended."""


def reap(*, block: bool = True) -> None:
    """The children that were told to end waited for (``block``), or those already ended."""
    for pid in list(_EXITING):
        try:
            done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:  # reaped already (a SIGCHLD handler of a host)
            done = pid
        if done:
            _EXITING.remove(pid)


_LENGTH: Final = struct.Struct(">I")


def _send(out: BinaryIO, value: Any) -> None:
    payload = msgspec.msgpack.encode(value)
    out.write(_LENGTH.pack(len(payload)))
    out.write(payload)
    out.flush()


def _receive(source: BinaryIO) -> Any:
    """The next message, or None at the end (or a message cut short)."""
    head = source.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    payload = source.read(size)
    if len(payload) < size:
        return None
    return msgspec.msgpack.decode(payload)
