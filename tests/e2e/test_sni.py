"""The real app on a StatusNotifierItem desktop (KDE, GNOME with AppIndicator, Xfce, waybar use
this protocol): a real session bus, status-notifier-watcher and gtk-sni-tray-standalone on
Xvfb. The tests talk to the tray's item and its DBusMenu exactly as a host does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import psutil
import pytest

from tests.dbus_session import NotificationServer
from tests.e2e.conftest import SCREEN, Display, RunningApp
from tests.factories import wait_for, write_store
from tests.programs import require_tools
from tests.session_logs import SessionLog, log_path
from tests.sni import TOOLS, Bus, Item, find_item, menu_items, start_sni_host
from zag_tray.agents.present import AMBER

StartApp = Callable[[], RunningApp]


def require_sni_tools() -> None:
    """Skipped without the SNI host's tools, except under CI=true, where that fails the run."""
    require_tools(TOOLS, "SNI tests")


@pytest.fixture
def sni_bus(display: Display, session_bus: str) -> Iterator[Bus]:
    """A session bus with a StatusNotifierWatcher and a host on the display."""
    require_sni_tools()
    bus = Bus(session_bus)
    host = start_sni_host(display.env, bus)
    yield bus
    host.stop()
    bus.close()


def item_of(app: RunningApp, bus: Bus) -> Item:
    return find_item(bus, app.proc.pid)


def test_the_item_registers_and_activate_opens_the_window(
    display: Display, sni_bus: Bus, start_app: StartApp
) -> None:
    app = start_app()
    item = item_of(app, sni_bus)
    assert item.name in [entry.split("/", 1)[0] for entry in sni_bus.registered_items()]
    wait_for("the icon in the host", lambda: display.visible_windows("zag-tray") or True)
    display.screenshot("sni-icon", crop=(0, 0, 1280, 40))
    display.click(16, 16, button=3)  # the host's own rendering of the item's DBusMenu
    wait_for("the host's menu", lambda: _painted_menu(display), timeout=10)
    display.screenshot("sni-menu")
    display.key("Escape")
    item.activate()  # a left click: the host has its own menu, so it opens the window
    wait_for("the window", lambda: app.state().get("window_visible"), timeout=10)
    wait_for("the window on screen", lambda: display.visible_windows("zag-tray — agents"))


def test_kill_from_the_hosts_menu_ends_a_real_agent(
    display: Display, sni_bus: Bus, start_app: StartApp
) -> None:
    app = start_app()
    item = item_of(app, sni_bus)
    victim = psutil.Process(app.pid_of("gemini"))
    items = list(menu_items(item.layout()))
    labels = [props.get("label", "") for _, _, props in items]
    assert labels[1] == "4 agents running (2 claude, 1 codex, 1 gemini)"
    gemini = next(
        i for i, (_, _, props) in enumerate(items) if str(props.get("label", "")).startswith("gemini · pro")
    )
    depth = items[gemini][0]
    kill = next(
        item_id
        for d, item_id, props in items[gemini + 1 :]
        if d == depth + 1 and props.get("label") == "Kill…"
    )
    item.click(kill)
    wait_for("the confirmation", lambda: display.visible_windows("Kill agent"), timeout=10)
    display.screenshot("sni-confirm-kill")
    display.key("alt+k")
    wait_for("the agent to end", lambda: not _alive(victim), timeout=10)
    wait_for("the store to say killed", lambda: _status_of(app, victim.pid) == "killed", timeout=10)


def test_a_notification_with_a_default_action_opens_the_window_on_its_agent(
    display: Display, sni_bus: Bus, session_bus: str, start_app: StartApp
) -> None:
    server = NotificationServer(session_bus)
    try:
        app = start_app()
        item_of(app, sni_bus)
        victim = app.pid_of("codex")
        entries = app.agents.entries
        ended = next(e for e in entries if e["pid"] == victim)
        ended.update(status="exited", exit_code=0, exited_at="2026-12-07T10:00:00+00:00")
        write_store(app.agents.base, entries)
        psutil.Process(victim).kill()
        wait_for("a notification", lambda: server.received, timeout=15)
        sent = server.received[-1]
        assert "default" in sent.actions[::2] and sent.hints["urgency"] == ("y", 1)
        assert sent.body.startswith("codex · gpt-5 finished (exit 0)")
        server.invoke(sent.notification_id, "default")
        wait_for(
            "the window on that agent", lambda: app.state().get("window_selected") == ended["id"], timeout=10
        )
        assert app.state()["window_visible"]
    finally:
        server.stop()


def test_a_host_that_starts_later_is_used(display: Display, session_bus: str, start_app: StartApp) -> None:
    """Qt picks the StatusNotifierItem protocol only at start: the app starts again, in place."""
    require_sni_tools()
    app = start_app()
    wait_for("the window", lambda: app.state().get("window_note", "").startswith("No system tray"))
    bus = Bus(session_bus)
    host = start_sni_host(display.env, bus)
    try:
        item = find_item(bus, app.proc.pid)  # the same process, started again
        assert item.name in [entry.split("/", 1)[0] for entry in bus.registered_items()]
        wait_for(
            "the window again, with no note",
            lambda: app.state().get("window_visible") and not app.state().get("window_note"),
            timeout=10,
        )
    finally:
        host.stop()
        bus.close()


def test_an_agent_whose_turn_ends_turns_the_icon_to_needs_you_and_the_menu_says_it_waits(
    display: Display, sni_bus: Bus, start_app: StartApp
) -> None:
    app = start_app()
    item = item_of(app, sni_bus)
    gemini = next(e for e in app.agents.entries if e["provider"] == "gemini" and e["status"] == "running")
    log = SessionLog(log_path(app.agents.base, gemini["root"], gemini["session_id"]), provider="gemini")
    log.session_started("review", "pro")
    log.user_message(gemini["prompt"])
    wait_for("the agent's log followed", lambda: _label_of(item, "gemini · pro — working"), timeout=20)
    assert _amber_pixels(display) == 0
    log.assistant_message("The diff looks right; one nit in lexer.rs.")
    log.turn_complete(1, {"input_tokens": 1200, "output_tokens": 300})
    wait_for(
        "the needs-you icon", lambda: app.state().get("icon", {}).get("state") == "needs_you", timeout=10
    )
    waiting = "1 waiting for you: gemini · pro — ~/.zag/projects/parser"  # the app's home is the test's
    labels = [str(props.get("label", "")) for _, _, props in menu_items(item.layout())]
    assert labels[2] == waiting  # under the header, as the host shows the menu
    assert _label_of(item, "gemini · pro — waiting for you since ")
    assert waiting in app.state()["tooltip"].splitlines()
    wait_for("the host to draw the needs-you icon", lambda: _amber_pixels(display) > 20, timeout=10)
    display.screenshot("sni-needs-you", crop=(0, 0, 120, 40))  # the host puts items at the left


def _label_of(item: Item, start: str) -> str | None:
    """The label of the host's menu starting with ``start``, if any."""
    labels = (str(props.get("label", "")) for _, _, props in menu_items(item.layout()))
    return next((label for label in labels if label.startswith(start)), None)


def _amber_pixels(display: Display) -> int:
    """Pixels near the needs-you colour in the panel, where the host draws the icon."""
    shot = display.screenshot("sni-panel", crop=(0, 0, SCREEN[0], 40))
    histogram = display.run(
        "convert",
        str(shot),
        "-fuzz",
        "12%",
        "-fill",
        "black",
        "+opaque",
        AMBER,
        "-fill",
        "white",
        "-opaque",
        AMBER,
        "-format",
        "%[fx:mean*w*h]",
        "info:",
    )
    return round(float(histogram.strip() or 0))


def _painted_menu(display: Display) -> bool:
    """Is a popup wider than the panel drawn with more than a few colours (a GTK menu with text)?"""
    for line in display.tree().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("0x") and "x" in parts[-2]:
            width, height = (int(v) for v in parts[-2].split("+")[0].split("x"))
            if width > 200 and height > 100 and "gtk-sni-tray" in line:
                window = parts[0]
                count = display.run(
                    "import", "-window", window, "-format", "%k", "info:", check=False
                ).strip()
                if count.isdigit() and int(count) > 8:
                    return True
    return False


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _status_of(app: RunningApp, pid: int) -> str:
    return str(
        next(e["status"] for e in json.loads(app.agents.store.read_bytes())["processes"] if e["pid"] == pid)
    )
