"""``zag-tray watch --host``: the host's stream through a real sshd in a network namespace
(shared/REMOTE.md), whose link the test cuts and restores."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import LineReader
from tests.remote.conftest import Remote
from tests.remote.sshd import Sshd, an_agent, run, stop_masters


class Link:
    """A network namespace and a veth pair into it, sshd listening inside."""

    def __init__(self, remote: Remote) -> None:
        tag = os.getpid() % 100_000
        self.ns, self.outside, self.inside = f"zt{tag}", f"zt{tag}a", f"zt{tag}b"
        net = f"10.217.{tag % 250}"
        run("ip", "netns", "add", self.ns)
        run("ip", "link", "add", self.outside, "type", "veth", "peer", "name", self.inside)
        run("ip", "link", "set", self.inside, "netns", self.ns)
        run("ip", "addr", "add", f"{net}.1/30", "dev", self.outside)
        run("ip", "link", "set", self.outside, "up")
        self.inner("ip", "addr", "add", f"{net}.2/30", "dev", self.inside)
        self.inner("ip", "link", "set", self.inside, "up")
        self.inner("ip", "link", "set", "lo", "up")
        folder = remote.folder / "ns"
        folder.mkdir()
        self.sshd = Sshd(folder, f"{net}.2", [remote.user.name], netns=self.ns)
        with remote.known_hosts.open("a") as known:
            known.write(self.sshd.known_host())
        with remote.config.open("a") as config:
            config.write(self.sshd.host_block("zt-ns", remote.user.name, remote.folder / "client_key",
                                              remote.known_hosts))  # fmt: skip

    def inner(self, *argv: str) -> None:
        run("ip", "netns", "exec", self.ns, *argv)

    def cut(self) -> None:
        self.inner("ip", "link", "set", self.inside, "down")

    def restore(self) -> None:
        self.inner("ip", "link", "set", self.inside, "up")

    def remove(self, remote: Remote) -> None:
        stop_masters(remote.config, ["zt-ns"], remote.folder / "ctl")
        self.sshd.stop()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True, check=False)


@pytest.fixture
def link(remote: Remote) -> Iterator[Link]:
    probe = subprocess.run(["ip", "netns", "add", "ztprobe"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"ip netns: {probe.stderr}")
        pytest.skip(f"no network namespaces here: {probe.stderr.strip()}")
    subprocess.run(["ip", "netns", "del", "ztprobe"], check=True)
    made = Link(remote)
    try:
        yield made
    finally:
        made.remove(remote)


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
