"""A private session bus (a real dbus-daemon) and a small notification server on it.

The server speaks org.freedesktop.Notifications as the Desktop Notifications Specification
says (GetCapabilities, GetServerInformation, Notify, CloseNotification; the signals
ActionInvoked and NotificationClosed), records what it was sent with the D-Bus types it
came in, and lets a test click a notification (:meth:`NotificationServer.invoke`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    message_bus,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection

NOTIFICATIONS = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"


# A session bus with no service folders: the machine's installed services (dunst, mako) are
# never started by D-Bus activation when the app sends its first notification; a test that
# wants a notification server brings its own (NotificationServer below).
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def start_session_bus(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A dbus-daemon of the test's own; (the process, its address)."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dbus-daemon is missing (Debian package dbus-daemon): CI must run the D-Bus tests")
        pytest.skip("dbus-daemon is not installed")
    config = folder / "bus.conf"
    config.write_text(BUS_CONFIG.format(path=folder / "bus"), encoding="utf-8")
    proc = subprocess.Popen(
        [daemon, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    printed = proc.stdout.readline().decode().strip()  # printed once it listens
    assert printed.startswith("unix:"), printed
    return proc, printed


@dataclass
class Received:
    """One Notify call as the server got it."""

    notification_id: int
    sender: str
    signature: str
    app_name: str
    replaces_id: int
    icon: str
    summary: str
    body: str
    actions: list[str]
    hints: dict[str, tuple[str, Any]]
    expire_timeout: int


class NotificationServer:
    """org.freedesktop.Notifications on the bus at ``address``, run on a thread of its own."""

    def __init__(
        self,
        address: str,
        capabilities: tuple[str, ...] = ("actions", "body", "body-markup"),
        *,
        answers_twice: bool = False,
    ) -> None:
        self.capabilities = list(capabilities)
        self.answers_twice = answers_twice
        """Answer GetCapabilities, then an UnknownMethod error to the same call, as mako does."""
        self.received: list[Received] = []
        self._connection: DBusConnection = open_dbus_connection(address)
        self._sending = threading.Lock()
        self._stopped = threading.Event()
        self._next_id = 1
        request = new_method_call(message_bus, "RequestName", "su", (NOTIFICATIONS, 4))
        reply = self._connection.send_and_get_reply(request, timeout=5)
        assert reply.body == (1,), reply.body  # the primary owner
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._connection.close()

    def invoke(self, notification_id: int, key: str) -> None:
        """The user clicks the notification (``"default"``) or one of its buttons."""
        receiver = next(r.sender for r in self.received if r.notification_id == notification_id)
        self._signal("ActionInvoked", "us", (notification_id, key), receiver)

    def close(self, notification_id: int, reason: int = 2) -> None:
        """The user dismisses it (reason 2)."""
        receiver = next(r.sender for r in self.received if r.notification_id == notification_id)
        self._signal("NotificationClosed", "uu", (notification_id, reason), receiver)

    def wait_for(self, count: int, wait: Callable[..., None]) -> list[Received]:
        """The notifications received once there are ``count``: ``wait`` is pytest-qt's
        ``qtbot.waitUntil``, which keeps the tray's event loop running meanwhile."""
        wait(lambda: len(self.received) >= count, timeout=5000)
        return self.received

    def _signal(self, member: str, signature: str, body: tuple[Any, ...], receiver: str) -> None:
        emitter = DBusAddress(_PATH, interface=NOTIFICATIONS)
        message = new_signal(emitter, member, signature, body)
        message.header.fields[HeaderFields.destination] = receiver
        with self._sending:
            self._connection.send(message)

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                message = self._connection.receive(timeout=0.05)
            except TimeoutError:
                continue
            except OSError:
                return
            fields = message.header.fields
            if message.header.message_type is not MessageType.method_call:
                continue
            if fields.get(HeaderFields.interface) not in (NOTIFICATIONS, None):
                continue
            member = fields.get(HeaderFields.member)
            replies = [self._answer(member, message)]
            if self.answers_twice and member == "GetCapabilities":
                replies.append(
                    new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", ("twice",))
                )
            with self._sending:
                for reply in replies:
                    self._connection.send(reply)

    def _answer(self, member: str | None, message: Any) -> Any:
        fields = message.header.fields
        if member == "GetCapabilities":
            return new_method_return(message, "as", (self.capabilities,))
        if member == "GetServerInformation":
            return new_method_return(message, "ssss", ("test-server", "zag-tray tests", "1", "1.2"))
        if member == "Notify":
            args = message.body
            replaces = args[1]
            notification_id = replaces or self._next_id
            if not replaces:
                self._next_id += 1
            sender, signature = fields[HeaderFields.sender], fields.get(HeaderFields.signature, "")
            self.received.append(Received(notification_id, sender, signature, *args))
            return new_method_return(message, "u", (notification_id,))
        if member == "CloseNotification":
            return new_method_return(message)
        return new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s", (str(member),))


@pytest.fixture
def session_bus(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private session bus, named in DBUS_SESSION_BUS_ADDRESS for the test; its address."""
    folder = tmp_path_factory.mktemp("bus")
    proc, address = start_session_bus(folder)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    yield address
    proc.terminate()
    proc.wait(timeout=5)
    assert proc.stdout is not None
    proc.stdout.close()


@pytest.fixture
def notification_server(session_bus: str) -> Iterator[NotificationServer]:
    server = NotificationServer(session_bus)
    yield server
    server.stop()
