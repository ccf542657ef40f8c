"""Desktop notifications through org.freedesktop.Notifications on the session bus.

The Desktop Notifications Specification (1.2) is what every Linux notification server
speaks (GNOME Shell, KDE Plasma, dunst, mako, xfce4-notifyd...). Qt's own
``QSystemTrayIcon.showMessage`` sends no actions (a click does nothing), always urgency
low, and the body as it is to servers that render markup; and PySide6's QtDBus cannot
send the ``u`` (replaces_id) and ``y`` (urgency) the call needs. jeepney (pure Python)
speaks the protocol (desktop/dbus_client.py, imported only where a session bus is: 2 MB
a tray without one does not carry); the client only builds, sends and reads messages,
without blocking: the UI reads :meth:`Client.events` when the socket is readable
(ui/notifier.py).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from zag_tray.desktop.session_bus import BusUnavailable, session_bus_address

SERVICE: Final = "org.freedesktop.Notifications"

URGENCY_NORMAL: Final = 1
URGENCY_CRITICAL: Final = 2
"""The spec's urgency levels (a byte): GNOME shows no banner for 0 (low), which is what Qt sends."""

DEFAULT_ACTION: Final = "default"
"""The action a click on the notification itself invokes (the spec's reserved key)."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the server said it can do (GetCapabilities)."""

    names: frozenset[str]

    @property
    def markup(self) -> bool:
        """Does the server render the body as markup (``<b>``, ``<a href>``, ``<img>``)?"""
        return "body-markup" in self.names

    @property
    def actions(self) -> bool:
        return "actions" in self.names


@dataclass(frozen=True, slots=True)
class Unavailable:
    """No notification server answers on this bus (and none can be started): ``error`` says why."""

    error: str


@dataclass(frozen=True, slots=True)
class Sent:
    """The server took the notification sent as ``serial`` and calls it ``notification_id``."""

    serial: int
    notification_id: int


@dataclass(frozen=True, slots=True)
class Refused:
    """The call sent as ``serial`` failed (no server, or it refused): ``error`` says why."""

    serial: int
    error: str


@dataclass(frozen=True, slots=True)
class ActionInvoked:
    notification_id: int
    key: str


@dataclass(frozen=True, slots=True)
class Closed:
    notification_id: int
    reason: int


Event = Capabilities | Unavailable | Sent | Refused | ActionInvoked | Closed


def body_text(text: str, capabilities: Capabilities) -> str:
    """``text`` as the body: escaped where the server renders markup, so an agent's model
    ``gpt-5 <i>it</i>`` or a root holding ``<img src=file:///…>`` is shown, never rendered."""
    return html.escape(text, quote=False) if capabilities.markup else text


class Client(Protocol):
    """A connection to the notification server (desktop/dbus_client.py)."""

    def fileno(self) -> int: ...

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
    ) -> int: ...

    def events(self) -> Iterator[Event]: ...

    def close(self) -> None: ...


def open_client() -> Client:
    """A connection to the session bus's notification server, or :class:`BusUnavailable`."""
    address = session_bus_address()
    if address is None:
        raise BusUnavailable("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
    from zag_tray.desktop.dbus_client import NotificationClient  # jeepney: only with a bus

    return NotificationClient.open(address)
