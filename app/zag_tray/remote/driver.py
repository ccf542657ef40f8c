"""ssh as a subprocess, for the command line: one command on a host (``run``), or a
``watch --json`` stream kept up with reconnects (``HostStream``). The tray will run the same
argv through QProcess (ui/), and feed remote/state.py the same way.
"""

from __future__ import annotations

import contextlib
import queue
import random
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Final

from zag_tray.remote.failures import Problem, backoff, classify, last_line
from zag_tray.remote.protocol import STALL_AFTER, Stream
from zag_tray.remote.ssh import MARKER, SshConfig, remote_command, ssh_argv
from zag_tray.remote.state import Ended, HostState, Link, connecting, offline, received

STDERR_CAP: Final = 64 << 10
"""Bytes of ssh's stderr kept (its last): the reason is in its last line."""
WATCH: Final = ("watch", "--json")


@dataclass(frozen=True, slots=True)
class Ran:
    code: int
    stdout: bytes
    stderr: str
    problem: Problem | None
    """What went wrong with ssh itself (exit 255, 126, 127); None when the command ran."""


def run(
    alias: str, argv: Sequence[str], config: SshConfig, *, program: str | None = None, timeout: float = 60
) -> Ran:
    """``zag-tray ARGV`` on ``alias``: its exit code, output and what ssh says went wrong."""
    command = ssh_argv(alias, remote_command(argv, program, marker=True), config)
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        stderr = _text(exc.stderr or b"") + f"\nno answer in {timeout:.0f} s"
        return Ran(255, exc.stdout or b"", stderr, Problem.UNREACHABLE)
    stderr = _text(done.stderr[-STDERR_CAP:])
    problem = classify(done.returncode, stderr)
    start = done.stdout.find(MARKER)
    stdout = b"" if start < 0 else done.stdout[start + len(MARKER) :]  # no marker: it never ran
    return Ran(done.returncode, stdout, stderr, None if problem is Problem.ENDED else problem)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


Report = Callable[[HostState, list[Ended]], None]


class HostStream:
    """One host's ``watch --json`` through ssh, started again after each end (1 s doubling to
    60 s, less after a live stream), killed when no line came for :data:`STALL_AFTER` s.
    ``report`` gets every new state, on the thread that called :meth:`run`."""

    def __init__(
        self,
        alias: str,
        config: SshConfig,
        report: Report,
        *,
        program: str | None = None,
        stall_after: float = STALL_AFTER,
    ) -> None:
        self.argv = ssh_argv(alias, remote_command(WATCH, program), config)
        self.state = HostState(alias)
        self.report, self.stall_after = report, stall_after
        self.attempt = 0

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: connect, follow, say why it ended, wait, again."""
        while not stop.is_set():
            self._set(connecting(self.state))
            problem, detail = self._follow(stop)
            if stop.is_set():
                return
            self._set(offline(self.state, problem, detail))
            stop.wait(backoff(self.attempt, random.random()))  # noqa: S311 (jitter, not secrets)
            self.attempt += 1

    def _set(self, state: HostState, ended: list[Ended] | None = None) -> None:
        self.state = state
        self.report(state, ended or [])

    def _follow(self, stop: threading.Event) -> tuple[Problem, str]:
        proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        chunks: queue.Queue[tuple[bool, bytes]] = queue.Queue()
        readers = [_reader(proc.stdout, True, chunks), _reader(proc.stderr, False, chunks)]
        stderr, stalled = self._read(proc, chunks, stop)
        _end(proc, readers)
        while not chunks.empty():  # what ssh said as it ended may come after stdout's end
            out, data = chunks.get_nowait()
            stderr += b"" if out else data
        text = _text(bytes(stderr[-STDERR_CAP:]))
        if self.state.link is Link.OFFLINE:  # the host speaks another schema: said already
            return self.state.problem or Problem.INCOMPATIBLE, self.state.detail
        if stalled:
            return Problem.STALLED, f"no line for {self.stall_after:.0f} s"
        return classify(proc.returncode, text), last_line(text)

    def _read(
        self, proc: subprocess.Popen[bytes], chunks: queue.Queue[tuple[bool, bytes]], stop: threading.Event
    ) -> tuple[bytearray, bool]:
        """Feed the stream until stdout ends, ``stop``, or a stall; (ssh's stderr, stalled)."""
        stream, stderr, heard = Stream(), bytearray(), time.monotonic()
        while not stop.is_set():
            try:
                out, data = chunks.get(timeout=0.2)
            except queue.Empty:
                if time.monotonic() - heard > self.stall_after:
                    return stderr, True
                continue
            if not out:
                stderr = (stderr + data)[-STDERR_CAP:]
            elif not data:
                return stderr, False
            else:
                heard = time.monotonic()
                self._events(stream, data)
                if self.state.link is Link.OFFLINE:  # the host speaks another schema
                    return stderr, False
        return stderr, False

    def _events(self, stream: Stream, data: bytes) -> None:
        for event in stream.feed(data):
            state, ended = received(self.state, event, time.time())
            if state.link is Link.LIVE and self.state.link is not Link.LIVE:
                self.attempt = 0  # live again: the next failure starts from 1 s
            self._set(state, ended)


def _reader(pipe: IO[bytes] | None, out: bool, chunks: queue.Queue[tuple[bool, bytes]]) -> threading.Thread:
    """A thread that puts what ``pipe`` gives in ``chunks`` (stdout's end as an empty chunk);
    threads, not select: Windows cannot select on pipes."""

    def read() -> None:
        assert pipe is not None
        with contextlib.suppress(OSError, ValueError):
            while data := pipe.read1(65536):  # type: ignore[attr-defined]
                chunks.put((out, data))
        if out:
            chunks.put((True, b""))

    thread = threading.Thread(target=read, name="zag-tray-ssh-" + ("out" if out else "err"), daemon=True)
    thread.start()
    return thread


def _end(proc: subprocess.Popen[bytes], readers: list[threading.Thread]) -> None:
    """Close its stdin (the remote watch ends at its end of input), then make sure it is gone
    and its pipes are read to their end. A pipe still held open by something ssh left behind
    is not closed under its reader (closing blocks on the reader's lock): the thread is a
    daemon and lets go when the holder does."""
    with contextlib.suppress(OSError):
        assert proc.stdin is not None
        proc.stdin.close()
    try:
        proc.wait(3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pipe, reader in zip((proc.stdout, proc.stderr), readers, strict=True):
        reader.join(2)
        if pipe is not None and not reader.is_alive():
            pipe.close()
