"""zag's byte layout of ``processes.json``, written down once.

zag saves with serde_json's ``to_string_pretty`` (zag-agent/src/process_store.rs in
zag's source), which is what ``json.dumps(indent=2, ensure_ascii=False)`` writes. The layout is deterministic,
which is what lets the reader re-parse only the entries whose bytes changed
(store/reader.py) and the writer replace one entry's bytes in place
(store/write.py). The separators hold raw line breaks, which JSON strings cannot,
and an indentation only top-level entries have, so they never match inside a value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Final

from zag_tray.agents.entry import JSONValue

INDENT: Final = 2
"""serde_json's pretty printer indents by two spaces."""
ENTRY_INDENT: Final = " " * (2 * INDENT)
"""An entry's own lines inside ``{"processes": [ ... ]}``."""

HEAD: Final = f'{{\n  "processes": [\n{ENTRY_INDENT}{{\n'.encode()
"""Everything before the first key of the first entry."""
TAIL: Final = f"\n{ENTRY_INDENT}}}\n  ]\n}}".encode()
"""Everything after the last value of the last entry."""
BETWEEN: Final = f"\n{ENTRY_INDENT}}},\n{ENTRY_INDENT}{{\n".encode()
"""What stands between two entries."""
EMPTY: Final = b'{\n  "processes": []\n}'
"""A store with no entries."""
UTF8_BOM: Final = b"\xef\xbb\xbf"


class NumberText(float):
    """A JSON number kept as written, where a float would not give its text back.

    ``1e400`` would come back as ``Infinity`` (not JSON), ``1E2`` as ``100.0``,
    ``1.5e-400`` as ``0.0`` and ``-0`` as ``0``: the writer (store/write.py) reads
    such numbers as this and :func:`serialise` writes :attr:`text` again. Its value
    is the float's, so zag's typed fields refuse it as zag does (serde_json reads
    each of these as a float, never as an integer).
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> NumberText:
        number = super().__new__(cls, text)
        number.text = text
        return number


class RepeatedKeys(dict[str, JSONValue]):
    """An object that holds a key more than once, kept with every pair as written.

    serde_json refuses a repeated field in zag's entry, and a dict would keep only
    the last value: the writer neither changes such an entry nor "repairs" it.
    """

    __slots__ = ("pairs",)
    pairs: list[tuple[str, JSONValue]]


def serialise(doc: JSONValue) -> bytes:
    """The bytes zag (serde_json ``to_string_pretty``) writes for ``doc``.

    What ``json.dumps(doc, indent=2, ensure_ascii=False)`` writes, and a
    :class:`NumberText` as its text.
    """
    out: list[str] = []
    _write(doc, "\n", out)
    return "".join(out).encode("utf-8")


_encode = json.JSONEncoder(ensure_ascii=False).encode
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _quote(text: str) -> str:
    """A string as JSON, as serde_json writes it (the same escapes, non-ASCII raw); a lone
    surrogate, which only an unknown key zag skips can hold, as the escape it was read from
    (UTF-8 cannot hold it raw)."""
    quoted = _encode(text)
    if quoted.isascii():
        return quoted
    return _LONE_SURROGATE.sub(_escaped, quoted)


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _write(value: JSONValue, newline: str, out: list[str]) -> None:
    """Append ``value`` to ``out``; ``newline`` is a line break and this value's indentation."""
    if isinstance(value, str):
        out.append(_quote(value))
    elif value is None or value is True or value is False:
        out.append(_CONSTANTS[value])
    elif isinstance(value, NumberText):
        out.append(value.text)
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(float.__repr__(value) if math.isfinite(value) else _NOT_FINITE[repr(value)])
    elif isinstance(value, dict):
        _write_members(value.pairs if isinstance(value, RepeatedKeys) else value.items(), newline, out)
    elif isinstance(value, list | tuple):
        _write_items(value, newline, out)
    else:
        raise ValueError(f"{type(value).__name__} is not a JSON value")


def _write_members(pairs: Iterable[tuple[str, JSONValue]], newline: str, out: list[str]) -> None:
    inner = newline + INDENT * " "
    separator = "{" + inner
    for key, item in pairs:
        if not isinstance(key, str):
            raise ValueError(f"a key {key!r} is not a string")
        out.append(separator + _quote(key) + ": ")
        _write(item, inner, out)
        separator = "," + inner
    out.append("{}" if separator[0] == "{" else newline + "}")


def _write_items(value: list[JSONValue] | tuple[JSONValue, ...], newline: str, out: list[str]) -> None:
    if not value:
        out.append("[]")
        return
    inner = newline + INDENT * " "
    separator = "[" + inner
    for item in value:
        out.append(separator)
        _write(item, inner, out)
        separator = "," + inner
    out.append(newline + "]")


_CONSTANTS: Final = {None: "null", True: "true", False: "false"}
_NOT_FINITE: Final = {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}
"""What json.dumps writes for them: not JSON, and no reader of zag's takes it. The writer
never has such a float to write: it reads numbers as :class:`NumberText`."""


def entry_bytes(item: JSONValue) -> bytes:
    """One entry as it stands inside zag's store, from the line break before it on."""
    text = serialise(item).decode("utf-8")
    return ("\n" + "\n".join(ENTRY_INDENT + line for line in text.split("\n"))).encode("utf-8")


def entry_piece(item: JSONValue) -> bytes | None:
    """An entry's lines between the ``{`` and ``}`` lines that :data:`BETWEEN` holds, or None
    for a value that is not a non-empty object (it cannot stand between them)."""
    if not isinstance(item, dict) or not item:
        return None
    whole = entry_bytes(item)
    return whole[len(OPEN) : len(whole) - len(CLOSE)]


OPEN: Final = f"\n{ENTRY_INDENT}{{\n".encode()
"""How :func:`entry_bytes` begins: the line break and the entry's ``{`` line."""
CLOSE: Final = f"\n{ENTRY_INDENT}}}".encode()
"""How :func:`entry_bytes` ends: the entry's ``}`` line."""
KEY_INDENT: Final = (ENTRY_INDENT + " " * INDENT).encode()
"""The indentation of an entry's own keys (deeper lines belong to their values)."""
