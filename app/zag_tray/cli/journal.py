"""What the CLI did, in the tray's log: kills, stops and store errors.

A kill from a shell ends an agent the tray shows; its log should say who did it, as it
does for the tray's own doings. The line goes to the same rotating file (desktop/logs.py)
with the same format, under the logger ``zag_tray.cli``. Only commands that act or fail
write it: ``list`` and ``show`` open no file and import no more of ``logging``.

The log is a courtesy here: a file that cannot be written, or a rotation the other
process's open file prevents (Windows), changes nothing of the command's result and
prints nothing (``logging`` would print a traceback to stderr, where the CLI promises
one line). With ``--verbose`` it is said on stderr.
"""

from __future__ import annotations

import logging
import logging.handlers

from zag_tray.agents.text import one_line

NAME = "zag_tray.cli"


class _QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        logging.getLogger("zag_tray").debug("cannot write the log file %s", self.baseFilename)


def _logger() -> logging.Logger | None:
    """The CLI's logger with the log file attached (at first use), or None without a file."""
    logger = logging.getLogger(NAME)
    if logger.handlers:
        return logger
    from zag_tray.desktop.logs import BACKUPS, FORMAT, MAX_BYTES, log_path

    try:
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _QuietRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except (OSError, RuntimeError) as exc:  # RuntimeError: platformdirs, or a test's forbidden path
        logging.getLogger("zag_tray").debug("cannot open the log file: %s", exc)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the command says it on stdout/stderr already, once
    return logger


def record(level: int, message: str) -> None:
    """Append ``message`` to the tray's log: one line, hidden characters escaped (the log is
    read in terminals too)."""
    logger = _logger()
    if logger is not None:
        logger.log(level, "%s", one_line(message, 2000))
