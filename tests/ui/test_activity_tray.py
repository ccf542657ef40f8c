"""What the tray says an agent is doing (issue 15), from real running agents whose session logs
are appended to while the tray runs: the icon's "needs you" state, the tooltip, the menu, the
"waiting" notification. Nothing here writes the store after the start: each change reaches
the tray through the log's file-system event, or through the clock alone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import Popen

import pytest
from pytestqt.qtbot import QtBot

from tests.dbus_session import NotificationServer
from tests.factories import LoggedAgents
from tests.ui.menus import labels
from zag_tray.agents.text import short_path
from zag_tray.desktop.paths import BaseDirChoice
from zag_tray.desktop.settings import Settings, save_settings
from zag_tray.ui.app import build_tray
from zag_tray.ui.icons import IconState
from zag_tray.ui.tray import TrayApp

Spawn = Callable[..., "Popen[bytes]"]
Start = Callable[..., TrayApp]


@pytest.fixture
def logged(base_dir: Path, agents: Spawn) -> LoggedAgents:
    return LoggedAgents(base_dir, agents)


@pytest.fixture
def start(logged: LoggedAgents, qtbot: QtBot, settings_file: Path) -> Iterator[Start]:
    started: list[TrayApp] = []

    def start(settings: Settings | None = None) -> TrayApp:
        save_settings(settings or Settings(), settings_file)
        app = build_tray(BaseDirChoice(logged.base, "test"), settings_file)
        app.watcher.set_liveness_interval(3_600_000)  # the logs' events and the clock drive it
        app.start()
        started.append(app)
        qtbot.waitUntil(
            lambda: app.observation is not None and len(app.observation.running) == len(logged.procs),
            timeout=5000,
        )
        return app

    yield start
    for app in started:
        app.shutdown()


def test_a_turn_that_ends_turns_the_icon_to_needs_you_and_a_new_prompt_turns_it_back(
    logged: LoggedAgents, start: Start, qtbot: QtBot
) -> None:
    root = "/srv/proj"
    log = logged.start("a", "run", root=root, prompt="fix the parser")
    log.user_message("fix the parser")
    logged.start("b")
    tray = start()
    assert tray.look.state is IconState.BUSY and tray.look.count == 2
    log.assistant_message("Done: the parser is fixed.")
    log.turn_complete(1)
    qtbot.waitUntil(lambda: tray.look.state is IconState.NEEDS_YOU, timeout=5000)
    assert tray.look.count == 1  # the agents that need you, not the running ones
    waiting = f"1 waiting for you: claude · sonnet — {short_path(root)}"
    assert tray.icon.toolTip().splitlines()[1] == waiting
    menu = labels(tray)
    assert menu[1] == waiting
    agent = next(label for label in menu if label.startswith("claude · sonnet — waiting"))
    assert agent.startswith("claude · sonnet — waiting for you · ") and agent.endswith(" — fix the parser")
    log.user_message("now the lexer")
    qtbot.waitUntil(lambda: tray.look.state is IconState.BUSY, timeout=5000)
    assert tray.look.count == 2 and "waiting" not in tray.icon.toolTip()


def test_a_tool_pending_30_s_may_be_an_approval_and_the_clock_alone_shows_it(
    logged: LoggedAgents, start: Start, qtbot: QtBot
) -> None:
    log = logged.start("a", "run")
    log.tool_call("Bash", "t1", {"command": "cargo test"}, at=time.time() - 28.5)
    tray = start()
    assert tray.look.state is IconState.BUSY
    assert any(label.startswith("claude · sonnet — running Bash · 2") for label in labels(tray))
    qtbot.waitUntil(lambda: tray.look.state is IconState.NEEDS_YOU, timeout=5000)  # no line written
    assert tray.icon.toolTip().splitlines()[1] == "1 may be waiting for you: claude · sonnet"
    assert any("running Bash or waiting for your approval · " in label for label in labels(tray))
    log.tool_result("t1", "ok")
    qtbot.waitUntil(lambda: tray.look.state is IconState.BUSY, timeout=5000)


def test_a_log_that_appears_after_its_agent_is_found_without_a_store_change(
    logged: LoggedAgents, start: Start, qtbot: QtBot
) -> None:
    log = logged.start("a", log=False)
    tray = start()
    assert tray.observation is not None and tray.observation.followed_logs == frozenset()
    log.session_started("exec")
    log.user_message("hello")
    qtbot.waitUntil(lambda: str(log.path) in tray.watcher.watched(), timeout=5000)
    qtbot.waitUntil(lambda: any(" — working · " in label for label in labels(tray)), timeout=5000)


def test_only_the_running_agents_logs_are_watched(logged: LoggedAgents, start: Start, qtbot: QtBot) -> None:
    first, second = logged.start("a"), logged.start("b")
    tray = start()
    assert {str(first.path), str(second.path)} <= set(tray.watcher.watched())
    logged.end("a")  # its process exits: the tray sees it, and stops following its log
    qtbot.waitUntil(lambda: str(first.path) not in tray.watcher.watched(), timeout=5000)
    assert str(second.path) in tray.watcher.watched()


def test_waiting_is_a_notification_that_opens_the_agent_and_grows_for_the_next(
    logged: LoggedAgents, start: Start, notification_server: NotificationServer, qtbot: QtBot
) -> None:
    root = "/srv/proj"
    a, b = logged.start("a", "run", root=root), logged.start("b", "run")
    tray = start()
    a.turn_complete(1)
    (sent,) = notification_server.wait_for(1, qtbot.waitUntil)
    assert sent.summary == "Agent waiting for you" and sent.hints["urgency"] == ("y", 1)
    assert sent.body.startswith("claude · sonnet: waiting for you since ")
    assert sent.body.endswith(f" — {short_path(root)}")
    notification_server.invoke(sent.notification_id, "default")
    qtbot.waitUntil(lambda: tray.window_visible() and tray.window.selected_id() == "a", timeout=5000)
    tray.window.hide()
    b.turn_complete(1)
    second = notification_server.wait_for(2, qtbot.waitUntil)[1]
    assert second.replaces_id == sent.notification_id  # one notification, grown
    assert second.body == "2 agents waiting for you: claude · sonnet, claude · sonnet"


def test_rate_limits_and_stalls_are_shown_not_announced_and_waiting_has_its_own_setting(
    logged: LoggedAgents, start: Start, notification_server: NotificationServer, qtbot: QtBot
) -> None:
    limited, stalled, waiting = logged.start("a", "run"), logged.start("b", "run"), logged.start("c", "run")
    stalled.heartbeat(at=time.time() - 29.5)
    tray = start(Settings(notify_waiting=False))
    limited.usage_limit_hit("i1", reset_at="2099-01-01T00:00:00+00:00")
    waiting.turn_complete(1)
    qtbot.waitUntil(lambda: tray.look.state is IconState.NEEDS_YOU, timeout=5000)
    qtbot.waitUntil(lambda: any("stalled: no heartbeat" in label for label in labels(tray)), timeout=5000)
    assert any(" — rate-limited until " in label for label in labels(tray))
    assert tray.notices == [] and notification_server.received == []
