"""zag-tray: a system-tray monitor for zag coding agents.

The version is written once, in pyproject.toml, and read back from the installed package's
metadata; a PyInstaller bundle carries that metadata too (packaging/pyinstaller copies the
dist-info), so ``zag-tray --version``, the About box and the bundles all say the same.
"""

from __future__ import annotations

from functools import cache

DISTRIBUTION = "zag-tray"
UNKNOWN_VERSION = "0+unknown"
"""What a source tree that was never installed (no metadata anywhere) says it is."""


@cache
def version() -> str:
    """The installed distribution's version. Read when asked, not at import: importlib.metadata
    costs about 20 ms, a third of a ``zag-tray list`` on a small store."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN_VERSION


def __getattr__(name: str) -> str:
    """``zag_tray.__version__``, the conventional spelling, worked out on first use."""
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
