"""What the bundle keeps of what PyInstaller collects for PySide6.

PyInstaller's Qt hooks take every plugin of every type a module might load, and each plugin
the libraries it links: the GTK 3 platform theme alone brought GTK, GDK, cairo, pango and
friends (about 35 MB here), the TLS plugins OpenSSL. The app draws widgets in software and
reads no network, so a plugin type is kept only if it is listed below, and then only the
plugins named (None: all of them). A library stays if a kept
binary still links it; one that only a dropped plugin linked goes too. Qt's translations go:
the app is in English and installs no translator.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

KEPT_PLUGINS: dict[str, frozenset[str] | None] = {
    # The windowing systems: X11, Wayland, Windows, macOS (not eglfs, vnc, linuxfb...).
    "platforms": frozenset({"qxcb", "qwayland", "qwayland-egl", "qwayland-generic", "qwindows", "qcocoa"}),
    # The desktop portal's theme (dialogs, colour scheme); not GTK 3's, which needs GTK itself.
    "platformthemes": frozenset({"qxdgdesktopportal"}),
    "platforminputcontexts": None,  # compose keys and input methods, for typing in the filter
    "wayland-shell-integration": frozenset({"xdg-shell"}),  # what every desktop compositor speaks
    "wayland-decoration-client": None,  # window frames where the compositor draws none (GNOME)
    "iconengines": frozenset({"qsvgicon"}),  # the desktop's SVG theme icons
    "imageformats": frozenset({"qsvg"}),
    "styles": None,  # Windows 11's and macOS's own looks
}

Entry = tuple[str, str, str]
"""PyInstaller's TOC entry: (path in the bundle, source path, type code)."""


def plugin_of(dest: str) -> tuple[str, str] | None:
    """``PySide6/Qt/plugins/platforms/libqxcb.so`` -> ("platforms", "qxcb"); None if not a plugin."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if "plugins" not in parts[:-2]:
        return None
    at = parts.index("plugins")
    name = parts[-1].split(".")[0]
    return parts[at + 1], name.removeprefix("lib")


def keeps(dest: str) -> bool:
    """Whether the file at ``dest`` is kept, by the rules above (libraries are judged later)."""
    path = dest.replace("\\", "/")
    if path.endswith(".qm") and "/translations/" in f"/{path}":
        return False
    plugin = plugin_of(path)
    if plugin is None:
        return True
    kind, name = plugin
    if kind not in KEPT_PLUGINS:
        return False
    names = KEPT_PLUGINS[kind]
    return names is None or name in names


def _name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _target(link: Entry) -> str:
    """Where a SYMLINK entry points, as a path in the bundle (its source is relative to it)."""
    dest, source = link[0].replace("\\", "/"), link[1].replace("\\", "/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(dest), source))


def trim(
    binaries: Iterable[Entry], datas: Iterable[Entry], imports_of: Callable[[str], Iterable[str]]
) -> tuple[list[Entry], list[Entry], list[str]]:
    """The binaries and data files kept, and the paths dropped. ``imports_of(source)`` names
    the libraries a binary links (PyInstaller's bindepend in the spec)."""
    binaries, datas = list(binaries), list(datas)
    files = [e for e in binaries if e[2] != "SYMLINK"]
    links = {e[0]: {_name(n) for n in imports_of(e[1])} for e in files if e[2] in ("BINARY", "EXTENSION")}
    linked = set().union(*links.values())
    kept = [e for e in files if keeps(e[0])]
    by_name = {_name(e[0]): e for e in kept if e[2] == "BINARY"}
    # Roots: extension modules, plugins, and what nothing at all links (the Python library,
    # libraries found through ctypes); libraries are kept as far as the roots reach.
    todo = [e for e in kept if e[2] != "BINARY" or plugin_of(e[0]) or _name(e[0]) not in linked]
    reached = {e[0] for e in todo}
    while todo:
        for name in links.get(todo.pop()[0], ()):
            entry = by_name.get(name)
            if entry is not None and entry[0] not in reached:
                reached.add(entry[0])
                todo.append(entry)
    gone = {e[0] for e in files if e[0] not in reached}
    # A macOS framework goes whole: its symlinks and Info.plist would dangle otherwise.
    frameworks = tuple({d.split(".framework/")[0] + ".framework/" for d in gone if ".framework/" in d})

    def stays(entry: Entry) -> bool:
        if entry[0] in gone or not keeps(entry[0]) or entry[0].startswith(frameworks):
            return False
        return entry[2] != "SYMLINK" or _target(entry) not in gone  # no link to nothing

    result = [e for e in binaries if stays(e)], [e for e in datas if stays(e)]
    return *result, sorted(e[0] for e in binaries + datas if not stays(e))
