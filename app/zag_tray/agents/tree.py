"""The agent forest: entries grouped under their parent entry.

An entry's tree parent is the entry whose id equals its ``parent_process_id``
when that entry is in the given set, else the entry holding its
``parent_session_id`` as its session (``zag spawn`` records a child's parent
both ways, and an orchestrator's entry may be gone: ZAG_SESSIONS.md 5.4);
otherwise it is a root. Given the whole store (:class:`Lineage`), an entry whose
parent is not in the set goes under its nearest ancestor that is, through
finished or dead ones: a worker of a dead orchestrator's running worker stays
under the running one. With duplicate ids (or sessions) the last one in the file
is the parent (zag's ``add`` appends). A cycle (self-parents included) is cut at
its oldest member, which becomes a root, so the result does not depend on the
order of the input. Everything here is iterative: a 10,000-deep chain needs no
recursion. Newest first at every level.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from itertools import compress, count, islice, repeat
from operator import attrgetter, eq, ge, is_not, not_, or_
from typing import Any

from zag_tray.agents.entry import Entry


class Node:
    """One entry in the forest."""

    __slots__ = ("children", "entry", "mark", "parent")

    def __init__(self, entry: Entry) -> None:
        self.entry = entry
        self.parent: Node | None = None
        self.children: list[Node] = []
        self.mark = 0  # used while cutting cycles


# Entry fields read in C, not in a Python loop.
_ID, _STARTED = attrgetter("id"), attrgetter("started")


class Lineage:
    """Who is whose parent across the whole store, and the newest entry of a session.

    Only the ancestors asked for are looked up, a generation per pass over the store (a
    set lookup per entry, no index of the whole store: an index of 100,000 ids and
    sessions cost the tray 20 MB, made anew at every store change). Most stores never
    need it: a running agent's parent is usually running too.
    """

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = entries
        self._by_id: dict[str, Entry] = {}
        self._by_session: dict[str, Entry] = {}
        self._looked_for: set[str] = set()  # ids and sessions already searched for

    def parent(self, entry: Entry) -> Entry | None:
        """The entry ``entry``'s parent links name: by id first, then by session."""
        self.learn_ancestors([entry])
        return self._known_parent(entry)

    def _known_parent(self, entry: Entry) -> Entry | None:
        found = None if entry.parent_process_id is None else self._by_id.get(entry.parent_process_id)
        if found is None and entry.parent_session_id is not None:
            found = self._by_session.get(entry.parent_session_id)
        return None if found is entry else found

    def learn_ancestors(self, entries: Iterable[Entry]) -> None:
        """Find every ancestor of ``entries`` not known yet: one pass over the store for each
        generation (the last entry of a repeated id or session wins, as zag appends)."""
        wanted = self._wanted(entries)
        for _ in range(_ANCESTORS_WALKED):
            if not wanted:
                return
            self._looked_for |= wanted
            found = []
            for candidate in self._entries:
                if candidate.id in wanted:
                    self._by_id[candidate.id] = candidate
                    found.append(candidate)
                session = candidate.session_id
                if session is not None and session in wanted:
                    self._by_session[session] = candidate
                    found.append(candidate)
            wanted = self._wanted(found)

    def _wanted(self, entries: Iterable[Entry]) -> set[str]:
        links = {
            link for e in entries for link in (e.parent_process_id, e.parent_session_id) if link is not None
        }
        return links - self._looked_for

    def newest_in_sessions(self, sessions: Set[str]) -> dict[str, Entry]:
        """The newest entry of each of ``sessions`` (by start, as zag orders them)."""
        newest: dict[str, Entry] = {}
        for entry in self._entries:
            session = entry.session_id
            if session in sessions and (session not in newest or entry.sort_key > newest[session].sort_key):
                newest[session] = entry  # type: ignore[index]
        return newest


_ANCESTORS_WALKED = 10_000
"""How far up the store a parent is looked for (a chain that long is a cycle, or absurd)."""


def build_forest(entries: Iterable[Entry], lineage: Lineage | None = None) -> list[Node]:
    """Root nodes, newest first; each node's children newest first (see the module's rule)."""
    return _build(list(entries), lineage)


def _build(entries: list[Entry], lineage: Lineage | None) -> list[Node]:
    nodes = list(map(Node, entries))
    by_id = dict(zip(map(_ID, entries), nodes, strict=True))  # file order: the last duplicate wins
    by_session: dict[str, Node] | None = None
    orphans: list[tuple[Node, Entry]] = []  # a parent link to an entry not shown
    for node, entry in zip(nodes, entries, strict=True):
        parent_id, parent_session = entry.parent_process_id, entry.parent_session_id
        if parent_id is None and parent_session is None:
            continue
        parent = None if parent_id is None else by_id.get(parent_id)
        if parent is None and parent_session is not None:
            if by_session is None:
                by_session = {n.entry.session_id: n for n in nodes if n.entry.session_id is not None}
            parent = by_session.get(parent_session)
        if parent is None:
            orphans.append((node, entry))
        elif parent is not node:
            node.parent = parent
    if lineage is not None and orphans:
        lineage.learn_ancestors(entry for _, entry in orphans)  # all at once: a pass a generation
        for node, entry in orphans:
            parent = _nearest_shown(entry, lineage, by_id)
            if parent is not None and parent is not node:
                node.parent = parent
    _break_cycles(nodes)
    # Visit the nodes newest first once, so every list fills in order and none needs a sort.
    roots: list[Node] = []
    for node in _newest_first(nodes, entries):
        if node.parent is None:
            roots.append(node)
        else:
            node.parent.children.append(node)
    return roots


def forest_links(
    ids: Sequence[str],
    parent_ids: Sequence[str | None],
    parent_sessions: Sequence[str | None],
    sessions: Sequence[str | None],
    starts: Sequence[float | None],
) -> tuple[list[int | None], list[int]]:
    """:func:`build_forest` (without a Lineage) of entries given as columns, position by
    position: the position of each one's parent (None for a root) and every position newest
    first. For a reader with the columns alone (the CLI's ``list --all`` of 100,000 entries),
    which then needs no entry and no node: what looks at every position runs in C, Python
    looks only at those with a parent link. A property test holds it to :func:`build_forest`."""
    size = len(ids)
    by_id: dict[str | None, int] = dict(zip(ids, range(size), strict=True))  # the last duplicate wins
    parents: list[int | None] = list(map(by_id.get, parent_ids))  # a link of None finds no id
    has_session = list(map(is_not, parent_sessions, repeat(None)))
    linked = list(compress(count(), map(or_, map(is_not, parent_ids, repeat(None)), has_session)))
    if any(has_session):
        by_session = dict(zip(sessions, range(size), strict=True))
        for position in linked:
            if parents[position] is None and parent_sessions[position] is not None:
                parents[position] = by_session.get(parent_sessions[position])
    for position in linked:
        if parents[position] == position:
            parents[position] = None  # its own parent: a root
    started = [-math.inf if moment is None else moment for moment in starts] if None in starts else starts
    key: Callable[[int], Any] = started.__getitem__
    order = sorted(range(size), key=key, reverse=True)
    in_order = list(map(key, order))
    if any(map(eq, in_order, islice(in_order, 1, None))):  # two starts the same: the ids decide
        key = lambda position: (started[position], ids[position])  # noqa: E731
        order = sorted(range(size), key=key, reverse=True)
    _cut_cycles(parents, key)
    return parents, order


def forest_children(
    parents: Sequence[int | None], order: Sequence[int]
) -> tuple[list[int], dict[int, list[int]]]:
    """:func:`forest_links`' forest as :func:`build_forest` gives it: the roots' positions and
    each parent's children's (the others have none), newest first."""
    below = list(map(is_not, map(parents.__getitem__, order), repeat(None)))  # in C: most are roots
    children: dict[int, list[int]] = {}
    for position in compress(order, below):
        children.setdefault(parents[position], []).append(position)  # type: ignore[arg-type]
    return list(compress(order, map(not_, below))), children


def walk_links(parents: Sequence[int | None], order: Sequence[int]) -> list[tuple[int, int]]:
    """:func:`walk` of :func:`forest_links`' forest: (depth, position), depth first, each
    level newest first."""
    roots, children = forest_children(parents, order)
    walked: list[tuple[int, int]] = []
    stack = [(0, position) for position in reversed(roots)]
    while stack:
        depth, position = stack.pop()
        walked.append((depth, position))
        below = children.get(position)
        if below:
            stack.extend((depth + 1, child) for child in reversed(below))
    return walked


def _cut_cycles(parents: list[int | None], key: Callable[[int], Any]) -> None:
    """:func:`_break_cycles` by position: each cycle cut at its oldest member (by ``key``, then
    the first in the file).
    Following parents around a cycle cannot step to an older entry every time, so a cycle
    holds a child whose parent is not older than it: the walks start at those alone (zag
    registers a parent before its workers: there are few)."""
    children = list(compress(count(), map(is_not, parents, repeat(None))))
    parent_keys = map(key, map(parents.__getitem__, children))  # type: ignore[arg-type]
    starts = list(compress(children, map(ge, parent_keys, map(key, children))))
    marks = bytearray(len(parents))
    for start in starts:
        if marks[start]:
            continue
        path: list[int] = []
        position: int | None = start
        while position is not None and marks[position] == _UNSEEN:
            marks[position] = _ON_PATH
            path.append(position)
            position = parents[position]
        if position is not None and marks[position] == _ON_PATH:
            parents[min(path[path.index(position) :], key=lambda at: (key(at), at))] = None
        for visited in path:
            marks[visited] = _DONE


def _nearest_shown(entry: Entry, lineage: Lineage, shown: dict[str, Node]) -> Node | None:
    """The nearest ancestor of ``entry`` in the store that is shown, through those that are not."""
    seen = {entry.id}
    ancestor = lineage.parent(entry)
    for _ in range(_ANCESTORS_WALKED):
        if ancestor is None or ancestor.id in seen:
            return None
        node = shown.get(ancestor.id)
        if node is not None:
            return node
        seen.add(ancestor.id)
        ancestor = lineage.parent(ancestor)
    return None


def _newest_first(nodes: list[Node], entries: list[Entry]) -> list[Node]:
    """Nodes by started_at descending, ties by id descending (zag's order, reversed); a
    start that is not RFC 3339 as the oldest (``Entry.sort_key``)."""
    started = list(map(_STARTED, entries))
    if None in started:
        started = [-math.inf if moment is None else moment for moment in started]
    if len(set(started)) == len(started):  # the usual case (zag records nanoseconds): a sort in C
        order = sorted(range(len(nodes)), key=started.__getitem__, reverse=True)
        return [nodes[i] for i in order]
    return sorted(nodes, key=_sort_key, reverse=True)


def _sort_key(node: Node) -> tuple[float, str]:
    return node.entry.sort_key


_UNSEEN, _ON_PATH, _DONE = 0, 1, 2


def _break_cycles(nodes: list[Node]) -> None:
    """Each cycle cut at its oldest member (``Entry.sort_key``); of namesakes started at the
    same moment, the first in the file, wherever the walk came in (as :func:`_cut_cycles`)."""
    positions: dict[int, int] | None = None
    for start in nodes:
        if start.mark or start.parent is None:
            continue
        path: list[Node] = []
        node: Node | None = start
        while node is not None and node.mark == _UNSEEN:
            node.mark = _ON_PATH
            path.append(node)
            node = node.parent
        if node is not None and node.mark == _ON_PATH:
            cycle = path[path.index(node) :]
            if positions is None:
                positions = {id(each): at for at, each in enumerate(nodes)}
            at = positions
            min(cycle, key=lambda member: (member.entry.sort_key, at[id(member)])).parent = None
        for visited in path:
            visited.mark = _DONE


def prune_forest(roots: list[Node], keep: Callable[[Entry], bool]) -> list[Node]:
    """A copy of the forest holding the kept entries and their ancestors (so a match keeps its
    place in the tree), in the same order."""
    parents_first: list[Node] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        parents_first.append(node)
        stack.extend(node.children)
    copies: dict[int, Node] = {}  # id(node) -> its copy, for the nodes that stay
    for node in reversed(parents_first):  # children before their parents
        kept = [copies[id(child)] for child in node.children if id(child) in copies]
        if kept or keep(node.entry):
            copy = Node(node.entry)
            copy.children = kept
            for child in kept:
                child.parent = copy
            copies[id(node)] = copy
    return [copies[id(root)] for root in roots if id(root) in copies]


def entry_matcher(text: str, provider: str = "") -> Callable[[Entry], bool] | None:
    """What the window's filter keeps: ``provider`` exactly (if given) and ``text`` anywhere in
    what the window's columns show of an agent (its id, "provider · model", status, pid,
    command, root, prompt), ignoring case. None: no filter at all."""
    needle = text.casefold().strip()
    if not needle and not provider:
        return None

    def matches(entry: Entry) -> bool:
        if provider and entry.provider != provider:
            return False
        if not needle:
            return True
        fields = (
            entry.id,
            f"{entry.provider} · {entry.model}",
            entry.status,
            str(entry.pid),
            entry.command,
            entry.prompt,
            entry.root,
        )
        return needle in "\n".join(x for x in fields if x).casefold()

    return matches


def sorted_forest(roots: list[Node], key: Callable[[Node], Any], *, reverse: bool = False) -> list[Node]:
    """A copy of the forest sorted at every level (children stay under their parent); the
    forest given is left as it is: an observation's forest is shared by every view."""
    copied = prune_forest(roots, _everything)
    levels = [copied]
    while levels:
        level = levels.pop()
        level.sort(key=key, reverse=reverse)
        levels.extend(node.children for node in level if node.children)
    return copied


def _everything(_: Entry) -> bool:
    return True


def walk(roots: Iterable[Node]) -> Iterator[tuple[int, Node]]:
    """Depth-first, pre-order: (depth, node), children in their stored order."""
    stack = [(0, node) for node in reversed(list(roots))]
    while stack:
        depth, node = stack.pop()
        yield depth, node
        stack.extend((depth + 1, child) for child in reversed(node.children))


def descendants_deepest_first(node: Node) -> list[Node]:
    """Every descendant of ``node`` (not ``node``), deepest level first."""
    levels: list[list[Node]] = []
    level = node.children
    while level:
        levels.append(level)
        level = [child for parent in level for child in parent.children]
    return [n for lvl in reversed(levels) for n in lvl]


def find_node(roots: Iterable[Node], entry_id: str) -> Node | None:
    """The node of ``entry_id`` (the last one, as with duplicate ids), or None."""
    found = None
    for _, node in walk(roots):
        if node.entry.id == entry_id:
            found = node
    return found
