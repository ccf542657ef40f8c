"""What to tell the user when agents stop, or start waiting for the user: one notice per
observation, coalesced.

An agent is *finished* between two observations when it was running in the
first and is not in the second (agents/observation.py works that out): zag
recorded an exit (``exited``), a kill (``killed``), or nothing at all while its
process is gone (``dead``). What the user's own stop or kill ended is said as
such ("was killed", "4 agents killed"), never as a failure or a death.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from zag_tray.agents.activity import Activity
from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Finished
from zag_tray.agents.present import activity_sentence, failed, sentence, title
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.text import SHORT_FIELD, one_line


@dataclass(frozen=True, slots=True)
class Notice:
    """One desktop notification; ``entry_id`` is the agent a click should show, if only one;
    ``urgent`` when an agent failed or died (the server shows it above the others)."""

    title: str
    text: str
    entry_id: str | None
    urgent: bool = False


HEADINGS = {"failed": "Agent failed", "killed": "Agent killed", "stopped": "Agent stopped"}
KINDS = ("finished", "killed", "stopped", "failed")
"""How an end is counted, in the order a mixed batch names them."""


def kind_of(finished: Finished) -> str:
    """finished, killed (by anyone: the user, or zag's ``ps kill``), stopped (the user's
    SIGHUP), or failed (a non-zero exit or a death)."""
    if failed(finished):
        return "failed"
    if finished.state.ended_by == "SIGHUP":
        return "stopped"
    if finished.state.ended_by is not None or finished.status is LiveStatus.KILLED:
        return "killed"
    return "finished"


def notice_for(finished: Sequence[Finished], now: float) -> Notice | None:
    """One notice for everything that finished at once (None for nothing)."""
    if not finished:
        return None
    if len(finished) == 1:
        one = finished[0]
        kind = kind_of(one)
        heading = HEADINGS.get(kind, "Agent finished")
        return Notice(heading, sentence(one.entry, one.state, now), one.entry.id, kind == "failed")
    kinds = Counter(map(kind_of, finished))
    words = {"failed": "failed or died"}
    if len(kinds) == 1:
        (kind,) = kinds
        text = f"{len(finished)} agents {words.get(kind, kind)}"
    else:
        parts = [f"{kinds[k]} {words.get(k, k)}" for k in KINDS if kinds[k]]
        text = f"{len(finished)} agents ended: " + ", ".join(parts)
    return Notice("zag-tray", text, None, kinds["failed"] > 0)


WAITING_LISTED = 3
"""Agents named in a notice about several waiting; the rest are counted."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """An agent that began waiting for the user, with its activity; ``host``: the other
    machine it runs on (an ssh alias or a zag serve URL, raw), None on this one."""

    entry: Entry
    activity: Activity
    host: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        """Who it is: ids are unique in one store, not across machines."""
        return self.host, self.entry.id

    @property
    def there(self) -> str:
        """ " on devbox" for an agent elsewhere (the host escaped and cut), "" for one here."""
        return "" if self.host is None else f" on {one_line(self.host, SHORT_FIELD)}"


def waiting_notice(waiting: Sequence[Waiting], now: float) -> Notice | None:
    """One notice for the agents that began waiting for the user (None for none): "claude ·
    opus: waiting for you since 14:03 — ~/proj", its title naming the host of a remote one;
    a click shows that agent (several, or one on another machine: the window)."""
    if not waiting:
        return None
    if len(waiting) == 1:
        (one,) = waiting
        text = activity_sentence(one.entry, one.activity, now)
        return Notice(f"Agent waiting for you{one.there}", text, one.entry.id if one.host is None else None)
    names = [title(each.entry) + each.there for each in waiting[:WAITING_LISTED]]
    if len(waiting) > WAITING_LISTED:
        names.append(f"{len(waiting) - WAITING_LISTED} more")
    return Notice(
        "Agents waiting for you", f"{len(waiting)} agents waiting for you: {', '.join(names)}", None
    )
