"""``zag-tray host pin|token`` and ``--host https://…`` on list/show/kill/stop, as a user runs
them (a process each, a home of its own), against tests/remote/zag_serve.py."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import stored
from tests.programs import require_tools
from tests.remote.zag_serve import FakeZagServe, make_certificate, served
from zag_tray.remote.pinning import fingerprint

TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"  # noqa: S105 (a test token)


@pytest.fixture(autouse=True)
def _openssl() -> None:
    require_tools(("openssl",), "zag serve tests")


class User:
    """zag-tray run as a user with their own home; every argv and output kept, to grep."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.ran: list[subprocess.CompletedProcess[str]] = []

    def __call__(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HOME": str(self.home)}
        for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
            env.pop(name, None)
        ran = subprocess.run(
            [sys.executable, "-m", "zag_tray", *args],
            input=stdin, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        self.ran.append(ran)
        return ran

    def kept_file(self) -> Path:
        return self.home / ".config" / "zag-tray" / "serve-hosts.json"

    def everything_said(self) -> str:
        """Every argv, output and file under the home but the one kept on purpose."""
        said = [" ".join(map(str, r.args)) + r.stdout + r.stderr for r in self.ran]
        for path in self.home.rglob("*"):
            if path.is_file() and path != self.kept_file() and path.name != "connect.json":
                said.append(path.read_text(errors="replace"))
        return "\n".join(said)


def _entries() -> list[dict[str, Any]]:
    return [
        stored("runs", minute=2, pid=4242, prompt="fix \x1b[31mthe\u202e bug"),
        stored("child", "runs", minute=3, pid=4243),
        stored("done", minute=1, status="exited", exit_code=0, exited_at="2026-03-28T10:05:00Z"),
    ]


@pytest.fixture
def zag(tmp_path: Path) -> Iterator[FakeZagServe]:
    yield from served(tmp_path / "tls", TOKEN, _entries())


@pytest.fixture
def user(tmp_path: Path) -> User:
    return User(tmp_path / "home")


def _pinned(user: User, zag: FakeZagServe) -> None:
    seen = fingerprint(make_der(zag))
    ran = user("host", "pin", zag.url, "--accept", seen.replace(":", "").lower())
    assert ran.returncode == 0, ran.stderr
    assert seen in ran.stdout and "pinned:" in ran.stdout


def make_der(zag: FakeZagServe) -> bytes:
    from zag_tray.remote.pinning import fetch_certificate

    return fetch_certificate("127.0.0.1", zag.port)


def test_a_pin_is_taken_only_when_the_user_accepts_that_certificate(user: User, zag: FakeZagServe) -> None:
    seen = fingerprint(make_der(zag))
    ran = user("host", "pin", zag.url)  # stdin is not a terminal: nobody to ask
    assert ran.returncode == 1 and seen in ran.stdout and "--accept" in ran.stderr
    ran = user("host", "pin", zag.url, "--accept", "AB" * 32)
    assert ran.returncode == 1 and "not pinned" in ran.stderr
    assert not user.kept_file().exists()
    _pinned(user, zag)
    assert stat.S_IMODE(user.kept_file().stat().st_mode) == 0o600
    assert "pinned already" in user("host", "pin", zag.url).stdout
    assert zag.seen.requests == []  # pinning sends nothing


def test_list_show_stop_and_kill_go_through_the_pinned_host(user: User, zag: FakeZagServe) -> None:
    _pinned(user, zag)
    ran = user("list", "--host", zag.url)
    assert ran.returncode == 1 and "no token for it" in ran.stderr  # none kept yet
    assert user("host", "token", zag.url, stdin=TOKEN + "\n").returncode == 0
    assert stat.S_IMODE(user.kept_file().stat().st_mode) == 0o600

    listed = json.loads(user("list", "--host", zag.url, "--json").stdout)
    assert [(n["id"], n["host"]) for n in listed] == [("runs", zag.url)]
    assert [(n["id"], n["host"]) for n in listed[0]["children"]] == [("child", zag.url)]
    table = user("list", "--host", zag.url).stdout
    assert "runs" in table and "\x1b" not in table and "\u202e" not in table  # escaped as store text is
    shown = user("show", "--host", zag.url, "runs", "--json")
    assert json.loads(shown.stdout)["host"] == zag.url
    assert "kill(pid, 0)" in user("show", "--host", zag.url, "runs").stdout

    assert user("stop", "--host", zag.url, "runs").returncode == 0
    ran = user("kill", "--host", zag.url, "--tree", "runs")
    assert ran.returncode == 1 and "no tree kill" in ran.stderr
    assert user("kill", "--host", zag.url, "child").returncode == 0
    posts = [r for r in zag.seen.requests if r[0] == "POST"]
    assert posts == [("POST", "/api/v1/processes/runs/stop"), ("POST", "/api/v1/processes/child/kill")]
    again = user("kill", "--host", zag.url, "child")
    assert again.returncode == 1 and "is not running (status: killed)" in again.stderr
    assert TOKEN not in user.everything_said()


def test_another_certificate_is_a_hard_error_and_no_token_goes_out(
    user: User, zag: FakeZagServe, tmp_path: Path
) -> None:
    _pinned(user, zag)
    user("host", "token", zag.url, stdin=TOKEN)
    pinned = fingerprint(make_der(zag))
    with FakeZagServe(make_certificate(tmp_path / "impostor"), TOKEN, _entries()) as impostor:
        url = impostor.url
        user.kept_file().write_text(user.kept_file().read_text().replace(zag.url, url))  # same URL now
        ran = user("list", "--host", url, "--verbose")
        other = fingerprint(make_der(impostor))
        assert ran.returncode == 1 and pinned in ran.stderr and other in ran.stderr
        assert len(ran.stderr.strip().splitlines()) == 1
        again = user("host", "pin", url, "--accept", other)  # never pinned again over the old one
        assert again.returncode == 1 and pinned in again.stderr
        assert impostor.seen.authorizations == []
    assert TOKEN not in user.everything_said()


def test_a_refused_token_and_a_server_error_are_one_line(user: User, zag: FakeZagServe) -> None:
    _pinned(user, zag)
    user("host", "token", zag.url, stdin="not-the-token")
    ran = user("list", "--host", zag.url)
    assert ran.returncode == 1 and "token was refused (401)" in ran.stderr
    user("host", "token", zag.url, stdin=TOKEN)
    zag.fail = "Failed to read processes.json"
    ran = user("list", "--host", zag.url, "--verbose")
    assert (
        ran.returncode == 1
        and "zag serve answered with an error (Failed to read processes.json)" in ran.stderr
    )
    assert len(ran.stderr.strip().splitlines()) == 1
    assert TOKEN not in user.everything_said()


def test_the_token_of_zag_connect_is_used(user: User, zag: FakeZagServe) -> None:
    _pinned(user, zag)
    (user.home / ".zag").mkdir()
    connect = {"url": zag.url.removeprefix("https://"), "token": TOKEN}
    (user.home / ".zag" / "connect.json").write_text(json.dumps(connect))
    ran = user("list", "--host", zag.url, "--json")
    assert ran.returncode == 0, ran.stderr
    assert [n["id"] for n in json.loads(ran.stdout)] == ["runs"]
    kept = json.loads(user("host", "list", "--json").stdout)
    assert kept == [{"url": zag.url, "fingerprint": fingerprint(make_der(zag)), "token": "connect.json"}]
