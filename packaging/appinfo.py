"""What the bundles say about the app, with the version filled in from the package metadata
(pyproject.toml's, the one place it is written): the macOS Info.plist and the Linux AppStream
file. Standard library only: the build script and the tests use it as well as the spec.
"""

from __future__ import annotations

import plistlib
import re
import subprocess
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent
APP_ID = "dev.zag_tray.ZagTray"
"""Reverse DNS, as the desktop entry, AppStream and Wayland want it (hyphens become _)."""
BUNDLE_ID = "dev.zag-tray"
"""macOS's CFBundleIdentifier: the label of the LaunchAgent the tray writes for start at login."""
INFO_PLIST = HERE / "macos" / "Info.plist"
DESKTOP = HERE / "linux" / f"{APP_ID}.desktop"
METAINFO = HERE / "linux" / f"{APP_ID}.metainfo.xml"


def info_plist(version: str) -> dict[str, Any]:
    """packaging/macos/Info.plist with the version put in (both keys: Finder shows the short
    one, Launch Services compares the other)."""
    with INFO_PLIST.open("rb") as f:
        plist: dict[str, Any] = plistlib.load(f)
    plist["CFBundleShortVersionString"] = version
    plist["CFBundleVersion"] = version
    return plist


def metainfo(version: str, date: str) -> str:
    """The AppStream file with its release: the version and the day it was made (YYYY-MM-DD)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise ValueError(f"not a YYYY-MM-DD date: {date!r}")
    text = METAINFO.read_text(encoding="utf-8")
    release = f"    <release version={quoteattr(version)} date={quoteattr(date)}/>\n"
    release = f"  <releases>\n{release}  </releases>\n"
    return text.replace("</component>", release + "</component>")


def release_date(root: Path) -> str:
    """The day of the commit built (a rebuild of it says the same), or today outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%cs"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or time.strftime("%Y-%m-%d")


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """``0.1.0`` -> (0, 1, 0, 0): the numbers a Windows version resource holds (a suffix
    such as ``rc1`` or ``+local`` is dropped there; the string keeps it)."""
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0].split("rc")[0])[:4]]
    return (*numbers, 0, 0, 0, 0)[:4]  # type: ignore[return-value]
