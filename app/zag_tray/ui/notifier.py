"""Notifications: through the desktop's notification server when one is on the session bus
(desktop/notifications.py), else the tray icon's own balloon.

Through the server a notification has a "default" action (a click on it) and a "Show"
button, both opening the window on that agent; urgency normal, critical for a failure or
a death; its body escaped where the server renders markup; and it replaces the one before
while that one is still on screen and recent, so agents ending together are one
notification that grows ("4 agents killed"), not a stack. Agents that begin waiting for
the user are told the same way, in notifications of their own ("3 agents waiting for you").
It is sent whether or not a tray is visible.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot

from zag_tray.agents.notices import Notice, Waiting, notice_for, waiting_notice
from zag_tray.agents.observation import Finished
from zag_tray.desktop import notifications as bus
from zag_tray.desktop.notifications import Client
from zag_tray.desktop.session_bus import BusUnavailable

log = logging.getLogger(__name__)

BATCH_SECONDS: Final = 10.0
"""How long a notification still on screen takes in what ends next, instead of a new one."""
ACTIONS: Final = ((bus.DEFAULT_ACTION, "Show"), ("show", "Show"))
T = TypeVar("T")


@dataclass
class _Batch(Generic[T]):
    """What one notification tells, while it can still take in more."""

    items: list[T]
    since: float
    notification_id: int = 0  # the server's id, once it answered
    serial: int = 0
    open: bool = True

    def takes_in(self, now: float) -> bool:
        """Is it still on screen and recent enough to take in what ends next?"""
        return self.open and now - self.since <= BATCH_SECONDS


def app_icon_uri() -> str:
    """The app's icon for the notification server: a file:// URI of the SVG shipped in the
    package (the spec's app_icon takes one), or nothing where it is not a file on disk."""
    icon = resources.files("zag_tray.resources") / "zag-tray-app.svg"
    return Path(str(icon)).as_uri() if isinstance(icon, Path) and icon.is_file() else ""


class Notifier(QObject):
    """Announces finished agents and messages; ``clicked`` carries the agent a click on a
    notification is about (None: the window)."""

    clicked = Signal(object)
    balloon = Signal(str, str, bool)
    """(title, text, urgent): no notification server; the tray shows it on its icon."""

    def __init__(
        self,
        open_client: Callable[[], Client] | None = bus.open_client,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_client = open_client
        self._client: Client | None = None
        self._reading: QSocketNotifier | None = None
        self._capabilities: bus.Capabilities | None = None  # None: not answered yet
        self._waiting: list[Notice] = []  # sent once the server said what it can do
        self._unanswered: dict[int, Notice] = {}  # by the serial it was sent as
        self._about: dict[int, str | None] = {}  # notification id -> the agent it is about
        self._balloon_about: str | None = None
        self._batch: _Batch[Finished] | None = None
        self._waiting_batch: _Batch[Waiting] | None = None

    def start(self) -> None:
        """Connect to the session bus (a local socket: quick); without one, every notice is a
        balloon."""
        if self._open_client is None:
            return
        try:
            self._client = self._open_client()
        except BusUnavailable as exc:
            log.info("no notification server on the session bus (%s): notifications on the icon", exc)
            return
        self._reading = QSocketNotifier(self._client.fileno(), QSocketNotifier.Type.Read, self)
        self._reading.activated.connect(self._read)

    def stop(self) -> None:
        if self._reading is not None:
            self._reading.setEnabled(False)
            self._reading = None
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def through_server(self) -> bool:
        """Do notices go to the desktop's notification server (not the icon's balloon)?"""
        return self._client is not None

    def announce(self, finished: Sequence[Finished], now: float) -> Notice | None:
        """Tell the user what finished: one notice, which takes in the batch still on screen."""
        batch = self._batch
        if batch is not None and batch.takes_in(now):
            batch.items.extend(finished)
        else:
            batch = self._batch = _Batch(list(finished), now)
        notice = notice_for(batch.items, now)
        if notice is not None:
            self._send(notice, batch)
        return notice

    def announce_waiting(self, waiting: Sequence[Waiting], now: float) -> Notice | None:
        """Tell the user who began waiting for them, here or on another machine: one notice,
        which takes in the one still on screen (an agent waiting again is named once)."""
        batch = self._waiting_batch
        if batch is not None and batch.takes_in(now):
            named = {each.key for each in waiting}
            batch.items = [item for item in batch.items if item.key not in named] + list(waiting)
        else:
            batch = self._waiting_batch = _Batch(list(waiting), now)
        notice = waiting_notice(batch.items, now)
        if notice is not None:
            self._send(notice, batch)
        return notice

    def tell(self, notice: Notice) -> Notice:
        """A notice of its own (an agent another machine saw end: remote/glance.py)."""
        self._send(notice, None)
        return notice

    def message(self, text: str, about: str | None = None) -> None:
        """A message of the app's own (an action's result or error); a click on it shows the
        agent it is ``about``, if any, else the window."""
        self._send(Notice("zag-tray", text, about, urgent=False), None)

    def _send(self, notice: Notice, batch: _Batch[Any] | None) -> None:
        client = self._client
        if client is None:
            self.balloon.emit(notice.title, notice.text, notice.urgent)
            if batch is not None:
                batch.open = False  # a balloon is never replaced
            self._balloon_about = notice.entry_id
            return
        if self._capabilities is None:
            self._waiting.append(notice)
            if batch is not None:
                batch.open = False  # sent later, as it is
            return
        serial = client.notify(
            notice.title,
            bus.body_text(notice.text, self._capabilities),
            replaces=batch.notification_id if batch is not None else 0,
            actions=ACTIONS if self._capabilities.actions else (),
            urgency=bus.URGENCY_CRITICAL if notice.urgent else bus.URGENCY_NORMAL,
            icon=app_icon_uri(),
        )
        self._unanswered[serial] = notice
        if batch is not None:
            batch.serial = serial

    def batch_open(self) -> bool:
        """Is the last notification about finished agents still on screen (and replaceable)?"""
        return self._batch is not None and self._batch.open

    def balloon_clicked(self) -> None:
        """The icon's balloon was clicked: show what the last one was about."""
        self.clicked.emit(self._balloon_about)

    @Slot()
    def _read(self) -> None:
        client = self._client
        if client is None:
            return
        try:
            for event in list(client.events()):
                self._apply(event)
        except (OSError, ValueError) as exc:  # the bus went away, or sent what is not D-Bus
            log.warning("the session bus connection failed (%s): notifications on the icon", exc)
            self.stop()

    def _apply(self, event: bus.Event) -> None:
        if isinstance(event, bus.Capabilities):
            self._capabilities = event
            waiting, self._waiting = self._waiting, []
            for notice in waiting:
                self._send(notice, None)
        elif isinstance(event, bus.Unavailable):
            log.info("no notification server (%s): notifications on the icon", event.error)
            waiting = self._waiting
            self.stop()
            for notice in waiting:
                self._send(notice, None)
        elif isinstance(event, bus.Sent):
            sent = self._unanswered.pop(event.serial, None)
            if sent is not None:
                self._about[event.notification_id] = sent.entry_id
            for batch in self._batches():
                if batch.serial == event.serial:
                    batch.notification_id = event.notification_id
        elif isinstance(event, bus.Refused):
            refused = self._unanswered.pop(event.serial, None)
            log.warning("the notification server refused a notification: %s", event.error)
            if refused is not None:
                self.balloon.emit(refused.title, refused.text, refused.urgent)
        elif isinstance(event, bus.ActionInvoked):
            if event.notification_id in self._about:
                self.clicked.emit(self._about[event.notification_id])
        elif isinstance(event, bus.Closed):
            self._about.pop(event.notification_id, None)
            for batch in self._batches():
                if batch.notification_id == event.notification_id:
                    batch.open = False

    def _batches(self) -> list[_Batch[Any]]:
        return [batch for batch in (self._batch, self._waiting_batch) if batch is not None]
