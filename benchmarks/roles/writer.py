"""Role: zag rewriting its store while the tray watches it.

    python -m benchmarks.roles.writer STORE --watch ID --interval S --seconds S

Every ``--interval`` seconds the whole store is rewritten as zag does (a temporary file
renamed over it), the prompt of entry ``--watch`` set to ``tick N``; each tick and the
``time.monotonic()`` of its rename are appended to ``ticks.log`` beside the store, so the
probe (benchmarks/roles/probe.py) can time how long each change took to show. The last
change is made 2 s before ``--seconds`` are up, so it has time to show. The new bytes are
spliced: serialising 60 MB in Python takes longer than the interval.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

TICKS_NAME = "ticks.log"


def run_writer(path: Path, watch_id: str, interval: float, seconds: float) -> None:
    data = path.read_bytes()
    at = data.index(b'"prompt": ', data.index(f'"id": "{watch_id}"'.encode()))
    end = data.index(b"\n", at)
    before, after = data[:at], data[end:]
    ticks = path.parent / TICKS_NAME
    tick, start = 0, time.monotonic()
    while (due := start + (tick + 1) * interval) < start + seconds - 2.0:  # the last change has 2 s to show
        time.sleep(max(0.0, due - time.monotonic()))
        tmp = path.with_name(".processes.json.bench.tmp")
        tmp.write_bytes(before + f'"prompt": "tick {tick}",'.encode() + after)
        tmp.replace(path)
        with ticks.open("a") as log:
            log.write(f"{tick} {time.monotonic()}\n")
        tick += 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.roles.writer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("store", type=Path)
    parser.add_argument("--watch", required=True, help="the id of the entry whose prompt changes")
    parser.add_argument("--interval", type=float, required=True, help="seconds between rewrites")
    parser.add_argument("--seconds", type=float, required=True, help="how long the probe runs")
    args = parser.parse_args(argv)
    run_writer(args.store, args.watch, args.interval, args.seconds)


if __name__ == "__main__":
    main()
