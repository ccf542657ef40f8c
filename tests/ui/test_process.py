"""The real ``zag-tray demo`` process: it starts, shows its agents, and ends cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil


def test_demo_quits_on_sigterm_with_its_window_open_and_cleans_up() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # no tray here: the window is shown
    with subprocess.Popen(
        [sys.executable, "-m", "zag_tray", "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        _quit_demo(proc)


def _quit_demo(proc: subprocess.Popen[str]) -> None:
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
        time.sleep(1.5)  # let the window come up
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert not base.exists()
        _, alive = psutil.wait_procs(agents, timeout=5)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
