"""How an agent is shown, written once: its title, how long it ran, what its outcome is
called and coloured. The CLI, the tray menu, the window, the tooltip and the
notifications all use these, so they never disagree.

Every value from the store is hostile and may be huge: it reaches the user only
through ``one_line`` (agents/text.py), which folds control characters and caps
the length before anything else looks at it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Finished, Observation
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.text import duration, one_line, short_path

GREEN: Final = "#2ea043"
RED: Final = "#d73a49"
GREY: Final = "#8a949e"
ORANGE: Final = "#f0883e"
NO_VALUE: Final = "—"


def title(entry: Entry) -> str:
    """ "codex · gpt-5": who the agent is."""
    return f"{one_line(entry.provider, 20)} · {one_line(entry.model, 30)}"


def runtime(entry: Entry, status: LiveStatus, now: float) -> float | None:
    """Seconds the agent ran: until ``now`` while it runs, frozen at the recorded end once
    it does not; None when it ended with no end recorded (it died, or zag's record is odd)
    or its start is not an RFC 3339 time (no time is worked out from such a text)."""
    started = entry.started
    if started is None:
        return None
    if status is LiveStatus.RUNNING:
        return max(0.0, now - started)
    ended = entry.ended
    return None if ended is None else max(0.0, ended - started)


def runtime_text(entry: Entry, status: LiveStatus, now: float) -> str:
    seconds = runtime(entry, status, now)
    return NO_VALUE if seconds is None else duration(seconds)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an agent's state is called in a column (``label``) and in a sentence
    (``phrase``), its colour, and whether it failed (the attention dot)."""

    label: str
    phrase: str
    colour: str
    failed: bool = False


def outcome(entry: Entry, status: LiveStatus) -> Outcome:
    """The outcome of ``entry`` at live status ``status``."""
    code = entry.exit_code
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
            return Outcome("killed", "was killed", RED)
        return Outcome(f"killed ({code})", f"was killed (exit {code})", RED)
    if status is LiveStatus.DEAD:
        return Outcome("dead", "died (no exit recorded)", RED, failed=True)
    if status is LiveStatus.UNVERIFIED:
        # A live process at its pid the tray cannot prove is the agent (procs/liveness.py):
        # neither running nor ended, and never signalled.
        return Outcome("cannot verify", "cannot be verified", ORANGE)
    return Outcome("unknown", "is in an unknown state", ORANGE)


def failed(finished: Finished) -> bool:
    """Did it die or fail (what turns the attention dot on)?"""
    return outcome(finished.entry, finished.status).failed


STOPPING: Final = Outcome("stopping…", "is stopping", ORANGE)
"""A running agent the user has just signalled, until it is gone."""


def sentence(entry: Entry, status: LiveStatus, now: float) -> str:
    """ "codex · gpt-5 finished (exit 0) after 4m12s — ~/proj"."""
    seconds = runtime(entry, status, now)
    after = "" if seconds is None else f" after {duration(seconds)}"
    return f"{title(entry)} {outcome(entry, status).phrase}{after}{where(entry)}"


def where(entry: Entry) -> str:
    """ " — ~/proj", or nothing without a root."""
    return f" — {one_line(short_path(entry.root), 60)}" if entry.root else ""


def menu_label(entry: Entry, now: float) -> str:
    """A running agent in the tray menu: who, what it was asked, for how long."""
    prompt = one_line(entry.prompt, 40) or "(no prompt)"
    return f"{title(entry)} — {prompt} — {runtime_text(entry, LiveStatus.RUNNING, now)}"


def finished_label(entry: Entry, status: LiveStatus, now: float) -> str:
    """A finished agent in the tray menu: who, how it ended, after how long."""
    return f"{title(entry)} — {state_line(entry, status, now)}"


def state_line(entry: Entry, status: LiveStatus, now: float) -> str:
    """ "running for 4m12s", "exited (3) after 4m12s", "dead": the state and how long."""
    seconds = runtime(entry, status, now)
    if seconds is None:
        return outcome(entry, status).label
    joint = "for" if status is LiveStatus.RUNNING else "after"
    return f"{outcome(entry, status).label} {joint} {duration(seconds)}"


def tooltip(observation: Observation | None, now: float) -> str:
    """The tray icon's tooltip: counts by provider (all and top-level) and the
    longest-running agent, or the error."""
    if observation is None:
        return "zag-tray: reading the store…"
    lines = []
    if observation.error:
        lines.append(f"zag-tray: store error: {one_line(observation.error, 160)}")
    running = observation.running
    if not running:
        lines.append("zag-tray: no agents running")
        return "\n".join(lines)
    top = observation.running_forest
    lines.append(
        f"zag-tray: {len(running)} agent{'s' if len(running) != 1 else ''} running ({len(top)} top-level)"
    )
    top_by = Counter(n.entry.provider for n in top)
    counted = by_provider(running)
    for provider, count in counted[:PROVIDERS_LISTED]:
        lines.append(f"{one_line(provider, 16)}: {count} ({top_by.get(provider, 0)} top-level)")
    if len(counted) > PROVIDERS_LISTED:
        lines.append(f"… and {len(counted) - PROVIDERS_LISTED} more providers")
    oldest = min(running, key=lambda e: e.sort_key)  # an unknown start counts as the oldest
    lines.append(
        f"longest: {title(oldest)}, "
        f"{runtime_text(oldest, LiveStatus.RUNNING, now)} — {one_line(oldest.prompt, 50) or '(no prompt)'}"
    )
    return "\n".join(lines)


def running_summary(observation: Observation) -> str:
    """ "4 agents running (2 claude, 1 codex, 1 ollama)": the menu's header."""
    running = observation.running
    counted = by_provider(running)
    listed = [f"{n} {one_line(p, 16)}" for p, n in counted[:PROVIDERS_LISTED]]
    if len(counted) > PROVIDERS_LISTED:
        listed.append(f"{len(counted) - PROVIDERS_LISTED} more providers")
    noun = "agent" if len(running) == 1 else "agents"
    return f"{len(running)} {noun} running" + (f" ({', '.join(listed)})" if listed else "")


PROVIDERS_LISTED: Final = 5
"""Providers named in the tooltip and the menu's header; the rest are counted."""


def by_provider(entries: Iterable[Entry]) -> list[tuple[str, int]]:
    """(provider, agents) pairs, the most agents first, then by name."""
    return sorted(Counter(e.provider for e in entries).items(), key=lambda item: (-item[1], item[0]))
