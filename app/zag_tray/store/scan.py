"""Read a store for a few of its entries: every entry checked, only the few built.

``list`` shows the agents stored running, ``show`` one agent and its family: a handful of a
heavy user's 100,000 entries. The answer must still be exactly the full parse's
(store/read.py), down to the count of entries zag would reject (``list`` warns of them) and
a store zag cannot read at all. So every entry is checked here as the full parse checks it,
in C, a group of entries at a time, split where zag's layout separates entries
(store/layout.py, as store/reader.py splits it), but an :class:`Entry` is built only for
the entries asked for: building them is most of a full parse. Anything else (a file not in
zag's layout, a group holding an entry that is not exactly zag's: unknown keys, an entry
zag would reject, anything msgspec might read otherwise than zag) is parsed whole, so the
answer is the full parse's by construction; a property test holds the two together
(tests/core/test_store_scan.py).

Which entries a question needs is the caller's to say, from what :class:`Scanned` keeps of
every entry: its status and id, and with ``columns`` its session and parent links (to pick a
part with the same tree as the whole for the entries asked about: :func:`linked`,
:func:`descendants`).
"""

from __future__ import annotations

import mmap
import os
import sys
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable
from itertools import compress, count
from operator import attrgetter, countOf
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import msgspec

from zag_tray.agents.entry import Entry, FileStamp, Snapshot
from zag_tray.agents.timestamps import parse_rfc3339_each
from zag_tray.store import layout
from zag_tray.store.columns import Column, Columns
from zag_tray.store.parse import entries_of, exact_exit_codes, exact_items, parse_document
from zag_tray.store.read import MAX_STORE_BYTES, open_store, read_all, split_parsed

if TYPE_CHECKING:
    from zag_tray.store.halves import Rest

T = TypeVar("T")

GROUP_BYTES: Final = 64 << 10
"""About how many bytes of entries are checked with one call: a hundred entries, which stay
in the processor's cache while they are decoded and counted."""

_STATUS = attrgetter("status")


class Scanned:
    """A store in zag's layout whose every entry is exactly zag's (so none is skipped), and
    what it takes to build any of them: where each group of entries lies, which entries are
    stored running, and the :class:`~zag_tray.store.columns.Columns` of every entry (with
    ``columns``, their links too) to ask which ones a command needs.

    Checked in two processes (store/halves.py), the columns of the second half stay in the
    child (``rest``), which answers each question alongside this process: the methods below
    answer for the whole store either way. A child that fails has its half checked here."""

    def __init__(self, data: Bytes, *, columns: bool) -> None:
        self.data = data
        self.groups: list[tuple[int, int, int]] = []
        """Each group's bytes (start, end) and the position of its first entry."""
        self.columns = columns
        self.count = 0
        self.running: list[int] = []
        """Positions of the entries stored running."""
        self.here = Columns(links=columns)
        """The columns of the entries checked in this process: the first ``len(here)``."""
        self.rest: Rest | None = None
        self.items: list[Any] = []
        """Every entry as read, where the scan was asked to keep them (``keep``)."""
        self.exit_codes: list[int | None] = []
        """Every entry's exit code (its item holds the text zag wrote), with ``items``."""

    def add(self, start: int, end: int, items: list[Any]) -> None:
        """The checked entries of one group (its bytes from ``start`` to ``end``)."""
        first = self.count
        self.groups.append((start, end, first))
        self.count += len(items)
        if countOf(map(_STATUS, items), "running"):  # most groups of a big store: none
            self.running += compress(count(first), map("running".__eq__, map(_STATUS, items)))
        self.here.add(items)

    def where(self, name: Column, wanted: Collection[Any]) -> list[int]:
        """The positions whose value in column ``name`` is one of ``wanted``, in order."""
        if not wanted:
            return []
        return self._positions("where", name, wanted if isinstance(wanted, set | frozenset) else set(wanted))

    def where_id(self, ident: str) -> list[int]:
        """The positions whose id answers to ``ident`` (agents/ids.py's ``matching_ids``)."""
        return self._positions("where_id", ident)

    def values(self, name: Column, positions: Iterable[int]) -> list[Any]:
        """The values of column ``name`` at ``positions``, in their order."""
        positions = list(positions)
        split = len(self.here)
        if self.rest is None or all(p < split for p in positions):
            return self.here.values(name, positions)
        mine, theirs = self._answers(
            "values",
            (name, [p for p in positions if p < split]),
            (name, [p - split for p in positions if p >= split]),
        )
        if theirs is None:
            return self.here.values(name, positions)
        mine_each, theirs_each = iter(mine), iter(theirs)
        return [next(theirs_each) if p >= split else next(mine_each) for p in positions]

    def has_any(self, name: Column) -> bool:
        """Whether any entry holds a value (not null) in column ``name``."""
        mine, theirs = self._answers("has_any", (name,), (name,))
        return bool(mine or theirs)

    def column(self, name: Column) -> list[Any]:
        """Column ``name`` of every entry."""
        if self.rest is None:
            return self.here.column(name)
        mine, theirs = self._answers("column", (name,), (name,))
        return mine + (theirs or [])  # type: ignore[no-any-return]

    def _positions(self, question: str, *args: Any) -> list[int]:
        mine, theirs = self._answers(question, args, args)
        if not theirs:
            return mine  # type: ignore[no-any-return]
        split = len(self.here)
        return mine + [split + position for position in theirs]  # type: ignore[no-any-return]

    def _answers(self, question: str, mine: tuple[Any, ...], theirs: tuple[Any, ...]) -> tuple[Any, Any]:
        """This process's answer to ``question`` with arguments ``mine``, and the child's with
        ``theirs`` (None without one), asked first so that both work at once. A child that
        fails is replaced: its half is checked here, and the answer is then all this
        process's (with ``mine`` standing for both: callers ask again where they differ)."""
        rest = self.rest
        asked = rest is not None and rest.ask(question, theirs)
        answer = getattr(self.here, question)(*mine)
        if rest is None:
            return answer, None
        answered = rest.answer() if asked else None
        if answered is None:
            self._take_over(rest)
            return getattr(self.here, question)(*mine), None
        return answer, answered

    def attach(self, rest: Rest, count_: int, groups: list[tuple[int, int, int]], running: list[int]) -> None:
        """The child's half added after this process's entries: ``count_`` entries, their groups
        and the running ones, positions counted from the child's first."""
        first = self.count
        self.count += count_
        self.groups += [(start, end, first + at) for start, end, at in groups]
        self.running += [first + at for at in running]
        self.rest = rest

    def _take_over(self, rest: Rest) -> None:
        """The child failed after it answered: its half checked here instead."""
        self.rest = None
        rest.close(kill=True)
        first = len(self.here)
        self.count = first
        self.groups = [group for group in self.groups if group[2] < first]
        self.running = [position for position in self.running if position < first]
        start, stop, group_bytes = rest.span
        if not check(self, start, stop, group_bytes):  # the child found it exact: the bytes are mapped
            raise AssertionError("a scanned half no longer parses")

    def close(self) -> None:
        """The child, if any, told it is done: it ends at once (store/halves.py's ``Rest.close``)."""
        rest, self.rest = self.rest, None
        if rest is not None:
            rest.close(kill=False)

    def __enter__(self) -> Scanned:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def entries(self, positions: Iterable[int]) -> tuple[Entry, ...]:
        """The entries at ``positions``, in file order: built from the kept items, or from their
        groups decoded again."""
        wanted = sorted(set(positions))
        if self.items:
            wanted = wanted[bisect_left(wanted, 0) : bisect_left(wanted, self.count)]  # as a group would
            return tuple(_built(self.items, self.exit_codes, wanted))
        firsts = [first for _, _, first in self.groups]
        built: list[Entry] = []
        for at, (start, end, first) in enumerate(self.groups):
            stop = firsts[at + 1] if at + 1 < len(firsts) else self.count
            chosen = [p - first for p in wanted[bisect_left(wanted, first) : bisect_left(wanted, stop)]]
            if not chosen:
                continue
            piece = _piece(self.data, start, end)
            items = exact_items(piece)
            codes = exact_exit_codes(piece, items)
            if items is None or codes is None:  # it was checked: the bytes cannot have changed
                raise AssertionError("a scanned group no longer parses")
            built += _built(items, codes, chosen)
        return tuple(built)


def _built(items: list[Any], codes: list[int | None], chosen: list[int]) -> list[Entry]:
    """The entries of the checked ``items`` (with their exit ``codes``) at ``chosen``."""
    picked = list(map(items.__getitem__, chosen))
    starts = parse_rfc3339_each([item.started_at for item in picked])
    return entries_of(picked, list(map(codes.__getitem__, chosen)), starts)


Bytes = bytes | mmap.mmap
"""A store's bytes: read into memory, or mapped (:func:`read_part`)."""


def scan(
    data: Bytes,
    *,
    columns: bool = False,
    keep: type | None = None,
    group_bytes: int | None = None,
    split_bytes: int | None = None,
) -> Scanned | None:
    """``data`` checked entry by entry as the full parse checks it, or None where the full parse
    must answer (not zag's layout, or a group that is not exactly zag's entries). ``keep``:
    every entry kept, read as this :func:`~zag_tray.store.parse.exact_type`. A group is about
    ``group_bytes`` of entries (:data:`GROUP_BYTES`; tests make it one entry). A store of
    ``split_bytes`` or more is checked in two processes where it can be (store/halves.py:
    :data:`~zag_tray.store.halves.SPLIT_BYTES`; tests make it one byte)."""
    group_bytes = group_bytes or GROUP_BYTES
    decode = None if keep is None else msgspec.json.Decoder(list[keep]).decode  # type: ignore[valid-type]
    scanned = Scanned(data, columns=columns)
    size = len(data)
    if size == len(layout.EMPTY) and data[:] == layout.EMPTY:
        return scanned
    head, stop = len(layout.HEAD), size - len(layout.TAIL)
    if stop < head or data[:head] != layout.HEAD or data[stop:] != layout.TAIL:
        return None
    if keep is None:  # a kept item costs more to send from another process than to read
        from zag_tray.store import halves

        middle = halves.middle(data, head, stop, split_bytes)
        if middle is not None:
            return halves.scan_halves(scanned, head, middle, stop, group_bytes)
    return scanned if check(scanned, head, stop, group_bytes, decode) else None


def check(
    scanned: Scanned, start: int, stop: int, group_bytes: int, decode: Callable[[bytes], Any] | None = None
) -> bool:
    """The entries from ``start`` (an entry's first key) to ``stop`` (after the last one's last
    value) added to ``scanned``, a group at a time; False at the first group that is not
    exactly zag's entries."""
    data = scanned.data
    between, find = layout.BETWEEN, data.find
    while True:
        end = find(between, min(start + group_bytes, stop), stop)
        if end < 0:
            end = stop
        piece = _piece(data, start, end)
        items = exact_items(piece, decode)
        codes = exact_exit_codes(piece, items)  # None where items is
        if items is None or codes is None:
            return False
        scanned.add(start, end, items)
        if decode is not None:
            scanned.items += items
            scanned.exit_codes += codes
        if end == stop:
            return True
        start = end + len(between)


def _piece(data: Bytes, start: int, end: int) -> bytes:
    """The entries from ``start`` to ``end`` as one JSON list, as store/parse.py reads them."""
    return b"".join((b"[{", memoryview(data)[start:end], b"}]"))


def read_part(path: Path, choose: Callable[[Scanned], Iterable[int]], *, columns: bool = False) -> Snapshot:
    """The snapshot of the entries ``choose`` picks from the scanned store (none is skipped);
    where the full parse must answer, the snapshot of every entry, as :func:`read_store`
    reads it, with its errors."""
    return read_scanned(
        path,
        lambda scanned, stamp: Snapshot(path, scanned.entries(choose(scanned)), (), stamp),
        columns=columns,
    )


def read_scanned(
    path: Path,
    use: Callable[[Scanned, FileStamp | None], T],
    *,
    columns: bool = False,
    keep: type | None = None,
) -> T | Snapshot:
    """``use`` of the scanned store (and its stamp) while it is open; where the full parse must
    answer, the snapshot of every entry, as :func:`read_store` reads it, with its errors.

    The store is mapped rather than read where the OS allows it (not on Windows, where a
    mapped file cannot be replaced, and zag replaces the store at every save): no copy of its
    55 MB is made. A store cut short while mapped (never by zag, which replaces it whole)
    would end the process with SIGBUS."""
    opened = open_store(path)
    if opened is None:
        return use(Scanned(b"", columns=columns), None)
    fd, st = opened
    stamp = FileStamp.of(st)
    try:
        mapped = _mapped(fd, st.st_size)
        if mapped is not None:
            scanned = None
            try:
                scanned = scan(mapped, columns=columns, keep=keep)
                if scanned is not None:
                    return use(scanned, stamp)
            finally:
                # Unmapped first: while the child exits, unmapping the pages it shares took 3 ms.
                mapped.close()
                if scanned is not None:
                    scanned.close()
        data = read_all(path, fd)
    finally:
        os.close(fd)
    scanned = None if mapped is not None else scan(data, columns=columns, keep=keep)
    if scanned is None:
        entries, skipped = split_parsed(parse_document(path, data))
        return Snapshot(path, entries, skipped, stamp)
    with scanned:
        return use(scanned, stamp)


def _mapped(fd: int, size: int) -> mmap.mmap | None:
    if sys.platform == "win32" or not 0 < size <= MAX_STORE_BYTES:
        return None
    try:
        return mmap.mmap(fd, size, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # a file system that cannot map: read it
        return None


def linked(scanned: Scanned, positions: Iterable[int]) -> set[int]:
    """``positions``, and every entry their parent links reach through any number of links:
    each entry whose id is the parent id of one of them, or whose session is its parent
    session, every duplicate included. In a tree of such a part (agents/tree.py: a parent id
    names an entry by its id alone, a parent session by its session alone, the last
    duplicate is the parent, a cycle is cut at its oldest member), each of its entries has
    the parent it has in the tree of the whole store, with or without a Lineage. A kind of
    link none of them holds costs no pass over the store (most stores have no parent
    sessions)."""
    found = set(positions)
    by_id, by_session = _links(scanned, found)
    looked_for: tuple[set[str], set[str]] = (set(), set())
    while by_id - looked_for[0] or by_session - looked_for[1]:
        new_ids, new_sessions = by_id - looked_for[0], by_session - looked_for[1]
        looked_for[0].update(new_ids)
        looked_for[1].update(new_sessions)
        more = (set(scanned.where("ids", new_ids)) | set(scanned.where("sessions", new_sessions))) - found
        found |= more
        more_ids, more_sessions = _links(scanned, more)
        by_id |= more_ids
        by_session |= more_sessions
    return found


def _links(scanned: Scanned, positions: Iterable[int]) -> tuple[set[str], set[str]]:
    """The parent ids and the parent sessions of the entries at ``positions``."""
    chosen = sorted(positions)
    if not chosen:
        return set(), set()
    return (
        {link for link in scanned.values("parents", chosen) if link is not None},
        {link for link in scanned.values("parent_sessions", chosen) if link is not None},
    )


def descendants(scanned: Scanned, positions: Iterable[int], generations: int | None = None) -> set[int]:
    """``positions``, and every entry whose parent link names one of them (by id, or by its
    session), then one of those..., ``generations`` deep or all the way down: everything that
    may stand under them in a tree."""
    found = set(positions)
    generation, depth = set(found), 0
    by_session = scanned.has_any("parent_sessions") if found else False  # else no pass
    while generation and (generations is None or depth < generations):
        chosen = sorted(generation)
        ids = set(scanned.values("ids", chosen))
        sessions = {s for s in scanned.values("sessions", chosen) if s is not None} if by_session else set()
        children = set(scanned.where("parents", ids)) | set(scanned.where("parent_sessions", sessions))
        generation = children - found
        found |= generation
        depth += 1
    return found
