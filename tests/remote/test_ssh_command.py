"""remote/ssh.py: the alias rule, ssh's argv, the remote command (run by a real sh, as the
remote shell runs it) and the private ControlMaster directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zag_tray.remote.ssh import AliasError, SshConfig, checked_alias, control_dir, remote_command, ssh_argv

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shells and modes")

HOSTILE = ["; touch pwned", "$(touch pwned)", "`touch pwned`", "it's", 'a "b" c', "\\", "*", "-- x", ""]


@pytest.mark.parametrize("alias", ["dev", "dev-box.example.com", "u@host", "_x@1.2.3.4", "a_b"])
def test_an_alias_of_letters_digits_dots_and_dashes_is_taken(alias: str) -> None:
    assert checked_alias(alias) == alias


@pytest.mark.parametrize(
    "alias", ["", "-oProxyCommand=id", "host;id", "a b", "ho$t", "h\nx", "@host", "u@-x", "x" * 300, "é"]
)
def test_anything_else_is_refused(alias: str) -> None:
    with pytest.raises(AliasError):
        ssh_argv(alias, "true", SshConfig())


def test_the_argv_never_prompts_forwards_or_hangs_and_the_alias_follows_the_double_dash() -> None:
    argv = ssh_argv("dev", "CMD", SshConfig(control_dir=Path("/tmp/zt-1")))
    options = [argv[i + 1] for i, word in enumerate(argv) if word == "-o"]
    assert argv[:2] == ["ssh", "-T"] and argv[-3:] == ["--", "dev", "CMD"]
    for needed in (
        "BatchMode=yes",
        "ConnectTimeout=10",
        "ServerAliveInterval=3",
        "ServerAliveCountMax=2",
        "ClearAllForwardings=yes",
        "ForwardAgent=no",
        "ForwardX11=no",
        "RemoteCommand=none",
        "RequestTTY=no",
        "PermitLocalCommand=no",
        "LogLevel=ERROR",
        "ControlMaster=auto",
        "ControlPersist=60",
        "ControlPath=/tmp/zt-1/%C",
    ):
        assert needed in options


def test_without_a_control_directory_there_is_no_master_even_if_the_users_config_has_one() -> None:
    argv = ssh_argv("dev", "CMD", SshConfig(ssh="/usr/bin/ssh", config_file="/x/cfg"))
    assert argv[:4] == ["/usr/bin/ssh", "-T", "-F", "/x/cfg"]
    assert "ControlMaster=no" in argv and "ControlPath=none" in argv


@pytest.fixture
def remote_home(tmp_path: Path) -> Path:
    """A home with a fake zag-tray in ~/.local/bin that writes its argv, one per line."""
    home = tmp_path / "home"
    _fake_zag_tray(home / ".local" / "bin" / "zag-tray", "local-bin")
    return home


def _fake_zag_tray(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho {name}\nfor a in "$@"; do printf "%s\\n" "[$a]"; done\n')
    path.chmod(0o755)


def _as_remote_shell(
    command: str, home: Path, path: str = "/usr/bin:/bin"
) -> subprocess.CompletedProcess[str]:
    """What sshd does with the command: the user's shell runs it with -c, in their home."""
    env = {"HOME": str(home), "PATH": path}
    return subprocess.run(
        ["sh", "-c", command], cwd=home, env=env, capture_output=True, text=True, check=False
    )


def test_each_word_reaches_zag_tray_as_it_was_and_nothing_runs(remote_home: Path) -> None:
    done = _as_remote_shell(remote_command(["kill", "--", *HOSTILE]), remote_home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["local-bin", "[kill]", "[--]", *(f"[{w}]" for w in HOSTILE)]
    assert not list(remote_home.glob("pwned"))


def test_zag_tray_on_path_comes_before_local_bin(remote_home: Path, tmp_path: Path) -> None:
    _fake_zag_tray(tmp_path / "bin" / "zag-tray", "on-path")
    done = _as_remote_shell(remote_command(["list"]), remote_home, f"{tmp_path / 'bin'}:/usr/bin:/bin")
    assert done.stdout.splitlines() == ["on-path", "[list]"]


def test_a_path_set_per_host_is_used_as_it_is_or_under_home(remote_home: Path, tmp_path: Path) -> None:
    _fake_zag_tray(tmp_path / "odd dir" / "zt", "absolute")
    _fake_zag_tray(remote_home / "venv $x" / "zt", "home")
    assert _as_remote_shell(
        remote_command(["list"], str(tmp_path / "odd dir" / "zt")), remote_home
    ).stdout == ("absolute\n[list]\n")
    assert _as_remote_shell(remote_command(["a b"], "~/venv $x/zt"), remote_home).stdout == "home\n[a b]\n"


@pytest.mark.parametrize("program", ["zag-tray", "bin/zt", "~user/zt", "/x\n/y", ""])
def test_a_per_host_path_must_be_absolute_or_under_home(program: str) -> None:
    with pytest.raises(AliasError):
        remote_command(["list"], program)


def test_nowhere_to_be_found_is_exit_127(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert _as_remote_shell(remote_command(["list"]), tmp_path / "empty").returncode == 127


def test_the_control_directory_is_made_private(tmp_path: Path) -> None:
    path, why = control_dir(tmp_path / "zt")
    assert (path, why) == (tmp_path / "zt", "")
    assert (tmp_path / "zt").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("trap", ["open", "link"])
def test_a_directory_others_can_enter_or_a_link_turns_the_master_off(tmp_path: Path, trap: str) -> None:
    target = tmp_path / "zt"
    if trap == "open":
        target.mkdir(mode=0o777)
        target.chmod(0o777)
    else:
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        target.symlink_to(tmp_path / "elsewhere")
    path, why = control_dir(target)
    assert path is None and "not a private directory of ours" in why


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("chown") is None, reason="needs root to give it away")
def test_a_directory_of_another_user_turns_the_master_off(tmp_path: Path) -> None:
    target = tmp_path / "zt"
    target.mkdir(mode=0o700)
    os.chown(target, 65534, 65534)
    assert control_dir(target)[0] is None
