"""The bytes of a write: the current store with only the planned changes, byte for byte.

In zag's layout (store/layout.py) the store is ``HEAD``, its entries' lines joined by
``BETWEEN``, and ``TAIL``; a separator holds raw line breaks, which a JSON string
cannot, so splitting on it finds each entry. A changed entry has only its changed
fields' lines replaced (an entry's own keys are the lines indented exactly
``KEY_INDENT``); an entry carried over from a displaced save, or appended, is written
as zag writes it. Each piece replaced is checked by parsing it, before and after. A
store not in zag's layout is written whole in zag's layout, numbers as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from zag_tray.agents.entry import JSONValue
from zag_tray.store.decode import decode_stdlib
from zag_tray.store.edit import Plan, Version
from zag_tray.store.errors import StoreError
from zag_tray.store.layout import (
    BETWEEN,
    EMPTY,
    HEAD,
    KEY_INDENT,
    TAIL,
    RepeatedKeys,
    entry_piece,
    serialise,
)

MAX_SPLICED: Final = 256
"""More changed entries than this (a merge after a big save of zag's) and the file is
written whole: each spliced piece is parsed twice to check it."""


def payload(plan: Plan) -> bytes:
    """The bytes to put in place of the current version: spliced where it is in zag's layout."""
    current = plan.current
    spliced = _spliced(current, plan)
    if spliced is not None:
        return spliced
    items = plan.items()
    if isinstance(current.doc, RepeatedKeys):  # a repeated key of its own: every pair stays
        whole = RepeatedKeys(current.doc)
        whole.pairs = [(k, items if k == "processes" else v) for k, v in current.doc.pairs]
        return serialise(whole)
    return serialise({**current.doc, "processes": items})


def _spliced(current: Version, plan: Plan) -> bytes | None:
    if type(current.doc) is not dict or list(current.doc) != ["processes"]:
        return None  # a key of its own beside "processes": not what zag writes
    if len(plan.replaced) > MAX_SPLICED:
        return None
    pieces = _pieces(current)
    if pieces is None:
        return None
    for at, item in plan.replaced.items():
        if not _is_piece_of(pieces[at], current.processes[at]):
            return None
        fields = plan.only_fields.get(at)
        piece = _with_fields(pieces[at], item, fields) if fields is not None else None
        piece = piece or entry_piece(item)
        if piece is None:
            return None
        pieces[at] = piece
    for item in plan.appended.values():
        piece = entry_piece(item)
        if piece is None:
            return None
        pieces.append(piece)
    return HEAD + BETWEEN.join(pieces) + TAIL if pieces else EMPTY


def _pieces(current: Version) -> list[bytes] | None:
    """Each entry's bytes between its ``{`` and ``}`` lines, or None if not in zag's layout."""
    data = current.data
    if not current.processes:
        return [] if data == EMPTY else None
    if not (data.startswith(HEAD) and data.endswith(TAIL)) or len(data) < len(HEAD) + len(TAIL):
        return None
    pieces = data[len(HEAD) : len(data) - len(TAIL)].split(BETWEEN)
    return pieces if len(pieces) == len(current.processes) else None


def _is_piece_of(piece: bytes, item: JSONValue) -> bool:
    """Whether ``piece`` is exactly ``item``'s members (the same keys in the same order)."""
    try:
        parsed = decode_stdlib(_PIECE, b"{" + piece + b"}")
    except StoreError:
        return False
    if type(parsed) is not type(item) or parsed != item:
        return False
    if isinstance(item, RepeatedKeys):
        return bool(parsed.pairs == item.pairs)
    return list(parsed) == list(item)


def _with_fields(piece: bytes, item: JSONValue, fields: Mapping[str, JSONValue]) -> bytes | None:
    """``piece`` with the lines of ``fields`` replaced (or added at the end, where zag's
    order puts a key the entry lacked), or None where that would not give ``item``."""
    lines = piece.split(b"\n")
    for key, value in fields.items():
        text = serialise(value)
        prefix = KEY_INDENT + serialise(key) + b": "
        found = [n for n, line in enumerate(lines) if line.startswith(prefix)]
        if b"\n" in text or len(found) > 1:
            return None
        if not found:
            lines[-1] += b","
            lines.append(prefix + text)
            continue
        n = found[0]
        last = n == len(lines) - 1
        if not last and not lines[n + 1].startswith(KEY_INDENT + b'"'):
            return None  # the old value spans lines: leave it to a whole re-encoding of the entry
        lines[n] = prefix + text + (b"" if last else b",")
    spliced = b"\n".join(lines)
    return spliced if _is_piece_of(spliced, item) else None


_PIECE: Final = Path("<an entry's bytes>")
"""What a piece is called in the (never shown) error of one that does not parse."""
