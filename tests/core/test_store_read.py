"""Reading the store: the fixture, zag's format, and every bad-store case."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import SAMPLE
from tests.factories import stored
from zag_tray.agents.timestamps import parse_rfc3339
from zag_tray.store.errors import (
    StoreNotJsonError,
    StoreNotRegularFileError,
    StoreTooDeepError,
    StoreTooLargeError,
    StoreUnreadableError,
    StoreWrongShapeError,
)
from zag_tray.store.layout import serialise
from zag_tray.store.read import MAX_STORE_BYTES, read_store


def test_sample_fixture_parses_every_entry(tmp_path: Path) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(SAMPLE.read_bytes())
    snapshot = read_store(store)
    assert len(snapshot.entries) == 7
    assert snapshot.skipped == ()
    orchestrator = snapshot.entries[1]
    assert orchestrator.provider == "claude"
    assert orchestrator.raw["future_field"] == {"kept": True}
    assert orchestrator.started == pytest.approx(1774692000.123456)
    assert snapshot.entries[5].prompt == "Übersetze die README ins Deutsche — “quoted” ✓"
    assert snapshot.entries[6].prompt is None and snapshot.entries[6].root is None


def test_python_serialisation_is_zags_format() -> None:
    original = SAMPLE.read_bytes()
    assert serialise(json.loads(original)) == original
    assert not original.endswith(b"\n")


def test_missing_store_is_no_agents(tmp_path: Path) -> None:
    snapshot = read_store(tmp_path / "processes.json")
    assert snapshot.entries == () and not snapshot.exists


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-28T10:00:00Z", 1774692000.0),
        ("2026-03-28T10:00:00.123456789+00:00", 1774692000.123456),
        ("2026-03-28T12:00:00+02:00", 1774692000.0),
        ("2026-03-28T10:00:00.5+00:00", 1774692000.5),
    ],
)
def test_rfc3339_times_with_any_fraction(text: str, expected: float) -> None:
    assert parse_rfc3339(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["2026-03-28", "2026-03-28T10:00:00", "yesterday", ""])
def test_times_without_offset_are_rejected(text: str) -> None:
    assert parse_rfc3339(text) is None


def _entry(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = json.loads(SAMPLE.read_text())["processes"][1]
    entry.update(overrides)
    return entry


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"pid": -1}, "pid is not an unsigned 32-bit integer"),
        ({"pid": "42"}, "pid is not an unsigned 32-bit integer"),
        ({"pid": True}, "pid is not an unsigned 32-bit integer"),
        ({"pid": 2**32}, "pid is not an unsigned 32-bit integer"),
        ({"pid": 1.5}, "pid is not an unsigned 32-bit integer"),
        ({"id": None}, "id is not a string"),
        ({"provider": 7}, "provider is not a string"),
        ({"prompt": ["a"]}, "prompt is neither a string nor null"),
        ({"exit_code": 1.0}, "exit_code is neither a 32-bit integer nor null"),
        ({"exit_code": 2**31}, "exit_code is neither a 32-bit integer nor null"),
        ({"started_at": None}, "started_at is not a string"),
    ],
)
def test_entry_of_wrong_type_is_skipped_and_the_rest_shown(
    tmp_path: Path, bad: dict[str, object], reason: str
) -> None:
    store = tmp_path / "processes.json"
    store.write_text(json.dumps({"processes": [_entry(id="good"), _entry(**bad), "text"]}))
    snapshot = read_store(store)
    assert [e.id for e in snapshot.entries] == ["good"]
    assert [(s.index, s.reason) for s in snapshot.skipped] == [(1, reason), (2, "not an object but a string")]


@pytest.mark.parametrize("prompt", ["UTC-0 {i}-0, x-0", "plain {i}"])
@pytest.mark.parametrize("written", [b'"exit_code": -0,', b'"exit_code":-0,', b'"pid": -0,'])
def test_a_number_written_minus_zero_is_refused_as_zag_refuses_it(
    tmp_path: Path, written: bytes, prompt: str
) -> None:
    """serde_json reads ``-0`` as a float, never as zag's integers; msgspec would read 0. Each
    reading (the whole store, its groups, the scan for a few) skips that entry alone, and
    "-0" in a text (after a date's dash, or alone) changes nothing."""
    from zag_tray.store.parse import parse_entries
    from zag_tray.store.scan import read_part

    entries = [
        stored(f"e{i}", minute=i, status="exited", exit_code=0, prompt=prompt.format(i=i)) for i in range(3)
    ]
    data = serialise({"processes": entries})
    key = written.split(b":")[0]
    at = data.index(b'"exit_code": 0,' if key == b'"exit_code"' else b'"pid": ', data.index(b'"e1"'))
    end = data.index(b",", at) + 1
    store = tmp_path / "processes.json"
    store.write_bytes(data[:at] + written + data[end:])
    snapshot = read_store(store)
    assert [e.id for e in snapshot.entries] == ["e0", "e2"]
    assert snapshot.entries[0].prompt == prompt.format(i=0)
    reason = (
        "exit_code is neither a 32-bit integer nor null"
        if key == b'"exit_code"'
        else "pid is not an unsigned 32-bit integer"
    )
    assert [(s.index, s.reason) for s in snapshot.skipped] == [(1, reason)]
    assert read_part(store, lambda scanned: range(scanned.count)) == snapshot
    piece = store.read_bytes()[len(b'{\n  "processes": [\n    {\n') : -len(b"\n    }\n  ]\n}")]
    assert [p if isinstance(p, str) else p.id for p in parse_entries(store, piece)] == ["e0", reason, "e2"]


def test_entry_missing_a_required_key_is_skipped(tmp_path: Path) -> None:
    entry = _entry()
    del entry["model"]
    store = tmp_path / "processes.json"
    store.write_text(json.dumps({"processes": [entry]}))
    assert read_store(store).skipped[0].reason == "model is missing"


def test_missing_optional_keys_are_null(tmp_path: Path) -> None:
    entry = {
        k: v
        for k, v in _entry().items()
        if k in ("id", "pid", "provider", "model", "command", "started_at", "status")
    }
    store = tmp_path / "processes.json"
    store.write_text(json.dumps({"processes": [entry]}))
    (parsed,) = read_store(store).entries
    assert parsed.prompt is None and parsed.parent_process_id is None and parsed.exit_code is None


def test_huge_prompt_is_kept_whole(tmp_path: Path) -> None:
    prompt = "x" * 20_000_000
    store = tmp_path / "processes.json"
    store.write_text(json.dumps({"processes": [_entry(prompt=prompt)]}))
    (entry,) = read_store(store).entries
    assert entry.prompt == prompt  # kept for write-back; every view elides it


BAD_STORES = {  # name -> (bytes, error type, message fragment)
    "not json": (
        b'{"processes": [',
        StoreNotJsonError,
        "not valid JSON (line 1, column 16: Expecting value)",
    ),
    "empty": (b"", StoreNotJsonError, "is empty, not JSON"),
    "bom": (b'\xef\xbb\xbf{"processes": []}', StoreNotJsonError, "byte-order mark"),
    "not utf-8": (b'{"processes": ["\xff"]}', StoreNotJsonError, "not UTF-8 (invalid byte at offset 16)"),
    "nan": (b'{"processes": [NaN]}', StoreNotJsonError, "NaN is not a JSON number"),
    "infinity": (b'{"processes": [-Infinity]}', StoreNotJsonError, "-Infinity is not a JSON number"),
    "nesting bomb": (
        b'{"processes": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        StoreTooDeepError,
        "nested too deeply",
    ),
    "object bomb": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, StoreTooDeepError, "nested too deeply"),
    "list at top": (b"[]", StoreWrongShapeError, 'expected an object with a "processes" list, found a list'),
    "no processes": (b'{"procs": []}', StoreWrongShapeError, 'found no "processes" key'),
    "processes object": (
        b'{"processes": {}}',
        StoreWrongShapeError,
        'expected a "processes" list, found an object',
    ),
}


@pytest.mark.parametrize("name", BAD_STORES)
def test_bad_store_is_a_typed_error(tmp_path: Path, name: str) -> None:
    data, error, fragment = BAD_STORES[name]
    store = tmp_path / "processes.json"
    store.write_bytes(data)
    with pytest.raises(error) as caught:
        read_store(store)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and str(store) in message


def test_directory_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "processes.json").mkdir()
    with pytest.raises(StoreNotRegularFileError, match="not a regular file \\(a directory\\)"):
        read_store(tmp_path / "processes.json")


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "processes.json")
    with pytest.raises(StoreNotRegularFileError, match="a FIFO"):
        read_store(tmp_path / "processes.json")  # a blocking open would hang here


def test_symlink_loop_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "processes.json").symlink_to(tmp_path / "processes.json")
    with pytest.raises(StoreUnreadableError, match="cannot open"):
        read_store(tmp_path / "processes.json")


def test_oversized_store_is_refused_before_reading(tmp_path: Path) -> None:
    store = tmp_path / "processes.json"
    with store.open("wb") as f:
        f.truncate(MAX_STORE_BYTES + 1)  # sparse: no disk, and no read either
    with pytest.raises(StoreTooLargeError, match="is more than"):
        read_store(store)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"pid": "\ud800"}, "pid is not an unsigned 32-bit integer"),
        ({"exit_code": "\ud800"}, "exit_code is neither a 32-bit integer nor null"),
        ({"\ud800x": 1}, "holds text zag cannot read (a lone surrogate in a key)"),
    ],
)
def test_a_lone_surrogate_is_a_skipped_entry_not_a_failed_read(
    tmp_path: Path, bad: dict[str, object], reason: str
) -> None:
    """Only the stdlib parser lets a lone surrogate through; the entry is skipped and counted."""
    store = tmp_path / "processes.json"
    good = stored("good-1")
    store.write_text(json.dumps({"processes": [good, {**good, "id": "bad-1", **bad}]}), encoding="utf-8")
    snapshot = read_store(store)
    assert [e.id for e in snapshot.entries] == ["good-1"]
    assert [(s.index, s.reason) for s in snapshot.skipped] == [(1, reason)]
