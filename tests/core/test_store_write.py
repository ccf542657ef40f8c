"""Write-back: only the target fields change, zag can read the result, nothing is lost."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ORCH, SAMPLE, LiveSample
from zag_tray.procs import actions
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.store import swap
from zag_tray.store.errors import StoreError, StoreWriteError
from zag_tray.store.layout import serialise
from zag_tray.store.parse import parse_entry
from zag_tray.store.write import Target, update_entries

KILLED = {"status": "killed", "exit_code": None, "exited_at": "2026-03-28T10:30:00+00:00"}
ORCH_AGENT = Target(ORCH, 42000)
"""The sample's orchestrator: its id and the (placeholder) pid it names."""


def test_update_changes_only_the_named_fields(tmp_path: Path) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(SAMPLE.read_bytes())
    assert update_entries(store, {ORCH_AGENT: KILLED}) == {ORCH_AGENT}
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"][1].update(KILLED)
    assert store.read_bytes() == serialise(doc)
    assert list(json.loads(store.read_bytes())["processes"][1]) == list(doc["processes"][1])


def test_update_keeps_what_zag_already_recorded(tmp_path: Path) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(SAMPLE.read_bytes())
    exited = "0b7d3c1e-3f0a-4f5e-9d7b-1a2b3c4d5e01"
    assert update_entries(store, {Target(exited, 41000): KILLED}) == set()
    assert store.read_bytes() == SAMPLE.read_bytes()


def test_update_keeps_invalid_entries_and_unknown_keys(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"].insert(0, {"id": "broken", "pid": -4, "odd": [1, {"x": None}]})
    doc["processes"].append("not even an object")
    store = tmp_path / "processes.json"
    store.write_bytes(serialise(doc))
    update_entries(store, {ORCH_AGENT: KILLED})
    after = json.loads(store.read_bytes())
    assert after["processes"][0] == {"id": "broken", "pid": -4, "odd": [1, {"x": None}]}
    assert after["processes"][-1] == "not even an object"


def test_update_never_touches_an_entry_zag_would_reject(tmp_path: Path) -> None:
    store = tmp_path / "processes.json"
    store.write_text(json.dumps({"processes": [{"id": "bad", "status": "running", "pid": 1}]}, indent=2))
    before = store.read_bytes()
    assert update_entries(store, {Target("bad", 1): KILLED}) == set()
    assert store.read_bytes() == before


def test_update_of_an_unreadable_store_writes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(b"{not json")
    with pytest.raises(StoreError, match="not valid JSON"):
        update_entries(store, {ORCH_AGENT: KILLED})
    assert store.read_bytes() == b"{not json"
    assert [p.name for p in tmp_path.iterdir()] == ["processes.json"]


def test_update_never_touches_an_entry_holding_text_zag_cannot_read(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"][1]["prompt"] = "lone \ud800 surrogate"
    store = tmp_path / "processes.json"
    store.write_text(json.dumps(doc, indent=2))  # ASCII-escaped, so it can be stored at all
    before = store.read_bytes()
    assert update_entries(store, {ORCH_AGENT: KILLED}) == set()
    assert store.read_bytes() == before


def test_a_rewrite_keeps_a_lone_surrogate_as_the_escape_it_was_read_from(tmp_path: Path) -> None:
    """UTF-8 cannot hold a lone surrogate: written raw, it raised and nothing was written."""
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"][0]["prompt"] = "lone \ud800 surrogate"
    store = tmp_path / "processes.json"
    store.write_text(json.dumps(doc))  # not zag's layout: it must be written whole
    assert update_entries(store, {ORCH_AGENT: KILLED}) == {ORCH_AGENT}
    after = store.read_bytes()
    assert b'"prompt": "lone \\ud800 surrogate"' in after
    assert json.loads(after)["processes"][0] == doc["processes"][0]
    assert [p.name for p in tmp_path.iterdir()] == ["processes.json"]


def test_update_keeps_the_other_entries_bytes_verbatim(tmp_path: Path) -> None:
    original = SAMPLE.read_bytes().replace(b'"prompt": null', b'"prompt": "\\u00e9t\\u00e9"')
    store = tmp_path / "processes.json"
    store.write_bytes(original)
    update_entries(store, {ORCH_AGENT: KILLED})
    after = store.read_bytes()
    assert b'"prompt": "\\u00e9t\\u00e9"' in after  # not re-encoded to raw UTF-8
    assert json.loads(after)["processes"][1]["status"] == "killed"
    assert len(after.splitlines()) == len(original.splitlines())


def test_update_of_a_store_not_in_zags_layout_rewrites_it_in_zags_layout(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    store = tmp_path / "processes.json"
    store.write_text(json.dumps(doc))  # compact, as a hand edit might leave it
    update_entries(store, {ORCH_AGENT: KILLED})
    doc["processes"][1].update(KILLED)
    assert store.read_bytes() == serialise(doc)


def test_failed_temp_write_reports_and_leaves_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(SAMPLE.read_bytes())
    # A directory where the temp file must go: the OS refuses the exclusive create.
    blocked = tmp_path / ".processes.json.zag-tray.blocked.tmp"
    blocked.mkdir()
    monkeypatch.setattr(swap, "temp_beside", lambda path: blocked)
    with pytest.raises(StoreWriteError, match="cannot write"):
        update_entries(store, {ORCH_AGENT: KILLED})
    assert store.read_bytes() == SAMPLE.read_bytes()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    extra=st.dictionaries(st.text(max_size=10), json_values, max_size=4),
    noise=st.lists(json_values, max_size=4),
)
def test_write_back_stays_readable_by_zag_and_keeps_the_rest(
    tmp_path: Path, extra: dict[str, object], noise: list[object]
) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    target = doc["processes"][1]
    for key, value in extra.items():
        target.setdefault(key, value)  # unknown keys on the target itself
    doc["processes"].extend(noise)
    store = tmp_path / "processes.json"
    store.write_bytes(serialise(doc))
    update_entries(store, {ORCH_AGENT: KILLED})
    after = json.loads(store.read_bytes())
    expected = json.loads(serialise(doc))
    expected["processes"][1].update(KILLED)
    assert after == expected
    assert list(after["processes"][1]) == list(expected["processes"][1])
    assert not isinstance(parse_entry(after["processes"][1]), str)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "pid",
                "provider",
                "model",
                "command",
                "started_at",
                "status",
                "prompt",
                "exit_code",
                "root",
            ]
        ),
        json_values,
    )
)
def test_parser_never_raises_on_arbitrary_entries(raw: dict[str, object]) -> None:
    result = parse_entry(raw)
    assert isinstance(result, str) or result.raw == raw


WRITER = r"""
# zag's add: load, append a new agent (stored running), temp file, rename
import json, os, sys, time, uuid
store, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
added = []
for i in range(count):
    with open(store, "rb") as f:
        doc = json.loads(f.read())
    entry_id = f"writer-{i}-{uuid.uuid4()}"
    doc["processes"].append({"id": entry_id, "pid": 1, "session_id": None, "provider": "codex",
        "model": "gpt-5", "command": "exec", "prompt": None, "started_at": "2026-03-28T10:00:00Z",
        "status": "running", "exit_code": None, "exited_at": None, "root": None,
        "parent_process_id": None, "parent_session_id": None})
    tmp = f"{store}.{os.getpid()}.{i}.tmp"
    with open(tmp, "wb") as f:
        f.write(json.dumps(doc, indent=2, ensure_ascii=False).encode())
    os.replace(tmp, store)
    added.append(entry_id)
    time.sleep(0.002)
with open(out, "w") as f:
    json.dump(added, f)
"""


READER = r"""
import json, sys, time
store, seconds = sys.argv[1], float(sys.argv[2])
reads, torn = 0, 0
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    with open(store, "rb") as f:
        data = f.read()
    try:
        json.loads(data)
    except ValueError:
        torn += 1
    reads += 1
    time.sleep(0.001)  # a reader, not a CPU hog: zag reads when it runs a command
print(reads, torn)
"""


def test_kill_during_a_rewrite_storm_loses_no_entry_and_never_tears(
    live_sample: LiveSample, tmp_path: Path
) -> None:
    added_file = tmp_path / "added.json"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(live_sample.path), str(added_file), "500"])
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(live_sample.path), "3"], stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 20
    while b'"writer-' not in live_sample.path.read_bytes():  # the storm has begun
        assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.01)
    for entry_id in ("9d5e6f7a", "8c4d5e6f", "6a2b3c4d"):
        outcome = actions.kill(live_sample.path, entry_id, LivenessChecker())
        assert outcome.ok, outcome
        time.sleep(0.1)
    assert writer.wait(timeout=60) == 0
    reads, torn = map(int, reader.communicate(timeout=60)[0].split())
    assert reads > 100 and torn == 0
    stored = {e["id"] for e in json.loads(live_sample.path.read_bytes())["processes"]}
    assert set(json.loads(added_file.read_text())) <= stored
    assert {e for e in stored if not e.startswith("writer-")} == {
        e["id"] for e in json.loads(SAMPLE.read_bytes())["processes"]
    }
    assert [p.name for p in live_sample.base.iterdir() if p.name.startswith(".")] == []


def test_write_back_keeps_integers_beyond_64_bits_verbatim(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"][0]["future_count"] = -(2**70)
    doc["processes"][1]["future_count"] = 2**80
    store = tmp_path / "processes.json"
    store.write_bytes(serialise(doc))
    update_entries(store, {ORCH_AGENT: KILLED})
    doc["processes"][1].update(KILLED)
    assert store.read_bytes() == serialise(doc)


ODD_NUMBERS = {"beyond_double": "1e400", "upper_e": "1E2", "below_double": "1.5e-400", "negative_zero": "-0"}
"""Numbers a float would not give back: infinity, 100.0, 0.0 and 0."""


def with_numbers(doc: dict[str, Any], numbers: dict[str, str]) -> bytes:
    """``serialise(doc)`` where each string ``"@name"`` stands for the number ``numbers[name]``."""
    data = serialise(doc)
    for name, text in numbers.items():
        data = data.replace(f'"@{name}"'.encode(), text.encode())
    return data


def strict_json(data: bytes) -> Any:
    """``data`` parsed as serde_json would: no NaN or Infinity; numbers kept as their text."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(
        data, parse_constant=refuse, parse_float=lambda t: ("n", t), parse_int=lambda t: ("n", t)
    )


def test_numbers_keep_their_text_in_every_entry(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    for item in doc["processes"][:3]:  # the target (1) and its neighbours
        item["future"] = [f"@{name}" for name in ODD_NUMBERS]
    store = tmp_path / "processes.json"
    store.write_bytes(with_numbers(doc, ODD_NUMBERS))
    assert update_entries(store, {ORCH_AGENT: KILLED}) == {ORCH_AGENT}
    doc["processes"][1].update(KILLED)
    assert store.read_bytes() == with_numbers(doc, ODD_NUMBERS)


def test_a_store_not_in_zags_layout_is_rewritten_with_its_numbers_as_written(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    doc["processes"][0]["future"] = [f"@{name}" for name in ODD_NUMBERS]
    doc["processes"][1]["future"] = "@upper_e"
    compact = json.dumps(doc).encode()
    for name, text in ODD_NUMBERS.items():
        compact = compact.replace(f'"@{name}"'.encode(), text.encode())
    store = tmp_path / "processes.json"
    store.write_bytes(compact)
    update_entries(store, {ORCH_AGENT: KILLED})
    doc["processes"][1].update(KILLED)
    assert store.read_bytes() == with_numbers(doc, ODD_NUMBERS)


number_literals = st.from_regex(r"\A-?(0|[1-9][0-9]{0,3})(\.[0-9]{1,4})?([eE][+-]?[0-9]{1,4})?\Z")
"""Any JSON number, from the everyday to far beyond a double's range."""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    placed=st.lists(
        st.tuples(st.integers(0, 6), st.sampled_from(["future", "prompt_meta", "weights"]), number_literals),
        min_size=1,
        max_size=8,
    ),
    compact=st.booleans(),
)
def test_a_write_keeps_every_number_as_written(
    tmp_path: Path, placed: list[tuple[int, str, str]], compact: bool
) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    numbers = {}
    for n, (at, key, text) in enumerate(placed):
        numbers[str(n)] = text
        doc["processes"][at].setdefault(key, []).append(f"@{n}")
    original = with_numbers(doc, numbers)
    store = tmp_path / "processes.json"
    store.write_bytes(strict_json_compact(original) if compact else original)
    update_entries(store, {ORCH_AGENT: KILLED})
    doc["processes"][1].update(KILLED)
    after = store.read_bytes()
    assert after == with_numbers(doc, numbers)  # in zag's layout, and every byte but the fields
    assert strict_json(after) == strict_json(with_numbers(doc, numbers))


def strict_json_compact(data: bytes) -> bytes:
    """``data`` without the layout's line breaks and indentation (strings hold none)."""
    return b"".join(line.strip() for line in data.split(b"\n"))


def with_repeated_key(data: bytes, entry_id: str) -> bytes:
    """``data`` with the entry ``entry_id`` holding the key "future" twice (zag refuses it)."""
    line = f'"id": "{entry_id}",'.encode()
    return data.replace(line, line + b'\n      "future": 1,\n      "future": 2,', 1)


def test_an_entry_with_a_repeated_key_is_kept_as_written(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    other = doc["processes"][0]["id"]
    store = tmp_path / "processes.json"
    store.write_bytes(with_repeated_key(serialise(doc), other))
    update_entries(store, {ORCH_AGENT: KILLED})
    doc["processes"][1].update(KILLED)
    assert store.read_bytes() == with_repeated_key(serialise(doc), other)


def test_a_store_rewritten_whole_keeps_an_entrys_repeated_key(tmp_path: Path) -> None:
    doc = json.loads(SAMPLE.read_bytes())
    other = doc["processes"][0]["id"]
    store = tmp_path / "processes.json"
    store.write_bytes(strict_json_compact(with_repeated_key(serialise(doc), other)))
    update_entries(store, {ORCH_AGENT: KILLED})
    doc["processes"][1].update(KILLED)
    assert store.read_bytes() == with_repeated_key(serialise(doc), other)


def test_an_entry_with_a_repeated_key_is_never_changed(tmp_path: Path) -> None:
    store = tmp_path / "processes.json"
    store.write_bytes(with_repeated_key(SAMPLE.read_bytes(), ORCH))
    before = store.read_bytes()
    assert update_entries(store, {ORCH_AGENT: KILLED}) == set()
    assert store.read_bytes() == before
