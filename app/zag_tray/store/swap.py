"""Put a new version of the store in place the way zag does, and see what it displaced.

zag saves with a temp file and a rename and takes no lock (zag-agent/src/process_store.rs in zag's source),
so a save of zag's can land between our read and our replace. A check of the store's
stamp right before the replace sees most of them (nothing is replaced then); on Linux
the replace is a ``renameat2`` exchange, which leaves the file it displaced at our temp
name, where the caller (store/write.py) sees a save that landed after the check and
carries its entries into the next write. The displaced file is never put back: a
second swap could move away a save zag makes in that instant. Elsewhere the replace is
a rename after the check, which is what one more zag would do.

A temp file is ``.<store>.zag-tray.<pid>.<n>.tmp``; one left by a tray process that is
gone (a killed CLI) is found by :func:`left_behind`, for the next write to carry over
and remove. The new file gets the owner, group and mode of the one it replaces.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import os
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from zag_tray.agents.entry import FileStamp
from zag_tray.store.decode import io_lock
from zag_tray.store.errors import StoreWriteError

_UNSUPPORTED: Final = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV)
"""What renameat2 says where the OS or the file system cannot exchange."""

_serial = itertools.count()
_in_use: set[Path] = set()
"""Temp files of this process that a write is still using (anything else of ours is left over)."""
_in_use_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Swapped:
    """Our version is in place. ``displaced`` is where the version it replaced now is (None
    after a rename, which removes it); ``expected`` says it was the version we read."""

    displaced: Path | None
    expected: bool


def put_in_place(path: Path, payload: bytes, like: os.stat_result, stamp: FileStamp) -> Swapped | None:
    """Write ``payload`` beside ``path`` (owned and moded as ``like``) and swap it in.

    None means nothing was replaced (the store changed before a rename, or is gone):
    our temp file is removed. After an exchange the displaced file is the caller's.
    """
    tmp = write_temp(path, payload, like)
    swapped: Swapped | None = None
    try:
        with io_lock:  # no parse in another of our threads (it keeps the GIL) stretches this
            swapped = _swap(tmp, path, stamp)
        return swapped
    except OSError as exc:
        raise StoreWriteError(f"{path}: cannot write: {exc.strerror or exc}; nothing written") from None
    finally:
        if swapped is None or swapped.displaced is None:
            remove(tmp)


def _swap(tmp: Path, path: Path, stamp: FileStamp) -> Swapped | None:
    """Compare, then swap. The stat catches a save of zag's that landed while we wrote
    (most of them: our read, encode and fsync take milliseconds); the exchange shows one
    that lands in the microseconds between the stat and the swap."""
    try:
        if FileStamp.of(os.stat(path)) != stamp:
            return None
        exchange(tmp, path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno not in _UNSUPPORTED:
            raise
        os.replace(tmp, path)  # a save landing after the stat is lost, as between two zags
        return Swapped(None, True)
    return Swapped(tmp, FileStamp.of(os.stat(tmp)) == stamp)


def exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); an OSError with
    ENOSYS where the OS has no such call."""
    swap = _renameat2_exchange()
    if swap is None:
        raise OSError(errno.ENOSYS, "no atomic exchange on this system", str(b))
    swap(a, b)


def write_temp(path: Path, payload: bytes, like: os.stat_result) -> Path:
    """``payload`` in a new temp file beside ``path``, with ``like``'s owner, group and mode."""
    _check_owner(path, like)
    tmp = temp_beside(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, 0o600)
    except OSError as exc:
        done_with(tmp)
        raise StoreWriteError(f"{path}: cannot write: {exc.strerror or exc}; nothing written") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            _give_owner(out.fileno(), like, path)
            os.fsync(out.fileno())
    except BaseException as exc:
        remove(tmp)
        if isinstance(exc, OSError):
            raise StoreWriteError(f"{path}: cannot write: {exc.strerror or exc}; nothing written") from None
        raise
    return tmp


def _check_owner(path: Path, like: os.stat_result) -> None:
    """Refuse before writing anything when the new file could not be given the store's owner."""
    geteuid: Callable[[], int] | None = getattr(os, "geteuid", None)
    if geteuid is not None and geteuid() not in (0, like.st_uid):
        raise _owner_error(path, like)


def _give_owner(fd: int, like: os.stat_result, path: Path) -> None:
    if not hasattr(os, "fchown"):
        return  # Windows: no owner or mode bits to keep
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (like.st_uid, like.st_gid):
        try:
            os.fchown(fd, like.st_uid, like.st_gid)
        except PermissionError:
            raise _owner_error(path, like) from None
    os.fchmod(fd, stat.S_IMODE(like.st_mode))  # after fchown, which may clear set-id bits


def _owner_error(path: Path, like: os.stat_result) -> StoreWriteError:
    me = f"user {os.geteuid()}" if hasattr(os, "geteuid") else "this user"
    return StoreWriteError(
        f"{path}: belongs to user {like.st_uid} (group {like.st_gid}), and {me} cannot"
        " give a new file that owner; nothing written"
    )


def temp_beside(path: Path) -> Path:
    """Where a new version of ``path`` is written before it is swapped in: the same folder
    (a rename cannot cross file systems), a name of this process's own."""
    tmp = path.with_name(f"{_prefix(path)}{os.getpid()}.{next(_serial)}.tmp")
    with _in_use_lock:
        _in_use.add(tmp)
    return tmp


def done_with(*paths: Path) -> None:
    """These temp names are no longer used by a write of this process."""
    with _in_use_lock:
        _in_use.difference_update(paths)


def remove(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    done_with(tmp)


def left_behind(path: Path) -> list[Path]:
    """Our temp files beside ``path`` that no write is using: those of a tray process that
    is gone, and this process's own that a write that gave up left (never another live
    process's: it may be swapping one in)."""
    prefix = _prefix(path)
    try:
        names = sorted(os.listdir(path.parent))
    except OSError:
        return []
    found = []
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text, _, serial = name[len(prefix) : -len(".tmp")].partition(".")
        if not (_digits(pid_text) and _digits(serial)):
            continue
        candidate = path.with_name(name)
        with _in_use_lock:
            busy = candidate in _in_use
        if busy or not _process_gone(int(pid_text)) or not _is_regular(candidate):
            continue
        found.append(candidate)
    return found


def _prefix(path: Path) -> str:
    return f".{path.name}.zag-tray."


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _process_gone(pid: int) -> bool:
    if pid == os.getpid():
        return True  # ours and not in use (the caller checked): left by a write that gave up
    if os.name != "posix":
        return False  # os.kill would end the process on Windows: such files are kept
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, another user's
    return False


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


@functools.cache
def _renameat2_exchange() -> Callable[[Path, Path], None] | None:
    """Linux ``renameat2(RENAME_EXCHANGE)`` through libc, where it exists."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes  # only once a write happens, not on every start

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return None
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2

    def swap(a: Path, b: Path) -> None:
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(b))

    return swap
