"""One tray per user and store: the first holds a lock, a later one asks it to show its window.

The lock is an OS file lock (``flock``; ``msvcrt.locking`` on Windows) on a
file in the user's runtime directory, held for the tray's lifetime. The OS
drops it when the process ends in any way, ``kill -9`` included, so a crashed
tray never blocks the next one (no stale lock to clean up). A second tray
finds the lock taken, leaves a wake-up file beside it for the first (which
watches the folder) and exits.
"""

from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path

from zag_tray.desktop.files import atomic_write
from zag_tray.desktop.paths import runtime_dir


class InstanceLock:
    """The lock and the wake-up file of one store's tray."""

    def __init__(self, base_dir: Path, folder: Path | None = None) -> None:
        # A stable short name per store. Not hashlib: it loads OpenSSL, 4 MB resident for a name.
        key = f"{zlib.crc32(os.fsencode(base_dir.expanduser().resolve())):08x}"
        self.folder = folder or runtime_dir()
        self.lock_path = self.folder / f"tray-{key}.lock"
        self.wake_path = self.folder / f"tray-{key}.wake"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True if this process is now the tray of the store (until it exits or :meth:`release`)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _lock(fd):
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for people looking, not for the logic
        self._fd = fd
        self.wake_path.unlink(missing_ok=True)  # a request nobody answered before we started
        return True

    def wake_owner(self) -> None:
        """Ask the tray holding the lock to show its window."""
        atomic_write(self.wake_path, f"{os.getpid()}\n".encode())  # a new name in the folder: watched

    def take_wake_request(self) -> bool:
        """Was the window asked for (since the last call)? Called by the owner on folder changes."""
        try:
            self.wake_path.unlink()
        except FileNotFoundError:
            return False
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops the lock
            self._fd = None


def _lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
