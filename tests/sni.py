"""A StatusNotifierItem desktop for the end-to-end tests and the at-rest benchmark: Debian's
status-notifier-watcher and gtk-sni-tray-standalone (a GTK host that renders items and
their DBusMenus) on a session bus and an X display of the caller's, and a D-Bus client that
talks to the tray's item as a host does (jeepney).

Facts this relies on (seen with Qt 6.11): Qt registers its item under its unique bus name
at /StatusNotifierItem; its menu is com.canonical.dbusmenu at the item's Menu path; the
watcher must run before the host (gtk-sni-tray-standalone --watcher crashes).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jeepney import DBusAddress, MessageType, Properties, message_bus, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from tests.factories import wait_for
from tests.programs import end_process

WATCHER = DBusAddress(
    "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"
)
ITEM_INTERFACE = "org.kde.StatusNotifierItem"
MENU_INTERFACE = "com.canonical.dbusmenu"
TOOLS = ("status-notifier-watcher", "gtk-sni-tray-standalone")


class Bus:
    """A client on the session bus at ``address``: calls, properties, names."""

    def __init__(self, address: str) -> None:
        self.connection: DBusConnection = open_dbus_connection(address)

    def close(self) -> None:
        self.connection.close()

    def call(
        self, address: DBusAddress, method: str, signature: str | None = None, body: tuple[Any, ...] = ()
    ) -> Any:
        reply = self.connection.send_and_get_reply(
            new_method_call(address, method, signature, body), timeout=10
        )
        if reply.header.message_type is MessageType.error:
            raise RuntimeError(f"{method}: {reply.body}")
        return reply.body

    def get(self, address: DBusAddress, name: str) -> Any:
        reply = self.connection.send_and_get_reply(Properties(address).get(name), timeout=10)
        if reply.header.message_type is MessageType.error:
            raise RuntimeError(f"{name}: {reply.body}")
        return reply.body[0][1]

    def has_owner(self, name: str) -> bool:
        return bool(self.call(message_bus, "NameHasOwner", "s", (name,))[0])

    def names_of(self, pid: int) -> list[str]:
        """The unique names of the connections process ``pid`` holds on the bus."""
        names = []
        for name in self.call(message_bus, "ListNames")[0]:
            if name.startswith(":"):
                try:
                    owner = self.call(message_bus, "GetConnectionUnixProcessID", "s", (name,))[0]
                except RuntimeError:
                    continue
                if owner == pid:
                    names.append(name)
        return names

    def registered_items(self) -> list[str]:
        """RegisteredStatusNotifierItems, as the watcher lists them."""
        return list(self.get(WATCHER, "RegisteredStatusNotifierItems"))


@dataclass
class SniHost:
    """status-notifier-watcher and gtk-sni-tray-standalone, running."""

    watcher: subprocess.Popen[bytes]
    host: subprocess.Popen[bytes]

    def stop(self) -> None:
        for proc in (self.host, self.watcher):
            end_process(proc)


def start_sni_host(env: Mapping[str, str], bus: Bus) -> SniHost:
    """The watcher first, then the host (an X client on ``env``'s DISPLAY), both ready."""
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    watcher = subprocess.Popen(["status-notifier-watcher"], env=dict(env), **quiet)  # type: ignore[call-overload]
    wait_for("the StatusNotifierWatcher", lambda: bus.has_owner(WATCHER.bus_name))
    host = subprocess.Popen(["gtk-sni-tray-standalone", "--top", "--size", "32"], env=dict(env), **quiet)  # type: ignore[call-overload]
    wait_for("the host to register", lambda: bus.get(WATCHER, "IsStatusNotifierHostRegistered"))
    return SniHost(watcher, host)


@dataclass
class Item:
    """The tray's StatusNotifierItem, as a host sees it."""

    bus: Bus
    name: str  # the tray's unique bus name

    @property
    def address(self) -> DBusAddress:
        return DBusAddress("/StatusNotifierItem", self.name, ITEM_INTERFACE)

    def activate(self) -> None:
        """A left click on the icon."""
        self.bus.call(self.address, "Activate", "ii", (0, 0))

    def menu(self) -> DBusAddress:
        return DBusAddress(self.bus.get(self.address, "Menu"), self.name, MENU_INTERFACE)

    def layout(self) -> Any:
        """The whole menu, as the host asks for it when it opens it: AboutToShow, then GetLayout."""
        menu = self.menu()
        self.bus.call(menu, "AboutToShow", "i", (0,))
        return self.bus.call(menu, "GetLayout", "iias", (0, -1, []))[1]

    def click(self, item_id: int) -> None:
        self.bus.call(self.menu(), "Event", "isvu", (item_id, "clicked", ("i", 0), 0))


def menu_items(layout: Any, depth: int = 0) -> Iterator[tuple[int, int, Mapping[str, Any]]]:
    """(depth, id, properties) of every item of a GetLayout answer, depth first."""
    item_id, properties, children = layout
    yield depth, item_id, {key: value for key, (_, value) in properties.items()}
    for _, child in children:
        yield from menu_items(child, depth + 1)


def find_item(bus: Bus, pid: int) -> Item:
    """The item the process ``pid`` registered with the watcher."""

    def registered() -> Item | None:
        names = set(bus.names_of(pid))
        for entry in bus.registered_items():
            service = entry.split("/", 1)[0]
            if service in names:
                return Item(bus, service)
        return None

    found: Item = wait_for("the tray's item in the watcher", registered)
    return found


def with_bus(env: Mapping[str, str], address: str) -> dict[str, str]:
    return {**env, "DBUS_SESSION_BUS_ADDRESS": address, "NO_AT_BRIDGE": "1"}
