"""zag serve hosts as the user keeps them: a URL, the pinned certificate, a bearer token.

They live in one private file, ``serve-hosts.json`` in the tray's config directory, written
whole with mode 0600 (desktop/files.py). A token reaches it from the user's terminal
(``zag-tray host token URL`` reads it from stdin, hidden on a TTY), never from a command
line (any user sees another's argv in ps) or an environment a child inherits; it is never
logged nor put in a message, and :class:`ServeHost` leaves it out of its repr. Without one
of ours, the token ``zag connect`` saved in ``~/.zag/connect.json`` is used when that file
names the same URL (zag deletes the file when its health probe fails: it may vanish).
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import msgspec

from zag_tray.desktop.files import atomic_write, read_small_file
from zag_tray.desktop.paths import config_dir, zag_home_dir

FILE_NAME: Final = "serve-hosts.json"
CONNECT_FILE: Final = "connect.json"
DEFAULT_PORT: Final = 2100
"""zag serve's port unless told (``[server] port`` of serve.toml)."""
FILE_LIMIT: Final = 1 << 20
TOKEN_LIMIT: Final = 4096
"""Characters of a token: zag's are 64 hex digits; anything far longer is not one."""


class ServeConfigError(Exception):
    """A URL, token or file the user must fix (the message names no token)."""


@dataclass(frozen=True, slots=True)
class ServeUrl:
    """``https://host:port`` (the port always written): the key a host is kept and named by."""

    host: str
    port: int

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{shown}:{self.port}"


def is_serve_url(text: str) -> bool:
    """Does ``--host`` name a zag serve URL rather than an ssh alias? (An alias has no ``:``.)"""
    return "://" in text


def serve_url(text: str) -> ServeUrl:
    """The URL of a zag serve, checked: HTTPS (zag serves nothing else), a host, an optional
    port (2100), no user, path, query or fragment (a token does not go in a URL)."""
    parts = urllib.parse.urlsplit(text.strip())
    if parts.scheme.lower() != "https":
        raise ServeConfigError("a zag serve URL starts with https:// (zag serves HTTPS only)")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ServeConfigError("the URL's port is not a number from 1 to 65535") from None
    if parts.username is not None or parts.password is not None:
        raise ServeConfigError("no user or token in the URL: `zag-tray host token URL` keeps a token")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ServeConfigError("a zag serve URL is https://HOST[:PORT], nothing after")
    if not parts.hostname:
        raise ServeConfigError("the URL names no host")
    return ServeUrl(parts.hostname, port)


@dataclass(frozen=True, slots=True)
class ServeHost:
    """What connecting to one zag serve takes."""

    address: ServeUrl
    certificate: bytes | None = field(default=None, repr=False)
    """The pinned DER certificate; None until the user accepted one."""
    token: str | None = field(default=None, repr=False)
    token_from: str = ""
    """Where the token came from (for the user: "connect.json" or "serve-hosts.json")."""


class _Kept(msgspec.Struct, omit_defaults=True):
    certificate: str | None = None
    """Base64 of the DER bytes."""
    fingerprint: str | None = None
    """For a person reading the file; the certificate is what counts."""
    pinned_at: str | None = None
    token: str | None = None


class _File(msgspec.Struct):
    hosts: dict[str, _Kept] = msgspec.field(default_factory=dict)


class _Connect(msgspec.Struct):
    url: str
    token: str


def valid_token(token: str) -> bool:
    """One word of printable ASCII: what an HTTP header carries as it is (http.client quotes
    a value it refuses in its error, and that value would be the token)."""
    return 0 < len(token) <= TOKEN_LIMIT and token.isascii() and token.isprintable() and " " not in token


def hosts_file() -> Path:
    return config_dir() / FILE_NAME


def _read(path: Path) -> _File:
    try:
        data = read_small_file(path, FILE_LIMIT)
    except FileNotFoundError:
        return _File()
    except OSError as exc:
        raise ServeConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return msgspec.json.decode(data, type=_File)
    except msgspec.DecodeError:
        raise ServeConfigError(f"{path} is not zag-tray's list of zag serve hosts") from None


def _write(path: Path, kept: _File) -> None:
    atomic_write(path, msgspec.json.format(msgspec.json.encode(kept)) + b"\n", mode=0o600)
    # A file made by an older copy, or by hand, with wider rights: the token is private.
    if stat.S_IMODE(os.stat(path).st_mode) & 0o077:
        os.chmod(path, 0o600)


def load(address: ServeUrl, path: Path | None = None) -> ServeHost:
    """The host at ``address``: its pin and token from our file, else the token of
    ``zag connect``'s file when that names the same URL."""
    kept = _read(path or hosts_file()).hosts.get(address.url, _Kept())
    certificate = None
    if kept.certificate:
        try:
            certificate = base64.b64decode(kept.certificate, validate=True)
        except binascii.Error:
            raise ServeConfigError(f"the certificate pinned for {address.url} is damaged") from None
    if kept.token:
        return ServeHost(address, certificate, kept.token, FILE_NAME)
    connected = connect_token(address)
    return ServeHost(address, certificate, connected, CONNECT_FILE if connected else "")


def connect_token(address: ServeUrl, home: Path | None = None) -> str | None:
    """The token in ``~/.zag/connect.json`` if it is for ``address``; None when the file is
    missing, unreadable, or for another server (zag keeps one connection only)."""
    try:
        data = read_small_file((home or zag_home_dir()) / CONNECT_FILE, FILE_LIMIT)
        saved = msgspec.json.decode(data, type=_Connect)
    except (OSError, msgspec.DecodeError):
        return None
    url = saved.url if "://" in saved.url else f"https://{saved.url}"  # as `zag connect` does
    try:
        same = serve_url(url) == address
    except ServeConfigError:
        return None
    return saved.token if same and saved.token else None


def pin(
    address: ServeUrl,
    certificate: bytes,
    fingerprint: str,
    path: Path | None = None,
    *,
    token: str | None = None,
) -> None:
    """Keep ``certificate`` as the one ``address`` must show. Only for a host with no pin:
    replacing one is :func:`forget` first, a step the user takes knowingly. With ``token``,
    it is kept in the same write: the tray polls a host as soon as the file names it, and a
    pin written without its token would fail that first poll (then back off)."""
    token = None if token is None else _checked(token)
    where = path or hosts_file()
    kept = _read(where)
    old = kept.hosts.get(address.url, _Kept())
    if old.certificate:
        raise ServeConfigError(f"{address.url} has a pinned certificate already (forget it first)")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    encoded = base64.b64encode(certificate).decode("ascii")
    kept.hosts[address.url] = msgspec.structs.replace(
        old, certificate=encoded, fingerprint=fingerprint, pinned_at=stamp, token=token or old.token
    )
    _write(where, kept)


def keep_token(address: ServeUrl, token: str, path: Path | None = None) -> None:
    """Keep ``token`` for ``address`` (in the 0600 file)."""
    token = _checked(token)
    where = path or hosts_file()
    kept = _read(where)
    old = kept.hosts.get(address.url, _Kept())
    kept.hosts[address.url] = msgspec.structs.replace(old, token=token)
    _write(where, kept)


def _checked(token: str) -> str:
    token = token.strip()
    if not valid_token(token):
        raise ServeConfigError("that is not a token (one line of printable characters, no spaces)")
    return token


def forget(address: ServeUrl, path: Path | None = None) -> bool:
    """Drop ``address``'s pin and token; whether there was anything to drop."""
    where = path or hosts_file()
    kept = _read(where)
    if kept.hosts.pop(address.url, None) is None:
        return False
    _write(where, kept)
    return True


def kept_urls(path: Path | None = None) -> list[str]:
    """The URLs of the hosts in our file."""
    return sorted(_read(path or hosts_file()).hosts)


def as_json(host: ServeHost) -> dict[str, Any]:
    """What may be shown of a host: never its token."""
    from zag_tray.remote.pinning import fingerprint

    shown = None if host.certificate is None else fingerprint(host.certificate)
    return {"url": host.address.url, "fingerprint": shown, "token": host.token_from or None}


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a server showed, and what is kept for it already."""

    address: ServeUrl
    certificate: bytes
    pinned: bytes | None
    token_from: str
    """Where a token for it is kept already ("" when nowhere): then the user need not give one."""


def fetch(address: ServeUrl, path: Path | None = None, timeout: float | None = None) -> Fetched | str:
    """The certificate ``address`` shows (unverified, nothing sent) and what is kept for it;
    or why not, a line for the user. What ``host pin`` and the window's Add host… ask first
    (it may wait for ``timeout``: not on the GUI thread)."""
    from zag_tray.remote import pinning

    try:
        der = pinning.fetch_certificate(address.host, address.port, timeout or pinning.TIMEOUT)
    except (OSError, pinning.PinError) as exc:
        return f"{address.url}: cannot fetch its certificate ({pinning.unfetched(exc)})"
    try:
        kept = load(address, path)
    except ServeConfigError as exc:
        return str(exc)
    return Fetched(address, der, kept.certificate, kept.token_from)
