"""Reloading reuses unchanged entries, yet always equals a full parse (also for broken layouts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE
from zag_tray.agents.entry import STANDARD_KEYS, Snapshot, SnapshotChange
from zag_tray.store.decode import decode_stdlib, store_processes
from zag_tray.store.errors import StoreError
from zag_tray.store.layout import NumberText, RepeatedKeys, serialise
from zag_tray.store.parse import decode, parse_document, parse_entry
from zag_tray.store.read import read_store
from zag_tray.store.reader import StoreReader

BASE = json.loads(SAMPLE.read_bytes())["processes"]
FIELDS = ["id", "pid", "status", "prompt", "exit_code", "started_at", "parent_process_id", "extra"]
values = (
    st.none() | st.integers(-5, 2**33) | st.text(max_size=12) | st.booleans() | st.floats(allow_nan=False)
)

entry_edits = st.tuples(st.integers(0, len(BASE) - 1), st.sampled_from(FIELDS), values)
HOSTILE = [b"-0", b', "pid": 1', b'\n      "pid": 1,', b', "processes": []', b"\\ud800", b"\xff", b" "]
"""What msgspec reads otherwise than zag: a key twice, -0, "processes" twice, and their neighbours."""
byte_edits = st.tuples(st.integers(0, 4000), st.binary(min_size=0, max_size=4) | st.sampled_from(HOSTILE))


def outcome(read: object) -> object:
    try:
        return read()  # type: ignore[operator]
    except StoreError as exc:
        return type(exc), str(exc)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.lists(entry_edits, max_size=3), st.lists(byte_edits, max_size=2), st.booleans()),
        min_size=1,
        max_size=5,
    )
)
@pytest.mark.parametrize("group_bytes", [1, 600, 1 << 17])
def test_reload_equals_a_full_parse_after_any_edit(
    tmp_path: Path, steps: list[object], group_bytes: int
) -> None:
    store = tmp_path / "processes.json"
    entries = [dict(e) for e in BASE]
    reader = StoreReader(store, group_bytes)  # small groups: many reuse cases
    before: object = None
    for entry_changes, byte_changes, compact in steps:  # type: ignore[misc]
        for index, key, value in entry_changes:
            entries[index][key] = value
        data = json.dumps({"processes": entries}).encode() if compact else serialise({"processes": entries})
        for offset, replacement in byte_changes:  # edits that break the layout, or the JSON
            offset %= len(data) + 1
            kept = offset if replacement in HOSTILE else offset + len(replacement)  # inserted
            data = data[:offset] + replacement + data[kept:]
        store.write_bytes(data)
        after = outcome(reader.read)
        assert after == outcome(lambda: read_store(store))
        if reader.change is not None:
            assert reader.change.before is before  # the snapshot the last read returned
            assert_change_rebuilds(reader.change, after)  # type: ignore[arg-type]
        before = after


def assert_change_rebuilds(change: SnapshotChange, after: Snapshot) -> None:
    """The old entries with the removed run swapped for the added run are the new entries, and
    everything outside that run is the very same object (what a view may keep as it is)."""
    old, new = change.before.entries, after.entries
    at = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a is not b), min(len(old), len(new))
    )
    assert all(a is b for a, b in zip(old[at : at + len(change.removed)], change.removed, strict=True))
    rest = old[at + len(change.removed) :]
    assert new == old[:at] + change.added + rest
    assert all(a is b for a, b in zip(new[len(new) - len(rest) :], rest, strict=True))


def test_unchanged_entries_are_reused_not_reparsed(tmp_path: Path) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(SAMPLE.read_bytes())
    reader = StoreReader(store, group_bytes=1)  # one entry per group
    first = reader.read()
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"][1]["status"] = "killed"
    store.write_bytes(serialise(doc))
    second = reader.read()
    assert second == read_store(store)
    reused = [a is b for a, b in zip(first.entries, second.entries, strict=True)]
    assert reused == [True, False, True, True, True, True, True]


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)
flat_entries = st.dictionaries(st.sampled_from(["id", "pid", "exit_code", "future"]), scalars, min_size=1)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(flat_entries | json_values, min_size=1, max_size=3),
    st.booleans(),
    st.lists(
        st.tuples(
            st.integers(0, 400),
            st.sampled_from(
                [b"NaN", b"\xff", b"\\ud800", b"[", b"\xef\xbb\xbf", b"1e999", b"-", b'"', *HOSTILE]
            ),
        ),
        max_size=2,
    ),
)
def test_fast_parser_answers_exactly_as_the_stdlib(
    values: list[object], zags_layout: bool, edits: list[tuple[int, bytes]]
) -> None:
    """msgspec's answer (taken for a store in zag's layout) is the stdlib's, a repeated key and
    -0 included (the stdlib keeps every pair and each -0's text)."""
    doc = {"processes": values}
    data = serialise(doc) if zags_layout else json.dumps(doc).encode()
    for offset, insert in edits:
        offset %= len(data) + 1
        data = data[:offset] + insert + data[offset:]
    path = Path("/nonexistent/processes.json")
    assert shape(outcome(lambda: decode(path, data))) == shape(outcome(lambda: decode_stdlib(path, data)))


def shape(value: object) -> object:
    """``value`` with its types: a RepeatedKeys with every pair, -0 apart from 0."""
    if isinstance(value, RepeatedKeys):
        return ("RepeatedKeys", [(k, shape(v)) for k, v in value.pairs])
    if isinstance(value, dict):
        return ("dict", [(k, shape(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return [shape(v) for v in value]
    if isinstance(value, NumberText) and not value.text.lstrip("-").isdigit():
        return ("float", repr(float(value)))  # a fraction or exponent kept as written: a float all the same
    return (type(value).__name__, repr(value))


DELETE = object()
entry_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.lists(st.integers(), max_size=2)
    | st.sampled_from(["2026-03-28T10:00:00Z", "2026-03-28T10:00:00", "x"])
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(BASE) - 1),
            st.lists(st.tuples(st.sampled_from([*STANDARD_KEYS, "extra"]), entry_values | st.just(DELETE))),
        ),
        max_size=4,
    ),
    st.lists(st.tuples(st.integers(0, 5000), st.sampled_from(HOSTILE)), max_size=2),
)
def test_typed_fast_path_equals_the_generic_entry_check(
    changes: list[tuple[int, list[tuple[str, object]]]], edits: list[tuple[int, bytes]]
) -> None:
    """zag's own entries are checked in C (msgspec) where nothing msgspec reads otherwise
    than zag can be there; the stdlib reads entry by entry. Same result, hostile bytes included."""
    items = [dict(e) for e in BASE]
    for index, fields in changes:
        for key, value in fields:
            if value is DELETE:
                items[index].pop(key, None)
            else:
                items[index][key] = value
    data = serialise({"processes": items})
    for offset, insert in edits:
        offset %= len(data) + 1
        data = data[:offset] + insert + data[offset:]
    path = Path("/nonexistent/processes.json")
    fast = outcome(lambda: parse_document(path, data))
    slow = outcome(lambda: tuple(map(parse_entry, store_processes(decode_stdlib(path, data), path))))
    assert verdict(fast) == verdict(slow)


def verdict(result: object) -> object:
    """The entries parsed, or the kind of error (its wording may tell the column)."""
    failed = isinstance(result, tuple) and isinstance(result[0], type)
    return result[0] if failed else result  # type: ignore[index]


@pytest.mark.parametrize("count", [0, 1, 2, 50])
def test_reader_handles_every_store_size_in_zags_layout(tmp_path: Path, count: int) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(serialise({"processes": [dict(BASE[i % len(BASE)], id=f"e{i}") for i in range(count)]}))
    reader = StoreReader(store)
    assert reader.read() == read_store(store)
    assert reader.read() == read_store(store)  # all reused
