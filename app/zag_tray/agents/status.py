"""The live status of an entry, and what the stored status alone decides."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

import msgspec

from zag_tray.agents.entry import Entry


class LiveStatus(StrEnum):
    """zag's live statuses; ``dead`` also covers a pid that is no longer the agent.

    ``unverified`` is the tray's own: a live process holds the pid but cannot be
    proved to be the agent (procs/liveness.py says why). It is not running (never
    listed as running, never signalled) and not ended (never announced); shown as
    "cannot verify", and ``unverified`` in ``--json``.
    """

    RUNNING = "running"
    DEAD = "dead"
    EXITED = "exited"
    KILLED = "killed"
    UNKNOWN = "unknown"
    UNVERIFIED = "unverified"


_AS_STORED: Final = {"exited": LiveStatus.EXITED, "killed": LiveStatus.KILLED}


def stored_status(status: str) -> LiveStatus | None:
    """The live status a stored value alone decides, or None for ``running``, which only a
    look at the process can decide (procs/liveness.py)."""
    if status == "running":
        return None
    return _AS_STORED.get(status, LiveStatus.UNKNOWN)


def live_status(entry: Entry, checked: Mapping[str, LiveStatus]) -> LiveStatus:
    """The live status of any entry: what zag recorded, or, for an entry stored running,
    what a look at its process found (``checked``, by id: procs/liveness.py); an entry
    recorded ended is running only where ``checked`` says its process verifiably runs
    (procs/monitor.py looks at recent ones: zag records a kill before it signals)."""
    return live_status_of(entry.id, entry.status, checked)


def live_status_of(entry_id: str, status: str, checked: Mapping[str, LiveStatus]) -> LiveStatus:
    """:func:`live_status` of the entry with this id and stored status (cli/columns.py asks it
    of columns, without an entry)."""
    if status == "running":
        return checked.get(entry_id, LiveStatus.UNKNOWN)
    if checked.get(entry_id) is LiveStatus.RUNNING:
        return LiveStatus.RUNNING  # zag recorded the end, and its process verifiably runs on
    return _AS_STORED.get(status, LiveStatus.UNKNOWN)


class Stopping(msgspec.Struct, frozen=True):
    """A running agent on its way out: signalled by the user (``signal``, ``since`` then), or
    recorded ``killed``/``exited`` by zag while its process still verifiably runs (zag's
    ``ps kill`` records the kill before it signals: an agent that ignores SIGTERM stays)."""

    signal: str
    """``SIGTERM``, ``SIGKILL`` or ``SIGHUP`` for the user's own; zag's record (``killed``)
    when zag recorded the end."""
    since: float
    by_user: bool
    overdue: bool = False
    """Still running after the grace period: the user's next step is a force kill."""


class AgentState(msgspec.Struct, frozen=True):
    """All that decides how an agent is shown: its live status, whether it is being stopped,
    when the tray saw its process gone (for an end zag never recorded) and whether it ended
    by the user's own stop or kill (never a failure, never announced as one)."""

    status: LiveStatus
    stopping: Stopping | None = None
    gone_at: float | None = None
    ended_by: str | None = None
    """The signal of the user's own stop or kill that ended it (``SIGHUP``, ``SIGTERM``...)."""


PLAIN: Final = {status: AgentState(status) for status in LiveStatus}
"""The state of an agent with nothing more to it than its live status: shared, not made
anew for each of 100,000 rows."""


def as_state(state: AgentState | LiveStatus) -> AgentState:
    """A bare live status is the state of an agent nobody is stopping (the CLI's, mostly)."""
    return state if isinstance(state, AgentState) else PLAIN[state]
