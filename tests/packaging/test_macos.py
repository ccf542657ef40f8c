"""macOS: the bundle's Info.plist, read back with plistlib: a menu-bar app (no Dock icon),
the identifier the tray's LaunchAgent is labelled with, the package's version."""

from __future__ import annotations

import plistlib
from importlib import metadata

from tests.packaging import load
from zag_tray.desktop.autostart import LABEL

appinfo = load("appinfo.py")


def test_the_shipped_plist_is_a_menu_bar_app_with_its_identifier() -> None:
    with appinfo.INFO_PLIST.open("rb") as f:
        plist = plistlib.load(f)
    assert plist["LSUIElement"] is True
    assert plist["CFBundleIdentifier"] == appinfo.BUNDLE_ID == LABEL
    assert "CFBundleShortVersionString" not in plist and "CFBundleVersion" not in plist  # one place


def test_the_build_puts_in_the_package_version() -> None:
    version = metadata.version("zag-tray")
    plist = plistlib.loads(plistlib.dumps(appinfo.info_plist(version)))  # as BUNDLE writes it
    assert plist["CFBundleShortVersionString"] == plist["CFBundleVersion"] == version
    assert plist["LSUIElement"] is True and plist["CFBundleIdentifier"] == LABEL
