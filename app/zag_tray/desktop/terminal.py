"""Open the user's terminal in a folder: $TERMINAL or x-terminal-emulator (Linux),
Terminal.app (macOS), Windows Terminal or cmd (Windows).

The folder is only ever the terminal's working directory (or, for macOS's
``open -a Terminal``, the folder it opens): nothing in it is run.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final


class TerminalError(Exception):
    """No terminal could be started. ``str()`` is one line for the user."""


LINUX_TERMINALS: Final = (
    "x-terminal-emulator",
    "gnome-terminal",
    "konsole",
    "xfce4-terminal",
    "kitty",
    "alacritty",
    "xterm",
)


def terminal_command(
    platform: str | None = None,
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """The command that opens a terminal in its working directory (macOS: add the folder)."""
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    if platform == "darwin":
        return ["open", "-a", "Terminal"]
    if platform == "win32":
        return ["wt.exe", "-d", "."] if which("wt.exe") else ["cmd.exe", "/K"]
    chosen = shlex.split(environ.get("TERMINAL", ""))
    if chosen and which(chosen[0]):
        return chosen
    for name in LINUX_TERMINALS:
        if which(name):
            return [name]
    raise TerminalError("no terminal found: set $TERMINAL to your terminal's command")


def open_terminal(folder: Path, command: list[str] | None = None) -> subprocess.Popen[bytes]:
    """Start the terminal in ``folder`` (an existing directory), detached from the tray."""
    if not folder.is_dir():
        raise TerminalError(f"{folder} is not an existing directory")
    argv = command or terminal_command()
    if sys.platform == "darwin":
        argv = [*argv, str(folder)]
    return _start(argv, folder)


RUN_FLAG: Final = {"gnome-terminal": "--", "xfce4-terminal": "-x", "kitty": "", "wt.exe": ""}
"""How a terminal is told to run a command (after the flag, the argv); ``-e`` elsewhere
(x-terminal-emulator, konsole, alacritty, xterm and most others)."""


def run_in_terminal(argv: list[str], command: list[str] | None = None) -> subprocess.Popen[bytes]:
    """Start the user's terminal running ``argv`` (a fixed argv: never store text), in the home
    folder, so the person answers what it asks there (``ssh ALIAS true``: ssh's own host key
    and passphrase prompts, Sign in… in the tray's menu)."""
    platform, home = sys.platform, Path.home()
    if platform == "darwin":  # Terminal.app runs a command only as a script line
        script = shlex.join(argv).replace("\\", "\\\\").replace('"', '\\"')
        wrapped = ["osascript", "-e", f'tell application "Terminal" to do script "{script}"']
        return _start(wrapped, home)
    base = command or terminal_command()
    if platform == "win32":
        base = ["wt.exe"] if base[0] == "wt.exe" else ["cmd.exe", "/K"]
    flag = RUN_FLAG.get(Path(base[0]).name, "-e")
    return _start([*base, *([flag] if flag else []), *argv], home)


def _start(argv: list[str], folder: Path) -> subprocess.Popen[bytes]:
    detach: dict[str, object] = (
        {"creationflags": subprocess.CREATE_NEW_CONSOLE | subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined,unused-ignore]
        if sys.platform == "win32"
        else {"start_new_session": True}
    )
    try:
        return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
            argv,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **detach,
        )
    except OSError as exc:
        raise TerminalError(f"cannot start the terminal {argv[0]!r}: {exc.strerror or exc}") from None
