"""zag's store as the stdlib reads it: bytes to a JSON value, with every error worded and
nothing rewritten (numbers and repeated keys stay as written), and the ``processes`` list
of it. The reader falls back to this where msgspec's answer could differ from zag's
(store/parse.py); the writer always reads this way (store/edit.py), so a number or a
repeated key comes back out exactly as it went in.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Final

from zag_tray.agents.entry import JSONValue
from zag_tray.store.errors import StoreNotJsonError, StoreTooDeepError, StoreWrongShapeError
from zag_tray.store.layout import UTF8_BOM, NumberText, RepeatedKeys

io_lock = threading.Lock()
"""Held while we parse and while we compare-and-swap (store/write.py), so a parse in one
of our threads (which keeps the GIL for its whole length) never stretches another
thread's compare-and-swap window."""


def store_processes(doc: JSONValue, path: Path) -> list[JSONValue]:
    """The ``processes`` list of a store zag can read, or why not: :func:`processes_list`,
    and the keys of the store's own object as serde_json reads them."""
    if type(doc) is RepeatedKeys and [key for key, _ in doc.pairs].count("processes") > 1:
        raise StoreWrongShapeError(f'{path}: has "processes" twice, which zag cannot read')
    processes = processes_list(doc, path)
    if not all(key.isascii() for key in doc):
        try:
            "".join(doc).encode("utf-8")
        except UnicodeEncodeError:
            raise StoreNotJsonError(f"{path}: a key holds a lone surrogate, which zag cannot read") from None
    return processes


def processes_list(doc: JSONValue, path: Path) -> list[JSONValue]:
    """The ``processes`` list of a decoded store, or :class:`StoreWrongShapeError`."""
    if not isinstance(doc, dict):
        raise StoreWrongShapeError(
            f'{path}: expected an object with a "processes" list, found {json_type(doc)}'
        )
    processes = doc.get("processes")
    if not isinstance(processes, list):
        found = 'no "processes" key' if "processes" not in doc else json_type(processes)
        raise StoreWrongShapeError(f'{path}: expected a "processes" list, found {found}')
    return processes


def json_type(value: JSONValue) -> str:
    names = {
        dict: "an object",
        RepeatedKeys: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        NumberText: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def decode_stdlib(path: Path, data: bytes) -> JSONValue:
    """bytes -> JSON value by the stdlib, every error worded, every number and repeated key
    as written: exact integers, a number a float would not give back (``-0``, ``1E2``,
    ``1e400``) as a :class:`~zag_tray.store.layout.NumberText`, an object with a repeated
    key as a :class:`~zag_tray.store.layout.RepeatedKeys` (all its pairs kept). What the
    reader falls back to and what the writer reads (store/edit.py), so they agree."""
    if data.startswith(UTF8_BOM):
        raise StoreNotJsonError(f"{path}: starts with a UTF-8 byte-order mark, which zag cannot read")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreNotJsonError(f"{path}: not UTF-8 (invalid byte at offset {exc.start})") from None
    if not text.strip():
        raise StoreNotJsonError(f"{path}: is empty, not JSON")
    try:
        with io_lock:
            return json.loads(
                text,
                parse_constant=reject_constant,
                parse_float=json_float,
                parse_int=json_integer,
                object_pairs_hook=json_object,
            )
    except json.JSONDecodeError as exc:
        raise StoreNotJsonError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except ValueError as exc:  # raised by reject_constant
        raise StoreNotJsonError(f"{path}: not valid JSON ({exc} is not a JSON number)") from None
    except RecursionError:
        raise StoreTooDeepError(f"{path}: nested too deeply to be a zag store") from None


def reject_constant(name: str) -> float:
    """``NaN`` and ``Infinity`` are not JSON (Python's parser takes them by default)."""
    raise ValueError(name)


def json_float(text: str) -> float:
    """A JSON number with a fraction or an exponent: a float, or, where a float would not
    give its text back (``1E2``, ``1e400``, ``1.5e-400``), a :class:`NumberText`."""
    number = float(text)
    return number if repr(number) == text else NumberText(text)


def json_object(pairs: list[tuple[str, JSONValue]]) -> dict[str, JSONValue]:
    """An object; one with a repeated key keeps every pair (:class:`RepeatedKeys`)."""
    members = dict(pairs)
    if len(members) == len(pairs):
        return members
    repeated = RepeatedKeys(members)
    repeated.pairs = pairs
    return repeated


def json_integer(text: str) -> int | float:
    """A JSON integer as the stdlib parser's ``parse_int``: an ``int``, or, where an int would
    not give its text back, a :class:`NumberText`: ``-0``, and one of more digits than
    Python converts (4,300), which serde_json still reads (as a float: no typed field of
    zag's takes it, an unknown key keeps it)."""
    if text == "-0" or len(text) > _INT_DIGITS:
        return NumberText(text)
    return int(text)


_INT_DIGITS: Final = 4000
"""Below Python's limit on int() of a string (4,300 digits), with room for a sign."""
