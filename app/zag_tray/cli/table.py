"""Text laid out for a terminal: how many cells it takes, cut to a width, a colour for it.

A terminal lays text out in cells: most characters take one, East Asian wide ones two,
combining marks none. Columns padded by ``len`` drift as soon as a prompt holds a CJK
word, and a line cut by ``len`` still wraps, so widths here are counted in cells.
Everything is cheap for the usual text (ASCII, Latin, punctuation, the tree's box
drawing): one regular expression in C says a string has nothing else, and then its
width is its length; ``list`` lays out 100,000 rows.
"""

from __future__ import annotations

import colorsys
import os
import re
import unicodedata
from functools import lru_cache
from typing import Final, TextIO

from zag_tray.agents.text import ELLIPSIS

_NOT_ONE_CELL: Final = re.compile("[^\x20-\x7e\xa0-\u02ff\u2010-\u2027\u2030-\u205e\u2500-\u257f]")
"""A character outside the ranges that take exactly one cell (ASCII, Latin-1 and the
Latin extensions, dashes, quotes, bullets, the ellipsis, box drawing): it needs a look."""


def cells(text: str) -> int:
    """The cells ``text`` takes in a terminal."""
    if _NOT_ONE_CELL.search(text) is None:
        return len(text)
    return sum(map(_char_cells, text))


def one_cell_each(text: str) -> bool:
    """Does every character of ``text`` take exactly one cell (then its cells are its length)?"""
    return _NOT_ONE_CELL.search(text) is None


@lru_cache(maxsize=4096)
def _char_cells(char: str) -> int:
    if char != "\xad" and unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0  # combining marks and format characters (a zero-width space) take no cell
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cut_at(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` cells (a wide character that would
    straddle the edge is left out whole, with the marks that combine with it)."""
    if _NOT_ONE_CELL.search(text) is None:
        return max(0, min(limit, len(text)))
    used = 0
    for index, char in enumerate(text):
        used += _char_cells(char)
        if used > limit:
            return index
    return len(text)


def terminal_width(stream: TextIO) -> int | None:
    """The width to cut ``list``'s lines to, or None: do not cut.

    Only a terminal is cut: piped output (a script, ``grep``, ``less -S``) gets whole lines,
    whatever ``COLUMNS`` says (readline exports it into every child of a program that loads
    it). On a terminal, ``COLUMNS`` when set (as shutil.get_terminal_size reads it), else
    the terminal's width. A terminal that reports no width (0 columns: a serial line, a new
    pseudo-terminal) is not cut either: a wrapped line loses nothing, a guessed width would.
    """
    try:
        if not stream.isatty():
            return None
        width = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):  # no file descriptor behind the stream (a test's capture)
        return None
    columns = os.environ.get("COLUMNS", "").strip()
    return int(columns) if columns.isdigit() and int(columns) > 0 else width or None


COLOUR_CHOICES: Final = ("auto", "always", "never")


def wants_colour(choice: str, stream: TextIO) -> bool:
    """``--color``: ``always``, ``never``, or ``auto``: only on a terminal, not when
    ``NO_COLOR`` is set to anything (https://no-color.org) nor on ``TERM=dumb``. The
    option given on the command line wins over ``NO_COLOR``, as no-color.org asks."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


RESET: Final = "\x1b[0m"


@lru_cache(maxsize=32)
def sgr(colour: str) -> str:
    """The terminal's own colour nearest ``colour`` ("#d73a49"), as an SGR sequence: one of
    the eight every terminal has, so each user's palette (light, dark, high contrast) still
    applies. A pale colour is grey ("bright black"); "" for a colour that is not ``#rrggbb``."""
    if not re.fullmatch("#[0-9a-fA-F]{6}", colour):
        return ""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, saturation, value = colorsys.rgb_to_hsv(red, green, blue)
    if saturation < 0.25 or value < 0.2:
        return "\x1b[90m"
    degrees = hue * 360
    for below, code in ((15, 31), (70, 33), (165, 32), (195, 36), (255, 34), (330, 35), (361, 31)):
        if degrees < below:
            return f"\x1b[{code}m"
    return ""  # unreachable: hue is below 360


def cut_index(line: str, width: int, limit: int, *, keep: int = 0) -> int | None:
    """Where to cut ``line`` (``width`` cells) so it and an ellipsis fit in ``limit`` cells, or
    None when it fits whole; never inside its first ``keep`` characters (the tree and the id:
    cut there, the tree no longer reads)."""
    if width <= limit:
        return None
    return max(cut_at(line, max(limit - len(ELLIPSIS), 0)), keep)
