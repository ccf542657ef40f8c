"""Read one store again and again, re-parsing only the entries whose bytes changed.

zag rewrites the whole file for every change (an agent starts or ends), and a
heavy user's store holds 100,000 entries (55 MB). Its layout is deterministic
(store/layout.py), so after the first read most of the file is byte for byte
what it was: entries are kept in groups of a few hundred with one hash of their
bytes each, a read confirms unchanged groups from the front and from the back
of the file and parses only what lies between (about 20 ms instead of 300 ms).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zag_tray.agents.entry import Entry, FileStamp, SkippedEntry, Snapshot, SnapshotChange
from zag_tray.desktop.memory import release_free_memory
from zag_tray.store import layout
from zag_tray.store.errors import StoreError, StoreUnreadableError
from zag_tray.store.parse import Parsed, parse_document, parse_entries
from zag_tray.store.read import open_store, read_all, split_into, split_parsed


@dataclass(frozen=True, slots=True)
class _Group:
    """Consecutive entries (about :data:`GROUP_BYTES` of them), and the bytes they came from."""

    start: int  # offset of the first piece in the file
    end: int  # offset just past the last piece
    digest: int  # _digest(data[start:end])
    parsed: tuple[Parsed, ...]  # an Entry, or why the piece was skipped
    clean: bool  # no skipped entry among them


GROUP_BYTES = 128 << 10
"""A few hundred entries: small enough to re-parse at once, few enough to hash in C."""


class StoreReader:
    """Reads one store again and again, re-parsing only the entries whose bytes changed.

    zag writes a deterministic layout (store/layout.py) and rewrites the whole file
    for every change, so after the first read most of it is byte-for-byte what
    it was. Entries are kept in groups of a few hundred with one hash of their
    bytes each; a read confirms unchanged groups from the front and from the back
    of the file (a few hundred hashes in C) and parses only what lies between.
    A file not in zag's layout, or a piece that does not parse on its own, means
    a full parse, so the result is always what :func:`read_store` returns (a
    property test holds the two together).
    """

    def __init__(self, path: Path, group_bytes: int = GROUP_BYTES) -> None:
        self.path = path
        self.group_bytes = group_bytes
        """About how many bytes of entries make one group (one parse, one hash)."""
        self._groups: list[_Group] = []
        self._size = 0
        self._last: Snapshot | None = None  # the snapshot self._groups make up
        self.change: SnapshotChange | None = None
        """How the last read's snapshot differs from the one before, when the reuse tells
        (None after a full parse): a view of 100,000 rows applies just that."""

    def read(self) -> Snapshot:
        before, self._last, self.change = self._last, None, None  # until this read succeeds
        opened = open_store(self.path)
        if opened is None:
            self._groups, self._size = [], 0
            return Snapshot(self.path, ())
        fd, st = opened
        try:
            source = _StoreFile(fd, st.st_size)
            regrouped = self._regroup(source)
            if regrouped is None:
                self._groups, self._size = [], 0
                entries, skipped = split_parsed(parse_document(self.path, read_all(self.path, fd)))
                fresh = len(entries) + len(skipped)
            else:
                self._groups, replaced, parsed = regrouped
                self._size = st.st_size
                entries, skipped = _assemble(self._groups)
                fresh = sum(len(g.parsed) for g in parsed)
                self.change = _change_between(before, replaced, parsed)
        except OSError as exc:
            raise StoreUnreadableError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        if fresh > _TRIM_AFTER:
            release_free_memory()  # a large parse leaves its parser memory behind
        snapshot = Snapshot(self.path, entries, skipped, FileStamp.of(st))
        self._last = snapshot if regrouped is not None else None
        return snapshot

    def _regroup(self, source: _StoreFile) -> tuple[list[_Group], list[_Group], list[_Group]] | None:
        """The groups of the file reusing unchanged ones, the old groups replaced and the new
        groups parsed in their place; None if the file is not in zag's layout.

        Unchanged groups are confirmed a group at a time through one small buffer, so a
        reload reads the file once without holding all of it (60 MB) in memory.
        """
        size = source.size
        if size == len(layout.EMPTY) and source.bytes_at(0, size) == layout.EMPTY:
            return [], self._groups, []
        head, stop = len(layout.HEAD), size - len(layout.TAIL)
        if stop < head or not (
            source.bytes_at(0, head) == layout.HEAD and source.bytes_at(stop, size) == layout.TAIL
        ):
            return None
        old, shift = self._groups, size - self._size
        front = 0
        while front < len(old) and source.holds(old[front], 0, head, stop):
            front += 1
        back = len(old)
        lowest = old[front - 1].end if front else head
        while (
            back > front
            and old[back - 1].start + shift >= lowest
            and source.holds(old[back - 1], shift, head, stop)
        ):
            back -= 1
        kept_front = old[:front]
        kept_back = [_Group(g.start + shift, g.end + shift, g.digest, g.parsed, g.clean) for g in old[back:]]
        middle_start = kept_front[-1].end + len(layout.BETWEEN) if kept_front else head
        middle_end = kept_back[0].start - len(layout.BETWEEN) if kept_back else stop
        if middle_end < middle_start:
            if kept_front and kept_back and middle_start - len(layout.BETWEEN) == kept_back[0].start:
                return kept_front + kept_back, old[front:back], []  # only a separator between them
            return None
        middle = self._parse_span(source.bytes_at(middle_start, middle_end), middle_start)
        if middle is None:
            return None
        return kept_front + middle + kept_back, old[front:back], middle

    def _parse_span(self, span: bytes, offset: int) -> list[_Group] | None:
        """Parse ``span`` (whole entries and the separators between them, found at ``offset``
        in the file) into new groups.

        Each group is about :data:`GROUP_BYTES` long and is parsed with one call, as the list
        ``[{`` + its bytes + ``}]``: as fast as parsing the whole document, and if every group
        parses on its own, together they are exactly the document's list of entries.
        """
        groups: list[_Group] = []
        view, find, between = memoryview(span), span.find, layout.BETWEEN
        start, stop = 0, len(span)
        while True:
            end = find(between, min(start + self.group_bytes, stop), stop)
            if end < 0:
                end = stop
            piece = view[start:end]
            try:
                parsed = parse_entries(self.path, piece.tobytes())
            except StoreError:
                return None  # let the full parse find (and word) what is wrong
            clean = not any(type(p) is str for p in parsed)
            groups.append(_Group(offset + start, offset + end, _digest(piece), parsed, clean))
            if end == stop:
                return groups
            start = end + len(between)


def _change_between(
    before: Snapshot | None, replaced: list[_Group], parsed: list[_Group]
) -> SnapshotChange | None:
    if before is None or not all(g.clean for g in replaced) or not all(g.clean for g in parsed):
        return None  # positions of skipped entries shift: not worth describing
    removed = tuple(e for g in replaced for e in g.parsed)
    added = tuple(e for g in parsed for e in g.parsed)
    return SnapshotChange(before, removed, added)  # type: ignore[arg-type]


def _digest(piece: memoryview) -> int:
    """Python's (keyed SipHash) hash of the bytes. Of a copy, as ``hash`` wants immutable
    bytes: copying 128 kB costs less than a checksum over the buffer in place."""
    return hash(bytes(piece))


class _StoreFile:
    """Reads at given places of one open store file, through a buffer that is reused."""

    def __init__(self, fd: int, size: int) -> None:
        self.size = size
        self._file = os.fdopen(fd, "rb", buffering=0, closefd=False)  # seek+readinto: any OS
        self._buffer = bytearray(GROUP_BYTES * 2)

    def bytes_at(self, start: int, end: int) -> bytes:
        self._file.seek(start)
        data = self._file.read(end - start)
        if len(data) != end - start:
            raise OSError(f"the file changed while it was read ({len(data)} of {end - start} bytes)")
        return data

    def holds(self, group: _Group, shift: int, head: int, stop: int) -> bool:
        """Do the group's bytes stand unchanged at its old place, moved by ``shift``, between
        zag's separators?"""
        start, end = group.start + shift, group.end + shift
        if start < head or end > stop:
            return False
        gap = len(layout.BETWEEN)
        first, last = start - (0 if start == head else gap), end + (0 if end == stop else gap)
        if len(self._buffer) < last - first:
            self._buffer = bytearray(last - first)
        view = memoryview(self._buffer)[: last - first]
        self._file.seek(first)
        if self._file.readinto(view) != last - first:
            return False
        if start != head and view[:gap] != layout.BETWEEN:
            return False
        if end != stop and view[len(view) - gap :] != layout.BETWEEN:
            return False
        return _digest(view[start - first : end - first]) == group.digest


def _assemble(groups: list[_Group]) -> tuple[tuple[Entry, ...], tuple[SkippedEntry, ...]]:
    entries: list[Entry] = []
    skipped: list[SkippedEntry] = []
    index = 0
    for group in groups:
        if group.clean:
            entries += group.parsed  # type: ignore[arg-type]
        else:
            split_into(group.parsed, index, entries, skipped)
        index += len(group.parsed)
    return tuple(entries), tuple(skipped)


_TRIM_AFTER = 5000
"""Entries parsed after which freed parser memory is handed back to the OS."""
