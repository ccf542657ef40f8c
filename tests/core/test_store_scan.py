"""Reading a store for a few of its entries (store/scan.py) answers exactly as a full parse:
the same entries where it answers, the full parse wherever a byte might read otherwise, and
the same output of ``list`` and ``show`` either way, hostile edits and odd trees included."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_store_read import BAD_STORES
from tests.core.test_store_reload import HOSTILE, outcome
from tests.factories import stored, wait_for, write_store
from zag_tray.agents.entry import STANDARD_KEYS, Snapshot
from zag_tray.agents.ids import id_matcher, matching_ids
from zag_tray.cli import main
from zag_tray.demo import spawn_agent
from zag_tray.store import halves
from zag_tray.store import parse as parse_module
from zag_tray.store import scan as scan_module
from zag_tray.store.columns import PASSES_BEFORE_INDEX, Column
from zag_tray.store.layout import serialise
from zag_tray.store.parse import exact_type
from zag_tray.store.read import read_store
from zag_tray.store.scan import read_part, scan

DEAD_PID = 4_194_400
"""Above Linux's highest pid_max (2^22): no process ever has it."""

BASE = [
    stored("aa11-orch", minute=1, status="running", pid=DEAD_PID),
    stored("aa11-work", "aa11-orch", 2, status="exited", exit_code=0, exited_at="2026-03-28T10:09:00Z"),
    stored("bb22-solo", minute=3, status="killed", prompt="a, b, and c"),
    stored("bb22-kid", "aa11-work", 4, status="running", pid=DEAD_PID, root="/home/dev/x"),
    stored("cc33-odd", minute=5, status="paused", prompt=None),
    stored("aa11-orch", minute=6, status="exited", exit_code=3),
]
FIELDS = [*STANDARD_KEYS, "extra"]
values = (
    st.none()
    | st.integers(-5, 2**33)
    | st.text(max_size=12)
    | st.sampled_from(["running", "exited", "aa11-orch", "2026-03-28T10:00:00Z", "x,y"])
    | st.booleans()
    | st.floats(allow_nan=False)
)
entry_edits = st.tuples(st.integers(0, len(BASE) - 1), st.sampled_from(FIELDS), values)
byte_edits = st.tuples(st.integers(0, 3000), st.binary(max_size=4) | st.sampled_from(HOSTILE))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(entry_edits, max_size=3),
    st.lists(byte_edits, max_size=2),
    st.booleans(),
    st.sampled_from([1, 300, 1 << 16]),
    st.sets(st.integers(0, 12), max_size=4),
    st.sampled_from(["split", "kept", "one process"]),
)
def test_a_scan_builds_what_the_full_parse_builds_or_leaves_it_the_answer(
    entry_changes: list[tuple[int, str, object]],
    byte_changes: list[tuple[int, bytes]],
    compact: bool,
    group_bytes: int,
    positions: set[int],
    how: str,
) -> None:
    """``split``: the store checked in two processes (store/halves.py), halved at any size;
    ``kept``: every item kept (``list --all``), and the entries built from them."""
    items = [dict(e) for e in BASE]
    for index, key, value in entry_changes:
        items[index][key] = value
    data = json.dumps({"processes": items}).encode() if compact else serialise({"processes": items})
    for offset, replacement in byte_changes:
        offset %= len(data) + 1
        data = data[:offset] + replacement + data[offset:]
    path = Path("/nonexistent/processes.json")
    kept = KEPT if how == "kept" else None
    scanned = scan(
        data, columns=True, keep=kept, group_bytes=group_bytes, split_bytes=1 if how == "split" else 1 << 40
    )
    full = outcome(lambda: _full(path, data))
    if scanned is None:
        return  # the full parse answers: the same by construction
    with scanned:
        assert isinstance(full, Snapshot) and full.skipped == ()  # checked as the full parse checks
        entries = full.entries
        assert scanned.count == len(entries)
        assert scanned.running == [i for i, e in enumerate(entries) if e.status == "running"]
        assert scanned.column("ids") == [e.id for e in entries]
        assert scanned.column("sessions") == [e.session_id for e in entries]
        assert scanned.column("parents") == [e.parent_process_id for e in entries]
        assert scanned.column("parent_sessions") == [e.parent_session_id for e in entries]
        chosen = sorted(p for p in positions if p < len(entries))
        assert scanned.entries(positions) == tuple(entries[i] for i in chosen)
        if kept is not None:
            assert [item.id for item in scanned.items] == [e.id for e in entries]
            assert scanned.exit_codes == [e.exit_code for e in entries]


KEPT = exact_type("Kept", [("live_status", str, "")])
"""Items kept as ``list --all --json`` keeps them: zag's keys, then its own."""


COLUMNS: list[Column] = ["ids", "sessions", "parents", "parent_sessions"]


def _answers(scanned: scan_module.Scanned, probes: list[str]) -> list[object]:
    """Every question a command may ask, of every column."""
    everywhere = range(scanned.count)
    answers: list[object] = [scanned.count, scanned.running, scanned.entries(range(0, scanned.count, 7))]
    for name in COLUMNS:
        answers += [scanned.column(name), scanned.has_any(name), scanned.values(name, reversed(everywhere))]
        answers += [scanned.where(name, {probe}) for probe in probes]
    answers += [scanned.where_id(probe) for probe in probes]
    return answers


def test_a_store_checked_in_two_processes_answers_as_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child keeps its half's columns and answers each question alongside this process;
    a child that fails, before its summary or after, leaves its half to be checked here; a
    half that is not exactly zag's is the full parse's, in either process."""
    items = [dict(e, id=f"{e['id']}-{i}", session_id=f"s-{i % 3}") for i in range(40) for e in BASE]
    items[150]["parent_session_id"] = "s-2"  # a parent session in the child's half only
    data = serialise({"processes": items})
    probes = ["aa11-orch-3", "aa11-work-39", "s-2", "running", "aa11", "bb22-kid-2", "nothing"]
    halved: list[object] = []
    original = halves.scan_halves
    monkeypatch.setattr(halves, "scan_halves", lambda *a: halved.append(a) or original(*a))
    one = scan(data, columns=True, split_bytes=1 << 40)
    assert one is not None and not halved and one.rest is None
    expected = _answers(one, probes)
    children = []
    with scan(data, columns=True, split_bytes=1) as two:  # type: ignore[union-attr]
        assert two.rest is not None and len(halved) == 1
        children.append(two.rest.pid)
        assert _answers(two, probes) == expected
        # a deep tree: asked so often that each process indexes its column
        for _ in range(PASSES_BEFORE_INDEX + 2):
            assert two.where("parents", {"aa11-orch-3", "aa11-work-39"}) == one.where(
                "parents", {"aa11-orch-3", "aa11-work-39"}
            )
    with scan(data, columns=False, split_bytes=1) as ids_only:  # type: ignore[union-attr]
        assert ids_only.rest is not None
        children.append(ids_only.rest.pid)
        assert ids_only.column("ids") == one.column("ids") and ids_only.running == one.running
    with monkeypatch.context() as failing:
        failing.setattr(halves, "_send", lambda out, value: 1 / 0)  # raised in the child only
        with scan(data, columns=True, split_bytes=1) as two:  # type: ignore[union-attr]
            assert two.rest is None and _answers(two, probes) == expected
    with scan(data, columns=True, split_bytes=1) as two:  # type: ignore[union-attr]
        assert two.rest is not None
        children.append(two.rest.pid)
        os.kill(two.rest.pid, signal.SIGKILL)  # after its summary: out of memory, say
        assert _answers(two, probes) == expected and two.rest is None
    for at in (len(data) // 4, len(data) * 3 // 4):  # an entry zag would skip, in either half
        broken = data[:at] + data[at:].replace(b'"pid": ', b'"pid": -', 1)
        assert scan(broken, split_bytes=1) is None and scan(broken, split_bytes=1 << 40) is None
    wait_for("every child to end", lambda: all(_ended(pid) for pid in children))
    halves.reap()
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], "each child was reaped"


def test_the_child_ends_with_the_command_where_the_store_could_not_be_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system that cannot map the store: it is read, checked in two processes all the
    same, and the child is told to end when the command is done with it."""
    items = [dict(e, id=f"{e['id']}-{i}") for i in range(40) for e in BASE]
    store = write_store(tmp_path, items)
    monkeypatch.setattr(scan_module, "_mapped", lambda fd, size: None)
    monkeypatch.setattr(halves, "SPLIT_BYTES", 1)
    children: list[int] = []

    def choose(scanned: scan_module.Scanned) -> list[int]:
        assert scanned.rest is not None
        children.append(scanned.rest.pid)
        return scanned.running

    assert read_part(store, choose) == read_part(store, lambda scanned: scanned.running)
    wait_for("the child to end", lambda: _ended(children[0]))


def _ended(pid: int) -> bool:
    """Has the process ``pid`` ended (a zombie, or gone)?"""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_a_status_written_with_escapes_is_running_all_the_same() -> None:
    """A group whose text has no "running" is not looked at for running entries: the status
    written with a \\u escape must still be found (in a group of its own, and among others)."""
    items = [stored(f"e-{i}", minute=i % 60, status="exited", exit_code=0) for i in range(300)]
    items[150] = stored("the-one", minute=3, status="running", pid=DEAD_PID)
    plain = serialise({"processes": items})
    escaped = plain.replace(b'"status": "running"', b'"status": "runn\\u0069ng"')
    assert b"running" not in escaped
    for group_bytes in (1, 1 << 16):
        for data in (plain, escaped):
            scanned = scan(data, group_bytes=group_bytes, split_bytes=1 << 40)
            assert scanned is not None and scanned.running == [150]
            assert [e.id for e in scanned.entries(scanned.running)] == ["the-one"]


def _full(path: Path, data: bytes) -> Snapshot:
    from zag_tray.store.parse import parse_document
    from zag_tray.store.read import split_parsed

    entries, skipped = split_parsed(parse_document(path, data))
    return Snapshot(path, entries, skipped)


def test_read_part_reads_as_read_store_where_it_must(tmp_path: Path) -> None:
    store = write_store(tmp_path, [dict(e) for e in BASE])
    part = read_part(store, lambda s: s.running)
    full = read_store(store)
    assert part.entries == tuple(e for e in full.entries if e.status == "running")
    assert part.stamp == full.stamp and part.path == full.path
    store.write_bytes(store.read_bytes().replace(b'"pid": 100', b'"pid": -1', 1))  # zag skips it
    assert read_part(store, lambda s: s.running) == read_store(store)
    for data, *_ in [*BAD_STORES.values(), (b'{"processes": []}',), (b'{\n  "processes": []\n}',)]:
        store.write_bytes(data)  # not zag's layout, not JSON, empty...: the same errors
        assert outcome(lambda: read_part(store, lambda s: s.running)) == outcome(lambda: read_store(store))
    store.unlink()
    assert read_part(store, lambda s: s.running) == read_store(store)
    store.mkdir()
    assert outcome(lambda: read_part(store, lambda s: s.running)) == outcome(lambda: read_store(store))


# --- the commands ----------------------------------------------------------------------------

PROMPTS = ["\u2028\u2029\u061c\u200e\u2066\x9b\x7f", '\x00\x1f\t\n\\"', "Übersetze — “quoted” ✓ 日本", "a,b"]
"""Prompts whose JSON text differs from what zag wrote: hidden characters, escapes, commas."""
POOL = ["aa11-0000", "aa11-0001", "AA11-0002", "bb22-0003", "bb22-0004", "cc-x"]
"""Ids: prefixes of several, one in capitals (a hex id matches in any case), one not hex."""
SESSIONS = ["s-1", "s-2", "s-3"]
RUNNING_IDS = ("aa11-0000", "bb22-0003")
"""Ids of real agents (sleeping processes that name their entry): running where stored so."""


@pytest.fixture(scope="module")
def live() -> Iterator[dict[str, int]]:
    procs = [spawn_agent(entry_id) for entry_id in RUNNING_IDS]
    yield {entry_id: proc.pid for entry_id, proc in zip(RUNNING_IDS, procs, strict=True)}
    for proc in procs:
        proc.kill()
        proc.wait()


one_entry = st.fixed_dictionaries(
    {
        "id": st.sampled_from(POOL),
        "parent": st.none() | st.sampled_from(POOL),
        "session": st.none() | st.sampled_from(SESSIONS),
        "parent_session": st.none() | st.sampled_from(SESSIONS),
        "status": st.sampled_from(["running", "running", "exited", "killed", "paused"]),
        "minute": st.integers(0, 5),
        "prompt": st.none() | st.text(max_size=6) | st.sampled_from(PROMPTS),
    }
)


def family_store(specs: list[dict[str, Any]], live: dict[str, int]) -> list[dict[str, Any]]:
    items = []
    for spec in specs:
        item = stored(
            spec["id"],
            spec["parent"],
            spec["minute"],
            pid=live.get(spec["id"], DEAD_PID),
            status=spec["status"],
            exit_code=0 if spec["status"] == "exited" else None,
            prompt=spec.get("prompt", "Say hello"),
        )
        item["session_id"], item["parent_session_id"] = spec["session"], spec["parent_session"]
        items.append(item)
    return items


COMMANDS = [
    ["list", "--json"],
    ["list", "--json", "--flat"],
    ["list"],
    ["list", "--all", "--json"],
    ["list", "--all", "--json", "--flat"],
    ["list", "--all"],
    *(["show", ident] for ident in ("aa11", "aa11-0001", "bb22-0003", "aa1", "AA11-0002", "cc-x", "zz99")),
    *(["show", ident, "--json"] for ident in ("aa11-0000", "bb22", "bb22-0004", "aa11-0002")),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(one_entry, min_size=1, max_size=12), st.sampled_from([1, 1 << 16]), st.booleans())
def test_list_and_show_answer_as_from_the_whole_store(
    tmp_path: Path,
    live: dict[str, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    specs: list[dict[str, Any]],
    group_bytes: int,
    skipped_one: bool,
) -> None:
    """Duplicate ids and sessions, parents by id and by session, cycles, parents missing or not
    running: every command says exactly what it says after a full parse."""
    items = family_store(specs, live)
    if skipped_one:
        items.append({**items[0], "pid": -1})  # zag would reject it: the warning, and the full parse
    write_store(tmp_path, items)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)  # ages and runtimes: the same in both runs
    monkeypatch.setattr(scan_module, "GROUP_BYTES", group_bytes)
    monkeypatch.setattr(halves, "SPLIT_BYTES", 1 if group_bytes == 1 else halves.SPLIT_BYTES)  # two processes
    for args in COMMANDS:
        fast = _run(capsys, [*args, "--base-dir", str(tmp_path)])
        with monkeypatch.context() as patched:
            patched.setattr(scan_module, "scan", lambda data, **_: None)  # the full parse, always
            full = _run(capsys, [*args, "--base-dir", str(tmp_path)])
        assert fast == full, args


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_list_reads_only_the_running_entries_of_a_big_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live: dict[str, int]
) -> None:
    """The fast path is taken (Entry objects built for the running entries alone)."""
    items = [stored(f"e-{i:05d}", minute=i % 60, status="exited", exit_code=0) for i in range(3000)]
    items += family_store([dict(id=i, parent=None, session=None, parent_session=None, status="running",
                                minute=1) for i in RUNNING_IDS], live)  # fmt: skip
    write_store(tmp_path, items)
    built: list[int] = []
    original = scan_module.Scanned.entries

    def entries(self: scan_module.Scanned, positions: Any) -> Any:
        made = original(self, positions)
        built.append(len(made))
        return made

    monkeypatch.setattr(scan_module.Scanned, "entries", entries)
    assert main(["list", "--json", "--base-dir", str(tmp_path)]) == 0
    assert built == [2]


@pytest.mark.parametrize(
    "args", [["list", "--all"], ["list", "--all", "--json"], ["list", "--all", "--json", "--flat"]]
)
def test_list_all_builds_no_entry_of_a_store_in_zag_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    """Every entry is shown from what the scan read (cli/every.py): none is built as an Entry."""
    items = [
        stored(f"e-{i:05d}", f"e-{i - 1:05d}" if i % 3 else None, minute=i % 60, status="exited", exit_code=0)
        for i in range(300)
    ]
    write_store(tmp_path, items)
    built: list[int] = []
    original = parse_module._entries

    def entries(*given: Any) -> Any:
        made = original(*given)
        built.append(len(made))
        return made

    monkeypatch.setattr(parse_module, "_entries", entries)  # where every reading builds them
    assert main([*args, "--base-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "e-00299" in out and "e-00000" in out
    assert sum(built) == 0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*POOL, "AA11-0000", "aa11", "İa11-0", "\u212aa11", "aa1", ""]) | st.text()),
    st.sampled_from(["aa11", "AA11", "aa1", "a", " aa11-0000 ", "cc-x", "İa11", "\u212a", ""]) | st.text(),
)
def test_the_ids_show_picks_are_those_the_rule_names(ids: list[str], ident: str) -> None:
    """agents/ids.py's matching_ids (C passes over every id) says what id_matcher says of each."""
    rule = id_matcher(ident)
    assert matching_ids(ident, ids) == [i for i, entry_id in enumerate(ids) if rule(entry_id)]
