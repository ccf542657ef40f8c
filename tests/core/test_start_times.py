"""Start and end times as zag reads them: RFC 3339 as chrono parses it, anything else shown as
stored, with no time worked out from it, and sorted as the oldest (as `zag ps list` does)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import observation, stored
from zag_tray.agents.entry import Entry
from zag_tray.agents.glance import tooltip
from zag_tray.agents.present import runtime, runtime_text, sentence
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.timestamps import parse_rfc3339, parse_rfc3339_each
from zag_tray.agents.tree import build_forest, walk
from zag_tray.store.parse import parse_entry

START = 1774692000.0  # 2026-03-28T10:00:00Z


def agent(started_at: str, entry_id: str = "a", **fields: object) -> Entry:
    """An entry zag recorded with ``started_at`` as its start (any text: zag reads a String)."""
    parsed = parse_entry({**stored(entry_id), "started_at": started_at, **fields})
    assert isinstance(parsed, Entry), parsed
    return parsed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-28T10:00:00Z", START),
        ("2026-03-28T10:00:00.123456789+00:00", START + 0.123456),
        ("2026-03-28T12:00:00+02:00", START),
        ("2026-03-28T10:00:00.5+00:00", START + 0.5),
        ("2026-03-28t10:00:00z", START),  # chrono takes either case
        ("2026-03-28 10:00:00Z", START),  # and a space
        ("2026-03-28T05:00:00\u221205:00", START),  # and U+2212 MINUS SIGN
        ("2026-03-28T09:59:60Z", START),  # a leap second: the second after it
        ("0000-03-01T00:00:00Z", -62162035200.0),  # year 0, which datetime cannot hold
        ("0001-01-01T00:00:00+00:00", -62135596800.0),
        ("9999-12-31T23:59:59-23:59", 253402387139.0),
    ],
)
def test_rfc3339_as_chrono_reads_it(text: str, expected: float) -> None:
    assert agent(text).started == expected
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "20260328T100000Z",  # ISO 8601's basic format
        "2026-W13-6T10:00:00Z",  # a week date
        "2026-03-28T10:00:00+05",  # an offset without minutes
        "2026-03-28T10:00:00+0500",
        "2026-03-28T10:00:00+05:00:00",
        "2026-03-28T10:00:00+05:75",  # minutes that do not exist
        "2026-03-28T10:00:00+24:00",
        "2026-03-28T10:00Z",  # no seconds
        "2026-03-28T10:00:00.Z",
        "2026-03-28T10:00:00,5Z",
        "2026-03-28T10:00:61Z",
        "2026-03-28T24:00:00Z",
        "2026-02-29T10:00:00Z",
        "2026-03-28T10:00:00",  # no offset
        "\uff12026-03-28T10:00:00Z",  # a digit that is not ASCII
        "2026-03-28",
        "yesterday",
        "",
    ],
)
def test_what_chrono_does_not_read_is_shown_as_stored_with_no_time(text: str) -> None:
    """datetime.fromisoformat read several of these as times: the tray did time math zag never does."""
    unread = agent(text, status="exited", exited_at="2026-03-28T10:04:12Z")
    assert unread.started is None and unread.started_at == text
    assert runtime(unread, LiveStatus.RUNNING, START) is None
    assert runtime(unread, LiveStatus.EXITED, START) is None
    assert runtime_text(unread, LiveStatus.EXITED, START) == "—"
    assert sentence(unread, LiveStatus.EXITED, START) == "claude · sonnet finished"


def test_an_end_that_is_not_rfc3339_is_no_end() -> None:
    finished = agent("2026-03-28T10:00:00Z", status="exited", exit_code=0, exited_at="20260328T100412Z")
    assert finished.ended is None
    assert runtime_text(finished, LiveStatus.EXITED, START + 600) == "—"


@given(
    st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30)),
    st.integers(-(23 * 60 + 59), 23 * 60 + 59),
    st.integers(0, 10**9 - 1),
    st.integers(0, 9),
)
def test_every_way_of_writing_a_time_gives_the_same_seconds(
    moment: datetime, offset_minutes: int, nanos: int, digits: int
) -> None:
    """fromisoformat does the arithmetic where it can hold the text; where it cannot (``z``,
    U+2212) the same seconds are worked out by hand."""
    zone = timezone(timedelta(minutes=offset_minutes))
    local = moment.replace(microsecond=0, tzinfo=zone)
    fraction = f".{nanos:09d}"[: digits + 1] if digits else ""
    sign, size = ("-" if offset_minutes < 0 else "+"), abs(offset_minutes)
    text = f"{local.year:04d}-{local:%m-%dT%H:%M:%S}{fraction}{sign}{size // 60:02d}:{size % 60:02d}"
    expected = local.timestamp() + int(fraction[1:7].ljust(6, "0") if fraction else 0) / 1e6
    forms = [text, text.replace("T", "t"), text.replace("T", " ")]
    if sign == "-":
        forms.append(text[: -len("-00:00")] + "\u2212" + text[-5:])
    if offset_minutes == 0:
        forms += [text[: -len("+00:00")] + "Z", text[: -len("+00:00")] + "z"]
    for form in forms:
        assert parse_rfc3339(form) == pytest.approx(expected, abs=1e-6), form
    assert parse_rfc3339_each(forms) == list(map(parse_rfc3339, forms))


@given(
    st.lists(
        st.sampled_from(
            [
                "2026-03-28T10:00:00Z",
                "2026-03-28T10:00:00.123456789+00:00",
                "2026-03-28t10:00:00z",
                "2026-03-28T23:59:60Z",
                "2026-03-28T10:00:00+05:75",
                "2026-03-28T10:00:00+05:00",
                "2026-02-29T10:00:00Z",
                "0000-01-01T00:00:00Z",
                "20260328T100000Z",
                "2026-03-28T10:00:00Z\x002026-03-28T10:00:00Z",
            ]
        )
        | st.text(alphabet="0123456789-T:.Z+z \x00", max_size=26)
    )
)
def test_all_at_once_equals_one_at_a_time(texts: list[str]) -> None:
    assert parse_rfc3339_each(texts) == list(map(parse_rfc3339, texts))


def test_an_unknown_start_sorts_as_the_oldest_ties_by_id() -> None:
    """zag's list_recent compares an unreadable started_at as None, below every time."""
    entries = [
        agent("2026-03-28T10:00:00Z", "mid"),
        agent("yesterday", "b-unknown"),
        agent("2026-03-28T11:00:00Z", "new"),
        agent("20260328T100000Z", "c-unknown"),
        agent("0001-01-01T00:00:00+00:00", "ancient"),
        agent("", "a-unknown"),
    ]
    newest_first = ["new", "mid", "ancient", "c-unknown", "b-unknown", "a-unknown"]
    for _ in range(5):
        random.shuffle(entries)
        assert [node.entry.id for _, node in walk(build_forest(entries))] == newest_first


def test_the_tray_tooltip_names_an_agent_whose_start_is_unknown() -> None:
    running = [agent("2026-03-28T10:00:00Z", "known"), agent("not a time", "unknown")]
    view = observation(running, {"known": LiveStatus.RUNNING, "unknown": LiveStatus.RUNNING})
    assert (
        tooltip(view, START + 60).splitlines()[-1] == "longest: claude · sonnet, since not a time — Say hello"
    )


def test_finished_agents_with_the_same_end_and_unknown_starts_are_ordered() -> None:
    ended = {"status": "exited", "exit_code": 0, "exited_at": "2026-03-28T10:05:00Z"}
    finished = [
        agent("x", "f-1", **ended),
        agent("2026-03-28T10:00:00Z", "f-2", **ended),
        agent("y", "f-3", **ended),
    ]
    view = observation(finished)
    assert [e.id for e in view.finished_since(0)] == ["f-2", "f-3", "f-1"]


def test_the_leap_second_is_the_second_after_it() -> None:
    leap, after = agent("2026-12-31T23:59:60Z"), agent("2027-01-01T00:00:00Z")
    assert leap.started == after.started == datetime(2027, 1, 1, tzinfo=UTC).timestamp()
