"""Add host… with a zag serve URL (ui/add_serve_host.py), against the local server speaking
zag's API (tests/remote/zag_serve.py): the certificate's fingerprint shown as openssl prints
it, pinned only once accepted, with the token, and the tray then polling the host; failures
said in the dialog, nothing saved then. The question is answered by the adder's ``confirm``
(as the tray's kill questions are in tests): no modal box blocks the test."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from tests.programs import require_tools
from tests.remote.zag_serve import FakeZagServe, make_certificate
from tests.ui import test_serve_tray
from tests.ui.menus import labels
from tests.ui.test_serve_tray import HEDGE, TOKEN, Start, keep, settled, zag_der
from zag_tray.remote import pinning, serve_hosts
from zag_tray.remote.serve_hosts import serve_url
from zag_tray.remote.state import Link
from zag_tray.ui.add_host import AddHostDialog
from zag_tray.ui.add_serve_host import CONNECT_HELD, TOKEN_HINT
from zag_tray.ui.questions import Question
from zag_tray.ui.tray import TrayApp

zag, kept, start = test_serve_tray.zag, test_serve_tray.kept, test_serve_tray.start  # its fixtures


@pytest.fixture(autouse=True)
def _openssl() -> None:
    require_tools(("openssl",), "zag serve tests")


def openssl_fingerprint(cert: Path) -> str:
    """What the hint tells the user to run on the server."""
    out = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return out.strip().partition("=")[2]


def dialog_of(tray: TrayApp, answers: list[bool] | None = None) -> tuple[AddHostDialog, list[Question]]:
    """The window's Add host… dialog, its trust question answered from ``answers`` (a test
    fails if it is asked more often)."""
    tray.open_window()
    dialog = tray.window.hosts.add_host()
    asked: list[Question] = []
    assert dialog.serve is not None

    def confirm(question: Question) -> bool:
        asked.append(question)
        assert answers, "asked to trust a certificate unexpectedly"
        return answers.pop(0)

    dialog.serve.confirm = confirm
    return dialog, asked


def submit(dialog: AddHostDialog, qtbot: QtBot, url: str, token: str = "") -> None:
    """Type ``url`` and ``token``, press OK, wait until the dialog closed or said why not."""
    dialog.alias.setText(url)
    dialog.token.setText(token)
    dialog.ok.click()
    assert not dialog.ok.isEnabled()  # the certificate is being fetched, off the GUI thread
    qtbot.waitUntil(lambda: not dialog.isVisible() or dialog.error.isVisible(), timeout=15000)


def test_a_url_is_pinned_once_accepted_with_its_token_and_the_tray_lists_its_agents(
    zag: FakeZagServe,
    kept: Path,
    start: Start,
    qtbot: QtBot,
    tmp_path: Path,
    settings_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tray = start()
    dialog, asked = dialog_of(tray, [True])
    dialog.alias.setText(zag.url)
    assert dialog.token.isVisibleTo(dialog) and not dialog.program.isVisibleTo(dialog)
    assert dialog.token.echoMode() is QLineEdit.EchoMode.Password
    assert "~/.zag/connect.json" in dialog.token_hint.text() and dialog.token_hint.isVisibleTo(dialog)
    submit(dialog, qtbot, zag.url, f" {TOKEN} ")
    assert not dialog.isVisible(), dialog.error.text()
    [question] = asked
    shown = openssl_fingerprint(tmp_path / "tls" / "cert.pem")
    assert shown in question.text.splitlines()  # on a line of its own, as openssl prints it
    assert pinning.OPENSSL_HINT in question.text
    address = serve_url(zag.url)
    host = serve_hosts.load(address, kept)
    assert (host.certificate, host.token, host.token_from) == (zag_der(zag), TOKEN, serve_hosts.FILE_NAME)
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    state = settled(tray, address.url, qtbot)
    assert state.link is Link.LIVE
    menu = labels(tray)
    head = f"{address.url}: 2 running, {HEDGE}"
    assert menu[menu.index(head) + 1].startswith("claude · sonnet — lint — ")
    assert set(zag.seen.authorizations) == {f"Bearer {TOKEN}"}
    assert "kept from the window" in caplog.text  # what was logged was captured
    assert TOKEN not in caplog.text
    assert TOKEN not in settings_file.read_text()
    assert dialog.token.text() == ""  # not left in a hidden dialog


def test_declining_pins_nothing_saves_nothing_and_sends_nothing(
    zag: FakeZagServe, kept: Path, start: Start, qtbot: QtBot
) -> None:
    tray = start()
    dialog, asked = dialog_of(tray, [False])
    submit(dialog, qtbot, zag.url, TOKEN)
    assert len(asked) == 1 and dialog.isVisible()
    assert dialog.error.text() == "Not pinned: nothing was saved."
    assert dialog.ok.isEnabled()
    assert not kept.exists()
    assert zag.seen.requests == []
    assert tray.remote.state_of(serve_url(zag.url).url) is None


def test_a_url_pinned_to_another_certificate_is_refused_with_both_fingerprints(
    zag: FakeZagServe, kept: Path, start: Start, qtbot: QtBot, tmp_path: Path
) -> None:
    other = make_certificate(tmp_path / "other").der()
    address = keep(kept, zag.url, der=other, token=None)
    tray = start()
    dialog, _ = dialog_of(tray)  # never asked
    submit(dialog, qtbot, zag.url, TOKEN)
    said = dialog.error.text()
    assert pinning.fingerprint(other) in said and pinning.fingerprint(zag_der(zag)) in said
    assert f"forget it first: zag-tray host forget {address.url}" in said
    host = serve_hosts.load(address, kept)
    assert (host.certificate, host.token) == (other, None)  # neither re-pinned nor given the token
    assert zag.seen.requests == []


def test_the_token_is_optional_when_zag_connect_saved_one_for_that_url(
    zag: FakeZagServe, kept: Path, start: Start, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray = start()
    dialog, _ = dialog_of(tray, [True])
    submit(dialog, qtbot, zag.url)
    url = serve_url(zag.url).url
    assert dialog.error.text() == f"Give {url}'s token: ~/.zag/connect.json holds none for it."
    assert not kept.exists()
    home = tmp_path / "home"
    (home / ".zag").mkdir(parents=True)
    (home / ".zag" / "connect.json").write_text(json.dumps({"url": zag.url, "token": TOKEN}))
    monkeypatch.setenv("HOME", str(home))
    assert dialog.token_hint.text() == TOKEN_HINT  # looked up for the URL as it was typed
    dialog.alias.setText("")
    dialog.alias.setText(zag.url)
    qtbot.waitUntil(lambda: dialog.token_hint.text() == CONNECT_HELD, timeout=5000)
    submit(dialog, qtbot, zag.url)
    assert not dialog.isVisible(), dialog.error.text()
    address = serve_url(zag.url)
    host = serve_hosts.load(address, kept)
    assert (host.certificate, host.token_from) == (zag_der(zag), serve_hosts.CONNECT_FILE)
    assert TOKEN not in kept.read_text()  # zag's file is read, not copied
    assert settled(tray, address.url, qtbot).link is Link.LIVE


def test_add_host_opened_again_and_again_leaves_one_dialog(start: Start, qtbot: QtBot) -> None:
    """Each dialog has a worker thread of its own: a closed one goes when the next opens."""
    tray = start()
    for _ in range(5):
        dialog, _ = dialog_of(tray)
        dialog.alias.setText("https://127.0.0.1:2100")  # its worker at work: the look-up
        dialog.reject()
    qtbot.waitUntil(lambda: len(tray.window.findChildren(AddHostDialog)) == 1, timeout=5000)


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A port that accepts connections and never answers (a handshake that times out)."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield listening


@pytest.fixture
def plain() -> Iterator[int]:
    """A port that answers in plain HTTP, as a server without TLS would."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        listening.settimeout(0.1)
        done = threading.Event()

        def serve() -> None:
            while not done.is_set():
                try:
                    conn, _ = listening.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield listening.getsockname()[1]
        done.set()
        thread.join(5)


def test_failures_are_said_in_the_dialog_and_the_gui_goes_on_meanwhile(
    kept: Path, start: Start, qtbot: QtBot, silent: socket.socket, plain: int
) -> None:
    tray = start()
    dialog, _ = dialog_of(tray)
    assert dialog.serve is not None
    dialog.serve.timeout = 3.0  # long enough to see the event loop run meanwhile
    ticks: list[int] = []
    timer = QTimer(dialog, interval=20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    dialog.alias.setText(f"https://127.0.0.1:{silent.getsockname()[1]}")
    dialog.token.setText(TOKEN)
    dialog.ok.click()
    qtbot.waitUntil(lambda: len(ticks) >= 3, timeout=5000)
    assert not dialog.ok.isEnabled() and not dialog.error.isVisible()  # fetching, the event loop on
    qtbot.waitUntil(dialog.error.isVisible, timeout=15000)
    assert "cannot fetch its certificate (no answer in time)" in dialog.error.text()
    timer.stop()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    submit(dialog, qtbot, f"https://127.0.0.1:{closed}", TOKEN)
    assert "cannot fetch its certificate (connection refused)" in dialog.error.text()
    submit(dialog, qtbot, f"https://127.0.0.1:{plain}", TOKEN)
    assert "no TLS handshake there, is it zag serve?" in dialog.error.text()
    for url, token, said in (
        ("http://127.0.0.1:2100", TOKEN, "starts with https://"),
        ("https://127.0.0.1:2100/api", TOKEN, "nothing after"),
        ("https://127.0.0.1:2100", "two words", "That is not a token"),
    ):
        dialog.alias.setText(url)
        dialog.token.setText(token)
        dialog.ok.click()  # refused at once, before any connection
        assert said in dialog.error.text() and dialog.ok.isEnabled()
    assert "two words" not in dialog.error.text()
    assert not kept.exists()
