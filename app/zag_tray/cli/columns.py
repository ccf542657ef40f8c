"""The cells of ``list``'s table, a column at a time: what agents/present.py and agents/text.py
say of one agent, said of 100,000 with a few passes in C each.

Per agent, the table took 15 µs (a title, an outcome, an age, a runtime, five texts made one
line, each cell measured in terminal cells). Here each column is worked out at once: texts
of few distinct values (providers, models, commands, roots) once per value
(``lru_cache``), texts of many (prompts, ids) with one look at all of them for anything
that would need escaping or folding, times as buckets of one rule. Every function here
answers as its counterpart for one agent does (tests/core/test_cli_table.py holds them
together).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import compress, count, repeat
from operator import floordiv, gt, is_
from pathlib import Path
from typing import Any, Final

from zag_tray.agents.present import NO_VALUE, Outcome, age, plain_outcome
from zag_tray.agents.status import LiveStatus, live_status_of
from zag_tray.agents.text import ELLIPSIS, duration, has_hidden, one_line, short_path, visible
from zag_tray.agents.timestamps import parse_rfc3339_each
from zag_tray.cli.table import cells, one_cell_each

_AS_STORED: Final = {"exited": LiveStatus.EXITED, "killed": LiveStatus.KILLED}


def live_statuses(
    ids: Sequence[str], stored: Sequence[str], checked: Mapping[str, LiveStatus]
) -> list[LiveStatus]:
    """agents/status.py's ``live_status`` of each agent, by its id and stored status: what zag
    recorded, and for an id whose process was looked at, what was found."""
    statuses = list(map(_AS_STORED.get, stored, repeat(LiveStatus.UNKNOWN)))
    if checked:
        for position in compress(count(), map(checked.__contains__, ids)):
            statuses[position] = live_status_of(ids[position], stored[position], checked)
    return statuses


def each_once(function: Callable[[Any], str], column: Iterable[Any]) -> list[str]:
    """``function`` of each value of ``column``, worked out once for each distinct value: for
    texts of few values (providers, models, commands, roots)."""
    values = list(column)
    once = {value: function(value) for value in set(values)}
    return list(map(once.__getitem__, values))


def titles(providers: Iterable[str], models: Iterable[str]) -> list[str]:
    """agents/present.py's ``title`` of each provider and model."""
    shown = map(_TITLE.format, each_once(_one_line_20, providers), each_once(_one_line_30, models))
    return list(shown)


_TITLE: Final = "{} · {}"


def _one_line_20(text: str) -> str:
    return one_line(text, 20)


def _one_line_30(text: str) -> str:
    return one_line(text, 30)


def commands(texts: Iterable[str]) -> list[str]:
    return each_once(_one_line_20, texts)


def root_cells(roots: Iterable[str | None]) -> list[str]:
    """The ROOT cell of each root: home as ~, made one line, or a dash."""
    home = Path.home()
    return each_once(lambda root: one_line(short_path(root, home), 60) if root else NO_VALUE, roots)


def one_lines(texts: Sequence[str | None], limit: int) -> list[str]:
    """agents/text.py's ``one_line`` of each text: where none holds a line break or a hidden
    character (one look at all of them), its first ``limit * 4`` characters stripped, and cut
    with an ellipsis where that is longer than ``limit`` (or the text was)."""
    if has_hidden("".join(filter(None, texts))):  # U+2028/9 and the C0 breaks are hidden too
        return [one_line(text, limit) for text in texts]
    room = limit * 4
    heads = [text[:room].strip() if text else "" for text in texts]
    return [
        head
        if len(head) <= limit and (not text or len(text) <= room)
        else head[: max(limit - 1, 0)].rstrip() + ELLIPSIS
        for head, text in zip(heads, texts, strict=True)
    ]


def visible_each(texts: list[str]) -> list[str]:
    """agents/text.py's ``visible`` of each text (the same texts where none holds a hidden one)."""
    return list(map(visible, texts)) if has_hidden("".join(texts)) else texts


_AGE_BOUNDS: Final = (1, 60, 3600, 2 * 86400, 60 * 86400, 730 * 86400)
_AGE_UNITS: Final = (1, 1, 60, 3600, 86400, 30 * 86400, 365 * 86400)


def ages(deltas: Sequence[float]) -> list[str]:
    """agents/present.py's ``age`` of each number of seconds: the unit by a bisection of the
    bounds, the count by a division, the text once for each unit, count and direction."""
    if not deltas:
        return []
    spans = list(map(abs, deltas))
    if not max(spans) < math.inf:
        return list(map(age, deltas))
    units = list(map(bisect_right, repeat(_AGE_BOUNDS), spans))
    counts = map(int, map(floordiv, spans, map(_AGE_UNITS.__getitem__, units)))
    return list(map(_age_text, units, counts, map(gt, deltas, repeat(0))))


@lru_cache(maxsize=4096)
def _age_text(unit: int, whole: int, ago: bool) -> str:
    """``age`` of ``whole`` units of ``_AGE_UNITS[unit]`` ago (or to come): the text of every
    time in that unit and count (the unit's bounds hold ``whole`` of it)."""
    seconds = whole * _AGE_UNITS[unit]
    return age(seconds if ago else -seconds)


def started_cells(started_ats: Sequence[str], starts: Sequence[float | None], now: float) -> list[str]:
    """The STARTED cell of each agent: its age, or, for a start that is not RFC 3339, the text
    as stored (no time is worked out from it)."""
    if None not in starts:
        return ages([now - start for start in starts])  # type: ignore[operator]
    return [
        one_line(text, 30) if start is None else age(now - start)
        for text, start in zip(started_ats, starts, strict=True)
    ]


def runtime_cells(
    starts: Sequence[float | None],
    exited_ats: Sequence[str | None],
    statuses: Sequence[LiveStatus],
    now: float,
) -> list[str]:
    """agents/present.py's ``runtime_text`` of each agent in its live status (nobody stopping
    it): until now while it runs, else until its recorded end (none recorded: a dash)."""
    recorded = list(filter(None, exited_ats))  # an empty one is no time either
    end_of: dict[str | None, float | None] = dict(zip(recorded, parse_rfc3339_each(recorded), strict=True))
    ends = list(map(end_of.get, exited_ats))  # None: none recorded, or not RFC 3339
    for position in compress(count(), map(is_, statuses, repeat(LiveStatus.RUNNING))):
        ends[position] = now
    return [
        NO_VALUE if end is None or start is None else _duration(int(end - start) if end > start else 0)
        for start, end in zip(starts, ends, strict=True)
    ]


_duration = lru_cache(maxsize=1 << 16)(duration)
"""``duration`` depends on the whole seconds alone: the same text for each of them."""


def outcomes_of(statuses: Sequence[LiveStatus], exit_codes: Sequence[int | None]) -> list[Outcome]:
    """agents/present.py's ``outcome`` of each agent in its live status (nobody stopping it)."""
    return list(map(plain_outcome, statuses, exit_codes))


def one_cell_each_in(column: list[str]) -> bool:
    """Does every character of the column take one cell (then each cell is its length)? An
    ASCII text does (a control character counts one): known at once for a str."""
    joined = "".join(column)
    return joined.isascii() or one_cell_each(joined)


def sizes_of(column: list[str], one_cell: bool | None = None) -> list[int]:
    """``cells`` of each text of a column: its length where the whole column is of characters
    that take one cell each (``one_cell``: known already), else one by one (ASCII: its length)."""
    if one_cell if one_cell is not None else one_cell_each_in(column):
        return list(map(len, column))
    return [len(text) if text.isascii() else _cells(text) for text in column]


_cells = lru_cache(maxsize=4096)(cells)
