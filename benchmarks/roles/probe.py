"""Role: the real tray on a store, on Qt's offscreen platform, measured from inside.

    python -m benchmarks.roles.probe STORE --seconds S --watch ID [--writer-interval S]
                                            [--all-view | --tray-alone]

The tray app runs in this process for ``--seconds``, with a 10 ms heartbeat timer on its
GUI thread (how late it fires is how long the GUI thread stalled) and, with
``--writer-interval``, a writer process (benchmarks/roles/writer.py) rewriting the store.
Prints one JSON line: ``max_stall_ms``, ``cpu_percent`` (of this process, while the
tray runs), ``rss_mb`` (at the end), ``latencies_ms`` (from each rewrite until its change
is shown) and ``switch_ms`` (the window switched from "Running only" to "All").

Modes: ``--all-view``: with the window open on every entry ("All"). ``--tray-alone``: the
window never opened, the menu opened once; changes are timed in what the tray shows.
Otherwise, with a writer, the window is opened once and closed to the tray, and changes
are timed in its model. Without a writer (the idle figure) the heartbeat stays off: at
rest it would be most of the CPU measured.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks.common import start_role
from benchmarks.roles.writer import TICKS_NAME
from zag_tray.agents.entry import Entry
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.ui.app import build_tray
from zag_tray.ui.tray import TrayApp

HEARTBEAT_MS = 10
SETTLE_SECONDS = 2.0
"""Left for the first load's follow-ups to finish before anything is measured."""


@dataclass
class Heartbeat:
    """A timer on the GUI thread: how late each beat is, and when each tick was first shown."""

    shown: Callable[[], Entry | None]
    lateness: list[float] = field(default_factory=list)
    seen: dict[int, float] = field(default_factory=dict)
    last: float = 0.0
    timer: QTimer = field(default_factory=lambda: QTimer(interval=HEARTBEAT_MS))

    def __post_init__(self) -> None:
        self.timer.timeout.connect(self.beat)

    def start(self) -> None:
        self.timer.start()
        self.last = time.monotonic()

    def beat(self) -> None:
        now = time.monotonic()
        self.lateness.append(now - self.last - HEARTBEAT_MS / 1000)
        self.last = now
        entry = self.shown()
        if entry is not None and entry.prompt and entry.prompt.startswith("tick "):
            self.seen.setdefault(int(entry.prompt.split()[1]), now)


def pump(app: QApplication, seconds: float) -> None:
    """Process events for ``seconds``, as a running event loop would."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        app.processEvents()
        time.sleep(0.005)


def prepare(app: QApplication, tray: TrayApp, *, writing: bool, all_view: bool, tray_alone: bool) -> float:
    """Bring the tray to the state measured; the seconds the switch to "All" took, if made."""
    if tray_alone:
        tray.menu.popup(QPoint(0, 0))  # as a right click does: builds it, loads the fonts
        app.processEvents()
        tray.menu.hide()
    elif writing:  # changes are timed in the window's model: open it once
        tray.open_window()
        for _ in range(20):  # shown and painted, as a user would see it
            app.processEvents()
            time.sleep(0.01)
        tray.window.close()  # to the tray
    if not all_view:
        return 0.0
    tray.window.show_and_raise()
    app.processEvents()
    begun = time.perf_counter()
    tray.window.running_only.setChecked(False)
    app.processEvents()
    return time.perf_counter() - begun


def shown_by(tray: TrayApp, watch_id: str, *, tray_alone: bool) -> Callable[[], Entry | None]:
    """How the watched entry is looked up where the user would see its change."""
    if tray_alone:

        def in_tray() -> Entry | None:
            shown = tray.observation.snapshot.entries if tray.observation else ()
            return next((e for e in reversed(shown) if e.id == watch_id), None)

        return in_tray
    return lambda: tray.window.model.entry(watch_id)


def run_probe(
    path: Path,
    seconds: float,
    watch_id: str,
    writer_interval: float | None,
    *,
    all_view: bool = False,
    tray_alone: bool = False,
) -> dict[str, Any]:
    app = QApplication(["zag-tray"])
    tray = build_tray(BaseDirChoice(path.parent, "benchmark"), path.parent / "settings.json")
    tray.start()
    while tray.observation is None:
        app.processEvents()
        time.sleep(0.005)
    writing = writer_interval is not None
    switch = prepare(app, tray, writing=writing, all_view=all_view, tray_alone=tray_alone)
    heartbeat = Heartbeat(shown_by(tray, watch_id, tray_alone=tray_alone))
    pump(app, SETTLE_SECONDS)
    ticks_file = path.parent / TICKS_NAME
    ticks_file.unlink(missing_ok=True)  # ticks of an earlier probe on this store are not ours
    writer = None
    if writer_interval is not None:
        writer = start_role(
            "writer",
            str(path),
            "--watch",
            watch_id,
            "--interval",
            str(writer_interval),
            "--seconds",
            str(seconds),
        )
    me = psutil.Process()
    cpu_before = sum(me.cpu_times()[:2])
    wall_before = time.monotonic()
    if writing:  # at rest, the heartbeat would be most of the CPU measured
        heartbeat.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    cpu = sum(me.cpu_times()[:2]) - cpu_before
    wall = time.monotonic() - wall_before
    if writer is not None:
        writer.wait()
    latencies = []
    if ticks_file.exists():
        for line in ticks_file.read_text().splitlines():
            tick, written = line.split()
            latencies.append(heartbeat.seen.get(int(tick), float("inf")) - float(written))
    tray.shutdown()
    return {
        "max_stall_ms": max(heartbeat.lateness) * 1000 if heartbeat.lateness else 0.0,
        "cpu_percent": cpu / wall * 100,
        "rss_mb": me.memory_info().rss / 1e6,
        "latencies_ms": [x * 1000 for x in latencies],
        "switch_ms": switch * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.roles.probe",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("store", type=Path)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--watch", required=True, help="the id of the entry the writer changes")
    parser.add_argument("--writer-interval", type=float, help="rewrite the store every this many s")
    view = parser.add_mutually_exclusive_group()
    view.add_argument("--all-view", action="store_true")
    view.add_argument("--tray-alone", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the launcher sets it too
    figures = run_probe(
        args.store,
        args.seconds,
        args.watch,
        args.writer_interval,
        all_view=args.all_view,
        tray_alone=args.tray_alone,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
