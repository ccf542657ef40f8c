"""Running the tray: ``zag-tray`` and ``zag-tray demo``, the one place the command line
imports ui/ (and so Qt), only when the tray runs."""

from __future__ import annotations

import os
import sys

from zag_tray.desktop.paths import BaseDirChoice


def require_display() -> None:
    """Qt aborts the process without a display; say so in one line instead."""
    if sys.platform.startswith(("linux", "freebsd")) and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        from zag_tray.cli import CliError

        raise CliError("no display to show the tray on (DISPLAY and WAYLAND_DISPLAY are unset)")


def tray(choice: BaseDirChoice, *, verbose: bool) -> int:
    require_display()
    from zag_tray.desktop.logs import setup_logging
    from zag_tray.ui.app import run_tray

    setup_logging(verbose)
    return run_tray(choice)


def demo() -> int:
    require_display()
    from zag_tray.demo import DemoAgents
    from zag_tray.ui.app import run_tray

    with DemoAgents() as agents:
        print(f"demo agents in {agents.base}; quit the tray to end them")
        return run_tray(BaseDirChoice(agents.base, "demo"))
