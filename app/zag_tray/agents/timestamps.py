"""RFC 3339 times as zag writes and reads them (``started_at``, ``exited_at``).

zag reads them with chrono's ``DateTime::parse_from_rfc3339`` (its ``list_recent`` in
zag-agent/src/process_store.rs; a time it cannot read sorts as the oldest there), and
:func:`parse_rfc3339` takes exactly what that takes (chrono 0.4.44, src/format/parse.rs):
``YYYY-MM-DD``, ``T``, ``t`` or a space, ``HH:MM:SS``, an optional ``.`` and one or more
digits, then ``Z``, ``z`` or ``+HH:MM``/``-HH:MM`` (or U+2212 MINUS SIGN); ASCII digits
only, a real date of the years 0000-9999, hours 00-23, minutes 00-59, seconds 00-60 (a
leap second) and an offset below 24 hours with its minutes 00-59.

``datetime.fromisoformat`` takes much more (``20260328T100000Z``, ``2026-W13-6T10:00:00Z``,
``+05``, ``10:00Z``), so it only does the arithmetic here, for a text already known to be
RFC 3339; what it cannot hold (a leap second, year 0000, ``z``, U+2212) is worked out by
hand, to the same result.

The result is epoch seconds as a float, to the microsecond (digits after the sixth are
dropped, as ``fromisoformat`` drops them). A leap second counts as the second after it:
``23:59:60Z`` is ``00:00:00Z`` of the next day, as POSIX time has no leap seconds (chrono
orders it between ``:59`` and the next second; a float has no room between them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

_RFC3339: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(?:\.([0-9]+))?"
    r"(?:[Zz]|([-+\u2212])([01][0-9]|2[0-3]):([0-5][0-9]))"
)
"""chrono's RFC 3339, the days of each month left to check (a Python that took hour 24 as
the next midnight, as ISO 8601 allows, still gets no such text)."""
_is_rfc3339 = re.compile(_RFC3339.pattern.replace("(?:", "(").replace("(", "(?:")).fullmatch
""":data:`_RFC3339` with every group made non-capturing: a third faster, for the test alone."""
_fromisoformat = datetime.fromisoformat
_timestamp = datetime.timestamp


def parse_rfc3339(text: str) -> float | None:
    """``text`` as epoch seconds if chrono reads it as RFC 3339, else None."""
    return None if _is_rfc3339(text) is None else _seconds(text)


def _seconds(text: str) -> float | None:
    """Epoch seconds of a text in RFC 3339's form (its values still to be checked)."""
    try:
        return _fromisoformat(text).timestamp()  # in C; the same value as by hand
    except (ValueError, OverflowError):
        match = _RFC3339.fullmatch(text)
        return None if match is None else _by_hand(match)


def _by_hand(match: re.Match[str]) -> float | None:
    """What ``fromisoformat`` will not do: a leap second, year 0000, ``z``, U+2212; and the
    check that turns away a day the month does not have."""
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= _days_in(year, month)):
        return None
    offset = 0
    if match[8] is not None:
        offset = (int(match[9]) * 60 + int(match[10])) * 60 * (1 if match[8] == "+" else -1)
    whole = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    micro = int((match[7] or "")[:6].ljust(6, "0"))
    return (whole * 1_000_000 + micro) / 1_000_000  # as timedelta.total_seconds() rounds


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a date of the proleptic Gregorian calendar (year 0 included)."""
    year -= month <= 2
    era, year_of_era = divmod(year, 400)
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_rfc3339_each(texts: Sequence[str]) -> list[float | None]:
    """:func:`parse_rfc3339` of each text, in order: the same answers, with the RFC 3339
    check done once for all of them (a store's 100,000 ``started_at``) when they have the
    shapes zag writes."""
    if not _plain_shapes(texts):
        return list(map(parse_rfc3339, texts))
    try:
        return list(map(_timestamp, map(_fromisoformat, texts)))  # no Python loop: 2 ms less
    except (ValueError, OverflowError):
        pass  # one of them needs the loop below
    seconds: list[float | None] = []
    append, fromisoformat = seconds.append, _fromisoformat
    for text in texts:
        try:
            append(fromisoformat(text).timestamp())
        except (ValueError, OverflowError):  # a leap second, year 0000, z, a date that does not exist
            append(parse_rfc3339(text))
    return seconds


_DIGITS_AS_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")
_PLAIN_SHAPE: Final = re.compile(rb"0000-00-00[Tt ]00:00:00(?:\.0+)?(?:[Zz]|[-+]00:00)")


def _plain_shapes(texts: Sequence[str]) -> bool:
    """Whether every text is RFC 3339 in its form (digits where the digits go, ASCII) with
    an offset of ``Z``, ``z`` or ``±00:00`` (chrono's ``to_rfc3339`` writes ``+00:00``).

    Then only the values are left to check, and ``fromisoformat`` checks them (a date that
    does not exist, an hour 24) or refuses what :func:`_by_hand` then takes (a leap second,
    year 0000, ``z``). Done on all the texts at once, in C: a regex per text would cost
    more than the rest of reading an entry.
    """
    joined = "\x00".join(texts)
    if not joined.isascii():
        return False  # U+2212, non-ASCII digits, anything else: one at a time
    data = joined.encode("ascii")
    shaped = data.translate(_DIGITS_AS_ZERO)
    pieces = shaped.split(b"\x00")
    if len(pieces) != len(texts):
        return False  # a text holds the separator
    shapes = set(pieces)
    if not all(_PLAIN_SHAPE.fullmatch(shape) for shape in shapes):
        return False
    numeric_shapes = [shape for shape in shapes if shape.endswith(b"0:00")]
    if not numeric_shapes:
        return True  # every offset is Z or z
    numeric = sum(map(pieces.count, numeric_shapes))  # a compare of each piece: 1 ms, not 2
    # Every text is of a plain shape by now: only an offset of ±00:00 ends in ``00:00``. One
    # count of the 3 MB of a store's times, not one for ``+`` and one for ``-``.
    utc = data.count(b"00:00\x00") + data.endswith(b"00:00")
    return numeric == utc  # no +05:75, which fromisoformat reads as +06:15


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC, as zag records times."""
    return moment.astimezone(UTC).isoformat()


def now_rfc3339() -> str:
    """The current UTC time as zag records ``exited_at``."""
    return datetime.now(UTC).isoformat()
