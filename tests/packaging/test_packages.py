"""What pip installs: every package of the app (a package left out of pyproject.toml's list
is missing from a wheel, and only an editable install would still find it)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_of_the_app_is_in_the_wheel() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    app = ROOT / "app"
    found = {".".join(init.parent.relative_to(app).parts) for init in app.glob("zag_tray/**/__init__.py")}
    assert found <= listed, f"not in pyproject.toml's packages: {sorted(found - listed)}"
