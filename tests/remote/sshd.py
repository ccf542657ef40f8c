"""A real OpenSSH server for the end-to-end tests (shared/REMOTE.md, "Testing it for real"):
its own config, host key and pid file, on 127.0.0.2 or inside a network namespace whose link
the test can cut; throwaway users with key auth; zag-tray installed headless for them from a
world-readable venv made from /usr/bin/python3, as a user would install it (README)."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.factories import wait_for
from tests.programs import end_process
from zag_tray.demo import make_entry, write_store

if TYPE_CHECKING:
    from tests.remote.conftest import Remote

ROOT = Path(__file__).resolve().parents[2]
SSHD = "/usr/sbin/sshd"
PYTHON = "/usr/bin/python3"
TOOLS = ("ssh", "ssh-keygen", SSHD, PYTHON, "useradd", "userdel", "setpriv")
RUNTIME = ("psutil", "platformdirs", "msgspec")


def run(*argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``argv``, which must succeed; its output."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, f"{argv}: {done.returncode}: {done.stderr}"
    return done


def keygen(path: Path) -> str:
    """A new ed25519 key pair at ``path``; the public key's line."""
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "zt-test", "-f", str(path))
    return path.with_suffix(".pub").read_text().strip()


def free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def headless_venv(where: Path) -> Path:
    """zag-tray as the README's headless install makes it: the three runtime dependencies,
    then this worktree without its own (not editable: the remote has no source tree)."""
    run(PYTHON, "-m", "venv", str(where))
    pip = [str(where / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    run(*pip, *RUNTIME)
    run(*pip, "--no-deps", str(ROOT))
    where.chmod(0o755)
    return where / "bin" / "zag-tray"


@dataclass
class User:
    """A throwaway account (password ``*``: a locked ``!`` account is refused with UsePAM no)."""

    name: str
    home: Path
    uid: int
    gid: int

    @classmethod
    def add(cls, name: str, client_key: str, zag_tray: Path | None) -> User:
        run("useradd", "-m", "-p", "*", "-s", "/bin/bash", name)
        entry = pwd.getpwnam(name)
        user = cls(name, Path(entry.pw_dir), entry.pw_uid, entry.pw_gid)
        ssh = user.home / ".ssh"
        ssh.mkdir(mode=0o700)
        (ssh / "authorized_keys").write_text(client_key + "\n")
        # A chatty .bashrc: its line reaches stdout before zag-tray's hello (remote/protocol.py).
        (user.home / ".bashrc").write_text('echo "Welcome to the test box, $USER"\n')
        if zag_tray is not None:  # found through the ~/.local/bin fallback, not on PATH
            (user.home / ".local" / "bin").mkdir(parents=True)
            (user.home / ".local" / "bin" / "zag-tray").symlink_to(zag_tray)
        user.own(user.home)
        return user

    def own(self, path: Path) -> None:
        for below in [path, *path.rglob("*")]:
            os.lchown(below, self.uid, self.gid)

    def remove(self) -> None:
        subprocess.run(["userdel", "-r", "-f", self.name], capture_output=True, check=False)

    def spawn(self, entry_id: str) -> subprocess.Popen[bytes]:
        """An agent of this user: a sleeper naming ``entry_id`` in its environment."""
        proc = subprocess.Popen(
            ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "sleep", "600"],
            env={"ZAG_PROCESS_ID": entry_id, "PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
        )
        status = Path(f"/proc/{proc.pid}/status")  # setpriv has exec'd sleep as the user
        wait_for(f"{entry_id} to run as {self.name}", lambda: f"Uid:\t{self.uid}\t" in status.read_text(), 10)
        return proc

    def store(self, entries: list[dict[str, Any]]) -> Path:
        """``entries`` in this user's ~/.zag/processes.json, theirs (a kill rewrites it)."""
        base = self.home / ".zag"
        base.mkdir(exist_ok=True)
        path = write_store(base, entries)
        self.own(base)
        return path


class Sshd:
    """sshd on ``address``, optionally inside network namespace ``netns``."""

    def __init__(self, folder: Path, address: str, users: list[str], netns: str | None = None) -> None:
        self.folder, self.address, self.netns = folder, address, netns
        self.port = free_port(address) if netns is None else 2222
        self.host_key = keygen(folder / "host_key")
        config = folder / "sshd_config"
        config.write_text(
            f"ListenAddress {address}\nPort {self.port}\nHostKey {folder / 'host_key'}\n"
            f"PidFile {folder / 'sshd.pid'}\nUsePAM no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            f"AllowUsers {' '.join(users)}\nAllowTcpForwarding no\nX11Forwarding no\nPermitTTY no\n"
            "AllowAgentForwarding no\nPermitUserEnvironment no\nLogLevel VERBOSE\n"
            # A session whose client vanished with a cut link ends instead of outliving the test.
            "ClientAliveInterval 2\nClientAliveCountMax 2\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # its privilege separation directory
        run(SSHD, "-t", "-f", str(config))
        prefix = ["ip", "netns", "exec", netns] if netns else []
        self.log = folder / "sshd.log"
        self.proc = subprocess.Popen([*prefix, SSHD, "-D", "-f", str(config), "-E", str(self.log)])
        self._await_listening()

    def _await_listening(self) -> None:
        wait_for(
            "sshd to listen", lambda: self.log.exists() and "Server listening" in self.log.read_text(), 10
        )

    def known_host(self, key: str | None = None) -> str:
        """Its known_hosts line (with another ``key``: a host whose key changed)."""
        algorithm, blob = (key or self.host_key).split()[:2]
        return f"[{self.address}]:{self.port} {algorithm} {blob}\n"

    def host_block(self, alias: str, user: str, key: Path, known_hosts: Path) -> str:
        return (
            f"Host {alias}\n  HostName {self.address}\n  Port {self.port}\n  User {user}\n"
            f"  IdentityFile {key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {known_hosts}\n"
            "  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n"
        )

    def stop(self) -> None:
        end_process(self.proc)  # type: ignore[arg-type]


def stop_masters(config: Path, aliases: list[str], control: Path) -> None:
    """Ask the ControlMasters the tests started to exit (ControlPersist would keep them 60 s)."""
    for alias in aliases:
        subprocess.run(
            ["ssh", "-F", str(config), "-o", f"ControlPath={control}/%C", "-O", "exit", "--", alias],
            capture_output=True,
            check=False,
            timeout=10,
        )


def an_agent(user: User, entry_id: str, **fields: Any) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    proc = user.spawn(entry_id)
    return proc, make_entry(pid=proc.pid, entry_id=entry_id, **fields)


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
