"""JSON text of stored values for a terminal or a pipe: no recursion, no raw hidden characters.

``json.dumps`` recurses: an agent's children nest in the CLI's JSON, so a chain of 10,000
agents is a document 20,000 levels deep, and it raised RecursionError at 500. This
writer keeps its own stack and hands json's C encoder only containers with nothing
nested in them (nearly every agent), so it is also faster than ``indent=2``'s Python code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from json.encoder import encode_basestring  # C: what json.dumps(ensure_ascii=False) writes for a str
from typing import Any, Final

from zag_tray.agents.text import HIDDEN_CHARACTERS

MAX_INDENT: Final = 32
"""Levels indented; deeper ones are written at this indentation. Indented in full, the
20,000 levels of a 10,000-deep chain of agents would be gigabytes of spaces."""

_NEWLINES: Final = ["\n" + "  " * level for level in range(MAX_INDENT + 1)]
_FLAT: Final = [
    json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=("," + newline, ": "))
    for newline in _NEWLINES
]
"""json's C encoder for a container with nothing nested in it, for each level: it writes
the layout ``indent=2`` gives when its item separator carries that level's indentation."""
_COMPACT: Final = json.JSONEncoder(ensure_ascii=False, check_circular=False)
_CONTAINERS: Final = frozenset((dict, list))
_HIDDEN_LEFT_RAW: Final = re.compile(f"[{HIDDEN_CHARACTERS.replace(chr(0) + '-' + chr(0x1F), '')}]")
"""The hidden characters of agents/text.py that json writes raw: all but the C0 controls,
which it escapes itself. They can only be inside strings: the JSON around them is ASCII."""

OpenItems = list[tuple[Iterator[Any], bool]]
"""The containers being written, outermost first: the items left of each, and is it a dict."""


def json_text(value: Any, *, indent: bool = True) -> str:
    """``value`` as ``json.dumps(value, indent=2 if indent else None, ensure_ascii=False)``
    writes it (up to :data:`MAX_INDENT` levels of indentation), at any depth, with the C1
    controls, DEL, U+2028/2029 and the bidi controls as ``\\u`` escapes too. The text reads
    back as the same value."""
    out: list[str] = []
    open_items: OpenItems = []
    if _nested(value):
        _open(value, open_items, out, indent)
    else:
        out.append(_flat(value, 0, indent))
    while open_items:
        _write_items(open_items, out, indent)
    text = "".join(out)
    if text.isascii() and "\x7f" not in text:  # isascii() is O(1): no scan in the usual case
        return text
    return "".join(c if c.isascii() and "\x7f" not in c else _HIDDEN_LEFT_RAW.sub(_escape, c) for c in out)


def _nested(value: Any) -> bool:
    """Is ``value`` a dict or list holding a non-empty dict or list?"""
    if not isinstance(value, dict | list):
        return False
    return _any_container(value.values() if isinstance(value, dict) else value)


def _any_container(values: Iterable[Any]) -> bool:
    # filter(None, ...) drops the empty containers (written {} and []) with the other falsy leaves
    return not _CONTAINERS.isdisjoint(map(type, filter(None, values)))


def _open(value: dict[str, Any] | list[Any], open_items: OpenItems, out: list[str], indent: bool) -> None:
    if isinstance(value, list):
        out.append("[")
        open_items.append((iter(value), False))
        return
    out.append("{")
    items = iter(value.items())
    open_items.append((items, True))
    head = len(value) - 1  # an agent's keys, then its children: the keys go to the C encoder at once
    if head and not _any_container(islice(value.values(), head)):
        _write_run(dict(islice(items, head)), True, len(open_items), out, indent)


def _write_items(open_items: OpenItems, out: list[str], indent: bool) -> None:
    """Write the innermost open container's items up to one that nests more (then opened),
    or to its end (then closed). Runs of other items go to the C encoder together."""
    items, is_dict = open_items[-1]
    level = len(open_items)
    run: dict[Any, Any] = {}  # a list's items are keyed by position: only the values are written
    for item in items:
        if is_dict:
            key, value = item
        else:
            key, value = len(run), item
        if not (isinstance(value, dict | list) and value):
            run[key] = value
            continue
        _write_run(run, is_dict, level, out, indent)
        gap = _gap(out, level, indent) + (f"{encode_basestring(key)}: " if is_dict else "")
        if _nested(value):
            out.append(gap)
            _open(value, open_items, out, indent)
            return
        out.append(gap + _flat(value, level, indent))
    _write_run(run, is_dict, level, out, indent)
    open_items.pop()
    out.append((_NEWLINES[min(level - 1, MAX_INDENT)] if indent else "") + ("}" if is_dict else "]"))


def _write_run(run: dict[Any, Any], is_dict: bool, level: int, out: list[str], indent: bool) -> None:
    """Write (then forget) items of the container at ``level``: their text, without brackets."""
    if run:
        encoder = _FLAT[min(level, MAX_INDENT)] if indent else _COMPACT
        text = encoder.encode(run if is_dict else list(run.values()))
        out.append(_gap(out, level, indent) + text[1:-1])
        run.clear()


def _gap(out: list[str], level: int, indent: bool) -> str:
    """What goes before the next item: a line break and indentation, after a comma unless it
    is the container's first item (only an opening bracket is written bare)."""
    first = out[-1] in ("{", "[")
    if indent:
        newline = _NEWLINES[min(level, MAX_INDENT)]
        return newline if first else "," + newline
    return "" if first else ", "


def _flat(value: Any, level: int, indent: bool) -> str:
    """A value with no non-empty container in it, written at nesting ``level``."""
    if not indent or not (isinstance(value, dict | list) and value):
        return _COMPACT.encode(value)
    inner = min(level + 1, MAX_INDENT)
    text = _FLAT[inner].encode(value)
    return f"{text[0]}{_NEWLINES[inner]}{text[1:-1]}{_NEWLINES[min(level, MAX_INDENT)]}{text[-1]}"


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
