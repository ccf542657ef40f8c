"""``zag-tray watch --host``: the host's stream through a real sshd in a network namespace
(shared/REMOTE.md), whose link the test cuts and restores."""

from __future__ import annotations

import sys
import time
from typing import Any

from tests.factories import LineReader
from tests.remote.conftest import Remote
from tests.remote.sshd import Link, an_agent


def is_host(link: str) -> Any:
    return lambda event: event["event"] == "host" and event["link"] == link


def test_a_cut_link_is_offline_within_10_s_with_its_agents_and_comes_back(remote: Remote, link: Link) -> None:
    proc, entry = an_agent(remote.user, "stream-agent-1")
    remote.user.store([entry])
    watch = LineReader([sys.executable, "-m", "zag_tray", "watch", "--json", "--host", "zt-ns"], remote.env)
    try:
        live = watch.until(is_host("live"), timeout=20)
        assert [a["id"] for a in live["agents"]] == ["stream-agent-1"] and live["problem"] is None
        link.cut()
        cut = time.monotonic()
        down = watch.until(is_host("offline"), timeout=15)
        assert time.monotonic() - cut < 10
        assert down["problem"] in ("unreachable", "stalled") and down["last_seen"] is not None
        assert [a["id"] for a in down["agents"]] == ["stream-agent-1"]  # its last snapshot
        link.restore()
        back = watch.until(is_host("live"), timeout=40)
        assert [a["id"] for a in back["agents"]] == ["stream-agent-1"]
        proc.kill()
        proc.wait()
        ended = watch.until("finished", timeout=15)
        assert (ended["host"], ended["agent"]["id"], ended["agent"]["live_status"]) == (
            "zt-ns",
            "stream-agent-1",
            "dead",
        )
        assert watch.proc.stdin is not None
        watch.proc.stdin.close()  # end of input: watch --host ends, 0
        assert watch.proc.wait(10) == 0
    finally:
        proc.kill()
        proc.wait()
        watch.end()
