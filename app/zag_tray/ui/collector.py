"""Python's cyclic garbage collector, run on the GUI thread only.

Left automatic, the collector runs in whichever thread happens to allocate:
often the worker that reads the store. A Qt object it frees there is deleted on
the wrong thread while the GUI thread may still deliver events to it. Valgrind
showed exactly that in the UI tests: a store watcher's QFileSystemWatcher freed
by a collection on a worker thread, then read by the GUI event loop (heap
corruption, segfaults). So the tray turns automatic collection off and collects on
the GUI thread, after each observation and from a slow timer, with the collector's own
generation thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

INTERVAL_MS = 30_000
"""The timer is a backstop: the tray collects after each observation (ui/tray.py), so a tray
at rest wakes for this twice a minute, not every second."""


class GuiThreadCollector(QObject):
    """Collects garbage from a timer on the thread it lives on (the GUI thread)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = False

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.collect_due()
        if self._was_enabled:
            gc.enable()

    @Slot()
    def collect_due(self) -> None:
        """Collect the generations the automatic collector would have by now."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = -1
        for candidate in range(3):
            if counts[candidate] <= thresholds[candidate]:
                break
            generation = candidate
        if generation >= 0:
            gc.collect(generation)
