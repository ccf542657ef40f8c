"""Where an agent's session log is (ZAG_SESSIONS.md 1.1, 1.6, 5.2 and 7): :class:`LogLocator`.

An entry with a ``session_id`` has its log at ``<agent dir>/logs/sessions/<id>.jsonl``,
where the agent dir is ``<base>/projects/<root, its leading / stripped and each / a ->``, or
``<base>`` itself without a root (:func:`agent_dir`); else where the project's
``logs/index.json`` (by ``wrapper_session_id``) or the base's ``sessions_index.json`` (by
``session_id``) says, the way ``zag listen`` looks. ``gc`` deletes logs and leaves the
indexes, so a path an index names is believed only if a regular file is there; a log
that is not found is normal (no activity, ``unknown``).

An entry without one (a plain ``zag exec``, and ``zag run --resume``, which appends to
the old session's log) is linked by :meth:`LogLocator.link`, when exactly one log fits:

- it is in the entry's agent dir's ``logs/sessions`` (without a root: ``<base>/logs/sessions``
  and any project's ``logs/sessions`` that changed since the entry started: zag puts a
  session inside a git repository under the repository's project, which the entry does not
  name), and was modified since the entry started;
- its last ``session_started`` has the entry's provider and command, and a ``ts`` from
  :data:`LINK_BEFORE` seconds before the entry's ``started_at`` to :data:`LINK_AFTER` after
  (zag writes it 2 ms after registering the entry: ZAG_SESSIONS.md 7);
- no other running agent has it (by its session id, or linked first).

Two plain runs of one provider started in one root within those seconds fit each other's
logs: neither is linked (no activity rather than another agent's). Logs of
``ZAG_USER_LOG_DIR`` (``zag serve``'s user accounts) are not looked for.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Collection
from pathlib import Path
from typing import Final

import msgspec

from zag_tray.agents.entry import Entry
from zag_tray.agents.timestamps import parse_rfc3339
from zag_tray.desktop.files import read_small_file
from zag_tray.sessions.follow import read_last_start

INDEX_MAX: Final = 64 << 20
"""Bytes of an index file read at most (zag's indexes grow a row per session)."""
SESSIONS_INDEX: Final = "sessions_index.json"
LINK_BEFORE: Final = 1.0
LINK_AFTER: Final = 5.0
_SAFE_ID: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
"""A session id used as a file name: no separator, no ``..``, no NUL (zag's are UUIDs)."""


def sanitized(root: str) -> str:
    """zag's ``Config::sanitize_path``: the leading ``/`` stripped, each ``/`` a ``-``."""
    return root.lstrip("/").replace("/", "-")


def agent_dir(base: Path, root: str | None) -> Path:
    """zag's directory for an agent of ``root`` (``<base>`` itself for none)."""
    return base if root is None else base / "projects" / sanitized(root)


def sessions_dir(base: Path, root: str | None) -> Path:
    return agent_dir(base, root) / "logs" / "sessions"


def log_path(base: Path, root: str | None, session_id: str) -> Path:
    """Where zag writes the log of session ``session_id`` run in ``root``."""
    return sessions_dir(base, root) / f"{session_id}.jsonl"


class _Row(msgspec.Struct):
    session_id: str | None = None
    wrapper_session_id: str | None = None
    log_path: str | None = None


class _Index(msgspec.Struct):
    sessions: list[msgspec.Raw] = []


_decode_index = msgspec.json.Decoder(_Index).decode
_decode_row = msgspec.json.Decoder(_Row).decode


class LogLocator:
    """Finds the logs of the entries of one base dir; index files are read again only when
    they changed."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._indexes: dict[Path, tuple[tuple[int, int, int, int], dict[str, str]]] = {}

    def find(self, entry: Entry) -> Path | None:
        """The log of an entry with a ``session_id``, or None."""
        session = entry.session_id
        if session is None or not _SAFE_ID.fullmatch(session):
            return None
        agent = agent_dir(self.base, entry.root)
        direct = log_path(self.base, entry.root, session)
        if _is_file(direct):
            return direct
        for index, by_wrapper in ((agent / "logs" / "index.json", True), (self.base / SESSIONS_INDEX, False)):
            named = self._index(index, by_wrapper).get(session)
            if named is not None and _is_file(Path(named)):
                return Path(named)
        return None

    def _index(self, path: Path, by_wrapper: bool) -> dict[str, str]:
        """Log path by session id of an index file (cached by its stamp); {} when unreadable."""
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return {}
        stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        cached = self._indexes.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found: dict[str, str] = {}
        try:
            rows = _decode_index(read_small_file(path, INDEX_MAX)).sessions
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            rows = []
        for raw in rows:
            try:
                row = _decode_row(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue
            session = row.wrapper_session_id if by_wrapper else row.session_id
            if session is not None and row.log_path and _plausible(row.log_path):
                found[session] = row.log_path
        self._indexes[path] = (stamp, found)
        return found

    def link(self, entry: Entry, taken: Collection[str]) -> Path | None:
        """The log of an entry without a ``session_id``, by the rule of the module; None
        unless exactly one fits. ``taken``: the session ids (file stems) of other running
        agents and the logs linked to them."""
        started = entry.started
        if entry.session_id is not None or started is None:
            return None
        fits = []
        for folder in self._folders(entry.root, started):
            for path in _recent_logs(folder, started - LINK_BEFORE - 1):
                if path.stem in taken or str(path) in taken:
                    continue
                last = read_last_start(path)
                if last is None or last.wrapper_session_id in taken:
                    continue
                at = parse_rfc3339(last.ts)
                if (
                    last.provider == entry.provider
                    and last.command == entry.command
                    and at is not None
                    and started - LINK_BEFORE <= at <= started + LINK_AFTER
                ):
                    fits.append(path)
        return fits[0] if len(fits) == 1 else None

    def _folders(self, root: str | None, started: float) -> list[Path]:
        folders = [sessions_dir(self.base, root)]
        if root is not None:
            return folders
        try:
            with os.scandir(self.base / "projects") as projects:
                for project in projects:
                    folder = Path(project.path) / "logs" / "sessions"
                    try:
                        if os.stat(folder).st_mtime >= started - LINK_BEFORE - 1:
                            folders.append(folder)
                    except (OSError, ValueError):
                        continue
        except (OSError, ValueError):
            pass
        return folders


def _recent_logs(folder: Path, since: float) -> list[Path]:
    """The ``.jsonl`` regular files in ``folder`` modified at ``since`` or later."""
    found = []
    try:
        with os.scandir(folder) as names:
            for item in names:
                if not item.name.endswith(".jsonl"):
                    continue
                try:
                    st = item.stat(follow_symlinks=True)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode) and st.st_mtime >= since:
                    found.append(Path(item.path))
    except (OSError, ValueError):
        return []
    return found


def _plausible(path: str) -> bool:
    """A log path an index may name: absolute, a ``.jsonl`` file, no NUL."""
    return "\0" not in path and path.endswith(".jsonl") and Path(path).is_absolute()


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
