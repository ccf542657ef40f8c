"""The desktop's session bus: where it is, and whether a service is on it.

Kept apart from the D-Bus client (jeepney, desktop/dbus_client.py) so that a tray with no
session bus (macOS, Windows, a bare X session, the benchmarks) loads none of it.
"""

from __future__ import annotations

import os
from pathlib import Path


class BusUnavailable(OSError):
    """No session bus to send notifications on."""


def session_bus_address() -> str | None:
    """DBUS_SESSION_BUS_ADDRESS, else the systemd user bus in XDG_RUNTIME_DIR where there is one."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime, "bus").is_socket():
        return f"unix:path={Path(runtime, 'bus')}"
    return None


def has_owner(name: str) -> bool:
    """Is ``name`` (a well-known bus name) owned on the session bus now? False without a bus."""
    address = session_bus_address()
    if address is None:
        return False
    from jeepney import message_bus, new_method_call  # only with a bus: see the module
    from jeepney.io.blocking import open_dbus_connection

    try:
        with open_dbus_connection(address) as connection:
            ask = new_method_call(message_bus, "NameHasOwner", "s", (name,))
            return bool(connection.send_and_get_reply(ask, timeout=2).body[0])
    except (OSError, ValueError, IndexError):  # no bus there after all, or an odd answer
        return False
