"""Harmless agent-like processes in a store of their own, for ``zag-tray demo`` and tests.

Each demo agent is a real child process that carries ``ZAG_PROCESS_ID=<its entry
id>`` in its environment as a zag agent does, writes its session log where zag
keeps it (demo/logs.py: one waits for you, one runs its tests, one may wait for
your approval, one hit its usage limit), and exits by itself when its parent goes
away, so no demo outlives the demo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from zag_tray.agents.timestamps import rfc3339
from zag_tray.demo.logs import AGENT_CODE as LOGGING_AGENT_CODE
from zag_tray.demo.logs import Script, scripts
from zag_tray.desktop.files import atomic_write
from zag_tray.desktop.paths import STORE_NAME
from zag_tray.sessions.locate import log_path
from zag_tray.store.layout import serialise

AGENT_CODE = "import os, time\nparent = os.getppid()\nwhile os.getppid() == parent:\n    time.sleep(0.2)\n"


def spawn_agent(entry_id: str | None, argv: list[str] | None = None) -> subprocess.Popen[bytes]:
    """A sleeping child that names ``entry_id`` in its environment, as an agent does.

    ``entry_id`` None spawns an untagged process (a stranger); ``argv`` replaces the sleeper.
    Returns once the child's environment can be read: Popen returns when the exec is past its
    point of no return, and Linux shows an empty environment until the exec has set it up, so a
    store written at once would name an agent the tray cannot verify yet (procs/liveness.py,
    rule 8).
    """
    env = {k: v for k, v in os.environ.items() if k != "ZAG_PROCESS_ID"}
    if entry_id is not None:
        env["ZAG_PROCESS_ID"] = entry_id
    proc = subprocess.Popen(
        argv or [sys.executable, "-c", AGENT_CODE],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _await_environment(proc.pid, deadline=time.monotonic() + EXEC_WAIT)
    return proc


EXEC_WAIT = 5.0
"""Seconds a spawned agent is given to finish its exec: far more than any machine needs."""


def _await_environment(pid: int, deadline: float) -> None:
    """Until ``/proc/PID/environ`` shows something (Linux; elsewhere the tray does not read a
    process's environment to verify it, so there is nothing to wait for)."""
    environ = Path(f"/proc/{pid}/environ")

    def shown() -> bool:
        try:
            return bool(environ.read_bytes())
        except OSError:
            return True  # gone, unreadable or not Linux: nothing to wait for

    _await(shown, deadline)


def _await(ready: Callable[[], bool], deadline: float) -> None:
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.002)


def make_entry(
    *,
    pid: int,
    provider: str = "claude",
    model: str = "sonnet",
    command: str = "exec",
    prompt: str | None = "Say hello",
    status: str = "running",
    started_at: str | None = None,
    parent: str | None = None,
    root: str | None = None,
    entry_id: str | None = None,
    exit_code: int | None = None,
    exited_at: str | None = None,
) -> dict[str, Any]:
    """One store entry with zag's keys in zag's order."""
    return {
        "id": entry_id or str(uuid.uuid4()),
        "pid": pid,
        "session_id": str(uuid.uuid4()),
        "provider": provider,
        "model": model,
        "command": command,
        "prompt": prompt,
        "started_at": started_at or rfc3339(datetime.now(UTC)),
        "status": status,
        "exit_code": exit_code,
        "exited_at": exited_at,
        "root": root,
        "parent_process_id": parent,
        "parent_session_id": None,
    }


def write_store(base: Path, entries: list[dict[str, Any]]) -> Path:
    """Write ``entries`` as zag does: pretty JSON, temp file, atomic rename."""
    path = base / STORE_NAME
    atomic_write(path, serialise({"processes": entries}))
    return path


@dataclass
class DemoAgents:
    """A temporary base dir with a nested tree of live demo agents and some finished ones."""

    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="zag-tray-demo-")))
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    logs: bool = True
    """Do the running agents write session logs? (Tests of other things start them quiet.)"""
    _scripts: dict[str, Script] = field(default_factory=dict, repr=False)
    """What each running agent's session log says, by "provider model" (demo/logs.py)."""

    def __enter__(self) -> DemoAgents:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    @property
    def store(self) -> Path:
        return self.base / STORE_NAME

    def start(self) -> None:
        """Spawn an orchestrator with two workers, one of which has a worker of its own."""
        project = self.base / "projects" / "parser"
        project.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        self._scripts = scripts(now)
        self._finished(now, project)
        orchestrator = self._agent(
            "claude",
            "opus",
            "run",
            "Orchestrate: split the parser refactor into tasks",
            None,
            project,
            now - timedelta(minutes=12),
        )
        tokenizer = self._agent(
            "codex",
            "gpt-5",
            "exec",
            "Write property tests for the tokenizer",
            orchestrator,
            project,
            now - timedelta(minutes=9),
        )
        self._agent(
            "gemini",
            "pro",
            "review",
            "Review the tokenizer diff",
            orchestrator,
            project,
            now - timedelta(minutes=4),
        )
        self._agent(
            "claude",
            "sonnet",
            "exec",
            "Fix the failing test in lexer.rs",
            tokenizer,
            project,
            now - timedelta(minutes=2),
        )
        write_store(self.base, self.entries)

    def close(self) -> None:
        """End every demo agent and remove the temporary base dir."""
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def _agent(
        self,
        provider: str,
        model: str,
        command: str,
        prompt: str,
        parent: str | None,
        root: Path,
        shown_start: datetime,
    ) -> str:
        entry_id = str(uuid.uuid4())
        # Backdating started_at is safe: only a process older than its entry is suspect.
        entry = make_entry(
            pid=0,
            provider=provider,
            model=model,
            command=command,
            prompt=prompt,
            parent=parent,
            root=str(root),
            entry_id=entry_id,
            started_at=rfc3339(shown_start),
        )
        proc = self._spawn(entry)
        entry["pid"] = proc.pid
        self.processes.append(proc)
        self.entries.append(entry)
        return entry_id

    def _spawn(self, entry: dict[str, Any]) -> subprocess.Popen[bytes]:
        """The agent of ``entry``; with :attr:`logs`, one that writes its session log
        (demo/logs.py), returned once the log is there: the store names no agent before."""
        if not self.logs:
            return spawn_agent(entry["id"])
        provider, session = entry["provider"], entry["session_id"]
        log = log_path(self.base, entry["root"], session)
        log.parent.mkdir(parents=True, exist_ok=True)
        script = self._scripts[f"{provider} {entry['model']}"].argv(provider, session)
        proc = spawn_agent(entry["id"], [sys.executable, "-c", LOGGING_AGENT_CODE, str(log), script])
        _await(log.exists, time.monotonic() + EXEC_WAIT)
        return proc

    def _finished(self, now: datetime, root: Path) -> None:
        for provider, model, prompt, code, status, ago in (
            ("claude", "opus", "Summarise the release notes", 0, "exited", 50),
            ("copilot", "gpt-4.1", "Bump the lockfile", 3, "exited", 30),
            ("ollama", "qwen3.5", "Übersetze die README ins Deutsche", None, "killed", 20),
        ):
            started = now - timedelta(minutes=ago)
            self.entries.append(
                make_entry(
                    pid=0,
                    provider=provider,
                    model=model,
                    prompt=prompt,
                    status=status,
                    started_at=rfc3339(started),
                    root=str(root),
                    exit_code=code,
                    exited_at=rfc3339(started + timedelta(minutes=3, seconds=12)),
                )
            )
