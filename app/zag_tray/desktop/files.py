"""Small files written whole and atomically: settings, the autostart entry, the wake-up
request, the end-to-end tests' state file, the demo's store.

A temp file beside the target, then one rename: a reader sees the old file or the
new one, never half of either. (zag's store is written by store/write.py, which
also has to notice zag's own saves.)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
from pathlib import Path

_serial = itertools.count()


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` (its folder is made if missing); on failure the old
    file stays and no temp file is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_serial)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):  # the folder may be what failed (a file, gone)
            tmp.unlink(missing_ok=True)


class NotAFileError(OSError):
    """The path is a FIFO, a device, a folder...: not read (a FIFO would block, a device never end)."""


def read_small_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes; anything else is an
    OSError (FileNotFoundError, :class:`NotAFileError`, or a ValueError-free "larger than")."""
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotAFileError(f"{path} is not a regular file")
        with os.fdopen(os.dup(fd), "rb") as stream:
            data = stream.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise OSError(f"{path} is larger than {limit:,} bytes")
    return data
