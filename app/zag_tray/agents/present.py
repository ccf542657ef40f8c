"""How an agent is shown, written once: its title, how long it ran, what its outcome is
called and coloured. The CLI, the tray menu, the window, the tooltip and the
notifications all use these, so they never disagree.

Every value from the store is hostile and may be huge: it reaches the user only
through ``one_line`` (agents/text.py), which folds control characters and caps
the length before anything else looks at it.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING, Final

import msgspec

from zag_tray.agents.activity import Activity, ActivityState, Step, StepKind, ToolOutcome, Usage
from zag_tray.agents.entry import Entry
from zag_tray.agents.status import AgentState, LiveStatus, Stopping, as_state
from zag_tray.agents.text import capped, duration, one_line, short_path, tokens
from zag_tray.agents.times import NO_VALUE as NO_VALUE
from zag_tray.agents.times import age as age
from zag_tray.agents.times import clock as clock
from zag_tray.agents.times import local_time as local_time
from zag_tray.agents.times import when as when

if TYPE_CHECKING:  # the command line shows agents without the observation's module
    from zag_tray.agents.observation import Finished

GREEN: Final = "#2ea043"
RED: Final = "#d73a49"
GREY: Final = "#8a949e"
ORANGE: Final = "#f0883e"
AMBER: Final = "#e3b341"
"""Needs you: waiting for you, or a tool pending long enough to be asking (icon, lists)."""


def title(entry: Entry) -> str:
    """ "codex · gpt-5": who the agent is."""
    return f"{one_line(entry.provider, 20)} · {one_line(entry.model, 30)}"


def runtime(entry: Entry, state: AgentState | LiveStatus, now: float) -> float | None:
    """Seconds the agent ran: until ``now`` while it runs, frozen at its end once it does not
    (the recorded end, else the moment the tray saw its process gone); None when no end is
    known (it died before the tray looked) or its start is not an RFC 3339 time (no time is
    worked out from such a text)."""
    state = as_state(state)
    started = entry.started
    if started is None:
        return None
    if state.status is LiveStatus.RUNNING:
        return max(0.0, now - started)
    ended = entry.ended if entry.ended is not None else state.gone_at
    return None if ended is None else max(0.0, ended - started)


def runtime_text(entry: Entry, state: AgentState | LiveStatus, now: float) -> str:
    seconds = runtime(entry, state, now)
    return NO_VALUE if seconds is None else duration(seconds)


class Outcome(msgspec.Struct, frozen=True):
    """What an agent's state is called in a column (``label``) and in a sentence
    (``phrase``), its colour, and whether it failed (the attention dot)."""

    label: str
    phrase: str
    colour: str
    failed: bool = False


def outcome(entry: Entry, state: AgentState | LiveStatus) -> Outcome:
    """The outcome of ``entry`` in ``state``. Colours: running green; being stopped or not
    verifiable orange; a clean exit and a kill grey (neutral: the user's own doing, or zag's
    record of one); a non-zero exit red; a death (no exit recorded) orange. Only a non-zero
    exit and a death are failures, and never what the user's own stop or kill ended."""
    state = as_state(state)
    status, code = state.status, entry.exit_code
    if status is LiveStatus.RUNNING:
        return (
            Outcome("running", "is running", GREEN) if state.stopping is None else _stopping(state.stopping)
        )
    if state.ended_by is not None:
        return _ended_by_user(state.ended_by, status, code)
    return plain_outcome(status, code)


@lru_cache(maxsize=4096)
def plain_outcome(status: LiveStatus, code: int | None) -> Outcome:
    """:func:`outcome` of an agent in ``status`` that nobody is stopping or stopped, with its
    exit code: all that decides it, so ``list`` of 100,000 agents asks once a pair."""
    if status is LiveStatus.RUNNING:
        return Outcome("running", "is running", GREEN)
    if status is LiveStatus.EXITED:
        if code is None:
            return Outcome("exited", "finished", GREY)
        if code == 0:
            return Outcome("exited (0)", "finished (exit 0)", GREY)
        return Outcome(f"exited ({code})", f"failed (exit {code})", RED, failed=True)
    if status is LiveStatus.KILLED:
        if code is None:
            return Outcome("killed", "was killed", GREY)
        return Outcome(f"killed ({code})", f"was killed (exit {code})", GREY)
    if status is LiveStatus.DEAD:
        return Outcome("dead", "died (no exit recorded)", ORANGE, failed=True)
    if status is LiveStatus.UNVERIFIED:
        # A live process at its pid the tray cannot prove is the agent (procs/liveness.py):
        # neither running nor ended, and never signalled.
        return Outcome("cannot verify", "cannot be verified", ORANGE)
    return Outcome("unknown", "is in an unknown state", ORANGE)


def _stopping(stopping: Stopping) -> Outcome:
    if not stopping.by_user:  # zag recorded the end, the process runs on
        return Outcome(f"still running (recorded {stopping.signal})", "is still running", ORANGE)
    if stopping.overdue:
        return Outcome(
            f"still running after {stopping.signal}", f"is still running after {stopping.signal}", ORANGE
        )
    return Outcome("stopping…", "is stopping", ORANGE)


def _ended_by_user(signal: str, status: LiveStatus, code: int | None) -> Outcome:
    """An end the user's own stop (SIGHUP) or kill caused: never a failure, whatever exit
    code it left; labelled as the store records it, or by the signal while it records none."""
    phrase = "was stopped" if signal == "SIGHUP" else "was killed"
    recorded = {LiveStatus.EXITED: "exited", LiveStatus.KILLED: "killed"}.get(status)
    if recorded is None:
        return Outcome("stopped" if signal == "SIGHUP" else "killed", phrase, GREY)
    return Outcome(recorded if code is None else f"{recorded} ({code})", phrase, GREY)


def failed(finished: Finished) -> bool:
    """Did it die or fail (what turns the attention dot on)?"""
    return outcome(finished.entry, finished.state).failed


def sentence(entry: Entry, state: AgentState | LiveStatus, now: float) -> str:
    """ "codex · gpt-5 finished (exit 0) after 4m12s — ~/proj"."""
    seconds = runtime(entry, state, now)
    after = "" if seconds is None else f" after {duration(seconds)}"
    return f"{title(entry)} {outcome(entry, state).phrase}{after}{where(entry)}"


def where(entry: Entry) -> str:
    """ " — ~/proj", or nothing without a root."""
    return f" — {one_line(short_path(entry.root), 60)}" if entry.root else ""


def menu_label(
    entry: Entry, state: AgentState | LiveStatus, now: float | None, activity: Activity | None = None
) -> str:
    """A running agent in the tray menu: who, what it is doing where its log says (else for
    how long), what it was asked, whether it is being stopped. With no ``now``, times are
    moments ("since 14:03"): a label that does not tick."""
    state = as_state(state)
    prompt = one_line(entry.prompt, 40) or "(no prompt)"
    doing = activity_label(activity, time.time() if now is None else now, ticking=now is not None)
    how_long = since(entry) if now is None else runtime_text(entry, state, now)
    label = (
        f"{title(entry)} — {prompt} — {how_long}"
        if doing == NO_VALUE
        else f"{title(entry)} — {doing} — {prompt}"
    )
    return label if state.stopping is None else f"{label} — {outcome(entry, state).label}"


def since(entry: Entry) -> str:
    """ "since 14:03" (today), "since Mar 28 14:03": a start that does not tick; the stored
    text where it is not an RFC 3339 time."""
    started = entry.started
    moment = "" if started is None else clock(started, time.time())
    return f"since {moment or one_line(entry.started_at, 30)}"


def finished_label(entry: Entry, state: AgentState | LiveStatus, now: float) -> str:
    """A finished agent in the tray menu: who, how it ended, after how long."""
    return f"{title(entry)} — {state_line(entry, state, now)}"


def state_line(entry: Entry, state: AgentState | LiveStatus, now: float) -> str:
    """ "running for 4m12s", "exited (3) after 4m12s", "dead": the state and how long."""
    state = as_state(state)
    seconds = runtime(entry, state, now)
    if seconds is None:
        return outcome(entry, state).label
    joint = "for" if state.status is LiveStatus.RUNNING else "after"
    if state.stopping is not None:  # "still running after SIGTERM for 6s" reads as if it ran 6 s since
        joint = ", running for"
    return f"{outcome(entry, state).label} {joint} {duration(seconds)}".replace(" ,", ",")


def still_running_line(entry: Entry, stopping: Stopping, now: float) -> str:
    """What the user is told once a signalled agent outlives the grace period."""
    waited = duration(max(now - stopping.since, 0.0))
    return (
        f"{title(entry)} is still running {waited} after {stopping.signal}: "
        "Force kill is in its menu and in the window"
    )


# --- activity: what a running agent is doing (agents/activity.py) ----------------------------
# Never more than the log shows: a pending tool may be an approval prompt, zag's files cannot
# tell; an exec's log shows heartbeats only until it ends ("working" is all that is known).


def activity_label(activity: Activity | None, now: float, *, ticking: bool = True) -> str:
    """ "waiting for you · 2m", "running Bash · 40s", after 30 s "running Bash or waiting for
    your approval · 1m", "rate-limited until 15:40", "stalled: no heartbeat for 45s",
    "working · 3m", "finished", "failed: cancelled: …"; "—" without a log (or not running).
    The state is the one at ``now``; with ``ticking`` False the time is a moment ("waiting for
    you since 14:03"), for text that must not change every second (the tooltip, a menu)."""
    if activity is None:
        return NO_VALUE
    state = activity.state_at(now)
    since = activity.since_at(now)
    if state is ActivityState.UNKNOWN:
        return NO_VALUE
    if state is ActivityState.FINISHED:
        if activity.success is False:
            return f"failed: {one_line(activity.error, 60)}" if activity.error else "failed"
        return "finished"
    if state is ActivityState.RATE_LIMITED:
        resume = activity.resume_at
        if resume is None:
            return "rate-limited"
        word = " until" if resume > now else ", resume was due"
        return f"rate-limited{word} {clock(resume, now)}".rstrip()
    if state is ActivityState.STALLED:
        return _with_time("stalled: no heartbeat", since, now, ticking, joint=" for ")
    if state is ActivityState.TOOL:
        tool = one_line(activity.tool, 40)
        more = f" and {activity.tools_pending - 1} more" if activity.tools_pending > 1 else ""
        doing = f"running {tool}{more}"
        if activity.maybe_approval(now):
            doing += " or waiting for your approval"
        return _with_time(doing, since, now, ticking)
    if state is ActivityState.WAITING:
        return _with_time("waiting for you", since, now, ticking)
    return _with_time("working", since, now, ticking)


APPROVAL_NOTE: Final = "zag's log cannot tell a tool that runs from one waiting for your approval"
"""Said beside "running Bash or waiting for your approval" where there is room (a tooltip)."""


def _with_time(words: str, since: float | None, now: float, ticking: bool, joint: str = " · ") -> str:
    """``words`` with how long (``joint`` and a duration), or, not ``ticking``, since when."""
    if since is None:
        return words
    if ticking:
        return f"{words}{joint}{duration(max(now - since, 0.0))}"
    moment = clock(since, now)
    return f"{words} since {moment}" if moment else words


def activity_colour(activity: Activity | None, now: float) -> str:
    """Amber when it may need the user (waiting, a tool pending 30 s), orange when stalled, red
    for a session that ended in failure, grey when rate-limited, finished or unknown, else green."""
    if activity is None:
        return GREY
    state = activity.state_at(now)
    if activity.needs_you(now):
        return AMBER
    if state is ActivityState.STALLED:
        return ORANGE
    if state is ActivityState.FINISHED:
        return RED if activity.success is False else GREY
    if state in (ActivityState.RATE_LIMITED, ActivityState.UNKNOWN):
        return GREY
    return GREEN


def usage_text(usage: Usage) -> str:
    """ "12.3k in / 4.1k out · $0.42"; the parts known only; "" when none is."""
    parts = []
    if usage.input_tokens is not None or usage.output_tokens is not None:
        parts.append(f"{tokens(usage.input_tokens or 0)} in / {tokens(usage.output_tokens or 0)} out")
    if usage.cost_usd is not None:
        parts.append(f"${usage.cost_usd:.2f}" if usage.cost_usd >= 0.01 else f"${usage.cost_usd:.4f}")
    return " · ".join(parts)


_OUTCOME: Final = {ToolOutcome.PENDING: "running", ToolOutcome.OK: "ok", ToolOutcome.FAILED: "failed"}


def step_line(step: Step, now: float) -> str:
    """One line of the details timeline: "14:03:12  prompt: fix the failing test",
    "14:03:20  Bash: cargo test → ok", "14:05:01  usage: 1.5k in / 800 out · $0.05"."""
    at = "" if step.at is None else clock(step.at, now, seconds=True)
    text = one_line(step.text, 100)
    kind = step.kind
    if kind is StepKind.TOOL:
        what = f"{one_line(step.tool, 40)}: {text}" if text else one_line(step.tool, 40)
        body = f"{what} → {_OUTCOME.get(step.outcome or ToolOutcome.PENDING, 'no result')}"
    elif kind is StepKind.USAGE:
        body = f"usage: {usage_text(step.usage or Usage()) or NO_VALUE}"
    elif kind is StepKind.PERMISSION:
        body = f"permission for {one_line(step.tool, 40)} {text}"
    else:
        body = f"{kind.value}: {text}" if text else kind.value
    return f"{at}  {body}" if at else body


def result_text(activity: Activity, limit: int) -> str:
    """The result, escaped, its line breaks kept, whole up to ``limit`` characters (then "…
    (N more characters)"; "… (longer in the log)" past what the model keeps)."""
    result = activity.result
    if result is None:
        return ""
    shown = capped(result, limit, keep_lines=True)
    return f"{shown}… (longer in the log)" if activity.result_cut and len(result) <= limit else shown


def activity_sentence(entry: Entry, activity: Activity, now: float) -> str:
    """ "claude · opus: waiting for you since 14:03 — ~/proj": a notification's text."""
    label = activity_label(activity, now, ticking=False)
    return f"{title(entry)}: {label}{where(entry)}"
