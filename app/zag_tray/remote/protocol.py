"""``zag-tray watch --json`` read back: what cli/watch.py writes, on the other side of ssh.

The lines come from another machine and are as hostile as the store: before the hello
line they may be anything (a ``.bashrc`` that echoes lands on stdout) and are skipped;
every line is capped (:data:`LINE_CAP`), decoded by msgspec (no recursion limit to hit, a
type for each event), and an agent is accepted only as zag's reader accepts a store entry
(store/parse.py): what is kept is then shown through agents/text.py like local store text.
Unknown events and keys are ignored (a newer zag-tray may add some); a new ``schema`` is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import msgspec

from zag_tray.agents.activity import ActivityState
from zag_tray.agents.entry import Entry
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.text import LONG_FIELD, SHORT_FIELD
from zag_tray.store.parse import parse_entry

SCHEMA: Final = 1
"""The version of the lines; a reader refuses another (remote/state.py: incompatible)."""
HEARTBEAT: Final = 10.0
"""Seconds between heartbeats of an otherwise quiet stream."""
STALL_AFTER: Final = 3 * HEARTBEAT
"""A stream with no line for three heartbeats is stalled: killed and started again."""
LINE_CAP: Final = 8 << 20
"""Bytes of one line: a snapshot of 1,000 running agents with long prompts fits; a line
longer is skipped whole (counted), never held."""


class _Event(msgspec.Struct, tag_field="event", kw_only=True):
    at: str | None = None


class Hello(_Event, tag="hello"):
    schema: int
    version: str
    host: str
    store: str | None = None


class Snapshot(_Event, tag="snapshot"):
    agents: list[dict[str, Any]]


class Started(_Event, tag="started"):
    agent: dict[str, Any]


class ActivityChanged(_Event, tag="activity"):
    id: str
    activity: dict[str, Any] | None
    was: str | None = None


class Finished(_Event, tag="finished"):
    agent: dict[str, Any]
    outcome: str = ""


class StoreError(_Event, tag="error"):
    error: str | None


class Heartbeat(_Event, tag="heartbeat"):
    running: int = 0


Event = Hello | Snapshot | Started | ActivityChanged | Finished | StoreError | Heartbeat
_DECODER: Final = msgspec.json.Decoder(Event)


class Usage(msgspec.Struct, kw_only=True):
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None


class ActivityJson(msgspec.Struct, kw_only=True):
    """An ``activity`` object of ``--json`` (cli/views.py's activity_json), its texts capped."""

    state: ActivityState
    since: str | None = None
    last_event_at: str | None = None
    tool: str | None = None
    resume_at: str | None = None
    turns: int = 0
    usage: Usage = msgspec.field(default_factory=Usage)
    result: str | None = None
    log: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteAgent:
    """An agent another machine reported: its store entry as zag's reader accepts it, the
    live status that machine checked, and what its log showed there."""

    entry: Entry
    live_status: LiveStatus
    activity: ActivityJson | None

    def json(self) -> dict[str, Any]:
        """The object ``--json`` prints: the stored keys, ``live_status``, ``activity``."""
        activity = None if self.activity is None else msgspec.to_builtins(self.activity)
        return {**self.entry.raw, "live_status": self.live_status.value, "activity": activity}


OURS: Final = frozenset({"live_status", "activity", "children", "parent", "host"})
"""The keys zag-tray adds to a stored entry in its JSON."""


_STATUSES: Final[dict[object, LiveStatus]] = {s.value: s for s in LiveStatus}


def remote_agent(raw: dict[str, Any]) -> RemoteAgent | None:
    """The agent of one JSON object, or None where zag's reader would reject its entry."""
    entry = parse_entry({key: value for key, value in raw.items() if key not in OURS})
    if not isinstance(entry, Entry):
        return None
    live = _STATUSES.get(raw.get("live_status"), LiveStatus.UNKNOWN)
    return RemoteAgent(entry, live, activity_of(raw.get("activity")))


def activity_of(raw: object) -> ActivityJson | None:
    """An ``activity`` object, its texts capped as the UI would cut them; None when it is not one."""
    try:
        activity = msgspec.convert(raw, ActivityJson)
    except msgspec.ValidationError:
        return None
    return msgspec.structs.replace(
        activity,
        tool=_cut(activity.tool, SHORT_FIELD),
        result=_cut(activity.result, LONG_FIELD),
        log=_cut(activity.log, LONG_FIELD),
    )


def _cut(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


class Lines:
    """Bytes in, whole lines out (without their line break); a line over ``cap`` bytes is
    dropped as it arrives and comes out as None, once its end is seen."""

    def __init__(self, cap: int = LINE_CAP) -> None:
        self.cap = cap
        self.pending = bytearray()
        self.dropping = False

    def feed(self, data: bytes) -> list[bytes | None]:
        out: list[bytes | None] = []
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            if self.dropping or len(self.pending) + end - start > self.cap:
                out.append(None)
            else:
                out.append(bytes(self.pending + data[start:end]))
            self.pending.clear()
            self.dropping, start = False, end + 1
        if not self.dropping:
            self.pending += data[start:]
            if len(self.pending) > self.cap:
                self.pending.clear()
                self.dropping = True
        return out


class Stream:
    """One connection's stdout: :meth:`feed` bytes, get the events they complete. Nothing
    before the first hello counts (``noise``); after it, a line that is not an event is
    counted in ``unreadable`` and skipped."""

    def __init__(self, cap: int = LINE_CAP) -> None:
        self.lines = Lines(cap)
        self.hello: Hello | None = None
        self.noise = 0
        self.unreadable = 0

    def feed(self, data: bytes) -> list[Event]:
        events = []
        for line in self.lines.feed(data):
            event = self._event(line)
            if event is not None:
                events.append(event)
        return events

    def _event(self, line: bytes | None) -> Event | None:
        try:
            event = None if line is None else _DECODER.decode(line)
        except msgspec.DecodeError:
            event = None
        if self.hello is None and not isinstance(event, Hello):
            self.noise += 1
            return None
        if event is None:
            self.unreadable += 1
        elif isinstance(event, Hello) and self.hello is None:
            self.hello = event
        return event
