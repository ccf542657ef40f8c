"""The tray's own files cannot stop it: a settings file that is not a file, a runtime folder
another user made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zag_tray.desktop.instance import InstanceLock
from zag_tray.desktop.paths import config_dir, runtime_dir
from zag_tray.desktop.settings import Settings, load_settings, save_settings

READ_SETTINGS = "import sys; from pathlib import Path; from zag_tray.desktop.settings import load_settings; "
READ_SETTINGS += "print(load_settings(Path(sys.argv[1])))"


def test_a_fifo_as_settings_file_means_the_defaults_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "settings.json"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS, str(fifo)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == repr(Settings())
    assert fifo.exists()  # not the tray's to move: left as it was


def test_a_device_as_settings_file_means_the_defaults(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link = tmp_path / "settings.json"
    link.symlink_to("/dev/zero")
    assert load_settings(link) == Settings()
    assert "not a regular file" in caplog.text


def test_a_huge_settings_file_is_not_read_whole(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    big = tmp_path / "settings.json"
    big.write_bytes(b"{" + b" " * (8 << 20) + b"}")
    assert load_settings(big) == Settings()
    assert "larger than" in caplog.text


def test_saving_into_a_config_folder_that_is_a_file_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "zag-tray"
    blocker.write_text("not a folder")
    save_settings(Settings(notifications=False), blocker / "settings.json")
    assert "cannot save settings" in caplog.text and blocker.read_text() == "not a folder"


@pytest.mark.parametrize("platformdirs_refuses", [True, False])
def test_a_runtime_folder_another_user_made_first_does_not_stop_the_tray(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, platformdirs_refuses: bool
) -> None:
    """With no XDG_RUNTIME_DIR the runtime folder is /tmp/runtime-<uid>: anyone can make it
    first. platformdirs 4.14 then raises PermissionError; older ones hand the folder over."""
    theirs = tmp_path / f"runtime-{os.getuid()}"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 1001, 1001)  # another user's (the tests run as root here, CI too)

    def platformdirs_choice() -> str:
        if platformdirs_refuses:
            raise PermissionError(f"runtime directory {theirs} is owned by uid 1001")
        return str(theirs / "zag-tray")

    chosen = runtime_dir(platformdirs_choice)
    assert chosen.is_relative_to(config_dir()) and "runtime folder" in caplog.text
    lock = InstanceLock(tmp_path / "base", chosen)
    assert lock.acquire()
    lock.release()


@pytest.mark.parametrize("mode", [0o777, 0o1777])
def test_a_runtime_folder_others_can_write_to_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    shared = tmp_path / "runtime-shared"
    shared.mkdir()
    shared.chmod(mode)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    assert not runtime_dir().is_relative_to(shared)


def test_a_private_runtime_folder_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "runtime-mine"
    mine.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(mine))
    assert runtime_dir() == mine / "zag-tray"
