"""zag-tray's command line on a 100,000-entry store, against a bare ``json.load`` of it.

    python benchmarks/cli.py            # 5 timed runs of each command (about a minute)
    python benchmarks/cli.py --runs 9

The store is made by benchmarks/stores.py (zag's exact format, 55 MB) with its 20 newest
entries running agents: real sleeping processes that name their entry in their
environment. Each command runs as a user runs it (the ``zag-tray`` script beside this
Python, else ``python -m zag_tray``), its output read from a pipe and thrown away, one
warm-up run first, then in turn with ``python -c 'import json; json.load(open(STORE,
"rb"))'`` (the same Python), so both see the same machine. Figures: the median wall time
of the whole process, and its peak memory: the largest resident set of the process, as
the kernel accounts it (``ru_maxrss`` of ``os.wait4``, Linux). Ratios are to the bare
``json.load`` process of the same run. The package's bytecode is compiled first, as ``pip
install`` compiles it (see :func:`compiled`); the first line says whether zag-tray is an
editable install, whose import finder every start of this Python loads (about 9 ms).

``--installed`` measures in a new environment as the README's headless install makes it
(:func:`installed`): the figures a user sees, without the development tools.

Issue 18 (2 shared cores): before it, ``list --json`` 1.20x (194 MiB), ``list --all --json``
4.47x, ``list --all`` 4.63x, ``show ID`` 1.35x. Now (the note of the last stop quotes the
lines): about 0.32x (53 MiB), 1.53-1.63x, 2.4x (265 MiB) and 0.34-0.36x; the machine's other
work moves each figure by a few hundredths. ``list`` and ``show`` check a big store in two
processes (store/halves.py): their figures depend on a second core being free, unlike the
bare json.load's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "app")]

from benchmarks.common import RUNNING, note, report, summary  # noqa: E402
from benchmarks.stores import Stores  # noqa: E402

SIZE = 100_000


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float


LAUNCHER = """
import json, os, sys, time
argv = json.loads(sys.argv[1])
read, write = os.pipe()
started = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
    (os.POSIX_SPAWN_DUP2, write, 1), (os.POSIX_SPAWN_DUP2, write, 2), (os.POSIX_SPAWN_CLOSE, read)])
os.close(write)
while os.read(read, 1 << 16):
    pass
_, status, usage = os.wait4(pid, 0)
print(json.dumps([time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]))
"""
"""Starts the command, reads its output (stdout and stderr) from a pipe and throws it away, as
`| less` or `| jq` would, and prints its wall time, its peak resident set (KiB) and its exit
code. A small process of its own: a child's ``ru_maxrss`` counts the memory of the process
it was started from (Linux records it at exec), so the benchmark, which holds the 100k
entries it wrote, does not start the timed commands itself."""


def timed(argv: list[str], env: dict[str, str]) -> Run:
    """One whole process: its wall time, from start to reaped, and its peak resident set."""
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, json.dumps(argv)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak_kib, code = json.loads(result.stdout)
    if code != 0:
        raise SystemExit(f"{argv} failed (exit {code})")
    return Run(seconds, peak_kib / 1024)


def command(python: str) -> tuple[list[str], str]:
    """How a user starts zag-tray: the installed script, else ``python -m zag_tray``."""
    script = Path(python).with_name("zag-tray")
    if script.exists():
        return [str(script)], str(script)
    return [python, "-m", "zag_tray"], f"{python} -m zag_tray"


RUNTIME: Final = ("psutil", "platformdirs", "msgspec")
"""What the README's headless install installs beside zag-tray (no PySide6, no jeepney)."""


def installed(folder: Path) -> str:
    """The Python of a new virtual environment holding this checkout as ``pip install`` puts it
    (not editable, bytecode compiled) and :data:`RUNTIME` at the versions installed here, and
    nothing else: the environment of the README's headless install. The development one adds
    mypy's and pytest-qt's typing_extensions, which msgspec imports where it is there (with
    inspect: 7 ms of every command), and an editable install's import finder (9 ms of every
    start of its Python, the bare json.load's too). pip needs the network, or its cache."""
    from importlib.metadata import version

    place = folder / "installed"
    subprocess.run([sys.executable, "-m", "venv", str(place)], check=True)
    python = str(place / "bin" / "python")
    pins = [f"{name}=={version(name)}" for name in RUNTIME]
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(ROOT), *pins], check=True)
    return python


def compare(ours: list[str], bare: list[str], env: dict[str, str], runs: int) -> tuple[list[Run], list[Run]]:
    """A warm-up of each, then ``runs`` of each in turn."""
    timed(ours, env)
    timed(bare, env)
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(timed(ours, env))
        theirs.append(timed(bare, env))
    return mine, theirs


GOALS = (
    # name, arguments after the command, time goal (ratio), memory goal (MiB or None)
    ("list --json", ["list", "--json"], 0.35, 131.0),
    ("list --all --json", ["list", "--all", "--json"], 1.6, None),
    ("list --all (piped)", ["list", "--all"], 0.65, None),
    ("show ID", ["show", "{id}"], 0.35, None),
)


def parent_id(store: Path) -> str:
    """The first 8 characters of the id of the newest running agent with a child, else of
    the newest entry: what `show` is timed on."""
    entries = json.loads(store.read_bytes())["processes"]
    parents = {e["parent_process_id"] for e in entries}
    running = [e for e in entries if e["status"] == "running"]
    chosen = next((e for e in reversed(running) if e["id"] in parents), entries[-1])
    return str(chosen["id"][:8])


def compiled() -> str:
    """The package's bytecode written, as ``pip install`` writes it: a process started with
    PYTHONDONTWRITEBYTECODE=1 (this machine's environment sets it) compiles every module of
    ours from source at each start (30 ms of a `list`) and no user's install does. What the
    figures are measured with: the bytecode, and whether zag-tray is an editable install
    (its import finder, loaded by every start of this Python, costs about 9 ms more)."""
    import compileall
    import sysconfig

    package = ROOT / "app" / "zag_tray"
    if not compileall.compile_dir(package, quiet=1, force=False):
        raise SystemExit(f"cannot compile {package}")
    editable = any(Path(sysconfig.get_paths()["purelib"]).glob("__editable__*zag_tray*"))
    return f"bytecode compiled, {'an editable install' if editable else 'not an editable install'}"


def figures(store: Path, runs: int, only: list[str], python: str | None) -> None:
    """Each goal's figures; ``python``: of the environment of :func:`installed`, else this one."""
    ours, shown = command(python or sys.executable)
    env = dict(os.environ)
    if python is None:
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "app"), env.get("PYTHONPATH", "")])
    env.pop("COLUMNS", None)
    bare = [python or sys.executable, "-c", f"import json; json.load(open({str(store)!r}, 'rb'))"]
    ident = parent_id(store)
    how = "installed as pip installs it, in a new environment" if python else compiled()
    print(f"zag-tray: {shown} ({how}); show {ident}\n", flush=True)
    for name, args, goal, memory in GOALS:
        if only and name not in only:
            continue
        argv = [*ours, *(a.format(id=ident) for a in args), "--base-dir", str(store.parent)]
        mine, theirs = compare(argv, bare, env, runs)
        seconds = statistics.median(r.seconds for r in mine)
        base = statistics.median(r.seconds for r in theirs)
        ratio = statistics.median(m.seconds / t.seconds for m, t in zip(mine, theirs, strict=True))
        peak = max(r.peak_mib for r in mine)
        met = ratio <= goal and (memory is None or peak < memory)
        goal_text = f"<= {goal}x" + (f", < {memory:.0f} MiB" if memory else "")
        report(
            f"`zag-tray {name}`, {SIZE // 1000}k store",
            f"{seconds:.3f} s = {ratio:.2f}x, {peak:.0f} MiB",
            goal_text,
            met,
        )
        bare_peak = max(r.peak_mib for r in theirs)
        note(f"(bare json.load: {base:.3f} s, {bare_peak:.0f} MiB; medians of {runs}, ratio of pairs)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/cli.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help='one command only ("show ID"); repeatable'
    )
    parser.add_argument(
        "--installed",
        action="store_true",
        help="measure in a new environment as the README's headless install makes it (see installed())",
    )
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        raise SystemExit(
            "benchmarks/cli.py reads peak memory with os.wait4's ru_maxrss, as Linux accounts it"
        )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zag-tray-bench-cli-") as folder:
        stores = Stores(Path(folder), RUNNING)
        try:
            store = stores.make(SIZE)
            print(f"store: {SIZE:,} entries = {store.stat().st_size / 1e6:.1f} MB; {RUNNING} running agents")
            figures(store, args.runs, args.only, installed(Path(folder)) if args.installed else None)
        finally:
            stores.close()
    print(f"\n{summary(started)}")


if __name__ == "__main__":
    main()
