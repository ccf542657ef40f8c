"""The real app in a real X session with a real tray host, driven by mouse and keyboard."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psutil

from tests.conftest import HANDLER_AGENT
from tests.e2e.conftest import Display, RunningApp, start_trayer
from tests.factories import make_entry, wait_for, write_store
from zag_tray.demo import spawn_agent
from zag_tray.desktop.settings import SETTINGS_NAME, Settings, save_settings

StartApp = Callable[[], RunningApp]
BADGE_BLUE = "#1F6FEB"
NESTED = [
    [0, "claude · opus", "running"],
    [1, "gemini · pro", "running"],
    [1, "codex · gpt-5", "running"],
    [2, "claude · sonnet", "running"],
]


def embedded_icon(display: Display) -> tuple[int, int, int, int] | None:
    """Where the zag-tray window sits inside trayer's panel (XEmbed done), in screen coordinates."""
    lines = display.tree().splitlines()
    for i, line in enumerate(lines):
        if '("panel" "trayer")' in line:
            indent = len(line) - len(line.lstrip())
            for child in lines[i + 1 :]:
                if len(child) - len(child.lstrip()) <= indent:
                    break
                if '"zag-tray"' in child:
                    size, absolute = child.split()[-2:]  # "22x30+0+0" "+1257+1"
                    width, height = (int(v) for v in size.split("+")[0].split("x"))
                    x, y = (int(v) for v in absolute.split("+")[1:])
                    return (x, y, width, height) if width > 1 else None
    return None


def icon_centre(display: Display) -> tuple[int, int]:
    x, y, w, h = wait_for("the icon in the tray host", lambda: embedded_icon(display))
    return x + w // 2, y + h // 2


def popup_menu(display: Display) -> bool:
    """Is a zag-tray popup (a mapped window of the app's class, wider than the icon) on screen?"""
    found = display.run("xdotool", "search", "--onlyvisible", "--class", "zag-tray", check=False).split()
    for window in found:
        info = display.run("xwininfo", "-id", window, check=False)
        width = next(
            (int(line.split()[-1]) for line in info.splitlines() if line.strip().startswith("Width:")), 0
        )
        if width > 100:
            return True
    return False


def painted(display: Display, name: str) -> bool:
    """Is the visible window titled ``name`` drawn? (Before Qt paints it, it is one flat colour.)"""
    for window in display.visible_windows(name):
        count = display.run("import", "-window", window, "-format", "%k", "info:", check=False).strip()
        if count.isdigit() and int(count) > 16:
            return True
    return False


def colours(path: str, display: Display) -> str:
    return display.run("convert", path, "-format", "%c", "histogram:info:-").upper()


def test_icon_embeds_in_the_tray_and_shows_the_running_count(
    display: Display, tray_host: object, start_app: StartApp
) -> None:
    app = start_app()
    wait_for("the icon in the tray host", lambda: embedded_icon(display), timeout=10)
    state = app.state()
    assert state["icon"] == {"state": "busy", "count": 4, "attention": False}
    assert state["tooltip"].splitlines()[0] == "zag-tray: 4 agents running (1 top-level)"
    x, y, w, h = wait_for("the icon in the tray host", lambda: embedded_icon(display))

    def badge_drawn() -> bool:  # the host repaints the embedded icon in its own time
        shot = display.screenshot("tray", crop=(x, y, w, h))
        return BADGE_BLUE in colours(str(shot), display)

    wait_for("the count badge drawn in the tray", badge_drawn)
    display.screenshot("tray-wide", crop=(1280 - 200, 0, 200, 40))


def test_right_click_menu_kills_an_agent_from_the_keyboard(
    display: Display, tray_host: object, start_app: StartApp
) -> None:
    app = start_app()
    wait_for("the icon in the tray host", lambda: embedded_icon(display))
    victim = psutil.Process(app.pid_of("gemini"))
    x, y = icon_centre(display)
    display.click(x, y, button=3)
    wait_for("the menu", lambda: popup_menu(display))
    display.screenshot("menu")
    # Header (disabled, skipped) -> the orchestrator's submenu -> past its seven actions to the
    # newest worker (gemini) -> its submenu -> Details, Open root, Terminal here, Copy ID, Stop, Kill…
    display.key("Down", "Right", *["Down"] * 7, "Right", *["Down"] * 5)
    display.screenshot("menu-kill")
    display.key("Return")
    wait_for("the confirmation", lambda: display.visible_windows("Kill agent"))
    display.screenshot("confirm-kill")
    display.key("alt+k")
    wait_for("the agent to end", lambda: not _alive(victim), timeout=10)
    stored = json.loads(app.agents.store.read_bytes())["processes"]
    assert next(e for e in stored if e["pid"] == victim.pid)["status"] == "killed"
    assert sum(1 for e in stored if e["status"] == "running") == 3
    wait_for("the badge to say 3", lambda: app.state()["icon"]["count"] == 3)


def test_an_agent_that_ignores_sigterm_stays_until_force_kill_from_the_same_menu(
    display: Display, tray_host: object, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    wait_for("the icon in the tray host", lambda: embedded_icon(display))
    ready, marker = tmp_path / "stubborn.ready", tmp_path / "stubborn.signal"
    argv = [sys.executable, "-c", HANDLER_AGENT, str(ready), str(marker), "SIGTERM", "ignore"]
    stubborn = spawn_agent("stubborn", argv)
    try:
        wait_for("the stubborn agent", ready.exists)
        stubborn_entry = make_entry(
            pid=stubborn.pid, entry_id="stubborn", provider="ollama", root=str(tmp_path)
        )
        entries = [*app.agents.entries, stubborn_entry]
        write_store(app.agents.base, entries)
        wait_for("five agents", lambda: app.state()["icon"]["count"] == 5, timeout=10)
        x, y = icon_centre(display)
        display.click(x, y, button=3)
        wait_for("the menu", lambda: popup_menu(display))
        # Header -> the newest agent (the stubborn one) -> its submenu -> down to Kill…
        display.key("Down", "Right", *["Down"] * 5)
        display.screenshot("menu-kill-stubborn")
        display.key("Return")
        wait_for("the confirmation", lambda: display.visible_windows("Kill agent"))
        display.key("alt+k")
        wait_for("SIGTERM to reach it", lambda: marker.exists() and marker.read_text() == "SIGTERM")
        wait_for(
            "it to show as still running after SIGTERM",
            lambda: ["ollama · sonnet", "still running after SIGTERM"] in app.state()["running"],
            timeout=15,
        )
        assert app.state()["icon"]["count"] == 5 and stubborn.poll() is None
        assert stored_status(app, "stubborn") == "running"  # recorded killed only once it is gone
        display.screenshot("told-still-running")
        # The tray said so in a balloon over its icon (no notification server here): let it go.
        wait_for("the balloon to go", lambda: not popup_menu(display), timeout=15)
        display.click(x, y, button=3)
        wait_for("the menu again", lambda: popup_menu(display))
        display.key("Down", "Right", *["Down"] * 6)  # past Kill… to Force kill…, now last
        display.screenshot("menu-still-running")
        display.key("Return")
        wait_for("the force-kill question", lambda: display.visible_windows("Force kill"))
        display.screenshot("confirm-force-kill")
        display.key("alt+f")
        wait_for("the agent to end", lambda: stubborn.poll() is not None, timeout=10)
        wait_for("the store to say killed", lambda: stored_status(app, "stubborn") == "killed", timeout=10)
        wait_for("the badge to say 4", lambda: app.state()["icon"]["count"] == 4)
    finally:
        if stubborn.poll() is None:
            stubborn.kill()
        stubborn.wait()


def stored_status(app: RunningApp, entry_id: str) -> str:
    return str(
        next(
            e["status"] for e in json.loads(app.agents.store.read_bytes())["processes"] if e["id"] == entry_id
        )
    )


def test_double_click_opens_the_window_with_the_nested_tree(
    display: Display, tray_host: object, start_app: StartApp
) -> None:
    # The window stays open at the end: the teardown's SIGTERM must still quit the app.
    app = start_app()
    wait_for("the icon in the tray host", lambda: embedded_icon(display))
    x, y = icon_centre(display)
    display.click(x, y, repeat=2)
    wait_for("the window", lambda: display.visible_windows("zag-tray — agents"))
    wait_for("the window to report itself", lambda: app.state().get("window_visible"))
    assert app.state()["window_rows"] == NESTED  # observed before the double click
    wait_for("the window to be painted", lambda: painted(display, "zag-tray — agents"))
    display.screenshot("window")


def test_closed_window_goes_to_the_tray_and_opens_again(
    display: Display, tray_host: object, start_app: StartApp
) -> None:
    """Ctrl+W hides the window to the tray (its native window is given back); a double click
    on the icon brings it back with the same tree."""
    app = start_app()
    wait_for("the icon in the tray host", lambda: embedded_icon(display))
    x, y = icon_centre(display)
    display.click(x, y, repeat=2)
    wait_for("the window", lambda: display.visible_windows("zag-tray — agents"))
    [window] = display.visible_windows("zag-tray — agents")
    display.run("xdotool", "windowfocus", "--sync", window)
    display.key("ctrl+w")
    wait_for("the window to close", lambda: not display.visible_windows("zag-tray — agents"))
    assert app.proc.poll() is None  # closing the window does not quit the tray
    display.click(x, y, repeat=2)
    wait_for("the window again", lambda: display.visible_windows("zag-tray — agents"))
    wait_for("the window to report itself", lambda: app.state().get("window_visible"))
    assert app.state()["window_rows"] == NESTED
    wait_for("the window to be painted", lambda: painted(display, "zag-tray — agents"))
    display.screenshot("window-again")


def test_store_changes_from_another_process_show(
    display: Display, tray_host: object, start_app: StartApp, tmp_path: Path
) -> None:
    # Liveness passes a minute apart (in the app's home, see start_app): changes show through
    # file-system events.
    save_settings(Settings(refresh_seconds=60.0), tmp_path / "home" / ".config" / "zag-tray" / SETTINGS_NAME)
    app = start_app()
    wait_for("the first count", lambda: app.state()["icon"]["count"] == 4)
    newcomer = spawn_agent("newcomer")
    try:
        entries = [*app.agents.entries, make_entry(pid=newcomer.pid, entry_id="newcomer", provider="ollama")]
        write_store(app.agents.base, entries)  # zag's way: temp file, then rename
        wait_for("the new agent", lambda: app.state()["icon"]["count"] == 5, timeout=10)
        newcomer.terminate()
        newcomer.wait()
        entries[-1].update(status="exited", exit_code=0, exited_at="2026-11-25T10:00:00+00:00")
        write_store(app.agents.base, entries)
        wait_for("the finished agent to go", lambda: app.state()["icon"]["count"] == 4, timeout=10)
    finally:
        if newcomer.poll() is None:
            newcomer.kill()
            newcomer.wait()


def test_without_a_tray_host_the_window_shows(display: Display, start_app: StartApp) -> None:
    app = start_app()
    wait_for("the window", lambda: display.visible_windows("zag-tray — agents"))
    wait_for("the nested tree in the window", lambda: app.state().get("window_rows") == NESTED)
    state = app.state()
    assert state["tray_available"] is False and state["window_visible"] is True
    wait_for("the window to be painted", lambda: painted(display, "zag-tray — agents"))
    display.screenshot("no-tray-window")


def test_a_tray_host_that_starts_later_takes_the_window_back(display: Display, start_app: StartApp) -> None:
    app = start_app()
    wait_for("the window", lambda: app.state().get("window_note", "").startswith("No system tray"))
    trayer = start_trayer(display)
    try:
        wait_for("the icon in the late tray host", lambda: embedded_icon(display), timeout=10)
        wait_for("the note to go", lambda: app.state().get("window_note") == "", timeout=10)
        [window] = display.visible_windows("zag-tray — agents")
        display.run("xdotool", "windowfocus", "--sync", window)
        display.key("ctrl+w")
        wait_for("the window to close", lambda: not display.visible_windows("zag-tray — agents"))
        assert app.proc.poll() is None  # closing hides it to the tray now: the app runs on
    finally:
        trayer.terminate()
        trayer.wait()


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_a_second_tray_shows_the_first_ones_window_and_exits(
    display: Display, tray_host: object, start_app: StartApp
) -> None:
    app = start_app()
    wait_for("the icon in the tray host", lambda: embedded_icon(display))
    assert app.state()["window_visible"] is False
    second = subprocess.run(app.argv, env=app.env, capture_output=True, text=True, timeout=30, check=False)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout
    wait_for("the first tray's window", lambda: display.visible_windows("zag-tray — agents"))
    wait_for("the first tray to say so", lambda: app.state().get("window_visible") is True)


def test_a_tray_killed_with_sigkill_does_not_block_the_next(
    display: Display, tray_host: object, start_app: StartApp
) -> None:
    app = start_app()
    wait_for("the icon in the tray host", lambda: embedded_icon(display))
    app.crashed = True
    app.proc.send_signal(signal.SIGKILL)
    app.proc.wait()
    app.state_file.unlink()
    with (app.state_file.parent / "next.log").open("wb") as log:
        successor = subprocess.Popen(app.argv, env=app.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for("the new tray's first observation", lambda: app.state().get("observed"), timeout=10)
            assert successor.poll() is None  # it runs: it did not take itself for a second instance
            wait_for("the new icon in the tray host", lambda: embedded_icon(display))
        finally:
            successor.send_signal(signal.SIGTERM)
            assert successor.wait(timeout=10) == 0
