"""The tray's log: a rotating file in ``platformdirs.user_log_dir("zag-tray")``, and stderr.

The file gets INFO and up (what happened: kills, notifications, settings
trouble); stderr gets warnings, or everything with ``--verbose``. A log
directory that cannot be created leaves the tray running with stderr alone.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path
from typing import Final

from zag_tray.desktop.paths import log_dir

LOG_NAME: Final = "zag-tray.log"
MAX_BYTES: Final = 1 << 20
BACKUPS: Final = 3
FORMAT: Final = "%(asctime)s %(name)s %(levelname)s: %(message)s"


def log_path() -> Path:
    return log_dir() / LOG_NAME


def setup_logging(verbose: bool, path: Path | None = None) -> Path | None:
    """Send the ``zag_tray`` loggers to the log file and stderr; the file used, or None."""
    logger = logging.getLogger("zag_tray")
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    logger.addHandler(stderr)
    path = path or log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        logger.warning("cannot write the log file %s (%s); logging to stderr only", path, exc)
        return None
    file.setLevel(logging.DEBUG if verbose else logging.INFO)
    file.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(file)
    return path
