"""Start at login: an XDG autostart entry (Linux), a LaunchAgent (macOS), a Run key (Windows).

Each one launches :func:`launch_command`, the command this tray was started
with, and reports whether it is on from what is really on disk (or in the
registry), so a menu check mark never lies.
"""

from __future__ import annotations

import plistlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final, Protocol

from zag_tray.desktop.files import atomic_write
from zag_tray.desktop.paths import APP_NAME, DESKTOP_ID, guarded, platformdirs

LABEL: Final = "dev.zag-tray"
RUN_KEY: Final = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command(argv: Sequence[str] | None = None, executable: str | None = None) -> list[str]:
    """The command line that started this process, with absolute paths (a login has no cwd).

    ``python -m zag_tray ...`` stays that, with this interpreter; the ``zag-tray``
    script is run by this interpreter too, so a virtual environment keeps working. The
    demo is never what starts at login: ``zag-tray demo`` registers the tray itself.
    """
    argv = list(sys.orig_argv if argv is None else argv)
    executable = executable or sys.executable
    given = argv[1:]
    args = [a for n, a in enumerate(given) if a != "demo" or (n and given[n - 1] == "--base-dir")]
    if args and not args[0].startswith("-") and Path(args[0]).exists():
        args[0] = str(Path(args[0]).resolve())  # the script
    return [executable, *args]


class Autostart(Protocol):
    def is_enabled(self) -> bool: ...
    def enable(self, command: Sequence[str]) -> None: ...
    def disable(self) -> None: ...


class XdgAutostart:
    """``$XDG_CONFIG_HOME/autostart/zag-tray.desktop`` (the freedesktop.org Autostart spec)."""

    def __init__(self, config_home: Path | None = None) -> None:
        home = config_home or Path(platformdirs().user_config_dir())
        self.path = guarded(home / "autostart" / f"{APP_NAME}.desktop")

    def is_enabled(self) -> bool:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        lines = {line.strip() for line in text.splitlines()}
        return "Hidden=true" not in lines and "X-GNOME-Autostart-enabled=false" not in lines

    def enable(self, command: Sequence[str]) -> None:
        atomic_write(self.path, desktop_entry(command).encode("utf-8"))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


def desktop_entry(command: Sequence[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=zag-tray\n"
        "Comment=Watch and control zag's AI coding agents from the system tray\n"
        f"Exec={desktop_exec(command)}\n"
        f"Icon={DESKTOP_ID}\n"  # installed by packaging/linux; a theme's fallback icon otherwise
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def desktop_exec(command: Sequence[str]) -> str:
    """An ``Exec=`` value (Desktop Entry spec): an argument with a reserved character in
    double quotes, ``"`$\\`` escaped inside them; then the string escapes (backslash, line
    breaks, tabs) and ``%`` doubled (field codes)."""
    parts = []
    for arg in command:
        if arg and not any(c in _RESERVED for c in arg):
            parts.append(arg)
        else:
            parts.append('"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"')
    value = " ".join(parts).replace("\\", "\\\\").replace("%", "%%")
    return value.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


_RESERVED: Final = frozenset(" \t\n\"'\\><~|&;$*?#()`")


class LaunchAgent:
    """``~/Library/LaunchAgents/dev.zag-tray.plist``: launchd loads it at the next login."""

    def __init__(self, home: Path | None = None) -> None:
        self.path = guarded((home or Path.home()) / "Library" / "LaunchAgents" / f"{LABEL}.plist")

    def is_enabled(self) -> bool:
        try:
            with self.path.open("rb") as stream:
                agent = plistlib.load(stream)
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return isinstance(agent, dict) and agent.get("RunAtLoad") is True and not agent.get("Disabled")

    def enable(self, command: Sequence[str]) -> None:
        atomic_write(self.path, launch_agent(command))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


def launch_agent(command: Sequence[str]) -> bytes:
    agent = {
        "Label": LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }
    return plistlib.dumps(agent)


class Registry(Protocol):
    """The slice of ``winreg`` used on HKCU's Run key (replaced in tests off Windows)."""

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class RunKey:
    """``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``, value ``zag-tray``."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry or WinRegistry()

    def is_enabled(self) -> bool:
        return bool(self.registry.get(APP_NAME))

    def enable(self, command: Sequence[str]) -> None:
        self.registry.set(APP_NAME, run_value(command))

    def disable(self) -> None:
        self.registry.delete(APP_NAME)


def run_value(command: Sequence[str]) -> str:
    """The command line as Windows parses it back (``CommandLineToArgvW`` quoting)."""
    return subprocess.list2cmdline(list(command))


class WinRegistry:
    """HKCU's Run key through ``winreg`` (Windows only)."""

    def get(self, name: str) -> str | None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:  # type: ignore[attr-defined,unused-ignore]
                value, _ = winreg.QueryValueEx(key, name)  # type: ignore[attr-defined,unused-ignore]
        except OSError:
            return None
        return value if isinstance(value, str) else None

    def set(self, name: str, value: str) -> None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:  # type: ignore[attr-defined,unused-ignore]
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)  # type: ignore[attr-defined,unused-ignore]

    def delete(self, name: str) -> None:
        import winreg  # type: ignore[import-not-found,unused-ignore]

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:  # type: ignore[attr-defined,unused-ignore]
                winreg.DeleteValue(key, name)  # type: ignore[attr-defined,unused-ignore]
        except FileNotFoundError:
            pass


def autostart_for(platform: str | None = None) -> Autostart:
    """The start-at-login mechanism of this OS."""
    platform = platform or sys.platform
    if platform == "darwin":
        return LaunchAgent()
    if platform == "win32":
        return RunKey()
    return XdgAutostart()
