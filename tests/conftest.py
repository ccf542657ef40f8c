"""Session-wide guard: tests never touch the real home; shared fixtures for real agents."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from zag_tray.demo import spawn_agent
from zag_tray.desktop import paths

pytest_plugins = ["tests.dbus_session"]  # session_bus, notification_server

FIXTURES = Path(__file__).resolve().parent / "fixtures"  # a copy of shared/fixtures
SAMPLE = FIXTURES / "processes.sample.json"

# Property tests here touch real files and processes: time is no verdict (benchmarks/ measures speed).
settings.register_profile("zag-tray", deadline=None)
settings.load_profile("zag-tray")


def _real_home() -> Path:
    """The account's home from the password database, not $HOME (which a caller may have
    changed already); Windows has no such database, and tests/core runs there too (CI)."""
    if sys.platform == "win32":
        return Path(os.environ.get("USERPROFILE") or Path.home())
    import pwd

    return Path(pwd.getpwuid(os.getuid()).pw_dir)


_REAL_HOME = _real_home()
_FAKE_HOME = Path(tempfile.mkdtemp(prefix="zag-tray-test-home-"))


def _real_dirs() -> list[Path]:
    return [
        _REAL_HOME / ".zag",
        _REAL_HOME / ".config" / "zag-tray",
        _REAL_HOME / ".local" / "state" / "zag-tray",
        _REAL_HOME / ".local" / "share" / "zag",
    ]


def _fingerprint(dirs: list[Path]) -> list[tuple[str, bool, int]]:
    out = []
    for d in dirs:
        exists = d.exists()
        out.append((str(d), exists, d.stat().st_mtime_ns if exists else 0))
    return out


_BEFORE = _fingerprint(_real_dirs())


def pytest_configure(config: pytest.Config) -> None:
    """Point HOME (and so platformdirs) at a temporary directory before any test runs."""
    os.environ["HOME"] = str(_FAKE_HOME)
    os.environ["USERPROFILE"] = str(_FAKE_HOME)
    for var in (
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
        "XDG_RUNTIME_DIR",
        "ZAG_TRAY_BASE_DIR",
        "ZAG_PROCESS_ID",
        "DBUS_SESSION_BUS_ADDRESS",  # the user's desktop: tests bring a bus of their own
    ):
        os.environ.pop(var, None)
    os.environ["XDG_RUNTIME_DIR"] = str(_FAKE_HOME / "run")  # the single-instance lock lives here
    paths.forbid(_real_dirs())


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_FAKE_HOME, ignore_errors=True)
    after = _fingerprint(_real_dirs())
    if after != _BEFORE:
        raise RuntimeError(f"the test session touched the real home: {_BEFORE} -> {after}")


@pytest.fixture
def fake_home() -> Path:
    return _FAKE_HOME


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    base = tmp_path / "zag"
    base.mkdir()
    return base


@pytest.fixture
def agents() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Spawn real agent-like children (``spawn(entry_id)``); all are ended after the test.

    ``spawn(None)`` is an untagged stranger; ``argv`` replaces the sleeping agent.
    """
    spawned: list[subprocess.Popen[bytes]] = []

    def spawn(entry_id: str | None, *, argv: list[str] | None = None) -> subprocess.Popen[bytes]:
        proc = spawn_agent(entry_id, argv)  # returns once its exec is done
        spawned.append(proc)
        return proc

    yield spawn
    for proc in spawned:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


HANDLER_AGENT = """
import pathlib, signal, sys, time
ready, marker, signame, action = sys.argv[1:5]
def handle(*_):
    pathlib.Path(marker).write_text(signame)
    if action == "exit":
        sys.exit(0)
signal.signal(getattr(signal, signame), handle)
pathlib.Path(ready).touch()
while True:
    time.sleep(0.1)
"""


@pytest.fixture
def handler_agent(
    agents: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> Callable[[str, str, str], tuple[subprocess.Popen[bytes], Path]]:
    """``handler_agent(entry_id, "SIGTERM", "ignore"|"exit")``: an agent that records the
    signal in a marker file (returned) and either ignores it or exits; ready when returned."""

    def start(entry_id: str, signame: str, action: str) -> tuple[subprocess.Popen[bytes], Path]:
        ready, marker = tmp_path / f"{entry_id}.ready", tmp_path / f"{entry_id}.signal"
        proc = agents(
            entry_id, argv=[sys.executable, "-c", HANDLER_AGENT, str(ready), str(marker), signame, action]
        )
        deadline = time.monotonic() + 10
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "agent did not start"
            time.sleep(0.02)
        return proc, marker

    return start


# The running entries of the sample: an orchestrator, its worker, the worker's worker, an orphan.
ORCH = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e02"
WORKER = "6a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c03"
GRANDCHILD = "8c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e05"
ORPHAN = "9d5e6f7a-8b9c-4d0e-1f2a-3b4c5d6e7f06"


SAMPLE_RUNNING = {42000: ORCH, 42100: WORKER, 42300: GRANDCHILD, 43000: ORPHAN}  # placeholder pid -> id


class LiveSample:
    """A copy of the shared fixture whose running entries are real child processes."""

    def __init__(self, base: Path, spawn: Callable[..., subprocess.Popen[bytes]]) -> None:
        text = SAMPLE.read_text(encoding="utf-8")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        for placeholder, entry_id in SAMPLE_RUNNING.items():
            proc = spawn(entry_id)
            self.procs[entry_id] = proc
            text = text.replace(f'"pid": {placeholder},', f'"pid": {proc.pid},')
        self.path = base / paths.STORE_NAME
        self.path.write_bytes(text.encode("utf-8"))
        self.base = base

    def alive(self, entry_id: str) -> bool:
        return self.procs[entry_id].poll() is None


@pytest.fixture
def live_sample(base_dir: Path, agents: Callable[..., subprocess.Popen[bytes]]) -> LiveSample:
    return LiveSample(base_dir, agents)


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m zag_tray ARGS`` as a real process (with a timeout: a hang fails)."""

    def run(*args: str, timeout: float = 30, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zag_tray", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,
        )  # type: ignore[call-overload]

    return run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many end-to-end tests ran, so a CI log shows they were not skipped; print the
    figures tests measured (``record_property("storm", ...)``), so a CI log has them."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        for name, figures in getattr(report, "user_properties", []):
            if isinstance(figures, dict):
                for label, values in figures.items():
                    terminalreporter.write_line(f"{name}, {label}: {values}")
    counts = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        reports = terminalreporter.stats.get(outcome, [])
        counts[outcome] = sum(
            1
            for r in reports
            if "e2e" in getattr(r, "keywords", {})
            and r.when in ("call", "setup")
            and (outcome != "passed" or r.when == "call")
        )
    if any(counts.values()):
        terminalreporter.write_line(
            "end-to-end (real X server and tray host): "
            + ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n or outcome == "passed")
        )
