"""Small files written whole and atomically: settings, the autostart entry, the wake-up
request, the end-to-end tests' state file, the demo's store.

A temp file beside the target, then one rename: a reader sees the old file or the
new one, never half of either. (zag's store is written by store/write.py, which
also has to notice zag's own saves.)
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

_serial = itertools.count()


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` (its folder is made if missing); on failure the old
    file stays and no temp file is left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_serial)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
