"""The window's size, place and column layout as text for the settings file (Qt's own
``saveGeometry`` and header ``saveState``, in base64), and put back from it."""

from __future__ import annotations

import base64
import contextlib

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QWidget

from zag_tray.ui.tree_view import AgentTreeView


def layout_state(window: QWidget, view: AgentTreeView) -> tuple[str, str]:
    """(geometry, column layout) as base64 text."""
    return _base64(window.saveGeometry()), _base64(view.header().saveState())


def restore_layout(window: QWidget, view: AgentTreeView, geometry: str, columns: str) -> None:
    """Put back what :func:`layout_state` saved (anything unusable is ignored by Qt)."""
    with contextlib.suppress(ValueError):  # not base64: nothing to restore
        if geometry:
            window.restoreGeometry(QByteArray(base64.b64decode(geometry, validate=True)))
        if columns:
            view.restore_columns(QByteArray(base64.b64decode(columns, validate=True)))


def _base64(data: QByteArray) -> str:
    return base64.b64encode(data.data()).decode("ascii")  # data() copies while ``data`` is alive
