"""What the window's tree shows: which agents (running only or all, filtered, sorted), and
why it is empty when it is. Worked out from an observation and the window's choices."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from PySide6.QtCore import Qt

from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Observation
from zag_tray.agents.tree import Node, build_forest, prune_forest, sorted_forest
from zag_tray.ui.columns import Column, sort_value

Matcher = Callable[[Entry], bool]
ZAGS_ORDER = (Column.STARTED, Qt.SortOrder.DescendingOrder)
"""Newest first: the order the forest is built in, no sorting needed."""


@dataclass(frozen=True, slots=True)
class Choices:
    """What the user chose to see."""

    running_only: bool
    matcher: Matcher | None
    sort: tuple[int, Qt.SortOrder]

    @property
    def whole_store(self) -> bool:
        """Every entry, in zag's order: the rows follow store changes through the model's plan."""
        return not self.running_only and self.matcher is None and self.sort == ZAGS_ORDER


def forest(observation: Observation, choices: Choices, lingering: Collection[Entry]) -> list[Node]:
    """The tree to show: running-only (the observation's own forest, with agents that just
    stopped a moment longer) or all, filtered, sorted.

    The "All" view is built here, when the user asks for it (a filter, another order);
    while it shows zag's order, store changes reach it through the model's plan instead.
    """
    if not choices.running_only:
        roots = build_forest(observation.snapshot.entries)
    elif lingering:
        roots = build_forest(observation.running + tuple(lingering), observation.facts.lineage)
    else:
        roots = list(observation.running_forest)
    if choices.matcher is not None:
        roots = prune_forest(roots, choices.matcher)
    if choices.sort != ZAGS_ORDER:
        column, order, now = Column(choices.sort[0]), choices.sort[1], time.time()
        state_of = observation.state_of

        def key(node: Node) -> object:
            entry = node.entry
            return sort_value(entry, state_of(entry), column, now, observation.activity_of(entry))

        roots = sorted_forest(roots, key, reverse=order == Qt.SortOrder.DescendingOrder)
    return roots


def activity_only(observation: Observation, before: Observation) -> bool:
    """Does ``observation`` bring nothing new since ``before`` but what the agents are doing?
    What ``Monitor.observe_activity`` makes when a log grew: the very same snapshot, processes,
    running agents and ends, nothing finished, no new error."""
    return (
        observation.facts is before.facts
        and observation.checked is before.checked
        and observation.running is before.running
        and observation.ends is before.ends
        and observation.error == before.error
        and not observation.finished
    )


def why_empty(observation: Observation, choices: Choices) -> str:
    """Why no agent shows, in a line that says what to do about it."""
    if observation.error and not observation.snapshot.entries:
        return "The store could not be read (see the status bar)."
    if not observation.snapshot.entries:
        return "No agents yet: zag has not run any here."
    if choices.matcher is not None:
        if choices.running_only:
            finished = sum(1 for e in observation.snapshot.entries if choices.matcher(e))
            if finished:
                noun = "agent matches" if finished == 1 else "agents match"
                return f"{finished} finished {noun}: untick “Running only” to see them."
        return "No agent matches the filter."
    if choices.running_only:
        return "No agents running. Untick “Running only” to see the finished ones."
    return ""


def newer(observation: Observation, before: Observation | None, ids: Collection[str]) -> Iterator[Entry]:
    """The entries of ``ids`` that ``observation`` stores anew: from the reload's change, or,
    after a full read (rare), from the snapshot (only while an agent lingers, 2 s)."""
    if before is not None and observation.snapshot is before.snapshot:
        return iter(())
    added = observation.change.added if observation.change is not None else observation.snapshot.entries
    return (e for e in added if e.id in ids)
