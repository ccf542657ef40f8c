"""What to tell the user when agents stop: one notice per change, coalesced.

An agent is *finished* between two observations when it was running in the
first and is not in the second: zag recorded an exit (``exited``), a kill
(``killed``), or nothing at all while its process is gone (``dead``). The
first observation after start-up has nothing before it, so the state found at
start-up is never announced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zag_tray.core.liveness import LiveStatus
from zag_tray.core.monitor import Observation
from zag_tray.core.store import Entry
from zag_tray.core.text import duration, one_line, short_path


@dataclass(frozen=True, slots=True)
class Finished:
    """An agent that stopped running, and how."""

    entry: Entry
    status: LiveStatus

    @property
    def failed(self) -> bool:
        """Died, or ended with a non-zero exit code (what turns the attention dot on)."""
        if self.status is LiveStatus.DEAD:
            return True
        return self.status is LiveStatus.EXITED and self.entry.exit_code not in (0, None)


@dataclass(frozen=True, slots=True)
class Notice:
    """One desktop notification; ``entry_id`` is the agent a click should show, if only one."""

    title: str
    text: str
    entry_id: str | None


def finished_between(before: Observation | None, after: Observation) -> list[Finished]:
    """Agents running in ``before`` and not in ``after`` (none when there is no ``before``)."""
    if before is None:
        return []
    still = {e.id for e in after.running}
    gone = [e.id for e in before.running if e.id not in still]
    if not gone:
        return []
    wanted = set(gone)
    latest = {e.id: e for e in after.snapshot.entries if e.id in wanted}
    finished = []
    for entry_id in gone:
        entry = latest.get(entry_id)
        if entry is None:
            continue  # no longer stored at all: nothing to say about it
        status = after.statuses.get(entry_id, LiveStatus.UNKNOWN)
        if status in (LiveStatus.EXITED, LiveStatus.KILLED, LiveStatus.DEAD):
            finished.append(Finished(entry, status))
    return finished


def notice_for(finished: Sequence[Finished], now: float) -> Notice | None:
    """One notice for everything that finished at once (None for nothing)."""
    if not finished:
        return None
    if len(finished) == 1:
        one = finished[0]
        return Notice(_title(one), _sentence(one, now), one.entry.id)
    failed = sum(f.failed for f in finished)
    text = f"{len(finished)} agents finished" + (f", {failed} failed or died" if failed else "")
    return Notice("zag-tray", text, None)


def _title(finished: Finished) -> str:
    return "Agent failed" if finished.failed else "Agent finished"


def _sentence(finished: Finished, now: float) -> str:
    """ "codex · gpt-5 finished (exit 0) after 4m12s — ~/proj"."""
    entry = finished.entry
    who = f"{one_line(entry.provider, 20)} · {one_line(entry.model, 30)}"
    if finished.status is LiveStatus.DEAD:
        what = "died (no exit recorded)"
    elif finished.status is LiveStatus.KILLED:
        what = "was killed" if entry.exit_code is None else f"was killed (exit {entry.exit_code})"
    elif entry.exit_code is None:
        what = "finished"
    elif entry.exit_code == 0:
        what = "finished (exit 0)"
    else:
        what = f"failed (exit {entry.exit_code})"
    ended = entry.ended if finished.status is not LiveStatus.DEAD and entry.ended else now
    where = f" — {one_line(short_path(entry.root), 60)}" if entry.root else ""
    return f"{who} {what} after {duration(max(0.0, ended - entry.started))}{where}"
