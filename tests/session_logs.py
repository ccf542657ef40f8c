"""zag's session logs and their indexes, written as zag writes them (ZAG_SESSIONS.md 1.1-1.2).

Each event is one line: serde_json's compact text (no spaces; non-ASCII as UTF-8; ``"``,
``\\``, and control characters escaped, ``\\b \\f \\n \\r \\t`` in short), appended with
``O_APPEND``. The envelope comes first (``seq``, ``ts``, ``provider``,
``wrapper_session_id``, ``provider_session_id``, ``source_kind``, ``completeness``), then
``type`` and the event's fields in their declaration order (zag-agent/src/session_log.rs):
an ``Option`` without ``skip_serializing_if`` is written ``null``, one with it is left out
(``tool_kind``, the cache counts and ``total_cost_usd``, ``reset_at``...). Values that are
``serde_json::Value`` (a tool's ``input``, a status's ``data``) are maps with sorted keys:
zag does not enable serde_json's ``preserve_order``. Times are chrono's ``to_rfc3339``:
``+00:00``, with 0, 3, 6 or 9 fractional digits.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TOOL_KINDS = (
    "shell",
    "file_read",
    "file_write",
    "file_edit",
    "search",
    "sub_agent",
    "web",
    "notebook",
    "other",
)
_SKIP = object()
"""A field left out (``skip_serializing_if``) when its value is None."""


def zag_time(epoch: float) -> str:
    """``epoch`` as chrono's ``to_rfc3339()`` (SecondsFormat::AutoSi) writes it."""
    whole = int(epoch // 1)
    nanos = round((epoch - whole) * 1_000_000) * 1000  # a float holds microseconds
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    moment = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos == 0:
        fraction = ""
    elif nanos % 1_000_000 == 0:
        fraction = f".{nanos // 1_000_000:03d}"
    elif nanos % 1000 == 0:
        fraction = f".{nanos // 1000:06d}"
    else:
        fraction = f".{nanos:09d}"
    return f"{moment}{fraction}+00:00"


def _sorted(value: Any) -> Any:
    """A ``serde_json::Value``: maps in key order (a BTreeMap)."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def compact(value: Any) -> str:
    """serde_json's ``to_string``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class SessionLog:
    """One session log file, appended to event by event, each method one event type of
    ZAG_SESSIONS.md 1.2 (its fields and their order). ``at`` is the event's time (epoch
    seconds; default now), ``source_kind`` its source (``wrapper`` unless said)."""

    def __init__(
        self,
        path: Path,
        *,
        provider: str = "claude",
        session_id: str | None = None,
        provider_session_id: str | None = None,
    ) -> None:
        self.path = path
        self.provider = provider
        self.session_id = session_id or path.stem
        self.provider_session_id = provider_session_id
        self.seq = 0
        path.parent.mkdir(parents=True, exist_ok=True)

    # --- writing ---------------------------------------------------------------------------

    def line(
        self,
        kind: str,
        fields: dict[str, Any],
        *,
        at: float | None = None,
        source_kind: str = "wrapper",
        completeness: str = "full",
    ) -> str:
        """The text of one event (no line break); the next ``seq``. A field whose value is
        :data:`_SKIP`-marked None is left out."""
        self.seq += 1
        pairs: list[tuple[str, Any]] = [
            ("seq", self.seq),
            ("ts", zag_time(time.time() if at is None else at)),
            ("provider", self.provider),
            ("wrapper_session_id", self.session_id),
            ("provider_session_id", self.provider_session_id),
            ("source_kind", source_kind),
            ("completeness", completeness),
            ("type", kind),
        ]
        for key, value in fields.items():
            if isinstance(value, tuple) and value and value[0] is _SKIP:
                if value[1] is None:
                    continue
                value = value[1]
            pairs.append((key, value))
        # Pairs, not a dict: usage_limit_hit's own `provider` is written after the
        # envelope's, a second key of that name, as serde's flatten writes it.
        return "{" + ",".join(f"{compact(key)}:{compact(value)}" for key, value in pairs) + "}"

    def append(self, text: str) -> str:
        """Append ``text`` and a line break as zag does (one write, ``O_APPEND``)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (text + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        return text

    def emit(self, kind: str, fields: dict[str, Any], **envelope: Any) -> str:
        return self.append(self.line(kind, fields, **envelope))

    def work_until_orphaned(
        self, pause: Callable[[], float], idle: Callable[[], bool] = lambda: False
    ) -> None:
        """The benchmarks' agents at work: after each ``pause()`` seconds the next event of
        :meth:`work` (none while ``idle()``), a heartbeat every 10 s, until the process that
        started this one ends."""
        parent, i, beat = os.getppid(), 0, time.monotonic()
        while os.getppid() == parent:
            time.sleep(pause())
            if idle():
                continue
            i += 1
            self.work(i)
            if time.monotonic() - beat >= 10:
                self.heartbeat()
                beat = time.monotonic()

    def work(self, i: int) -> str:
        """The ``i``-th event of an agent at work, a cycle of five: a prompt, a tool call, its
        result (0.5 to 4 kB of output), a message, the turn's end (the benchmarks' agents)."""
        kind = i % 5
        if kind == 0:
            return self.user_message("go on with the next step")
        if kind == 1:
            return self.tool_call("Bash", f"t{i}", {"command": "cargo test --all"})
        if kind == 2:
            return self.tool_result(f"t{i - 1}", "Bash", output="x" * random.randint(500, 4000))
        if kind == 3:
            return self.assistant_message("The tests pass now.\nNext I will look at the docs.")
        return self.turn_complete(i, {"input_tokens": 1200, "output_tokens": 300})

    # --- the event types, in session_log.rs's order ----------------------------------------

    def session_started(
        self,
        command: str = "exec",
        model: str | None = "sonnet",
        cwd: str | None = None,
        *,
        resumed: bool = False,
        backfilled: bool = False,
        **envelope: Any,
    ) -> str:
        fields = {
            "command": command,
            "model": model,
            "cwd": cwd,
            "resumed": resumed,
            "backfilled": backfilled,
        }
        return self.emit("session_started", fields, **envelope)

    def user_message(self, content: str, message_id: str | None = None, **envelope: Any) -> str:
        return self.emit(
            "user_message", {"role": "user", "content": content, "message_id": message_id}, **envelope
        )

    def assistant_message(self, content: str, message_id: str | None = None, **envelope: Any) -> str:
        return self.emit("assistant_message", {"content": content, "message_id": message_id}, **envelope)

    def reasoning(self, content: str, message_id: str | None = None, **envelope: Any) -> str:
        return self.emit("reasoning", {"content": content, "message_id": message_id}, **envelope)

    def tool_call(
        self,
        tool_name: str,
        tool_id: str | None = None,
        input: Any = None,  # zag's field name
        tool_kind: str | None = None,
        **envelope: Any,
    ) -> str:
        fields = {
            "tool_name": tool_name,
            "tool_kind": (_SKIP, tool_kind),
            "tool_id": tool_id,
            "input": _sorted(input),
        }
        return self.emit("tool_call", fields, **envelope)

    def tool_result(
        self,
        tool_id: str | None,
        tool_name: str | None = None,
        *,
        success: bool | None = True,
        output: str | None = None,
        error: str | None = None,
        data: Any = None,
        tool_kind: str | None = None,
        **envelope: Any,
    ) -> str:
        fields = {
            "tool_name": tool_name,
            "tool_kind": (_SKIP, tool_kind),
            "tool_id": tool_id,
            "success": success,
            "output": output,
            "error": error,
            "data": _sorted(data),
        }
        return self.emit("tool_result", fields, **envelope)

    def permission(self, tool_name: str, description: str, *, granted: bool, **envelope: Any) -> str:
        fields = {"tool_name": tool_name, "description": description, "granted": granted}
        return self.emit("permission", fields, **envelope)

    def provider_status(self, message: str, data: Any = None, **envelope: Any) -> str:
        return self.emit("provider_status", {"message": message, "data": _sorted(data)}, **envelope)

    def turn_complete(
        self,
        turn_index: int,
        usage: dict[str, int | None] | None = None,
        stop_reason: str = "end_turn",
        **e: Any,
    ) -> str:
        """The ``TurnComplete`` mapping: "Turn N complete", with zag's unified ``Usage``
        (every field written, null where unknown)."""
        full = None
        if usage is not None:
            full = {
                "input_tokens": None,
                "output_tokens": None,
                "cache_read_tokens": None,
                "cache_creation_tokens": None,
                "web_search_requests": None,
                "web_fetch_requests": None,
                **usage,
            }
        data = {"stop_reason": stop_reason, "turn_index": turn_index, "usage": full}
        return self.provider_status(f"Turn {turn_index} complete", data, **e)

    def turn_result(
        self,
        message: str | None = None,
        *,
        success: bool = True,
        duration_ms: int = 1000,
        num_turns: int = 1,
        **e: Any,
    ) -> str:
        """The ``Result`` mapping: the final text (or "Result emitted") and its figures."""
        data = {"success": success, "duration_ms": duration_ms, "num_turns": num_turns}
        return self.provider_status(message or "Result emitted", data, **e)

    def stderr(self, message: str, **envelope: Any) -> str:
        return self.emit("stderr", {"message": message}, **envelope)

    def parse_warning(self, message: str, raw: str | None = None, **envelope: Any) -> str:
        return self.emit("parse_warning", {"message": message, "raw": raw}, **envelope)

    def session_cleared(self, old: str | None = None, new: str | None = None, **envelope: Any) -> str:
        return self.emit("session_cleared", {"old_session_id": old, "new_session_id": new}, **envelope)

    def session_ended(self, *, success: bool = True, error: str | None = None, **envelope: Any) -> str:
        return self.emit("session_ended", {"success": success, "error": error}, **envelope)

    def session_result(self, result: str, **envelope: Any) -> str:
        return self.emit("session_result", {"result": result}, **envelope)

    def heartbeat(self, interval_secs: int | None = 10, **envelope: Any) -> str:
        return self.emit("heartbeat", {"interval_secs": interval_secs}, **envelope)

    def usage(
        self,
        input_tokens: int,
        output_tokens: int,
        *,
        cache_read_tokens: int | None = None,
        cache_creation_tokens: int | None = None,
        total_cost_usd: float | None = None,
        **envelope: Any,
    ) -> str:
        fields = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_tokens": (_SKIP, cache_read_tokens),
            "cache_creation_tokens": (_SKIP, cache_creation_tokens),
            "total_cost_usd": (_SKIP, total_cost_usd),
        }
        return self.emit("usage", fields, **envelope)

    def user_event(self, level: str, message: str, data: Any = None, **envelope: Any) -> str:
        fields = {"level": level, "message": message, "data": (_SKIP, _sorted(data))}
        return self.emit("user_event", fields, **envelope)

    def usage_limit_hit(
        self,
        incident_id: str | None = None,
        *,
        scope: str = "session",
        reset_at: str | None = None,
        scheduled_resume_at: str | None = None,
        fallback_used: bool = False,
        raw: str | None = None,
        **envelope: Any,
    ) -> str:
        fields = {
            "provider": self.provider,  # the event's own, flattened beside the envelope's
            "scope": scope,
            "reset_at": (_SKIP, reset_at),
            "scheduled_resume_at": (_SKIP, scheduled_resume_at),
            "fallback_used": fallback_used,
            "incident_id": incident_id or str(uuid.uuid4()),
            "raw": (_SKIP, raw),
        }
        return self.emit("usage_limit_hit", fields, **envelope)

    def usage_limit_resumed(
        self, incident_id: str, resume_message: str = "continue", attempt: int = 1, **e: Any
    ) -> str:
        fields = {"incident_id": incident_id, "resume_message": resume_message, "attempt": attempt}
        return self.emit("usage_limit_resumed", fields, **e)

    def usage_limit_resume_failed(self, incident_id: str, error: str, attempt: int = 1, **e: Any) -> str:
        return self.emit(
            "usage_limit_resume_failed", {"incident_id": incident_id, "error": error, "attempt": attempt}, **e
        )


EVENT_TYPES = (
    "session_started",
    "user_message",
    "assistant_message",
    "reasoning",
    "tool_call",
    "tool_result",
    "permission",
    "provider_status",
    "stderr",
    "parse_warning",
    "session_cleared",
    "session_ended",
    "session_result",
    "heartbeat",
    "usage",
    "user_event",
    "usage_limit_hit",
    "usage_limit_resumed",
    "usage_limit_resume_failed",
)
"""Every ``type`` of ZAG_SESSIONS.md 1.2, in session_log.rs's order."""


# --- where logs live, and the indexes ---------------------------------------------------------


def sanitized(root: str) -> str:
    """zag's ``Config::sanitize_path``: the leading ``/`` stripped, each ``/`` a ``-``."""
    return root.lstrip("/").replace("/", "-")


def agent_dir(base: Path, root: str | None) -> Path:
    return base if root is None else base / "projects" / sanitized(root)


def log_path(base: Path, root: str | None, session_id: str) -> Path:
    return agent_dir(base, root) / "logs" / "sessions" / f"{session_id}.jsonl"


def write_sessions_index(base: Path, rows: list[dict[str, Any]]) -> Path:
    """``~/.zag/sessions_index.json``: each row ``session_id, project, log_path, provider,
    started_at`` (pretty-printed, as serde_json's ``to_string_pretty``)."""
    path = base / "sessions_index.json"
    path.write_text(json.dumps({"sessions": rows}, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def index_row(
    session_id: str, path: Path, *, provider: str = "claude", project: str = ".zag"
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "project": project,
        "log_path": str(path),
        "provider": provider,
        "started_at": zag_time(time.time()),
    }


def write_project_index(agent: Path, rows: list[dict[str, Any]]) -> Path:
    """``<agent dir>/logs/index.json``."""
    path = agent / "logs" / "index.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"sessions": rows}, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def project_row(session_id: str, path: Path, *, provider: str = "claude") -> dict[str, Any]:
    return {
        "wrapper_session_id": session_id,
        "provider": provider,
        "provider_session_id": None,
        "log_path": str(path),
        "completeness": "full",
        "started_at": zag_time(time.time()),
        "ended_at": None,
        "workspace_path": None,
        "command": "exec",
        "source_paths": [],
        "backfilled": False,
    }


def lines_of(path: Path) -> Iterator[dict[str, Any]]:
    for text in path.read_text(encoding="utf-8").splitlines():
        yield json.loads(text)
