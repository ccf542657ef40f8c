"""The strict rules for what names another machine, one place for both sides: the settings
(desktop/settings.py drops what breaks them) and the ssh command line (remote/ssh.py refuses
it). Pure: patterns only."""

from __future__ import annotations

import re
from typing import Final

ALIAS: Final = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}@)?[A-Za-z0-9][A-Za-z0-9_.-]{0,252}")
"""An ssh alias (a ``Host`` of the user's ssh_config, or a host name), optionally with a
user: letters, digits, ``.``, ``_`` and ``-``, never starting with ``-``."""

PROGRAM: Final = re.compile(r"(?:/|~/)[^\x00-\x1f\x7f]{0,1000}")
"""Where zag-tray is on a host, when set per host: an absolute path or one under ``~/``."""
