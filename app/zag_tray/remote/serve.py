"""zag serve, the second engine: its REST API polled over a pinned HTTPS connection
(shared/ZAG_SESSIONS.md section 4), turned into the same :class:`HostState` as an ssh host.

No WebSocket covers processes, so ``GET /api/v1/processes?running=true`` is asked every
:data:`INTERVAL` seconds (each poll makes zag parse its whole store: the interval is the
server's cost). No ``limit``: zag applies it before the running filter. Each agent is
accepted only as zag's reader accepts a store entry (remote/protocol.py), its texts kept as
store text is, shown only through agents/text.py; a body over :data:`BODY_CAP` is refused.
zag's ``live_status`` is ``kill(pid, 0)`` alone, so such a host's states say
``status_certain=False``. A poll never makes an ``Ended``: an agent gone from the next poll
was not seen ending (zag serve does not say how it ended), as for an offline ssh host.

Actions are zag's own: ``stop`` (SIGHUP) and ``kill`` (recorded killed, then SIGTERM) of one
agent; zag serve has no tree kill and no SIGKILL (:data:`NO_TREE`).

Every request goes over :func:`remote.pinning.pinned_socket`: the certificate is checked
before the request carrying the token is written. Failures are :class:`ServeFailure`, a
:class:`Problem` and a detail that never holds the token.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import msgspec

from zag_tray.remote import serve_hosts
from zag_tray.remote.failures import WORDS, Problem, backoff
from zag_tray.remote.pinning import TIMEOUT, CertificateChanged, PinError, pinned_socket
from zag_tray.remote.protocol import LINE_CAP, RemoteAgent, remote_agent
from zag_tray.remote.serve_hosts import ServeConfigError, ServeHost, ServeUrl, valid_token
from zag_tray.remote.state import Ended, HostState, Link, offline

INTERVAL: Final = 5.0
"""Seconds between polls of a live host."""
BODY_CAP: Final = LINE_CAP
"""Bytes of one answer (a list of 1,000 running agents with long prompts fits)."""
DETAIL_CAP: Final = 300
"""Characters kept of what the server said (raw: shown through agents/text.py)."""
API: Final = "/api/v1/processes"
NO_TREE: Final = (
    "zag serve has no tree kill and no SIGKILL: only kill (SIGTERM) and stop (SIGHUP) of one agent"
)


class ServeFailure(Exception):
    """A request that failed, as a problem a user understands and what the server said."""

    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(WORDS[problem] + (f" ({detail})" if detail else ""))
        self.problem = problem
        self.detail = detail


class ServeClient:
    """Requests to one zag serve host (a connection each: a poll every few seconds does not
    need one kept open, and a new one checks the pin again)."""

    def __init__(self, host: ServeHost, timeout: float = TIMEOUT) -> None:
        self.host = host
        self.timeout = timeout

    def processes(self, *, running: bool = True) -> list[Any]:
        value = self.request("GET", API + ("?running=true" if running else ""))
        if not isinstance(value, list):
            raise ServeFailure(Problem.INCOMPATIBLE, "the process list is not a JSON array")
        return value

    def process(self, entry_id: str) -> dict[str, Any]:
        value = self.request("GET", f"{API}/{_quoted(entry_id)}")
        if not isinstance(value, dict):
            raise ServeFailure(Problem.INCOMPATIBLE, "the process is not a JSON object")
        return value

    def stop(self, entry_id: str) -> str:
        """SIGHUP, as ``zag ps stop`` (the store is not changed); what zag answered."""
        return _status(self.request("POST", f"{API}/{_quoted(entry_id)}/stop"))

    def kill(self, entry_id: str) -> str:
        """zag records the agent killed, then sends SIGTERM; what zag answered."""
        return _status(self.request("POST", f"{API}/{_quoted(entry_id)}/kill"))

    def request(self, method: str, path: str) -> Any:
        """``method path`` with the bearer token, once the pin matched; its JSON."""
        host = self.host
        if host.certificate is None:
            raise ServeFailure(Problem.NOT_PINNED)
        if host.token is None:
            raise ServeFailure(Problem.NO_TOKEN)
        if not valid_token(host.token):  # http.client would quote a bad header value in its error
            raise ServeFailure(Problem.NO_TOKEN, f"the token in {host.token_from} is not one line of text")
        # http.client and ssl load with the first request, not at the tray's start (most users
        # have no zag serve host).
        import http.client
        import ssl

        address = host.address
        conn = http.client.HTTPConnection(address.host, address.port, timeout=self.timeout)
        try:
            # The connection is the pinned socket: the pin is checked before the request below
            # is written (a connection with its socket set does not open another).
            conn.sock = pinned_socket(address.host, address.port, host.certificate, self.timeout)
            headers = {"Authorization": f"Bearer {host.token}", "Accept": "application/json"}
            conn.request(method, path, headers=headers)  # a POST without body: Content-Length: 0
            response = conn.getresponse()
            body = response.read(BODY_CAP + 1)
        except CertificateChanged as exc:
            raise ServeFailure(Problem.CERTIFICATE, str(exc)) from None
        except PinError as exc:
            raise ServeFailure(Problem.TLS, str(exc)) from None
        except ssl.SSLError as exc:
            raise ServeFailure(Problem.TLS, exc.reason or type(exc).__name__) from None
        except (OSError, http.client.HTTPException) as exc:
            raise ServeFailure(Problem.UNREACHABLE, _os_reason(exc)) from None
        finally:
            conn.close()
        return _answer(response.status, body)


def _quoted(entry_id: str) -> str:
    """An id as one path segment (an id with ``/`` or ``?`` names nothing else)."""
    return urllib.parse.quote(entry_id, safe="")


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "unknown host name"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"[:DETAIL_CAP]


def _answer(status: int, body: bytes) -> Any:
    """The JSON of a 2xx answer; otherwise a :class:`ServeFailure`: a 401 is zag's auth
    layer (a plain-text body), anything else zag's ``{"error": …}`` (HTTP 500, 404)."""
    if len(body) > BODY_CAP:
        raise ServeFailure(Problem.SERVER_ERROR, f"an answer over {BODY_CAP >> 20} MiB")
    if status == 401:
        lines = body.decode("utf-8", "replace").strip().splitlines()
        raise ServeFailure(Problem.TOKEN_REFUSED, lines[0][:DETAIL_CAP] if lines else "")
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        if 200 <= status < 300:
            raise ServeFailure(Problem.INCOMPATIBLE, "its answer is not JSON") from None
        value = None
    if 200 <= status < 300:
        return value
    error = value.get("error") if isinstance(value, dict) else None
    said = error[:DETAIL_CAP] if isinstance(error, str) and error else f"HTTP {status}"
    raise ServeFailure(Problem.SERVER_ERROR, said)


def _status(value: Any) -> str:
    status = value.get("status") if isinstance(value, dict) else None
    return status[:80] if isinstance(status, str) else ""


def new_state(host: ServeHost | ServeUrl) -> HostState:
    """A zag serve host before its first poll, named by its URL."""
    address = host.address if isinstance(host, ServeHost) else host
    return HostState(alias=address.url, status_certain=False)


def agents_of(raw: list[Any]) -> tuple[tuple[RemoteAgent, ...], int]:
    """The agents zag's reader would accept, and how many it would not."""
    agents = [remote_agent(item) if isinstance(item, dict) else None for item in raw]
    kept = tuple(a for a in agents if a is not None)
    return kept, len(agents) - len(kept)


def poll(client: ServeClient, state: HostState, now: float) -> HostState:
    """``state`` after one poll: live with the running agents, or offline with why (and its
    last agents, as an ssh host keeps its last snapshot)."""
    try:
        raw = client.processes(running=True)
    except ServeFailure as failure:
        return offline(state, failure.problem, failure.detail)
    agents, rejected = agents_of(raw)
    return dataclasses.replace(
        state, link=Link.LIVE, agents=agents, rejected=rejected, problem=None, detail="", last_seen=now
    )


def next_poll(state: HostState, attempt: int, rand: float, interval: float = INTERVAL) -> tuple[float, int]:
    """(seconds to the poll after ``state``, the failed attempts so far): ``interval`` while
    live, else the ssh engine's backoff (1 s doubling to 60 s, less up to a fifth by ``rand``)."""
    if state.link is Link.LIVE:
        return interval, 0
    return backoff(attempt, rand), attempt + 1


def poll_kept(address: ServeUrl, state: HostState, now: float, path: Path | None = None) -> HostState:
    """:func:`poll` of the host at ``address`` as serve-hosts.json (``path``) has it now: a pin
    or token given since the last poll is used, one forgotten is not (the tray reads it again
    at each poll, off the GUI thread)."""
    try:
        host = serve_hosts.load(address, path)
    except ServeConfigError as exc:
        return offline(state, Problem.KEPT, str(exc))
    return poll(ServeClient(host), state, now)


def act_kept(address: ServeUrl, action: str, entry_id: str, path: Path | None = None) -> str | ServeFailure:
    """zag's ``stop`` or ``kill`` of ``entry_id`` on the host at ``address``: what zag
    answered ("killed"), or why it failed (returned, not raised: a refusal is an answer to
    show, not a fault to log)."""
    try:
        client = ServeClient(serve_hosts.load(address, path))
        return client.kill(entry_id) if action == "kill" else client.stop(entry_id)
    except ServeConfigError as exc:
        return ServeFailure(Problem.KEPT, str(exc))
    except ServeFailure as failure:
        return failure


class ServePoller:
    """Polls one host on the caller's thread until ``stop``: every :data:`INTERVAL` seconds
    while live, after the ssh engine's backoff while not (1 s doubling to 60 s, jittered).
    ``report`` gets each new state (and never an ``Ended``: see the module)."""

    def __init__(
        self,
        client: ServeClient,
        report: Callable[[HostState, list[Ended]], None],
        *,
        interval: float = INTERVAL,
        rand: Callable[[], float] | None = None,
    ) -> None:
        import random

        self.client = client
        self.report = report
        self.interval = interval
        self.rand = rand or random.random
        self.state = new_state(client.host)

    def run(self, stop: threading.Event) -> None:
        attempt = 0
        self.report(self.state, [])
        while not stop.is_set():
            self.state = poll(self.client, self.state, time.time())
            self.report(self.state, [])
            delay, attempt = next_poll(self.state, attempt, self.rand(), self.interval)
            stop.wait(delay)
