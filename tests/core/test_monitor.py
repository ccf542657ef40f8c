"""What an observation answers about the store beyond liveness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from zag_tray.core.demo import make_entry
from zag_tray.core.monitor import Observation
from zag_tray.core.store import Entry, Snapshot, parse_entry

NOW = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)

ended_ago = st.integers(min_value=0, max_value=4 * 86400)  # seconds before NOW
offset = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59)  # minutes, as RFC 3339 allows
stored = st.sampled_from(["exited", "killed", "running", "paused"])


def finished(index: int, ago: int, minutes: int, status: str) -> Entry:
    zone = timezone(timedelta(minutes=minutes))
    exited_at = (NOW - timedelta(seconds=ago)).astimezone(zone).isoformat()
    raw = make_entry(
        pid=100 + index,
        entry_id=f"e{index}",
        started_at="2026-03-20T00:00:00Z",
        status=status,
        exit_code=0,
        exited_at=exited_at,
    )
    entry = parse_entry(raw)
    assert isinstance(entry, Entry)
    return entry


@given(
    st.lists(st.tuples(ended_ago, offset, stored), max_size=30),
    st.integers(min_value=0, max_value=3 * 86400),
)
def test_finished_since_is_every_recorded_end_since_then_latest_first(
    ends: list[tuple[int, int, str]], within: int
) -> None:
    entries = tuple(finished(i, ago, minutes, status) for i, (ago, minutes, status) in enumerate(ends))
    observation = Observation.of(Snapshot(Path("/x/processes.json"), entries), {})
    since = NOW.timestamp() - within
    expected = sorted(
        (e for e in entries if e.status in ("exited", "killed") and e.ended is not None and e.ended >= since),
        key=lambda e: e.ended or 0.0,
        reverse=True,
    )
    assert [e.id for e in observation.finished_since(since)] == [e.id for e in expected]
