"""Other machines in the tray's glance, pure: a remote agent's ``activity`` as the local
:class:`~zag_tray.agents.activity.Activity` (so agents/present.py words and colours it as it
does a local one), who needs the user there, a tooltip line per host that is not live, and
the notification for an agent a live stream saw end (remote/state.py's ``Ended``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import msgspec

from zag_tray.agents.activity import NO_LOG, Activity, ActivityState
from zag_tray.agents.activity import Usage as LocalUsage
from zag_tray.agents.notices import Notice, Waiting
from zag_tray.agents.present import outcome, sentence
from zag_tray.agents.text import SHORT_FIELD, one_line
from zag_tray.agents.times import age
from zag_tray.agents.timestamps import parse_rfc3339
from zag_tray.remote.failures import WORDS
from zag_tray.remote.protocol import ActivityJson, RemoteAgent
from zag_tray.remote.state import Ended, HostState, Link

UNNAMED_TOOL: Final = "a tool"


def activity(remote: ActivityJson | None) -> Activity | None:
    """The remote's activity as an :class:`Activity` whose state is the one the remote saw:
    its ``since`` becomes the moment that state began. None when the remote looked at no log
    (not running); :data:`NO_LOG` when it found none."""
    if remote is None:
        return None
    state = remote.state
    if state is ActivityState.UNKNOWN:
        return NO_LOG
    since = _time(remote.since)
    usage = LocalUsage(remote.usage.input_tokens, remote.usage.output_tokens, remote.usage.cost_usd)
    made = Activity(
        remote.log or "",  # a log there: "" when it did not say where
        last_event_at=_time(remote.last_event_at),
        usage=usage,
        turns=remote.turns,
        result=remote.result,
        working_at=since,
    )
    match state:
        case ActivityState.FINISHED:
            return _replace(made, ended=True, ended_at=since)
        case ActivityState.RATE_LIMITED:
            return _replace(made, rate_limited=True, limited_at=since, resume_at=_time(remote.resume_at))
        case ActivityState.STALLED:  # stalled there: its last heartbeat long enough ago here too
            return _replace(made, heartbeat_at=since if since is not None else 0.0)
        case ActivityState.TOOL:
            return _replace(made, tool=remote.tool or UNNAMED_TOOL, tool_at=since, tools_pending=1)
        case ActivityState.WAITING:
            return _replace(made, waiting=True, waiting_at=since)
    return made


def _replace(made: Activity, **changes: Any) -> Activity:
    return msgspec.structs.replace(made, **changes)


def _time(text: str | None) -> float | None:
    return None if text is None else parse_rfc3339(text)


def needs_you(agents: Iterable[RemoteAgent], now: float) -> list[RemoteAgent]:
    """The agents of a host that may be waiting for the user (agents/activity.py's rule)."""
    found = []
    for agent in agents:
        made = activity(agent.activity)
        if made is not None and made.needs_you(now):
            found.append(agent)
    return found


def host_name(state: HostState) -> str:
    """The alias, escaped and cut: every view names a host this way."""
    return one_line(state.alias, SHORT_FIELD)


HEDGE: Final = "status as zag sees it (pid only)"
"""Said of a host whose statuses are zag's ``kill(pid, 0)`` (a zag serve: remote/serve.py)."""


def machine_line(state: HostState, now: float) -> str:
    """A host's one line wherever it is named (the tooltip, its menu section's head, its row in
    the window): how many run while it is live ("devbox: 2 running", and for a zag serve
    "https://box:2100: 2 running, status as zag sees it (pid only)"), else why not and when
    it was last seen ("devbox: offline (unreachable), last seen 3 min ago", "devbox:
    connecting…")."""
    if state.link is Link.LIVE:
        hedge = "" if state.status_certain else f", {HEDGE}"
        return f"{host_name(state)}: {len(state.agents)} running{hedge}"
    why = "" if state.problem is None else f" ({WORDS[state.problem]})"
    word = "connecting…" if state.link is Link.CONNECTING else "offline"
    seen = "" if state.last_seen is None else f", last seen {age(now - state.last_seen)}"
    return f"{host_name(state)}: {word}{why}{seen}"


def began_waiting(before: HostState, after: HostState, now: float) -> list[Waiting]:
    """The agents of ``after`` waiting for the user that were not in ``before`` (local
    agents' rule: agents/observation.with_activity). Only between two live states: a wait
    found on connecting (or again after a reconnect) was there before anyone looked, and is
    never announced, as one found at the tray's start is not."""
    if before.link is not Link.LIVE or after.link is not Link.LIVE:
        return []
    waited = {a.entry.id for a, _ in _waiting(before.agents, now)}
    return [
        Waiting(a.entry, made, after.alias)
        for a, made in _waiting(after.agents, now)
        if a.entry.id not in waited
    ]


def _waiting(agents: Iterable[RemoteAgent], now: float) -> list[tuple[RemoteAgent, Activity]]:
    found = []
    for agent in agents:
        made = activity(agent.activity)
        if made is not None and made.state_at(now) is ActivityState.WAITING:
            found.append((agent, made))
    return found


def ended_notice(ended: Ended, now: float) -> Notice:
    """ "Agent finished on devbox" — "claude · opus finished (exit 0) after 4m — ~/proj"."""
    agent = ended.agent
    failed = outcome(agent.entry, agent.live_status).failed
    heading = "Agent failed" if failed else "Agent finished"
    text = sentence(agent.entry, agent.live_status, now)
    return Notice(f"{heading} on {one_line(ended.alias, SHORT_FIELD)}", text, None, failed)
