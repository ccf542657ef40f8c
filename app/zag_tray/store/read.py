"""Read the store whole: open it safely, read its bytes, parse them into a :class:`Snapshot`.

Reading is strict about the file and lenient about entries: a file that is
not a regular file, not UTF-8, not JSON, too deep, too large or of the wrong
shape is a :class:`StoreError` with a one-line message; an entry that zag's
own reader would reject is skipped and counted, and the rest is shown.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Final

from zag_tray.agents.entry import Entry, FileStamp, SkippedEntry, Snapshot
from zag_tray.store.errors import (
    StoreError,
    StoreNotJsonError,
    StoreNotRegularFileError,
    StoreTooLargeError,
    StoreUnreadableError,
    StoreWrongShapeError,
)
from zag_tray.store.layout import UTF8_BOM
from zag_tray.store.parse import Parsed, parse_document

MAX_STORE_BYTES: Final = 1 << 30
"""A store larger than this is refused rather than read into memory (zag's
heaviest users are near 60 MB at 100,000 entries)."""


def read_store(path: Path) -> Snapshot:
    """Read and validate the store. A missing file is an empty snapshot."""
    loaded = read_bytes(path)
    if loaded is None:
        return Snapshot(path, ())
    data, stamp = loaded
    entries, skipped = split_parsed(parse_document(path, data))
    return Snapshot(path, entries, skipped, stamp)


def read_bytes(path: Path) -> tuple[bytes, FileStamp] | None:
    """The file's bytes and stamp, or None if it does not exist."""
    opened = open_store(path)
    if opened is None:
        return None
    fd, st = opened
    try:
        return read_all(path, fd), FileStamp.of(st)
    finally:
        os.close(fd)


def open_store(path: Path) -> tuple[int, os.stat_result] | None:
    """An open descriptor of the store and its fstat, or None if it does not exist.

    Opened non-blocking and checked with fstat before any read, so a FIFO (or
    a device) at the store's path is refused instead of hanging the reader.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreUnreadableError(f"{path}: cannot open: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise StoreNotRegularFileError(f"{path}: not a regular file ({_file_kind(st.st_mode)})")
        if st.st_size > MAX_STORE_BYTES:
            raise StoreTooLargeError(
                f"{path}: {st.st_size:,} bytes is more than the {MAX_STORE_BYTES:,} the tray reads"
            )
    except OSError as exc:
        os.close(fd)
        raise StoreUnreadableError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except StoreError:
        os.close(fd)
        raise
    return fd, st


def read_all(path: Path, fd: int) -> bytes:
    """Everything from the start of the open store (it may have grown since fstat), once
    its first bytes show a JSON object: a gigabyte of anything else is refused unread."""
    try:
        with os.fdopen(fd, "rb", closefd=False) as stream:
            stream.seek(0)
            _check_start(path, stream)
            stream.seek(0)
            data = stream.read(MAX_STORE_BYTES + 1)
    except OSError as exc:
        raise StoreUnreadableError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_STORE_BYTES:
        raise StoreTooLargeError(f"{path}: more than the {MAX_STORE_BYTES:,} bytes the tray reads")
    return data


_BLANK: Final = b" \t\n\r"
"""JSON's whitespace."""


def _check_start(path: Path, stream: BinaryIO) -> None:
    """Refuse a store whose first byte that is not JSON whitespace is not ``{``, reading no
    more than the blank bytes before it (a file of a gigabyte of NUL bytes took 5.8 s and
    2.1 GB to be refused whole)."""
    chunk, read = stream.read(_PEEK), 0
    if chunk.startswith(UTF8_BOM):
        raise StoreNotJsonError(f"{path}: starts with a UTF-8 byte-order mark, which zag cannot read")
    while not chunk.lstrip(_BLANK):
        read += len(chunk)
        if not chunk or read > MAX_STORE_BYTES:
            raise StoreNotJsonError(f"{path}: is empty, not JSON")
        chunk = stream.read(_PEEK)
    first = chunk.lstrip(_BLANK)[:1]
    if first == b"{":
        return
    if first in (b"[", b'"'):
        found = "a list" if first == b"[" else "a string"
        raise StoreWrongShapeError(f'{path}: expected an object with a "processes" list, found {found}')
    shown = f"'{first.decode()}'" if 32 < first[0] < 127 else f"byte 0x{first[0]:02x}"
    raise StoreNotJsonError(f"{path}: not a zag store: it begins with {shown}, not '{{'")


_PEEK: Final = 1 << 16


def split_parsed(parsed: tuple[Parsed, ...]) -> tuple[tuple[Entry, ...], tuple[SkippedEntry, ...]]:
    """Valid entries, and the positions and reasons of the skipped ones."""
    if str not in map(type, parsed):  # in C: 1 ms for 100,000 entries, not 3
        return parsed, ()  # type: ignore[return-value]
    entries: list[Entry] = []
    skipped: list[SkippedEntry] = []
    split_into(parsed, 0, entries, skipped)
    return tuple(entries), tuple(skipped)


def split_into(
    parsed: Iterable[Parsed], first: int, entries: list[Entry], skipped: list[SkippedEntry]
) -> None:
    """Append ``parsed`` (found from position ``first`` on) to ``entries`` and ``skipped``."""
    for offset, piece in enumerate(parsed):
        if type(piece) is str:
            skipped.append(SkippedEntry(first + offset, piece))
        else:
            entries.append(piece)  # type: ignore[arg-type]


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a file"
