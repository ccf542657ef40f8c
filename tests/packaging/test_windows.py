"""Windows: the installer script builds from what build.py and the spec make, and writes no
version of its own; the exe's version resource gets the package's numbers."""

from __future__ import annotations

import re

import pytest

from tests.packaging import PACKAGING, ROOT, load

appinfo = load("appinfo.py")
ISS = PACKAGING / "windows" / "zag-tray.iss"


def test_the_installer_takes_the_bundle_and_icon_where_the_build_puts_them() -> None:
    text = ISS.read_text(encoding="utf-8")
    here = ISS.parent

    def resolved(directive: str) -> str:
        value = re.search(rf"^{directive}[=:] *\"?([^\";\n]+)", text, re.M)
        assert value is not None, directive
        return str((here / value.group(1).replace("\\", "/")).resolve())

    assert resolved("SetupIconFile") == str(ROOT / "build/package/pyinstaller/zag-tray/icons/zag-tray.ico")
    assert resolved("OutputDir") == str(ROOT / "dist")
    assert resolved("Source").startswith(str(ROOT / "dist" / "zag-tray"))
    assert "AppVersion={#AppVersion}" in text and not re.search(r"^AppVersion=\d", text, re.M)
    assert 'ValueName: "zag-tray"' in text  # the Run value the tray's "Start at login" uses


@pytest.mark.parametrize(
    ("version", "numbers"),
    [("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("2.0.1rc1", (2, 0, 1, 0)), ("1.2.3.4.5", (1, 2, 3, 4))],
)
def test_version_numbers_for_the_exe(version: str, numbers: tuple[int, ...]) -> None:
    assert appinfo.version_tuple(version) == numbers
