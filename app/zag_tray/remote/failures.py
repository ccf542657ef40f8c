"""What an ended ssh means to a user, and when to try again.

ssh exits 255 for its own failures; its stderr tells which (shared/REMOTE.md, measured on
OpenSSH 9.2). The remote shell exits 127 when it cannot find zag-tray (126: found, not
runnable). Any other end of a stream that was live is the stream ending.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Problem(StrEnum):
    SIGN_IN = "sign_in"
    HOST_KEY = "host_key"
    UNREACHABLE = "unreachable"
    NOT_INSTALLED = "not_installed"
    STALLED = "stalled"
    INCOMPATIBLE = "incompatible"
    ENDED = "ended"
    # zag serve's (remote/serve.py): HTTPS and a bearer token instead of ssh.
    NOT_PINNED = "not_pinned"
    CERTIFICATE = "certificate"
    TLS = "tls"
    NO_TOKEN = "no_token"  # noqa: S105 (a state's name, not a secret)
    TOKEN_REFUSED = "token_refused"  # noqa: S105
    SERVER_ERROR = "server_error"
    KEPT = "kept"  # its pin in serve-hosts.json is damaged


WORDS: Final = {
    Problem.SIGN_IN: "needs sign-in",
    Problem.HOST_KEY: "host key problem",
    Problem.UNREACHABLE: "unreachable",
    Problem.NOT_INSTALLED: "zag-tray not installed there",
    Problem.STALLED: "stalled",
    Problem.INCOMPATIBLE: "its zag-tray speaks another version of watch --json",
    Problem.ENDED: "the stream ended",
    Problem.NOT_PINNED: "its certificate is not pinned yet (zag-tray host pin URL)",
    Problem.CERTIFICATE: "its certificate is not the pinned one",
    Problem.TLS: "TLS failed",
    Problem.NO_TOKEN: "no token for it (zag-tray host token URL, or zag connect)",
    Problem.TOKEN_REFUSED: "its token was refused (401)",
    Problem.SERVER_ERROR: "zag serve answered with an error",
    Problem.KEPT: "what zag-tray keeps for it cannot be read (serve-hosts.json)",
}
"""How each problem is said to the user."""

SSH_FAILED: Final = 255
HOST_KEY_SIGNS: Final = ("Host key verification failed", "REMOTE HOST IDENTIFICATION HAS CHANGED")


def classify(code: int | None, stderr: str) -> Problem:
    """The problem behind ssh's exit ``code`` and what it wrote on ``stderr``."""
    if code == SSH_FAILED:
        if any(sign in stderr for sign in HOST_KEY_SIGNS):  # before "denied": never a sign-in
            return Problem.HOST_KEY
        if "Permission denied" in stderr:
            return Problem.SIGN_IN
        return Problem.UNREACHABLE
    if code in (126, 127):
        return Problem.NOT_INSTALLED
    return Problem.ENDED


def last_line(stderr: str, limit: int = 300) -> str:
    """The last non-empty line of ``stderr`` (ssh's reason), at most ``limit`` characters;
    raw: it is shown through agents/text.py like any text from elsewhere."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:limit] if lines else ""


FIRST_DELAY: Final = 1.0
MAX_DELAY: Final = 60.0
JITTER: Final = 0.2


def backoff(attempt: int, rand: float) -> float:
    """Seconds before reconnect ``attempt`` (0 first): 1 s doubling to 60 s, each less a
    random part of up to 20 % (``rand`` in [0, 1)), so hosts that fell together (a laptop
    waking up) do not all knock again in the same second."""
    base = min(MAX_DELAY, FIRST_DELAY * 2.0 ** min(attempt, 16))
    return base * (1.0 - JITTER * rand)
