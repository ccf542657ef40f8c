"""The tray's own settings: one JSON file in ``platformdirs.user_config_dir("zag-tray")``.

A file that cannot be read or makes no sense never stops the tray: it is moved
aside (``settings.json.bad``, so nothing the user wrote is lost), the defaults
apply, and the reason is logged. A single bad value falls back to its default
alone. Writes are atomic (desktop/files.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from zag_tray.agents.hostnames import ALIAS, PROGRAM
from zag_tray.desktop.files import NotAFileError, atomic_write, read_small_file
from zag_tray.desktop.paths import config_dir

SETTINGS_NAME: Final = "settings.json"
MAX_SETTINGS_BYTES: Final = 1 << 20
"""Far more than the settings ever take; a larger file is not read (it could be /dev/zero)."""
log = logging.getLogger(__name__)


MAX_HOSTS: Final = 50


@dataclass(frozen=True, slots=True)
class HostEntry:
    """Another machine the tray watches: an ssh alias (agents/hostnames.py's strict rule) and,
    optionally, where zag-tray is there (else: on PATH, then in ~/.local/bin)."""

    alias: str
    program: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """What the user can change, with the defaults a new user gets."""

    notifications: bool = True
    """A desktop notification when an agent finishes, fails or dies."""
    notify_waiting: bool = True
    """A desktop notification when an agent starts waiting for the user (its turn ended)."""
    confirm_kill: bool = True
    """Ask before Kill and Kill tree."""
    refresh_seconds: float = 3.0
    """How often liveness is checked when the store does not change."""
    recent_minutes: int = 60
    """How long a finished agent stays under "Recently finished" in the menu."""
    window_geometry: str = ""
    """The window's size and place (Qt's saveGeometry, base64)."""
    column_state: str = ""
    """The tree's column widths and order (Qt's header saveState, base64)."""
    hosts: tuple[HostEntry, ...] = ()
    """Other machines, watched over ssh (remote/, ui/remote_link.py)."""


RANGES: Final[dict[str, tuple[float, float]]] = {
    "refresh_seconds": (1.0, 60.0),
    "recent_minutes": (1, 7 * 24 * 60),
}


def settings_path() -> Path:
    return config_dir() / SETTINGS_NAME


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings; defaults (and a logged warning) for whatever is missing or wrong."""
    path = path or settings_path()
    try:
        text = read_small_file(path, MAX_SETTINGS_BYTES).decode("utf-8")
    except FileNotFoundError:
        return Settings()
    except NotAFileError as exc:  # a FIFO, a device: not ours to move, nor to read
        log.warning("settings file %s; using the defaults", exc)
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        return _set_aside(path, f"cannot be read ({exc})")
    try:
        saved = json.loads(text)
    except ValueError as exc:
        return _set_aside(path, f"is not valid JSON ({exc})")
    if not isinstance(saved, dict):
        return _set_aside(path, "does not hold a JSON object")
    values: dict[str, Any] = {
        f.name: _hosts(path, saved[f.name]) if f.name == "hosts" else _value(path, f, saved)
        for f in dataclasses.fields(Settings)
        if f.name in saved
    }
    return Settings(**values)


def _hosts(path: Path, saved: object) -> tuple[HostEntry, ...]:
    """The hosts that keep to the rules, in order, each alias once; the others dropped with a
    log line each (a typo in one host never loses the rest, nor the tray)."""
    if not isinstance(saved, list):
        log.warning("%s: hosts = %r is not a list; watching no other machine", path, saved)
        return ()
    kept: dict[str, HostEntry] = {}
    for raw in saved[:MAX_HOSTS]:
        host = host_entry(raw)
        if host is None or host.alias in kept:
            log.warning("%s: host %r is not valid (or twice); it is left out", path, raw)
        else:
            kept[host.alias] = host
    if len(saved) > MAX_HOSTS:
        log.warning("%s: %d hosts listed; the first %d are watched", path, len(saved), MAX_HOSTS)
    return tuple(kept.values())


def host_entry(raw: object) -> HostEntry | None:
    """``{"alias": "devbox", "program": "~/venv/bin/zag-tray"}`` (program optional) as a
    :class:`HostEntry`; None where the alias or the path breaks agents/hostnames.py's rule."""
    if not isinstance(raw, dict):
        return None
    alias, program = raw.get("alias"), raw.get("program")
    if not isinstance(alias, str) or not ALIAS.fullmatch(alias):
        return None
    if program is not None and (not isinstance(program, str) or not PROGRAM.fullmatch(program)):
        return None
    return HostEntry(alias, program)


def _value(path: Path, field: dataclasses.Field[Any], saved: dict[str, Any]) -> Any:
    value, default = saved[field.name], field.default
    expected = type(default)
    if expected is float and type(value) is int:
        value = float(value)
    low, high = RANGES.get(field.name, (None, None))
    if type(value) is not expected or (low is not None and not low <= value <= high):  # type: ignore[operator]
        log.warning("%s: %s = %r is not valid; using %r", path, field.name, value, default)
        return default
    return value


def _set_aside(path: Path, reason: str) -> Settings:
    aside = path.with_name(path.name + ".bad")
    try:
        path.replace(aside)
        kept = f"moved to {aside}"
    except OSError:
        kept = "left where it is"
    log.warning("settings file %s %s; using the defaults (the file was %s)", path, reason, kept)
    return Settings()


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write the settings atomically; a failure is logged, not raised (the tray keeps running)."""
    path = path or settings_path()
    try:
        atomic_write(path, (json.dumps(dataclasses.asdict(settings), indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        log.warning("cannot save settings to %s: %s", path, exc)
