"""The tray's glance, written once: its tooltip, the menu's header lines (who runs, who needs
the user, what failed unseen), the app's name. The words for each agent are
agents/present.py's."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final

from zag_tray.agents.activity import ActivityState
from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Finished, Observation
from zag_tray.agents.present import outcome, since, title, where
from zag_tray.agents.text import one_line


def attention_line(unseen: Sequence[Finished]) -> str:
    """Why the icon has its dot: "1 failed since you looked: codex · gpt-5 failed (exit 3)"."""
    if not unseen:
        return ""
    if len(unseen) == 1:
        one = unseen[0]
        return f"1 failed since you looked: {title(one.entry)} {outcome(one.entry, one.state).phrase}"
    return f"{len(unseen)} failed or died since you looked"


def app_name(store_label: str = "") -> str:
    """ "zag-tray", or "zag-tray (~/work/.zag)" for a tray on another store than zag's own:
    two trays on two stores can be told apart (tooltip, window title)."""
    return f"zag-tray ({one_line(store_label, 60)})" if store_label else "zag-tray"


def tooltip(observation: Observation | None, now: float, attention: str = "", name: str = "zag-tray") -> str:
    """The tray icon's tooltip: who needs the user, counts by provider (all and top-level)
    and the longest-running agent, or the error; why the icon has its dot, if it has one."""
    if observation is None:
        return f"{name}: reading the store…"
    lines = []
    if observation.error:
        lines.append(f"{name}: store error: {one_line(observation.error, 160)}")
    running = observation.running
    if not running:
        lines.append(f"{name}: no agents running")
        if attention:
            lines.append(attention)
        return "\n".join(lines)
    top = observation.running_forest
    lines.append(
        f"{name}: {len(running)} agent{'s' if len(running) != 1 else ''} running ({len(top)} top-level)"
    )
    lines += filter(None, [needs_you_line(observation)])
    if attention:
        lines.append(attention)
    top_by = Counter(n.entry.provider for n in top)
    counted = by_provider(running)
    for provider, count in counted[:PROVIDERS_LISTED]:
        lines.append(f"{one_line(provider, 16)}: {count} ({top_by.get(provider, 0)} top-level)")
    if len(counted) > PROVIDERS_LISTED:
        lines.append(f"… and {len(counted) - PROVIDERS_LISTED} more providers")
    oldest = min(running, key=lambda e: e.sort_key)  # an unknown start counts as the oldest
    # A start, not a ticking elapsed time: a tooltip that changed every second made a
    # StatusNotifierItem send NewToolTip over D-Bus every second, for ever.
    lines.append(
        f"longest: {title(oldest)}, {since(oldest)} — {one_line(oldest.prompt, 50) or '(no prompt)'}"
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


def running_states(observation: Observation) -> list[list[str]]:
    """[title, state label] of each running agent, newest first: what the menu shows."""
    return [
        [title(e), outcome(e, observation.state_of(e)).label]
        for e in sorted(observation.running, key=lambda e: e.sort_key, reverse=True)
    ]


def needs_you_line(observation: Observation, listed: int = 3) -> str:
    """ "2 waiting for you: claude · opus — ~/proj, codex · gpt-5 — ~/x" (the tooltip): the
    agents that may need the user; "may be waiting" when one is only a tool pending 30 s
    (running, or asking for approval: the log cannot tell). "" when none does."""
    found = observation.needs_you()
    if not found:
        return ""
    at = observation.observed_at
    sure = all(observation.activity[e.id].state_at(at) is ActivityState.WAITING for e in found)
    names = [f"{title(e)}{where(e)}" for e in found[:listed]]
    if len(found) > listed:
        names.append(f"and {len(found) - listed} more")
    verb = "waiting for you" if sure else "may be waiting for you"
    return f"{len(found)} {verb}: {', '.join(names)}"
