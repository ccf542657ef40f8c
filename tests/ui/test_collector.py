"""Garbage made on a worker thread is collected on the GUI thread, never on the worker."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from zag_tray.ui.collector import GuiThreadCollector


class _Cycle:
    """A reference cycle that records the thread it is finalised on."""

    def __init__(self, seen: list[str]) -> None:
        self.me = self
        self.seen = seen

    def __del__(self) -> None:
        self.seen.append(threading.current_thread().name)


@pytest.fixture
def automatic_collection() -> Iterator[None]:
    gc.enable()  # as outside the tests: what the collector has to turn off
    yield
    gc.disable()


def _make_garbage_on_a_worker(seen: list[str], count: int) -> None:
    def work() -> None:
        for _ in range(count):
            _Cycle(seen)
            [[] for _ in range(10)]  # allocations of the kind that trigger automatic passes

    worker = threading.Thread(target=work, name="worker")
    worker.start()
    worker.join()


def test_without_it_a_worker_collects_garbage_itself(automatic_collection: None) -> None:
    seen: list[str] = []
    _make_garbage_on_a_worker(seen, 5000)
    assert "worker" in seen  # the hazard the collector exists for


def test_garbage_made_on_a_worker_is_collected_on_the_gui_thread(
    automatic_collection: None, qtbot: QtBot
) -> None:
    collector = GuiThreadCollector(interval_ms=10)
    collector.start()
    try:
        seen: list[str] = []
        _make_garbage_on_a_worker(seen, 5000)
        qtbot.waitUntil(lambda: len(seen) == 5000, timeout=5000)
        assert set(seen) == {threading.main_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled()  # given back as it was found
