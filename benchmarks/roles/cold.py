"""Role: a cold load of a store in a fresh process, as the tray's start does it, beside a
bare ``json.loads`` of the same bytes.

    python -m benchmarks.roles.cold STORE

Prints one JSON line, in seconds, the best of three alternating runs of each:
``bare`` (``json.loads`` of the file's bytes), ``full`` (read, parse, validate and the
forest of every entry: the All view) and ``startup`` (the same, with the forest of the
entries stored running: the Running view). The loads run with automatic garbage
collection off, as in the tray; ``json.loads`` runs as Python runs it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.common import best, stored_running
from zag_tray.agents.tree import build_forest
from zag_tray.store.read import read_store


def cold_figures(path: Path) -> dict[str, float]:
    data = path.read_bytes()
    figures: dict[str, float] = {}
    for _ in range(3):  # alternate, so both see the same machine
        figures["bare"] = min(figures.get("bare", 9e9), best(lambda: json.loads(data), runs=1))
        figures["full"] = min(
            figures.get("full", 9e9),
            best(lambda: build_forest(read_store(path).entries), runs=1, gc_off=True),
        )
        figures["startup"] = min(
            figures.get("startup", 9e9),
            best(lambda: build_forest(stored_running(read_store(path))), runs=1, gc_off=True),
        )
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.roles.cold",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("store", type=Path)
    args = parser.parse_args(argv)
    print(json.dumps(cold_figures(args.store)))


if __name__ == "__main__":
    main()
