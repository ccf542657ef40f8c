"""Plain-text helpers shared by the CLI and the UI: one-line previews, durations, paths."""

from __future__ import annotations

import re
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
ELLIPSIS = "…"


def one_line(text: str | None, limit: int = 80) -> str:
    """Control characters and newlines folded to spaces, elided to ``limit`` characters.

    Works on a bounded prefix, so a megabyte-long prompt costs nothing.
    """
    if not text:
        return ""
    head = _CONTROL.sub(" ", text[: limit * 4]).strip()
    if len(head) <= limit and len(text) <= limit * 4:
        return head
    return head[: max(limit - 1, 0)].rstrip() + ELLIPSIS


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


def short_path(path: str | None, home: Path | None = None) -> str:
    """The path with the home directory shortened to ``~``."""
    if not path:
        return ""
    base = str(home if home is not None else Path.home())
    if base and base != "/" and (path == base or path.startswith(base.rstrip("/\\") + "/")):
        return "~" + path[len(base.rstrip("/\\")) :]
    return path
