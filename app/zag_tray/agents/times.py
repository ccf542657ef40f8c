"""Times local and human (``show``, the window, the activity wording), written once;
agents/present.py hands them out with the rest of how an agent is shown."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Final

NO_VALUE: Final = "—"


def local_time(epoch: float, now: float) -> str:
    """ "today 14:03:12", "yesterday 09:01:00", "2026-03-20 10:00:00": ``epoch`` in local time,
    the day named relative to ``now``'s. "" when the local calendar cannot hold it
    (0001-01-01T00:00:00Z is year 0 west of UTC): the caller shows the stored text instead."""
    try:
        moment = datetime.fromtimestamp(epoch)
        today = datetime.fromtimestamp(now).date()
        hms = f"{moment:%H:%M:%S}"
        day = moment.date()
        if day == today:
            return f"today {hms}"
        if day == today - timedelta(days=1):
            return f"yesterday {hms}"
        return f"{day.isoformat()} {hms}"  # isoformat: year 0001 as 0001 (strftime writes 1)
    except (ValueError, OverflowError, OSError):
        return ""


_AGE_UNITS: Final = (
    (60, 1, "s"),
    (3600, 60, "min"),
    (2 * 86400, 3600, "h"),
    (60 * 86400, 86400, "days"),
    (730 * 86400, 30 * 86400, "months"),
    (math.inf, 365 * 86400, "years"),
)
"""(below this many seconds, count in units of, named): hours up to two days, so "yesterday
evening" is not "1 day ago"; rounded down, as `docker ps` and `kubectl get` count."""


def age(seconds: float) -> str:
    """ "42 s ago", "3 min ago", "5 h ago", "12 days ago", "4 months ago", "2 years ago"; a
    moment in the future (a clock ahead of ours) "in 3 min"; under a second "just now"."""
    span = abs(seconds)
    if not span < math.inf:  # inf or nan: no amount to name
        return NO_VALUE
    if span < 1:
        return "just now"
    for below, unit, name in _AGE_UNITS:
        if span < below:
            count = int(span // unit)
            if count == 1 and name in ("days", "months", "years"):
                name = name[:-1]
            return f"{count} {name} ago" if seconds > 0 else f"in {count} {name}"
    return NO_VALUE  # unreachable: the last unit has no bound


def when(epoch: float | None, now: float) -> str:
    """ "today 14:03:12 (3 min ago)": a stored time, local and with its age; "" when there is
    no time to show (not RFC 3339, or not in the local calendar): shown as stored then."""
    if epoch is None:
        return ""
    shown = local_time(epoch, now)
    return f"{shown} ({age(now - epoch)})" if shown else ""


def clock(epoch: float, now: float, *, seconds: bool = False) -> str:
    """ "15:40" on ``now``'s day, "Mar 28 15:40" another (with ``seconds``: "15:40:07"): a
    moment named briefly (a start that must not tick, a rate limit's end, a timeline's
    line); "" when the local calendar cannot hold it."""
    try:
        today = datetime.fromtimestamp(now).date()
        whole = math.floor(epoch) if seconds else math.floor(epoch / 60) * 60
    except (ValueError, OverflowError, OSError):
        return ""
    return _clock(whole, today, seconds)


@lru_cache(maxsize=256)
def _clock(epoch: int, today: date, seconds: bool) -> str:
    """:func:`clock` of a whole second (or minute): a menu names the same moments at every
    observation."""
    try:
        moment = datetime.fromtimestamp(epoch)
    except (ValueError, OverflowError, OSError):
        return ""
    shown = f"{moment:%H:%M:%S}" if seconds else f"{moment:%H:%M}"
    return shown if moment.date() == today else f"{moment:%b %d} {shown}"
