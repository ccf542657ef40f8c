"""The notification server's client over the session bus, in jeepney (pure Python: PySide6's
QtDBus cannot send the ``u`` and ``y`` arguments Notify takes). What it sends and what it
reads back are desktop/notifications.py's; nothing here blocks but :meth:`open`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from jeepney import (
    DBusAddress,
    DBusErrorResponse,
    HeaderFields,
    MatchRule,
    Message,
    MessageType,
    message_bus,
    new_method_call,
)
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from zag_tray.desktop.notifications import (
    SERVICE,
    URGENCY_NORMAL,
    ActionInvoked,
    Capabilities,
    Closed,
    Event,
    Refused,
    Sent,
    Unavailable,
)
from zag_tray.desktop.paths import DESKTOP_ID
from zag_tray.desktop.session_bus import BusUnavailable

_SERVER: Final = DBusAddress("/org/freedesktop/Notifications", bus_name=SERVICE, interface=SERVICE)


class NotificationClient:
    """One connection to the session bus, for notifications only. Nothing here blocks but
    :meth:`open` (connecting to the local bus: it takes under a millisecond); replies and
    signals come back through :meth:`events`."""

    def __init__(self, connection: DBusConnection) -> None:
        self._connection = connection
        self._capabilities_serial: int | None = None
        self._sent: set[int] = set()

    @classmethod
    def open(cls, address: str) -> NotificationClient:
        """Connect to the session bus at ``address`` and subscribe to the server's signals, or
        :class:`BusUnavailable` (it would not have us)."""
        try:
            client = cls(open_dbus_connection(address))
        except (OSError, ValueError, DBusErrorResponse) as exc:  # ValueError: authentication refused
            raise BusUnavailable(f"the session bus at {address} cannot be reached: {exc}") from None
        for signal in ("ActionInvoked", "NotificationClosed"):
            rule = MatchRule(type="signal", interface=SERVICE, member=signal, path=_SERVER.object_path)
            client._send(new_method_call(message_bus, "AddMatch", "s", (rule.serialise(),)))
        client._capabilities_serial = client._send(new_method_call(_SERVER, "GetCapabilities"))
        return client

    def fileno(self) -> int:
        fd: int = self._connection.sock.fileno()
        return fd

    def notify(
        self,
        summary: str,
        body: str,
        *,
        replaces: int = 0,
        actions: Sequence[tuple[str, str]] = (),
        urgency: int = URGENCY_NORMAL,
        icon: str = "",
        app_name: str = "zag-tray",
    ) -> int:
        """Send a notification; the serial that its :class:`Sent` (or :class:`Refused`) names.
        ``body`` goes as it is: make it with :func:`body_text`."""
        flat_actions = [part for key, label in actions for part in (key, label)]
        hints = {"urgency": ("y", urgency), "desktop-entry": ("s", DESKTOP_ID)}
        serial: int = self._send(
            new_method_call(
                _SERVER,
                "Notify",
                "susssasa{sv}i",
                (app_name, replaces, icon, summary, body, flat_actions, hints, -1),
            )
        )
        self._sent.add(serial)
        return serial

    def events(self) -> Iterator[Event]:
        """What has arrived since the last call, without waiting (call when the socket is
        readable). ConnectionError when the bus went away."""
        while True:
            try:
                message = self._connection.receive(timeout=0)
            except TimeoutError:
                return
            event = self._event(message)
            if event is not None:
                yield event

    def close(self) -> None:
        self._connection.close()

    def _send(self, message: Message) -> int:
        serial: int = next(self._connection.outgoing_serial)
        self._connection.send(message, serial=serial)
        return serial

    def _event(self, message: Message) -> Event | None:
        header = message.header
        kind, fields = header.message_type, header.fields
        if kind is MessageType.signal and fields.get(HeaderFields.interface) == SERVICE:
            member = fields.get(HeaderFields.member)
            if member == "ActionInvoked" and _shaped(message.body, int, str):
                return ActionInvoked(*message.body)
            if member == "NotificationClosed" and _shaped(message.body, int, int):
                return Closed(*message.body)
            return None
        reply_to = fields.get(HeaderFields.reply_serial)
        if reply_to is not None and reply_to == self._capabilities_serial:
            self._capabilities_serial = None  # the first answer counts (mako sends an error after it)
            if kind is MessageType.error:
                return Unavailable(_error_text(message))
            names = message.body[0] if message.body and isinstance(message.body[0], list) else []
            return Capabilities(frozenset(name for name in names if isinstance(name, str)))
        if reply_to in self._sent:
            self._sent.discard(reply_to)
            if kind is MessageType.error:
                return Refused(reply_to, _error_text(message))
            if _shaped(message.body, int):
                return Sent(reply_to, message.body[0])
        return None


def _error_text(message: Message) -> str:
    name = message.header.fields.get(HeaderFields.error_name, "an error")
    detail = message.body[0] if message.body and isinstance(message.body[0], str) else ""
    return f"{name}: {detail}" if detail else str(name)


def _shaped(body: tuple[object, ...], *types: type) -> bool:
    return len(body) == len(types) and all(isinstance(v, t) for v, t in zip(body, types, strict=True))
