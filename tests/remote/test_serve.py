"""zag serve, the second engine (remote/serve.py, remote/pinning.py, remote/serve_hosts.py),
against a local HTTPS server speaking zag's API (tests/remote/zag_serve.py)."""

from __future__ import annotations

import logging
import os
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.factories import stored, wait_for
from tests.programs import require_tools
from tests.remote.zag_serve import FakeZagServe, make_certificate, served
from zag_tray.remote import pinning, serve_hosts
from zag_tray.remote.failures import Problem
from zag_tray.remote.serve import NO_TREE, ServeClient, ServeFailure, ServePoller, new_state, poll
from zag_tray.remote.serve_hosts import ServeConfigError, ServeHost, ServeUrl, serve_url
from zag_tray.remote.state import HostState, Link, describe

TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"  # noqa: S105 (a test token)


@pytest.fixture(autouse=True)
def _openssl() -> None:
    require_tools(("openssl",), "zag serve tests")


def _entries() -> list[dict[str, Any]]:
    return [
        stored("old-done", minute=1, status="exited", exit_code=0, exited_at="2026-03-28T10:05:00Z"),
        stored("runs", minute=2, pid=4242, prompt="fix \x1b[31mthe\u202e bug"),
        stored("child", "runs", minute=3, pid=4243),
        stored("pid-gone", minute=4, pid=4244),
        {"id": "broken", "pid": "not a pid", "status": "running"},  # zag's reader rejects it
    ]


@pytest.fixture
def zag(tmp_path: Path) -> Iterator[FakeZagServe]:
    yield from served(tmp_path / "tls", TOKEN, _entries())


def _host(zag: FakeZagServe, *, der: bytes | None = None, token: str | None = TOKEN) -> ServeHost:
    pinned = zag_der(zag) if der is None else der
    return ServeHost(ServeUrl("127.0.0.1", zag.port), pinned, token, "test")


def zag_der(zag: FakeZagServe) -> bytes:
    return pinning.fetch_certificate("127.0.0.1", zag.port)


def _offline(zag: FakeZagServe, host: ServeHost) -> HostState:
    state = poll(ServeClient(host, timeout=5), new_state(host), 1000.0)
    assert state.link is Link.OFFLINE
    return state


# --- the certificate ---------------------------------------------------------------------------


def test_the_fingerprint_is_the_one_openssl_prints_on_the_server(zag: FakeZagServe, tmp_path: Path) -> None:
    cert = tmp_path / "tls" / "cert.pem"
    printed = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert pinning.fingerprint(zag_der(zag)) == printed.strip().partition("=")[2]
    assert pinning.parsed_fingerprint(printed) == printed.strip().partition("=")[2]
    assert (
        pinning.parsed_fingerprint(printed.partition("=")[2].replace(":", "").lower())
        == (printed.strip().partition("=")[2])
    )
    with pytest.raises(ValueError, match="64 hex"):
        pinning.parsed_fingerprint("AB:CD")


def test_a_certificate_like_zags_is_accepted_as_its_own_trust_anchor(
    zag: FakeZagServe, tmp_path: Path
) -> None:
    """No basicConstraints, self-signed, P-256: OpenSSL takes it as the only anchor."""
    text = subprocess.run(
        ["openssl", "x509", "-in", str(tmp_path / "tls" / "cert.pem"), "-noout", "-text"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Basic Constraints" not in text and "prime256v1" in text
    assert poll(ServeClient(_host(zag)), new_state(_host(zag)), 1.0).link is Link.LIVE


def test_another_certificate_is_refused_before_the_token_is_sent(zag: FakeZagServe, tmp_path: Path) -> None:
    other = make_certificate(tmp_path / "other").der()
    state = _offline(zag, _host(zag, der=other))
    assert state.problem is Problem.CERTIFICATE
    assert pinning.fingerprint(other) in state.detail
    assert pinning.fingerprint(zag_der(zag)) in state.detail
    assert zag.seen.authorizations == []  # not one request, with or without a token
    assert zag.seen.requests == []
    line = describe(state, 1000.0)
    assert "\n" not in line and "not the pinned one" in line and TOKEN not in line


# --- what is read --------------------------------------------------------------------------------


def test_the_running_agents_become_the_host_state_the_ssh_engine_makes(zag: FakeZagServe) -> None:
    zag.live.discard("pid-gone")  # kill(pid, 0) fails: zag says dead
    host = _host(zag)
    state = poll(ServeClient(host), new_state(host), 1234.0)
    assert state.link is Link.LIVE and state.problem is None and state.last_seen == 1234.0
    assert state.alias == f"https://127.0.0.1:{zag.port}"
    assert sorted(a.entry.id for a in state.agents) == ["child", "pid-gone", "runs"]
    assert {a.entry.id: a.live_status.value for a in state.agents}["pid-gone"] == "dead"
    assert state.rejected == 1  # the entry zag's reader would reject
    assert not state.status_certain
    assert "pid only" in describe(state, 1234.0)
    runs = next(a for a in state.agents if a.entry.id == "runs")
    assert runs.entry.prompt == "fix \x1b[31mthe\u202e bug"  # kept as store text is, escaped when shown
    assert zag.seen.requests == [("GET", "/api/v1/processes?running=true")]  # no limit: zag applies it first
    assert zag.seen.authorizations == [f"Bearer {TOKEN}"]


def test_stop_and_kill_go_to_zags_routes(zag: FakeZagServe) -> None:
    client = ServeClient(_host(zag))
    assert client.stop("runs") == "stopped"
    assert client.kill("child") == "killed"
    assert zag.seen.requests == [
        ("POST", "/api/v1/processes/runs/stop"),
        ("POST", "/api/v1/processes/child/kill"),
    ]
    assert zag.entry("child") is not None and zag.entry("child")["status"] == "killed"  # type: ignore[index]
    with pytest.raises(ServeFailure) as failed:
        client.kill("a/../../x?y")  # one path segment, whatever it holds
    assert zag.seen.requests[-1] == ("POST", "/api/v1/processes/a%2F..%2F..%2Fx%3Fy/kill")
    assert failed.value.problem is Problem.SERVER_ERROR and "Process not found" in failed.value.detail
    assert "tree" in NO_TREE and "SIGKILL" in NO_TREE


# --- failures as states a user understands ---------------------------------------------------------


def test_a_refused_token_and_a_server_error_are_one_line_states(zag: FakeZagServe) -> None:
    refused = _offline(zag, _host(zag, token="wrong"))  # noqa: S106
    assert refused.problem is Problem.TOKEN_REFUSED and refused.detail == "Unauthorized"
    zag.fail = "Failed to read processes.json: unexpected end of file"
    broken = _offline(zag, _host(zag))
    assert broken.problem is Problem.SERVER_ERROR
    assert broken.detail == "Failed to read processes.json: unexpected end of file"
    for state in (refused, broken):
        line = describe(state, 1000.0)
        assert line.startswith("offline: ") and "\n" not in line and TOKEN not in line


def test_no_pin_no_token_refused_and_no_tls_are_states_too(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    host = ServeHost(ServeUrl("127.0.0.1", port), b"x", TOKEN)
    assert poll(ServeClient(host), new_state(host), 1.0).detail == "connection refused"
    assert poll(ServeClient(ServeHost(host.address)), new_state(host), 1.0).problem is Problem.NOT_PINNED
    no_token = ServeHost(host.address, b"x", None)
    assert poll(ServeClient(no_token), new_state(host), 1.0).problem is Problem.NO_TOKEN
    plain = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)  # HTTP, not HTTPS
    threading.Thread(target=plain.serve_forever, args=(0.05,), daemon=True).start()
    try:
        cert = make_certificate(tmp_path / "c").der()
        bare = ServeHost(ServeUrl("127.0.0.1", plain.server_address[1]), cert, TOKEN)
        assert poll(ServeClient(bare, timeout=5), new_state(bare), 1.0).problem is Problem.TLS
    finally:
        plain.shutdown()
        plain.server_close()


def test_the_token_is_in_no_message_and_no_log(zag: FakeZagServe, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    said: list[str] = [repr(_host(zag))]
    for host in (_host(zag, token=TOKEN + "x"), _host(zag, der=b"not a certificate")):
        state = poll(ServeClient(host), new_state(host), 1.0)
        said += [describe(state, 1.0), state.detail, repr(state)]
    zag.fail = "boom"
    with pytest.raises(ServeFailure) as failed:
        ServeClient(_host(zag)).processes()
    said += [str(failed.value), repr(failed.value)]
    bad = ServeHost(_host(zag).address, zag_der(zag), "line\nbreak" + TOKEN)
    with pytest.raises(ServeFailure) as failed:
        ServeClient(bad).processes()  # http.client would have quoted the header value
    said += [str(failed.value), caplog.text]
    assert not [text for text in said if TOKEN in text]


def test_the_poller_follows_the_host_down_and_up(zag: FakeZagServe) -> None:
    states: list[HostState] = []
    poller = ServePoller(
        ServeClient(_host(zag)), lambda s, ended: states.append(s), interval=0.05, rand=lambda: 0.0
    )
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for("live", lambda: states and states[-1].link is Link.LIVE)
        zag.fail = "boom"
        wait_for("offline", lambda: states[-1].link is Link.OFFLINE)
        assert states[-1].agents  # the last agents, kept while offline
        zag.fail = None
        wait_for("live again", lambda: states[-1].link is Link.LIVE, timeout=10)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


# --- the kept hosts ----------------------------------------------------------------------------------


def test_urls_are_checked_and_a_token_never_goes_in_one() -> None:
    assert serve_url("https://Example.org").url == "https://example.org:2100"
    assert serve_url("https://[::1]:8443/").url == "https://[::1]:8443"
    for bad in ("http://host:2100", "https://user:tok@host", "https://host/api", "https://host:99999"):
        with pytest.raises(ServeConfigError):
            serve_url(bad)


def test_pins_and_tokens_are_kept_in_a_private_file(tmp_path: Path) -> None:
    path, address = tmp_path / "cfg" / "serve-hosts.json", serve_url("https://127.0.0.1:2100")
    serve_hosts.pin(address, b"DER", "AA:BB", path)
    serve_hosts.keep_token(address, TOKEN + "\n", path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    host = serve_hosts.load(address, path)
    assert (host.certificate, host.token, host.token_from) == (b"DER", TOKEN, "serve-hosts.json")
    assert TOKEN not in repr(host)
    with pytest.raises(ServeConfigError, match="forget it first"):
        serve_hosts.pin(address, b"OTHER", "CC:DD", path)  # never replaced silently
    with pytest.raises(ServeConfigError):
        serve_hosts.keep_token(address, "two\nlines", path)
    assert serve_hosts.forget(address, path) and serve_hosts.load(address, path).certificate is None


def test_a_pin_can_carry_its_token_and_a_bad_token_pins_nothing(tmp_path: Path) -> None:
    path, address = tmp_path / "serve-hosts.json", serve_url("https://127.0.0.1:2100")
    with pytest.raises(ServeConfigError, match="not a token"):
        serve_hosts.pin(address, b"DER", "AA:BB", path, token="two words")  # noqa: S106
    assert not path.exists()
    serve_hosts.pin(address, b"DER", "AA:BB", path, token=f" {TOKEN}\n")
    host = serve_hosts.load(address, path)
    assert (host.certificate, host.token) == (b"DER", TOKEN)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_token_of_zag_connect_is_used_for_its_url(tmp_path: Path) -> None:
    home = tmp_path / ".zag"
    home.mkdir()
    (home / "connect.json").write_text('{"url": "127.0.0.1:2100", "token": "from-connect"}')
    assert serve_hosts.connect_token(serve_url("https://127.0.0.1:2100"), home) == "from-connect"
    assert serve_hosts.connect_token(serve_url("https://127.0.0.1:2101"), home) is None
    (home / "connect.json").unlink()  # zag deletes it when its health probe fails
    assert serve_hosts.connect_token(serve_url("https://127.0.0.1:2100"), home) is None
