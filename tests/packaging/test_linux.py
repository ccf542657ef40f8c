"""Linux: the desktop entry and AppStream file pass their validators, and the tarball's
install.sh and uninstall.sh put the app in ~/.local and take all of it away again."""

from __future__ import annotations

import os
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from tests.desktop_entry import unquote_exec
from tests.packaging import PACKAGING, load, need
from zag_tray.desktop.autostart import XdgAutostart

appinfo = load("appinfo.py")
icons = load("icons.py")

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sh scripts and XDG files: Linux")


def validate_desktop(path: Path) -> None:
    result = subprocess.run(
        [need("desktop-file-validate", "desktop-file-utils"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def validate_metainfo(path: Path) -> None:
    result = subprocess.run(
        [need("appstreamcli", "appstream"), "validate", "--no-net", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_desktop_entry_is_valid_and_names_the_app() -> None:
    validate_desktop(appinfo.DESKTOP)
    lines = appinfo.DESKTOP.read_text(encoding="utf-8").splitlines()
    assert f"Icon={appinfo.APP_ID}" in lines and "Exec=zag-tray" in lines
    assert "StartupWMClass=zag-tray" in lines  # the window class Qt gives the tray (ui/app.py)


def test_the_appstream_file_is_valid_as_shipped_and_with_its_release(tmp_path: Path) -> None:
    validate_metainfo(appinfo.METAINFO)
    built = tmp_path / appinfo.METAINFO.name
    version = metadata.version("zag-tray")
    built.write_text(appinfo.metainfo(version, "2026-01-31"), encoding="utf-8")
    validate_metainfo(built)
    assert f'<release version="{version}" date="2026-01-31"/>' in built.read_text(encoding="utf-8")


def test_the_app_id_is_the_one_the_tray_gives_qt() -> None:
    from zag_tray.ui.app import DESKTOP_ID

    assert DESKTOP_ID == appinfo.APP_ID == icons.APP_ID
    assert appinfo.DESKTOP.name == f"{DESKTOP_ID}.desktop"


def unpacked_tarball(where: Path) -> Path:
    """What build.py puts in the tarball, around a stand-in for the bundle."""
    stage = where / "zag-tray-0.0.0-linux-x86_64"
    bundle = stage / "zag-tray"
    bundle.mkdir(parents=True)
    (bundle / "zag-tray").write_text('#!/bin/sh\necho "stand-in $*"\n', encoding="utf-8")
    (bundle / "zag-tray").chmod(0o755)
    (bundle / "_internal").mkdir()
    share = stage / "share"
    (share / "applications").mkdir(parents=True)
    (share / "applications" / appinfo.DESKTOP.name).write_bytes(appinfo.DESKTOP.read_bytes())
    (share / "metainfo").mkdir()
    (share / "metainfo" / appinfo.METAINFO.name).write_text(appinfo.metainfo("0.0.0", "2026-01-31"))
    for size in (16, 512):
        folder = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        (folder / f"{appinfo.APP_ID}.png").write_bytes(b"png")
    (share / "icons" / "hicolor" / "scalable" / "apps").mkdir(parents=True)
    (share / "icons" / "hicolor" / "scalable" / "apps" / f"{appinfo.APP_ID}.svg").write_bytes(b"svg")
    for script in ("install.sh", "uninstall.sh"):
        (stage / script).write_bytes((PACKAGING / "linux" / script).read_bytes())
        (stage / script).chmod(0o755)
    return stage


def files_under(home: Path) -> set[str]:
    return {str(p.relative_to(home)) for p in home.rglob("*") if p.is_file() or p.is_symlink()}


def test_install_puts_the_app_in_local_and_uninstall_takes_all_of_it_away(tmp_path: Path) -> None:
    stage = unpacked_tarball(tmp_path)
    home = tmp_path / "home with space"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}  # no XDG_*: the defaults
    out = subprocess.run(
        [str(stage / "install.sh"), "--autostart"], env=env, capture_output=True, text=True, check=True
    )
    lib = home / ".local" / "lib" / "zag-tray"
    assert "zag-tray installed in" in out.stdout
    entry = home / ".local" / "share" / "applications" / f"{appinfo.APP_ID}.desktop"
    validate_desktop(entry)
    exec_line = next(line for line in entry.read_text().splitlines() if line.startswith("Exec="))
    assert unquote_exec(exec_line.removeprefix("Exec=")) == [str(lib / "zag-tray")]
    linked = home / ".local" / "bin" / "zag-tray"
    ran = subprocess.run([str(linked), "--version"], capture_output=True, text=True, check=True)
    assert ran.stdout == "stand-in --version\n"
    assert (
        home / ".local" / "share" / "icons" / "hicolor" / "512x512" / "apps" / f"{appinfo.APP_ID}.png"
    ).exists()
    assert (home / ".local" / "share" / "metainfo" / appinfo.METAINFO.name).exists()
    # The tray's own "Start at login" reads the same file: its check mark says on.
    autostart = XdgAutostart(home / ".config")
    assert autostart.is_enabled()
    validate_desktop(autostart.path)

    subprocess.run([str(lib / "uninstall.sh")], env=env, capture_output=True, text=True, check=True)
    assert files_under(home) == set()


def test_uninstall_leaves_what_another_install_owns(tmp_path: Path) -> None:
    """A zag-tray from pip in ~/.local/bin, and a login entry that starts it, are not ours."""
    stage = unpacked_tarball(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    subprocess.run([str(stage / "install.sh")], env=env, capture_output=True, check=True)
    pip_script = home / ".local" / "bin" / "zag-tray"
    pip_script.unlink()
    pip_script.write_text("#!/bin/sh\n")
    autostart = home / ".config" / "autostart" / "zag-tray.desktop"
    autostart.parent.mkdir(parents=True)
    autostart.write_text(f"[Desktop Entry]\nExec={pip_script}\n")
    subprocess.run([str(stage / "uninstall.sh")], env=env, capture_output=True, check=True)
    assert files_under(home) == {".local/bin/zag-tray", ".config/autostart/zag-tray.desktop"}


def test_uninstall_takes_the_login_entry_the_tray_itself_wrote(tmp_path: Path) -> None:
    stage = unpacked_tarball(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    subprocess.run([str(stage / "install.sh")], env=env, capture_output=True, check=True)
    lib = home / ".local" / "lib" / "zag-tray"
    XdgAutostart(home / ".config").enable([str(lib / "zag-tray"), "--base-dir", str(home / "zag")])
    subprocess.run([str(lib / "uninstall.sh")], env=env, capture_output=True, check=True)
    assert files_under(home) == set()


def test_install_refuses_a_home_a_desktop_entry_cannot_quote(tmp_path: Path) -> None:
    stage = unpacked_tarball(tmp_path)
    home = tmp_path / "home$x"
    home.mkdir()
    out = subprocess.run(
        [str(stage / "install.sh")], env={"HOME": str(home), "PATH": os.environ["PATH"]}, capture_output=True
    )
    assert out.returncode == 1 and files_under(home) == set()
