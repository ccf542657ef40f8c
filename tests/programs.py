"""The programs the desktop tests start (X servers, tray hosts, compositors, buses): asking for
them, and ending them."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def require_tools(tools: tuple[str, ...], who: str) -> None:
    """Skip ``who`` (say "end-to-end tests") without ``tools``, except under CI=true, where a
    missing tool fails the run: CI never skips these silently."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        message = f"{who} need {', '.join(missing)} (Debian: see .ci/run)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def end_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 5 s; reaped either way."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
