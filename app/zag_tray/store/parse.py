"""zag's entries from JSON: one rule for what zag's reader accepts, applied in C.

The rule is :data:`FIELDS`: zag's ``ProcessEntry`` (zag-agent/src/process_store.rs in
zag's source), each key with its type, whether it may be missing, and how a wrong
value is worded. From it come both msgspec types: :class:`ExactZagEntry`, exactly zag's
14 keys, which decodes a store zag wrote without a dict per entry, and the lenient one
behind :func:`parse_entry`, which takes any other entry (unknown keys, missing optional
ones) and, only when it fails, words why.

zag reads the store with serde_json, which refuses what msgspec lets by: a key twice in
an entry (or ``"processes"`` twice), and ``-0`` for a number (a float to serde_json, never
a u32 or an i32). msgspec keeps the last of a repeated key and reads ``-0`` as ``0``, so its
answer is taken only where cheap checks show neither can be there (:func:`_no_key_twice`,
:func:`_exit_codes`); any other document is read by the stdlib, which keeps every
repeated key and each ``-0`` (:func:`decode_stdlib`): both ways give one verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from operator import attrgetter, methodcaller
from pathlib import Path
from typing import Annotated, Any, Final, cast

import msgspec

from zag_tray.agents.entry import STANDARD_KEYS, Entry, JSONValue
from zag_tray.agents.timestamps import parse_rfc3339, parse_rfc3339_each
from zag_tray.store.decode import decode_stdlib, io_lock, json_type, store_processes
from zag_tray.store.layout import RepeatedKeys

U32_MAX: Final = 2**32 - 1
I32_MIN: Final = -(2**31)
I32_MAX: Final = 2**31 - 1


class Field(msgspec.Struct, frozen=True):
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


Pid = Annotated[int, msgspec.Meta(ge=0, le=U32_MAX)]
ExitCode = Annotated[int, msgspec.Meta(ge=I32_MIN, le=I32_MAX)] | None
_TEXT = "a string"
FIELDS: Final = (
    Field("id", str, True, _TEXT),
    Field("pid", Pid, True, "an unsigned 32-bit integer"),
    Field("session_id", str | None, False, _TEXT),
    Field("provider", str, True, _TEXT),
    Field("model", str, True, _TEXT),
    Field("command", str, True, _TEXT),
    Field("prompt", str | None, False, _TEXT),
    Field("started_at", str, True, _TEXT),
    Field("status", str, True, _TEXT),
    Field("exit_code", ExitCode, False, "a 32-bit integer"),
    Field("exited_at", str | None, False, _TEXT),
    Field("root", str | None, False, _TEXT),
    Field("parent_process_id", str | None, False, _TEXT),
    Field("parent_session_id", str | None, False, _TEXT),
)
assert tuple(f.name for f in FIELDS) == STANDARD_KEYS
_TEXT_FIELDS: Final = tuple(f.name for f in FIELDS if f.wanted == _TEXT)

ExactZagEntry = msgspec.defstruct(
    "ExactZagEntry",
    [(f.name, msgspec.Raw if f.name == "exit_code" else f.type) for f in FIELDS],
    forbid_unknown_fields=True,
    gc=False,
)
"""Exactly zag's 14 keys with zag's types, checked in C; the exit code as written
(:func:`_exit_codes` reads them all at once), as msgspec would read ``-0`` as 0."""
_AnyKeysZagEntry = msgspec.defstruct(
    "AnyKeysZagEntry",
    [(f.name, f.type) if f.required else (f.name, f.type, None) for f in FIELDS],
    kw_only=True,
    gc=False,
)
"""zag's keys with zag's types, optional ones possibly missing, unknown ones ignored."""


class _ZagDocument(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """zag's store and nothing else: no member is skipped unread (it may not be UTF-8)."""

    processes: list[ExactZagEntry]  # type: ignore[valid-type]


class _FlatDocument(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A store whose entries are objects of plain values (a newer zag's extra keys)."""

    processes: list[dict[str, str | int | float | bool | None]]


_exact_document = msgspec.json.Decoder(_ZagDocument).decode
_exact_list = msgspec.json.Decoder(list[ExactZagEntry]).decode  # type: ignore[valid-type]
_exit_code_list = msgspec.json.Decoder(list[ExitCode]).decode
_prompt, _root = attrgetter("prompt"), attrgetter("root")
_pid, _exit_code, _started_at = attrgetter("pid"), attrgetter("exit_code"), attrgetter("started_at")
_flat_document = msgspec.json.Decoder(_FlatDocument).decode
_convert = msgspec.convert

_CONVERT_REFUSES: Final = (msgspec.ValidationError, UnicodeEncodeError)
"""What msgspec.convert raises for a value that is not of the type: a lone surrogate (which
only the stdlib parser lets through) is refused as text, not as a wrong type."""

FAST_PARSER_REFUSES: Final = (msgspec.MsgspecError, RecursionError, UnicodeDecodeError)
"""What msgspec raises for a document it will not take: the stdlib then decides (and words)."""

Parsed = Entry | str
"""An entry, or why zag's reader would reject it."""


def parse_document(path: Path, data: bytes) -> tuple[Parsed, ...]:
    """Each entry of a whole store."""
    try:
        with io_lock:
            items = _exact_document(data).processes
    except FAST_PARSER_REFUSES:
        items = None
    fast = _from_exact(data, items)
    if fast is not None:
        return fast
    doc, checked = _decode(path, data)
    entry_of = _entry_of_utf8 if checked else parse_entry
    return tuple(map(entry_of, store_processes(doc, path)))


def parse_entries(path: Path, piece: bytes) -> tuple[Parsed, ...]:
    """Each entry of ``piece``: entries of a store in zag's layout, from the first key of
    one to the last value of another, :data:`~zag_tray.store.layout.BETWEEN` between them
    (store/reader.py). A ``StoreError`` if they do not parse on their own."""
    data = b"[{" + piece + b"}]"
    try:
        with io_lock:
            items = _exact_list(data)
    except FAST_PARSER_REFUSES:
        items = None
    fast = _from_exact(data, items)
    if fast is not None:
        return fast
    return tuple(map(parse_entry, cast("list[JSONValue]", decode_stdlib(path, data))))


def exact_items(piece: bytes, decode: Callable[[bytes], Any] | None = None) -> list[Any] | None:
    """``piece`` (a JSON list of entries, as :func:`parse_entries` makes it) read as exactly
    zag's entries, type-checked in C, no :class:`Entry` built; None if msgspec will not read
    it so. :func:`exact_exit_codes` says whether this reading is zag's. ``decode``: a decoder
    of a list of :func:`exact_type`, instead of :data:`ExactZagEntry`."""
    try:
        with io_lock:
            return (decode or _exact_list)(piece)
    except FAST_PARSER_REFUSES:
        return None


def exact_type(name: str, extra: Iterable[tuple[str, Any, Any]]) -> type:
    """:data:`ExactZagEntry` and, after zag's 14 keys, ``extra`` fields (name, type, default) for
    its reader to fill in (the CLI's live status and children). A stored entry that holds one
    has more members than zag's keys, which :func:`exact_exit_codes` refuses (its count of
    commas): read as this type or as :data:`ExactZagEntry`, the same entries are accepted."""
    exact = [(f.name, msgspec.Raw if f.name == "exit_code" else f.type) for f in FIELDS]
    return msgspec.defstruct(name, [*exact, *extra], forbid_unknown_fields=True, gc=False)


def entries_of(
    items: list[Any], exit_codes: Iterable[int | None], starts: Iterable[float | None]
) -> list[Entry]:
    """Entries of items :func:`exact_exit_codes` accepted, with their exit codes and starts."""
    return _entries(items, exit_codes, starts)  # type: ignore[return-value]


def parse_entry(raw: JSONValue) -> Parsed:
    """An :class:`Entry` of any JSON value, or the reason zag's reader would reject it.

    ``raw`` as :func:`decode_stdlib` reads it: an object with a repeated key is a
    :class:`~zag_tray.store.layout.RepeatedKeys`, ``-0`` a :class:`~zag_tray.store.layout.NumberText`."""
    entry = _entry_of_utf8(raw)
    if isinstance(entry, Entry) and (bad := _unreadable_text(entry)) is not None:
        return f"{bad} holds a lone surrogate, which is not text zag can read"
    return entry


def _entry_of_utf8(raw: JSONValue) -> Parsed:
    """:func:`parse_entry` of a value whose strings are known to be UTF-8 (msgspec read it)."""
    if not isinstance(raw, dict):
        return f"not an object but {json_type(raw)}"
    if type(raw) is RepeatedKeys:
        names = [key for key, _ in raw.pairs]
        repeated = next((f.name for f in FIELDS if names.count(f.name) > 1), None)
        if repeated is not None:
            return f"{repeated} appears more than once"  # serde_json: a duplicate field
    try:
        item: Any = _convert(raw, _AnyKeysZagEntry)
    except _CONVERT_REFUSES:
        return _rejection(raw)
    standard = type(raw) is dict and raw.keys() == _STANDARD_SET  # zag's keys only: ``raw`` rebuilds it
    started = parse_rfc3339(item.started_at)
    return _entries([item], [item.exit_code], [started], None if standard else raw)[0]


def _unreadable_text(entry: Entry) -> str | None:
    """The first text field holding a lone surrogate (``"\\ud800"``: zag refuses it), or None."""
    for name in _TEXT_FIELDS:
        value = getattr(entry, name)
        if value is not None and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return name
    return None


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


def _from_exact(data: bytes, items: list[Any] | None) -> tuple[Parsed, ...] | None:
    """The entries msgspec read from ``data`` (zag's store, or a list of its entries) as
    ``items``, or None where its answer may not be zag's."""
    exit_codes = exact_exit_codes(data, items)
    if items is None or exit_codes is None:
        return None
    return tuple(_entries(items, exit_codes, parse_rfc3339_each(list(map(_started_at, items)))))


def exact_exit_codes(data: bytes, items: list[Any] | None) -> list[int | None] | None:
    """The exit codes of ``items``, msgspec's reading of ``data`` (zag's store, or a list of its
    entries) as :data:`ExactZagEntry`, when that reading is zag's; None where it may not be:
    no items, a pid 0 (it may be written ``-0``, which zag refuses and msgspec reads as 0),
    an exit code that is not zag's or is ``-0``, a key twice. Every check runs in C over
    all the items at once."""
    if not items or 0 in map(_pid, items):
        return None
    exit_codes = _exit_codes(items)
    if exit_codes is None or not _no_key_twice(data, 14 * len(items) - 1, (items, _prompt), (items, _root)):
        return None
    return exit_codes


def _entries(
    items: list[Any],
    exit_codes: Iterable[int | None],
    starts: Iterable[float | None],
    unusual: dict[str, JSONValue] | None = None,
) -> list[Parsed]:
    """Entries of type-checked items, each with ``unusual`` (one entry's own keys where they
    are not zag's 14). Any ``started_at`` is zag's (its ``starts`` None where it is not RFC
    3339).

    A parent id is the parent's own string when the parent is among the entries just
    before it (at least :data:`_RECENT` of them: zag registers a parent shortly before its
    workers): one copy instead of two, 3 MB less for 100,000 entries. Short texts that
    repeat (providers, models, commands, statuses, roots) share one copy.
    """
    parsed: list[Parsed] = []
    append, share = parsed.append, _share
    newer: dict[str, str] = {}  # the ids of the last entries, and of the _RECENT before them
    older: dict[str, str] = {}
    for item, exit_code, started in zip(items, exit_codes, starts, strict=False):
        entry_id, parent_id, root = item.id, item.parent_process_id, item.root
        if parent_id is not None:
            parent_id = newer.get(parent_id) or older.get(parent_id, parent_id)
        provider, model, command, status = item.provider, item.model, item.command, item.status
        append(
            Entry(
                entry_id,
                item.pid,
                item.session_id,
                share(provider, provider),
                share(model, model),
                share(command, command),
                item.prompt,
                item.started_at,
                started,
                share(status, status),
                exit_code,
                item.exited_at,
                root if root is None else share(root, root),
                parent_id,
                item.parent_session_id,
                unusual,
            )
        )
        newer[entry_id] = entry_id
        if len(newer) == _RECENT:
            older, newer = newer, {}
    return parsed


_RECENT: Final = 32
"""How many entries back a parent's id is looked for, at least. Two small dicts of the last
ids stay in the processor's cache; one of every id (100,000 of them) did not, and filling
it cost 50 ms of a 100,000-entry load, a third of its time beyond ``json.loads``."""


def _exit_codes(items: list[Any]) -> list[int | None] | None:
    """The exit codes of ``items``, read all at once from their text, or None if one is not
    zag's type or is ``-0`` (a float to serde_json, 0 to msgspec). The texts (msgspec.Raw)
    are joined into one JSON list by ``bytes.join``, which takes their buffers in C."""
    written = b",".join(map(_exit_code, items))
    if b"-0" in written:
        return None
    try:
        return _exit_code_list(b"[" + written + b"]")
    except msgspec.ValidationError:
        return None


def _no_key_twice(data: bytes, commas: int, *texts: tuple[list[Any], Callable[[Any], Any]]) -> bool:
    """Whether ``data``, which msgspec read as JSON needing ``commas`` commas between the
    members and items of its containers, holds no more: then no key is there twice, as
    each key but an object's first comes after a comma of its own. The commas of the
    ``texts`` (the getter's value of each item, where a string) are no separators; one
    in another string, or one escaped (``\\u002c``, not counted as written), sends the
    document to the stdlib. 16 ms for 100,000 entries (45 with commas in their prompts),
    where decoding them takes 100 ms."""
    surplus = data.count(b",") - commas
    if surplus and b"\\" in data and _ESCAPED_COMMA(data):
        return False
    for items, text in texts:
        if surplus <= 0:
            break
        surplus -= _joined(map(text, items)).count(",")
    return surplus == 0


def _joined(values: Iterable[Any]) -> str:
    """The strings among ``values`` (text, None, or any JSON value of an unknown entry's), joined;
    in C where they are all text or None."""
    values = list(values)
    try:
        return "".join(filter(None, values))
    except TypeError:  # a number, a list...: not text
        return "".join(value for value in values if type(value) is str)


_ESCAPED_COMMA: Final = re.compile(rb"\\u002[cC]").search


_STANDARD_SET: Final = frozenset(STANDARD_KEYS)
_share = cast("Callable[[str, str], str]", {}.setdefault)
"""One copy of each repeated short text (bounded by the distinct providers, models, roots...)."""

_PROMPT_OF, _ROOT_OF = methodcaller("get", "prompt"), methodcaller("get", "root")
_NEGATIVE_ZERO: Final = re.compile(rb"-0[\s,\]}]").search
"""``-0``, which msgspec reads as 0 (also matches text in a string: then the stdlib reads)."""


def decode(path: Path, data: bytes) -> JSONValue:
    """bytes -> JSON value, with zag's (serde_json's) strictness: what :func:`decode_stdlib`
    returns, by msgspec (much faster) where its answer is certainly the same."""
    return _decode(path, data)[0]


def _decode(path: Path, data: bytes) -> tuple[JSONValue, bool]:
    """:func:`decode`, and whether msgspec read it (then every string is UTF-8)."""
    try:
        with io_lock:
            flat = _flat_document(data).processes
    except FAST_PARSER_REFUSES:
        return decode_stdlib(path, data), False
    commas = sum(max(len(item) - 1, 0) for item in flat) + len(flat) - 1
    texts = ((flat, _PROMPT_OF), (flat, _ROOT_OF))
    if flat and _no_key_twice(data, commas, *texts) and _NEGATIVE_ZERO(data) is None:
        return {"processes": flat}, True
    return decode_stdlib(path, data), False
