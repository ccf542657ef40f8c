"""The ssh command line: the system ``ssh`` binary, so the user's ssh_config (Match,
ProxyJump), agent and FIDO keys all apply, with options that keep a background process
from ever prompting, hanging on a dead link or forwarding anything.

Nothing here ever reaches a shell unquoted: the alias follows ``--`` and must match
:data:`ALIAS` (``-oProxyCommand=...`` cannot be one), and the remote command is a fixed
argv, each part quoted (ssh joins its arguments with spaces and the remote shell parses
them again). Store text never goes into it.
"""

from __future__ import annotations

import os
import shlex
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from zag_tray.agents.hostnames import ALIAS, PROGRAM

FIND: Final = (
    'command -v zag-tray >/dev/null 2>&1 && exec zag-tray "$@"; exec "$HOME"/.local/bin/zag-tray "$@"'
)
"""The remote script when no path is set: zag-tray on PATH, else where ``pip install --user``
and pipx put it (``ssh host cmd`` does not put ``~/.local/bin`` on PATH, and a quoted ``~`` is
not expanded). Not found, the shell exits 127: "not installed" (remote/failures.py)."""
AT_PATH: Final = 'exec "$0" "$@"'
AT_HOME: Final = 'exec "$HOME/$0" "$@"'
MARKER: Final = b"\x1ezag-tray\x1e\n"
"""The line a one-shot command's script prints before zag-tray runs: what came before it on
stdout is the remote shell's startup files talking (a ``.bashrc`` that echoes), not ours."""
_SAY_MARKER: Final = "printf '\\036zag-tray\\036\\n'; "


class AliasError(ValueError):
    """An alias or a per-host path that does not match the strict rule."""


def checked_alias(alias: str) -> str:
    if not ALIAS.fullmatch(alias):
        raise AliasError(f"not an ssh alias: {alias!r} (letters, digits, '.', '_', '-'; an optional user@)")
    return alias


@dataclass(frozen=True, slots=True)
class SshConfig:
    """How ssh is run. The keepalives find a dead link in 6 to 9 s (3 s, twice), so a host
    is shown offline within 10 s; a ControlMaster shares one connection between the stream
    and the actions (a command through it took 7 ms instead of 190 ms: shared/REMOTE.md)."""

    ssh: str = "ssh"
    config_file: str | None = None
    """``-F``: another ssh_config than the user's (the tests' own)."""
    control_dir: Path | None = None
    """The private directory of the master's socket; None: no ControlMaster (Windows)."""
    connect_timeout: int = 10
    alive_interval: int = 3
    alive_count: int = 2
    persist: int = 60
    """Seconds the master stays after its last client (an action soon after a list reuses it)."""


OPTIONS: Final = (
    "BatchMode=yes",  # never a prompt in the background: signing in is the user's terminal's
    "ClearAllForwardings=yes",
    "ForwardAgent=no",
    "ForwardX11=no",
    "RemoteCommand=none",  # the user's config must not replace our command
    "RequestTTY=no",
    "PermitLocalCommand=no",
    "LogLevel=ERROR",  # errors still say why (remote/failures.py reads them), banners do not
)


def ssh_argv(alias: str, command: str, config: SshConfig) -> list[str]:
    """The argv that runs ``command`` (see :func:`remote_command`) on ``alias``. Options on
    the command line win over the user's ssh_config (ssh takes the first value it meets)."""
    argv = [config.ssh, "-T"]
    if config.config_file is not None:
        argv += ["-F", config.config_file]
    for option in (
        *OPTIONS,
        f"ConnectTimeout={config.connect_timeout}",
        f"ServerAliveInterval={config.alive_interval}",
        f"ServerAliveCountMax={config.alive_count}",
        *_control(config),
    ):
        argv += ["-o", option]
    return [*argv, "--", checked_alias(alias), command]


def _control(config: SshConfig) -> tuple[str, ...]:
    """Our own master, never the user's (one without keepalives makes its clients hang past
    ConnectTimeout: agent-deck #1421); none at all without a private directory."""
    if config.control_dir is None:
        return ("ControlMaster=no", "ControlPath=none")  # Windows' ssh.exe has no ControlMaster
    return (
        "ControlMaster=auto",
        f"ControlPersist={config.persist}",
        f"ControlPath={config.control_dir}/%C",  # %C: a 40-character hash of host, port, user
    )


def remote_command(argv: Sequence[str], program: str | None = None, *, marker: bool = False) -> str:
    """``zag-tray ARGV...`` as the remote shell reads it: ``sh -c SCRIPT NAME ARGV...``, every
    word quoted, so only the fixed script is ever parsed as shell. ``program``: where
    zag-tray is on that host (absolute, or under ``~/``); None looks on PATH, then in
    ``~/.local/bin``. ``marker``: print :data:`MARKER` first (a stream has its hello line)."""
    if program is None:
        script, name = FIND, "zag-tray"
    elif not PROGRAM.fullmatch(program):
        raise AliasError(f"not a path to zag-tray: {program!r} (absolute, or starting with ~/)")
    elif program.startswith("~/"):
        script, name = AT_HOME, program[2:]
    else:
        script, name = AT_PATH, program
    return shlex.join(["sh", "-c", _SAY_MARKER * marker + script, name, *argv])


def control_dir(base: Path | None = None) -> tuple[Path | None, str]:
    """The master's socket directory, made private if missing (``/tmp/zt-<uid>``: macOS
    limits a socket path to 104 bytes, too few under $TMPDIR), and why there is none: on
    Windows, or when what is there is not a directory of ours that only we can enter (it
    could be another user's trap); ssh then runs without a master."""
    if sys.platform == "win32":
        return None, "Windows' ssh has no ControlMaster"
    path = base or Path(f"/tmp/zt-{os.getuid()}")  # noqa: S108 (owner and mode checked below)
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        return None, f"cannot make {path}: {exc}"
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None, f"{path} is not a private directory of ours (mode {stat.filemode(st.st_mode)})"
    return path, ""


SSH_CONFIG_ENV: Final = "ZAG_TRAY_SSH_CONFIG"
"""An ssh_config for zag-tray's ssh alone (``ssh -F``); unset: the user's own."""
CONTROL_DIR_ENV: Final = "ZAG_TRAY_CONTROL_DIR"
"""Another directory for the ControlMaster's socket (checked as private all the same)."""


def configured() -> SshConfig:
    """The system ssh (``/usr/bin/ssh`` first: a GUI on macOS gets a minimal PATH), our own
    ControlMaster directory when it is private, and ``ZAG_TRAY_SSH_CONFIG``: the one rule
    for the tray (ui/remote_link.py) and the command line (cli/hosts.py) alike."""
    import shutil

    ssh = "/usr/bin/ssh" if os.path.exists("/usr/bin/ssh") else shutil.which("ssh") or "ssh"
    named = os.environ.get(CONTROL_DIR_ENV)
    where, _why = control_dir(Path(named) if named else None)
    return SshConfig(ssh=ssh, config_file=os.environ.get(SSH_CONFIG_ENV) or None, control_dir=where)
