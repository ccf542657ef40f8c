"""``list --all`` of a big store: every entry, without an Entry or a Node each.

A heavy user's store holds 100,000 entries. Read as entries and drawn as a forest of nodes,
each costs some microseconds of Python, and ``list --all --json`` took 2 s. Here the store
is scanned (store/scan.py: every entry checked as the full parse checks it) into items that
already have the output's shape (zag's keys, then ``live_status`` and ``children`` or
``parent``: :func:`~zag_tray.store.parse.exact_type`), the forest is worked out from
columns (agents/tree.py's :func:`~zag_tray.agents.tree.forest_links`), and msgspec writes
the JSON, pretty as ``json.dumps(indent=2)`` writes it, a batch of roots at a time, so the
text of every agent is never held at once. The table is drawn from the same items, their
columns taken in the order of the tree (cli/listing.py's :class:`~zag_tray.cli.listing.Rows`).

What this does not cover is answered by cli/reading.py's own path, from a full parse: a
store not in zag's layout, or holding an entry that is not exactly zag's; a tree deeper
than the JSON's indentation (agents/jsontext.py: ``MAX_INDENT``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterable, Iterator
from itertools import repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, Final

import msgspec

from zag_tray.agents.entry import Entry, FileStamp, Snapshot
from zag_tray.agents.jsontext import MAX_INDENT, json_text
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.timestamps import parse_rfc3339_each
from zag_tray.agents.tree import forest_children, forest_links, walk_links
from zag_tray.cli import _store, keep
from zag_tray.cli.columns import live_statuses
from zag_tray.cli.listing import drawn, print_table, rows_of
from zag_tray.cli.views import activity_json
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.sessions.tracker import activities
from zag_tray.store.columns import matching
from zag_tray.store.parse import exact_type
from zag_tray.store.read import read_store
from zag_tray.store.scan import Scanned, read_scanned

NESTED: Final = exact_type(
    "Nested", [("live_status", str, ""), ("activity", Any, None), ("children", tuple, ())]
)
"""An entry of ``list --all --json``: zag's keys, its live status, its activity and children."""
ROW: Final = exact_type("Row", [])
"""An entry of ``list --all``: zag's keys."""
FLAT: Final = exact_type(
    "Flat", [("live_status", str, ""), ("activity", Any, None), ("parent", str | None, None)]
)
"""An entry of ``list --all --json --flat``: zag's keys, live status, activity and tree parent."""

MAX_DEPTH: Final = (MAX_INDENT - 2) // 2
"""The deepest agent whose JSON is indented in full (its keys at level ``2 + 2 * depth``)."""
BATCH: Final = 2000
"""Roots written at a time."""

_STATUS, _STARTED_AT = attrgetter("status"), attrgetter("started_at")
_VALUE: Final = {status: status.value for status in LiveStatus}.__getitem__
"""A live status's text (a dict is looked up in C; an Enum's ``value`` is a Python property)."""


def list_every_json(args: argparse.Namespace) -> Snapshot | None:
    """``list --all --json [--flat]`` written; or, where this cannot answer, the snapshot of
    every entry (read whole) for cli/reading.py to answer from."""
    store = _store(args)
    answer = read_scanned(store, _checked_scan, columns=True, keep=FLAT if args.flat else NESTED)
    if isinstance(answer, Snapshot):
        return answer
    scanned, checked, running = answer
    items, ids = scanned.items, scanned.column("ids")
    _set_live_statuses(scanned, checked)
    if not _set_activities(scanned, store.parent, running, time.time()):
        return read_store(store)  # an activity JSON cannot hold as it is: its own path
    starts, parents, order = _forest(scanned)
    if args.flat:
        _, children = forest_children(parents, order)
        for parent, kids in children.items():
            for kid in kids:
                items[kid].parent = ids[parent]
        shown = list(map(items.__getitem__, map(itemgetter(1), walk_links(parents, order))))
    else:
        if _deeper_than(parents, MAX_DEPTH):
            return read_store(store)  # indented only so deep (json_text): its own path
        roots, children = forest_children(parents, order)
        for parent, kids in children.items():
            items[parent].children = list(map(items.__getitem__, kids))
        shown = list(map(items.__getitem__, roots))
    _write(_json_lines(shown))
    keep(answer, shown, starts, parents, order)
    return None


def list_every_table(args: argparse.Namespace) -> Snapshot | None:
    """``list --all`` written (cli/listing.py's table); or, where this cannot answer, the
    snapshot of every entry (read whole) for cli/reading.py to answer from."""
    store = _store(args)
    answer = read_scanned(store, _checked_scan, columns=True, keep=ROW)
    if isinstance(answer, Snapshot):
        return answer
    scanned, checked, running = answer
    items = scanned.items
    if not items:
        return Snapshot(store, ())  # "No agents in ...": cli/reading.py says it
    now = time.time()
    activity = activities(store.parent, running, now)
    starts, parents, order = _forest(scanned)
    roots, children = forest_children(parents, order)
    trees, positions = drawn(roots, children.get)
    shown = list(map(items.__getitem__, positions))
    codes = list(map(scanned.exit_codes.__getitem__, positions))
    rows = rows_of(trees, shown, list(map(starts.__getitem__, positions)), codes, checked)
    print_table(rows, now, activity, args.color)
    keep(answer, starts, parents, order, children, positions, rows)
    return None


def _forest(scanned: Scanned) -> tuple[list[float | None], list[int | None], list[int]]:
    """Each kept item's start, and agents/tree.py's ``forest_links`` of them."""
    starts = parse_rfc3339_each(list(map(_STARTED_AT, scanned.items)))
    column = scanned.column
    parents, order = forest_links(
        column("ids"), column("parents"), column("parent_sessions"), column("sessions"), starts
    )
    return starts, parents, order


def _deeper_than(parents: list[int | None], depth: int) -> bool:
    """Does any chain of parents hold more than ``depth`` links?"""
    reach = [parent for parent in parents if parent is not None]  # one link up from each child
    for _ in range(depth):
        reach = [up for up in map(parents.__getitem__, reach) if up is not None]
        if not reach:
            return False
    return True


def _checked_scan(
    scanned: Scanned, stamp: FileStamp | None
) -> tuple[Scanned, dict[str, LiveStatus], list[Entry]]:
    """The scanned store, the live status of the entries stored running, by id, and the entries
    whose process verifiably runs (cli/views.py's ``running_entries``), built while the store
    is open: those stored running and those that share an id with one."""
    entries = scanned.entries(scanned.where("ids", set(scanned.values("ids", scanned.running))))
    checked = LivenessChecker().statuses(e for e in entries if e.status == "running")
    return scanned, checked, [e for e in entries if checked.get(e.id) is LiveStatus.RUNNING]


def _set_activities(scanned: Scanned, base: Path, running: list[Entry], now: float) -> bool:
    """Each item's ``activity``: the object of cli/views.py's ``activity_json`` for a running
    agent whose log was read (written by json_text, as ``list --json`` writes it: its text is
    carried into the output as it is), null for the others. False where one is not JSON that
    msgspec can indent (a NaN in a hostile log): then the full path writes it."""
    if not running:
        return True
    read = activities(base, running, now)
    texts = {
        entry_id: json_text(activity_json(activity, now), indent=False) for entry_id, activity in read.items()
    }
    try:
        for text in texts.values():
            msgspec.json.decode(text)
    except msgspec.DecodeError:
        return False
    items, ids = scanned.items, scanned.column("ids")
    for position in matching(ids, texts):
        items[position].activity = msgspec.Raw(texts[ids[position]].encode())
    return True


def _set_live_statuses(scanned: Scanned, checked: dict[str, LiveStatus]) -> None:
    """agents/status.py's ``live_status`` of every item (cli/columns.py's ``live_statuses``)."""
    items = scanned.items
    live = live_statuses(scanned.column("ids"), list(map(_STATUS, items)), checked)
    for _ in map(setattr, items, repeat("live_status"), map(_VALUE, live)):
        pass


_HIDDEN: Final = (  # each byte that starts one, and how to find them
    (b"\x7f", re.compile(b"\x7f")),
    (b"\xc2", re.compile(b"\xc2[\x80-\x9f]")),
    (b"\xd8", re.compile(b"\xd8\x9c")),
    (b"\xe2", re.compile(b"\xe2(?:\x80[\x8e\x8f\xa8-\xae]|\x81[\xa6-\xa9])")),
)
"""agents/jsontext.py's characters that JSON leaves raw (all but lone surrogates, which no
entry read exactly as zag's holds), as the UTF-8 msgspec writes them: DEL, the C1 controls,
U+061C, U+200E-F, U+2028-2029, U+202A-E and U+2066-9."""


def _json_lines(shown: list[Any]) -> Iterator[bytes | memoryview]:
    """``shown`` as agents/jsontext.py writes it (``json.dumps(indent=2)``, the hidden characters
    as ``\\u`` escapes), a batch of roots at a time: msgspec's compact JSON, indented."""
    if not shown:
        yield b"[]\n"
        return
    encode, separator = msgspec.json.Encoder().encode, b"[\n"
    for start in range(0, len(shown), BATCH):
        text = msgspec.json.format(encode(shown[start : start + BATCH]), indent=2)
        for lead, hidden in _HIDDEN:
            if lead in text:  # the byte alone: a search in C at memory speed
                text = hidden.sub(_escaped, text)
        yield separator
        yield memoryview(text)[2:-2]  # "[\n" ... "\n]": the roots, at the top list's indentation
        separator = b",\n"
    yield b"\n]\n"


def _escaped(match: re.Match[bytes]) -> bytes:
    return f"\\u{ord(match.group().decode()):04x}".encode()


def _write(chunks: Iterable[bytes | memoryview]) -> None:
    out = sys.stdout
    out.flush()
    raw = getattr(out, "buffer", None)
    for chunk in chunks:
        if raw is not None:
            raw.write(chunk)
        else:  # a text stream of a test
            out.write(bytes(chunk).decode())
    if raw is not None:
        raw.flush()
