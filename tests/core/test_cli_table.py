"""The rules of ``list``'s table (cli/listing.py, cli/table.py): cells, cuts and colours."""

from __future__ import annotations

import re

import pytest

from tests.factories import entry
from zag_tray.agents.present import GREEN, GREY, ORANGE, RED
from zag_tray.agents.tree import build_forest
from zag_tray.cli.listing import HEADER, table_lines
from zag_tray.cli.table import cells, sgr

NOW = 1774692000.0 + 3600  # an hour after the factories' agents start
SGR = re.compile(r"\x1b\[[0-9;]*m")

WIDE = [
    entry("wide-1", model="クロード", prompt="修复解析器的错误" * 10, status="exited", exit_code=3),
    entry("wide-2", "wide-1", 1, prompt="e\u0301te\u0301 " * 20, status="killed"),  # combining accents
    entry("narrow", minute=2, prompt="plain " * 20, status="exited", exit_code=0),
]


def test_cells_count_what_a_terminal_shows() -> None:
    assert cells("plain ascii") == 11
    assert cells("└─ claude · opus — “quoted” …") == 29  # the usual text: one cell each
    assert cells("クロード") == 8 and cells("e\u0301") == 1 and cells("a\u200bb") == 2
    assert cells("✓ Übersetze") == 11


def test_columns_line_up_in_terminal_cells_with_wide_and_combining_characters() -> None:
    lines = table_lines(build_forest(WIDE), {}, NOW)
    assert lines[0].split() == list(HEADER)
    for name in HEADER[1:]:
        at = cells(lines[0][: lines[0].index(name)])
        for line in lines:  # each row's cell starts at the header's cell, after the gap
            index = _index_at_cell(line, at)
            assert line[index - 2 : index] == "  " and line[index] != " ", (name, line)


def _index_at_cell(line: str, at: int) -> int:
    """The index of the character of ``line`` that starts at cell ``at``."""
    used = 0
    for index, char in enumerate(line):
        if used == at:
            return index
        used += cells(char)
    raise AssertionError(f"no character starts at cell {at}: {line!r}")


@pytest.mark.parametrize("colour", [False, True])
def test_every_width_cuts_at_a_character_and_ends_every_colour(colour: bool) -> None:
    whole = table_lines(build_forest(WIDE), {}, NOW)
    for width in range(1, max(map(cells, whole)) + 2):
        for line, full in zip(
            table_lines(build_forest(WIDE), {}, NOW, width=width, colour=colour), whole, strict=True
        ):
            plain = SGR.sub("", line)
            first = full.split("  ")[0]  # the tree and the id: never cut
            assert cells(plain) <= max(width, cells(first) + 1), (width, line)
            assert plain == full or (plain.endswith("…") and full.startswith(plain[:-1])), (width, line)
            assert line.count("\x1b[0m") == len(SGR.findall(line)) / 2  # every colour ended
            assert plain.startswith(first)


def test_only_the_status_is_coloured_in_the_terminal_s_own_colours() -> None:
    lines = table_lines(build_forest(WIDE), {}, NOW, colour=True)
    assert [len(SGR.findall(line)) for line in lines] == [0, 2, 2, 2]
    coloured = [re.findall(r"\x1b\[[0-9]+m([^\x1b]*)\x1b\[0m", line) for line in lines[1:]]
    assert coloured == [["exited (0)"], ["exited (3)"], ["killed"]]
    assert "\x1b[31mexited (3)\x1b[0m" in lines[2]  # a failure is red under every rule
    assert [sgr(c) for c in (GREEN, RED, ORANGE, GREY)] == ["\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[90m"]
    assert sgr("not a colour") == ""
