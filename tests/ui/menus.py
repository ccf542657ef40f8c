"""The tray's menu as a user reads it, for the UI tests."""

from __future__ import annotations

from zag_tray.ui.tray import TrayApp


def labels(tray: TrayApp) -> list[str]:
    """The menu as it is about to show: its items' texts, top level only."""
    tray.rebuild_menu()
    return [a.text().replace("&&", "&") for a in tray.menu.actions() if not a.isSeparator()]
