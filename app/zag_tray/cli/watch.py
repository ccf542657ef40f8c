"""``zag-tray watch [--json]``: the tray's monitor in a loop, without Qt, printing what changes.

For scripts, and later for watching other machines over a pipe (ssh). With ``--json`` each
line is one JSON object (schema :data:`SCHEMA`), its ``event`` one of:

- ``hello``: ``schema``, ``version`` (zag-tray's), ``host``, ``store``, ``at``: the first line;
- ``snapshot``: ``agents``, every running agent: the second line;
- ``started``: ``agent``, one that began running;
- ``activity``: ``id``, ``activity``, ``was`` (the state before): its state, tool or the
  start of its state changed (a new line in its log, or the clock: stalled, a resume time);
- ``finished``: ``agent`` (its ``live_status`` now exited, killed or dead; its ``activity``
  as its log last showed it), ``outcome``;
- ``error``: ``error``, the store could not be read (or again can: ``error`` null);
- ``heartbeat``: ``running``, every :data:`HEARTBEAT` seconds, so a reader can tell a quiet
  machine from a dead link.

An agent is its stored keys, ``live_status`` and ``activity`` (the object of ``list
--json``); times are RFC 3339. Without ``--json``, one readable line per change (no
heartbeats). It ends, with exit code 0, when its standard input reaches its end (the
other side of the pipe went away), or on SIGTERM or SIGINT.

The loop looks every :data:`TICK` seconds at the store's and the followed logs' stat
(cheap), reads the logs when one changed or an activity is due to change by the clock,
and looks at the processes when the store changed or every :data:`LIVENESS` seconds.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TextIO

from zag_tray import version
from zag_tray.agents.activity import Activity
from zag_tray.agents.entry import Entry
from zag_tray.agents.jsontext import json_text
from zag_tray.agents.observation import Observation
from zag_tray.agents.present import activity_label, clock, sentence, title, where
from zag_tray.agents.text import one_line, visible
from zag_tray.cli.views import activity_json, rfc3339
from zag_tray.procs.monitor import Monitor
from zag_tray.remote.protocol import HEARTBEAT, SCHEMA  # the reader's side: one definition

TICK: Final = 0.25
LIVENESS: Final = 3.0

Stamp = tuple[int, int, int] | None


def watch(
    store: Path, out: TextIO, *, as_json: bool, stdin: Any = None, monitor: Monitor | None = None
) -> int:
    """Run until ``stdin`` ends or a SIGTERM/SIGINT comes; 0."""
    stop = threading.Event()
    restore = on_signals(stop)
    watch_input(stdin, stop)
    try:
        _Watch(Monitor(store), out, as_json).run(stop)
    finally:
        restore()
    return 0


class _Watch:
    def __init__(self, monitor: Monitor, out: TextIO, as_json: bool) -> None:
        self.monitor, self.out, self.as_json = monitor, out, as_json
        self.last: Observation | None = None
        """The last observation whose changes were said."""

    def run(self, stop: threading.Event) -> None:
        store = self.monitor.store
        self.say({"event": "hello", "schema": SCHEMA, "version": version(), "host": socket.gethostname(),
                  "store": str(store), "at": rfc3339(time.time())})  # fmt: skip
        seen = self.monitor.observe()
        self.say({"event": "snapshot", "at": rfc3339(seen.observed_at), "agents": self.agents(seen)}, seen)
        if seen.error:
            self.say({"event": "error", "at": rfc3339(seen.observed_at), "error": seen.error}, seen)
        self.last = seen
        stamps = self.stamps()
        looked = beat = time.monotonic()
        while not stop.wait(TICK):
            now = time.monotonic()
            fresh = self.stamps()  # before looking: what changes while we look is seen next time
            later: Observation | None = None
            if fresh[0] != stamps[0] or now - looked >= LIVENESS:
                later, looked = self.monitor.observe(), now
            elif fresh != stamps or self.due():
                later = self.monitor.observe_activity()
            stamps = fresh
            if later is not None:
                self.changes(self.last, later)
                self.last = later
            if self.as_json and now - beat >= HEARTBEAT:
                running = 0 if self.last is None else len(self.last.running)
                self.say({"event": "heartbeat", "at": rfc3339(time.time()), "running": running})
                beat = now

    def due(self) -> bool:
        due = None if self.last is None else self.last.activity_due
        return due is not None and time.time() >= due

    def stamps(self) -> list[Stamp]:
        """The stat of the store, then of each followed log, in order."""
        paths = [self.monitor.store, *sorted(self.monitor.followed_logs)]
        return [_stamp(path) for path in paths]

    # --- what changed ------------------------------------------------------------------------

    def changes(self, before: Observation | None, seen: Observation) -> None:
        at = rfc3339(seen.observed_at)
        if before is not None and seen.error != before.error:
            self.say({"event": "error", "at": at, "error": seen.error}, seen)
        was = {e.id for e in before.running} if before is not None else set()
        for entry in seen.running:
            if entry.id not in was:
                self.say({"event": "started", "at": at, "agent": self.agent(entry, seen)}, seen, entry)
        for ended in seen.finished:
            agent = {**self.agent(ended.entry, seen), "live_status": ended.status.value}
            if before is not None:  # what its log showed last
                agent["activity"] = activity_json(before.activity.get(ended.entry.id), seen.observed_at)
            outcome = sentence(ended.entry, ended.state, seen.observed_at)
            self.say({"event": "finished", "at": at, "agent": agent, "outcome": outcome}, seen, ended.entry)
        if before is None:
            return
        for entry in seen.running:
            old, new = before.activity.get(entry.id), seen.activity.get(entry.id)
            if (
                entry.id not in was
                or new is None
                or _key(old, before.observed_at) == _key(new, seen.observed_at)
            ):
                continue
            state = None if old is None else old.state_at(before.observed_at).value
            event = {
                "event": "activity",
                "at": at,
                "id": entry.id,
                "activity": activity_json(new, seen.observed_at),
            }
            self.say({**event, "was": state}, seen, entry)

    def agents(self, seen: Observation) -> list[dict[str, Any]]:
        return [self.agent(e, seen) for e in seen.running]

    def agent(self, entry: Entry, seen: Observation) -> dict[str, Any]:
        return {
            **entry.raw,
            "live_status": seen.status_of(entry).value,
            "activity": activity_json(seen.activity.get(entry.id), seen.observed_at),
        }

    # --- writing -------------------------------------------------------------------------------

    def say(self, event: dict[str, Any], seen: Observation | None = None, entry: Entry | None = None) -> None:
        line = json_text(event, indent=False) if self.as_json else self.human(event, seen, entry)
        if line is not None:
            self.out.write(line + "\n")
            self.out.flush()

    def human(self, event: dict[str, Any], seen: Observation | None, entry: Entry | None) -> str | None:
        """One readable line per change (one per agent for the snapshot); None for a heartbeat."""
        kind, now = event["event"], time.time()
        stamp = clock(now, now, seconds=True)
        if kind == "hello":
            return (f"zag-tray {visible(version())} watching {visible(event['store'])} on "
                    f"{visible(event['host'])} (end of input, SIGTERM or Ctrl-C stops)")  # fmt: skip
        if kind == "error":
            return f"{stamp}  error     {one_line(event['error'] or 'the store reads again', 200)}"
        if kind == "heartbeat" or seen is None:
            return None
        if kind == "snapshot":
            lines = [_line(stamp, "running", e, seen) for e in seen.running]
            return "\n".join(lines) if lines else f"{stamp}  no agents running"
        assert entry is not None
        if kind == "finished":
            return f"{stamp}  finished  {visible(entry.id[:8])}  {event['outcome']}"
        return _line(stamp, kind, entry, seen)


def _line(stamp: str, word: str, entry: Entry, seen: Observation) -> str:
    """ "15:09:40  activity  5f1c2d3e  claude · opus — ~/proj — running Bash · 3s"."""
    doing = activity_label(seen.activity.get(entry.id), seen.observed_at)
    prompt = f": {one_line(entry.prompt, 60)}" if word == "started" and entry.prompt else ""
    return f"{stamp}  {word:<8}  {visible(entry.id[:8])}  {title(entry)}{where(entry)}{prompt} — {doing}"


def _key(activity: Activity | None, at: float) -> tuple[object, ...]:
    """What an ``activity`` event is about: the state, its tool, when it began, the resume time."""
    if activity is None:
        return ()
    return (activity.state_at(at), activity.tool, activity.since_at(at), activity.resume_at)


def _stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM and SIGINT end the loop (exit 0); the previous handlers come back after."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in before:
        signal.signal(sig, lambda *_: stop.set())

    def restore() -> None:
        for sig, handler in before.items():
            signal.signal(sig, handler)

    return restore


def watch_input(stdin: Any, stop: threading.Event) -> None:
    """End the loop when ``stdin`` (a binary stream) reaches its end; what it reads is ignored."""
    if stdin is None:
        return

    def drain() -> None:
        try:
            while stdin.read1(65536) if hasattr(stdin, "read1") else stdin.read(65536):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    threading.Thread(target=drain, name="zag-tray-watch-stdin", daemon=True).start()
