"""Tests of packaging/: the bundle's trimming, icons, desktop files, Info.plist, installers.

packaging/ is no Python package (PyPI's ``packaging``, which pip and pytest import, would be
shadowed), so its modules are loaded by path.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def load(relative: str) -> ModuleType:
    path = PACKAGING / relative
    spec = importlib.util.spec_from_file_location(f"zag_tray_packaging_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def need(tool: str, debian_package: str) -> str:
    """The tool's path; skipped without it, but failed under CI=true, as tests/e2e does."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (Debian: {debian_package}; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
