"""The forest: every entry once, no node its own ancestor, newest first, deep chains."""

from __future__ import annotations

import random

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import entry
from zag_tray.agents.entry import Entry
from zag_tray.agents.tree import (
    Node,
    build_forest,
    descendants_deepest_first,
    find_node,
    forest_links,
    walk,
    walk_links,
)

IDS = [f"id-{n}" for n in range(8)]

entries_strategy = st.lists(
    st.builds(entry, st.sampled_from(IDS), st.none() | st.sampled_from([*IDS, "absent"]), st.integers(0, 5)),
    max_size=30,
)


def _shape(roots: list[Node]) -> list[tuple[int, str]]:
    return [(depth, n.entry.id) for depth, n in walk(roots)]


@given(entries_strategy)
def test_every_entry_appears_exactly_once(entries: list[Entry]) -> None:
    seen = [node.entry for _, node in walk(build_forest(entries))]
    assert sorted(map(id, seen)) == sorted(map(id, entries))


@given(entries_strategy)
def test_no_node_is_its_own_ancestor(entries: list[Entry]) -> None:
    for _, node in walk(build_forest(entries)):
        ancestor, steps = node.parent, 0
        while ancestor is not None:
            assert ancestor is not node
            ancestor, steps = ancestor.parent, steps + 1
            assert steps <= len(entries)


@given(entries_strategy)
def test_children_are_under_their_stored_parent_when_it_is_shown(entries: list[Entry]) -> None:
    last_by_id = {e.id: e for e in entries}
    for _, node in walk(build_forest(entries)):
        if node.parent is not None:
            assert node.entry.parent_process_id == node.parent.entry.id
            assert last_by_id[node.parent.entry.id] is node.parent.entry


@given(entries_strategy)
def test_newest_first_at_every_level(entries: list[Entry]) -> None:
    roots = build_forest(entries)
    for level in [roots, *(n.children for _, n in walk(roots))]:
        keys = [n.entry.sort_key for n in level]
        assert keys == sorted(keys, reverse=True)


@given(entries_strategy, st.randoms())
def test_forest_does_not_depend_on_input_order_for_unique_ids(
    entries: list[Entry], rnd: random.Random
) -> None:
    unique = list({e.id: e for e in entries}.values())
    shuffled = unique[:]
    rnd.shuffle(shuffled)
    assert _shape(build_forest(unique)) == _shape(build_forest(shuffled))


def test_cycle_is_cut_at_its_oldest_member() -> None:
    a, b, c = entry("a", "c", 1), entry("b", "a", 2), entry("c", "b", 3)
    (root,) = build_forest([a, b, c])
    assert root.entry.id == "a"
    assert [(d, n.entry.id) for d, n in walk([root])] == [(0, "a"), (1, "b"), (2, "c")]


def test_self_parent_is_a_root() -> None:
    assert [n.entry.id for n in build_forest([entry("a", "a", 1)])] == ["a"]


def test_orphan_whose_parent_is_not_shown_is_a_root() -> None:
    roots = build_forest([entry("child", "gone", 2), entry("other", None, 1)])
    assert [n.entry.id for n in roots] == ["child", "other"]


def test_ten_thousand_deep_chain_needs_no_recursion() -> None:
    chain = [entry("n0", None, 0)] + [entry(f"n{i}", f"n{i - 1}", 0) for i in range(1, 10_000)]
    roots = build_forest(reversed(chain))
    depths = [d for d, _ in walk(roots)]
    assert depths == list(range(10_000))
    deepest = descendants_deepest_first(roots[0])
    assert deepest[0].entry.id == "n9999" and len(deepest) == 9_999


def test_descendants_come_deepest_first() -> None:
    entries = [
        entry("root", None, 0),
        entry("a", "root", 1),
        entry("b", "root", 2),
        entry("a1", "a", 3),
        entry("a1x", "a1", 4),
    ]
    node = find_node(build_forest(entries), "root")
    assert node is not None
    assert [n.entry.id for n in descendants_deepest_first(node)] == ["a1x", "a1", "b", "a"]


# --- the forest by position, from columns (the CLI's list --all) ---------------------------


def _linked(
    entry_id: str,
    parent: str | None,
    minute: int,
    session: str | None,
    parent_session: str | None,
    second: int,
) -> Entry:
    """An entry with both parent links; second -1: a start that is not RFC 3339 (the oldest)."""
    made = entry(entry_id, parent, minute, second=max(second, 0))
    made = msgspec.structs.replace(made, session_id=session, parent_session_id=parent_session)
    return made if second >= 0 else msgspec.structs.replace(made, started_at="soon", started=None)


linked_entries = st.lists(
    st.builds(
        _linked,
        st.sampled_from(IDS),
        st.none() | st.sampled_from([*IDS, "absent"]),
        st.integers(0, 3),
        st.none() | st.sampled_from(["s1", "s2", "id-1"]),
        st.none() | st.sampled_from(["s1", "s2", "s3", "id-2"]),
        st.integers(-1, 1),
    ),
    max_size=25,
)


@given(linked_entries)
def test_forest_links_are_build_forest_by_position(entries: list[Entry]) -> None:
    """Duplicate ids and sessions, parents by session, self-parents, cycles, ties of start:
    the forest built from columns is the forest of nodes, position by position."""
    _assert_links_are_the_forest(entries)


def test_a_cycle_of_namesakes_started_together_is_cut_at_the_same_one_either_way() -> None:
    """Two entries of one id, started the same second, in one cycle: the oldest is a tie,
    which the first in the file breaks, wherever a walk came into the cycle."""
    entries = [
        _linked("zz", None, 0, None, None, 0),
        _linked("aa", "BB", 2, None, None, 0),  # its parent: the last BB
        _linked("BB", "aa", 2, "s", None, 0),
        _linked("BB", None, 2, None, "s", 0),  # its parent: the BB of session s
    ]
    _assert_links_are_the_forest(entries)
    assert [root.entry for root in build_forest(entries)] == [entries[2], entries[0]]


def _assert_links_are_the_forest(entries: list[Entry]) -> None:
    parents, order = forest_links(
        [e.id for e in entries],
        [e.parent_process_id for e in entries],
        [e.parent_session_id for e in entries],
        [e.session_id for e in entries],
        [e.started for e in entries],
    )
    position = {id(e): i for i, e in enumerate(entries)}
    expected = [(depth, position[id(node.entry)]) for depth, node in walk(build_forest(entries))]
    assert walk_links(parents, order) == expected
    for _, node in walk(build_forest(entries)):
        parent = None if node.parent is None else position[id(node.parent.entry)]
        assert parents[position[id(node.entry)]] == parent
