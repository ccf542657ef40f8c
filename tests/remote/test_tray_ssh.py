"""The tray watching a real host (issue 17, phase 2): the sshd and users of tests/remote, the
tray built as the app builds it, its ssh the system's with the tests' ssh_config."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.factories import entries_in
from tests.remote.conftest import Remote
from tests.remote.sshd import Link, an_agent
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.desktop.settings import HostEntry, Settings, save_settings
from zag_tray.remote.state import Link as HostLink
from zag_tray.ui.app import build_tray
from zag_tray.ui.tray import TrayApp

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def tray_of(
    remote: Remote, base_dir: Path, tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    for name in ("ZAG_TRAY_SSH_CONFIG", "ZAG_TRAY_CONTROL_DIR"):
        monkeypatch.setenv(name, remote.env[name])
    started: list[TrayApp] = []

    def start(alias: str) -> TrayApp:
        settings_file = tmp_path / "settings.json"
        save_settings(Settings(hosts=(HostEntry(alias),)), settings_file)
        app = build_tray(BaseDirChoice(base_dir, "test"), settings_file)
        app.start()
        started.append(app)
        return app

    gc.disable()  # collected on the GUI thread only, as the tray does (tests/ui/conftest.py)
    yield start
    while started:
        started.pop().shutdown()
    gc.enable()
    gc.collect()


def state(tray: TrayApp, alias: str) -> tuple[HostLink, list[str]]:
    host = tray.remote.state_of(alias)
    assert host is not None
    return host.link, [a.entry.id for a in host.agents]


def test_a_kill_from_the_tray_ends_the_remote_process_and_its_store_says_killed(
    remote: Remote, tray_of: object, qtbot: QtBot
) -> None:
    proc, entry = an_agent(remote.user, "tray-kill-1")
    store = remote.user.store([entry])
    try:
        tray = tray_of("zt-test")  # type: ignore[operator]
        qtbot.waitUntil(lambda: state(tray, "zt-test") == (HostLink.LIVE, ["tray-kill-1"]), timeout=20000)
        assert tray.look.count == 1
        tray.remote_actions.confirm = lambda question: True
        said: list[str] = []
        tray.remote_actions.message.connect(said.append)
        tray.remote_actions.act("\x1f".join(("kill", "zt-test", "tray-kill-1")))
        qtbot.waitUntil(lambda: bool(said), timeout=30000)
        assert said[0].startswith("zt-test: Kill claude · sonnet: done"), said
        assert proc.wait(10) is not None
        assert entries_in(store)["tray-kill-1"]["status"] == "killed"
        qtbot.waitUntil(lambda: state(tray, "zt-test") == (HostLink.LIVE, []), timeout=20000)
        qtbot.waitUntil(lambda: len(tray.notices) == 1, timeout=5000)  # the live stream saw it end
        assert tray.notices[0].title.endswith(" on zt-test")
    finally:
        proc.kill()
        proc.wait()


def test_a_cut_link_shows_the_host_offline_within_10_s_and_it_recovers_without_a_notification(
    remote: Remote, link: Link, tray_of: object, qtbot: QtBot
) -> None:
    proc, entry = an_agent(remote.user, "tray-cut-1")
    remote.user.store([entry])
    try:
        tray = tray_of("zt-ns")  # type: ignore[operator]
        qtbot.waitUntil(lambda: state(tray, "zt-ns") == (HostLink.LIVE, ["tray-cut-1"]), timeout=20000)
        link.cut()
        cut = time.monotonic()
        qtbot.waitUntil(lambda: state(tray, "zt-ns")[0] is HostLink.OFFLINE, timeout=15000)
        assert time.monotonic() - cut < 10
        assert state(tray, "zt-ns")[1] == ["tray-cut-1"]  # its last snapshot, greyed
        assert any(line.startswith("zt-ns: offline") for line in tray.icon.toolTip().splitlines())
        link.restore()
        qtbot.waitUntil(lambda: state(tray, "zt-ns") == (HostLink.LIVE, ["tray-cut-1"]), timeout=40000)
        assert tray.notices == []
    finally:
        proc.kill()
        proc.wait()
