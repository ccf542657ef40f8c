"""Notifications through a real notification server on a real session bus (dbus-daemon),
from the real tray over real agent processes: actions that open the agent, urgency, the
body escaped where the server renders markup, one growing notification for a batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import Popen

import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from tests.dbus_session import NotificationServer
from tests.factories import stored, write_store
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.desktop.settings import Settings, save_settings
from zag_tray.ui.app import build_tray
from zag_tray.ui.tray import TrayApp

Spawn = Callable[..., "Popen[bytes]"]
HOSTILE_MODEL = "gpt-5 <i>it</i>"
HOSTILE_ROOT = '/p/<a href="https://e.x">x</a><img src="file:///e">'


class Running:
    """Running agents in a store; ``finish`` records their ends as zag does, then ends them."""

    def __init__(self, base: Path, spawn: Spawn, names: tuple[str, ...]) -> None:
        self.base = base
        self.procs = {name: spawn(name) for name in names}
        self.entries = {
            name: stored(name, pid=proc.pid, provider="codex", model=HOSTILE_MODEL, root=HOSTILE_ROOT)
            for name, proc in self.procs.items()
        }
        write_store(base, list(self.entries.values()))

    def finish(self, *ends: tuple[str, str, int | None]) -> None:
        for name, status, code in ends:
            self.entries[name].update(status=status, exit_code=code, exited_at="2026-03-28T10:04:12Z")
        write_store(self.base, list(self.entries.values()))
        for name, _, _ in ends:
            self.procs[name].kill()
            self.procs[name].wait()


@pytest.fixture
def running(base_dir: Path, agents: Spawn) -> Running:
    return Running(base_dir, agents, ("a", "b", "c"))


def start_tray(running: Running, qtbot: QtBot, settings_file: Path) -> TrayApp:
    save_settings(Settings(refresh_seconds=1.0), settings_file)
    app = build_tray(BaseDirChoice(running.base, "test"), settings_file)
    app.start()
    qtbot.waitUntil(lambda: app.observation is not None and len(app.observation.running) == 3, timeout=5000)
    return app


@pytest.fixture
def tray(
    notification_server: NotificationServer, running: Running, qtbot: QtBot, settings_file: Path
) -> Iterator[TrayApp]:
    app = start_tray(running, qtbot, settings_file)
    yield app
    app.shutdown()


def test_a_failure_is_a_critical_notification_with_its_text_escaped_for_markup(
    tray: TrayApp, running: Running, notification_server: NotificationServer, qtbot: QtBot
) -> None:
    running.finish(("b", "exited", 3))
    (sent,) = notification_server.wait_for(1, qtbot.waitUntil)
    assert sent.signature == "susssasa{sv}i"  # what the specification says: uint32, a byte...
    assert sent.hints["urgency"] == ("y", 2)
    assert sent.summary == "Agent failed"
    assert sent.body == (
        "codex · gpt-5 &lt;i&gt;it&lt;/i&gt; failed (exit 3) after 4m12s — "
        '/p/&lt;a href="https://e.x"&gt;x&lt;/a&gt;&lt;img src="file:///e"&gt;'
    )
    assert sent.actions == ["default", "Show", "show", "Show"]
    assert sent.icon.startswith("file:///") and sent.icon.endswith("/zag-tray-app.svg")  # the app's icon
    assert sent.hints["desktop-entry"] == ("s", "dev.zag_tray.ZagTray")
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # no tray here (offscreen): notified all the same


def test_a_clean_exit_is_a_normal_one(
    tray: TrayApp, running: Running, notification_server: NotificationServer, qtbot: QtBot
) -> None:
    running.finish(("a", "exited", 0))
    (sent,) = notification_server.wait_for(1, qtbot.waitUntil)
    assert sent.hints["urgency"] == ("y", 1) and sent.summary == "Agent finished"


@pytest.mark.parametrize("action", ["default", "show"])
def test_clicking_the_notification_or_show_opens_the_window_on_that_agent(
    tray: TrayApp, running: Running, notification_server: NotificationServer, qtbot: QtBot, action: str
) -> None:
    running.finish(("c", "exited", 0))
    (sent,) = notification_server.wait_for(1, qtbot.waitUntil)
    notification_server.invoke(sent.notification_id, action)
    qtbot.waitUntil(lambda: tray.window_visible() and tray.window.selected_id() == "c", timeout=5000)
    tray.window.hide()


def test_agents_ending_one_after_another_grow_one_notification(
    tray: TrayApp, running: Running, notification_server: NotificationServer, qtbot: QtBot
) -> None:
    running.finish(("a", "exited", 0))
    (first,) = notification_server.wait_for(1, qtbot.waitUntil)
    running.finish(("b", "exited", 1))
    second = notification_server.wait_for(2, qtbot.waitUntil)[1]
    assert second.replaces_id == first.notification_id == second.notification_id
    assert second.body == "2 agents ended: 1 finished, 1 failed or died"
    notification_server.close(second.notification_id)  # dismissed: what ends next is news
    qtbot.waitUntil(lambda: tray.notifier.batch_open() is False, timeout=5000)
    running.finish(("c", "exited", 0))
    third = notification_server.wait_for(3, qtbot.waitUntil)[2]
    assert third.replaces_id == 0 and third.notification_id != first.notification_id


def test_a_server_without_markup_gets_the_text_as_it_is(
    session_bus: str, running: Running, qtbot: QtBot, settings_file: Path
) -> None:
    server = NotificationServer(session_bus, capabilities=("actions", "body"))
    app = start_tray(running, qtbot, settings_file)
    try:
        running.finish(("a", "exited", 0))
        (sent,) = server.wait_for(1, qtbot.waitUntil)
        assert HOSTILE_MODEL in sent.body and HOSTILE_ROOT in sent.body
    finally:
        app.shutdown()
        server.stop()


def test_without_a_notification_server_the_icon_tells(
    session_bus: str, running: Running, qtbot: QtBot, settings_file: Path
) -> None:
    app = start_tray(running, qtbot, settings_file)
    try:
        with qtbot.waitSignal(app.notifier.balloon, timeout=5000) as told:
            running.finish(("a", "exited", 0))
        assert told.args[0] == "Agent finished" and HOSTILE_MODEL in told.args[1]
    finally:
        app.shutdown()


def test_the_tooltip_never_carries_markup_from_the_store(
    running: Running, qtbot: QtBot, settings_file: Path
) -> None:
    """waybar renders an item's tooltip as Pango markup, KDE as plain text: store text in it
    reads the same in both and never acts."""
    app = start_tray(running, qtbot, settings_file)
    try:
        shown = app.icon.toolTip()
        assert "codex · gpt-5 ‹i›it‹/i›" in shown
        assert not {"<", ">", "&"} & set(shown)
    finally:
        app.shutdown()


def test_a_server_that_answers_twice_is_still_the_server(
    session_bus: str, running: Running, qtbot: QtBot, settings_file: Path
) -> None:
    """mako answers GetCapabilities, then sends an UnknownMethod error for the same call."""
    server = NotificationServer(session_bus, answers_twice=True)
    app = start_tray(running, qtbot, settings_file)
    try:
        running.finish(("a", "exited", 0))
        (sent,) = server.wait_for(1, qtbot.waitUntil)
        assert app.notifier.through_server and sent.actions[:2] == ["default", "Show"]
    finally:
        app.shutdown()
        server.stop()
