"""zag serve's certificate, pinned on first use.

zag serves HTTPS with a self-signed certificate (rcgen, made once in ``~/.zag/tls``) and its
own client never verifies it (shared/ZAG_SESSIONS.md 4.3). So we trust on first use: the
certificate is fetched without verifying it, its SHA-256 fingerprint is shown as ``openssl
x509 -noout -fingerprint -sha256 -in ~/.zag/tls/cert.pem`` prints it on the server, and
once the user accepts it, it is the only trust anchor of every later connection. The peer's
certificate bytes are compared with the pinned ones after the handshake and before any
request, so a bearer token never goes to a server that is not the pinned one; a different
certificate is :class:`CertificateChanged`, never pinned again silently.

Python's ssl, not QtNetwork: QNetworkAccessManager reuses a connection it accepted once
(a wrong pin still got data until its cache was cleared), and Qt's TLS backend differs by
OS, where Python's is OpenSSL everywhere (shared/REMOTE.md).
"""

from __future__ import annotations

import hashlib
import re
import socket
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import ssl

# ssl (and OpenSSL with it, 7 ms) is imported where a connection is made, not with this module:
# the tray imports it at start, and most users have no zag serve host.

TIMEOUT: Final = 10.0
"""Seconds to connect and shake hands (and, for the client, for each read)."""

OPENSSL_HINT: Final = "on the server: openssl x509 -in ~/.zag/tls/cert.pem -noout -fingerprint -sha256"
"""Where the user reads the fingerprint to compare with ours (the same format)."""

_HEX: Final = re.compile(r"[0-9A-F]{64}")


class PinError(Exception):
    """The certificate could not be fetched or checked (its message is for the user)."""


class CertificateChanged(PinError):
    """The server showed another certificate than the pinned one: refused before any token."""

    def __init__(self, pinned: str, seen: str) -> None:
        super().__init__(
            f"its certificate changed: pinned {pinned}, the server now shows {seen}; "
            "if that change is expected, forget the host and pin it again"
        )
        self.pinned = pinned
        self.seen = seen


def fingerprint(der: bytes) -> str:
    """The SHA-256 of a DER certificate as openssl prints it: ``34:09:7E:…`` (32 pairs)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def parsed_fingerprint(text: str) -> str:
    """A fingerprint the user typed or pasted (openssl's whole line, with or without colons,
    any case) in :func:`fingerprint`'s form; ValueError when it is not one."""
    hexed = text.strip().rpartition("=")[2].replace(":", "").replace(" ", "").upper()
    if not _HEX.fullmatch(hexed):
        raise ValueError("not a SHA-256 fingerprint (64 hex digits, colons allowed)")
    return ":".join(hexed[i : i + 2] for i in range(0, 64, 2))


def fetch_certificate(host: str, port: int, timeout: float = TIMEOUT) -> bytes:
    """The DER certificate ``host:port`` shows, not verified: only for the user to judge by
    its fingerprint, or to name the certificate that replaced a pinned one. Nothing is sent
    over this connection."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise PinError("the server showed no certificate")
    return der


def unfetched(exc: BaseException) -> str:
    """Why :func:`fetch_certificate` failed, in a few words for the user."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, socket.gaierror):
        return "unknown host name"
    import ssl  # loaded already: a fetch was tried

    if isinstance(exc, ssl.SSLError):  # a plain HTTP server, or not a server of TLS 1.2 and up
        return f"no TLS handshake there, is it zag serve? ({exc.reason or exc})"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def pinned_context(der: bytes) -> ssl.SSLContext:
    """A context that trusts ``der`` alone. No host name check: zag's certificate names only
    localhost, 127.0.0.1, 0.0.0.0 and its ``--host``, and the pin is what identifies it."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_verify_locations(cadata=der)
    return context


def pinned_socket(host: str, port: int, der: bytes, timeout: float = TIMEOUT) -> ssl.SSLSocket:
    """A TLS connection to ``host:port`` whose certificate is exactly ``der``; raises
    :class:`CertificateChanged` (naming both fingerprints) otherwise, before anything is sent.

    A certificate that does not chain to the pin fails the handshake; the peer's bytes are
    compared all the same (a certificate signed by the pinned one would chain to it)."""
    import ssl

    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        tls = pinned_context(der).wrap_socket(raw, server_hostname=host)
    except ssl.SSLCertVerificationError:
        raw.close()
        raise CertificateChanged(fingerprint(der), _seen(host, port, timeout)) from None
    except BaseException:
        raw.close()
        raise
    seen = tls.getpeercert(binary_form=True) or b""
    if seen != der:
        tls.close()
        raise CertificateChanged(fingerprint(der), fingerprint(seen) if seen else "no certificate")
    return tls


def _seen(host: str, port: int, timeout: float) -> str:
    """The fingerprint of what the server shows now, for the message (a second connection:
    the failed handshake's certificate is not handed back)."""
    try:
        return fingerprint(fetch_certificate(host, port, timeout))
    except (OSError, PinError):
        return "a certificate that could not be read again"
