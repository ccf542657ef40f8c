"""Follow one session log by offset: :class:`LogFollower`.

The first read starts at the log's last ``session_started`` (found from the end, a chunk at
a time: :func:`last_start`), since the activity model needs nothing before it; every read
after that starts where the last one stopped, so a log that grows by a line costs a stat,
one read of that line and its decoding. A line still being written is kept for the next
read. A log that shrank, or whose path now names another file (another inode), or whose
byte before our offset is no longer a line break (rewritten in place), is read anew.

The file is hostile: it is opened non-blocking and used only when ``fstat`` says it is a
regular file (a FIFO would block, a device never end); lines longer than
:data:`~zag_tray.agents.sessionlog.MAX_LINE` are decoded from their head; memory is a chunk
and a partial line at most; malformed lines are counted, never an error.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from zag_tray.agents.activity import Activity
from zag_tray.agents.activity_fold import ActivityFold
from zag_tray.agents.sessionlog import HEAD, MAX_LINE, LogLine, decode, decode_all, decode_head

CHUNK: Final = 4 << 20
"""Bytes read at once, forwards and backwards."""
START_NEEDLE: Final = b'"type":"session_started"'
"""How a ``session_started`` line reads in serde's compact JSON (a nested object's would be
inside another line: each candidate is decoded before it is believed)."""
FIRST_READ_MAX: Final = 256 << 20
"""Bytes of a log's end a first read looks at, at most: a session longer than that is read
from its last line break before them (its usage and turns are then those of its end)."""
NEAR: Final = 64 << 10
"""How far a candidate's line may start before it, and end after: a ``session_started``
line is an envelope and a few short fields."""

_HEAD_CHECKED: Final = 160
"""Bytes of a log's start compared at each read: past ``wrapper_session_id``'s UUID."""

_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class NotRegularError(OSError):
    """The path names a FIFO, a device, a folder...: never read."""


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An open descriptor of the regular file ``path`` and its fstat; OSError otherwise."""
    fd = os.open(path, _FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularError(f"{path} is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def last_start(fd: int, size: int) -> int:
    """The offset of the line of the last ``session_started`` before ``size``; 0 when there
    is none (everything is the session then), or, in a log longer than
    :data:`FIRST_READ_MAX`, the start of the window looked at (perhaps inside a line).
    Reads backwards a chunk at a time; a candidate counts only if its whole line decodes
    as a ``session_started``."""
    end, carry = size, b""
    floor = max(0, size - FIRST_READ_MAX)
    while end > floor:
        start = max(floor, end - CHUNK)
        chunk = os.pread(fd, end - start, start) + carry
        at = len(chunk)
        while (at := chunk.rfind(START_NEEDLE, 0, at)) >= 0:
            line_start = _started_line(fd, start + at, size)
            if line_start is not None:
                return line_start
        carry = chunk[: len(START_NEEDLE) - 1]
        end = start
    return floor


def _started_line(fd: int, found: int, size: int) -> int | None:
    """The start of the line holding ``found`` if that line is a ``session_started``."""
    first = max(0, found - NEAR)
    before = os.pread(fd, found - first, first)
    newline = before.rfind(b"\n")
    if newline < 0 and first > 0:
        return None  # no line of ours starts that far before its type
    line_start = first + newline + 1
    return line_start if _start_at(fd, line_start, size) is not None else None


def _start_at(fd: int, line_start: int, size: int) -> LogLine | None:
    """The ``session_started`` whose line starts at ``line_start``, or None."""
    after = os.pread(fd, min(size, line_start + 2 * NEAR) - line_start, line_start)
    event = decode(after.split(b"\n", 1)[0])
    return event if event is not None and event.type == "session_started" else None


def read_last_start(path: Path) -> LogLine | None:
    """The last ``session_started`` of the log at ``path`` (None: none, or not readable)."""
    try:
        fd, st = open_regular(path)
    except (OSError, ValueError):
        return None
    try:
        return _start_at(fd, last_start(fd, st.st_size), st.st_size)
    except OSError:
        return None
    finally:
        os.close(fd)


class LogFollower:
    """One log, read by offset into an :class:`ActivityFold`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.refused: str | None = None
        """Why the path cannot be read (not a regular file...), while it cannot."""
        self._new_fold()

    def _new_fold(self) -> None:
        self.fold = ActivityFold(str(self.path))
        self._identity: tuple[int, int] | None = None
        self._offset = -1  # not read yet
        self._seen: tuple[int, int] | None = None  # (size, mtime) at the last read
        self._partial = b""
        self._partial_size = 0  # bytes of the line being written (more than kept, once over MAX_LINE)
        self._anchor: tuple[int, bytes] | None = None  # the byte before that line, as last read
        self._head = b""  # the file's first bytes, as last read: another session's are others
        self._cut = False  # the first line read is the end of one cut by FIRST_READ_MAX: dropped

    def activity(self) -> Activity:
        return self.fold.activity()

    def poll(self) -> bool:
        """Read what was appended since the last poll. True when something was read (the
        activity may have changed); False when the file is as it was, or cannot be read."""
        try:
            st = os.stat(self.path)
        except (OSError, ValueError) as exc:
            self.refused = getattr(exc, "strerror", None) or str(exc)
            return False
        if not stat.S_ISREG(st.st_mode):
            self.refused = "not a regular file"
            return False
        self.refused = None
        if (st.st_dev, st.st_ino) == self._identity and (st.st_size, st.st_mtime_ns) == self._seen:
            return False
        try:
            fd, st = open_regular(self.path)
        except OSError as exc:
            self.refused = exc.strerror or str(exc)
            return False
        try:
            self._read(fd, st)
        except OSError as exc:  # an I/O error mid-read: the next poll reads anew
            self.refused = exc.strerror or str(exc)
            self._new_fold()
        finally:
            os.close(fd)
        return True

    def _read(self, fd: int, st: os.stat_result) -> None:
        size = st.st_size
        if (st.st_dev, st.st_ino) != self._identity or size < self._offset or not self._continues(fd):
            self._new_fold()
            self._identity = (st.st_dev, st.st_ino)
            self._offset = last_start(fd, size)
            self._cut = self._offset > 0 and os.pread(fd, 1, self._offset - 1) != b"\n"
        offset = self._offset
        while offset < size:
            data = os.pread(fd, min(CHUNK, size - offset), offset)
            if not data:
                break
            offset += len(data)
            self._take(data)
        self._offset = offset
        self._seen = (size, st.st_mtime_ns)
        before = offset - self._partial_size - 1  # the byte before the line being written
        self._anchor = None if before < 0 else (before, os.pread(fd, 1, before))
        if len(self._head) < _HEAD_CHECKED:
            self._head = os.pread(fd, _HEAD_CHECKED, 0)

    def _continues(self, fd: int) -> bool:
        """Is the file still the one read so far (not rewritten in place)? Its first bytes (the
        first event's envelope: its session and time) and the byte before the line being
        written are as they were."""
        if os.pread(fd, len(self._head), 0) != self._head:
            return False
        return self._anchor is None or os.pread(fd, 1, self._anchor[0]) == self._anchor[1]

    def _take(self, data: bytes) -> None:
        """Feed the whole lines of ``data`` (the first completing the partial line before
        it); keep the rest for the next read."""
        pieces = data.split(b"\n")
        tail = pieces.pop()
        if pieces:
            first = pieces[0]
            size = self._partial_size + len(first)
            if self._partial_size:
                pieces[0] = self._partial + (first[:HEAD] if size > MAX_LINE else first)
            if self._cut:  # the end of a line cut by the window of a first read
                self._cut, size, pieces[0] = False, 0, b""
            if size <= MAX_LINE and max(map(len, pieces)) <= MAX_LINE:
                lines = pieces  # the usual case, checked in C: no line too long
            else:
                lines = []
                for i, piece in enumerate(pieces):
                    if (size if i == 0 else len(piece)) > MAX_LINE:
                        self._feed(lines)
                        lines = []
                        self.fold.feed([decode_head(piece[:HEAD])])
                    else:
                        lines.append(piece)
            self._feed(lines)
            self._partial, self._partial_size = b"", 0
        self._partial_size += len(tail)
        if self._partial_size > MAX_LINE:
            self._partial = (self._partial + tail[:HEAD])[:HEAD]  # its head is all that is decoded
        else:
            self._partial += tail

    def _feed(self, lines: list[bytes]) -> None:
        """Decode and feed whole lines (blank ones are skipped)."""
        if lines:
            self.fold.feed(decode_all(lines))
