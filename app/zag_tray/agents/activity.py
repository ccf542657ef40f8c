"""What an agent is doing, as its session log shows it: :class:`Activity`.

An :class:`Activity` is worked out from the events after the *last* ``session_started``
of the agent's log (a resumed run appends to the same file: ZAG_SESSIONS.md 1.6) by
:class:`~zag_tray.agents.activity_fold.ActivityFold`, a fold over events: new lines are
fed as they are appended, and an :class:`Activity` is read off it at any time. The
log's facts are in the fields; the state at a given moment is :meth:`Activity.state_at`,
since two states come with the clock alone (a silent wrapper is *stalled* 30 s after its
last heartbeat; a tool pending for 30 s may be waiting for approval).

The states, the first that holds:

``unknown``
    no log was found (a plain ``zag exec`` not linked to one, a log ``gc`` deleted...).
``finished``
    a ``session_ended`` follows the last ``session_started`` (success, or the error).
``rate_limited``
    a ``usage_limit_hit`` with no later ``usage_limit_resumed`` or
    ``usage_limit_resume_failed`` for its ``incident_id``, nor any conversation event
    after it (the batch writer of ``zag exec`` records a hit, waits, runs again, and never
    writes a resume); ``resume_at`` is its ``scheduled_resume_at``, else its ``reset_at``.
``stalled``
    the log has heartbeats (the wrapper writes one every 10 s, whatever the agent does)
    and none for :data:`STALL_AFTER` seconds (three intervals, at least). Relay sessions
    (``zag spawn --interactive``) write none, and are never stalled for that.
``tool``
    a ``tool_call`` with no ``tool_result`` for its ``tool_id`` (the oldest such, with
    the number open): the tool runs, *or* it waits for the user's approval, which zag's
    files cannot tell apart. A new prompt or the end of the turn ends the calls still
    open (an interrupted tool never gets its result).
``waiting``
    the turn ended and nothing happened since: a ``provider_status`` with
    ``data.turn_index`` ("Turn N complete"), or, in an interactive ``zag run`` (events
    its live adapter copies from the provider's transcript, ``source_kind``
    ``provider_file``), an ``assistant_message`` with every tool call answered. What
    ends it: a prompt, a message, reasoning, a tool call or result. A ``zag exec`` never
    waits: its log is written in one batch when the provider has returned.
``working``
    otherwise.

Everything here is pure (no I/O): times are epoch seconds, texts are as the log holds
them, capped, and still hostile: agents/present.py escapes them for people, the CLI's
JSON writer for scripts.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import msgspec


class ActivityState(StrEnum):
    FINISHED = "finished"
    RATE_LIMITED = "rate_limited"
    TOOL = "tool"
    WAITING = "waiting"
    STALLED = "stalled"
    WORKING = "working"
    UNKNOWN = "unknown"


STALL_AFTER: Final = 30.0
"""Seconds without a heartbeat after which a wrapper that writes them is stalled (at least
three of its intervals)."""
APPROVAL_AFTER: Final = 30.0
"""Seconds after which a pending tool call may be waiting for the user's approval: shown
as such, and counted as needing the user (:meth:`Activity.needs_you`)."""
HEARTBEAT_EVERY: Final = 10.0
"""zag's heartbeat interval (session_log.rs), when a heartbeat does not say its own."""


class Usage(msgspec.Struct, frozen=True):
    """Tokens and cost of the session (after its last ``session_started``): the sums of its
    ``usage`` lines; where it has none, of the per-turn usage of its "Turn N complete"
    statuses (``per_turn``; no cost there). None where no line gave the figure."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    per_turn: bool = False

    @property
    def known(self) -> bool:
        return self.input_tokens is not None or self.output_tokens is not None or self.cost_usd is not None


class StepKind(StrEnum):
    """What a line of the details timeline is."""

    PROMPT = "prompt"  # user_message
    ASSISTANT = "assistant"  # assistant_message: its first line
    TOOL = "tool"  # tool_call, with its outcome once its tool_result came
    PERMISSION = "permission"  # a permission outcome (granted or denied)
    USAGE = "usage"
    LIMIT = "limit"  # usage_limit_hit, _resumed, _resume_failed
    RESULT = "result"  # session_result
    ENDED = "ended"  # session_ended


class ToolOutcome(StrEnum):
    PENDING = "pending"  # no tool_result yet
    OK = "ok"
    FAILED = "failed"
    UNANSWERED = "unanswered"  # the turn ended (or a new prompt came) without its result


class Step(msgspec.Struct, frozen=True):
    """One line of the details timeline. ``text`` is one line of the log's text, capped
    (:data:`STEP_TEXT`), raw: escape it before showing it (agents/present.py does)."""

    at: float | None
    kind: StepKind
    text: str = ""
    tool: str | None = None
    outcome: ToolOutcome | None = None
    usage: Usage | None = None


STEP_TEXT: Final = 300
"""Characters of a timeline line's text kept."""
STEPS_KEPT: Final = 12
"""Timeline lines kept, the latest."""
RESULT_KEPT: Final = 65_536
"""Characters of the result kept (the details view shows it whole up to there)."""


class Activity(msgspec.Struct, frozen=True):
    """An agent's session log, read up to some point: the facts the states are decided on.

    Made by :meth:`~zag_tray.agents.activity_fold.ActivityFold.activity`; equal facts make
    equal activities, and the fold hands out the very same object until a line changes
    something, so ``is`` tells a change cheaply.
    """

    log: str | None
    """The log's path; None when no log was found (``unknown``)."""
    command: str | None = None
    """The ``session_started``'s command: ``run``, ``exec``, ``interactive`` (relay)..."""
    started_at: float | None = None
    last_event_at: float | None = None
    """The ``ts`` of the last event that is not a heartbeat."""
    ended: bool = False
    ended_at: float | None = None
    success: bool | None = None
    error: str | None = None
    """``session_ended``'s error (capped), e.g. "cancelled: <reason>"."""
    rate_limited: bool = False
    limited_at: float | None = None
    resume_at: float | None = None
    tool: str | None = None
    """The name of the oldest tool call still pending, if any."""
    tool_at: float | None = None
    tools_pending: int = 0
    waiting: bool = False
    waiting_at: float | None = None
    working_at: float | None = None
    """When it last went to work: the session's start, a prompt, the last pending tool's
    result, a turn that went on."""
    heartbeat_at: float | None = None
    """The last heartbeat; None when the session wrote none (relay sessions never do)."""
    heartbeat_every: float = HEARTBEAT_EVERY
    usage: Usage = Usage()
    turns: int = 0
    """"Turn N complete" statuses; where there are none, the prompts (``user_message``)."""
    result: str | None = None
    """The last ``session_result``, else the last ``assistant_message``, so far (at most
    :data:`RESULT_KEPT` characters: ``result_cut`` says there was more)."""
    result_cut: bool = False
    steps: tuple[Step, ...] = ()
    """The last events worth showing, oldest first (:data:`STEPS_KEPT`)."""
    malformed: int = 0
    """Lines after the last ``session_started`` that could not be read (skipped)."""

    @property
    def stall_after(self) -> float:
        return max(STALL_AFTER, 3 * self.heartbeat_every)

    def state_at(self, now: float) -> ActivityState:
        """The state at ``now`` (see the module: the first that holds)."""
        if self.log is None:
            return ActivityState.UNKNOWN
        if self.ended:
            return ActivityState.FINISHED
        if self.rate_limited:
            return ActivityState.RATE_LIMITED
        if self.heartbeat_at is not None and now - self.heartbeat_at > self.stall_after:
            return ActivityState.STALLED
        if self.tool is not None:
            return ActivityState.TOOL
        if self.waiting:
            return ActivityState.WAITING
        return ActivityState.WORKING

    def since_at(self, now: float) -> float | None:
        """When the state at ``now`` began (stalled: the last heartbeat); None if unknown."""
        return {
            ActivityState.FINISHED: self.ended_at,
            ActivityState.RATE_LIMITED: self.limited_at,
            ActivityState.STALLED: self.heartbeat_at,
            ActivityState.TOOL: self.tool_at,
            ActivityState.WAITING: self.waiting_at,
            ActivityState.WORKING: self.working_at,
        }.get(self.state_at(now))

    def maybe_approval(self, now: float) -> bool:
        """A tool pending for :data:`APPROVAL_AFTER` seconds: running, or waiting for the
        user's approval (the log cannot tell)."""
        return (
            self.state_at(now) is ActivityState.TOOL
            and self.tool_at is not None
            and now - self.tool_at >= APPROVAL_AFTER
        )

    def needs_you(self, now: float) -> bool:
        """Does it (perhaps) wait for the user: waiting, or a tool pending long enough to be
        an approval prompt? The tray's "needs you" icon and tooltip."""
        return self.state_at(now) is ActivityState.WAITING or self.maybe_approval(now)

    def next_change(self, now: float) -> float | None:
        """The first moment after ``now`` at which the state or its wording changes with no
        new line: a heartbeat overdue, a tool pending long enough, a resume time passing.
        None when only a new line can change it."""
        moments = []
        if self.log is None or self.ended:
            return None
        if self.rate_limited:
            return self.resume_at if self.resume_at is not None and self.resume_at > now else None
        if self.heartbeat_at is not None:
            moments.append(self.heartbeat_at + self.stall_after)
        if self.tool is not None and self.tool_at is not None:
            moments.append(self.tool_at + APPROVAL_AFTER)
        later = [moment for moment in moments if moment > now]
        return min(later) if later else None


NO_LOG: Final = Activity(None)
"""The activity of an agent whose log was not found."""
