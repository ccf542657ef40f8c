"""Other machines in the tray (issue 17): what one host streaming 20 running agents costs,
and how late a change on it shows.

    python benchmarks/remote.py [--seconds 15] [--stand-in]

The remote is a real OpenSSH server on 127.0.0.2 (tests/remote/sshd.py: a throwaway user
with key auth, zag-tray installed headless for that user from a world-readable venv), which
needs root; without root or OpenSSH's server it falls back, saying so, to a local stand-in
``ssh`` that runs the remote command here (``--stand-in`` chooses it). On that remote, 20
running agents (real processes, each logging an event every 1 to 5 s to its session log)
and, now and then (every 2 to 4 s), one agent ending and another starting in its store.
The local tray is the real one (``build_tray`` on Qt's offscreen platform, the menu applied
at each change as under a StatusNotifierItem host) with that host in its settings, or with
none. Measured:

1. The local tray's CPU (user + system, all threads, with its ssh client and ControlMaster)
   with the host against the same tray with no host while the same remote runs. Goal: at
   most 1 % of a core more.
2. The remote's ``zag-tray watch --json`` at rest (20 running agents, nothing changing, a
   tray connected): its CPU. Goal: at most 1 % of a core.
3. An agent started in the remote's store -> the local tray has applied a state holding it
   (icon, tooltip and menu): median at most 500 ms on loopback.

CPU is the processes' CPU time (psutil's cpu_times), never wall time: the machine is
shared, so each figure is a mean of interleaved runs and each run is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]

from tests.session_logs import log_path  # noqa: E402

from benchmarks.common import RUNNING, note, report, summary  # noqa: E402
from zag_tray.demo import make_entry, write_store  # noqa: E402

ALIAS: Final = "zt-bench"
WARMUP: Final = 4.0
"""Seconds after the host is live (the snapshot applied, the first menu built) before measuring."""
CHURN: Final = (2.0, 4.0)
"""Seconds between two store changes on the remote (one agent ends, another starts)."""
STANDIN_ENV: Final = "ZAG_TRAY_BENCH_SSH"
"""Set for the driver: the stand-in ssh to run instead of the system's."""

# An agent on the remote: an event every 1 to 5 s in its session log (a prompt, a tool call,
# its result, a message, the end of a turn), a heartbeat every 10 s, nothing while the flag
# file ``quiet`` exists; it ends with its parent (the benchmark). /usr/bin/python3 as the
# remote user in the real setup, so nothing but the stdlib and tests/session_logs.py.
AGENT: Final = r"""
import random, sys
from pathlib import Path
sys.path[:0] = [sys.argv[3]]
from tests.session_logs import SessionLog
log, quiet = SessionLog(Path(sys.argv[1])), Path(sys.argv[2])
log.session_started("interactive")
log.work_until_orphaned(lambda: random.uniform(1.0, 5.0), quiet.exists)
"""


# --- the remote -------------------------------------------------------------------------------


class Remote:
    """A host the tray reaches as ``ALIAS``, its store, and its 20 running agents."""

    how: str
    """What the remote is, for the output."""
    home: Path
    env: dict[str, str]
    """The driver's environment (how its ssh reaches the host)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.quiet = folder / "quiet"
        self.agents: dict[str, subprocess.Popen[bytes]] = {}
        self.entries: list[dict[str, Any]] = []
        self.started_at: dict[str, float] = {}
        """Each agent started during a run: when its entry was in the store."""
        self.lock = threading.Lock()
        self.serial = 0

    @property
    def base(self) -> Path:
        return self.home / ".zag"

    def spawn_argv(self) -> list[str]:
        return [sys.executable]

    def own(self, path: Path) -> None:
        """Make ``path`` the remote user's (the real setup's user is not this process's)."""

    def populate(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.own(self.base)
        for _ in range(RUNNING):
            self.entries.append(self._agent())
        self._write()

    def _agent(self) -> dict[str, Any]:
        self.serial += 1
        entry_id = f"bench-{self.serial:04d}"
        entry = make_entry(
            pid=0, entry_id=entry_id, command="interactive", root=f"/home/u/proj{self.serial % 4}"
        )
        path = log_path(self.base, entry["root"], entry["session_id"])
        proc = subprocess.Popen(
            [*self.spawn_argv(), "-c", AGENT, str(path), str(self.quiet), str(ROOT)],
            env={"ZAG_PROCESS_ID": entry_id, "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
            stdin=subprocess.DEVNULL,
            cwd="/",
        )
        self.agents[entry_id] = proc
        entry["pid"] = proc.pid
        return entry

    def _write(self) -> None:
        store = write_store(self.base, self.entries)
        self.own(store)

    def churn(self) -> str:
        """The oldest running agent ends (its process, then zag's record of it) and a new one
        starts; the new one's id."""
        with self.lock:
            running = [e for e in self.entries if e["status"] == "running"]
            old = running[0]
            proc = self.agents.pop(old["id"])
            proc.kill()
            proc.wait()
            old.update(status="exited", exit_code=0, exited_at=datetime.now(UTC).isoformat())
            entry = self._agent()
            self.entries = [*[e for e in self.entries if e["status"] != "running"][-40:], *running[1:], entry]
            time.sleep(0.05)  # the new process has exec'd Python and set its environment
            self._write()
            self.started_at[entry["id"]] = time.time()
            return str(entry["id"])

    @contextmanager
    def churning(self) -> Iterator[None]:
        """Store changes every 2 to 4 s while inside."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(random.uniform(*CHURN)):
                self.churn()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def watch_processes(self, tray: psutil.Process) -> list[psutil.Process]:
        """The remote's ``zag-tray watch --json`` serving ``tray`` (only ours: other work on this
        machine may run watchers of its own)."""
        return [p for p in self.remote_side(tray) if _is_watch(p)]

    def remote_side(self, tray: psutil.Process) -> list[psutil.Process]:
        """The processes on the remote's side of the stream."""
        return []

    def local_ssh(self, tray: psutil.Process) -> list[psutil.Process]:
        """The tray's ssh processes: its client and, with the real ssh, the ControlMaster."""
        return []

    def remote_others(self, tray: psutil.Process) -> list[psutil.Process]:
        """The rest of the remote side that serves the stream (sshd's session processes)."""
        return []

    def between_runs(self) -> None:
        """After a run with the host: its connection gone, so the next run starts fresh."""

    def close(self) -> None:
        for proc in self.agents.values():
            proc.kill()
            proc.wait()


class StandInRemote(Remote):
    """A local stand-in for ssh: ``ssh ... -- ALIAS COMMAND`` runs COMMAND here with sh, as
    sshd would, with HOME at the remote's home and this worktree's zag-tray on PATH."""

    def __init__(self, folder: Path, why: str) -> None:
        super().__init__(folder)
        self.how = f"a local stand-in ssh (the remote command run here with sh), not sshd: {why}"
        self.home = folder / "home"
        bin_dir = folder / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "zag-tray").symlink_to(Path(sys.executable).parent / "zag-tray")
        ssh = bin_dir / "ssh"
        ssh.write_text(
            f'#!/bin/bash\nexec env HOME={self.home} PATH={bin_dir}:/usr/bin:/bin sh -c "${{@: -1}}"\n'
        )
        ssh.chmod(0o755)
        self.env = {**os.environ, STANDIN_ENV: str(ssh)}

    def remote_side(self, tray: psutil.Process) -> list[psutil.Process]:
        """The stand-in's ssh execs the remote command: the watch is the tray's child."""
        try:
            return tray.children(recursive=True)
        except psutil.Error:
            return []


class SshdRemote(Remote):
    """tests/remote/sshd.py's real sshd on 127.0.0.2 and a throwaway user with zag-tray."""

    def __init__(self, folder: Path) -> None:
        from tests.remote.sshd import Sshd, User, headless_venv, keygen

        super().__init__(folder)
        folder.chmod(0o755)  # the user runs the venv's Python from here and reads ``quiet``
        client_key = keygen(folder / "client_key")
        program = headless_venv(folder / "venv")
        self.user = User.add(f"ztbench{os.getpid() % 100_000}", client_key, program)
        self.home = self.user.home
        self.sshd = Sshd(folder, "127.0.0.2", [self.user.name])
        known = folder / "known_hosts"
        known.write_text(self.sshd.known_host())
        self.config = folder / "ssh_config"
        self.config.write_text(self.sshd.host_block(ALIAS, self.user.name, folder / "client_key", known))
        self.control = folder / "ctl"
        self.control.mkdir(mode=0o700)
        self.env = {
            **os.environ,
            "ZAG_TRAY_SSH_CONFIG": str(self.config),
            "ZAG_TRAY_CONTROL_DIR": str(self.control),
        }
        self.how = (
            f"a real OpenSSH server (sshd on {self.sshd.address}:{self.sshd.port}, user {self.user.name},"
            " zag-tray installed headless there), the system ssh with a ControlMaster"
        )

    def spawn_argv(self) -> list[str]:
        return [
            "setpriv",
            f"--reuid={self.user.uid}",
            f"--regid={self.user.gid}",
            "--clear-groups",
            "/usr/bin/python3",
        ]

    def own(self, path: Path) -> None:
        self.user.own(path)

    def local_ssh(self, tray: psutil.Process) -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter(["name", "cmdline"]):
            if proc.info["name"] == "ssh" and any(str(self.control) in a for a in proc.info["cmdline"] or []):
                found.append(proc)
        return found

    def remote_side(self, tray: psutil.Process) -> list[psutil.Process]:
        return [p for p in psutil.process_iter(["username"]) if p.info["username"] == self.user.name]

    def remote_others(self, tray: psutil.Process) -> list[psutil.Process]:
        return [p for p in self.remote_side(tray) if _name(p) == "sshd"]

    def between_runs(self) -> None:
        from tests.remote.sshd import stop_masters

        stop_masters(self.config, [ALIAS], self.control)

    def close(self) -> None:
        super().close()
        self.between_runs()
        self.sshd.stop()
        self.user.remove()


def make_remote(folder: Path, stand_in: bool) -> Remote:
    """The real sshd when it can be run here, else the stand-in (and why)."""
    if stand_in:
        return StandInRemote(folder, "--stand-in was given")
    missing = [t for t in ("ssh", "ssh-keygen", "/usr/sbin/sshd", "/usr/bin/python3", "useradd", "setpriv")
               if shutil.which(t) is None]  # fmt: skip
    if sys.platform != "linux" or missing:
        return StandInRemote(folder, f"OpenSSH's server or its tools are missing here ({', '.join(missing)})")
    if os.geteuid() != 0:
        return StandInRemote(folder, "the real sshd needs root (it adds a user and runs sshd)")
    try:
        return SshdRemote(folder)
    except (AssertionError, OSError, subprocess.SubprocessError) as exc:
        return StandInRemote(folder, f"the real sshd could not be set up: {str(exc)[:200]}")


def _name(proc: psutil.Process) -> str:
    try:
        return proc.name()
    except psutil.Error:
        return ""


def _is_watch(proc: psutil.Process) -> bool:
    """``zag-tray watch --json`` (a Python running the zag-tray script), not an ssh or sh whose
    argv names it."""
    try:
        argv = proc.cmdline()
    except psutil.Error:
        return False
    return _name(proc) not in ("ssh", "sh", "bash") and "watch" in argv and "--json" in argv


# --- the local tray (the driver process: ``--drive``) -------------------------------------------


def drive(with_host: bool, seconds: float) -> dict[str, object]:
    """The tray for ``seconds`` after the host is live (or at once, with no host); when each
    remote agent was first in a state the tray had applied. Prints ``ready`` when live."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from zag_tray.desktop.paths import BaseDirChoice
    from zag_tray.desktop.settings import HostEntry, Settings, save_settings
    from zag_tray.remote.ssh import SshConfig
    from zag_tray.remote.state import Link
    from zag_tray.ui.app import build_tray
    from zag_tray.ui.host import Host
    from zag_tray.ui.notifier import Notifier

    app = QApplication(["zag-tray"])
    local = Path(tempfile.mkdtemp(prefix="zag-tray-bench-remote-"))
    settings = local / "settings.json"
    save_settings(Settings(hosts=(HostEntry(ALIAS),) if with_host else ()), settings)
    ssh = SshConfig(ssh=os.environ[STANDIN_ENV]) if os.environ.get(STANDIN_ENV) else None
    tray = build_tray(
        BaseDirChoice(local / ".zag", "bench"),
        settings,
        notifier=Notifier(open_client=None),
        host=Host.SNI,
        ssh=ssh,
    )
    seen: dict[str, float] = {}
    counts = {"changes": 0, "reconnects": -1}

    def applied() -> None:
        """Connected after the tray's own slots: the tray has applied this state."""
        now = time.time()
        counts["changes"] += 1
        for state in tray.remote.states():
            for agent in state.agents:
                seen.setdefault(agent.entry.id, now)

    def live() -> bool:
        return all(s.link is Link.LIVE for s in tray.remote.states())

    was_live = [False]

    def links() -> None:
        if live() and not was_live[0]:
            counts["reconnects"] += 1
        was_live[0] = live()

    tray.remote.changed.connect(applied)
    tray.remote.changed.connect(links)
    waiting = QTimer(interval=20)

    def ready() -> None:
        if live():
            waiting.stop()
            print("ready", flush=True)
            QTimer.singleShot(int(seconds * 1000), app.quit)

    waiting.timeout.connect(ready)
    tray.start()
    waiting.start()
    app.exec()
    tray.shutdown()
    shutil.rmtree(local, ignore_errors=True)
    return {"seen": seen, **counts}


# --- the runs ---------------------------------------------------------------------------------


def cpu(procs: list[psutil.Process]) -> dict[int, float]:
    """Each process's CPU time so far (user + system, all threads), by pid."""
    times = {}
    for proc in procs:
        try:
            used = proc.cpu_times()
        except psutil.Error:
            continue
        times[proc.pid] = used.user + used.system
    return times


def used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two looks (a process that appeared in between counts from 0)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def run(remote: Remote, *, with_host: bool, seconds: float, churn: bool) -> dict[str, Any]:
    """The tray (with the host or none) for ``seconds`` after ``WARMUP``: the CPU per second of
    the tray, its ssh, the remote's watch and its sshd; the delays of the agents started."""
    total = WARMUP + seconds + 1.0
    driver = subprocess.Popen(
        [sys.executable, str(Path(__file__)), "--drive", "host" if with_host else "none", str(total)],
        env=remote.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert driver.stdout is not None
    try:
        if not select.select([driver.stdout], [], [], 60)[0] or driver.stdout.readline().strip() != "ready":
            raise SystemExit("the tray's host did not go live within 60 s")
        tray = psutil.Process(driver.pid)
        time.sleep(WARMUP)

        def look() -> list[dict[int, float]]:
            return [
                cpu([tray]),
                cpu(remote.local_ssh(tray)),
                cpu(remote.watch_processes(tray)),
                cpu(remote.remote_others(tray)),
            ]

        with remote.churning() if churn else nullcontext():
            first = time.time()
            before = look()
            time.sleep(seconds)
            after = look()
            last = time.time()
        out, _ = driver.communicate(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    if driver.returncode != 0:
        raise SystemExit(f"the tray's driver failed (exit {driver.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    tray_s, ssh_s, watch_s, sshd_s = (used(b, a) / seconds for b, a in zip(before, after, strict=True))
    delays = [
        result["seen"][i] - t
        for i, t in remote.started_at.items()
        if first <= t <= last and i in result["seen"]
    ]
    missed = [i for i, t in remote.started_at.items() if first <= t <= last - 2.0 and i not in result["seen"]]
    if with_host:
        remote.between_runs()
    rates = {"tray": tray_s, "ssh": ssh_s, "watch": watch_s, "sshd": sshd_s}
    changes = result["changes"] / (total - WARMUP)
    return {
        **rates,
        "delays": delays,
        "missed": missed,
        "changes": changes,
        "reconnects": result["reconnects"],
    }


def figures(remote: Remote, seconds: float, repeats: int) -> None:
    with_host: list[dict[str, Any]] = []
    without: list[dict[str, Any]] = []
    for _ in range(repeats):  # interleaved: a neighbour's load falls on both alike
        without.append(run(remote, with_host=False, seconds=seconds, churn=True))
        with_host.append(run(remote, with_host=True, seconds=seconds, churn=True))

    def local(r: dict[str, Any]) -> float:
        return (r["tray"] + r["ssh"]) * 100

    extra = statistics.mean(local(r) for r in with_host) - statistics.mean(local(r) for r in without)
    report(
        f"local tray CPU, 1 host x {RUNNING} agents streaming",
        f"{extra:+.2f} % of a core",
        "<= +1 %",
        extra <= 1.0,
    )
    note(
        "with the host: " + ", ".join(f"{local(r):.2f}" for r in with_host)
        + " %; no host: " + ", ".join(f"{local(r):.2f}" for r in without) + " % (tray + its ssh, each run)"
    )  # fmt: skip
    ssh = (
        f"of which ssh (client + ControlMaster): {statistics.mean(r['ssh'] for r in with_host) * 100:.2f} %"
        if isinstance(remote, SshdRemote)
        else "no ssh client here (the stand-in runs the remote command as the tray's child)"
    )
    note(
        f"{ssh};"
        f" {statistics.mean(r['changes'] for r in with_host):.1f} remote changes applied a second;"
        f" the remote's watch {statistics.mean(r['watch'] for r in with_host) * 100:.2f} % under this load"
    )
    reconnects = sum(r["reconnects"] for r in with_host)
    if reconnects:  # a connection made again inside a run: its handshake is in that run's CPU
        note(f"the host reconnected {reconnects} times during the runs")
    delays = sorted(d * 1000 for r in with_host for d in r["delays"])
    missed = sum(len(r["missed"]) for r in with_host)
    median = statistics.median(delays) if delays else float("inf")
    report(
        "agent started on the remote -> local tray applied it",
        f"median {median:.0f} ms, max {max(delays, default=float('inf')):.0f} ms ({len(delays)} starts)",
        "median <= 500 ms",
        median <= 500 and missed == 0,
    )
    if missed:
        note(f"{missed} agents started were never shown")
    remote.quiet.touch()  # the agents log nothing more, and the store stays as it is
    try:
        rest = [run(remote, with_host=True, seconds=seconds, churn=False) for _ in range(repeats)]
    finally:
        remote.quiet.unlink()
    watch = statistics.mean(r["watch"] for r in rest) * 100
    report(
        f"remote `zag-tray watch --json` at rest, {RUNNING} agents",
        f"{watch:.2f} % of a core",
        "<= 1 %",
        watch <= 1.0,
    )
    others = statistics.mean(r["sshd"] for r in rest) * 100
    sshd = f", the remote's sshd {others:.2f} %" if others else ""
    note(
        "each run: " + ", ".join(f"{r['watch'] * 100:.2f}" for r in rest) + " %; the local tray then"
        f" {statistics.mean(local(r) for r in rest):.2f} %{sshd}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each run is measured")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each kind (interleaved)")
    parser.add_argument("--stand-in", action="store_true", help="a local stand-in ssh, not the real sshd")
    parser.add_argument("--drive", nargs=2, metavar=("HOST", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(drive(args.drive[0] == "host", float(args.drive[1]))))
        return 0
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="zag-tray-bench-remote-"))
    remote: Remote | None = None
    try:
        remote = make_remote(folder, args.stand_in)
        print(f"remote: {remote.how}", flush=True)
        print(
            "CPU is process CPU time (psutil), not wall time: this machine is shared"
            f" ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f});"
            f" {args.repeats} interleaved runs of {args.seconds:g} s each\n",
            flush=True,
        )
        remote.populate()
        figures(remote, args.seconds, args.repeats)
    finally:
        if remote is not None:
            remote.close()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\n{summary(started)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
