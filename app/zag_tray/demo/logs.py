"""What the demo's agents say they are doing: each writes a session log as zag's wrapper does
(../shared/ZAG_SESSIONS.md 1.2; tests/session_logs.py writes every event type for the tests),
so ``zag-tray demo`` shows the Activity column, the needs-you icon and a "waiting for you"
notification, not "—" everywhere.

A log is written by the demo agent itself (:data:`AGENT_CODE`, run with ``python -c``):
its past events at once, then its :class:`Script`'s events at their offsets, one cycle of
events again and again, and a heartbeat every 10 s as zag's wrapper writes one, until its
parent goes away. Lines are compact JSON, one ``O_APPEND`` write each, envelope first.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from zag_tray.agents.timestamps import rfc3339

Event = tuple[float, str, dict[str, Any]]
"""(seconds: before now for the past, after the start for the rest; type; fields)."""

AGENT_CODE = r"""
import json, os, sys, time
from datetime import datetime, timezone
path, script = sys.argv[1], json.loads(sys.argv[2])
parent, started, seq = os.getppid(), time.time(), 0
def emit(kind, fields, at):
    global seq
    seq += 1
    stamp = datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="milliseconds")
    line = dict(script["envelope"], seq=seq, ts=stamp)
    line = {k: line[k] for k in ("seq", "ts", *script["envelope"])}
    line["type"] = kind
    line.update(fields)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
    finally:
        os.close(fd)
for ago, kind, fields in script["past"]:
    emit(kind, fields, started - ago)
due = [(at, kind, fields) for at, kind, fields in script["once"]]
period, cycle, turn, beat = script["period"], script["cycle"], 0, started
while os.getppid() == parent:
    now = time.time()
    for at, kind, fields in [d for d in due if started + d[0] <= now]:
        emit(kind, fields, now)
        due.remove((at, kind, fields))
    if period and now >= started + period * turn:
        due += [(period * turn + at, kind, json.loads(json.dumps(fields).replace("{n}", str(turn))))
                for at, kind, fields in cycle]
        turn += 1
    if now - beat >= 10:
        emit("heartbeat", {"interval_secs": 10}, now)
        beat = now
    time.sleep(0.2)
"""


@dataclass
class Script:
    """One demo agent's log: events already written when it starts (``past``), events at a
    time after it starts (``once``), and a ``cycle`` of events every ``period`` seconds
    (``{n}`` in a field: the cycle's number, for tool ids)."""

    past: list[Event]
    once: list[Event] = field(default_factory=list)
    cycle: list[Event] = field(default_factory=list)
    period: float = 0.0

    def argv(self, provider: str, session_id: str) -> str:
        envelope = {
            "provider": provider,
            "wrapper_session_id": session_id,
            "provider_session_id": None,
            "source_kind": "wrapper",
            "completeness": "full",
        }
        fields = {"past": self.past, "once": self.once, "cycle": self.cycle, "period": self.period}
        return json.dumps({"envelope": envelope, **fields})


def started(command: str, model: str, prompt: str, ago: float) -> list[Event]:
    fields = {"command": command, "model": model, "cwd": None, "resumed": False, "backfilled": False}
    return [
        (ago, "session_started", fields),
        (ago - 1, "user_message", {"role": "user", "content": prompt, "message_id": None}),
    ]


def tool_call(at: float, name: str, tool_id: str, given: dict[str, Any]) -> Event:
    return (at, "tool_call", {"tool_name": name, "tool_id": tool_id, "input": given})


def tool_result(at: float, name: str, tool_id: str, output: str) -> Event:
    fields = {"tool_name": name, "tool_id": tool_id, "success": True, "output": output, "error": None}
    return (at, "tool_result", {**fields, "data": None})


def said(at: float, text: str) -> Event:
    return (at, "assistant_message", {"content": text, "message_id": None})


def usage(at: float, tokens_in: int, tokens_out: int, cost: float) -> Event:
    fields = {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_cost_usd": cost}
    return (at, "usage", fields)


def turn_complete(at: float, turn: int, tokens_in: int, tokens_out: int) -> Event:
    counts = {"input_tokens": tokens_in, "output_tokens": tokens_out, "cache_read_tokens": None}
    counts |= {"cache_creation_tokens": None, "web_search_requests": None, "web_fetch_requests": None}
    data = {"stop_reason": "end_turn", "turn_index": turn, "usage": counts}
    return (at, "provider_status", {"message": f"Turn {turn} complete", "data": data})


def rate_limited(at: float, provider: str, resume: datetime) -> Event:
    fields = {"provider": provider, "scope": "session", "scheduled_resume_at": rfc3339(resume)}
    return (at, "usage_limit_hit", {**fields, "fallback_used": False, "incident_id": str(uuid.uuid4())})


def scripts(now: datetime) -> dict[str, Script]:
    """By the demo agent's provider and model: an orchestrator that ends its turn a few
    seconds after the demo starts (it then waits for you), a worker running its tests in a
    loop, a reviewer whose tool has been pending a while (it may wait for your approval),
    and a worker that hit its usage limit."""
    test = {"command": "cargo test -p tokenizer"}
    return {
        "claude opus": Script(
            past=[
                *started("run", "opus", "Orchestrate: split the parser refactor into tasks", 720),
                tool_call(700, "Task", "t-1", {"description": "tokenizer tests"}),
                tool_result(200, "Task", "t-1", "spawned codex"),
                usage(190, 18_400, 2_100, 0.42),
            ],
            once=[
                said(6, "Three tasks are under way. Merge the tokenizer branch once its tests pass?"),
                turn_complete(6.5, 1, 18_400, 2_100),
            ],
        ),
        "codex gpt-5": Script(
            past=[*started("exec", "gpt-5", "Write property tests for the tokenizer", 540)],
            cycle=[
                tool_call(1, "Bash", "bash-{n}", test),
                tool_result(8, "Bash", "bash-{n}", "test result: ok. 41 passed"),
                said(9, "The tests pass; adding a case for nested quotes."),
            ],
            period=15,
        ),
        "gemini pro": Script(
            past=[
                *started("review", "pro", "Review the tokenizer diff", 240),
                tool_call(45, "Read", "read-1", {"file_path": "src/tokenizer.rs"}),
            ]
        ),
        "claude sonnet": Script(
            past=[
                *started("exec", "sonnet", "Fix the failing test in lexer.rs", 120),
                rate_limited(30, "claude", now + timedelta(minutes=25)),
            ]
        ),
    }
