"""What the bundle keeps of PySide6: the plugins the app needs, and the libraries they link."""

from __future__ import annotations

import pytest

from tests.packaging import load

trim = load("pyinstaller/trim.py")

Q = "PySide6/Qt/"


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        (Q + "plugins/platforms/libqxcb.so", True),
        (Q + "plugins/platforms/libqwayland.so", True),
        ("PySide6\\plugins\\platforms\\qwindows.dll", True),
        (Q + "plugins/platforms/libqcocoa.dylib", True),
        (Q + "plugins/platforms/libqeglfs.so", False),
        (Q + "plugins/platforms/libqvnc.so", False),
        (Q + "plugins/platformthemes/libqgtk3.so", False),
        (Q + "plugins/platformthemes/libqxdgdesktopportal.so", True),
        (Q + "plugins/imageformats/libqjpeg.so", False),
        (Q + "plugins/imageformats/libqsvg.so", True),
        (Q + "plugins/tls/libqopensslbackend.so", False),
        (Q + "plugins/xcbglintegrations/libqxcb-glx-integration.so", False),
        ("PySide6\\plugins\\styles\\qmodernwindowsstyle.dll", True),
        (Q + "translations/qtbase_de.qm", False),
        (Q + "lib/libQt6Core.so.6", True),
        ("zag_tray/resources/zag-tray.svg", True),
    ],
)
def test_keeps(dest: str, kept: bool) -> None:
    assert trim.keeps(dest) is kept


def test_a_library_goes_with_the_plugin_that_alone_linked_it() -> None:
    links = {
        "src/qgtk3": ["libgtk-3.so.0", "libQt6Gui.so.6"],
        "src/gtk": ["libglib-2.0.so.0"],
        "src/qxcb": ["libQt6Gui.so.6", "libQt6XcbQpa.so.6"],
        "src/xcbqpa": ["libQt6Gui.so.6"],
        "src/gui": ["libglib-2.0.so.0"],
        "src/QtGui.abi3.so": ["libQt6Gui.so.6"],
    }
    binaries = [
        (Q + "plugins/platformthemes/libqgtk3.so", "src/qgtk3", "BINARY"),
        ("libgtk-3.so.0", "src/gtk", "BINARY"),
        (Q + "plugins/platforms/libqxcb.so", "src/qxcb", "BINARY"),
        (Q + "lib/libQt6XcbQpa.so.6", "src/xcbqpa", "BINARY"),
        (Q + "lib/libQt6Gui.so.6", "src/gui", "BINARY"),
        ("libglib-2.0.so.0", "src/glib", "BINARY"),
        ("PySide6/QtGui.abi3.so", "src/QtGui.abi3.so", "EXTENSION"),
        ("libffi.so.8", "src/ffi", "BINARY"),  # linked by nothing: found through ctypes
        ("libgtk-3.so.0.link", "libgtk-3.so.0", "SYMLINK"),  # pointing at what goes
        ("libQt6Gui.so.6.link", Q + "lib/libQt6Gui.so.6", "SYMLINK"),
    ]
    datas = [(Q + "translations/qt_de.qm", "src/qm", "DATA"), ("base_library.zip", "src/zip", "DATA")]
    kept, kept_data, dropped = trim.trim(binaries, datas, lambda source: links.get(source, []))
    assert [e[0] for e in kept] == [
        Q + "plugins/platforms/libqxcb.so",
        Q + "lib/libQt6XcbQpa.so.6",
        Q + "lib/libQt6Gui.so.6",
        "libglib-2.0.so.0",  # GTK linked it, but so does Qt
        "PySide6/QtGui.abi3.so",
        "libffi.so.8",
        "libQt6Gui.so.6.link",
    ]
    assert kept_data == [("base_library.zip", "src/zip", "DATA")]
    assert dropped == sorted(
        [
            Q + "plugins/platformthemes/libqgtk3.so",
            "libgtk-3.so.0",
            "libgtk-3.so.0.link",
            Q + "translations/qt_de.qm",
        ]
    )


def test_a_macos_framework_goes_whole() -> None:
    fw = Q + "lib/QtNetwork.framework/"
    binaries = [
        (fw + "Versions/A/QtNetwork", "src/net", "BINARY"),
        (fw + "QtNetwork", "Versions/Current/QtNetwork", "SYMLINK"),
        (Q + "plugins/tls/libqsecuretransportbackend.dylib", "src/tls", "BINARY"),
    ]
    datas = [(fw + "Resources/Info.plist", "src/plist", "DATA")]
    links = {"src/tls": ["@rpath/QtNetwork.framework/Versions/A/QtNetwork"]}
    kept, kept_data, _ = trim.trim(binaries, datas, lambda source: links.get(source, []))
    assert kept == [] and kept_data == []
