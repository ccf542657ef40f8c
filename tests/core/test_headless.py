"""The remote's install has no Qt (README, "On a server"): list, show, kill, stop, watch and
where must run with PySide6 and jeepney impossible to import (a meta-path blocker loaded as
sitecustomize), on real agents. tests/remote runs them from a venv that lacks both, over ssh."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.factories import LineReader, entries_in, make_entry, write_store

BLOCKER = """
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("PySide6", "shiboken6", "jeepney"):
            raise ModuleNotFoundError(f"No module named {name!r} (a headless install)")
        return None

sys.meta_path.insert(0, NotInstalled())
"""


@pytest.fixture
def headless_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "blocker").mkdir()
    (tmp_path / "blocker" / "sitecustomize.py").write_text(BLOCKER)
    return {**os.environ, "PYTHONPATH": str(tmp_path / "blocker")}


def zag_tray(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "zag_tray", *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_blocker_blocks(headless_env: dict[str, str]) -> None:
    argv = [sys.executable, "-c", "import PySide6.QtCore"]
    done = subprocess.run(argv, env=headless_env, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "a headless install" in done.stderr


def test_the_headless_commands_run_without_qt(
    headless_env: dict[str, str], base_dir: Path, agents: Callable[..., subprocess.Popen[bytes]]
) -> None:
    one, two = agents("headless-1"), agents("headless-2")
    store = write_store(
        base_dir, [make_entry(pid=p.pid, entry_id=f"headless-{i}") for i, p in ((1, one), (2, two))]
    )
    base = ["--base-dir", str(base_dir)]
    for args in (["list"], ["list", "--all", "--json"], ["show", "headless-1"], ["where"], ["--version"]):
        done = zag_tray(headless_env, *args, *base)
        assert done.returncode == 0 and done.stderr == "", (args, done.stderr)
    assert str(one.pid) in zag_tray(headless_env, "list", *base).stdout
    watch = LineReader([sys.executable, "-m", "zag_tray", "watch", "--json", *base], headless_env)
    try:
        assert watch.event()["event"] == "hello"
        assert sorted(a["id"] for a in watch.event()["agents"]) == ["headless-1", "headless-2"]
        assert watch.proc.stdin is not None
        watch.proc.stdin.close()
        assert watch.proc.wait(10) == 0
    finally:
        watch.end()
    assert zag_tray(headless_env, "stop", "headless-2", *base).returncode == 0
    assert two.wait(10) is not None  # SIGHUP ends a sleeper
    done = zag_tray(headless_env, "kill", "headless-1", *base)
    assert done.returncode == 0, done.stderr
    assert one.wait(10) is not None and entries_in(store)["headless-1"]["status"] == "killed"
    refused = zag_tray(headless_env, "list", "--host=-oProxyCommand=x")
    assert refused.returncode == 1 and "not an ssh alias" in refused.stderr


def test_the_tray_itself_says_what_is_missing(headless_env: dict[str, str]) -> None:
    done = zag_tray({**headless_env, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode != 0 and "PySide6" in done.stderr
