"""Build zag-tray as an app for the platform this runs on: ``python3 packaging/build.py``.

1. A fresh virtual environment in build/package/venv, with zag-tray installed from this
   checkout (not editable) and PyInstaller (the ``package`` extra): what goes into the
   bundle is what the package declares, never what a developer's environment holds.
2. PyInstaller on packaging/pyinstaller/zag-tray.spec: dist/zag-tray/ (Linux, Windows),
   dist/zag-tray.app (macOS).
3. On Linux, a tarball of the bundle with its desktop entry, AppStream file, icons and
   install/uninstall scripts: dist/zag-tray-VERSION-linux-ARCH.tar.gz.

It prints the bundle's size, unpacked, and how long each step took. Standard library only:
any Python 3.11 runs it; the build's own Python is the one that runs it (``--python``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import appinfo  # noqa: E402 (beside this file; packaging/ is no package: PyPI's `packaging` is)

WORK = ROOT / "build" / "package"
DIST = ROOT / "dist"
SPEC = HERE / "pyinstaller" / "zag-tray.spec"


@dataclass
class Built:
    version: str
    bundle: Path
    files: int
    size: int
    """Bytes, unpacked."""
    environment_s: float
    pyinstaller_s: float
    tarball: Path | None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--python", default=sys.executable, help="the Python to build with (default: this)")
    build(parser.parse_args(argv).python)
    return 0


def build(python: str) -> Built:
    """Everything above; what was made, and its figures (printed too)."""
    started = time.monotonic()
    venv_python = make_venv(python)
    environment_s = time.monotonic() - started
    ask = "import zag_tray; print(zag_tray.version())"  # the metadata, as the bundle reads it
    version = run([str(venv_python), "-c", ask], capture=True).strip()
    started = time.monotonic()
    bundle = pyinstaller(venv_python)
    pyinstaller_s = time.monotonic() - started
    files, size = measure(bundle)
    print(f"bundle: {bundle.relative_to(ROOT)}, zag-tray {version}, {size / 1e6:.1f} MB, {files} files")
    print(f"time: environment {environment_s:.0f} s, PyInstaller {pyinstaller_s:.0f} s")
    tarball = None
    if sys.platform.startswith("linux"):
        tarball = linux_tarball(bundle, version)
        print(f"tarball: {tarball.relative_to(ROOT)}, {tarball.stat().st_size / 1e6:.1f} MB")
    return Built(version, bundle, files, size, environment_s, pyinstaller_s, tarball)


def run(argv: list[str], *, capture: bool = False, log: Path | None = None) -> str:
    """Run a step; on failure, say what failed with its output (or its log's end) and stop."""
    out = log.open("w", encoding="utf-8") if log else (subprocess.PIPE if capture else None)
    try:
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT if log else None, text=True)
    finally:
        if log and not isinstance(out, int) and out is not None:
            out.close()
    if result.returncode != 0:
        tail = log.read_text(encoding="utf-8").splitlines()[-30:] if log else []
        sys.exit("\n".join([*tail, f"build.py: failed ({result.returncode}): {' '.join(argv)}"]))
    return result.stdout or ""


def make_venv(python: str) -> Path:
    """A new environment with this checkout and PyInstaller; its Python."""
    venv = WORK / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    run([python, "-m", "venv", str(venv)])
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    venv_python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    run([str(venv_python), "-m", "pip", "install", "--quiet", f"{ROOT}[package]"], log=WORK / "pip.log")
    return venv_python


def pyinstaller(python: Path) -> Path:
    work = WORK / "pyinstaller"
    for old in (DIST / "zag-tray", DIST / "zag-tray.app"):
        shutil.rmtree(old, ignore_errors=True)
    options = ["--noconfirm", "--clean", "--log-level=WARN", f"--distpath={DIST}", f"--workpath={work}"]
    run([str(python), "-m", "PyInstaller", *options, str(SPEC)], log=WORK / "pyinstaller.log")
    app = DIST / "zag-tray.app"
    return app if app.is_dir() else DIST / "zag-tray"


def measure(folder: Path) -> tuple[int, int]:
    """Files and bytes, unpacked (links counted as links, not as what they point at)."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return len(files), sum(p.stat().st_size for p in files)


def linux_tarball(bundle: Path, version: str) -> Path:
    """The bundle and what a desktop needs to list it, with the scripts that put them in ~/.local."""
    name = f"zag-tray-{version}-linux-{platform.machine()}"
    stage = WORK / name
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(bundle, stage / "zag-tray", symlinks=True)
    share = stage / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(appinfo.DESKTOP, share / "applications" / appinfo.DESKTOP.name)
    (share / "metainfo").mkdir()
    metainfo = appinfo.metainfo(version, appinfo.release_date(ROOT))
    (share / "metainfo" / appinfo.METAINFO.name).write_text(metainfo, encoding="utf-8")
    shutil.copytree(WORK / "pyinstaller" / "zag-tray" / "icons" / "hicolor", share / "icons" / "hicolor")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(HERE / "linux" / script, stage / script)
    tarball = DIST / f"{name}.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:  # 9: 13 s for 0.5% less
        tar.add(stage, arcname=name)
    return tarball


if __name__ == "__main__":
    sys.exit(main())
