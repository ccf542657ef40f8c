"""Read zag's ``processes.json`` into a :class:`Snapshot`, and write changes back.

Reading is strict about the file and lenient about entries: a file that is
not a regular file, not UTF-8, not JSON, too deep, too large or of the wrong
shape is a :class:`StoreError` with a one-line message; an entry that zag's
own reader would reject is skipped and counted, and the rest is shown.

Writing keeps zag able to read the file (ZAG_STORE.md): only the named
fields of the target entries change, everything else is re-serialised the way
zag writes it (``json.dumps(indent=2, ensure_ascii=False)`` equals serde_json's
``to_string_pretty``), unknown keys and invalid entries included. The write is
a temp file in the same directory plus an atomic replace, redone if the store
changed between our read and our replace (zag has no lock, so compare-and-swap
on inode, size and mtime is the best a second writer can do).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import itertools
import json
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Annotated, Any, Final, cast

import msgspec

MAX_STORE_BYTES: Final = 1 << 30
"""A store larger than this is refused rather than read into memory (zag's
heaviest users are near 60 MB at 100,000 entries)."""

U32_MAX: Final = 2**32 - 1
I32_MIN: Final = -(2**31)
I32_MAX: Final = 2**31 - 1
UTF8_BOM: Final = b"\xef\xbb\xbf"
WRITE_ATTEMPTS: Final = 50

KNOWN_STATUSES: Final = frozenset({"running", "exited", "killed"})

JSONValue = Any
"""A value as ``json.loads`` returns it."""


class StoreError(Exception):
    """The store as a whole cannot be used. ``str()`` is a one-line message."""


class StoreUnreadableError(StoreError):
    """The file exists but the OS refused to read it."""


class StoreNotRegularFileError(StoreError):
    """The path is a directory, FIFO, socket or device: never opened for reading."""


class StoreTooLargeError(StoreError):
    """Larger than :data:`MAX_STORE_BYTES`."""


class StoreNotJsonError(StoreError):
    """Not UTF-8, has a BOM, has NaN/Infinity, or is not JSON at all."""


class StoreTooDeepError(StoreError):
    """Nested deeper than the JSON parser's recursion limit (a nesting bomb)."""


class StoreWrongShapeError(StoreError):
    """Valid JSON, but not ``{"processes": [...]}``."""


class StoreWriteError(StoreError):
    """The change could not be written; the store on disk is as it was."""


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What identifies one version of the file: zag's atomic rename changes the inode."""

    inode: int
    device: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStamp:
        return cls(st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)


STANDARD_KEYS: Final = (
    "id",
    "pid",
    "session_id",
    "provider",
    "model",
    "command",
    "prompt",
    "started_at",
    "status",
    "exit_code",
    "exited_at",
    "root",
    "parent_process_id",
    "parent_session_id",
)


class Entry(msgspec.Struct, frozen=True, gc=False):
    """One valid process entry. ``raw`` is the entry exactly as parsed (all keys, in order).

    A frozen msgspec Struct: 100,000 of these stay in memory, and it is the smallest
    immutable record at hand (144 bytes, a tuple of as many fields 176), built in C.
    ``gc=False``: an entry holds strings, numbers and JSON values, never a cycle, so
    the cyclic collector has nothing to find in it (16 bytes less each).
    """

    id: str
    pid: int
    session_id: str | None
    provider: str
    model: str
    command: str
    prompt: str | None
    started_at: str
    started: float
    status: str
    exit_code: int | None
    exited_at: str | None
    root: str | None
    parent_process_id: str | None
    parent_session_id: str | None
    unusual: Mapping[str, JSONValue] | None
    """The parsed object, kept only when it is not exactly zag's 14 keys (unknown keys,
    missing optional ones); a 100,000-entry store would otherwise hold every dict twice."""

    @property
    def raw(self) -> Mapping[str, JSONValue]:
        """The entry's keys and values as stored (zag's order for a standard entry)."""
        if self.unusual is not None:
            return self.unusual
        return dict(
            zip(
                STANDARD_KEYS,
                (
                    self.id,
                    self.pid,
                    self.session_id,
                    self.provider,
                    self.model,
                    self.command,
                    self.prompt,
                    self.started_at,
                    self.status,
                    self.exit_code,
                    self.exited_at,
                    self.root,
                    self.parent_process_id,
                    self.parent_session_id,
                ),
                strict=True,
            )
        )

    @property
    def ended(self) -> float | None:
        """``exited_at`` as epoch seconds (None if absent or not RFC 3339)."""
        return None if self.exited_at is None else parse_timestamp(self.exited_at)

    @property
    def sort_key(self) -> tuple[float, str]:
        """zag's order, reversed: newest first by started_at, ties by id descending."""
        return (self.started, self.id)


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    """An entry zag's reader would reject: its position and why."""

    index: int
    reason: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The store at one moment: valid entries in file order, and what was skipped."""

    path: Path
    entries: tuple[Entry, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    stamp: FileStamp | None = None

    @property
    def exists(self) -> bool:
        return self.stamp is not None


def parse_timestamp(text: str) -> float | None:
    """RFC 3339 with an offset (``Z`` or ``+hh:mm``, 0-9 fraction digits) to epoch seconds."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def read_store(path: Path) -> Snapshot:
    """Read and validate the store. A missing file is an empty snapshot."""
    loaded = _read_bytes(path)
    if loaded is None:
        return Snapshot(path, ())
    data, stamp = loaded
    with gc_paused():
        entries, skipped = _split(_parse_document(path, data))
    return Snapshot(path, entries, skipped, stamp)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a load builds 100,000s of containers.

    Parsing creates no reference cycles, but every 700 new containers the
    collector would walk them all again: about a quarter of a large load.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _Group:
    """Consecutive entries (about :data:`_GROUP_BYTES` of them), and the bytes they came from."""

    start: int  # offset of the first piece in the file
    end: int  # offset just past the last piece
    digest: int  # _digest(data[start:end])
    parsed: tuple[Entry | str, ...]  # an Entry, or why the piece was skipped
    clean: bool  # no skipped entry among them


_GROUP_BYTES = 128 << 10


class StoreReader:
    """Reads one store again and again, re-parsing only the entries whose bytes changed.

    zag writes a deterministic layout (ZAG_STORE.md) and rewrites the whole file
    for every change, so after the first read most of it is byte-for-byte what
    it was. Entries are kept in groups of a few hundred with one hash of their
    bytes each; a read confirms unchanged groups from the front and from the back
    of the file (a few hundred hashes in C) and parses only what lies between.
    A file not in zag's layout, or a piece that does not parse on its own, means
    a full parse, so the result is always what :func:`read_store` returns (a
    property test holds the two together).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._groups: list[_Group] = []
        self._size = 0
        self._last: Snapshot | None = None  # the snapshot self._groups make up
        self.change: SnapshotChange | None = None
        """How the last read's snapshot differs from the one before, when the reuse tells
        (None after a full parse): a view of 100,000 rows applies just that."""

    def read(self) -> Snapshot:
        before, self._last, self.change = self._last, None, None  # until this read succeeds
        opened = _open_store(self.path)
        if opened is None:
            self._groups, self._size = [], 0
            return Snapshot(self.path, ())
        fd, st = opened
        try:
            with gc_paused():
                source = _StoreFile(fd, st.st_size)
                regrouped = self._regroup(source)
                if regrouped is None:
                    self._groups, self._size = [], 0
                    entries, skipped = _split(_parse_document(self.path, _read_all(self.path, fd)))
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
        if size == len(_LAYOUT_EMPTY) and source.bytes_at(0, size) == _LAYOUT_EMPTY:
            return [], self._groups, []
        head, stop = len(_LAYOUT_HEAD), size - len(_LAYOUT_TAIL)
        if stop < head or not (
            source.bytes_at(0, head) == _LAYOUT_HEAD and source.bytes_at(stop, size) == _LAYOUT_TAIL
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
        middle_start = kept_front[-1].end + len(_LAYOUT_BETWEEN) if kept_front else head
        middle_end = kept_back[0].start - len(_LAYOUT_BETWEEN) if kept_back else stop
        if middle_end < middle_start:
            if kept_front and kept_back and middle_start - len(_LAYOUT_BETWEEN) == kept_back[0].start:
                return kept_front + kept_back, old[front:back], []  # only a separator between them
            return None
        middle = self._parse_span(source.bytes_at(middle_start, middle_end), middle_start)
        if middle is None:
            return None
        return kept_front + middle + kept_back, old[front:back], middle

    def _parse_span(self, span: bytes, offset: int) -> list[_Group] | None:
        """Parse ``span`` (whole entries and the separators between them, found at ``offset``
        in the file) into new groups.

        Each group is about :data:`_GROUP_BYTES` long and is parsed with one call, as the list
        ``[{`` + its bytes + ``}]``: as fast as parsing the whole document, and if every group
        parses on its own, together they are exactly the document's list of entries.
        """
        groups: list[_Group] = []
        view, find, between = memoryview(span), span.find, _LAYOUT_BETWEEN
        start, stop = 0, len(span)
        while True:
            end = find(between, min(start + _GROUP_BYTES, stop), stop)
            if end < 0:
                end = stop
            piece = view[start:end]
            try:
                parsed = _parse_list(self.path, b"[{" + piece.tobytes() + b"}]")
            except StoreError:
                return None  # let the full parse find (and word) what is wrong
            clean = not any(type(p) is str for p in parsed)
            groups.append(_Group(offset + start, offset + end, _digest(piece), parsed, clean))
            if end == stop:
                return groups
            start = end + len(between)


@dataclass(frozen=True, slots=True)
class SnapshotChange:
    """The entries of ``before`` that were replaced, and what replaced them, in file order.

    Every other entry of the new snapshot is the very object it was in ``before``.
    """

    before: Snapshot
    removed: tuple[Entry, ...]
    added: tuple[Entry, ...]


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
        self._buffer = bytearray(_GROUP_BYTES * 2)

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
        gap = len(_LAYOUT_BETWEEN)
        first, last = start - (0 if start == head else gap), end + (0 if end == stop else gap)
        if len(self._buffer) < last - first:
            self._buffer = bytearray(last - first)
        view = memoryview(self._buffer)[: last - first]
        self._file.seek(first)
        if self._file.readinto(view) != last - first:
            return False
        if start != head and view[:gap] != _LAYOUT_BETWEEN:
            return False
        if end != stop and view[len(view) - gap :] != _LAYOUT_BETWEEN:
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
            _split_into(group.parsed, index, entries, skipped)
        index += len(group.parsed)
    return tuple(entries), tuple(skipped)


def _split(parsed: tuple[Entry | str, ...]) -> tuple[tuple[Entry, ...], tuple[SkippedEntry, ...]]:
    """Valid entries, and the positions and reasons of the skipped ones."""
    if not any(type(p) is str for p in parsed):
        return parsed, ()  # type: ignore[return-value]
    entries: list[Entry] = []
    skipped: list[SkippedEntry] = []
    _split_into(parsed, 0, entries, skipped)
    return tuple(entries), tuple(skipped)


def _split_into(
    parsed: tuple[Entry | str, ...], first: int, entries: list[Entry], skipped: list[SkippedEntry]
) -> None:
    for offset, piece in enumerate(parsed):
        if type(piece) is str:
            skipped.append(SkippedEntry(first + offset, piece))
        else:
            entries.append(piece)  # type: ignore[arg-type]


_TRIM_AFTER = 5000
"""Entries parsed after which freed parser memory is handed back to the OS."""


def release_free_memory() -> None:
    """Return freed heap pages to the OS (glibc keeps them otherwise: 60 MB after a 100k parse)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return cast("Callable[[int], int]", ctypes.CDLL(None).malloc_trim)
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


# zag's layout around the top-level entries: the separators hold raw line breaks, which
# JSON strings cannot, and an indentation that only top-level entries have.
_LAYOUT_HEAD = b'{\n  "processes": [\n    {\n'
_LAYOUT_TAIL = b"\n    }\n  ]\n}"
_LAYOUT_BETWEEN = b"\n    },\n    {\n"
_LAYOUT_EMPTY = b'{\n  "processes": []\n}'


_FAST_PARSER_REFUSES = (msgspec.MsgspecError, RecursionError, UnicodeDecodeError)
"""What msgspec raises for a document it will not take: the stdlib then decides (and words)."""


def _parse_document(path: Path, data: bytes) -> tuple[Entry | str, ...]:
    """Each entry of a whole store: an :class:`Entry`, or why zag would reject it."""
    try:
        with _io_lock:
            items = _zag_document(data).processes
    except _FAST_PARSER_REFUSES:
        return tuple(map(parse_entry, _processes_list(_decode(path, data), path)))
    return _from_zag(items)


def _parse_list(path: Path, data: bytes) -> tuple[Entry | str, ...]:
    """Each entry of a JSON list of entries, as :func:`_parse_document`."""
    try:
        with _io_lock:
            items = _zag_list(data)
    except _FAST_PARSER_REFUSES:
        return tuple(map(parse_entry, _decode(path, data)))
    return _from_zag(items)


class _ZagEntry(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """Exactly zag's 14 keys with zag's types: what zag writes, checked in C by msgspec.

    A store of nothing but such entries (the usual case) decodes without a dict
    per entry; any other entry fails the whole decode, and the store takes the
    generic road (:func:`parse_entry`), which words every rejection.
    """

    id: str
    pid: Annotated[int, msgspec.Meta(ge=0, le=U32_MAX)]
    session_id: str | None
    provider: str
    model: str
    command: str
    prompt: str | None
    started_at: str
    status: str
    exit_code: Annotated[int, msgspec.Meta(ge=I32_MIN, le=I32_MAX)] | None
    exited_at: str | None
    root: str | None
    parent_process_id: str | None
    parent_session_id: str | None


class _ZagDocument(msgspec.Struct, gc=False):
    processes: list[_ZagEntry]


assert _ZagEntry.__struct_fields__ == STANDARD_KEYS
_zag_document = msgspec.json.Decoder(_ZagDocument).decode
_zag_list = msgspec.json.Decoder(list[_ZagEntry]).decode


def _from_zag(items: list[_ZagEntry]) -> tuple[Entry | str, ...]:
    """Entries from already type-checked ones: only started_at is left to check.

    A parent id is the parent's own string when the parent came earlier in ``items``
    (zag registers a parent before its workers): one copy instead of two.
    """
    parsed: list[Entry | str] = []
    append, new_entry = parsed.append, _new_entry
    ids: dict[str, str] = {}
    for item in items:
        entry_id, parent_id = item.id, item.parent_process_id
        ids[entry_id] = entry_id
        if parent_id is not None:
            parent_id = ids.get(parent_id, parent_id)
        append(
            new_entry(
                entry_id,
                item.pid,
                item.session_id,
                item.provider,
                item.model,
                item.command,
                item.prompt,
                item.started_at,
                item.status,
                item.exit_code,
                item.exited_at,
                item.root,
                parent_id,
                item.parent_session_id,
                None,
            )
        )
    return tuple(parsed)


def _processes_list(doc: JSONValue, path: Path) -> list[JSONValue]:
    if not isinstance(doc, dict):
        raise StoreWrongShapeError(
            f'{path}: expected an object with a "processes" list, found {_json_type(doc)}'
        )
    processes = doc.get("processes")
    if not isinstance(processes, list):
        found = 'no "processes" key' if "processes" not in doc else _json_type(processes)
        raise StoreWrongShapeError(f'{path}: expected a "processes" list, found {found}')
    return processes


_OPTIONAL_TEXT: Final = (
    "session_id",
    "prompt",
    "exited_at",
    "root",
    "parent_process_id",
    "parent_session_id",
)
_REQUIRED_TEXT: Final = ("id", "provider", "model", "command", "started_at", "status")


def parse_entry(raw: JSONValue) -> Entry | str:
    """An :class:`Entry`, or the reason zag's reader would reject this entry.

    The common case (a valid entry) is one pass of type checks; the reason for
    a rejection is worked out only when there is one.
    """
    if type(raw) is not dict:
        return f"not an object but {_json_type(raw)}"
    try:  # one C call for zag's 14 keys; a missing one (rare) takes the slower road
        (
            entry_id,
            pid,
            session_id,
            provider,
            model,
            command,
            prompt,
            started_at,
            status,
            exit_code,
            exited_at,
            root,
            parent_id,
            parent_session,
        ) = _standard_values(raw)
        standard = len(raw) == len(STANDARD_KEYS)  # all of zag's keys, and nothing else
    except KeyError:
        standard = False
        get = raw.get
        entry_id, pid, session_id, provider, model = (
            get("id"),
            get("pid"),
            get("session_id"),
            get("provider"),
            get("model"),
        )
        command, prompt, started_at, status = get("command"), get("prompt"), get("started_at"), get("status")
        exit_code, exited_at, root = get("exit_code"), get("exited_at"), get("root")
        parent_id, parent_session = get("parent_process_id"), get("parent_session_id")
    str_ = str
    if not (
        type(entry_id) is str_
        and type(provider) is str_
        and type(model) is str_
        and type(command) is str_
        and type(started_at) is str_
        and type(status) is str_
        and type(pid) is int
        and 0 <= pid <= U32_MAX
        and (exit_code is None or (type(exit_code) is int and I32_MIN <= exit_code <= I32_MAX))
        and (session_id is None or type(session_id) is str_)
        and (prompt is None or type(prompt) is str_)
        and (exited_at is None or type(exited_at) is str_)
        and (root is None or type(root) is str_)
        and (parent_id is None or type(parent_id) is str_)
        and (parent_session is None or type(parent_session) is str_)
    ):
        return _rejection(raw)
    return _new_entry(
        entry_id,
        pid,
        session_id,
        provider,
        model,
        command,
        prompt,
        started_at,
        status,
        exit_code,
        exited_at,
        root,
        parent_id,
        parent_session,
        None if standard else raw,
    )


def _new_entry(
    entry_id: str,
    pid: int,
    session_id: str | None,
    provider: str,
    model: str,
    command: str,
    prompt: str | None,
    started_at: str,
    status: str,
    exit_code: int | None,
    exited_at: str | None,
    root: str | None,
    parent_id: str | None,
    parent_session: str | None,
    unusual: dict[str, JSONValue] | None,
) -> Entry | str:
    """The entry of fields already type-checked, or why not: ``started_at`` must be RFC 3339.
    Short texts that repeat (providers, models, commands, statuses, roots) share one copy."""
    try:
        moment = _fromisoformat(started_at)
    except ValueError:
        return _BAD_START
    if moment.tzinfo is None:
        return _BAD_START
    share = _share
    return Entry(
        entry_id,
        pid,
        session_id,
        share(provider, provider),
        share(model, model),
        share(command, command),
        prompt,
        started_at,
        moment.timestamp(),
        share(status, status),
        exit_code,
        exited_at,
        root if root is None else share(root, root),
        parent_id,
        parent_session,
        unusual,
    )


_fromisoformat = datetime.fromisoformat
_BAD_START: Final = "started_at is not an RFC 3339 time"
_standard_values = itemgetter(*STANDARD_KEYS)
_share = cast("Callable[[str, str], str]", {}.setdefault)
"""One copy of each repeated short text (bounded by the distinct providers, models, roots...)."""


def _rejection(raw: dict[str, JSONValue]) -> str:
    """Why zag's reader would reject ``raw`` (the slow path of :func:`parse_entry`)."""
    for key in _REQUIRED_TEXT:
        if type(raw.get(key)) is not str:
            return f"{key} is missing" if key not in raw else f"{key} is not a string"
    for key in _OPTIONAL_TEXT:
        value = raw.get(key)
        if value is not None and type(value) is not str:
            return f"{key} is neither a string nor null"
    pid = raw.get("pid")
    if type(pid) is not int or not 0 <= pid <= U32_MAX:
        return "pid is missing" if "pid" not in raw else "pid is not an unsigned 32-bit integer"
    return "exit_code is neither a 32-bit integer nor null"


def _json_type(value: JSONValue) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _read_bytes(path: Path) -> tuple[bytes, FileStamp] | None:
    """The file's bytes and stamp, or None if it does not exist."""
    opened = _open_store(path)
    if opened is None:
        return None
    fd, st = opened
    try:
        return _read_all(path, fd), FileStamp.of(st)
    finally:
        os.close(fd)


def _open_store(path: Path) -> tuple[int, os.stat_result] | None:
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


def _read_all(path: Path, fd: int) -> bytes:
    """Everything from the start of the open store (it may have grown since fstat)."""
    try:
        with os.fdopen(fd, "rb", closefd=False) as stream:
            stream.seek(0)
            data = stream.read(MAX_STORE_BYTES + 1)
    except OSError as exc:
        raise StoreUnreadableError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_STORE_BYTES:
        raise StoreTooLargeError(f"{path}: more than the {MAX_STORE_BYTES:,} bytes the tray reads")
    return data


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


def _reject_constant(name: str) -> float:
    raise ValueError(name)


def _decode(path: Path, data: bytes) -> JSONValue:
    """bytes -> JSON value, with zag's (serde_json's) strictness.

    msgspec parses the common case much faster than the stdlib; any document it
    refuses goes to the stdlib, which either accepts it (msgspec is stricter
    about lone surrogates and huge exponents) or says why not, so every error
    is the stdlib's. Writing parses with the stdlib.
    """
    if data.startswith(UTF8_BOM):
        raise StoreNotJsonError(f"{path}: starts with a UTF-8 byte-order mark, which zag cannot read")
    try:
        with _io_lock:
            return msgspec.json.decode(data)
    except _FAST_PARSER_REFUSES:
        return _decode_stdlib(path, data)


def _decode_stdlib(path: Path, data: bytes) -> JSONValue:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreNotJsonError(f"{path}: not UTF-8 (invalid byte at offset {exc.start})") from None
    if not text.strip():
        raise StoreNotJsonError(f"{path}: is empty, not JSON")
    try:
        with _io_lock:
            return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise StoreNotJsonError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except ValueError as exc:  # raised by _reject_constant
        raise StoreNotJsonError(f"{path}: not valid JSON ({exc} is not a JSON number)") from None
    except RecursionError:
        raise StoreTooDeepError(f"{path}: nested too deeply to be a zag store") from None


def serialise(doc: JSONValue) -> bytes:
    """The bytes zag (serde_json ``to_string_pretty``) writes for ``doc``."""
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


_tmp_counter = itertools.count()
_io_lock = threading.Lock()
"""Held while we parse and while we compare-and-swap, so a parse in one of our
threads never stretches another thread's compare-and-swap window."""


def update_entries(
    path: Path, updates: Mapping[str, Mapping[str, JSONValue]], *, only_if_status: str = "running"
) -> set[str]:
    """Set fields on the entries named by id, if their stored status is ``only_if_status``.

    Returns the ids actually changed (an entry zag already finished keeps what
    zag wrote). Raises :class:`StoreError` and leaves the file untouched when
    the store cannot be read, parsed, encoded or replaced.
    """
    for _ in range(WRITE_ATTEMPTS):
        loaded = _read_bytes(path)
        if loaded is None:
            raise StoreWriteError(f"{path}: the store disappeared; nothing written")
        data, stamp = loaded
        if data.startswith(UTF8_BOM):
            raise StoreNotJsonError(f"{path}: starts with a UTF-8 byte-order mark, which zag cannot read")
        doc = _decode_stdlib(path, data)  # exact integers of any size, so what we write back is verbatim
        edits = _apply_updates(path, _processes_list(doc, path), updates, only_if_status)
        if not edits:
            return set()
        payload = _splice(data, edits) or _encode(path, doc)
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
        before = _entry_bytes(path, item)
        item.update(fields)
        edits.append((item["id"], before, _entry_bytes(path, item)))
    return edits


def _entry_bytes(path: Path, item: dict[str, JSONValue]) -> bytes:
    """One entry as it stands inside zag's pretty-printed store, from its line break on."""
    text = _encode(path, item).decode("utf-8")
    return ("\n" + "\n".join("    " + line for line in text.split("\n"))).encode("utf-8")


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


def _encode(path: Path, doc: JSONValue) -> bytes:
    try:
        return serialise(doc)
    except (UnicodeEncodeError, RecursionError, ValueError) as exc:
        message = f"{path}: the store cannot be re-encoded for zag ({exc}); nothing written"
        raise StoreWriteError(message) from None


def _replace_if_unchanged(path: Path, payload: bytes, stamp: FileStamp) -> bool:
    """Write ``payload`` beside ``path`` and put it in place if ``path`` is still ``stamp``."""
    tmp = path.with_name(f".{path.name}.zag-tray.{os.getpid()}.{next(_tmp_counter)}.tmp")
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
        with _io_lock:
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
