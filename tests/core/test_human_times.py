"""Times local and human (agents/present.py ``local_time``, ``age``, ``when``): one rule for
``show`` and the window."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from zag_tray.agents.present import age, local_time, when
from zag_tray.agents.timestamps import parse_rfc3339

NOW = 1774692000.0  # 2026-03-28T10:00:00Z: 11:00:00 in Stockholm (CET, before the change to CEST)


@pytest.fixture
def stockholm() -> Iterator[None]:
    """Local time is Central European, daylight saving included (a POSIX rule: no tz database)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
        time.tzset()
        yield
    time.tzset()


def epoch(text: str) -> float:
    seconds = parse_rfc3339(text)
    assert seconds is not None
    return seconds


@pytest.mark.usefixtures("stockholm")
@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        ("2026-03-28T09:59:58Z", "today 10:59:58"),
        ("2026-03-27T23:00:00Z", "today 00:00:00"),  # the local day, not UTC's
        ("2026-03-27T22:59:59Z", "yesterday 23:59:59"),
        ("2026-03-27T00:00:00+01:00", "yesterday 00:00:00"),
        ("2026-03-20T09:00:00Z", "2026-03-20 10:00:00"),
        ("2026-03-29T10:00:00Z", "2026-03-29 12:00:00"),  # tomorrow, in summer time: no "today"
        ("0100-03-01T00:00:00Z", "0100-03-01 01:00:00"),  # the year written in full
    ],
)
def test_local_time_names_the_day_in_local_time(moment: str, shown: str) -> None:
    assert local_time(epoch(moment), NOW) == shown


def test_a_time_the_local_calendar_cannot_hold_is_left_to_the_stored_text() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "EST5")  # west of UTC: 0001-01-01T00:00:00Z is in year 0
        time.tzset()
        try:
            assert local_time(epoch("0001-01-01T00:00:00Z"), NOW) == ""
            assert when(epoch("0001-01-01T00:00:00Z"), NOW) == ""
        finally:
            patch.undo()
            time.tzset()
    assert local_time(float("nan"), NOW) == "" and local_time(1e300, NOW) == ""


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "just now"),
        (0.9, "just now"),
        (1, "1 s ago"),
        (59.9, "59 s ago"),
        (60, "1 min ago"),
        (180, "3 min ago"),
        (3599, "59 min ago"),
        (3600, "1 h ago"),
        (47 * 3600, "47 h ago"),
        (2 * 86400, "2 days ago"),
        (59 * 86400, "59 days ago"),
        (60 * 86400, "2 months ago"),
        (729 * 86400, "24 months ago"),
        (730 * 86400, "2 years ago"),
        (-180, "in 3 min"),  # a clock ahead of ours
        (-86400 * 3, "in 3 days"),
        (float("inf"), "—"),
        (float("nan"), "—"),
    ],
)
def test_age_says_how_long_ago_in_the_largest_fitting_unit(seconds: float, shown: str) -> None:
    assert age(seconds) == shown


@pytest.mark.usefixtures("stockholm")
def test_when_is_the_local_time_and_the_age_or_nothing_without_a_time() -> None:
    assert when(NOW - 180, NOW) == "today 10:57:00 (3 min ago)"
    assert when(None, NOW) == ""  # not RFC 3339: the caller shows the stored text, no time math
