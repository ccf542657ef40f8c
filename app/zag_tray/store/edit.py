"""What one write changes: the store read for writing, the versions of zag's it must carry
over, and our fields set on the target entries.

Reading for a write keeps what the reader may round off: a number keeps its text
(``layout.NumberText``: ``1e400`` is not written back as ``Infinity``) and an object
with a repeated key keeps every pair (``layout.RepeatedKeys``), so whatever is written
back is what zag wrote. Entries are matched by id (zag's own key: its ``add``
replaces an entry of the same id), the n-th of a repeated id with the n-th.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, NamedTuple

from zag_tray.agents.entry import FileStamp, JSONValue
from zag_tray.store.decode import decode_stdlib, store_processes
from zag_tray.store.layout import NumberText, serialise
from zag_tray.store.parse import parse_entry
from zag_tray.store.read import open_store, read_all


class Target(NamedTuple):
    """An entry to change: its id and the pid it names. Ids can repeat (zag does not
    prevent it), so a kill names the entry whose process it signalled by both."""

    id: str
    pid: int


Key = tuple[str, str, int]
"""Which entry an item is across versions: ("id", its id, n) for the n-th entry of that
id, ("value", its JSON, n) for anything without an id (kept, never changed)."""


@dataclass(frozen=True, slots=True)
class Version:
    """One version of the store, read for writing."""

    path: Path
    data: bytes
    stamp: FileStamp
    status: os.stat_result
    doc: dict[str, JSONValue]
    processes: list[JSONValue]


def load(path: Path) -> Version | None:
    """The version at ``path`` (the store, or where an exchange displaced one), or None if
    there is none. A file that is not a store zag can read is a ``StoreError``."""
    opened = open_store(path)
    if opened is None:
        return None
    fd, status = opened
    try:
        data = read_all(path, fd)
    finally:
        os.close(fd)
    doc = decode_stdlib(path, data)
    processes = store_processes(doc, path)
    return Version(path, data, FileStamp.of(status), status, doc, processes)


@dataclass(frozen=True, slots=True)
class Held:
    """A version displaced by our exchange (or left behind by a tray that is gone) whose
    entries must be carried into what we write before its file may be removed."""

    path: Path
    version: Version | None  # None: a temp file of ours that was never finished
    fill_only: bool = False  # left behind: carry only entries the store lacks


@dataclass(frozen=True, slots=True)
class Known:
    """The versions of each entry that our last write was based on and wrote: an entry a
    displaced save holds otherwise is news, one the store holds otherwise is newer."""

    read: dict[Key, JSONValue]
    written: dict[Key, JSONValue]

    def has(self, key: Key, item: JSONValue) -> bool:
        return bool(self.read.get(key, _MISSING) == item or self.written.get(key, _MISSING) == item)


_MISSING: Final = object()


@dataclass
class Plan:
    """What to write over ``current``: entries replaced (by position), entries appended,
    the positions where only our fields changed, and the targets recorded."""

    current: Version
    replaced: dict[int, JSONValue] = field(default_factory=dict)
    appended: dict[Key, JSONValue] = field(default_factory=dict)
    only_fields: dict[int, Mapping[str, JSONValue]] = field(default_factory=dict)
    recorded: set[Target] = field(default_factory=set)

    @property
    def changes(self) -> bool:
        return bool(self.replaced or self.appended)

    @functools.cached_property
    def keys(self) -> list[Key]:
        """The current entries' keys (only a merge needs them all: a kill seldom merges)."""
        return keys_of(self.current.processes)

    def items(self) -> list[JSONValue]:
        items = list(self.current.processes)
        for at, item in self.replaced.items():
            items[at] = item
        return items + list(self.appended.values())

    def known(self) -> Known:
        read = dict(zip(self.keys, self.current.processes, strict=True))
        written = read | {self.keys[at]: item for at, item in self.replaced.items()} | self.appended
        return Known(read, written)


def plan(
    current: Version,
    held: Sequence[Held],
    known: Known | None,
    updates: Mapping[Target, Mapping[str, JSONValue]],
    only_if_status: str,
    ours: dict[Key, JSONValue],
) -> Plan:
    """The held versions' entries merged into ``current``, then ``updates`` applied to the
    targets still stored with ``only_if_status``. ``ours`` collects what we set, so that a
    target already holding it (from an earlier write of this call) counts as recorded."""
    result = Plan(current)
    if any(each.version is not None for each in held):
        _merge(held, known, result)
    _apply(updates, only_if_status, ours, result)
    return result


def keys_of(items: Iterable[JSONValue]) -> list[Key]:
    keys: list[Key] = []
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        entry_id = item.get("id") if type(item) is dict else None
        base = ("id", entry_id) if type(entry_id) is str else ("value", json.dumps(item, sort_keys=True))
        count = seen.get(base, 0)
        seen[base] = count + 1
        keys.append((*base, count))
    return keys


def _merge(held: Sequence[Held], known: Known | None, result: Plan) -> None:
    """Every entry stored running in a held version that the current one lacks is appended
    (zag's ``add`` stores a new agent running; a finished one missing from the store was
    removed since, by ``zag gc``, which never removes a running one: ZAG_SESSIONS.md 5.2);
    one that both hold is taken from the held version when only that one changed it since
    ``known``."""
    at = {key: n for n, key in enumerate(result.keys)}
    current = result.current.processes
    for each in held:
        if each.version is None:
            continue
        items = each.version.processes
        for key, item in zip(keys_of(items), items, strict=True):
            n = at.get(key)
            if n is None:
                if _stored_running(item) and not (each.fill_only and key in result.appended):
                    result.appended[key] = item
            elif not each.fill_only and known is not None:
                mine = current[n]
                if item != mine and known.has(key, mine) and not known.has(key, item):
                    result.replaced[n] = item


def _stored_running(item: JSONValue) -> bool:
    return type(item) is dict and item.get("status") == "running"


def _apply(
    updates: Mapping[Target, Mapping[str, JSONValue]],
    only_if_status: str,
    ours: dict[Key, JSONValue],
    result: Plan,
) -> None:
    """Our fields on the targets: a scan for their ids, then each checked in full."""
    ids = {target.id for target in updates}
    seen: dict[str, int] = {}
    for n, stored in enumerate(result.current.processes):
        # An entry zag would skip may hold anything as its id (a list is not hashable).
        entry_id = stored.get("id") if type(stored) is dict else None
        if type(entry_id) is not str or entry_id not in ids:
            continue
        key: Key = ("id", entry_id, seen.get(entry_id, 0))  # as keys_of() names it
        seen[entry_id] = key[2] + 1
        merged = n in result.replaced
        changed = _updated(
            result.replaced[n] if merged else stored, key, updates, only_if_status, ours, result
        )
        if changed is not None:
            result.replaced[n] = changed
            if not merged:  # the entry's bytes stay but for these fields (store/splice.py)
                result.only_fields[n] = updates[Target(changed["id"], changed["pid"])]
    for key, item in list(result.appended.items()):
        changed = _updated(item, key, updates, only_if_status, ours, result)
        if changed is not None:
            result.appended[key] = changed


def _updated(
    item: JSONValue,
    key: Key,
    updates: Mapping[Target, Mapping[str, JSONValue]],
    only_if_status: str,
    ours: dict[Key, JSONValue],
    result: Plan,
) -> dict[str, JSONValue] | None:
    """``item`` with our fields set, if it is a target still ``only_if_status`` that zag
    would read (an entry zag rejects is never touched). Notes recorded targets."""
    target = _target(item)
    if target is None or target not in updates:
        return None
    if key in ours and ours[key] == item:
        result.recorded.add(target)  # holds what an earlier write of ours set
        return None
    if item.get("status") != only_if_status or not _zag_reads(item):
        return None
    changed = dict(item)
    changed.update(updates[target])
    ours[key] = changed
    result.recorded.add(target)
    return changed


def _zag_reads(item: JSONValue) -> bool:
    """Whether zag's reader takes the entry: its rule (store/parse.py), and text that UTF-8
    can hold (a lone surrogate, which JSON can escape, cannot be)."""
    if isinstance(parse_entry(item), str):
        return False
    try:
        serialise(item)
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


def writable(value: JSONValue) -> bool:
    """Whether ``value`` is JSON: a float beyond it (infinity, NaN) would be written as
    ``Infinity``, which zag's reader refuses (a :class:`NumberText` keeps its own text)."""
    if isinstance(value, float) and not isinstance(value, NumberText):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(map(writable, value.values()))
    if isinstance(value, list | tuple):
        return all(map(writable, value))
    return True


def _target(item: JSONValue) -> Target | None:
    if type(item) is not dict:
        return None  # not an object, or one with a repeated key: never changed
    entry_id, pid = item.get("id"), item.get("pid")
    if type(entry_id) is not str or type(pid) is not int:
        return None
    return Target(entry_id, pid)
