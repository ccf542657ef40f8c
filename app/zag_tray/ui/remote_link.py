"""Other machines in the tray: one long-lived ``ssh HOST zag-tray watch --json`` per host, a
QProcess on the GUI thread (:class:`HostLink`), and the hosts the settings list
(:class:`RemoteHosts`).

Why QProcess and not remote/driver.py's HostStream on a thread: QProcess reads stdout and
stderr apart and says when the process ended through the event loop the tray already runs,
so every HostState change happens on the GUI thread with no thread, lock or queued hand-over
(HostStream needs three threads per host: Windows cannot select on pipes). The rules are
remote/'s, not copied: the argv (remote/ssh.py), the reading (remote/protocol.Stream), the
state (remote/state.received), the failures and the backoff (remote/failures.py), the stall
(protocol.STALL_AFTER). Actions go through remote/driver.run on ui/worker.py.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from zag_tray.agents.notices import Waiting
from zag_tray.agents.text import one_line
from zag_tray.desktop.settings import HostEntry
from zag_tray.remote import driver, serve, serve_hosts
from zag_tray.remote.failures import Problem, backoff, classify, last_line
from zag_tray.remote.glance import began_waiting
from zag_tray.remote.protocol import STALL_AFTER, Stream
from zag_tray.remote.ssh import SshConfig, configured, remote_command, ssh_argv
from zag_tray.remote.state import Ended, HostState, Link, connecting, offline, received
from zag_tray.ui.serve_link import ServeHosts
from zag_tray.ui.worker import Worker

log = logging.getLogger(__name__)
QUIT_WAIT_MS: Final = 3000
"""How long quitting waits for a host's ssh after its stdin closed (the remote then exits)."""
ACTION_TIMEOUT: Final = 120.0
"""Seconds a remote kill may take (it waits there for its agents to go: procs/actions.py)."""
COALESCE_MS: Final = 100
"""How long :attr:`RemoteHosts.changed` waits after a host's state changed. A host's watch
looks every 0.25 s and writes each change as a line of its own, so lines come in bursts; the
tray rebuilds its tooltip and menu once per burst instead of once per line (20 agents each
logging every few seconds cost the tray 1.1 % of a core with one rebuild per line:
benchmarks/remote.py). A wait from the first change, not restarted by the next: a change is
never held longer than this; a host that connects, goes live or goes offline is said at once.
``ended`` and ``waiting`` go with it, just after: a notification never tells what the icon
does not show yet."""


class HostLink(QObject):
    """One host's stream, started again after each end (remote/failures.backoff) and killed
    when no line came for ``stall_after`` seconds. ``changed`` carries each new state and the
    agents a live stream saw end."""

    changed = Signal(object, object)
    """(HostState, list[Ended])"""

    def __init__(
        self,
        host: HostEntry,
        config: SshConfig,
        parent: QObject | None = None,
        *,
        stall_after: float = STALL_AFTER,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.argv = ssh_argv(host.alias, remote_command(driver.WATCH, host.program), config)
        self.state = HostState(host.alias)
        self.attempt = 0
        self.process: QProcess | None = None
        self._stream, self._stderr, self._stalled = Stream(), bytearray(), False
        self._stopping = False
        self._stall = QTimer(self, singleShot=True, interval=int(stall_after * 1000))
        self._stall.timeout.connect(self._stalled_out)
        self._retry = QTimer(self, singleShot=True)
        self._retry.timeout.connect(self.start)
        self.stall_after = stall_after

    def start(self) -> None:
        """Connect: ssh with its stdin kept open (its end is what makes the remote exit)."""
        if self._stopping or self.process is not None:
            return
        self._set(connecting(self.state))
        proc = QProcess(self)
        proc.setProgram(self.argv[0])
        proc.setArguments(self.argv[1:])
        proc.readyReadStandardOutput.connect(lambda: self._out(proc))
        proc.readyReadStandardError.connect(lambda: self._err(proc))
        proc.finished.connect(lambda code, status: self._ended(proc, code, status))
        proc.errorOccurred.connect(lambda error: self._failed(proc, error))
        self._stream, self._stderr, self._stalled = Stream(), bytearray(), False
        self.process = proc
        proc.start()
        self._stall.start()

    def _set(self, state: HostState, ended: list[Ended] | None = None) -> None:
        self.state = state
        self.changed.emit(state, ended or [])

    def _out(self, proc: QProcess) -> None:
        if proc is not self.process:
            return
        data = bytes(proc.readAllStandardOutput().data())
        if not data:
            return
        self._stall.start()  # a line came: the stall clock starts again
        for event in self._stream.feed(data):
            state, ended = received(self.state, event, time.time())
            if state.link is Link.LIVE and self.state.link is not Link.LIVE:
                self.attempt = 0  # live again: the next failure starts from 1 s
            self._set(state, ended)
            if state.link is Link.OFFLINE:  # another schema: said, and not read further
                proc.kill()
                return

    def _err(self, proc: QProcess) -> None:
        if proc is self.process:
            self._stderr = (self._stderr + bytes(proc.readAllStandardError().data()))[-driver.STDERR_CAP :]

    def _stalled_out(self) -> None:
        if self.process is not None:
            self._stalled = True
            self.process.kill()

    def _ended(self, proc: QProcess, code: int, status: QProcess.ExitStatus) -> None:
        if proc is not self.process:
            return
        self._out(proc)
        self._err(proc)
        normal = status is QProcess.ExitStatus.NormalExit
        text = self._stderr.decode("utf-8", "replace")
        if self.state.link is Link.OFFLINE and self.state.problem is Problem.INCOMPATIBLE:
            problem, detail = Problem.INCOMPATIBLE, self.state.detail
        elif self._stalled:
            problem, detail = Problem.STALLED, f"no line for {self.stall_after:.0f} s"
        else:
            problem, detail = classify(code if normal else None, text), last_line(text)
        self._gone(proc, problem, detail)

    def _failed(self, proc: QProcess, error: QProcess.ProcessError) -> None:
        """ssh could not be started at all (no such program): no ``finished`` follows."""
        if proc is self.process and error is QProcess.ProcessError.FailedToStart:
            self._gone(proc, Problem.UNREACHABLE, f"cannot run {self.argv[0]}: {proc.errorString()}")

    def _gone(self, proc: QProcess, problem: Problem, detail: str) -> None:
        self._stall.stop()
        self.process = None
        proc.deleteLater()
        if self._stopping:
            return
        self._set(offline(self.state, problem, detail))
        delay = backoff(self.attempt, random.random())  # noqa: S311 (jitter, not secrets)
        self.attempt += 1
        log.info("%s: %s; again in %.1f s", one_line(self.host.alias, 64), problem.value, delay)
        self._retry.start(int(delay * 1000))

    def close_input(self) -> None:
        """Quitting: no more reconnects, and ssh's stdin closes (the remote watch then exits)."""
        self._stopping = True
        self._retry.stop()
        self._stall.stop()
        if self.process is not None:
            self.process.closeWriteChannel()

    def finish(self) -> None:
        """After :meth:`close_input`: wait a little for ssh to go, then make sure it is gone."""
        proc = self.process
        if proc is not None and not proc.waitForFinished(QUIT_WAIT_MS):
            proc.kill()
            proc.waitForFinished(1000)
        self.process = None


class RemoteHosts(QObject):
    """The hosts of the settings, each a :class:`HostLink`, and the zag serve hosts kept in
    serve-hosts.json (ui/serve_link.py); ``changed`` when any state does (a link's at once,
    its stream's lines at most :data:`COALESCE_MS` later: one signal for a burst), then
    ``ended`` with what live streams saw end and ``waiting`` with the agents that began waiting
    for the user; remote actions run off the GUI thread."""

    changed = Signal()
    ended = Signal(object)
    """list[Ended]"""
    waiting = Signal(object)
    """list[Waiting]"""

    def __init__(
        self,
        config: SshConfig | None = None,
        parent: QObject | None = None,
        *,
        stall_after: float = STALL_AFTER,
        serve_file: Path | None = None,
        serve_interval: float = serve.INTERVAL,
    ) -> None:
        super().__init__(parent)
        self._config = config
        self.stall_after = stall_after
        self.links: dict[str, HostLink] = {}
        self.serve = ServeHosts(serve_file or serve_hosts.hosts_file(), self, interval=serve_interval)
        self.serve.changed.connect(self._changed)
        self.serve.listed.connect(self.changed)
        self._seen: dict[str, HostState] = {}  # each host's state before: who began waiting
        self._worker: Worker | None = None
        self._coalesce = QTimer(self, singleShot=True, interval=COALESCE_MS)
        self._coalesce.timeout.connect(self._flush)
        self._ended: list[Ended] = []
        self._began: list[Waiting] = []
        """What ``ended`` and ``waiting`` say next, with the ``changed`` they go with."""

    @property
    def config(self) -> SshConfig:
        """The ssh to run; the environment's (remote/ssh.configured) when none was given,
        worked out once a host is watched (it makes the private ControlMaster directory)."""
        if self._config is None:
            self._config = configured()
        return self._config

    def states(self) -> list[HostState]:
        """The hosts' states: ssh hosts in the settings' order, then zag serve hosts by URL."""
        return [link.state for link in self.links.values()] + self.serve.states()

    def state_of(self, alias: str) -> HostState | None:
        """A host's state: an ssh alias, or a zag serve host's URL."""
        link = self.links.get(alias) or self.serve.links.get(alias)
        return None if link is None else link.state

    def set_hosts(self, hosts: Sequence[HostEntry], *, start: bool = True) -> None:
        """Watch exactly ``hosts``: a host gone is let go (its stdin closed), a new one or one
        whose path changed is (re)started."""
        wanted = {host.alias: host for host in hosts}
        for alias, link in list(self.links.items()):
            if wanted.get(alias) != link.host:
                del self.links[alias]
                self._seen.pop(alias, None)
                link.close_input()
                link.finish()
                link.deleteLater()
        for alias, host in wanted.items():
            if alias not in self.links:
                link = HostLink(host, self.config, self, stall_after=self.stall_after)
                link.changed.connect(self._changed)
                self.links[alias] = link
                if start:
                    link.start()
        self.links = {alias: self.links[alias] for alias in wanted}  # the settings' order
        self.changed.emit()

    def start(self) -> None:
        for link in self.links.values():
            link.start()
        self.serve.start()

    def _changed(self, state: HostState, ended: list[Ended]) -> None:
        before = self._seen.get(state.alias)
        self._seen[state.alias] = state
        self._ended += ended
        self._began += [] if before is None else began_waiting(before, state, time.time())
        if before is None or before.link is not state.link:  # live, offline: shown at once
            self._flush()
        elif not self._coalesce.isActive():  # the states are read when it fires: the latest
            self._coalesce.start()

    def _flush(self) -> None:
        # A slot, not timeout connected to the signal itself: with that (PySide6 6.x), the
        # tray's slot on ``ended`` was never called (tests/ui/test_remote_tray.py).
        self._coalesce.stop()
        self.changed.emit()  # first: the icon already agrees with the notifications below
        ended, began, self._ended, self._began = self._ended, self._began, [], []
        if ended:
            self.ended.emit(ended)
        if began:
            self.waiting.emit(began)

    def run(self, alias: str, argv: Sequence[str], done: Callable[[object], None]) -> None:
        """``zag-tray ARGV`` on ``alias`` through remote/driver.run, off the GUI thread; ``done``
        gets its :class:`~zag_tray.remote.driver.Ran` (or the exception) on the GUI thread."""
        link = self.links.get(alias)
        program = None if link is None else link.host.program
        config = self.config
        if self._worker is None:
            self._worker = Worker(self)
        self._worker.run(
            lambda: driver.run(alias, list(argv), config, program=program, timeout=ACTION_TIMEOUT), done
        )

    def act_serve(self, url: str, action: str, entry_id: str, done: Callable[[object], None]) -> None:
        """zag's ``stop`` or ``kill`` on the zag serve host ``url``, off the GUI thread; ``done``
        gets what zag answered, or a ServeFailure (remote/serve.act_kept)."""
        link = self.serve.links.get(url)
        if link is None:
            done(serve.ServeFailure(Problem.NOT_PINNED, "not in serve-hosts.json any more"))
        else:
            link.act(action, entry_id, done)

    def stop(self) -> None:
        """Quitting: every ssh's stdin closed at once, then each waited for."""
        for link in self.links.values():
            link.close_input()
        self.serve.stop()
        for link in self.links.values():
            link.finish()
        if self._worker is not None:
            self._worker.wait()
