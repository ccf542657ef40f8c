"""Write a change back into zag's store, so that zag can still read it and loses nothing.

Only the named fields of the target entries change: in zag's layout every other byte
stays (store/splice.py), unknown keys, numbers as written and entries zag would
reject included; a store not in zag's layout is written whole in it. zag has no
lock: each zag process loads, changes, writes a temp file and renames it over the
store (zag-agent/src/process_store.rs in zag's source). The tray writes the same way, reads again if the
store changed while it wrote, and looks at what its swap replaced (store/swap.py): on
Linux an exchange leaves that file at our temp name. If it is the version we read, the
write is done. If zag saved in between, that save is never put back or deleted: its
entries are merged into what is now in place (store/edit.py) and written again, and
its file is removed only once a write holding them is in place.
A temp file a killed tray process left is carried over and removed the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from zag_tray.agents.entry import JSONValue
from zag_tray.store import swap
from zag_tray.store.edit import Held, Key, Known, Plan, Target, Version, load, plan, writable
from zag_tray.store.errors import StoreError, StoreNotJsonError, StoreWriteError
from zag_tray.store.splice import payload

__all__ = ["WRITE_ATTEMPTS", "Target", "WriteStats", "stats", "update_entries"]

WRITE_ATTEMPTS: Final = 50


@dataclass(slots=True)
class WriteStats:
    """What the writes of this process did (the storm test and benchmarks report them)."""

    writes: int = 0
    """Versions put in place."""
    merges: int = 0
    """Saves of zag's displaced by one of ours and carried into the next."""
    left_behind: int = 0
    """Temp files of gone tray processes carried over and removed."""


stats = WriteStats()


def update_entries(
    path: Path, updates: Mapping[Target, Mapping[str, JSONValue]], *, only_if_status: str = "running"
) -> set[Target]:
    """Set fields on the entries named by id and pid, if their stored status is ``only_if_status``.

    Returns the targets recorded (an entry zag already finished keeps what zag
    wrote). Raises a ``StoreError`` when the store cannot be read, parsed, encoded
    or replaced; what zag saved is kept then too.
    """
    if not all(writable(value) for fields in updates.values() for value in fields.values()):
        raise ValueError(f"not JSON, so never written to zag's store: {updates}")
    writer = _Writer(path, updates, only_if_status)
    try:
        return writer.run()
    finally:
        swap.done_with(*(each.path for each in writer.held))


class _Writer:
    """One update: read, merge what is held, write, swap in, until our version is in place."""

    def __init__(
        self, path: Path, updates: Mapping[Target, Mapping[str, JSONValue]], only_if_status: str
    ) -> None:
        self.path = path
        self.updates = updates
        self.only_if_status = only_if_status
        self.held: list[Held] = []
        self.known: Known | None = None
        self.ours: dict[Key, JSONValue] = {}

    def run(self) -> set[Target]:
        for attempt in range(WRITE_ATTEMPTS):
            current = self._read()
            change = plan(current, self.held, self.known, self.updates, self.only_if_status, self.ours)
            if attempt == 0:
                if not change.recorded:
                    return set()
                self.held = _left_behind(self.path)
                if self.held:
                    change = plan(current, self.held, None, self.updates, self.only_if_status, self.ours)
            if not change.changes:  # the store holds all of it already
                self._carried()
                return change.recorded
            swapped = swap.put_in_place(self.path, self._payload(change), current.status, current.stamp)
            if swapped is None:
                continue
            stats.writes += 1
            self._carried()
            if swapped.expected:
                if swapped.displaced is not None:
                    swap.remove(swapped.displaced)  # the version we read: all of it is in ours
                return change.recorded
            assert swapped.displaced is not None
            self.held = [_displaced(self.path, swapped.displaced)]
            self.known = change.known()
            stats.merges += 1
        kept = "".join(
            f" (a save it displaced is kept as {each.path.name}, for the next write)"
            for each in self.held
            if not each.fill_only
        )
        raise StoreWriteError(
            f"{self.path}: the store kept changing; gave up after {WRITE_ATTEMPTS} tries{kept}"
        )

    def _payload(self, change: Plan) -> bytes:
        try:
            return payload(change)
        except (UnicodeEncodeError, RecursionError, ValueError) as exc:
            message = f"{self.path}: the store cannot be re-encoded for zag ({exc}); nothing written"
            raise StoreWriteError(message) from None

    def _read(self) -> Version:
        current = load(self.path)
        if current is None:
            raise StoreWriteError(f"{self.path}: the store disappeared; nothing written")
        return current

    def _carried(self) -> None:
        """What is held is in place now (or already was): its files go."""
        for each in self.held:
            swap.remove(each.path)
            stats.left_behind += each.fill_only
        self.held = []


def _displaced(path: Path, displaced: Path) -> Held:
    try:
        version = load(displaced)
    except StoreError as exc:
        swap.done_with(displaced)  # left for a later write to carry over, or for a person
        raise StoreWriteError(
            f"{path}: a save made meanwhile was displaced and cannot be read ({exc}); it is kept as"
            f" {displaced.name}"
        ) from None
    if version is None:
        raise StoreWriteError(f"{path}: a save made meanwhile was displaced, then removed by another program")
    return Held(displaced, version)


def _left_behind(path: Path) -> list[Held]:
    """Temp files of tray processes that are gone: each either a version displaced by an
    exchange (carry the entries the store lacks) or an unfinished one of ours (garbage)."""
    held = []
    for leftover in swap.left_behind(path):
        try:
            version = load(leftover)
        except StoreNotJsonError:
            version = None  # cut short: only a write of ours can be unfinished
        except StoreError:
            continue  # not ours to judge: left as it is
        held.append(Held(leftover, version, fill_only=True))
    return held
