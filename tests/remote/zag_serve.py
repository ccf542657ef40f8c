"""A local HTTPS server speaking zag serve's process API as shared/ZAG_SESSIONS.md section 4
describes it, for tests/remote/test_serve*.py.

Its certificate is shaped like the one zag makes with rcgen: a self-signed P-256 key, the
SANs localhost and 127.0.0.1, no basicConstraints (made by ``openssl req``: the standard
library cannot make one). Every route but health needs ``Authorization: Bearer TOKEN`` (a
401 with a plain-text body otherwise); errors are HTTP 500 ``{"error": …}``, an unknown id
404 ``{"error": …}``. It records every Authorization header it saw, so a test can say no
token reached it.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = rcgen self signed cert
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:0.0.0.0
"""


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def der(self) -> bytes:
        return ssl.PEM_cert_to_DER_cert(self.cert.read_text())


def make_certificate(folder: Path, name: str = "cert") -> Certificate:
    """A self-signed P-256 certificate like zag's (no basicConstraints), with its key."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / f"{name}.cnf"
    config.write_text(_CONFIG)
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "30",
         "-config", str(config), "-extensions", "ext"],
        check=True, capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


@dataclass
class Seen:
    """What the server was sent."""

    authorizations: list[str | None] = field(default_factory=list)
    """The Authorization header of every request (None: none), in order."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path with its query) of every request."""


class FakeZagServe:
    """``entries``: zag's ``ProcessEntry`` objects, oldest first (as processes.json holds
    them); ``live``: the ids whose pid ``kill(pid, 0)`` finds; ``fail``: an error every
    authorised request answers with (HTTP 500 ``{"error"}``) while set."""

    def __init__(self, certificate: Certificate, token: str, entries: list[dict[str, Any]]) -> None:
        self.token = token
        self.entries = entries
        self.live: set[str] = {e["id"] for e in entries if e.get("status") == "running"}
        self.fail: str | None = None
        self.seen = Seen()
        self.lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate.cert, certificate.key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeZagServe:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def entry(self, entry_id: str) -> dict[str, Any] | None:
        return next((e for e in self.entries if e["id"] == entry_id), None)

    def shown(self, entry: dict[str, Any]) -> dict[str, Any]:
        """An entry as the API gives it: its stored keys plus ``live_status``."""
        stored = entry.get("status")
        live = ("running" if entry["id"] in self.live else "dead") if stored == "running" else stored
        return {**entry, "live_status": live}

    def answer(self, method: str, path: str, bearer: str | None) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        parts = urllib.parse.urlsplit(path)
        route = parts.path.rstrip("/").split("/")[3:]  # after /api/v1
        if route == ["health"]:
            return _json(200, {"status": "ok", "version": "0.18.0"})
        if bearer != f"Bearer {self.token}":
            return 401, "text/plain", b"Unauthorized"
        if self.fail is not None:
            return _json(500, {"error": self.fail})
        if route == ["processes"] and method == "GET":
            return _json(200, self._listed(urllib.parse.parse_qs(parts.query)))
        if len(route) >= 2 and route[0] == "processes":
            return self._one(method, urllib.parse.unquote(route[1]), route[2:])
        return _json(404, {"error": "Not found"})

    def _listed(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        listed = list(reversed(self.entries))  # newest first
        if "limit" in query:  # before the running filter, as zag does
            listed = listed[: int(query["limit"][0])]
        if query.get("running") == ["true"]:
            listed = [e for e in listed if e.get("status") == "running"]
        return [self.shown(e) for e in listed]

    def _one(self, method: str, entry_id: str, rest: list[str]) -> tuple[int, str, bytes]:
        entry = self.entry(entry_id)
        if entry is None:
            return _json(404 if not rest else 500, {"error": f"Process not found: {entry_id}"})
        if method == "GET" and not rest:
            return _json(200, self.shown(entry))
        if method != "POST" or rest not in (["stop"], ["kill"]):
            return _json(404, {"error": "Not found"})
        if entry.get("status") != "running":
            return _json(500, {"error": f"Process {entry_id} is not running (status: {entry.get('status')})"})
        if rest == ["kill"]:
            entry["status"] = "killed"
            self.live.discard(entry_id)
            return _json(200, {"status": "killed"})
        return _json(200, {"status": "stopped"})


def _json(status: int, value: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value).encode()


def _handler(zag: FakeZagServe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            bearer = self.headers.get("Authorization")
            with zag.lock:
                zag.seen.authorizations.append(bearer)
                zag.seen.requests.append((self.command, self.path))
                status, kind, body = zag.answer(self.command, self.path, bearer)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads ``zag.seen`` instead."""

    return Handler


def served(folder: Path, token: str, entries: list[dict[str, Any]]) -> Iterator[FakeZagServe]:
    """A running server with a new certificate (for a fixture)."""
    with FakeZagServe(make_certificate(folder), token, entries) as zag:
        yield zag
