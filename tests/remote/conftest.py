"""A real sshd and throwaway users for the end-to-end tests, made once per session: root
only (users are added, sshd switches to them); skipped, with why, without OpenSSH's server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.programs import require_tools
from tests.remote.sshd import TOOLS, Link, Sshd, User, headless_venv, keygen, stop_masters

ALIASES = ("zt-test", "zt-bare", "zt-changed", "zt-unknown", "zt-denied")


@dataclass
class Remote:
    """The sshd, its users and the ssh_config a test's zag-tray uses (``env``)."""

    sshd: Sshd
    user: User
    """Has zag-tray, in ~/.local/bin."""
    bare: User
    """Has none."""
    folder: Path
    config: Path
    known_hosts: Path
    env: dict[str, str]

    def close_connections(self) -> None:
        """End the ControlMasters: a master already up to this host, port and user was
        verified when it was made, and ssh reuses it (its socket is named by those: %C)."""
        stop_masters(self.config, list(ALIASES), self.folder / "ctl")

    def zag_tray(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """This machine's zag-tray, ``args`` as typed."""
        argv = [sys.executable, "-m", "zag_tray", *args]
        return subprocess.run(
            argv, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )


def _require_root_and_sshd() -> None:
    if sys.platform != "linux":
        pytest.skip("the ssh end-to-end tests run sshd on Linux")
    require_tools(TOOLS, "the ssh end-to-end tests")
    if os.geteuid() != 0:
        pytest.skip("the ssh end-to-end tests need root: they add users and run sshd as root")


@pytest.fixture(scope="session")
def remote() -> Iterator[Remote]:
    _require_root_and_sshd()
    folder = Path(tempfile.mkdtemp(prefix="zt-e2e-"))
    folder.chmod(0o755)  # the users run the venv's Python from here
    tag = str(os.getpid())
    client_key = keygen(folder / "client_key")
    other_key = keygen(folder / "other_key")  # authorized nowhere
    users: list[User] = []
    sshd = None
    try:
        program = headless_venv(folder / "venv")
        users += [User.add(f"ztr{tag}", client_key, program), User.add(f"ztb{tag}", client_key, None)]
        sshd = Sshd(folder, "127.0.0.2", [u.name for u in users])
        yield _remote(folder, sshd, users, other_key)
    finally:
        if sshd is not None:
            stop_masters(folder / "ssh_config", list(ALIASES), folder / "ctl")
            sshd.stop()
        for user in users:
            user.remove()
        shutil.rmtree(folder, ignore_errors=True)


def _remote(folder: Path, sshd: Sshd, users: list[User], other_key: str) -> Remote:
    known, changed, unknown = (
        folder / "known_hosts",
        folder / "known_hosts.changed",
        folder / "known_hosts.none",
    )
    known.write_text(sshd.known_host())
    changed.write_text(sshd.known_host(other_key))  # the host's key is not this one any more
    unknown.write_text("")
    user, bare = users
    key = folder / "client_key"
    config = folder / "ssh_config"
    config.write_text(
        sshd.host_block("zt-test", user.name, key, known)
        + sshd.host_block("zt-bare", bare.name, key, known)
        + sshd.host_block("zt-changed", user.name, key, changed)
        + sshd.host_block("zt-unknown", user.name, key, unknown)
        + sshd.host_block("zt-denied", user.name, folder / "other_key", known)
    )
    (folder / "ctl").mkdir(mode=0o700)
    env = {**os.environ, "ZAG_TRAY_SSH_CONFIG": str(config), "ZAG_TRAY_CONTROL_DIR": str(folder / "ctl")}
    return Remote(sshd, user, bare, folder, config, known, env)


@pytest.fixture(scope="session")
def netns_link(remote: Remote) -> Iterator[Link]:
    """The namespace, its veth pair and its sshd: made once (its alias, zt-ns, is written once
    in the tests' ssh_config and known_hosts)."""
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


@pytest.fixture
def link(remote: Remote, netns_link: Link) -> Iterator[Link]:
    """The namespace's link, up again after each test (a test may fail with it cut), and no
    master left from the test before."""
    yield netns_link
    netns_link.restore()
    stop_masters(remote.config, ["zt-ns"], remote.folder / "ctl")
