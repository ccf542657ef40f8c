"""The real app on Wayland: a headless sway compositor with waybar, whose tray module is the
StatusNotifierWatcher and host, on a real session bus; the app runs with Qt's wayland platform.

sway refuses to run as root, so under root it runs as the unprivileged user 65534 (nobody) with
a runtime folder of its own; everything else (the bus, waybar, the app, grim) is the test's
user, reaching sway's socket by its absolute path in WAYLAND_DISPLAY. There is no input device:
the test clicks as the host does, over D-Bus.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, RunningApp, app_starter
from tests.factories import wait_for
from tests.programs import end_process, require_tools
from tests.sni import WATCHER, Bus, find_item, menu_items

TOOLS = ("sway", "swaymsg", "waybar", "grim", "convert", "setpriv")
NOBODY = 65534
BAR_HEIGHT = 30
SWAY_CONFIG = """xwayland disable
output HEADLESS-1 resolution 1024x600
"""
WAYBAR_CONFIG = {
    "layer": "top",
    "position": "top",
    "height": BAR_HEIGHT,
    "modules-right": ["tray"],
    "tray": {"icon-size": 22, "spacing": 8},
}


@dataclass
class Wayland:
    """A running sway (headless) with waybar on the test's session bus."""

    env: dict[str, str]
    """The environment of a Wayland client on this desktop."""

    def screenshot(self, name: str, *, bar_only: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        area = ["-g", f"0,0 1024x{BAR_HEIGHT}"] if bar_only else []
        subprocess.run(["grim", *area, str(path)], env=self.env, check=True, timeout=20)
        return path

    def windows(self) -> list[dict[str, Any]]:
        """The compositor's mapped, visible windows (swaymsg get_tree): app_id, name, rect."""
        sockets = list(Path(self.env["WAYLAND_DISPLAY"]).parent.glob("sway-ipc.*.sock"))
        if not sockets:
            return []
        out = subprocess.run(
            ["swaymsg", "-s", str(sockets[0]), "-t", "get_tree", "-r"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
        nodes = _nodes(json.loads(out or "{}"))
        return [node for node in nodes if node.get("visible") and node.get("app_id")]

    def tray_area_colours(self, name: str) -> int:
        """How many colours the right end of the bar, where waybar puts its tray, has."""
        path = self.screenshot(name, bar_only=True)
        out = subprocess.run(
            ["convert", str(path), "-crop", f"200x{BAR_HEIGHT}+824+0", "-format", "%k", "info:"],
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        ).stdout
        return int(out.strip())


@pytest.fixture
def wayland(session_bus: str, tmp_path: Path) -> Iterator[Wayland]:
    require_tools(TOOLS, "Wayland tests")
    # sway's own folder: its config and runtime dir, which an unprivileged sway must own
    folder = Path(tempfile.mkdtemp(prefix="zag-tray-sway-"))
    runtime = folder / "run"
    runtime.mkdir(mode=0o700)
    (folder / "sway.conf").write_text(SWAY_CONFIG, encoding="utf-8")
    as_user: list[str] = []
    if os.geteuid() == 0:
        for path in (folder, runtime, folder / "sway.conf"):
            os.chown(path, NOBODY, NOBODY)
        as_user = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    sway_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
    }
    sway_log = (tmp_path / "sway.log").open("wb")
    sway = subprocess.Popen(
        [*as_user, "sway", "-c", str(folder / "sway.conf")], env=sway_env, stdout=sway_log, stderr=sway_log
    )
    socket = wait_for("sway's socket", lambda: _wayland_socket(runtime), timeout=10)
    client_runtime = Path(os.environ["XDG_RUNTIME_DIR"])
    client_runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = tmp_path / "config"
    (config / "waybar").mkdir(parents=True)
    (config / "waybar" / "config").write_text(json.dumps(WAYBAR_CONFIG), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env |= {"WAYLAND_DISPLAY": str(socket), "DBUS_SESSION_BUS_ADDRESS": session_bus, "NO_AT_BRIDGE": "1"}
    waybar_log = (tmp_path / "waybar.log").open("wb")
    waybar = subprocess.Popen(
        ["waybar"], env={**env, "XDG_CONFIG_HOME": str(config)}, stdout=waybar_log, stderr=waybar_log
    )
    bus = Bus(session_bus)
    try:
        wait_for("waybar's StatusNotifierWatcher", lambda: bus.has_owner(WATCHER.bus_name), timeout=15)
        wait_for("waybar's host", lambda: bus.get(WATCHER, "IsStatusNotifierHostRegistered"), timeout=15)
        yield Wayland(env)
    finally:
        bus.close()
        for proc in (waybar, sway):
            end_process(proc)
        sway_log.close()
        waybar_log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def start_wayland_app(wayland: Wayland, tmp_path: Path) -> Iterator[Callable[[], RunningApp]]:
    yield from app_starter(lambda: {**wayland.env, "QT_QPA_PLATFORM": "wayland"}, tmp_path)


def test_on_wayland_the_icon_shows_in_waybar_and_a_left_click_opens_the_window(
    wayland: Wayland, session_bus: str, start_wayland_app: Callable[[], RunningApp]
) -> None:
    empty_tray = wayland.tray_area_colours("wayland-bar-before")
    app = start_wayland_app()
    bus = Bus(session_bus)
    try:
        item = find_item(bus, app.proc.pid)
        assert item.name in [entry.split("/", 1)[0] for entry in bus.registered_items()]
        wait_for(
            "the icon drawn in waybar's tray",
            lambda: wayland.tray_area_colours("wayland-bar") > empty_tray + 8,
            timeout=10,
        )
        labels = [str(props.get("label", "")) for _, _, props in menu_items(item.layout())]
        assert labels[1] == "4 agents running (2 claude, 1 codex, 1 gemini)"
        assert any(label.startswith("gemini · pro") for label in labels)
        item.activate()  # a left click on waybar's icon: waybar has its own menu, so the window
        wait_for("the window", lambda: app.state().get("window_visible"), timeout=10)
        shown = wait_for("the window on screen", lambda: _titled(wayland, "zag-tray — agents"), timeout=10)
        assert shown["app_id"] == "dev.zag_tray.ZagTray"  # the desktop entry's id: its icon, its name
        wayland.screenshot("wayland-window")
    finally:
        bus.close()
    log = Path(app.log.name).read_text(encoding="utf-8", errors="replace")
    assert "grabbing popup" not in log, log  # Qt's own menu was never popped up on Wayland


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.02])
def test_on_wayland_quitting_just_after_a_click_opened_the_window_exits_cleanly(
    wayland: Wayland, session_bus: str, start_wayland_app: Callable[[], RunningApp], delay: float
) -> None:
    """A session ending (SIGTERM) while the compositor is still configuring the new window:
    Qt crashed here when quitting closed the window first."""
    app = start_wayland_app()
    bus = Bus(session_bus)
    try:
        find_item(bus, app.proc.pid).activate()
    finally:
        bus.close()
    time.sleep(delay)  # the race itself: how long after the click the session ends
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(timeout=10) == 0


def _titled(wayland: Wayland, title: str) -> dict[str, Any] | None:
    return next((node for node in wayland.windows() if node.get("name") == title), None)


def _nodes(tree: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield tree
    for child in [*tree.get("nodes", []), *tree.get("floating_nodes", [])]:
        yield from _nodes(child)


def _wayland_socket(runtime: Path) -> Path | None:
    sockets = [p for p in runtime.glob("wayland-*") if not p.name.endswith(".lock")]
    return sockets[0] if sockets else None
