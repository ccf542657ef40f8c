"""Where zag's store is, and where the tray keeps its own settings and log.

Base-dir resolution (the README, "Where the store is looked for"), first that applies:

1. ``--base-dir DIR`` on the command line;
2. the ``ZAG_TRAY_BASE_DIR`` environment variable;
3. ``~/.zag`` if it exists (zag's own location on every OS);
4. ``platformdirs().user_data_dir("zag")`` if it holds a ``processes.json``;
5. otherwise ``~/.zag``, which the tray watches until the store appears.

Every path this module hands out passes :func:`guarded`, so a test session
that calls :func:`forbid` on the real home fails loudly instead of touching it
(the idea of qutebrowser's ``standarddir`` test guard).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType

import msgspec

APP_NAME = "zag-tray"
DESKTOP_ID = "dev.zag_tray.ZagTray"
"""The app's desktop entry and AppStream id (packaging/linux): what Wayland shells, the
notification server and the launchers know it by; its icon in an icon theme has this name."""
STORE_NAME = "processes.json"
BASE_DIR_ENV = "ZAG_TRAY_BASE_DIR"

_forbidden: tuple[Path, ...] = ()


class ForbiddenPathError(RuntimeError):
    """A path under a forbidden root was requested (only raised in tests)."""


class BaseDirChoice(msgspec.Struct, frozen=True):
    """The chosen base directory and why it was chosen."""

    path: Path
    reason: str

    @property
    def store(self) -> Path:
        return guarded(self.path / STORE_NAME)


def forbid(roots: Iterable[Path]) -> None:
    """Make every later path request under one of ``roots`` raise (test guard)."""
    global _forbidden
    _forbidden = tuple(Path(r).resolve() for r in roots)


def guarded(path: Path) -> Path:
    """``path``, unless a test session forbade it (:func:`forbid`)."""
    if _forbidden:
        resolved = Path(os.path.realpath(path))  # never raises, even on a symlink loop
        for root in _forbidden:
            if resolved == root or root in resolved.parents:
                raise ForbiddenPathError(f"tests must not touch {root} (asked for {path})")
    return path


def platformdirs() -> ModuleType:
    """The platformdirs module, imported when first needed."""
    import platformdirs  # only when needed: not on the path of `list --base-dir DIR`

    return platformdirs


def zag_home_dir() -> Path:
    """zag's own base directory: ``~/.zag`` on every OS."""
    return guarded(Path.home() / ".zag")


def resolve_base_dir(flag: str | None = None, env: Mapping[str, str] | None = None) -> BaseDirChoice:
    """Pick the base directory as the README says, with the reason."""
    environ = os.environ if env is None else env
    if flag:
        return BaseDirChoice(guarded(Path(flag).expanduser()), "given with --base-dir")
    from_env = environ.get(BASE_DIR_ENV, "").strip()
    if from_env:
        return BaseDirChoice(guarded(Path(from_env).expanduser()), f"set by {BASE_DIR_ENV}")
    home = zag_home_dir()
    if home.is_dir():
        return BaseDirChoice(home, "zag's own location (~/.zag) exists")
    data = guarded(Path(platformdirs().user_data_dir("zag", appauthor=False)))
    if (data / STORE_NAME).is_file():
        return BaseDirChoice(data, f"~/.zag is missing; {data} holds a {STORE_NAME}")
    return BaseDirChoice(
        home, "zag's own location (~/.zag); it does not exist yet and is picked up when it appears"
    )


def store_label(choice: BaseDirChoice) -> str:
    """How a tray on ``choice`` names its store: nothing for zag's own (~/.zag), else the base
    directory, shortened to ~ where it is under home."""
    if choice.path == zag_home_dir():
        return ""
    text, home = str(choice.path), str(Path.home())
    return "~" + text[len(home) :] if home not in ("", "/") and text.startswith(home + os.sep) else text


def config_dir() -> Path:
    """The tray's own settings directory."""
    return guarded(Path(platformdirs().user_config_dir(APP_NAME, appauthor=False)))


def log_dir() -> Path:
    """The tray's own log directory."""
    return guarded(Path(platformdirs().user_log_dir(APP_NAME, appauthor=False)))


def runtime_dir(candidate: Callable[[], str] | None = None) -> Path:
    """Per-user, per-session files (the single-instance lock): a folder only we can change.

    Without ``XDG_RUNTIME_DIR`` (a bare session, e.g. over ssh) platformdirs falls back to
    ``/tmp/runtime-<uid>``, which another user can make first (then platformdirs raises, or,
    in older versions, hands it over). Whatever it gives is checked here; a folder that is
    not ours alone gives way to one in the tray's config folder. platformdirs' warning goes
    to the log instead of the user's terminal. ``candidate``: where the folder would be
    (platformdirs' choice).
    """
    import logging  # here: the CLI's `list` and `show` start without logging
    import warnings

    log = logging.getLogger(__name__)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            path = Path((candidate or _platform_runtime_dir)())
        for warning in caught:
            log.info("%s", warning.message)
        if private_folder(path):
            return guarded(path)
        reason = f"{path} is not ours alone"
    except OSError as exc:
        reason = str(exc)
    fallback = config_dir() / "run"
    if not private_folder(fallback):
        raise PermissionError(f"neither the runtime folder nor {fallback} is ours alone ({reason})")
    log.warning("runtime folder: %s; using %s", reason, fallback)
    return guarded(fallback)


def _platform_runtime_dir() -> str:
    return str(platformdirs().user_runtime_dir(APP_NAME, appauthor=False))


def private_folder(path: Path) -> bool:
    """Is ``path`` (made if missing) a real folder that we own and no one else can write to,
    in a parent no other user can swap it out of?"""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        own, parent = os.lstat(path), os.lstat(path.parent)
    except OSError:
        return False
    uid = os.getuid()
    ours = stat.S_ISDIR(own.st_mode) and own.st_uid == uid and not own.st_mode & 0o077
    # The parent: ours or root's, and either closed to others or sticky (as /tmp is).
    kept = parent.st_uid in (uid, 0) and (not parent.st_mode & 0o022 or bool(parent.st_mode & stat.S_ISVTX))
    return ours and kept
