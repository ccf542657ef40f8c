"""One version, from the package metadata: ``--version``, ``zag_tray.__version__``, the bundles."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

import zag_tray


def test_version_is_the_package_metadata() -> None:
    expected = metadata.version("zag-tray")
    assert zag_tray.version() == zag_tray.__version__ == expected
    argv = [sys.executable, "-m", "zag_tray", "--version"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    assert (out.stdout, out.stderr) == (f"zag-tray {expected}\n", "")


def test_version_works_after_a_command_too() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "zag_tray", "--base-dir", "/nonexistent", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 0 and out.stdout.startswith("zag-tray ")


def test_the_metadata_is_read_only_when_asked() -> None:
    """importlib.metadata costs about 20 ms: the headless commands never pay for it."""
    code = "import sys, zag_tray.cli; print('importlib.metadata' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "False"


def test_without_metadata_the_version_says_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert zag_tray.version.__wrapped__() == zag_tray.UNKNOWN_VERSION


def test_other_attributes_are_still_missing() -> None:
    with pytest.raises(AttributeError):
        _ = zag_tray.no_such_thing  # type: ignore[attr-defined]
