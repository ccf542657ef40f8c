"""``list`` and ``show``: the commands that read the store (cli/__init__.py parses the line).

Both usually look at a few entries of what may be a 100,000-entry store: the running ones,
or one agent and its family. They read the store for those alone (store/scan.py: every
entry is checked as the full parse checks it, only those are built) and answer as from the
whole store; a store not in zag's layout is read whole, and the answer is the same.
``list --all`` reads every entry.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from zag_tray.agents.entry import Entry, Snapshot
from zag_tray.agents.ids import IdError, resolve_entry
from zag_tray.agents.jsontext import json_text
from zag_tray.agents.status import LiveStatus, live_status
from zag_tray.agents.text import visible
from zag_tray.agents.tree import build_forest, find_node, walk
from zag_tray.cli import PROG, CliError, _store, keep
from zag_tray.cli.views import flat_json, node_json, running_entries, subtree_activity
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.sessions.tracker import activities, read_activity
from zag_tray.store.scan import Scanned, descendants, linked, read_part


def list_command(args: argparse.Namespace) -> int:
    if args.all:
        from zag_tray.cli.every import list_every_json, list_every_table

        written = list_every_json if args.json else list_every_table
        whole = written(args)  # None: written; else the full parse answers
        if whole is None:
            return 0
        snapshot = _warned(whole)
    else:
        snapshot = _part(args, _stored_running)
    checked = _checked(snapshot, LivenessChecker())
    shown = [e for e in snapshot.entries if args.all or live_status(e, checked) is LiveStatus.RUNNING]
    roots = build_forest(shown)
    now = time.time()
    # Activity of the running agents only: a finished one's is `show`'s (a log read per agent).
    activity = activities(snapshot.path.parent, running_entries(snapshot, checked), now)
    if args.json:
        nodes = [node_json(root, checked, activity, now) for root in roots] if not args.flat else None
        _print_json(flat_json(roots, checked, activity, now) if nodes is None else nodes)
    elif not roots:
        what = "agents" if args.all else "running agents"
        hint = "" if args.all else " (--all shows finished ones)"
        print(f"No {what} in {visible(str(snapshot.path))}{hint}")
    else:
        from zag_tray.cli.listing import forest_rows, print_table  # the table's layout: not for --json

        print_table(forest_rows(roots, checked), now, activity, args.color)
    return 0


def _stored_running(scanned: Scanned) -> list[int]:
    """`list`: the entries stored running, the only ones whose process is looked at, and those
    that share an id with one (running too where that process verifiably runs on: an end zag
    recorded while the agent still runs, agents/status.py)."""
    keep(scanned)
    return scanned.where("ids", set(scanned.values("ids", scanned.running)))


def show_command(args: argparse.Namespace) -> int:
    from zag_tray.cli.views import show_lines

    snapshot = _part(args, _family(args.id, whole_tree=args.json), columns=True)
    try:
        entry = resolve_entry(snapshot.entries, args.id, snapshot.path)
    except IdError as exc:
        raise CliError(str(exc)) from None
    checker = LivenessChecker()
    verdict = checker.verdict(entry)
    node = find_node(build_forest(snapshot.entries), entry.id)
    assert node is not None
    # Another agent's process is looked at only where the answer depends on it: each running
    # agent's where a plain run's log is found among theirs (it has no session id), and in
    # --json those of the agent's descendants and their namesakes (their statuses and
    # activities). 0.3 ms an agent.
    looked_at: Iterable[Entry] = snapshot.entries
    if entry.session_id is not None:
        below = {n.entry.id for _, n in walk([node])} if args.json else set()
        looked_at = [e for e in snapshot.entries if e.id in below]
    checked = {**checker.statuses(e for e in looked_at if e.status == "running"), entry.id: verdict.status}
    now = time.time()
    # Its log is read whether or not it runs: a finished agent's result and usage.
    mine = read_activity(snapshot.path.parent, entry, running_entries(snapshot, checked))
    if args.json:
        _print_json(node_json(node, checked, subtree_activity(snapshot, node, checked, mine, now), now))
        return 0
    for line in show_lines(entry, node, verdict.status, verdict.reason, now, mine):
        print(line)
    return 0


def _family(ident: str, *, whole_tree: bool) -> Callable[[Scanned], Iterable[int]]:
    """`show`: the entries the id may name, their children (``whole_tree``: every descendant)
    and all their parent links reach: the part's tree is the whole store's for them
    (store/scan.py); with ``whole_tree``, or where one of them is a plain run (no session id),
    also the entries stored running and those sharing their ids, whose processes are then
    looked at (:func:`show_command`)."""

    def choose(scanned: Scanned) -> Iterable[int]:
        keep(scanned)
        named = scanned.where_id(ident)
        family = descendants(scanned, named, None if whole_tree else 1)
        if whole_tree or None in scanned.values("sessions", named):  # see show_command
            family.update(_stored_running(scanned))
        return linked(scanned, family)

    return choose


def _part(
    args: argparse.Namespace, choose: Callable[[Scanned], Iterable[int]], *, columns: bool = False
) -> Snapshot:
    """The entries ``choose`` picks, when the store was read for them alone, else every entry:
    the answer is the same either way, and so is the warning."""
    return _warned(read_part(_store(args), choose, columns=columns))


def _warned(snapshot: Snapshot) -> Snapshot:
    if snapshot.skipped:
        first = snapshot.skipped[0]
        print(
            f"{PROG}: warning: {len(snapshot.skipped)} invalid entries skipped "
            f"(entry {first.index}: {visible(first.reason)})",
            file=sys.stderr,
        )
    return snapshot


def _checked(snapshot: Snapshot, checker: LivenessChecker) -> dict[str, LiveStatus]:
    return checker.statuses(e for e in snapshot.entries if e.status == "running")


def _print_json(value: Any) -> None:
    sys.stdout.write(json_text(value) + "\n")
