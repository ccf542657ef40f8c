"""The figures benchmarks/run.py reports, each measured here or by a role it starts.

In this process: the reload after one entry changed (:func:`reload_time`). In roles
(benchmarks/roles/): the cold load (:func:`cold_load`) and the running tray
(:func:`probe`). The real ``zag-tray`` as a user starts it: :func:`launch_time` and
:func:`list_json_times`. Every time is in seconds unless its name says otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import RUNNING, best, collector_off, run_role, stored_running
from benchmarks.stores import write
from zag_tray.agents.tree import build_forest
from zag_tray.store.read import read_store
from zag_tray.store.reader import StoreReader


def cold_load(path: Path) -> dict[str, float]:
    """``bare``, ``full`` and ``startup`` of a fresh process (benchmarks/roles/cold.py)."""
    return run_role("cold", str(path), timeout=300)  # type: ignore[no-any-return]


def reload_time(path: Path, bare: float) -> tuple[float, float]:
    """The best of five reloads (and the Running forest) after one entry changed, as the
    tray's reader does them, and the best ``json.loads`` of the store: ``bare``, or this
    process's own if shorter. The store is left with the last change made."""
    data = path.read_bytes()
    bare = min(bare, best(lambda: json.loads(data)))  # this process's json.loads, for the reload
    reader = StoreReader(path)
    reader.read()
    reader.read()  # the first change after start regroups the whole file once; steady state after
    doc = json.loads(data)
    victim = doc["processes"][-RUNNING - 3]
    times = []
    for tick in range(5):
        victim["prompt"] = f"changed {tick}"
        write(path, doc["processes"])
        with collector_off():  # as on the tray's worker thread
            start = time.perf_counter()
            snapshot = reader.read()
            build_forest(stored_running(snapshot))
            times.append(time.perf_counter() - start)
        assert snapshot == read_store(path)
    return min(times), bare


def probe(
    path: Path,
    seconds: float,
    watch_id: str,
    writer_interval: float | None,
    *,
    all_view: bool = False,
    tray_alone: bool = False,
) -> dict[str, Any]:
    """The real tray (offscreen) on ``path`` in a process of its own (benchmarks/roles/probe.py)."""
    args = [str(path), "--seconds", str(seconds), "--watch", watch_id]
    if writer_interval is not None:
        args += ["--writer-interval", str(writer_interval)]
    if all_view:
        args.append("--all-view")
    if tray_alone:
        args.append("--tray-alone")
    return run_role(  # type: ignore[no-any-return]
        "probe", *args, timeout=seconds + 120, QT_QPA_PLATFORM="offscreen"
    )


def launch_time(path: Path) -> float:
    """Process start until the tray icon is shown (its state file is written right after show())."""
    times = []
    for _ in range(4):  # the first run warms the caches
        state = path.parent / "launch-state.json"
        state.unlink(missing_ok=True)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ZAG_TRAY_STATE_FILE": str(state)}
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "zag_tray", "--base-dir", str(path.parent)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not state.exists():
            if time.monotonic() - start > 20:
                raise SystemExit("the tray did not start")
            time.sleep(0.002)
        times.append(time.monotonic() - start)
        proc.terminate()
        proc.wait()
    return min(times[1:])


def list_json_times(path: Path) -> tuple[float, float]:
    """``zag-tray list --json`` on the store, and ``python -c 'json.load(...)'`` of it."""
    ours = [sys.executable, "-m", "zag_tray", "list", "--json", "--base-dir", str(path.parent)]
    bare = [sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"]

    def timed(argv: list[str]) -> float:
        return best(lambda: subprocess.run(argv, stdout=subprocess.DEVNULL, check=True), runs=4)

    return timed(ours), timed(bare)
