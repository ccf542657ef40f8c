"""The live status of an entry, and what the stored status alone decides."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

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
    what a look at its process found (``checked``, by id: procs/liveness.py)."""
    status = entry.status
    if status == "running":
        return checked.get(entry.id, LiveStatus.UNKNOWN)
    return _AS_STORED.get(status, LiveStatus.UNKNOWN)
