"""Write a change back into zag's store, so that zag can still read it.

Only the named fields of the target entries change; every other byte stays
(store/layout.py lets the writer find an entry's bytes and replace them in
place), unknown keys and entries zag would reject included. The write is a
temp file in the same directory plus an atomic replace, redone if the store
changed between our read and our replace: zag has no lock, so compare-and-swap
on inode, size and mtime is the best a second writer can do. On Linux the
replace is a ``renameat2`` exchange, which shows what it displaced, so a save
zag made during our rename is seen and the write redone.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import os
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from zag_tray.agents.entry import FileStamp, JSONValue
from zag_tray.store.errors import StoreWriteError
from zag_tray.store.layout import entry_bytes, serialise
from zag_tray.store.parse import decode_stdlib, io_lock, parse_entry, processes_list
from zag_tray.store.read import read_bytes

WRITE_ATTEMPTS: Final = 50

_tmp_counter = itertools.count()


def update_entries(
    path: Path, updates: Mapping[str, Mapping[str, JSONValue]], *, only_if_status: str = "running"
) -> set[str]:
    """Set fields on the entries named by id, if their stored status is ``only_if_status``.

    Returns the ids actually changed (an entry zag already finished keeps what
    zag wrote). Raises a ``StoreError`` and leaves the file untouched when
    the store cannot be read, parsed, encoded or replaced.
    """
    for _ in range(WRITE_ATTEMPTS):
        loaded = read_bytes(path)
        if loaded is None:
            raise StoreWriteError(f"{path}: the store disappeared; nothing written")
        data, stamp = loaded
        doc = decode_stdlib(path, data)  # exact integers of any size, so what we write back is verbatim
        edits = _apply_updates(path, processes_list(doc, path), updates, only_if_status)
        if not edits:
            return set()
        payload = _splice(data, edits) or _encode(path, serialise, doc)
        if _replace_if_unchanged(path, payload, stamp):
            return {entry_id for entry_id, _, _ in edits}
    raise StoreWriteError(f"{path}: the store kept changing; gave up after {WRITE_ATTEMPTS} tries")


_Edit = tuple[str, bytes, bytes]
"""(entry id, the entry's bytes as zag writes them before the change, and after)."""


def _apply_updates(
    path: Path,
    processes: list[JSONValue],
    updates: Mapping[str, Mapping[str, JSONValue]],
    only_if_status: str,
) -> list[_Edit]:
    edits: list[_Edit] = []
    for item in processes:
        if type(item) is not dict:
            continue
        fields = updates.get(item.get("id"))  # type: ignore[arg-type]
        if fields is None or item.get("status") != only_if_status:
            continue
        if isinstance(parse_entry(item), str):
            continue  # never touch an entry zag itself would reject
        before = _encode(path, entry_bytes, item)
        item.update(fields)
        edits.append((item["id"], before, _encode(path, entry_bytes, item)))
    return edits


def _splice(data: bytes, edits: list[_Edit]) -> bytes | None:
    """``data`` with each edited entry's bytes replaced, or None if ``data`` is not in zag's format.

    zag's format is deterministic, so an entry's bytes can be found and
    replaced without re-serialising the whole (possibly 60 MB) store; the
    result equals a full re-serialisation. The bytes start at a line break and
    hold raw line breaks, so they cannot match inside a JSON string.
    """
    for _, before, after in edits:
        at = data.find(before)
        if at < 0 or data.find(before, at + 1) >= 0:
            return None
        data = data[:at] + after + data[at + len(before) :]
    return data


def _encode(path: Path, encoder: Callable[[JSONValue], bytes], value: JSONValue) -> bytes:
    """``encoder(value)``, or :class:`StoreWriteError` for a value zag's format cannot hold."""
    try:
        return encoder(value)
    except (UnicodeEncodeError, RecursionError, ValueError) as exc:
        message = f"{path}: the store cannot be re-encoded for zag ({exc}); nothing written"
        raise StoreWriteError(message) from None


def temp_beside(path: Path) -> Path:
    """Where a new version of ``path`` is written before it is swapped in: the same folder
    (a rename cannot cross file systems), a name of this process's own."""
    return path.with_name(f".{path.name}.zag-tray.{os.getpid()}.{next(_tmp_counter)}.tmp")


def _replace_if_unchanged(path: Path, payload: bytes, stamp: FileStamp) -> bool:
    """Write ``payload`` beside ``path`` and put it in place if ``path`` is still ``stamp``."""
    tmp = temp_beside(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o644
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        # Hold the lock so no parse in another of our threads (which keeps the
        # GIL for its whole length) stretches the window below.
        with io_lock:
            if _exchange() is not None:
                result = _exchange_if_unchanged(tmp, path, stamp)
                if result is not None:
                    return result
            return _rename_if_unchanged(tmp, path, stamp)
    except OSError as exc:
        raise StoreWriteError(f"{path}: cannot write: {exc.strerror or exc}; nothing written") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # after a swap this is the displaced old store


def _exchange_if_unchanged(tmp: Path, path: Path, stamp: FileStamp) -> bool | None:
    """Swap ``tmp`` and ``path`` atomically; swap back if what we displaced is not ``stamp``.

    A rename can take the better part of a millisecond on a journalling file
    system, and zag may rename its own save in that time; a stat before the
    rename cannot see that, but the file displaced by an exchange can be
    checked. None means the file system cannot exchange.
    """
    exchange = _exchange()
    assert exchange is not None
    try:
        exchange(tmp, path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
            return None
        raise
    if FileStamp.of(os.stat(tmp)) == stamp:
        return True
    exchange(tmp, path)  # a newer store was displaced: put it back, then try again
    return False


def _rename_if_unchanged(tmp: Path, path: Path, stamp: FileStamp) -> bool:
    try:
        current = FileStamp.of(os.stat(path))
    except FileNotFoundError:
        return False
    if current != stamp:
        return False
    os.replace(tmp, path)
    return True


@functools.cache
def _exchange() -> Callable[[Path, Path], None] | None:
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

    def exchange(a: Path, b: Path) -> None:
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(b))

    return exchange
