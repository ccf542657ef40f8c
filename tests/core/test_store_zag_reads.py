"""One verdict with zag's own reader (serde_json into ``ProcessEntry``, zag-agent/src/process_store.rs).

Whatever route a store takes through the tray (msgspec where it certainly reads as zag
does, the stdlib otherwise; a reload re-parses only some entries), an entry zag refuses
is skipped and counted, an entry zag reads is shown, and a file zag cannot read at all
is refused whole with a one-line message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import stored, write_store
from zag_tray.agents.entry import Snapshot
from zag_tray.store.errors import StoreError, StoreNotJsonError, StoreWrongShapeError
from zag_tray.store.layout import serialise
from zag_tray.store.read import MAX_STORE_BYTES, read_store
from zag_tray.store.reader import StoreReader
from zag_tray.store.write import Target, update_entries


def both_reads(store: Path) -> Snapshot:
    """read_store's snapshot, after checking that a reader (first read and reload) agrees."""
    snapshot = read_store(store)
    reader = StoreReader(store, group_bytes=1)
    assert reader.read() == snapshot
    assert reader.read() == snapshot
    return snapshot


def zag_layout(*entries: dict[str, object]) -> bytes:
    return serialise({"processes": list(entries)})


def shown_and_skipped(snapshot: Snapshot) -> tuple[list[str], list[tuple[int, str]]]:
    return [e.id for e in snapshot.entries], [(s.index, s.reason) for s in snapshot.skipped]


@pytest.mark.parametrize("compact", [False, True], ids=["zag's layout", "compact"])
@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("pid", "pid is not an unsigned 32-bit integer"),
        ("exit_code", "exit_code is neither a 32-bit integer nor null"),
    ],
)
def test_minus_zero_is_a_float_to_zag_so_the_entry_is_skipped(
    tmp_path: Path, field: str, reason: str, compact: bool
) -> None:
    """serde_json reads -0 as a float (never a u32 or an i32); the tray read it as 0."""
    store = tmp_path / "processes.json"
    data = zag_layout(stored("good-1"), stored("bad-1", **{field: 7}), stored("good-2"))
    if compact:
        data = json.dumps(json.loads(data)).encode()
    marker = f'"{field}": 7'.encode()
    assert data.count(marker) == 1
    store.write_bytes(data.replace(marker, marker[:-1] + b"-0"))
    assert shown_and_skipped(both_reads(store)) == (["good-1", "good-2"], [(1, reason)])


@pytest.mark.parametrize(
    "edit",
    [
        (b'"pid": 100,', b'"pid": 100,\n      "pid": 100,'),  # a line of its own
        (b'"pid": 100,', b'"pid": 100, "pid": 100,'),  # on the line of another key
        (b'"pid": 100,', b'"pid": 100,"pid"\t:\n100,'),
        (b'"status": "running",', b'"status": "running",\n      "st\\u0061tus": "exited",'),
    ],
    ids=["own line", "same line", "odd spacing", "escaped name"],
)
def test_a_key_twice_in_an_entry_is_skipped_and_counted(tmp_path: Path, edit: tuple[bytes, bytes]) -> None:
    """serde_json refuses a duplicate field; msgspec and json.loads keep the last value."""
    store = tmp_path / "processes.json"
    middle = zag_layout(stored("good-1"), stored("twice-1"), stored("good-2"))
    first = middle.index(b'"id": "twice-1"')
    old, new = edit
    at = middle.index(old, first)
    store.write_bytes(middle[:at] + new + middle[at + len(old) :])
    name = "status" if b"st\\u0061tus" in new else "pid"
    assert shown_and_skipped(both_reads(store)) == (
        ["good-1", "good-2"],
        [(1, f"{name} appears more than once")],
    )


@pytest.mark.parametrize("prompt", [b'"one, two, three"', b'"one\\u002c two"'], ids=["commas", "escaped"])
def test_a_key_twice_is_found_whatever_commas_the_prompts_hold(tmp_path: Path, prompt: bytes) -> None:
    """A key twice adds a comma; a comma in a prompt is no separator (the tray counts them),
    and an escaped one is not written as a comma (then the stdlib reads)."""
    store = tmp_path / "processes.json"
    data = zag_layout(stored("good-1", prompt="P"), stored("twice-1", prompt="P")).replace(b'"P"', prompt, 1)
    at = data.index(b'"pid": 100,', data.index(b'"id": "twice-1"'))
    store.write_bytes(data[:at] + b'"pid": 100, "pid": 100,' + data[at + len(b'"pid": 100,') :])
    assert shown_and_skipped(both_reads(store)) == (["good-1"], [(1, "pid appears more than once")])


def test_a_repeated_key_zag_does_not_know_is_no_reason_to_skip(tmp_path: Path) -> None:
    """serde_json ignores unknown keys, however often they come."""
    store = tmp_path / "processes.json"
    store.write_text(
        '{"processes": [' + json.dumps(stored("a-1"))[:-1] + ', "future": 1, "future": 2}]}', encoding="utf-8"
    )
    assert shown_and_skipped(both_reads(store)) == (["a-1"], [])


@pytest.mark.parametrize("compact", [False, True], ids=["zag's layout", "compact"])
def test_processes_twice_is_a_store_zag_cannot_read(tmp_path: Path, compact: bool) -> None:
    store = tmp_path / "processes.json"
    one, other = zag_layout(stored("a-1")), zag_layout(stored("b-1"))
    if compact:
        one, other = json.dumps(json.loads(one)).encode(), json.dumps(json.loads(other)).encode()
    # {"processes": [a-1], "processes": [b-1]}: each half keeps its own layout
    store.write_bytes(one[: one.rindex(b"]") + 1] + b",\n  " + other[other.index(b'"processes"') :])
    for read in (lambda: read_store(store), StoreReader(store).read):
        with pytest.raises(StoreWrongShapeError) as caught:
            read()
        assert str(caught.value) == f'{store}: has "processes" twice, which zag cannot read'


@pytest.mark.parametrize("field", ["prompt", "id", "root", "started_at"])
def test_a_lone_surrogate_in_a_known_text_field_is_skipped(tmp_path: Path, field: str) -> None:
    """JSON can escape one (\\ud800); serde_json refuses it in a string it reads."""
    store = tmp_path / "processes.json"
    bad = {**stored("bad-1"), field: "text \ud800"}
    store.write_text(json.dumps({"processes": [stored("good-1"), bad]}), encoding="utf-8")
    assert shown_and_skipped(both_reads(store)) == (
        ["good-1"],
        [(1, f"{field} holds a lone surrogate, which is not text zag can read")],
    )


def test_a_lone_surrogate_where_zag_does_not_look_is_no_reason_to_skip(tmp_path: Path) -> None:
    """serde_json skips an unknown key's value without reading it as text."""
    store = tmp_path / "processes.json"
    store.write_text(json.dumps({"processes": [{**stored("a-1"), "future": "\ud800"}]}), encoding="utf-8")
    assert shown_and_skipped(both_reads(store)) == (["a-1"], [])


def test_invalid_utf8_in_a_member_the_tray_skips_is_refused_as_zag_refuses_it(tmp_path: Path) -> None:
    """zag reads the whole file as UTF-8 first (read_to_string); the fast parser never
    looked at a member it had no use for, so `list` worked and `kill` then failed."""
    store = tmp_path / "processes.json"
    store.write_bytes(zag_layout(stored("a-1"))[:-2] + b',\n  "note": "caf\xe9"\n}')
    for read in (lambda: read_store(store), StoreReader(store).read):
        with pytest.raises(StoreNotJsonError) as caught:
            read()
        assert str(caught.value).startswith(f"{store}: not UTF-8 (invalid byte at offset")


@pytest.mark.parametrize(
    "started_at", ["yesterday", "2026-03-28", "2026-03-28t10:00:00z", "2026-03-28T10:00:60Z", ""]
)
def test_any_started_at_is_shown_as_zag_shows_it(tmp_path: Path, started_at: str) -> None:
    """zag's started_at is a String: any text is an entry zag reads."""
    store = write_store(tmp_path, [stored("a-1"), {**stored("b-1"), "started_at": started_at}])
    snapshot = both_reads(store)
    assert shown_and_skipped(snapshot) == (["a-1", "b-1"], [])
    assert snapshot.entries[1].started_at == started_at


def test_a_leap_second_and_lowercase_letters_are_times(tmp_path: Path) -> None:
    """chrono's parse_from_rfc3339 reads both; a leap second counts as the second after it."""
    store = write_store(
        tmp_path,
        [
            {**stored("leap"), "started_at": "2026-03-28T23:59:60Z"},
            {**stored("lower"), "started_at": "2026-03-28t10:00:00.5z"},
            {**stored("prose"), "started_at": "yesterday"},
        ],
    )
    leap, lower, prose = both_reads(store).entries
    assert leap.started == 1774742400.0  # 2026-03-29T00:00:00Z
    assert lower.started == 1774692000.5
    assert prose.started is None


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's per-process I/O counters")
def test_a_gigabyte_that_is_not_a_json_object_is_refused_unread(tmp_path: Path) -> None:
    """A 1 GiB file of NUL bytes took 5.8 s and 2.1 GB before it was refused."""
    store = tmp_path / "processes.json"
    with store.open("wb") as f:
        f.truncate(MAX_STORE_BYTES)  # sparse: all NUL bytes, no disk
    for read in (lambda: read_store(store), StoreReader(store).read):
        before = _bytes_read()
        with pytest.raises(StoreNotJsonError) as caught:
            read()
        assert _bytes_read() - before < 1 << 20  # not the gigabyte
        assert str(caught.value) == f"{store}: not a zag store: it begins with byte 0x00, not '{{'"


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (
            b"\n\t \r" * 5000 + b"[]",
            StoreWrongShapeError,
            'expected an object with a "processes" list, found a list',
        ),
        (b'  "text"', StoreWrongShapeError, 'expected an object with a "processes" list, found a string'),
        (b"  42", StoreNotJsonError, "not a zag store: it begins with '4', not '{'"),
        (b" " * 100_000, StoreNotJsonError, "is empty, not JSON"),
    ],
)
def test_what_a_store_begins_with_decides_before_the_rest_is_read(
    tmp_path: Path, data: bytes, error: type[StoreError], message: str
) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(data)
    with pytest.raises(error) as caught:
        read_store(store)
    assert str(caught.value) == f"{store}: {message}"


def _bytes_read() -> int:
    """What this process has read through system calls so far (Linux's rchar)."""
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["rchar"])


def test_an_integer_of_thousands_of_digits_reads_as_zag_reads_it(tmp_path: Path) -> None:
    """serde_json reads it (as a float); Python's int() refuses past 4,300 digits, which made
    the whole store unreadable. In an unknown key it is kept; as a pid it is a wrong type."""
    huge = "9" * 5000
    good, bad = stored("kept-1"), stored("bad-pid", pid=1)
    text = serialise({"processes": [good, bad]}).decode()
    text = text.replace('"root": null', f'"root": null, "extra": {huge}', 1)
    text = text.replace('"pid": 1,', f'"pid": {huge},', 1)
    store = tmp_path / "processes.json"
    store.write_text(text, encoding="utf-8")
    snapshot = read_store(store)
    assert [e.id for e in snapshot.entries] == ["kept-1"]
    assert [s.reason for s in snapshot.skipped] == ["pid is not an unsigned 32-bit integer"]
    assert update_entries(store, {Target("kept-1", 100): {"status": "killed"}}) == {Target("kept-1", 100)}
    assert f'"extra": {huge}' in store.read_text(encoding="utf-8")  # written back as written
