"""What the orchestrator (benchmarks/run.py) and its roles (benchmarks/roles/) share: how
a role is started as a process of its own, and how a figure is timed and reported.

Every role is started the same way, ``python -m benchmarks.roles.<role> ...``, with the
repository root (for ``benchmarks``) and app/ (for ``zag_tray``) on ``PYTHONPATH``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

from zag_tray.agents.entry import Entry, Snapshot

ROOT: Final = Path(__file__).resolve().parents[1]
RUNNING: Final = 20
"""Running agents in each store: real child processes."""

RESULTS: list[tuple[str, str, bool]] = []
"""Every figure reported so far: its name, the figure, and whether its goal is met."""


def report(name: str, figure: str, goal: str, met: bool) -> None:
    RESULTS.append((name, figure, met))
    print(f"{name:<52} {figure:<34} goal {goal:<18} {'MET' if met else 'NOT MET'}", flush=True)


def note(text: str) -> None:
    """A line under the figure before it: what it was compared with, or a second figure."""
    print(f"{'':<52} {text}", flush=True)


def summary(started: float) -> str:
    met = sum(1 for *_, ok in RESULTS if ok)
    return f"{met} of {len(RESULTS)} goals met in {time.monotonic() - started:.0f} s"


def best(func: Callable[[], object], runs: int = 5, *, gc_off: bool = False) -> float:
    """The shortest of ``runs`` timings of ``func``, in seconds; with ``gc_off``, each run
    inside :func:`collector_off`."""
    times = []
    for _ in range(runs):
        with collector_off() if gc_off else contextlib.nullcontext():
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
    return min(times)


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """Automatic garbage collection off inside, and the garbage collected on the way out,
    the way the tray runs: it turns automatic collection off and collects on a GUI-thread
    timer (ui/collector.py), so no collection runs in the middle of a load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def stored_running(snapshot: Snapshot) -> list[Entry]:
    """The entries zag recorded as running: the ones the tray's Running view starts from
    (``SnapshotFacts.stored_running``), before their processes are looked at."""
    return [e for e in snapshot.entries if e.status == "running"]


def role_argv(role: str, *args: str) -> list[str]:
    """The command line that runs ``benchmarks/roles/<role>.py`` as a process of its own."""
    return [sys.executable, "-m", f"benchmarks.roles.{role}", *args]


def role_env(**extra: str) -> dict[str, str]:
    """This process's environment and ``extra``, with ``benchmarks`` and ``zag_tray`` importable."""
    paths = [str(ROOT), str(ROOT / "app")]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    return {**os.environ, **extra, "PYTHONPATH": os.pathsep.join(paths)}


def start_role(role: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """Start a role and return at once (its output goes where this process's goes)."""
    return subprocess.Popen(role_argv(role, *args), env=role_env(**env), cwd=ROOT)


def run_role(role: str, *args: str, timeout: float, **env: str) -> Any:
    """Run a role to its end and return the JSON of the last line it printed."""
    result = subprocess.run(
        role_argv(role, *args),
        env=role_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{role} failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
