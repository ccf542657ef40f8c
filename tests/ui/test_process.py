"""The real ``zag-tray demo`` process: it starts, shows its agents, and ends cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil


def test_demo_quits_on_sigterm_with_its_window_open_and_cleans_up(tmp_path: Path) -> None:
    state = tmp_path / "tray-state.json"  # what the app shows, written as it changes
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ZAG_TRAY_STATE_FILE": str(state)}
    with subprocess.Popen(
        [sys.executable, "-m", "zag_tray", "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        _quit_demo(proc, state)


def _up_with_its_window(state: Path) -> bool:
    """Has the app shown its window and delivered an observation (so its event loop runs, and
    SIGTERM is handled)?"""
    try:
        shown = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return shown.get("observed") is True and shown.get("window_visible") is True


def _quit_demo(proc: subprocess.Popen[str], state: Path) -> None:
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("demo agents in ")
        base = Path(line.split(" in ", 1)[1].split(";")[0])
        deadline = time.monotonic() + 20
        agents: list[psutil.Process] = []
        while len(agents) < 4:
            assert time.monotonic() < deadline, "demo agents did not start"
            agents = psutil.Process(proc.pid).children()
            time.sleep(0.1)
        while not _up_with_its_window(state):
            assert proc.poll() is None and time.monotonic() < deadline, "the demo's window did not come up"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert not base.exists()
        _, alive = psutil.wait_procs(agents, timeout=5)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_tray_quits_on_sigterm_even_when_it_cannot_save(tmp_path: Path, base_dir: Path) -> None:
    """Its config folder is a file: the window's layout cannot be saved, the quit goes on."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "zag-tray").write_text("not a folder")
    state = tmp_path / "tray-state.json"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "QT_QPA_PLATFORM": "offscreen",  # no tray here: the app runs as a window
        "ZAG_TRAY_STATE_FILE": str(state),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "zag_tray", "--base-dir", str(base_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            deadline = time.monotonic() + 20
            while not _up_with_its_window(state):
                assert proc.poll() is None and time.monotonic() < deadline, "the tray did not come up"
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
            assert proc.stderr is not None and "cannot save settings" in proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
