"""Settings, start at login, the terminal, the instance lock, the log: the Qt-free parts of #6."""

from __future__ import annotations

import logging
import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.desktop_entry import unquote_exec
from zag_tray.agents.glance import app_name
from zag_tray.desktop.autostart import LaunchAgent, RunKey, XdgAutostart, desktop_exec, launch_command
from zag_tray.desktop.instance import InstanceLock
from zag_tray.desktop.logs import setup_logging
from zag_tray.desktop.paths import BaseDirChoice, runtime_dir, store_label
from zag_tray.desktop.settings import Settings, load_settings, save_settings
from zag_tray.desktop.terminal import TerminalError, open_terminal, terminal_command

# --- settings --------------------------------------------------------------------------------------


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    wanted = Settings(notifications=False, confirm_kill=False, refresh_seconds=7.5, recent_minutes=5)
    save_settings(wanted, path)
    assert load_settings(path) == wanted


@pytest.mark.parametrize(
    "content", [b"{not json", b"\xff\xfe", b"[1, 2]", b"", b'{"notifications": "yes"'], ids=repr
)
def test_malformed_settings_mean_defaults_and_a_warning(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="zag_tray"):
        assert load_settings(path) == Settings()
    assert "using the defaults" in caplog.text
    assert (tmp_path / "settings.json.bad").read_bytes() == content  # nothing the user wrote is lost
    save_settings(Settings(), path)
    assert load_settings(path) == Settings()


def test_one_bad_value_falls_back_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"notifications": false, "refresh_seconds": -3, "recent_minutes": "x", "other": 1}')
    with caplog.at_level(logging.WARNING, logger="zag_tray"):
        loaded = load_settings(path)
    assert loaded == Settings(notifications=False)
    assert "refresh_seconds = -3.0 is not valid" in caplog.text


# --- start at login --------------------------------------------------------------------------------


def test_linux_autostart_file_is_created_and_removed_with_the_exact_command(tmp_path: Path) -> None:
    command = launch_command(["python", "-m", "zag_tray", "--base-dir", str(tmp_path / "my zag")])
    assert command == [sys.executable, "-m", "zag_tray", "--base-dir", str(tmp_path / "my zag")]
    autostart = XdgAutostart(tmp_path / "config")
    assert not autostart.is_enabled()
    autostart.enable(command)
    assert autostart.path == tmp_path / "config" / "autostart" / "zag-tray.desktop"
    lines = autostart.path.read_text().splitlines()
    assert lines[0] == "[Desktop Entry]" and "Type=Application" in lines
    exec_line = next(line for line in lines if line.startswith("Exec="))
    assert unquote_exec(exec_line.removeprefix("Exec=")) == command
    assert autostart.is_enabled()
    autostart.disable()
    assert not autostart.path.exists() and not autostart.is_enabled()


def test_the_autostart_command_starts_this_tray(tmp_path: Path) -> None:
    """The recorded command, run as a login would run it, is this program (`where` answers)."""
    autostart = XdgAutostart(tmp_path / "config")
    autostart.enable(launch_command(["python", "-m", "zag_tray", "--base-dir", str(tmp_path / "z")]))
    exec_line = next(x for x in autostart.path.read_text().splitlines() if x.startswith("Exec="))
    argv = unquote_exec(exec_line.removeprefix("Exec="))
    where = subprocess.run(
        [*argv[:3], "where", *argv[3:]], capture_output=True, text=True, timeout=30, check=True
    )
    assert f"base dir: {tmp_path / 'z'}" in where.stdout


@pytest.mark.parametrize(
    "arg", ["plain", "with space", 'q"uote', "back\\slash", "dol$lar", "50%", "new\nline", ""]
)
def test_exec_quoting_round_trips(arg: str) -> None:
    assert unquote_exec(desktop_exec(["/usr/bin/python3", arg])) == ["/usr/bin/python3", arg]


def test_launch_command_makes_the_script_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "bin" / "zag-tray"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    assert launch_command(["python3", "bin/zag-tray", "--verbose"], "/venv/bin/python") == [
        "/venv/bin/python",
        str(script),
        "--verbose",
    ]


def test_macos_launch_agent_content(tmp_path: Path) -> None:
    """Not run on macOS here: the plist launchd would read, written to a stand-in home."""
    agent = LaunchAgent(tmp_path)
    agent.enable(["/opt/py/bin/python", "-m", "zag_tray"])
    assert agent.path == tmp_path / "Library" / "LaunchAgents" / "dev.zag-tray.plist"
    content = plistlib.loads(agent.path.read_bytes())
    assert content == {
        "Label": "dev.zag-tray",
        "ProgramArguments": ["/opt/py/bin/python", "-m", "zag_tray"],
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }
    assert agent.is_enabled()
    agent.disable()
    assert not agent.is_enabled()


class FakeRegistry:
    """Stands in for winreg's HKCU Run key (Windows is not available here)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_windows_run_key_content() -> None:
    registry = FakeRegistry()
    key = RunKey(registry)
    key.enable([r"C:\Program Files\Python\python.exe", "-m", "zag_tray"])
    assert registry.values == {"zag-tray": r'"C:\Program Files\Python\python.exe" -m zag_tray'}
    assert key.is_enabled()
    key.disable()
    assert registry.values == {} and not key.is_enabled()


# --- the terminal ----------------------------------------------------------------------------------


def test_terminal_opens_in_the_agents_root(tmp_path: Path) -> None:
    """A real process stands in for the terminal and records where it was started."""
    marker = tmp_path / "started-in"
    fake = tmp_path / "my-terminal"
    fake.write_text(f'#!/bin/sh\npwd > "{marker}"\n')
    fake.chmod(0o755)
    root = tmp_path / "project"
    root.mkdir()
    command = terminal_command("linux", {"TERMINAL": str(fake)})
    assert command == [str(fake)]
    open_terminal(root, command).wait(timeout=10)
    assert marker.read_text().strip() == str(root)


def test_terminal_never_opens_a_file_or_a_missing_folder(tmp_path: Path) -> None:
    program = tmp_path / "run-me.sh"
    program.write_text("#!/bin/sh\ntouch ran\n")
    for target in (program, tmp_path / "missing"):
        with pytest.raises(TerminalError):
            open_terminal(target, ["true"])


def test_terminal_commands_per_platform() -> None:
    assert terminal_command("darwin", {}) == ["open", "-a", "Terminal"]
    assert terminal_command("win32", {}, lambda name: None) == ["cmd.exe", "/K"]
    assert terminal_command("win32", {}, lambda name: "wt.exe") == ["wt.exe", "-d", "."]
    found = {"x-terminal-emulator": "/usr/bin/x-terminal-emulator"}
    assert terminal_command("linux", {}, found.get) == ["x-terminal-emulator"]
    with pytest.raises(TerminalError, match=r"\$TERMINAL"):
        terminal_command("linux", {}, lambda name: None)


# --- one instance ----------------------------------------------------------------------------------


def test_second_lock_fails_and_wakes_the_owner(tmp_path: Path) -> None:
    first, second = InstanceLock(tmp_path / "zag", tmp_path), InstanceLock(tmp_path / "zag", tmp_path)
    assert first.acquire()
    assert not second.acquire()
    second.wake_owner()
    assert first.take_wake_request() and not first.take_wake_request()
    assert InstanceLock(tmp_path / "other", tmp_path).acquire()  # another store: another tray
    first.release()
    assert second.acquire()


def test_lock_of_a_killed_owner_is_free(tmp_path: Path) -> None:
    """kill -9 leaves the lock file behind; the lock itself goes with the process."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from zag_tray.desktop.instance import InstanceLock; "
            f"assert InstanceLock(Path({str(tmp_path / 'zag')!r}), Path({str(tmp_path)!r})).acquire(); "
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert not InstanceLock(tmp_path / "zag", tmp_path).acquire()
    holder.kill()
    holder.wait()
    holder.stdout.close()
    assert next(tmp_path.glob("tray-*.lock")).exists()
    assert InstanceLock(tmp_path / "zag", tmp_path).acquire()


# --- the log ---------------------------------------------------------------------------------------


def test_log_goes_to_a_rotating_file_and_verbose_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = setup_logging(verbose=True, path=tmp_path / "logs" / "zag-tray.log")
    try:
        logging.getLogger("zag_tray.test").debug("a detail")
        logging.getLogger("zag_tray.test").info("a kill")
        assert path is not None and "a kill" in path.read_text()
        assert "a detail" in capsys.readouterr().err
        setup_logging(verbose=False, path=path)
        logging.getLogger("zag_tray.test").info("quiet on stderr")
        assert "quiet on stderr" not in capsys.readouterr().err and "quiet on stderr" in path.read_text()
    finally:
        logger = logging.getLogger("zag_tray")
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


def test_runtime_dir_without_xdg_runtime_dir_is_quiet(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bare session (no XDG_RUNTIME_DIR): a per-user fallback, logged, not warned on stderr."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    with caplog.at_level(logging.INFO):
        folder = runtime_dir()  # a warning would fail the test (filterwarnings = error)
    if sys.platform.startswith("linux"):
        assert folder.is_absolute() and str(os.getuid()) in str(folder)
        assert "XDG_RUNTIME_DIR" in caplog.text


def test_start_at_login_from_the_demo_registers_the_tray_not_the_demo() -> None:
    assert launch_command(["python", "-m", "zag_tray", "demo", "--verbose"], "/venv/bin/python") == [
        "/venv/bin/python",
        "-m",
        "zag_tray",
        "--verbose",
    ]
    kept = launch_command(["python", "-m", "zag_tray", "--base-dir", "demo"], "/venv/bin/python")
    assert kept[-2:] == ["--base-dir", "demo"]  # a folder of that name is not the demo


def test_a_store_is_named_only_when_it_is_not_zags_own(fake_home: Path) -> None:
    assert store_label(BaseDirChoice(fake_home / ".zag", "zag's own")) == ""
    assert store_label(BaseDirChoice(fake_home / "work" / "zag", "flag")) == "~/work/zag"
    assert store_label(BaseDirChoice(Path("/srv/zag"), "flag")) == "/srv/zag"
    assert app_name("") == "zag-tray" and app_name("~/work/zag") == "zag-tray (~/work/zag)"
