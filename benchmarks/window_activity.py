"""What the window costs the GUI thread for an activity-only observation (issue 15).

    python benchmarks/window_activity.py [--size 100000] [--rounds 200]

While agents work, the tray gets an observation several times a second that brings nothing
but what they are doing (``Monitor.observe_activity``: the same snapshot and processes, a new
activity mapping). The window shows it by touching the Activity cells that changed and the
details of the selected agent (ui/window.py), whatever its view. Measured here on a store of
``--size`` entries (benchmarks/stores.py, 20 running agents, 5 of them with a new activity
each time), the window open on Qt's offscreen platform, in the Running view, the "All" view
(zag's order) and the "All" view filtered and sorted; each figure is the time of
``window.apply`` and the time until the repaint it caused is done. For comparison, the same
observation as one that is not activity-only (the path a store change or a look at the
processes takes).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.common import RUNNING, collector_off, note, report, summary  # noqa: E402
from benchmarks.stores import make_entries, write  # noqa: E402
from zag_tray.agents.activity import Activity, Step, StepKind, ToolOutcome  # noqa: E402
from zag_tray.agents.observation import Observation, SnapshotFacts, observe, with_activity  # noqa: E402
from zag_tray.agents.status import LiveStatus  # noqa: E402
from zag_tray.store.read import read_store  # noqa: E402
from zag_tray.ui.columns import Column  # noqa: E402
from zag_tray.ui.window import AgentWindow  # noqa: E402

CHANGED = 5
"""Agents whose activity each observation changes (the others keep the very same object)."""


def first_observation(size: int, folder: Path) -> Observation:
    """The store written as zag would, read as the tray does, its running agents checked
    running and each doing something."""
    path = folder / "processes.json"
    write(path, make_entries(size, list(range(10_000, 10_000 + RUNNING))))
    facts = SnapshotFacts.of(read_store(path))
    seen = observe(facts, {e.id: LiveStatus.RUNNING for e in facts.stored_running})
    now = time.time()
    activity = {e.id: busy(f"/logs/{e.id}.jsonl", now, 0) for e in seen.running}
    return with_activity(seen, activity, frozenset(activity), None)


def busy(log: str, now: float, tick: int) -> Activity:
    """An agent running a tool, with a timeline and a result, as a log makes one."""
    steps = tuple(
        Step(now - 30 + i, StepKind.TOOL, f"cargo test --step {tick}-{i}", "Bash", ToolOutcome.OK)
        for i in range(12)
    )
    result = f"Step {tick} done.\n" + "All tests pass. " * 200
    return Activity(
        log,
        "run",
        now - 600,
        now,
        tool="Bash",
        tool_at=now - tick % 40,
        tools_pending=1,
        steps=steps,
        result=result,
        turns=tick,
    )


def activity_only(before: Observation, tick: int) -> Observation:
    """What ``Monitor.observe_activity`` makes of ``before`` when ``CHANGED`` logs grew."""
    seen = dataclasses.replace(before, finished=(), change=None, observed_at=time.time())
    activity = dict(before.activity)
    for entry in before.running[:CHANGED]:
        activity[entry.id] = busy(activity[entry.id].log or "", seen.observed_at, tick)
    return with_activity(seen, activity, before.followed_logs, before)


Next = Callable[[Observation, int], Observation]
"""The next observation after the one the window shows (and a counter)."""


def timed(app: QApplication, window: AgentWindow, step: Next, rounds: int) -> tuple[list[float], list[float]]:
    """(apply, apply and repaint) times in ms of ``rounds`` observations ``step`` makes."""
    applied, painted = [], []
    for tick in range(1, rounds + 1):
        assert window.observation is not None
        observation = step(window.observation, tick)
        with collector_off():  # the tray collects garbage on a timer of its own (ui/collector.py)
            start = time.perf_counter()
            window.apply(observation)
            applied.append((time.perf_counter() - start) * 1000)
            app.processEvents()  # the repaint the changed cells asked for
            painted.append((time.perf_counter() - start) * 1000)
    return applied, painted


def whole(before: Observation, tick: int) -> Observation:
    """The same observation as one that is not activity-only: as a look at the processes brings it."""
    seen = activity_only(before, tick)
    return dataclasses.replace(seen, checked=dict(seen.checked))


def figures(name: str, times: tuple[list[float], list[float]], goal_ms: float | None) -> None:
    applied, painted = times
    figure = f"median {statistics.median(applied):.2f} ms, max {max(applied):.2f} ms"
    if goal_ms is None:
        note(f"{name}: {figure}")
        return
    report(name, figure, f"<= {goal_ms:g} ms", statistics.median(applied) <= goal_ms)
    note(f"with its repaint: median {statistics.median(painted):.2f} ms, max {max(painted):.2f} ms")


def filter_and_sort(window: AgentWindow) -> None:
    window.filter_edit.setText("e")
    window.filters.changed.emit()  # now, not once typing pauses
    window.sort_by(Column.PID, Qt.SortOrder.AscendingOrder)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/window_activity.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    started = time.monotonic()
    app = QApplication([])
    with tempfile.TemporaryDirectory(prefix="zag-tray-bench-") as folder:
        first = first_observation(args.size, Path(folder))
    window = AgentWindow(str(Path(folder) / "processes.json"))
    window.resize(1280, 800)
    window.apply(first)
    window.show_and_raise()
    window.select_entry(first.running[0].id)  # its details follow its activity
    print(f"{args.size:,} entries, {RUNNING} running, {CHANGED} with a new activity per observation\n")
    views: list[tuple[str, Callable[[], None]]] = [
        ("Running", lambda: None),
        ('"All"', lambda: window.running_only.setChecked(False)),
        ('"All" filtered, sorted', lambda: filter_and_sort(window)),
    ]
    for view, choose in views:
        choose()
        app.processEvents()
        figures(f"activity-only, {view} view", timed(app, window, activity_only, args.rounds), 5)
        figures(
            "  the same through the whole path", timed(app, window, whole, max(args.rounds // 20, 3)), None
        )
    print(f"\n{summary(started)}")


if __name__ == "__main__":
    main()
