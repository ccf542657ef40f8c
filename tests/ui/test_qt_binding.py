"""The installed Qt binding keeps Python's reference counts straight under the tray's load."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QStringListModel, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_emitting_signals_does_not_leak_or_steal_bool_references(qapp: object) -> None:
    # PySide6 6.12.0 decremented True's count on every emit; on Python 3.11 the
    # tray then died with "bool_dealloc" within minutes (pyproject pins around it).
    model = QStringListModel(["a", "b"])
    emitter = _Emitter()
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(500):
        model.dataChanged.emit(model.index(0, 0), model.index(1, 0))
        emitter.fired.emit(True)
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
