"""zag's session log lines (ZAG_SESSIONS.md 1.2) decoded: the fields the activity model
reads, and no more.

A line is one ``AgentLogEvent``: serde's compact JSON of the envelope (``seq``, ``ts``,
``provider``, ``wrapper_session_id``, ``provider_session_id``, ``source_kind``,
``completeness``) with the event's ``type`` and fields flattened in. Logs hold megabytes
of tool output and messages, so every large text (``content``, ``output``, ``input``,
``result``, ``message``, ``data``...) is left as :class:`msgspec.Raw`, a view of the
line's bytes, and only its head is decoded, when it is needed (:func:`text_head`).

Everything in a log is hostile: a line that is not an object of these fields' types is
*malformed* (None here; the caller counts it), never an error. An event type this
module does not know (a newer zag) is decoded like any other and then ignored.
"""

from __future__ import annotations

from typing import Final

import msgspec
from msgspec import Raw

NULL: Final = Raw(b"null")

MAX_LINE: Final = 4 << 20
"""Bytes of a line decoded whole. A longer one (a tool's megabytes of output) is decoded
from its head alone (:func:`decode_head`)."""
HEAD: Final = 64 << 10
"""Bytes kept of a line longer than :data:`MAX_LINE`."""


class LogLine(msgspec.Struct, gc=False):
    """One event, with only the fields the activity model reads (agents/activity.py)."""

    type: str
    ts: str = ""
    provider: str = ""
    wrapper_session_id: str = ""
    source_kind: str = ""
    command: str | None = None  # session_started: "run", "exec", "interactive" (relay)...
    content: Raw = NULL  # user_message, assistant_message, reasoning
    tool_name: str | None = None  # tool_call, tool_result, permission
    tool_id: str | None = None
    input: Raw = NULL  # tool_call
    success: bool | None = None  # tool_result, session_ended
    error: Raw = NULL  # tool_result, session_ended, usage_limit_resume_failed
    description: Raw = NULL  # permission
    granted: bool | None = None
    message: Raw = NULL  # provider_status, stderr, user_event
    data: Raw = NULL  # provider_status
    result: Raw = NULL  # session_result
    interval_secs: int | None = None  # heartbeat
    input_tokens: int | None = None  # usage
    output_tokens: int | None = None
    total_cost_usd: float | None = None
    incident_id: str | None = None  # usage_limit_*
    reset_at: str | None = None
    scheduled_resume_at: str | None = None


class TurnUsage(msgspec.Struct, gc=False):
    """zag's unified ``Usage`` in a turn's ``provider_status.data.usage`` (ZAG_SESSIONS.md 2)."""

    input_tokens: int | None = None
    output_tokens: int | None = None


class StatusData(msgspec.Struct, gc=False):
    """What a ``provider_status``'s ``data`` says of turns: ``turn_index`` for a turn that
    ended ("Turn N complete"), with its usage; ``num_turns`` for the provider's result."""

    turn_index: int | None = None
    usage: Raw = NULL
    num_turns: int | None = None


class ToolInput(msgspec.Struct, gc=False):
    """The keys of a tool's input that say what it does, the first present one shown."""

    command: Raw = NULL
    cmd: Raw = NULL
    file_path: Raw = NULL
    path: Raw = NULL
    pattern: Raw = NULL
    url: Raw = NULL
    query: Raw = NULL
    description: Raw = NULL
    prompt: Raw = NULL


_decode_line = msgspec.json.Decoder(LogLine).decode
_decode_status = msgspec.json.Decoder(StatusData).decode
_decode_usage = msgspec.json.Decoder(TurnUsage).decode
_decode_input = msgspec.json.Decoder(ToolInput).decode
_decode_str = msgspec.json.Decoder(str).decode
_decode_strs = msgspec.json.Decoder(list[str]).decode

_BIG_FIELDS: Final = (
    b',"content":',
    b',"input":',
    b',"output":',
    b',"result":',
    b',"data":',
    b',"raw":',
    b',"description":',
    b',"resume_message":',
)
"""Where a long line's large text starts: serde writes the small fields before it (the
envelope, ``type``, ``tool_name``, ``tool_id``, ``success``...), in declaration order."""


def decode(line: bytes | memoryview) -> LogLine | None:
    """The event of one line, or None when it is malformed."""
    try:
        return _decode_line(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def decode_all(lines: list[bytes]) -> list[LogLine | None]:
    """The event of each of ``lines`` (whole lines, no line break), None for a malformed
    one; blank lines are left out."""
    try:
        return list(map(_decode_line, lines))  # in C, the usual case
    except (msgspec.DecodeError, msgspec.ValidationError):
        return [decode(line) for line in lines if line.strip()]


def decode_head(head: bytes) -> LogLine | None:
    """The event of a line too long to decode whole, from its first bytes: the object cut
    where its first large text starts (serde's field order puts every field the model
    needs of a tool call or result before it), the texts themselves missing."""
    cuts = [at for at in map(head.find, _BIG_FIELDS) if at > 0]
    if not cuts:
        return None
    return decode(head[: min(cuts)] + b"}")


def text_head(raw: Raw, limit: int) -> tuple[str, bool] | None:
    """The JSON string ``raw`` holds: its first ``limit`` characters and whether it has
    more; None when ``raw`` is not a string (null, absent, another type). Decodes at
    most the bytes ``limit`` characters can take, whatever the string's length."""
    view = memoryview(raw)
    if not view or view[0] != 0x22:  # '"'
        return None
    most = 12 * limit + 2  # a character is at most 12 bytes of JSON (a surrogate pair escaped)
    if len(view) <= most:
        try:
            text = _decode_str(view)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        return text[:limit], len(text) > limit
    cut = bytes(view[:most])
    for back in range(13):  # off a split escape (\uD83D\uDE00 is 12 bytes) or UTF-8 sequence
        try:
            return _decode_str(cut[: len(cut) - back] + b'"')[:limit], True
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
    return None


def turn_of(data: Raw) -> StatusData | None:
    """A ``provider_status``'s ``data`` as :class:`StatusData`; None when it is not an
    object of those fields' types (Claude's raw transcript rows, an error's details)."""
    if not memoryview(data) or memoryview(data)[0] != 0x7B:  # '{'
        return None
    try:
        return _decode_status(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def usage_of(raw: Raw) -> TurnUsage | None:
    try:
        return _decode_usage(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def tool_summary(raw: Raw, limit: int) -> str:
    """What a tool call does, from its input: its command, path, pattern, URL... ("" when
    the input says none of them)."""
    view = memoryview(raw)
    if not view or view[0] != 0x7B:
        return ""
    try:
        found = _decode_input(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return ""
    for value in (
        found.command,
        found.cmd,
        found.file_path,
        found.path,
        found.pattern,
        found.url,
        found.query,
        found.description,
        found.prompt,
    ):
        text = text_head(value, limit)
        if text is not None:
            return text[0]
        view = memoryview(value)
        if view and view[0] == 0x5B and len(view) <= 16 * limit:  # Codex: ["bash", "-lc", "cargo test"]
            try:
                return " ".join(_decode_strs(value))[:limit]
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue
    return ""
