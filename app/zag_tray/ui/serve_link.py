"""zag serve hosts in the tray: each host kept in serve-hosts.json polled through
remote/serve.py (:class:`ServeLink`), and the list of them followed (:class:`ServeHosts`).

Every poll and action runs on ui/worker.py, never on the GUI thread: a request may wait for
a TLS handshake or a timeout (10 s), and each poll reads serve-hosts.json again, so a pin or
token given with ``zag-tray host pin|token`` while the tray runs is used at the next poll,
and a host forgotten is dropped (the folder is watched). A worker per host: an unreachable
one does not hold back the others' polls. The rules are remote/serve.py's: the pin checked
before the token is sent, a changed certificate an error that is shown and never accepted,
the interval and the backoff (``next_poll``), and a poll never makes an ``Ended``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from zag_tray.agents.text import one_line
from zag_tray.remote import serve, serve_hosts
from zag_tray.remote.failures import Problem
from zag_tray.remote.serve_hosts import ServeConfigError, ServeUrl, serve_url
from zag_tray.remote.state import HostState, offline
from zag_tray.ui.worker import Worker

log = logging.getLogger(__name__)


class ServeLink(QObject):
    """One zag serve host, polled every ``interval`` seconds while it answers, after the
    backoff while it does not. ``changed`` carries each new state (and never an end)."""

    changed = Signal(object, object)
    """(HostState, list[Ended]): HostLink's signal, so one handler takes both engines."""

    def __init__(
        self,
        address: ServeUrl,
        path: Path,
        parent: QObject | None = None,
        *,
        interval: float = serve.INTERVAL,
    ) -> None:
        super().__init__(parent)
        self.address, self.path, self.interval = address, path, interval
        self.state = serve.new_state(address)
        self.attempt = 0
        self._worker = Worker(self)
        self._polling = self._stopping = self._retired = False
        self._pending = 0  # jobs on the worker: a retired link goes once none is left
        self._next = QTimer(self, singleShot=True)
        self._next.timeout.connect(self.poll)

    def poll(self) -> None:
        """Poll now, unless a poll is under way (its answer schedules the next)."""
        if self._polling or self._stopping:
            return
        self._next.stop()
        self._polling = True
        address, state, path = self.address, self.state, self.path
        self._run(lambda: serve.poll_kept(address, state, time.time(), path), self._polled)

    def _run(self, work: Callable[[], object], done: Callable[[object], None]) -> None:
        self._pending += 1

        def delivered(result: object) -> None:
            self._pending -= 1
            done(result)
            if self._retired and not self._pending:
                self.deleteLater()

        self._worker.run(work, delivered)

    def _polled(self, result: object) -> None:
        self._polling = False
        if self._stopping:
            return
        if not isinstance(result, HostState):  # a fault of ours (logged by the worker)
            result = offline(self.state, Problem.ENDED, one_line(str(result), 200))
        delay, self.attempt = serve.next_poll(result, self.attempt, random.random(), self.interval)  # noqa: S311
        self.state = result
        self.changed.emit(result, [])
        self._next.start(int(delay * 1000))

    def act(self, action: str, entry_id: str, done: Callable[[object], None]) -> None:
        """zag's ``stop`` or ``kill`` of ``entry_id`` off the GUI thread; ``done`` gets what zag
        answered or a ServeFailure, and a poll follows (the agent's new status)."""
        address, path = self.address, self.path

        def answered(result: object) -> None:
            done(result)
            self.poll()

        self._run(lambda: serve.act_kept(address, action, entry_id, path), answered)

    def retire(self) -> None:
        """Let go of a host no longer kept, without waiting on the GUI thread for a request
        under way (up to a timeout): the link is deleted once it answered."""
        self._stopping = self._retired = True
        self._next.stop()
        if not self._pending:
            self.deleteLater()

    def stop(self) -> None:
        """No more polls; the one under way is waited for (at most the request's timeout)."""
        self._stopping = True
        self._next.stop()
        self._worker.wait()


class ServeHosts(QObject):
    """The hosts kept in serve-hosts.json (``path``), each a :class:`ServeLink`. ``changed``
    forwards each link's state; ``listed`` when hosts came or went."""

    changed = Signal(object, object)
    listed = Signal()

    def __init__(
        self, path: Path, parent: QObject | None = None, *, interval: float = serve.INTERVAL
    ) -> None:
        super().__init__(parent)
        self.path, self.interval = path, interval
        self.links: dict[str, ServeLink] = {}
        self._worker = Worker(self)
        self._watch: QFileSystemWatcher | None = None
        self._started = False

    def start(self) -> None:
        """Read the list (off the GUI thread) and follow its folder (the file is replaced
        whole when written: a watch on the file itself would end at the first change)."""
        if self._started:
            return
        self._started = True
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)  # ours: made so that a pin made later is seen
        except OSError as exc:  # not a folder (the settings cannot be saved either): no hosts
            log.warning("zag serve hosts: cannot use %s (%s)", folder, exc.strerror or exc)
            return
        self._watch = QFileSystemWatcher([str(folder)], self)
        self._watch.directoryChanged.connect(lambda _: self.reread())
        self.reread()

    def reread(self) -> None:
        path = self.path
        self._worker.run(lambda: _kept(path), self._set_urls)

    def _set_urls(self, urls: object) -> None:
        if not self._started or not isinstance(urls, list):
            return
        wanted = {address.url: address for address in urls}
        if wanted.keys() == self.links.keys():
            return
        for url in [url for url in self.links if url not in wanted]:
            self.links.pop(url).retire()
        for url, address in wanted.items():
            if url not in self.links:
                link = ServeLink(address, self.path, self, interval=self.interval)
                link.changed.connect(self.changed)
                self.links[url] = link
                link.poll()
        self.links = {url: self.links[url] for url in sorted(self.links)}
        self.listed.emit()

    def states(self) -> list[HostState]:
        return [link.state for link in self.links.values()]

    def stop(self) -> None:
        self._started = False
        if self._watch is not None:
            self._watch.removePaths(self._watch.directories())
        self._worker.wait()
        for link in self.links.values():
            link.stop()


def _kept(path: Path) -> list[ServeUrl]:
    """The hosts of the file; none (and a log line) when it cannot be read."""
    try:
        urls = serve_hosts.kept_urls(path)
    except ServeConfigError as exc:
        log.warning("zag serve hosts: %s", one_line(str(exc), 300))
        return []
    kept = []
    for url in urls:
        try:
            kept.append(serve_url(url))
        except ServeConfigError:
            log.warning("zag serve hosts: %s is not a URL of one: left out", one_line(url, 100))
    return kept
