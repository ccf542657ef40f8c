"""Plain-text helpers shared by the CLI and the UI: one-line previews, durations, paths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

HIDDEN_CHARACTERS: Final = (
    "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
)
"""C0 and C1 controls, DEL, line and paragraph separators, and the bidi marks, embeddings,
overrides and isolates: what a terminal acts on (escape sequences) or a layout engine
obeys (``/home/dev/\u202eslaicnanif`` reads as ``/home/dev/financials``); and lone
surrogates, which JSON can escape but UTF-8 cannot hold (printing one raised)."""
_HIDDEN = re.compile(f"[{HIDDEN_CHARACTERS}]")
_HIDDEN_BUT_LINES = re.compile(f"(?![\\n\\t])[{HIDDEN_CHARACTERS}]")
_BREAKS = re.compile(r"[\t\n\r\v\f\u2028\u2029]+")
ELLIPSIS = "…"


def visible(text: str) -> str:
    """``text`` with every hidden character shown as an escape (``\\x1b``, ``\\u202e``), so
    what reaches a terminal or a label is exactly what the store holds, nothing acted on."""
    return _HIDDEN.sub(_escape, text)


def has_hidden(text: str) -> bool:
    """Does ``text`` hold a character :func:`visible` would escape?"""
    return _HIDDEN.search(text) is not None


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_SHORT: Final = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def one_line(text: str | None, limit: int = 80) -> str:
    """Line breaks and tabs folded to spaces, other hidden characters shown escaped
    (:func:`visible`), elided to ``limit`` characters.

    Works on a bounded prefix, so a megabyte-long prompt costs nothing.
    """
    if not text:
        return ""
    head = visible(_BREAKS.sub(" ", text[: limit * 4])).strip()
    if len(head) <= limit and len(text) <= limit * 4:
        return head
    return head[: max(limit - 1, 0)].rstrip() + ELLIPSIS


SHORT_FIELD: Final = 200
"""Characters of an id, provider, model, root... shown before the rest is cut."""
LONG_FIELD: Final = 4000
"""Characters of a prompt or a result shown before the rest is cut (the whole is a copy away)."""


def capped(text: str, limit: int, *, keep_lines: bool = False) -> str:
    """``text`` shown whole up to ``limit`` characters, then "… (N more characters)"; hidden
    characters escaped (line breaks and tabs kept with ``keep_lines``). Only the part shown is
    ever looked at, so a 10 MB prompt costs what 4 kB does."""
    head = text[:limit]
    shown = pasteable(head) if keep_lines else visible(head)
    rest = len(text) - len(head)
    return shown if not rest else f"{shown}{ELLIPSIS} ({rest:,} more characters)"


def pasteable(text: str) -> str:
    """``text`` with hidden characters escaped except line breaks and tabs: a multi-line
    prompt stays multi-line, and nothing in it acts on a terminal it is pasted into."""
    return _HIDDEN_BUT_LINES.sub(_escape, text)


_MARKUP: Final = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


def markup_inert(text: str) -> str:
    """``text`` with ``<``, ``>`` and ``&`` as look-alikes (‹ › ＆): for the tray icon's
    tooltip, which some hosts render as markup (waybar: Pango, from the StatusNotifierItem's
    ToolTip) and others as plain text, and nothing tells which; so it reads the same in both
    and never acts as markup."""
    return text.translate(_MARKUP)


def duration(seconds: float) -> str:
    """A compact duration: 42s, 4m12s, 3h05m, 2d04h."""
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def tokens(count: int) -> str:
    """A count of tokens, briefly: 950, 12.3k, 4.1M."""
    for size, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1000, "k")):
        if abs(count) >= size:
            return f"{count / size:.1f}{unit}"
    return str(count)


def short_path(path: str | None, home: Path | None = None) -> str:
    """The path with the home directory shortened to ``~``."""
    if not path:
        return ""
    base = str(home if home is not None else Path.home())
    if base and base != "/" and (path == base or path.startswith(base.rstrip("/\\") + "/")):
        return "~" + path[len(base.rstrip("/\\")) :]
    return path
