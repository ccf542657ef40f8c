"""Following the running agents' session logs (issue 15): what it costs, how late it is.

    python benchmarks/activity.py [--seconds 15]

1. The first read of a 100 MB log (one session, off the GUI thread: the monitor's worker):
   a log of tool output and messages, and one of 320,000 short lines. Goal: 1 s.
2. 20 running agents (real processes), each appending 5 events a second to its log, and a
   monitor driven as the tray drives it: a file-system watch (inotify) on the store's folder
   and on the logs it follows, 60 ms of debounce, an observation when the store changed or
   every 3 s, the logs alone read when one of them changed (``Monitor.observe_activity``,
   ``--debounce`` after the change: 60 ms, the store's) or an activity is due to change by
   the clock. Its CPU (user + system, all threads) is
   compared with the same run where the agents write elsewhere (no logs to follow). Goal:
   at most 3 % of a core more. The Qt side (the model, menu and tooltip applying each
   observation) is not in it: the UI is not wired to the activity yet.
3. Event -> observation: for each event, from the moment its line is written to the moment
   an observation carrying it is made. Goal: median at most 300 ms.
4. At rest: the same agents writing nothing, with and without logs: the CPU is unchanged
   and no log is read.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]

from tests.session_logs import SessionLog, log_path  # noqa: E402

from benchmarks.common import RUNNING, note, report, summary  # noqa: E402
from zag_tray.demo import make_entry, write_store  # noqa: E402

EVENTS_PER_SECOND = 5
DEBOUNCE = 0.06
LIVENESS = 3.0

AGENT = r"""
import os, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[3], sys.argv[3] + "/app"]
from tests.session_logs import SessionLog
path, rate = sys.argv[1], float(sys.argv[2])
if path == "-":  # no log: alive alone
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.2)
else:
    SessionLog(Path(path)).work_until_orphaned(lambda: 1 / rate if rate else 0.2, lambda: not rate)
"""


# --- 1. the first read ----------------------------------------------------------------------


def big_log(path: Path, mix: str) -> None:
    """About 100 MB of one session: ``tools`` (tool output, messages) or ``short`` lines."""
    import random

    log = SessionLog(path)
    out = path.open("w", encoding="utf-8")
    t = time.time() - 86400
    out.write(log.line("session_started", {"command": "run", "model": "sonnet"}, at=t) + "\n")
    size, i = 0, 0
    while size < 100 << 20:
        i, t = i + 1, t + 0.1
        step = i % 8 if mix == "tools" else (0, 2, 3, 1, 7, 4, 5)[i % 7]
        if step in (2, 4):
            line = log.line(
                "tool_call", {"tool_name": "Bash", "tool_id": f"t{i}", "input": {"command": "ls"}}, at=t
            )
        elif step in (3, 5):
            output = "x" * (random.randint(200, 20000) if mix == "tools" else 20)
            line = log.line("tool_result", {"tool_id": f"t{i - 1}", "success": True, "output": output}, at=t)
        elif step in (1, 6):  # 7: a prompt
            text = "I will run the tests and fix what fails.\n" * (
                random.randint(1, 20) if mix == "tools" else 1
            )
            line = log.line("assistant_message", {"content": text, "message_id": None}, at=t)
        elif step == 0:
            line = log.line("heartbeat", {"interval_secs": 10}, at=t)
        else:
            line = log.line("user_message", {"role": "user", "content": "go on", "message_id": None}, at=t)
        out.write(line + "\n")
        size += len(line) + 1
    out.close()


def first_read(folder: Path) -> None:
    from zag_tray.sessions.follow import LogFollower

    for mix, name in (("tools", "tool output and messages"), ("short", "short lines")):
        path = folder / f"{mix}.jsonl"
        big_log(path, mix)
        lines = path.read_bytes().count(b"\n")
        times = []
        for _ in range(3):
            follower = LogFollower(path)
            start = time.perf_counter()
            follower.poll()
            times.append(time.perf_counter() - start)
        assert follower.activity().malformed == 0
        size = path.stat().st_size / (1 << 20)
        report(
            f"first read, {size:.0f} MB log ({name})",
            f"{min(times):.2f} s (worst {max(times):.2f}; {lines:,} lines)",
            "<= 1 s",
            max(times) <= 1.0,
        )
        path.unlink()


# --- 2-4. the monitor, driven as the tray drives it -------------------------------------------

IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x2, 0x8, 0x80, 0x100


class Inotify:
    """Linux's inotify through libc: the kernel facility Qt's QFileSystemWatcher uses."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        self.watched: dict[str, int] = {}
        self.names: dict[int, str] = {}

    def watch(self, path: str, mask: int) -> None:
        if path not in self.watched:
            wd = self.libc.inotify_add_watch(self.fd, path.encode(), mask)
            if wd >= 0:
                self.watched[path], self.names[wd] = wd, path

    def forget(self, keep: set[str]) -> None:
        for path in set(self.watched) - keep:
            self.libc.inotify_rm_watch(self.fd, self.watched.pop(path))

    def read(self) -> list[str]:
        """The paths that had events (drained)."""
        found = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return found
            at = 0
            while at < len(data):
                wd, _mask, _cookie, size = struct.unpack_from("iIII", data, at)
                found.append(self.names.get(wd, ""))
                at += 16 + size


def drive(store: Path, seconds: float, warmup: float, debounce: float = DEBOUNCE) -> dict[str, object]:
    """The monitor driven like the tray for ``seconds`` after ``warmup``: its CPU, its calls,
    and each event's delay (the driver process: ``--drive``)."""
    from zag_tray.procs.monitor import Monitor

    monitor = Monitor(store)
    notify = Inotify()
    notify.watch(str(store.parent), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
    seen = monitor.observe()
    store_due = logs_due = None
    looked = time.monotonic()
    latest: dict[str, float] = {}
    delays: list[float] = []
    calls = {"observe": 0, "observe_activity": 0}
    start = time.monotonic()
    measuring = False
    cpu0 = 0.0
    while True:
        now = time.monotonic()
        if not measuring and now - start >= warmup:
            measuring, cpu0, t0 = True, _cpu(), now
            calls = dict.fromkeys(calls, 0)
            delays.clear()
        if measuring and now - t0 >= seconds:
            break
        logs = {str(p) for p in seen.followed_logs}
        notify.forget(logs | {str(store.parent)})
        for path in logs:
            notify.watch(path, IN_MODIFY)
        due = [d for d in (store_due, logs_due, looked + LIVENESS) if d is not None]
        if seen.activity_due is not None:
            due.append(now + max(seen.activity_due - time.time(), 0))
        ready, _, _ = select.select([notify.fd], [], [], max(min(due) - now, 0))
        now = time.monotonic()
        if ready:
            for path in notify.read():
                if path == str(store.parent):
                    store_due = store_due or now + DEBOUNCE
                else:
                    logs_due = logs_due or now + debounce
        if (store_due is not None and now >= store_due) or now >= looked + LIVENESS:
            seen, store_due, looked = monitor.observe(), None, now
            calls["observe"] += 1
        elif (logs_due is not None and now >= logs_due) or (
            seen.activity_due is not None and time.time() >= seen.activity_due
        ):
            seen, logs_due = monitor.observe_activity(), None
            calls["observe_activity"] += 1
        else:
            continue
        made = time.time()
        for entry_id, activity in seen.activity.items():
            before = latest.get(entry_id, float("inf"))
            for step in activity.steps:
                if step.at is not None and step.at > before:
                    delays.append(made - step.at)
            if activity.last_event_at is not None:
                latest[entry_id] = activity.last_event_at
    return {
        "cpu": (_cpu() - cpu0) / seconds,
        "calls": calls,
        "delays": delays,
        "followed": len(seen.followed_logs),
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def scenario(
    folder: Path, *, logs: bool, rate: float, seconds: float, debounce: float, driver: Path | None = None
) -> dict[str, object]:
    """20 agents appending ``rate`` events a second, to their logs or (``logs`` False) to files
    that are no agent's log; the figures of the driver (``driver``'s ``--drive``: this file's
    monitor, or benchmarks/activity_tray.py's real tray)."""
    base = folder / f"{'logs' if logs else 'nologs'}-{rate:g}"
    base.mkdir()
    agents, entries = [], []
    env = {k: v for k, v in os.environ.items() if k != "ZAG_PROCESS_ID"}
    try:
        for i in range(RUNNING):
            entry_id = f"agent-{i:02d}"
            entry = make_entry(pid=0, entry_id=entry_id, command="interactive", root=f"/home/u/proj{i % 4}")
            path = (
                log_path(base, entry["root"], entry["session_id"])
                if logs
                else base / "elsewhere" / f"{i}.jsonl"
            )
            writer = SessionLog(path)
            writer.session_started("interactive")
            proc = subprocess.Popen(
                [sys.executable, "-c", AGENT, str(path), str(rate), str(ROOT)],
                env={**env, "ZAG_PROCESS_ID": entry_id},
            )
            agents.append(proc)
            entry["pid"] = proc.pid
            entries.append(entry)
        write_store(base, entries)
        driver = subprocess.run(
            [
                sys.executable,
                str(driver or __file__),
                "--drive",
                str(base / "processes.json"),
                str(seconds),
                str(debounce),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
        return json.loads(driver.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
    finally:
        for proc in agents:
            proc.kill()
            proc.wait()


def report_extra_cpu(name: str, busy: dict[str, object], quiet: dict[str, object]) -> None:
    """The CPU following the logs costs: ``busy`` (logs followed) over ``quiet`` (the same
    agents writing elsewhere). Goal: at most 3 % of a core more."""
    extra = (busy["cpu"] - quiet["cpu"]) * 100  # type: ignore[operator]
    report(
        name,
        f"+{extra:.2f} % of a core ({busy['cpu'] * 100:.2f} vs {quiet['cpu'] * 100:.2f})",  # type: ignore[operator]
        "<= +3 %",
        extra <= 3.0,
    )


def monitor_figures(folder: Path, seconds: float, debounce: float) -> None:
    busy = scenario(folder, logs=True, rate=EVENTS_PER_SECOND, seconds=seconds, debounce=debounce)
    quiet = scenario(folder, logs=False, rate=EVENTS_PER_SECOND, seconds=seconds, debounce=debounce)
    report_extra_cpu(f"CPU, {RUNNING} agents x {EVENTS_PER_SECOND} events/s, logs followed", busy, quiet)
    reads, full = busy["calls"]["observe_activity"], busy["calls"]["observe"]  # type: ignore[index]
    note(f"{debounce * 1000:.0f} ms debounce: {reads / seconds:.1f} log reads a second, {full} full looks")
    delays = sorted(busy["delays"])  # type: ignore[type-var]
    median = statistics.median(delays) * 1000
    p95 = delays[int(len(delays) * 0.95)] * 1000
    report(
        "event -> observation (monitor; no Qt)",
        f"median {median:.0f} ms, p95 {p95:.0f} ms ({len(delays):,} events)",
        "median <= 300 ms",
        median <= 300,
    )
    still = scenario(folder, logs=True, rate=0, seconds=seconds, debounce=debounce)
    bare = scenario(folder, logs=False, rate=0, seconds=seconds, debounce=debounce)
    extra = (still["cpu"] - bare["cpu"]) * 100  # type: ignore[operator]
    reads = still["calls"]["observe_activity"]  # type: ignore[index]
    report(
        "at rest, logs unchanged: CPU with vs without logs",
        f"{extra:+.3f} % of a core, {reads} log reads",
        "unchanged (< 0.1 %)",
        abs(extra) < 0.1 and reads == 0,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each run is measured")
    parser.add_argument(
        "--debounce",
        type=float,
        default=DEBOUNCE,
        help="seconds from a log change to its read (default: 0.06)",
    )
    parser.add_argument("--drive", nargs=3, metavar=("STORE", "SECONDS", "DEBOUNCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        store, seconds, debounce = Path(args.drive[0]), float(args.drive[1]), float(args.drive[2])
        print(json.dumps(drive(store, seconds, warmup=3.0, debounce=debounce)))
        return 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zag-tray-activity-") as folder:
        first_read(Path(folder))
        monitor_figures(Path(folder), args.seconds, args.debounce)
    print(summary(started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
