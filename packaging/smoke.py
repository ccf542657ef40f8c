"""The release check: build the Linux bundle in a clean environment and use it as a user would.

    .venv/bin/python packaging/smoke.py

1. packaging/build.py: a fresh virtual environment, the PyInstaller bundle, the tarball;
2. the tarball's desktop entry and AppStream file through desktop-file-validate and
   ``appstreamcli validate --no-net``;
3. the tarball unpacked and installed into a temporary home with its install.sh:
   ~/.local/bin/zag-tray --version answers, and uninstall.sh leaves no file behind;
4. tests/e2e on the bundle: test_bundle.py's ``--version``, ``list --json --base-dir`` on
   tests/fixtures' store (the same JSON as the installed package prints), the tray under
   Xvfb with trayer (icon embedded, ZAG_TRAY_STATE_FILE shows an observation, SIGTERM quits
   with exit 0) and the demo's agents; then every other end-to-end test, with the bundle as
   the app (the menu kills an agent, the window opens, a StatusNotifierItem host...).

Run it with the test environment's Python (the README's test command makes one: pytest and
zag-tray in it); it needs Debian's xvfb trayer xdotool x11-utils imagemagick
desktop-file-utils appstream, as .ci/run installs. Exit 0 when all of it passed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import appinfo  # noqa: E402 (beside this file, as in build.py)
import build  # noqa: E402

SIZE_GOAL_MB = 120
LAUNCH_GOAL_MS = 1000
LAUNCH_FIGURES = ROOT / "artifacts" / "bundle" / "launch.json"


def main() -> int:
    if not sys.platform.startswith("linux"):
        sys.exit("smoke.py: the Linux bundle's check (the CI workflow checks the others)")
    started = time.monotonic()
    built = build.build(sys.executable)
    assert built.tarball is not None
    with tempfile.TemporaryDirectory(prefix="zag-tray-smoke-") as temp:
        unpacked = unpack(built.tarball, Path(temp))
        validate(unpacked)
        install_and_uninstall(unpacked, Path(temp) / "home", built.version)
    LAUNCH_FIGURES.unlink(missing_ok=True)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e"],
        cwd=ROOT,
        env={**os.environ, "ZAG_TRAY_BUNDLE": str(built.bundle)},
        check=False,
    )
    if tests.returncode != 0:
        sys.exit("smoke.py: the bundle's tests failed")
    launch = json.loads(LAUNCH_FIGURES.read_text(encoding="utf-8"))
    size_mb, icon_ms = built.size / 1e6, launch["launch_to_icon_ms"]
    print(
        f"smoke: passed in {time.monotonic() - started:.0f} s: bundle {size_mb:.1f} MB unpacked "
        f"(goal < {SIZE_GOAL_MB}), built in {built.pyinstaller_s:.0f} s (+ {built.environment_s:.0f} s "
        f"for the environment), launch to icon {icon_ms} ms (goal < {LAUNCH_GOAL_MS}), to first "
        f"observation {launch['launch_to_observation_ms']} ms"
    )
    if size_mb >= SIZE_GOAL_MB:
        sys.exit(f"smoke.py: the bundle is {size_mb:.1f} MB, over the {SIZE_GOAL_MB} MB goal")
    return 0


def unpack(tarball: Path, into: Path) -> Path:
    with tarfile.open(tarball) as tar:
        tar.extractall(into, filter="tar")
    (unpacked,) = (p for p in into.iterdir() if p.is_dir())
    return unpacked


def validate(unpacked: Path) -> None:
    share = unpacked / "share"
    for argv in (
        ["desktop-file-validate", str(share / "applications" / appinfo.DESKTOP.name)],
        ["appstreamcli", "validate", "--no-net", str(share / "metainfo" / appinfo.METAINFO.name)],
    ):
        if shutil.which(argv[0]) is None:
            sys.exit(f"smoke.py: {argv[0]} is missing (Debian: desktop-file-utils, appstream)")
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.exit(f"smoke.py: {' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    print("validators: desktop-file-validate and appstreamcli validate --no-net pass")


def install_and_uninstall(unpacked: Path, home: Path, version: str) -> None:
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    subprocess.run([str(unpacked / "install.sh")], env=env, check=True, capture_output=True)
    command = home / ".local" / "bin" / "zag-tray"
    answer = subprocess.run([str(command), "--version"], env=env, capture_output=True, text=True, check=True)
    if answer.stdout != f"zag-tray {version}\n":
        sys.exit(f"smoke.py: the installed app says {answer.stdout!r}")
    subprocess.run(
        [str(home / ".local" / "lib" / "zag-tray" / "uninstall.sh")], env=env, check=True, capture_output=True
    )
    left = [p for p in home.rglob("*") if p.is_file() or p.is_symlink()]
    if left:
        sys.exit(f"smoke.py: uninstall.sh left {left}")
    print(f"tarball: install.sh into a fresh home: {answer.stdout.strip()}; uninstall.sh: nothing left")


if __name__ == "__main__":
    sys.exit(main())
