"""zag's entries from JSON: one rule for what zag's reader accepts, applied in C.

The rule is :data:`FIELDS`: zag's ``ProcessEntry`` (zag-agent/src/process_store.rs in
zag's source), each key with its type, whether it may be missing, and how a wrong
value is worded. From it
come both msgspec types: :class:`ExactZagEntry`, exactly zag's 14 keys, which
decodes a store zag wrote without a dict per entry, and the lenient one behind
:func:`parse_entry`, which takes any other entry (unknown keys, missing optional
ones) and, only when it fails, words why.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final, cast

import msgspec

from zag_tray.agents.entry import STANDARD_KEYS, Entry, JSONValue
from zag_tray.store.errors import StoreNotJsonError, StoreTooDeepError, StoreWrongShapeError
from zag_tray.store.layout import UTF8_BOM

U32_MAX: Final = 2**32 - 1
I32_MIN: Final = -(2**31)
I32_MAX: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Field:
    """One key of zag's entry: its type, whether it may be missing (then null), and what a
    value of the wrong type is called in a rejection."""

    name: str
    type: Any
    required: bool
    wanted: str

    def wrong(self) -> str:
        if self.required:
            return f"{self.name} is not {self.wanted}"
        return f"{self.name} is neither {self.wanted} nor null"


_TEXT = "a string"
FIELDS: Final = (
    Field("id", str, True, _TEXT),
    Field("pid", Annotated[int, msgspec.Meta(ge=0, le=U32_MAX)], True, "an unsigned 32-bit integer"),
    Field("session_id", str | None, False, _TEXT),
    Field("provider", str, True, _TEXT),
    Field("model", str, True, _TEXT),
    Field("command", str, True, _TEXT),
    Field("prompt", str | None, False, _TEXT),
    Field("started_at", str, True, _TEXT),
    Field("status", str, True, _TEXT),
    Field(
        "exit_code", Annotated[int, msgspec.Meta(ge=I32_MIN, le=I32_MAX)] | None, False, "a 32-bit integer"
    ),
    Field("exited_at", str | None, False, _TEXT),
    Field("root", str | None, False, _TEXT),
    Field("parent_process_id", str | None, False, _TEXT),
    Field("parent_session_id", str | None, False, _TEXT),
)
assert tuple(f.name for f in FIELDS) == STANDARD_KEYS

ExactZagEntry = msgspec.defstruct(
    "ExactZagEntry", [(f.name, f.type) for f in FIELDS], forbid_unknown_fields=True, gc=False
)
"""Exactly zag's 14 keys with zag's types: what zag writes, checked in C."""
_AnyKeysZagEntry = msgspec.defstruct(
    "AnyKeysZagEntry",
    [(f.name, f.type) if f.required else (f.name, f.type, None) for f in FIELDS],
    kw_only=True,
    gc=False,
)
"""zag's keys with zag's types, optional ones possibly missing, unknown ones ignored."""


class _ZagDocument(msgspec.Struct, gc=False):
    processes: list[ExactZagEntry]  # type: ignore[valid-type]


_exact_document = msgspec.json.Decoder(_ZagDocument).decode
_exact_list = msgspec.json.Decoder(list[ExactZagEntry]).decode  # type: ignore[valid-type]
_convert = msgspec.convert

_CONVERT_REFUSES: Final = (msgspec.ValidationError, UnicodeEncodeError)
"""What msgspec.convert raises for a value that is not of the type: a lone surrogate (which
only the stdlib parser lets through) is refused as text, not as a wrong type."""

FAST_PARSER_REFUSES: Final = (msgspec.MsgspecError, RecursionError, UnicodeDecodeError)
"""What msgspec raises for a document it will not take: the stdlib then decides (and words)."""

io_lock = threading.Lock()
"""Held while we parse and while we compare-and-swap (store/write.py), so a parse in one
of our threads (which keeps the GIL for its whole length) never stretches another
thread's compare-and-swap window."""

Parsed = Entry | str
"""An entry, or why zag's reader would reject it."""


def parse_document(path: Path, data: bytes) -> tuple[Parsed, ...]:
    """Each entry of a whole store."""
    try:
        with io_lock:
            items = _exact_document(data).processes
    except FAST_PARSER_REFUSES:
        return tuple(map(parse_entry, processes_list(decode(path, data), path)))
    return _from_exact(items)


def parse_list(path: Path, data: bytes) -> tuple[Parsed, ...]:
    """Each entry of a JSON list of entries, as :func:`parse_document`."""
    try:
        with io_lock:
            items = _exact_list(data)
    except FAST_PARSER_REFUSES:
        return tuple(map(parse_entry, decode(path, data)))
    return _from_exact(items)


def parse_entry(raw: JSONValue) -> Parsed:
    """An :class:`Entry` of any JSON value, or the reason zag's reader would reject it."""
    if type(raw) is not dict:
        return f"not an object but {json_type(raw)}"
    try:
        item: Any = _convert(raw, _AnyKeysZagEntry)
    except _CONVERT_REFUSES:
        return _rejection(raw)
    standard = raw.keys() == _STANDARD_SET  # zag's keys and nothing else: ``raw`` rebuilds it
    return _new_entry(item, item.parent_process_id, None if standard else raw)


def _rejection(raw: dict[str, JSONValue]) -> str:
    """Why zag's reader would reject ``raw``: the first key that breaks the rule."""
    for field in FIELDS:
        if field.name not in raw:
            if field.required:
                return f"{field.name} is missing"
            continue
        try:
            _convert(raw[field.name], field.type)
        except _CONVERT_REFUSES:
            return field.wrong()
    return "holds text zag cannot read (a lone surrogate in a key)"


def _from_exact(items: list[Any]) -> tuple[Parsed, ...]:
    """Entries from already type-checked ones: only started_at is left to check.

    A parent id is the parent's own string when the parent came earlier in ``items``
    (zag registers a parent before its workers): one copy instead of two.
    """
    parsed: list[Parsed] = []
    append, new_entry = parsed.append, _new_entry
    ids: dict[str, str] = {}
    for item in items:
        entry_id, parent_id = item.id, item.parent_process_id
        ids[entry_id] = entry_id
        if parent_id is not None:
            parent_id = ids.get(parent_id, parent_id)
        append(new_entry(item, parent_id, None))
    return tuple(parsed)


def _new_entry(item: Any, parent_id: str | None, unusual: dict[str, JSONValue] | None) -> Parsed:
    """The entry of a type-checked item, or why not: ``started_at`` must be RFC 3339.
    Short texts that repeat (providers, models, commands, statuses, roots) share one copy."""
    started_at = item.started_at
    try:
        moment = _fromisoformat(started_at)
    except ValueError:
        return _BAD_START
    if moment.tzinfo is None:
        return _BAD_START
    share, root = _share, item.root
    provider, model, command, status = item.provider, item.model, item.command, item.status
    return Entry(
        item.id,
        item.pid,
        item.session_id,
        share(provider, provider),
        share(model, model),
        share(command, command),
        item.prompt,
        started_at,
        moment.timestamp(),
        share(status, status),
        item.exit_code,
        item.exited_at,
        root if root is None else share(root, root),
        parent_id,
        item.parent_session_id,
        unusual,
    )


_STANDARD_SET: Final = frozenset(STANDARD_KEYS)
_fromisoformat = datetime.fromisoformat
_BAD_START: Final = "started_at is not an RFC 3339 time"
_share = cast("Callable[[str, str], str]", {}.setdefault)
"""One copy of each repeated short text (bounded by the distinct providers, models, roots...)."""


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
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def decode(path: Path, data: bytes) -> JSONValue:
    """bytes -> JSON value, with zag's (serde_json's) strictness.

    msgspec parses the common case much faster than the stdlib; any document it
    refuses goes to the stdlib, which either accepts it (msgspec is stricter
    about lone surrogates and huge exponents) or says why not, so every error
    is the stdlib's.
    """
    if data.startswith(UTF8_BOM):
        raise StoreNotJsonError(f"{path}: starts with a UTF-8 byte-order mark, which zag cannot read")
    try:
        with io_lock:
            return msgspec.json.decode(data)
    except FAST_PARSER_REFUSES:
        return decode_stdlib(path, data)


def decode_stdlib(path: Path, data: bytes) -> JSONValue:
    """bytes -> JSON value by the stdlib: exact integers of any size (the writer's parse)."""
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
            return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise StoreNotJsonError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except ValueError as exc:  # raised by _reject_constant
        raise StoreNotJsonError(f"{path}: not valid JSON ({exc} is not a JSON number)") from None
    except RecursionError:
        raise StoreTooDeepError(f"{path}: nested too deeply to be a zag store") from None


def _reject_constant(name: str) -> float:
    raise ValueError(name)
