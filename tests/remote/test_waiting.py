"""Who began waiting on another machine (remote/glance.began_waiting), how the notice names
it (agents/notices.waiting_notice), and when zag serve is polled next (remote/serve.next_poll)."""

from __future__ import annotations

import dataclasses

from tests.remote.standin import agent
from zag_tray.agents.notices import waiting_notice
from zag_tray.remote.failures import Problem
from zag_tray.remote.glance import began_waiting
from zag_tray.remote.protocol import RemoteAgent, remote_agent
from zag_tray.remote.serve import INTERVAL, next_poll
from zag_tray.remote.state import HostState, Link, offline

NOW = 1_774_700_000.0  # 2026-03-28


def remote(entry_id: str, state: str | None) -> RemoteAgent:
    activity = None if state is None else {"state": state, "since": "2026-03-28T10:10:00Z"}
    made = remote_agent({**agent(entry_id), "activity": activity})
    assert made is not None
    return made


def live(*agents: RemoteAgent) -> HostState:
    return HostState("devbox", Link.LIVE, agents)


def test_only_a_wait_that_began_between_two_live_states_is_news() -> None:
    before = live(remote("a", "working"), remote("b", "waiting"))
    after = live(remote("a", "waiting"), remote("b", "waiting"), remote("c", "waiting"), remote("d", "tool"))
    assert [(w.entry.id, w.host) for w in began_waiting(before, after, NOW)] == [
        ("a", "devbox"),
        ("c", "devbox"),
    ]
    assert began_waiting(offline(before, Problem.STALLED), after, NOW) == []  # found on reconnecting
    assert began_waiting(dataclasses.replace(before, link=Link.CONNECTING), after, NOW) == []
    assert began_waiting(before, offline(after, Problem.ENDED), NOW) == []


def test_the_notice_names_the_host_and_a_click_opens_the_window() -> None:
    (one,) = began_waiting(live(remote("a", "working")), live(remote("a", "waiting")), NOW)
    notice = waiting_notice([one], NOW)
    assert (
        notice is not None and notice.title == "Agent waiting for you on devbox" and notice.entry_id is None
    )
    here = dataclasses.replace(one, host=None)
    both = waiting_notice([here, one], NOW)
    assert both is not None
    assert both.text == "2 agents waiting for you: claude · sonnet, claude · sonnet on devbox"
    assert here.key != one.key  # the same id on two machines is two agents


def test_a_live_host_is_polled_every_interval_and_a_failing_one_after_the_backoff() -> None:
    state = HostState("https://box:2100", status_certain=False)
    assert next_poll(dataclasses.replace(state, link=Link.LIVE), 4, 0.0) == (INTERVAL, 0)
    down = offline(state, Problem.UNREACHABLE)
    assert next_poll(down, 0, 0.0) == (1.0, 1)
    assert next_poll(down, 3, 0.0) == (8.0, 4)
    assert next_poll(down, 30, 0.5) == (54.0, 31)  # 60 s less a tenth
