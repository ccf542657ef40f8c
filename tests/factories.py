"""The one place tests make entries, stores and observations."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.session_logs import SessionLog, log_path
from zag_tray.agents.activity import Activity
from zag_tray.agents.entry import Entry, SkippedEntry, Snapshot
from zag_tray.agents.observation import EndFacts, Observation, SnapshotFacts, observe
from zag_tray.agents.status import LiveStatus
from zag_tray.demo import make_entry, write_store
from zag_tray.sessions.follow import LogFollower
from zag_tray.store.parse import parse_entry

__all__ = [
    "LineReader",
    "LoggedAgents",
    "activity_of_log",
    "entries_in",
    "entry",
    "entry_now",
    "files_beside",
    "make_entry",
    "observation",
    "stored",
    "wait_for",
    "with_member",
    "write_one",
    "write_store",
]

STORE = Path("/tmp/x/processes.json")


def stored(
    entry_id: str = "agent-1",
    parent: str | None = None,
    minute: int = 0,
    *,
    pid: int = 100,
    second: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    """One entry as zag stores it (zag's keys in zag's order), started at 10:``minute`` on
    2026-03-28 UTC."""
    started_at = f"2026-03-28T10:{minute:02d}:{second:02d}Z"
    return make_entry(pid=pid, entry_id=entry_id, parent=parent, started_at=started_at, **fields)


def entry(
    entry_id: str = "agent-1", parent: str | None = None, minute: int = 0, *, pid: int = 100, **fields: Any
) -> Entry:
    """One parsed entry (see :func:`stored`)."""
    return _parsed(stored(entry_id, parent, minute, pid=pid, **fields))


def entry_now(entry_id: str = "agent-1", *, pid: int, **fields: Any) -> Entry:
    """One parsed entry started now, as zag records an agent it has just spawned (a real
    process is not older than it); see :func:`write_one` for a store of it."""
    return _parsed(make_entry(pid=pid, entry_id=entry_id, **fields))


def _parsed(raw: dict[str, Any]) -> Entry:
    parsed = parse_entry(raw)
    assert isinstance(parsed, Entry), parsed
    return parsed


def write_one(base_dir: Path, entry_id: str, pid: int, **fields: Any) -> Path:
    """A store in ``base_dir`` holding one entry (started now); its path."""
    return write_store(base_dir, [make_entry(pid=pid, entry_id=entry_id, **fields)])


def observation(
    entries: Iterable[Entry],
    checked: Mapping[str, LiveStatus] | None = None,
    *,
    error: str | None = None,
    skipped: tuple[SkippedEntry, ...] = (),
    before: Observation | None = None,
    ends: EndFacts | None = None,
) -> Observation:
    """An observation of ``entries`` with the live statuses ``checked`` (by id; an entry stored
    running and not named there is unknown), as procs/monitor.py would make it."""
    entries = tuple(entries)
    facts = SnapshotFacts.of(Snapshot(STORE, entries, skipped))
    return observe(facts, dict(checked or {}), before, error=error, ends=ends or EndFacts())


def entries_in(store: Path) -> dict[str, dict[str, Any]]:
    """The store's entries as written, by id (the last of a repeated id)."""
    return {e["id"]: e for e in json.loads(store.read_bytes())["processes"]}


def files_beside(store: Path) -> list[str]:
    """The names of the other files in the store's folder (temp files left behind)."""
    return sorted(p.name for p in store.parent.iterdir() if p != store)


def with_member(store: Path, member: str) -> Path:
    """``store`` (in zag's layout) with ``member`` (raw JSON text, ``"key": value``) after the
    last key of every entry: for values json.dumps would not write as they are."""
    text = store.read_text(encoding="utf-8")
    store.write_text(text.replace('"parent_session_id": null', f'"parent_session_id": null,\n      {member}'))
    return store


class LoggedAgents:
    """Real running agents (``spawn``: conftest's ``agents``) in a store of ``base``, each with
    its session log where zag keeps it, written as zag writes it (tests/session_logs.py)."""

    def __init__(self, base: Path, spawn: Callable[..., subprocess.Popen[bytes]]) -> None:
        self.base, self.spawn = base, spawn
        self.entries: list[dict[str, Any]] = []
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self,
        entry_id: str,
        command: str = "exec",
        *,
        root: str | None = None,
        log: bool = True,
        **fields: Any,
    ) -> SessionLog:
        """Start an agent and store it; its log (started, unless ``log`` is False)."""
        proc = self.spawn(entry_id)
        self.procs[entry_id] = proc
        entry = make_entry(pid=proc.pid, entry_id=entry_id, command=command, root=root, **fields)
        self.entries.append(entry)
        write_store(self.base, self.entries)
        writer = SessionLog(log_path(self.base, root, str(entry["session_id"])), provider=entry["provider"])
        if log:
            writer.session_started(command)
        return writer

    def end(self, entry_id: str) -> None:
        """The agent's process ends (nothing recorded: zag's entry still says running)."""
        self.procs[entry_id].kill()
        self.procs[entry_id].wait()


def activity_of_log(path: Path) -> Activity:
    """What the tray's own reader (sessions/follow.py) makes of the session log at ``path``, as
    it stands (tests/session_logs.py writes one as zag does)."""
    follower = LogFollower(path)
    follower.poll()
    return follower.activity()


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``predicate`` until it returns something truthy, and return that; fail naming
    ``what`` after ``timeout`` seconds. Tests wait on a condition, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(0.01)


class LineReader:
    """A real process (``zag-tray watch``...) whose stdout lines are read as they come, by a
    thread: a test waits on the line it expects, never a fixed time."""

    def __init__(self, argv: list[str], env: Mapping[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def line(self, timeout: float = 10) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from {self.proc.args[3:5]} in {timeout:.0f} s") from None

    def event(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(self.line(timeout))  # type: ignore[no-any-return]

    def until(self, kind: str | Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        """The first event of ``kind`` (its ``event``, or a test of the whole object) to come."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.event(max(deadline - time.monotonic(), 0.1))
            if kind(event) if callable(kind) else event["event"] == kind:
                return event

    def end(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait(10)
        self.reader.join(10)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
        return code
