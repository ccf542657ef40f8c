"""What other machines tell the user: an agent a live stream saw end ("Agent finished on
devbox"), and agents that began waiting for the user there, in the very notification local
ones use (ui/notifier.announce_waiting: coalesced with them, each named with its host), each
behind the setting local ones have (``notifications``, ``notify_waiting``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Slot

from zag_tray.agents.notices import Notice, Waiting
from zag_tray.desktop.settings import Settings
from zag_tray.remote.glance import ended_notice
from zag_tray.remote.state import Ended
from zag_tray.ui.notifier import Notifier
from zag_tray.ui.remote_link import RemoteHosts


class RemoteNotices(QObject):
    """Tells what ``hosts`` report through ``notifier``, as ``settings()`` allows; ``noted``
    gets each notice sent (the tray keeps them: what the user was told)."""

    def __init__(
        self,
        hosts: RemoteHosts,
        notifier: Notifier,
        settings: Callable[[], Settings],
        noted: Callable[[Notice | None], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notifier, self.settings, self.noted = notifier, settings, noted
        hosts.ended.connect(self.ended)
        hosts.waiting.connect(self.waiting)

    @Slot(object)
    def ended(self, ended: list[Ended]) -> None:
        """Agents a live stream saw end (never after a reconnect: remote/state.py)."""
        if self.settings().notifications:
            for each in ended:
                self.noted(self.notifier.tell(ended_notice(each, time.time())))

    @Slot(object)
    def waiting(self, waiting: list[Waiting]) -> None:
        """Agents that began waiting between two live states of their host (remote/glance.py)."""
        if self.settings().notify_waiting:
            self.noted(self.notifier.announce_waiting(waiting, time.time()))
