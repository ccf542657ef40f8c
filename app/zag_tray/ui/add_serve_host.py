"""Add host… for a zag serve URL: what ``zag-tray host pin`` and ``host token`` do, from the
window. The certificate is fetched off the GUI thread (a handshake may wait for its timeout),
its SHA-256 is shown as openssl prints it on the server, and only once the user accepts it
is it pinned, with the token, through remote/serve_hosts (the CLI's rules: a host pinned to
another certificate is refused, never pinned anew). The tray follows serve-hosts.json's
folder (ui/serve_link.py): the host appears there by itself.

The token stays on the GUI thread until it is written: it is never logged, never put in a
message, and the job on the worker never holds it (the worker logs what a job raises).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from zag_tray.agents.text import one_line
from zag_tray.remote import pinning, serve_hosts
from zag_tray.remote.serve_hosts import Fetched, ServeConfigError, ServeUrl, fetch, serve_url, valid_token
from zag_tray.ui.questions import Question, ask
from zag_tray.ui.worker import Worker

log = logging.getLogger(__name__)

CONNECT_HELD = (
    "~/.zag/connect.json holds a token for this URL (from `zag connect`): leave it empty to use that one"
)
TOKEN_HINT = "optional when ~/.zag/connect.json holds one for this URL (after `zag connect` to it)"  # noqa: S105


def pin_question(address: ServeUrl, seen: str) -> Question:
    """Whether to trust the certificate whose fingerprint is ``seen`` (Cancel the default)."""
    lines = [
        f"{address.url} shows a certificate with SHA-256 fingerprint",
        "",
        seen,
        "",
        f"Compare it, {pinning.OPENSSL_HINT}",
        "",
        "Trust it? zag-tray then sends the token to this host only while it shows this very "
        "certificate, and refuses any other.",
    ]
    return Question("Trust this certificate?", "\n".join(lines), "Trust")


class ServeAdder(QObject):
    """Adds one zag serve host at a time; ``added`` carries its URL once it is kept,
    ``failed`` why it was not (nothing was saved then)."""

    added = Signal(str)
    failed = Signal(str)
    connect_known = Signal(str, bool)
    """(text, whether ~/.zag/connect.json holds a token for that URL), after look_up(text)."""

    def __init__(
        self,
        path: Path,
        parent: QObject | None = None,
        *,
        confirm: Callable[[Question], bool] = ask,
        timeout: float = pinning.TIMEOUT,
    ) -> None:
        super().__init__(parent)
        self.path, self.confirm, self.timeout = path, confirm, timeout
        self._asked = 0  # which add() a fetched certificate answers: a cancelled one is dropped
        self._worker = Worker(self)

    def add(self, text: str, token: str) -> None:
        """Fetch ``text``'s certificate, ask, keep it with ``token`` (empty: one kept already)."""
        try:
            address = serve_url(text)
        except ServeConfigError as exc:
            self.failed.emit(str(exc))
            return
        token = token.strip()
        if token and not valid_token(token):  # before anything goes on the network
            self.failed.emit("That is not a token (one line of printable characters, no spaces).")
            return
        self._asked += 1
        asked, path, timeout = self._asked, self.path, self.timeout
        self._worker.run(lambda: fetch(address, path, timeout), lambda got: self._fetched(asked, got, token))

    def look_up(self, text: str) -> None:
        """Whether ``zag connect``'s file has a token for ``text`` (read on the worker, as
        the user types: the home folder may be a slow network one)."""
        try:
            address = serve_url(text)
        except ServeConfigError:
            return
        self._worker.run(
            lambda: serve_hosts.connect_token(address) is not None,
            lambda held: self.connect_known.emit(text, held is True),
        )

    def cancel(self) -> None:
        """Forget the add() under way: its certificate, when it comes, is not asked about."""
        self._asked += 1

    def _fetched(self, asked: int, got: object, token: str) -> None:
        if asked != self._asked:
            return
        if not isinstance(got, Fetched):  # a line for the user, or a fault of ours (logged)
            self.failed.emit(got if isinstance(got, str) else one_line(str(got), 200))
            return
        url, seen = got.address.url, pinning.fingerprint(got.certificate)
        if got.pinned is not None and got.pinned != got.certificate:
            changed = pinning.CertificateChanged(pinning.fingerprint(got.pinned), seen)
            self.failed.emit(f"{url}: {changed} (forget it first: zag-tray host forget {url})")
            return
        if not token and not got.token_from:
            self.failed.emit(f"Give {url}'s token: ~/.zag/connect.json holds none for it.")
            return
        if got.pinned is None and not self.confirm(pin_question(got.address, seen)):
            self.failed.emit("Not pinned: nothing was saved.")
            return
        try:
            if got.pinned is None:
                serve_hosts.pin(got.address, got.certificate, seen, self.path, token=token or None)
            elif token:  # pinned to this very certificate already: a new token only
                serve_hosts.keep_token(got.address, token, self.path)
        except ServeConfigError as exc:  # e.g. pinned meanwhile with `zag-tray host pin`
            self.failed.emit(str(exc))
            return
        except OSError as exc:
            self.failed.emit(f"Cannot save {self.path}: {exc.strerror or exc}")
            return
        log.info("zag serve host %s kept from the window, certificate SHA-256 %s", url, seen)
        self.added.emit(url)
