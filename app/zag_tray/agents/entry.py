"""One agent as zag stores it (:class:`Entry`), and the store at one moment (:class:`Snapshot`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from zag_tray.agents.timestamps import parse_rfc3339

if TYPE_CHECKING:
    import os

JSONValue = Any
"""A value as ``json.loads`` returns it."""

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
"""zag's keys of an entry, in the order zag writes them (zag-agent/src/process_store.rs in zag's source)."""


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
    started: float | None
    """``started_at`` as epoch seconds; None when it is not RFC 3339 (zag reads any string
    there, and sorts such an entry as the oldest): shown as stored, with no time worked out."""
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
        return {key: getattr(self, key) for key in STANDARD_KEYS}

    @property
    def ended(self) -> float | None:
        """``exited_at`` as epoch seconds (None if absent or not RFC 3339)."""
        return None if self.exited_at is None else parse_rfc3339(self.exited_at)

    @property
    def sort_key(self) -> tuple[float, str]:
        """zag's order, reversed: newest first by started_at, ties by id descending. A start
        that is not RFC 3339 sorts as the oldest (zag compares an unreadable time as None,
        below every time: ``list_recent`` in zag-agent/src/process_store.rs)."""
        started = self.started
        return (-math.inf if started is None else started, self.id)


class SkippedEntry(msgspec.Struct, frozen=True):
    """An entry zag's reader would reject: its position and why."""

    index: int
    reason: str


class FileStamp(msgspec.Struct, frozen=True):
    """What identifies one version of the file: zag's atomic rename changes the inode."""

    inode: int
    device: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStamp:
        return cls(st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)


class Snapshot(msgspec.Struct, frozen=True):
    """The store at one moment: valid entries in file order, and what was skipped."""

    path: Path
    entries: tuple[Entry, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    stamp: FileStamp | None = None

    @property
    def exists(self) -> bool:
        return self.stamp is not None


class SnapshotChange(msgspec.Struct, frozen=True):
    """The entries of ``before`` that were replaced, and what replaced them, in file order.

    Every other entry of the new snapshot is the very object it was in ``before``.
    """

    before: Snapshot
    removed: tuple[Entry, ...]
    added: tuple[Entry, ...]
