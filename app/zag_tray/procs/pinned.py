"""Signal exactly the process that was checked, not whoever holds its pid by then.

A pid names whichever process holds it now: between the identity check
(procs/liveness.py) and the signal the agent can exit and its pid go to another
process. So a process is pinned *before* it is checked, and the signal goes
through the pin:

- Linux: a pidfd (``os.pidfd_open``) refers to the process that held the pid
  when it was opened, for good. A check made after that and passed saw that
  very process (had it exited, the pid's new owner would have been checked,
  and the signal through the pidfd then fails with ESRCH), and
  ``signal.pidfd_send_signal`` reaches it or nobody.
- elsewhere (and on a Linux kernel without pidfds, before 5.3): a psutil
  Process made at pin time, whose ``send_signal`` re-checks its (pid, create
  time) right before the signal. Create times are coarse (10 ms on Linux), so
  a pid reused within that grain is not told apart: the remaining gap, where
  the OS offers nothing better.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from types import TracebackType
from typing import Final

import psutil


def _pidfds_work() -> bool:
    if sys.platform != "linux" or not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:  # ENOSYS: a kernel before 5.3, or a sandbox that forbids the call
        return False
    return True


PIDFD_SIGNALS: Final = _pidfds_work()
"""Whether signals go through pidfds here (Linux 5.3 and later)."""


class PinnedProcess:
    """The process holding ``pid`` now; :meth:`send` signals it and no other.

    Use as a context manager (the pidfd is closed on exit). ``use_pidfd=False``
    takes the psutil path even where pidfds work (tests compare the two).
    """

    def __init__(self, pid: int, *, use_pidfd: bool = PIDFD_SIGNALS) -> None:
        self.pid = pid
        self._fd: int | None = None
        self._proc: psutil.Process | None = None
        self._unpinned: str | None = None
        """Why there is no process to signal, or None."""
        self.through_pidfd = use_pidfd and PIDFD_SIGNALS
        try:
            if self.through_pidfd:
                self._fd = os.pidfd_open(pid)
            else:
                self._proc = psutil.Process(pid)
        except (ProcessLookupError, psutil.NoSuchProcess, ValueError):
            # Nothing to pin (ValueError: psutil's negative pid): send() fails, whoever takes the pid later.
            self._unpinned = f"no process had pid {pid} when it was pinned"
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: pid <= 0, never a process
                raise
            self._unpinned = f"pid {pid} is not a process id"

    def send(self, sig: int) -> None:
        """Signal the pinned process: ProcessLookupError if it is gone (even if its pid was
        taken since), PermissionError if the OS does not allow it."""
        if self._unpinned is not None:
            raise ProcessLookupError(errno.ESRCH, self._unpinned)
        if self._fd is not None:
            signal.pidfd_send_signal(self._fd, sig)
            return
        assert self._proc is not None
        try:
            self._proc.send_signal(sig)  # psutil re-checks (pid, create time) first
        except psutil.NoSuchProcess:
            raise ProcessLookupError(errno.ESRCH, f"pid {self.pid} is no longer the pinned process") from None
        except psutil.AccessDenied:
            raise PermissionError(errno.EPERM, f"not permitted to signal pid {self.pid}") from None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._proc = None
        self._unpinned = f"pid {self.pid} is no longer pinned"

    def __enter__(self) -> PinnedProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def exit_notice_fd(pid: int) -> int | None:
    """A file descriptor that becomes readable when the process holding ``pid`` now exits (a
    pidfd: Linux 5.3 and later), for the UI to wait on instead of asking every few seconds;
    None where there is none (another OS, an old kernel, the process gone). The caller
    closes it."""
    if not PIDFD_SIGNALS:
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None
