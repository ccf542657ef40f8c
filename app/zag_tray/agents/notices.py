"""What to tell the user when agents stop: one notice per observation, coalesced.

An agent is *finished* between two observations when it was running in the
first and is not in the second (agents/observation.py works that out): zag
recorded an exit (``exited``), a kill (``killed``), or nothing at all while its
process is gone (``dead``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zag_tray.agents.observation import Finished
from zag_tray.agents.present import failed, sentence


@dataclass(frozen=True, slots=True)
class Notice:
    """One desktop notification; ``entry_id`` is the agent a click should show, if only one;
    ``urgent`` when an agent failed or died (the server shows it above the others)."""

    title: str
    text: str
    entry_id: str | None
    urgent: bool = False


def notice_for(finished: Sequence[Finished], now: float) -> Notice | None:
    """One notice for everything that finished at once (None for nothing)."""
    if not finished:
        return None
    if len(finished) == 1:
        one = finished[0]
        bad = failed(one)
        heading = "Agent failed" if bad else "Agent finished"
        return Notice(heading, sentence(one.entry, one.status, now), one.entry.id, bad)
    failures = sum(map(failed, finished))
    text = f"{len(finished)} agents finished" + (f", {failures} failed or died" if failures else "")
    return Notice("zag-tray", text, None, failures > 0)
