"""Which agent an id or a prefix of one names: the rule of ``show``, ``kill`` and ``stop``.

An id or a unique prefix of at least :data:`MIN_ID_PREFIX` characters; an id or prefix of
hex digits matches in any case (zag's ids are lowercase UUIDs, and a pasted or shouted one
is not). :func:`id_matcher` is the same rule as a test of one id, so a reader can pick
the entries it may name from ids alone (store/scan.py) before any entry is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from itertools import compress, count, repeat
from typing import Final

from zag_tray.agents.entry import Entry
from zag_tray.agents.text import one_line

MIN_ID_PREFIX: Final = 4
CANDIDATES_NAMED: Final = 10
"""Ids an ambiguous prefix names; the rest are counted."""
_HEX_ID: Final = re.compile(r"[0-9a-fA-F-]+")


class IdError(Exception):
    """No agent, or more than one, answers to the id given. ``str()`` is one line."""


def resolve_entry(entries: Sequence[Entry], ident: str, where: object) -> Entry:
    """The entry with this id, or with this unique id prefix. Of entries sharing an id, the
    last one stored running, else the last (zag's ``add`` appends): once one of them is
    killed, the other can still be acted on. ``where`` (the store) is named when none is."""
    ident = ident.strip()
    exact = [e for e in entries if e.id == ident]
    if not exact:
        matches = _matching(entries, ident)
        if len(matches) > 1:
            raise IdError(_ambiguous(ident, matches))
        if not matches:
            if len(ident) < MIN_ID_PREFIX:
                raise IdError(
                    f"no agent with id {ident!r}: prefix too short (at least {MIN_ID_PREFIX} characters)"
                )
            raise IdError(f"no agent with id {ident!r} in {where}")
        exact = [e for e in entries if e.id == next(iter(matches))]
    running = [e for e in exact if e.status == "running"]
    return (running or exact)[-1]


def id_matcher(ident: str) -> Callable[[str], bool]:
    """Does an id answer to ``ident``, as :func:`resolve_entry` reads it (the id itself, or one
    it may pick among others)? The entries it is true of are all that function looks at."""
    ident = ident.strip()
    if _HEX_ID.fullmatch(ident) is None:
        return ident.__eq__ if len(ident) < MIN_ID_PREFIX else _starts_with(ident)
    folded = ident.lower()
    if len(ident) < MIN_ID_PREFIX:
        return lambda entry_id: entry_id.lower() == folded
    return lambda entry_id: entry_id.lower().startswith(folded)


def matching_ids(ident: str, ids: Sequence[str]) -> list[int]:
    """The positions of the ``ids`` that answer to ``ident``, as :func:`id_matcher` says of
    each: in C passes over all of them (a lambda per id was 40 ms of ``show`` on 100,000)."""
    ident = ident.strip()
    test = str.__eq__ if len(ident) < MIN_ID_PREFIX else str.startswith
    if _HEX_ID.fullmatch(ident) is None:
        return list(compress(count(), map(test, ids, repeat(ident))))
    ident = ident.lower()
    # In any case: only an id that starts with its first character in either case can (no
    # other character lowercases to a hex digit or a dash), so only those are lowercased.
    first = ident[0]
    candidates = list(compress(count(), map(str.startswith, ids, repeat((first, first.upper())))))
    lowered = [ids[position].lower() for position in candidates]
    return list(compress(candidates, map(test, lowered, repeat(ident))))


def _starts_with(ident: str) -> Callable[[str], bool]:
    return lambda entry_id: entry_id.startswith(ident)


def _matching(entries: Iterable[Entry], ident: str) -> dict[str, Entry]:
    """The entries (the last of each id) whose id starts with ``ident``, or equals it in
    another case; a prefix shorter than :data:`MIN_ID_PREFIX` matches whole ids only."""
    hexadecimal = _HEX_ID.fullmatch(ident) is not None
    folded = ident.lower()
    if len(ident) < MIN_ID_PREFIX:
        if not hexadecimal:
            return {}
        return {e.id: e for e in entries if e.id.lower() == folded}
    if hexadecimal:
        return {e.id: e for e in entries if e.id.lower().startswith(folded)}
    return {e.id: e for e in entries if e.id.startswith(ident)}


def _ambiguous(ident: str, matches: dict[str, Entry]) -> str:
    """ "'5f1c' matches 12 agents: 5f1c2d3e-..., ... and 2 more; give more of the id", the
    newest first (as ``list`` shows them); ids escaped, as the store may hold anything."""
    newest = sorted(matches.values(), key=lambda e: e.sort_key, reverse=True)
    named = ", ".join(one_line(e.id, 60) for e in newest[:CANDIDATES_NAMED])
    more = len(newest) - CANDIDATES_NAMED
    rest = f" and {more} more" if more > 0 else ""
    return f"{ident!r} matches {len(matches)} agents: {named}{rest}; give more of the id"
