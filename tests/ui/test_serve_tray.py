"""zag serve hosts in the tray (ui/serve_link.py), against a local server speaking zag's API
with a certificate shaped like zag's (tests/remote/zag_serve.py): the hosts pinned in the
serve-hosts.json beside the test's settings, the tray built as the app builds it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from tests.factories import stored
from tests.programs import require_tools
from tests.remote.zag_serve import FakeZagServe, make_certificate, served
from tests.ui.menus import labels
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.desktop.settings import Settings, save_settings
from zag_tray.remote import pinning, serve_hosts
from zag_tray.remote.failures import Problem
from zag_tray.remote.serve import NO_TREE
from zag_tray.remote.serve_hosts import ServeUrl, serve_url
from zag_tray.remote.state import HostState, Link
from zag_tray.ui.app import build_tray
from zag_tray.ui.icons import IconState
from zag_tray.ui.tray import TrayApp

TOKEN = "5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b"  # noqa: S105 (a test token)
HEDGE = "status as zag sees it (pid only)"


@pytest.fixture(autouse=True)
def _openssl() -> None:
    require_tools(("openssl",), "zag serve tests")


@pytest.fixture
def zag(tmp_path: Path) -> Iterator[FakeZagServe]:
    entries = [
        stored("done", minute=1, status="exited", exit_code=0, exited_at="2026-03-28T10:05:00Z"),
        stored("runs", minute=2, pid=4242, prompt="fix the parser"),
        stored("also", minute=3, pid=4243, prompt="lint"),
    ]
    yield from served(tmp_path / "tls", TOKEN, entries)


@pytest.fixture
def kept(settings_file: Path) -> Path:
    """serve-hosts.json where the tray built on ``settings_file`` reads it."""
    return settings_file.parent / serve_hosts.FILE_NAME


def keep(kept: Path, url: str, *, der: bytes | None, token: str | None = TOKEN) -> ServeUrl:
    """``url`` kept as ``zag-tray host pin`` and ``host token`` keep it."""
    address = serve_url(url)
    if der is not None:
        serve_hosts.pin(address, der, pinning.fingerprint(der), kept)
    if token is not None:
        serve_hosts.keep_token(address, token, kept)
    return address


Start = Callable[[], TrayApp]


@pytest.fixture
def start(base_dir: Path, qtbot: QtBot, settings_file: Path) -> Iterator[Start]:
    started: list[TrayApp] = []

    def start() -> TrayApp:
        save_settings(Settings(), settings_file)
        app = build_tray(BaseDirChoice(base_dir, "test"), settings_file)
        app.start()
        started.append(app)
        qtbot.waitUntil(lambda: app.observation is not None, timeout=5000)
        return app

    yield start
    while started:
        started.pop().shutdown()


def settled(tray: TrayApp, url: str, qtbot: QtBot) -> HostState:
    """``url``'s state once its first poll answered."""

    def polled() -> HostState | None:
        state = tray.remote.state_of(url)
        return state if state is not None and state.link is not Link.CONNECTING else None

    qtbot.waitUntil(lambda: polled() is not None, timeout=15000)
    state = polled()
    assert state is not None
    return state


def test_a_pinned_hosts_agents_are_in_the_menu_hedged_and_counted_in_the_icon(
    zag: FakeZagServe, kept: Path, start: Start, qtbot: QtBot
) -> None:
    url = keep(kept, zag.url, der=zag_der(zag)).url
    tray = start()
    state = settled(tray, url, qtbot)
    assert state.link is Link.LIVE and not state.status_certain
    head = f"{url}: 2 running, {HEDGE}"
    assert head in tray.icon.toolTip().splitlines()
    assert (tray.look.state, tray.look.count) == (IconState.BUSY, 2)
    menu = labels(tray)
    section = menu[menu.index(head) + 1 :]
    assert section[0].startswith("claude · sonnet — lint — ")  # newest first, as zag lists them
    assert section[1].startswith("claude · sonnet — fix the parser — ")
    actions = agent_menu(tray, "claude · sonnet — fix the parser")
    assert [(a.text(), a.isEnabled()) for a in actions] == [
        ("Stop…", True),
        ("Kill…", True),
        (NO_TREE, False),
    ]
    assert set(zag.seen.authorizations) == {f"Bearer {TOKEN}"}


def agent_menu(tray: TrayApp, prefix: str) -> list[QAction]:
    labels(tray)
    menu = next(a.menu() for a in tray.menu.actions() if a.text().startswith(prefix))
    assert menu is not None
    return list(menu.actions())


def test_kill_goes_to_zags_kill_route_and_says_its_answer(
    zag: FakeZagServe, kept: Path, start: Start, qtbot: QtBot
) -> None:
    url = keep(kept, zag.url, der=zag_der(zag)).url
    tray = start()
    settled(tray, url, qtbot)
    tray.remote_actions.confirm = lambda question: question.accept == "Kill"
    said: list[str] = []
    tray.remote_actions.message.connect(said.append)
    kill = next(a for a in agent_menu(tray, "claude · sonnet — fix the parser") if a.text() == "Kill…")
    kill.trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=15000)
    assert ("POST", "/api/v1/processes/runs/kill") in zag.seen.requests
    assert said == [f"{url}: Kill claude · sonnet: done: killed"]
    qtbot.waitUntil(lambda: tray.look.count == 1, timeout=15000)  # a poll follows the action
    state = tray.remote.state_of(url)
    assert state is not None and [a.entry.id for a in state.agents] == ["also"]
    stop = next(a for a in agent_menu(tray, "claude · sonnet — lint") if a.text() == "Stop…")
    zag.fail = "Process also is not running (status: exited)"
    stop.trigger()  # no question for a stop
    qtbot.waitUntil(lambda: len(said) == 2, timeout=15000)
    assert said[1] == (
        f"{url}: Stop claude · sonnet: zag serve answered with an error "
        "(Process also is not running (status: exited))"
    )


def test_a_changed_certificate_is_shown_never_accepted_and_gets_no_token(
    zag: FakeZagServe, kept: Path, start: Start, qtbot: QtBot, tmp_path: Path
) -> None:
    other = make_certificate(tmp_path / "other").der()
    url = keep(kept, zag.url, der=other).url
    tray = start()
    state = settled(tray, url, qtbot)
    assert (state.link, state.problem) == (Link.OFFLINE, Problem.CERTIFICATE)
    line = f"{url}: offline (its certificate is not the pinned one)"
    assert line in tray.icon.toolTip().splitlines()
    menu = labels(tray)
    said = menu[menu.index(line) + 1 : menu.index(line) + 6]  # what was said, a line at a time
    for shown in (pinning.fingerprint(other), pinning.fingerprint(zag_der(zag))):
        assert any(shown in each for each in said), (shown, said)  # whole, to compare with openssl's
    assert zag.seen.requests == [] and zag.seen.authorizations == []  # refused before a request
    assert serve_hosts.load(serve_url(url), kept).certificate == other  # and still the pin
    assert not any(label.startswith("Sign in") for label in menu)


def test_failures_are_each_hosts_one_line_state(
    zag: FakeZagServe, kept: Path, start: Start, qtbot: QtBot
) -> None:
    refused = keep(kept, zag.url, der=zag_der(zag), token="not-the-token").url  # noqa: S106
    unpinned = keep(kept, "https://localhost:9", der=None).url
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    gone = keep(kept, f"https://127.0.0.1:{port}", der=zag_der(zag)).url  # nobody listens there
    tray = start()
    for url in (refused, unpinned, gone):
        settled(tray, url, qtbot)
    lines = tray.icon.toolTip().splitlines()
    assert f"{refused}: offline (its token was refused (401))" in lines
    assert f"{unpinned}: offline (its certificate is not pinned yet (zag-tray host pin URL))" in lines
    assert f"{gone}: offline (unreachable)" in lines
    zag.fail = "boom"
    serve_hosts.keep_token(serve_url(refused), TOKEN, kept)  # given while the tray runs: used
    tray.remote.serve.links[refused].poll()
    qtbot.waitUntil(
        lambda: f"{refused}: offline (zag serve answered with an error)" in tray.icon.toolTip().splitlines(),
        timeout=15000,
    )
    assert "boom" in labels(tray)


def test_a_host_pinned_while_the_tray_runs_is_polled_and_one_forgotten_goes(
    zag: FakeZagServe, kept: Path, start: Start, qtbot: QtBot
) -> None:
    tray = start()
    address = keep(kept, zag.url, der=zag_der(zag))
    settled(tray, address.url, qtbot)
    qtbot.waitUntil(lambda: tray.look.count == 2, timeout=5000)
    serve_hosts.forget(address, kept)
    qtbot.waitUntil(lambda: tray.remote.state_of(address.url) is None, timeout=5000)
    assert tray.look.state is IconState.IDLE and address.url not in tray.icon.toolTip()


def zag_der(zag: FakeZagServe) -> bytes:
    return pinning.fetch_certificate("127.0.0.1", zag.port)
