"""What a scan keeps of each entry it checked, a list per key, and the questions asked of them.

store/scan.py checks every entry of a store but builds only the few a command shows; which
ones, the command works out from these columns: the entries stored running, the ids that
answer to ``show ID``, the children and parents of those. A big store is checked in two
processes (store/halves.py), each keeping the columns of its own half: the questions are
what one process asks of the other's columns instead of sending them over (50,000 ids,
sessions and links: 30 ms of a ``show``), so every question here takes and gives plain
values (lists of text, positions) that a pipe carries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from itertools import compress, count
from operator import attrgetter
from typing import Any, Final, Literal

from zag_tray.agents.ids import matching_ids

Column = Literal["ids", "sessions", "parents", "parent_sessions"]
QUESTIONS: Final = frozenset({"where", "where_id", "values", "has_any", "column"})
"""The methods of :class:`Columns` another process may call (store/halves.py)."""

PASSES_BEFORE_INDEX: Final = 16
"""Questions of one column answered by a pass over it (1 ms for 50,000 entries); after them,
an index of its values answers (25 ms to build): a deep tree asks once per generation, a
10,000-deep chain 10,000 times."""

_ID, _SESSION = attrgetter("id"), attrgetter("session_id")
_PARENT, _PARENT_SESSION = attrgetter("parent_process_id"), attrgetter("parent_session_id")


class Columns:
    """Each checked entry's id, and with ``links`` its session and parent links, by position
    (the first entry added is 0)."""

    def __init__(self, *, links: bool) -> None:
        self.links = links
        self.ids: list[str] = []
        self.sessions: list[str | None] = []
        self.parents: list[str | None] = []
        self.parent_sessions: list[str | None] = []
        self._asked: dict[str, int] = {}
        self._indexes: dict[str, dict[Any, list[int]]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, items: list[Any]) -> None:
        """The checked entries ``items`` (msgspec structs of zag's keys)."""
        self._indexes.clear()
        self.ids += map(_ID, items)
        if self.links:
            self.sessions += map(_SESSION, items)
            self.parents += map(_PARENT, items)
            self.parent_sessions += map(_PARENT_SESSION, items)

    def where(self, name: Column, wanted: Collection[Any]) -> list[int]:
        """The positions whose value in column ``name`` is one of ``wanted``, in order."""
        if not wanted:
            return []
        column: list[Any] = getattr(self, name)
        asked = self._asked[name] = self._asked.get(name, 0) + 1
        if asked <= PASSES_BEFORE_INDEX:
            return matching(column, wanted if isinstance(wanted, set | frozenset | dict) else set(wanted))
        index = self._indexes.get(name)
        if index is None:
            index = self._indexes[name] = _by_value(column)
        return sorted(position for value in wanted for position in index.get(value, ()))

    def where_id(self, ident: str) -> list[int]:
        """The positions whose id answers to ``ident`` (agents/ids.py's ``matching_ids``)."""
        return matching_ids(ident, self.ids)

    def values(self, name: Column, positions: Iterable[int]) -> list[Any]:
        """The values of column ``name`` at ``positions``, in their order."""
        return list(map(getattr(self, name).__getitem__, positions))

    def has_any(self, name: Column) -> bool:
        """Whether any value of column ``name`` is not null."""
        column: list[Any] = getattr(self, name)
        return column.count(None) != len(column)

    def column(self, name: Column) -> list[Any]:
        """Column ``name`` whole."""
        return getattr(self, name)  # type: ignore[no-any-return]


def matching(column: list[Any], wanted: Collection[Any]) -> list[int]:
    """The positions whose value in ``column`` is one of ``wanted`` (a pass in C)."""
    if not wanted:
        return []
    return list(compress(count(), map(wanted.__contains__, column)))


def _by_value(column: list[Any]) -> dict[Any, list[int]]:
    index: dict[Any, list[int]] = {}
    for position, value in enumerate(column):
        if value is not None:
            index.setdefault(value, []).append(position)
    return index
