"""``python -m zag_tray``."""

from zag_tray.cli import run

run()
