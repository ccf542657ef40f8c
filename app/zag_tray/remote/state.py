"""A host as the user sees it: connecting, live, or offline with its last snapshot, when it
was last heard from and why it is offline. Pure: the driver (remote/driver.py, later the
tray) feeds it what happened and shows what comes out.

An agent is announced as finished only when a live stream said so. Agents that ended while
the host was offline simply are not in the next snapshot: nobody saw them end (they may
have been killed by a reboot), so they are never a "finished" notification, and a
reconnect never repeats one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from zag_tray.agents.text import SHORT_FIELD, one_line
from zag_tray.agents.times import age
from zag_tray.remote.failures import WORDS, Problem
from zag_tray.remote.protocol import (
    SCHEMA,
    ActivityChanged,
    Event,
    Finished,
    Hello,
    RemoteAgent,
    Snapshot,
    Started,
    StoreError,
    activity_of,
    remote_agent,
)


class Link(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class HostState:
    alias: str
    link: Link = Link.CONNECTING
    agents: tuple[RemoteAgent, ...] = ()
    """The running agents of the last snapshot and the changes since; kept while offline."""
    last_seen: float | None = None
    """When the last line came (epoch seconds)."""
    problem: Problem | None = None
    """Why it is offline (or was, while connecting again); None once live."""
    detail: str = ""
    """What ssh or the remote said (raw text: shown through agents/text.py)."""
    remote_host: str | None = None
    version: str | None = None
    store_error: str | None = None
    rejected: int = 0
    """Agents the host sent that zag's reader would reject (skipped)."""
    status_certain: bool = True
    """False for a zag serve host: its ``live_status`` is zag's ``kill(pid, 0)``, which calls
    a reused pid running; over ssh, the remote zag-tray checked each process is the agent."""


@dataclass(frozen=True, slots=True)
class Ended:
    """An agent a live stream saw end: a notification, naming the host."""

    alias: str
    agent: RemoteAgent
    outcome: str


def connecting(state: HostState) -> HostState:
    """A connection is being made; the last snapshot and problem stay on show until it is live."""
    return dataclasses.replace(state, link=Link.CONNECTING)


def offline(state: HostState, problem: Problem, detail: str = "") -> HostState:
    return dataclasses.replace(state, link=Link.OFFLINE, problem=problem, detail=detail)


def received(state: HostState, event: Event, now: float) -> tuple[HostState, list[Ended]]:
    """``state`` after one event of the stream, and what ended."""
    state = dataclasses.replace(state, last_seen=now)
    if isinstance(event, Hello):
        if event.schema != SCHEMA:
            return offline(state, Problem.INCOMPATIBLE, f"schema {event.schema}, not {SCHEMA}"), []
        host, version = event.host[:SHORT_FIELD], event.version[:SHORT_FIELD]
        return dataclasses.replace(state, remote_host=host, version=version), []
    if isinstance(event, Snapshot):
        agents = [remote_agent(raw) for raw in event.agents]
        kept = tuple(a for a in agents if a is not None)
        rejected = len(agents) - len(kept)
        live = dataclasses.replace(state, link=Link.LIVE, problem=None, detail="")
        return dataclasses.replace(live, agents=kept, rejected=rejected), []
    if state.link is not Link.LIVE:
        return state, []  # a change is about a snapshot: none yet on this connection
    if isinstance(event, Started):
        return _started(state, event), []
    if isinstance(event, ActivityChanged):
        return _activity(state, event), []
    if isinstance(event, Finished):
        return _finished(state, event)
    if isinstance(event, StoreError):
        return dataclasses.replace(state, store_error=event.error), []
    return state, []  # a heartbeat: only heard from


def _started(state: HostState, event: Started) -> HostState:
    agent = remote_agent(event.agent)
    if agent is None:
        return dataclasses.replace(state, rejected=state.rejected + 1)
    others = tuple(a for a in state.agents if a.entry.id != agent.entry.id)
    return dataclasses.replace(state, agents=(*others, agent))


def _activity(state: HostState, event: ActivityChanged) -> HostState:
    activity = activity_of(event.activity)
    agents = tuple(
        dataclasses.replace(a, activity=activity) if a.entry.id == event.id else a for a in state.agents
    )
    return dataclasses.replace(state, agents=agents)


def _finished(state: HostState, event: Finished) -> tuple[HostState, list[Ended]]:
    agent = remote_agent(event.agent)
    if agent is None or all(a.entry.id != agent.entry.id for a in state.agents):
        return state, []  # not one we saw running: nothing to announce (nor twice)
    left = tuple(a for a in state.agents if a.entry.id != agent.entry.id)
    return dataclasses.replace(state, agents=left), [Ended(state.alias, agent, event.outcome)]


def describe(state: HostState, now: float) -> str:
    """One line for the user: "live · 3 running", "connecting…", "offline: unreachable
    (ssh: connect to host …) · last seen 3 min ago"; escaped and cut (agents/text.py)."""
    if state.link is Link.LIVE:
        hedge = "" if state.status_certain else " (as zag sees them: pid only)"
        return f"live · {len(state.agents)} running{hedge}"
    why = "" if state.problem is None else f": {WORDS[state.problem]}"
    detail = f" ({one_line(state.detail, 120)})" if state.detail else ""
    seen = "never seen" if state.last_seen is None else f"last seen {age(now - state.last_seen)}"
    word = "connecting…" if state.link is Link.CONNECTING else "offline"
    return f"{word}{why}{detail} · {seen}"
