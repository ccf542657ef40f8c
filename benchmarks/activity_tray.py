"""Following the running agents' session logs in the real tray (issue 15): its CPU, and how
late an event shows.

    python benchmarks/activity_tray.py [--seconds 20]

The same 20 running agents as benchmarks/activity.py (real processes, each appending 5
events a second to its session log: a prompt, a tool call, its result, a message, the end
of a turn, a heartbeat every 10 s), watched by the whole tray as it runs for a user: the
app built by ``build_tray`` on Qt's offscreen platform, its watcher following the logs
(file-system events, 300 ms of debounce), the icon, the tooltip and the menu applied at
each observation as under a StatusNotifierItem host (which renders the menu ahead), the
"waiting" notifications made (each agent's turn ends once a second). Measured:

1. The tray's CPU (user + system, all its threads) against the same run with the agents
   writing to files that are no agent's log. Goal: at most 3 % of a core more. Then the
   same with the window open (its model and details applying every activity change).
2. Event -> model: for each event, from the moment its line is written to the moment the
   tray (and the window's model, when open) has applied an observation carrying it.
   Goal: median at most 300 ms.
3. At rest, logs unchanged: the tray's CPU with logs against without. Goal: no more (an agent
   without a log costs a look for it now and then: the run without logs is the dearer).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]

from benchmarks.activity import EVENTS_PER_SECOND, report_extra_cpu, scenario  # noqa: E402
from benchmarks.common import RUNNING, note, report, summary  # noqa: E402

WINDOW_ENV = "ZAG_TRAY_BENCH_WINDOW"
"""Set: the driver opens the window too."""


def drive(store: Path, seconds: float, warmup: float) -> dict[str, object]:
    """The tray on ``store`` for ``seconds`` after ``warmup``: its CPU and each event's delay."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from zag_tray.agents.observation import Observation
    from zag_tray.desktop.paths import BaseDirChoice
    from zag_tray.ui.app import build_tray
    from zag_tray.ui.host import Host
    from zag_tray.ui.notifier import Notifier

    app = QApplication(["zag-tray"])
    settings = Path(tempfile.mkdtemp(prefix="zag-tray-bench-")) / "settings.json"
    tray = build_tray(
        BaseDirChoice(store.parent, "bench"), settings, notifier=Notifier(open_client=None), host=Host.SNI
    )
    latest: dict[str, float] = {}
    delays: list[float] = []
    counts = {"observations": 0}
    cpu0 = [0.0, 0.0]

    def applied(observation: Observation) -> None:
        """Connected after the tray's own slot: called once the tray (and window) applied it."""
        made = time.time()
        counts["observations"] += 1
        for entry_id, activity in observation.activity.items():
            before = latest.get(entry_id, float("inf"))
            delays.extend(made - s.at for s in activity.steps if s.at is not None and s.at > before)
            if activity.last_event_at is not None:
                latest[entry_id] = activity.last_event_at

    def measure() -> None:
        cpu0[:] = [_cpu(), time.thread_time()]
        delays.clear()
        counts["observations"] = 0

    tray.watcher.observed.connect(applied)
    tray.start()
    if os.environ.get(WINDOW_ENV):
        tray.open_window()
    QTimer.singleShot(int(warmup * 1000), measure)
    QTimer.singleShot(int((warmup + seconds) * 1000), app.quit)
    app.exec()
    cpu = (_cpu() - cpu0[0]) / seconds
    gui = (time.thread_time() - cpu0[1]) / seconds
    followed = len(tray.observation.followed_logs) if tray.observation else 0
    tray.shutdown()
    return {"cpu": cpu, "gui": gui, "delays": delays, "calls": counts, "followed": followed}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tray_figures(folder: Path, seconds: float) -> None:
    def run(name: str, *, logs: bool, rate: float, window: bool = False) -> dict[str, object]:
        where = folder / name
        where.mkdir()
        os.environ.pop(WINDOW_ENV, None)
        if window:
            os.environ[WINDOW_ENV] = "1"
        return scenario(where, logs=logs, rate=rate, seconds=seconds, debounce=0.0, driver=Path(__file__))

    for window in (False, True):
        shown = "tray and window" if window else "tray"
        busy = run(f"busy-{window}", logs=True, rate=EVENTS_PER_SECOND, window=window)
        quiet = run(f"quiet-{window}", logs=False, rate=EVENTS_PER_SECOND, window=window)
        report_extra_cpu(f"{shown} CPU, {RUNNING} agents x {EVENTS_PER_SECOND} events/s", busy, quiet)
        observations = busy["calls"]["observations"]  # type: ignore[index]
        note(
            f"{observations / seconds:.1f} observations applied a second, {busy['followed']} logs followed;"
            f" the GUI thread {busy['gui'] * 100:.2f} % of a core"  # type: ignore[operator]
        )
        delays = sorted(busy["delays"])  # type: ignore[type-var]
        median = statistics.median(delays) * 1000
        p95 = delays[int(len(delays) * 0.95)] * 1000
        report(
            f"event -> {'model (window open)' if window else 'tray (icon, tooltip, menu)'}",
            f"median {median:.0f} ms, p95 {p95:.0f} ms ({len(delays):,} events)",
            "median <= 300 ms",
            median <= 300,
        )
    still = run("still", logs=True, rate=0)
    bare = run("bare", logs=False, rate=0)
    extra = (still["cpu"] - bare["cpu"]) * 100  # type: ignore[operator]
    report(
        "tray at rest, logs unchanged: CPU with vs without logs",
        f"{extra:+.3f} % of a core ({still['cpu'] * 100:.3f} vs {bare['cpu'] * 100:.3f})",  # type: ignore[operator]
        "no more (< +0.1 %)",
        extra < 0.1,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each run is measured")
    parser.add_argument("--drive", nargs=3, metavar=("STORE", "SECONDS", "DEBOUNCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(drive(Path(args.drive[0]), float(args.drive[1]), warmup=3.0)))
        return 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zag-tray-activity-tray-") as folder:
        tray_figures(Path(folder), args.seconds)
    print(summary(started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
