"""Work off the GUI thread never dies silently: an unexpected exception is an error the
user sees, and the next observation or action still runs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.conftest import ORPHAN, LiveSample
from zag_tray.agents.entry import Entry
from zag_tray.agents.observation import Observation
from zag_tray.agents.status import LiveStatus
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.procs.monitor import Monitor
from zag_tray.ui.controller import AgentController
from zag_tray.ui.watcher import StoreWatcher


class FailsOnce(LivenessChecker):
    """A checker whose first liveness check raises something nobody planned for."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def statuses(self, entries: Iterable[Entry]) -> dict[str, LiveStatus]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("injected failure")
        return super().statuses(entries)


def test_an_observation_that_raises_is_an_error_and_the_next_one_runs(
    live_sample: LiveSample, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    watcher = StoreWatcher(Monitor(live_sample.path, FailsOnce()))
    seen: list[Observation] = []
    watcher.observed.connect(seen.append)
    watcher.start()
    try:
        qtbot.waitUntil(lambda: len(seen) >= 1, timeout=5000)
        assert seen[0].error == "unexpected error: RuntimeError: injected failure"
        logged = [r for r in caplog.records if r.exc_info and "injected failure" in str(r.exc_info[1])]
        assert logged, "the traceback goes to the log"
        watcher.refresh()
        qtbot.waitUntil(lambda: len(seen) >= 2, timeout=5000)
        assert seen[-1].error is None and len(seen[-1].running) == 4
    finally:
        watcher.stop()


class Broken(LivenessChecker):
    def verified_process(self, entry: Entry, *, allow_ended: bool = False) -> object:  # type: ignore[override]
        raise RuntimeError("injected failure")


def test_an_action_that_raises_is_a_message_and_the_next_one_runs(
    live_sample: LiveSample, qtbot: QtBot, tmp_path: Path
) -> None:
    controller = AgentController(live_sample.path, Broken(), lambda *_: True)
    controller.observation = Monitor(live_sample.path).observe()
    with qtbot.waitSignal(controller.message, timeout=5000) as said:
        controller.kill(ORPHAN)
    assert "injected failure" in said.args[0]
    with qtbot.waitSignal(controller.message, timeout=5000) as said:
        controller.stop(ORPHAN)
    assert "injected failure" in said.args[0]
    controller.wait()
    assert live_sample.alive(ORPHAN)
