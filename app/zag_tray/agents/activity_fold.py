"""The fold that turns a session log's events into an :class:`~zag_tray.agents.activity.Activity`.

Feed it the events of a log in order (:meth:`ActivityFold.feed`), from its last
``session_started`` on or from its start (a ``session_started`` starts it afresh), then
read :meth:`ActivityFold.activity`: following a log costs only its new lines. The rules are
agents/activity.py's; times are kept as the log's text and read only when an activity is
made, so a first read of a long log parses a handful of them, not one per line.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Any, Final

from msgspec import Raw

from zag_tray.agents.activity import (
    RESULT_KEPT,
    STEP_TEXT,
    STEPS_KEPT,
    Activity,
    Step,
    StepKind,
    ToolOutcome,
    Usage,
)
from zag_tray.agents.sessionlog import LogLine, text_head, tool_summary, turn_of, usage_of
from zag_tray.agents.timestamps import parse_rfc3339

_GOES_ON: Final = frozenset({"user_message", "assistant_message", "reasoning", "tool_call", "tool_result"})
"""Events that show the agent at work: they end a wait, and a rate limit still open."""
_MAY_GO_ON: Final = _GOES_ON | {"provider_status", "usage_limit_resumed", "usage_limit_resume_failed"}
"""Events after which it may be working again (when it was not): ``working_at`` moves."""
_LIVE_SOURCE: Final = "provider_file"
_PENDING_KEPT: Final = 256
"""Tool calls pending at once, at most: the oldest is given up beyond (no provider runs so many)."""
"""``source_kind`` of what an interactive ``zag run``'s live adapter copies from the
provider's transcript as it is written."""
_BATCH_COMMAND: Final = "exec"
"""A ``zag exec`` writes its conversation in one batch once the provider returned."""

_Ts = str | None
_PendingTool = tuple[str, str]  # (tool name, ts)


class ActivityFold:
    """The state of one log's last session, event by event."""

    def __init__(self, log: str) -> None:
        self.log = log
        self.malformed = 0
        """Malformed lines since the last ``session_started``."""
        self._start(None)

    def _start(self, started: LogLine | None) -> None:
        self.malformed = 0
        self._command = None if started is None else started.command
        self._started: _Ts = None if started is None else started.ts
        self._last: _Ts = self._started
        self._heartbeat: _Ts = None
        self._heartbeat_every = 10.0
        self._ended: tuple[bool | None, str | None, _Ts] | None = None
        self._limits: dict[str, tuple[_Ts, _Ts]] = {}
        self._tools: dict[str, _PendingTool] = {}
        self._anonymous = 0
        self._waiting: _Ts = None
        self._working: _Ts = self._started
        self._usage_lines = 0
        self._tokens = [0, 0]  # input, output: of the usage lines
        self._cost: float | None = None
        self._turn_usage: list[int | None] = [None, None]
        self._turns = 0
        self._prompts = 0
        self._result: Raw | None = None  # the last session_result's text, decoded when made
        self._said: Raw | None = None  # the last assistant_message's
        self._steps: deque[_Step] = deque(maxlen=STEPS_KEPT)
        self._tool_steps: dict[str, _Step] = {}  # the timeline's line of each pending call
        self._made: Activity | None = None

    def feed(self, events: list[LogLine | None]) -> None:
        """Apply ``events``, in log order; None is a malformed line (counted)."""
        if events:
            self._made = None
        for event in events:
            if event is None:
                self.malformed += 1
                continue
            kind = event.type
            if kind == "heartbeat":
                self._heartbeat = event.ts
                every = event.interval_secs
                self._heartbeat_every = 10.0 if every is None else float(min(max(every, 1), 600))
                continue
            if kind == "session_started":
                self._start(event)
                continue
            self._last = event.ts
            handle = _HANDLERS.get(kind)
            if kind not in _MAY_GO_ON:  # no change of state: a usage line, stderr...
                if handle is not None:
                    handle(self, event)
                continue
            busy = bool(self._tools or self._waiting is not None or self._limits)
            if kind in _GOES_ON:
                self._waiting = None
                if self._limits:
                    self._limits.clear()
            if handle is not None:
                handle(self, event)
            if busy and not (self._tools or self._waiting is not None or self._limits):
                self._working = event.ts  # back at work

    # --- events ----------------------------------------------------------------------------

    def _user_message(self, event: LogLine) -> None:
        self._prompts += 1
        self._close_tools(ToolOutcome.UNANSWERED)
        self._steps.append([event.ts, StepKind.PROMPT, _kept(event.content), None, None])

    def _assistant_message(self, event: LogLine) -> None:
        self._said = event.content
        self._steps.append([event.ts, StepKind.ASSISTANT, _kept(event.content), None, None])
        if event.source_kind == _LIVE_SOURCE and not self._tools:
            self._waiting = event.ts

    def _tool_call(self, event: LogLine) -> None:
        key = event.tool_id
        if key is None:  # matched to a result without an id by name, oldest first
            self._anonymous += 1
            key = f"\0{self._anonymous}"
        name = event.tool_name or "tool"
        tools = self._tools
        tools[key] = (name, event.ts)
        if len(tools) > _PENDING_KEPT:  # a log of calls and no results: memory stays bounded
            oldest = next(iter(tools))
            del tools[oldest]
            self._settle(oldest, ToolOutcome.UNANSWERED)
        raw = event.input
        summary = raw if len(memoryview(raw)) <= _KEPT else tool_summary(raw, STEP_TEXT)
        step: _Step = [event.ts, StepKind.TOOL, summary, name, ToolOutcome.PENDING]
        self._steps.append(step)
        self._tool_steps[key] = step

    def _tool_result(self, event: LogLine) -> None:
        key = event.tool_id
        if key is None:
            named = event.tool_name
            unnamed = (k for k, (n, _) in self._tools.items() if k.startswith("\0") and named in (None, n))
            key = next(unnamed, None)
        if key is None or self._tools.pop(key, None) is None:
            return
        failed = event.success is False or (event.success is None and text_head(event.error, 1) is not None)
        self._settle(key, ToolOutcome.FAILED if failed else ToolOutcome.OK)

    def _permission(self, event: LogLine) -> None:
        said = "granted" if event.granted else "denied"
        self._step(event, StepKind.PERMISSION, f"{said}: {_line(event.description)}", event.tool_name)

    def _provider_status(self, event: LogLine) -> None:
        data = turn_of(event.data)
        if data is None or data.turn_index is None:
            return
        self._turns += 1
        self._close_tools(ToolOutcome.UNANSWERED)
        if self._command != _BATCH_COMMAND:
            self._waiting = event.ts
        turn = usage_of(data.usage)
        if turn is not None:
            for i, tokens in enumerate((turn.input_tokens, turn.output_tokens)):
                if tokens is not None:
                    self._turn_usage[i] = (self._turn_usage[i] or 0) + tokens

    def _session_ended(self, event: LogLine) -> None:
        error = text_head(event.error, STEP_TEXT)
        self._ended = (event.success, None if error is None else error[0], event.ts)
        self._close_tools(ToolOutcome.UNANSWERED)
        text = "success" if event.success else "failed" + (f": {_first_line(error[0])}" if error else "")
        self._step(event, StepKind.ENDED, text)

    def _session_result(self, event: LogLine) -> None:
        if text_head(event.result, 0) is not None:  # a string
            self._result = event.result
            self._steps.append([event.ts, StepKind.RESULT, _kept(event.result), None, None])

    def _usage_line(self, event: LogLine) -> None:
        self._usage_lines += 1
        self._tokens[0] += event.input_tokens or 0
        self._tokens[1] += event.output_tokens or 0
        cost = event.total_cost_usd
        if cost is not None:
            self._cost = cost if self._cost is None else self._cost + cost
        self._steps.append(
            [event.ts, StepKind.USAGE, Usage(event.input_tokens, event.output_tokens, cost), None, None]
        )

    def _limit_hit(self, event: LogLine) -> None:
        if event.incident_id is None:
            return
        resume = event.scheduled_resume_at or event.reset_at
        self._limits[event.incident_id] = (event.ts, resume)
        self._step(event, StepKind.LIMIT, "usage limit hit")

    def _limit_over(self, event: LogLine) -> None:
        if event.incident_id is not None and self._limits.pop(event.incident_id, None) is not None:
            resumed = event.type == "usage_limit_resumed"
            said = "resumed" if resumed else f"resume failed: {_line(event.error)}"
            self._step(event, StepKind.LIMIT, said)

    # --- helpers ---------------------------------------------------------------------------

    def _step(self, event: LogLine, kind: StepKind, text: str, tool: str | None = None) -> None:
        self._steps.append([event.ts, kind, text, tool, None])

    def _close_tools(self, outcome: ToolOutcome) -> None:
        for key in self._tools:
            self._settle(key, outcome)
        self._tools.clear()
        self._tool_steps.clear()

    def _settle(self, key: str, outcome: ToolOutcome) -> None:
        """The timeline's line of the call ``key`` (if it is still kept) gets ``outcome``."""
        step = self._tool_steps.pop(key, None)
        if step is not None:
            step[4] = outcome

    # --- the activity ----------------------------------------------------------------------

    def activity(self) -> Activity:
        """The activity so far: the very same object until a line changes it."""
        if self._made is None:
            self._made = self._make()
        return self._made

    def _make(self) -> Activity:
        ended = self._ended
        limits = self._limits
        limited_at = resume_at = None
        if limits:
            first = min(limits.values(), key=lambda pair: _at(pair[0]) or 0.0)
            limited_at, resume_at = _at(first[0]), _at(first[1])
        kept = self._result if self._result is not None else self._said
        answer = None if kept is None else text_head(kept, RESULT_KEPT)
        tool = tool_at = None
        if self._tools:
            tool, since = next(iter(self._tools.values()))
            tool_at = _at(since)
        return Activity(
            self.log,
            command=self._command,
            started_at=_at(self._started),
            last_event_at=_at(self._last),
            ended=ended is not None,
            ended_at=None if ended is None else _at(ended[2]),
            success=None if ended is None else ended[0],
            error=None if ended is None else ended[1],
            rate_limited=bool(limits),
            limited_at=limited_at,
            resume_at=resume_at,
            tool=tool,
            tool_at=tool_at,
            tools_pending=len(self._tools),
            waiting=self._waiting is not None,
            waiting_at=_at(self._waiting),
            working_at=_at(self._working),
            heartbeat_at=_at(self._heartbeat),
            heartbeat_every=self._heartbeat_every,
            usage=self._usage_so_far(),
            turns=self._turns or self._prompts,
            result=None if answer is None else answer[0],
            result_cut=answer is not None and answer[1],
            steps=tuple(map(_step_of, self._steps)),
            malformed=self.malformed,
        )

    def _usage_so_far(self) -> Usage:
        if self._usage_lines:
            return Usage(self._tokens[0], self._tokens[1], self._cost)
        turn_in, turn_out = self._turn_usage
        if turn_in is None and turn_out is None:
            return Usage()
        return Usage(turn_in, turn_out, None, per_turn=True)


_HANDLERS: Final = {
    "user_message": ActivityFold._user_message,
    "assistant_message": ActivityFold._assistant_message,
    "tool_call": ActivityFold._tool_call,
    "tool_result": ActivityFold._tool_result,
    "permission": ActivityFold._permission,
    "provider_status": ActivityFold._provider_status,
    "session_ended": ActivityFold._session_ended,
    "session_result": ActivityFold._session_result,
    "usage": ActivityFold._usage_line,
    "usage_limit_hit": ActivityFold._limit_hit,
    "usage_limit_resumed": ActivityFold._limit_over,
    "usage_limit_resume_failed": ActivityFold._limit_over,
}


@functools.lru_cache(maxsize=512)
def _at(ts: str | None) -> float | None:
    """A time of the log as epoch seconds (the same few are read at every activity made)."""
    return None if not ts else parse_rfc3339(ts)


_KEPT: Final = 16 << 10
"""Bytes of a timeline line's text kept undecoded until an activity is made: a longer one
(a file written whole as a tool's input) is decoded at once, so no large line stays held."""

_Step = list[Any]  # [ts, kind, text (str, Raw or Usage), tool, outcome]: a Step still to be made


def _kept(raw: Raw) -> Raw | str:
    """A text for a timeline line: kept as it is while short, else its first line now."""
    return raw if len(memoryview(raw)) <= _KEPT else _line(raw)


def _step_of(step: _Step) -> Step:
    """The Step of a timeline line, made once (and again only when its outcome changed)."""
    ts, kind, text, tool, outcome, *made = step
    if made and made[0].outcome is outcome:
        return made[0]  # type: ignore[no-any-return]
    usage = text if isinstance(text, Usage) else None
    if kind is StepKind.TOOL and isinstance(text, Raw):
        text = tool_summary(text, STEP_TEXT)
    elif isinstance(text, Raw):
        text = _line(text)
    shown = Step(_at(ts), kind, "" if usage is not None else text, tool, outcome, usage)
    step[2:] = [text, tool, outcome, shown]  # the text decoded: its line no longer held
    return shown


def _line(raw: Raw) -> str:
    text = text_head(raw, STEP_TEXT * 4)
    return "" if text is None else _first_line(text[0])


def _first_line(text: str) -> str:
    """The first line of ``text`` that is not blank, capped."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:STEP_TEXT]
    return ""
