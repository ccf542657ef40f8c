"""End-to-end fixtures: a real X server (Xvfb), a real XEmbed tray host (trayer), the real app.

Every test gets its own display, tray host, app process and demo agents, and
all of them are ended afterwards. Without the tools these tests are skipped on
a developer's machine and fail under CI=true, so CI never skips them silently.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.factories import wait_for
from tests.programs import end_process, require_tools
from zag_tray.demo import DemoAgents

TOOLS = ("Xvfb", "trayer", "xdotool", "xwininfo", "xdpyinfo", "import", "convert")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
SCREEN = (1280, 800)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


class Display:
    """One Xvfb server and helpers to drive it."""

    def __init__(self, number: int, proc: subprocess.Popen[bytes]) -> None:
        self.number, self.proc = number, proc

    @property
    def env(self) -> dict[str, str]:
        """The environment of a program on this display (and on a test's session bus, if any)."""
        return {**os.environ, "DISPLAY": f":{self.number}"}

    def run(self, *argv: str, check: bool = True) -> str:
        result = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=20, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"{argv} failed: {result.stderr.strip()}")
        return result.stdout

    def key(self, *keys: str) -> None:
        for key in keys:
            self.run("xdotool", "key", key)
            time.sleep(0.12)

    def click(self, x: int, y: int, button: int = 1, repeat: int = 1) -> None:
        self.run(
            "xdotool",
            "mousemove",
            str(x),
            str(y),
            "click",
            "--repeat",
            str(repeat),
            "--delay",
            "90",
            str(button),
        )

    def visible_windows(self, name: str) -> list[str]:
        out = self.run("xdotool", "search", "--onlyvisible", "--name", name, check=False)
        return out.split()

    def tree(self) -> str:
        return self.run("xwininfo", "-root", "-tree")

    def screenshot(self, name: str, crop: tuple[int, int, int, int] | None = None) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.run("import", "-window", "root", str(path))
        if crop is not None:
            x, y, w, h = crop
            self.run("convert", str(path), "-crop", f"{w}x{h}+{x}+{y}", "+repage", str(path))
        return path


@pytest.fixture
def display() -> Iterator[Display]:
    require_tools(TOOLS, "end-to-end tests")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{SCREEN[0]}x{SCREEN[1]}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = int(pipe.readline().strip())
    screen = Display(number, proc)
    wait_for("the X server", lambda: screen.run("xdpyinfo", check=False))
    yield screen
    end_process(proc)


@pytest.fixture
def tray_host(display: Display) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_trayer(display)
    yield proc
    end_process(proc)


def start_trayer(display: Display) -> subprocess.Popen[bytes]:
    """trayer, an XEmbed tray host, in a panel at the top right; ready when returned."""
    proc = subprocess.Popen(
        [
            "trayer",
            "--edge",
            "top",
            "--align",
            "right",
            "--widthtype",
            "request",
            "--height",
            "32",
            "--SetDockType",
            "true",
            "--transparent",
            "false",
            "--tint",
            "0x303030",
        ],
        env=display.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for("the tray host's panel", lambda: '"panel"' in display.tree())
    return proc


def bundle_executable(*, tray: bool = False) -> Path | None:
    """The built app ZAG_TRAY_BUNDLE names (dist/zag-tray, dist/zag-tray.app), if any: its
    program, inside the .app on macOS; on Windows the windowed one for the tray and the
    console one for the commands. packaging/smoke.py runs these tests on it."""
    bundle = os.environ.get("ZAG_TRAY_BUNDLE")
    if not bundle:
        return None
    folder = Path(bundle).resolve()
    if folder.suffix == ".app":
        return folder / "Contents" / "MacOS" / "zag-tray"
    if sys.platform == "win32":
        return folder / ("zag-tray.exe" if tray else "zag-tray-cli.exe")
    return folder / "zag-tray"


def app_command() -> list[str]:
    """How the app under test starts: the bundle if one is named, else this environment's."""
    program = bundle_executable(tray=True)
    return [str(program)] if program else [sys.executable, "-m", "zag_tray"]


class RunningApp:
    """The real ``zag-tray`` process on a base dir of live demo agents."""

    def __init__(self, desktop: Mapping[str, str], base: Path, home: Path) -> None:
        """``desktop``: the environment of a program on the test's desktop (display, Qt platform)."""
        self.agents = DemoAgents(base=base, logs=False)  # quiet: the icon shows the running count
        self.agents.start()
        self.state_file = base.parent / "tray-state.json"
        env = {**desktop, "HOME": str(home), "ZAG_TRAY_STATE_FILE": str(self.state_file)}
        self.env = env
        self.argv = [*app_command(), "--base-dir", str(base)]
        self.log = (base.parent / "app.log").open("wb")
        self.proc = subprocess.Popen(self.argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.crashed = False
        """Set by a test that killed the app with SIGKILL on purpose."""

    def state(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {}

    def pid_of(self, provider: str) -> int:
        return next(
            int(e["pid"])
            for e in self.agents.entries
            if e["provider"] == provider and e["status"] == "running"
        )

    def stop(self) -> int:
        """SIGTERM, as a session ending does; the exit code (it must quit by itself)."""
        if self.crashed:
            self.proc.wait()
            self.agents.close()
            self.log.close()
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = -999
        self.agents.close()
        self.log.close()
        return code


@pytest.fixture
def start_app(display: Display, tmp_path: Path) -> Iterator[Callable[[], RunningApp]]:
    """Start the app on the X display; afterwards end it with SIGTERM, which it must obey with
    exit 0 (an open window or menu must not block quitting), and end its demo agents."""
    yield from app_starter(lambda: {**display.env, "QT_QPA_PLATFORM": "xcb"}, tmp_path)


def app_starter(
    desktop: Callable[[], Mapping[str, str]], tmp_path: Path
) -> Iterator[Callable[[], RunningApp]]:
    """The body of a start_app fixture; ``desktop()`` is the environment of a program on the
    test's desktop when the app starts (after the test's fixtures set up its session bus)."""
    started: list[RunningApp] = []

    def start() -> RunningApp:
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        app = RunningApp(desktop(), home / ".zag", home)  # zag's own location: the tray names no store
        started.append(app)
        wait_for("the app's first observation", lambda: app.state().get("observed"), timeout=10)
        return app

    yield start
    codes = [app.stop() for app in started]
    assert codes == [0] * len(codes), f"the app did not quit cleanly on SIGTERM: {codes}"


@pytest.fixture(autouse=True)
def no_stray_processes() -> Iterator[None]:
    yield
    strays = [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]
    names = [" ".join(p.cmdline()[:3]) for p in strays]
    for proc in strays:
        proc.kill()
    assert names == [], f"processes left behind: {names}"
