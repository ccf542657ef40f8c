"""What an observation answers about the store beyond liveness, worked out once per snapshot."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import entry, observation, stored
from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import LATEST_FINISHED_KEPT, SnapshotFacts
from zag_tray.store.layout import serialise
from zag_tray.store.reader import StoreReader

NOW = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)

ended_ago = st.integers(min_value=0, max_value=4 * 86400)  # seconds before NOW
offset = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59)  # minutes, as RFC 3339 allows
stored_status = st.sampled_from(["exited", "killed", "running", "paused"])


def ended(index: int, ago: int, minutes: int, status: str) -> Entry:
    zone = timezone(timedelta(minutes=minutes))
    exited_at = (NOW - timedelta(seconds=ago)).astimezone(zone).isoformat()
    return entry(f"e{index}", pid=100 + index, status=status, exit_code=0, exited_at=exited_at)


@given(
    st.lists(st.tuples(ended_ago, offset, stored_status), max_size=30),
    st.integers(min_value=0, max_value=3 * 86400),
)
def test_finished_since_is_every_recorded_end_since_then_latest_first(
    ends: list[tuple[int, int, str]], within: int
) -> None:
    entries = tuple(ended(i, ago, minutes, status) for i, (ago, minutes, status) in enumerate(ends))
    since = NOW.timestamp() - within
    expected = sorted(
        (e for e in entries if e.status in ("exited", "killed") and e.ended is not None and e.ended >= since),
        key=lambda e: (e.ended or 0.0, *e.sort_key),  # ties: newest start, then id, first
        reverse=True,
    )
    shown = observation(entries).finished_since(since)
    assert [e.id for e in shown] == [e.id for e in expected][:LATEST_FINISHED_KEPT]


edits = st.lists(
    st.tuples(
        st.sampled_from(["start", "finish", "kill", "prompt", "remove", "reopen"]),
        st.integers(0, 60),
        st.integers(0, 60),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 40), st.lists(edits, min_size=1, max_size=4))
def test_facts_worked_out_from_a_change_equal_facts_worked_out_afresh(
    tmp_path: Path, start: int, steps: list[list[tuple[str, int, int]]]
) -> None:
    """The finished agents (the menu's "Recently finished") come from what a reload replaced;
    they are what a look at the whole snapshot finds."""
    path = tmp_path / "processes.json"
    items = [stored(f"s{n}", minute=n % 60, pid=1000 + n) for n in range(start)]
    for n, item in enumerate(items[::2]):  # half of them finished already, some at the same moment
        item.update(status="exited", exit_code=0, exited_at=(NOW + timedelta(seconds=n * 7 % 40)).isoformat())
    path.write_bytes(serialise({"processes": items}))
    reader = StoreReader(path, group_bytes=1)  # one entry per group: changes stay small
    facts = SnapshotFacts.of(reader.read())
    serial = iter(range(10_000))
    for step in steps:
        for kind, at, seconds in step:
            apply_edit(items, kind, at, seconds, next(serial))
        path.write_bytes(serialise({"processes": items}))
        snapshot = reader.read()
        facts = SnapshotFacts.of(snapshot, facts, reader.change)
        assert facts == SnapshotFacts.of(snapshot)


def apply_edit(items: list[dict[str, object]], kind: str, at: int, seconds: int, serial: int) -> None:
    exited_at = (NOW + timedelta(seconds=seconds)).isoformat()
    if kind == "start" or not items:
        items.append(stored(f"n{serial}", minute=serial % 60, pid=2000 + serial))
        return
    target = items[at % len(items)]
    if kind == "finish":
        target.update(status="exited", exit_code=seconds % 3, exited_at=exited_at)
    elif kind == "kill":
        target.update(status="killed", exit_code=None, exited_at=exited_at)
    elif kind == "prompt":
        target.update(prompt=json.dumps(seconds))
    elif kind == "reopen":
        target.update(status="running", exit_code=None, exited_at=None)
    else:
        items.remove(target)
