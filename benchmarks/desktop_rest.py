"""The tray at rest on a StatusNotifierItem desktop: D-Bus messages it sends and how often it
wakes up, with 20 running agents, nothing changing and the window closed.

    python benchmarks/desktop_rest.py [--seconds 60]

A real X server (Xvfb), session bus (dbus-daemon), status-notifier-watcher and
gtk-sni-tray-standalone (Debian: xvfb dbus-daemon haskell-status-notifier-item-utils
haskell-gtk-sni-tray-utils), a notification server on the bus (dunst, if installed), the
real tray (``python -m zag_tray``) on a store of 20 real agent processes. After start-up
settles, for ``--seconds``: every message the tray's connections send, counted by a
``dbus-monitor`` on the bus, and the context switches of all its threads (a thread woken
from sleep is one), read from /proc.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]

from tests.sni import Bus, find_item, start_sni_host, wait  # noqa: E402

from benchmarks.common import RUNNING, report, summary  # noqa: E402
from zag_tray.demo import make_entry, spawn_agent, write_store  # noqa: E402

SETTLE_SECONDS = 10.0
"""Start-up: the first observations, the item's registration, the host reading it."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the tray is watched at rest")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zag-tray-rest-") as folder:
        work = Path(folder)
        procs: list[subprocess.Popen[bytes]] = []
        try:
            messages, wakeups = measure(work, procs, args.seconds)
        finally:
            for proc in reversed(procs):
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        proc.kill()
    per_minute = messages * 60.0 / args.seconds
    report("D-Bus messages sent at rest (SNI, 20 agents)", f"{per_minute:.1f} per minute", "0", messages == 0)
    report(
        "wakeups at rest (all threads, window closed)",
        f"{wakeups:.2f} per second",
        "<= 1 per second",
        wakeups <= 1.0,
    )
    print(summary(started))
    return 0


def measure(work: Path, procs: list[subprocess.Popen[bytes]], seconds: float) -> tuple[int, float]:
    display = start(procs, ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
    number = display.stdout.readline().decode().strip()  # type: ignore[union-attr]
    bus_proc = start(
        procs,
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", f"--address=unix:path={work / 'bus'}"],
    )
    address = bus_proc.stdout.readline().decode().strip()  # type: ignore[union-attr]
    env = {**os.environ, "DISPLAY": f":{number}", "DBUS_SESSION_BUS_ADDRESS": address, "NO_AT_BRIDGE": "1"}
    bus = Bus(address)
    start_sni_host(env, bus)
    if subprocess.run(["which", "dunst"], capture_output=True, check=False).returncode == 0:
        procs.append(
            subprocess.Popen(["dunst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    agents = [spawn_agent(f"agent-{n}") for n in range(RUNNING)]
    procs.extend(agents)
    base = work / "zag"
    base.mkdir()
    write_store(base, [make_entry(pid=a.pid, entry_id=f"agent-{n}") for n, a in enumerate(agents)])
    home = work / "home"
    home.mkdir()
    app_env = {**env, "HOME": str(home), "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(ROOT / "app")}
    tray = start(procs, [sys.executable, "-m", "zag_tray", "--base-dir", str(base)], env=app_env, quiet=True)
    find_item(bus, tray.pid)
    time.sleep(SETTLE_SECONDS)  # start-up: the first observations and the host reading the item
    names = bus.names_of(tray.pid)
    monitor = start(procs, ["dbus-monitor", "--address", address, "--profile"], quiet=False)
    wait("the monitor", lambda: True)
    time.sleep(1.0)  # the monitor is on the bus
    before = context_switches(tray.pid)
    time.sleep(seconds)
    after = context_switches(tray.pid)
    if os.environ.get("REST_THREADS"):
        for tid in sorted(set(before) | set(after)):
            print(f"   thread {tid}: {after.get(tid, 0) - before.get(tid, 0)} switches")
    monitor.terminate()
    out = monitor.communicate(timeout=10)[0].decode(errors="replace")
    sent = [line for line in out.splitlines() if len(line.split("\t")) > 3 and line.split("\t")[3] in names]
    for line in sent[:10]:
        print("   sent:", line)
    bus.close()
    # A thread that started meanwhile counts whole; one that ended is not seen (the worker's
    # thread lives for good: ui/worker.py).
    woken = sum(count - before.get(name, 0) for name, count in after.items())
    return len(sent), woken / seconds


def start(
    procs: list[subprocess.Popen[bytes]],
    argv: list[str],
    env: dict[str, str] | None = None,
    quiet: bool = False,
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL if quiet else subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    procs.append(proc)
    return proc


def context_switches(pid: int) -> dict[str, int]:
    """Voluntary and involuntary context switches of each thread of ``pid`` (by name and id)."""
    counts = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text, name = (task / "status").read_text(), (task / "comm").read_text().strip()
        except OSError:
            continue  # a thread that ended meanwhile
        switches = [int(line.split()[1]) for line in text.splitlines() if "ctxt_switches" in line]
        counts[f"{name}/{task.name}"] = sum(switches)
    return counts


if __name__ == "__main__":
    sys.exit(main())
