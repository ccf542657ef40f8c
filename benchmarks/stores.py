"""Stores in zag's exact on-disk format, of any size, with realistic nesting; :class:`Stores`
makes them in a folder with their running entries real processes."""

from __future__ import annotations

import random
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import RUNNING
from zag_tray.demo import spawn_agent
from zag_tray.store.layout import serialise

PROVIDERS = [
    ("claude", "opus"),
    ("claude", "sonnet"),
    ("codex", "gpt-5"),
    ("gemini", "pro"),
    ("ollama", "qwen3.5"),
    ("copilot", "gpt-4.1"),
]
PROMPTS = [
    "Fix the failing test in lexer.rs",
    "Write property tests for the tokenizer and the parser",
    "Review the diff of the last commit and suggest improvements to naming",
    "Orchestrate: split the parser refactor into tasks",
    "Übersetze die README ins Deutsche — “quoted” ✓",
]


def make_entries(count: int, running_pids: list[int], seed: int = 7) -> list[dict[str, Any]]:
    """``count`` entries, oldest first (as zag appends); the last ``len(running_pids)`` are running.

    About a third of the entries are children of an earlier entry (orchestrators and workers).
    """
    rnd = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    entries: list[dict[str, Any]] = []
    for i in range(count):
        provider, model = rnd.choice(PROVIDERS)
        started = start + timedelta(seconds=i * 300 + rnd.randint(0, 200))
        running = i >= count - len(running_pids)
        parent = entries[rnd.randrange(max(0, i - 20), i)]["id"] if i and rnd.random() < 0.33 else None
        code = 0 if rnd.random() < 0.8 else rnd.choice([1, 2, 130])
        entries.append(
            {
                "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "pid": running_pids[i - (count - len(running_pids))]
                if running
                else rnd.randint(1000, 4_000_000),
                "session_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "provider": provider,
                "model": model,
                "command": rnd.choice(["run", "exec", "review", "plan"]),
                "prompt": rnd.choice(PROMPTS) if rnd.random() < 0.95 else None,
                "started_at": started.isoformat(timespec="microseconds").replace("+00:00", "Z")
                if i % 2
                else started.isoformat(),
                "status": "running"
                if running
                else ("exited" if code == 0 or rnd.random() < 0.5 else "killed"),
                "exit_code": None if running else code,
                "exited_at": None
                if running
                else (started + timedelta(seconds=rnd.randint(5, 900))).isoformat(),
                "root": f"/home/dev/project-{rnd.randint(1, 40)}",
                "parent_process_id": parent,
                "parent_session_id": None,
            }
        )
    return entries


def write(path: Path, entries: list[dict[str, Any]]) -> bytes:
    data = serialise({"processes": entries})
    tmp = path.with_name(f".{path.name}.bench.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def new_id() -> str:
    return str(uuid.uuid4())


class Stores:
    """Stores of each size in one folder, their ``running`` last entries real sleeping processes."""

    def __init__(self, root: Path, running: int = RUNNING) -> None:
        self.root = root
        self.running = running
        self.agents: list[subprocess.Popen[bytes]] = []
        self.paths: dict[int, Path] = {}
        self.watch_id: dict[int, str] = {}
        """The id of each store's last entry: the one whose prompt a writer changes."""

    def make(self, size: int) -> Path:
        entries = make_entries(size, [0] * self.running)
        for entry in entries[-self.running :]:
            proc = spawn_agent(entry["id"])
            self.agents.append(proc)
            entry["pid"] = proc.pid
        base = self.root / f"store-{size}"
        base.mkdir()
        path = base / "processes.json"
        write(path, entries)
        self.paths[size] = path
        self.watch_id[size] = entries[-1]["id"]
        return path

    def close(self) -> None:
        for proc in self.agents:
            proc.kill()
            proc.wait()
