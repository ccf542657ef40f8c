"""The details pane's rows about what a running agent is doing, as its session log shows it
(agents/activity.py): its activity, usage and cost, turns, the log's path, the last events
and the full result, selectable and copyable.

Everything here comes from a session log and is hostile: it reaches a widget only through
agents/present.py and agents/text.py (escaped, cut), and only as plain text: labels set to
plain text, the timeline and the result in read-only QPlainTextEdits, which never read
markup. The result may be 64 kB: a QPlainTextEdit lays out only what is on screen, as long
as no line is one huge word (:func:`breakable`).
"""

from __future__ import annotations

import re
import time
from typing import Final

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QSizePolicy, QToolButton, QWidget

from zag_tray.agents.activity import RESULT_KEPT, Activity
from zag_tray.agents.present import (
    APPROVAL_NOTE,
    NO_VALUE,
    activity_label,
    result_text,
    step_line,
    usage_text,
)
from zag_tray.agents.text import SHORT_FIELD, capped

SUMMARY: Final = ("activity", "usage", "turns")
"""Short rows, shown with the agent's state."""
NO_LOG: Final = "no session log found (zag gc deletes logs; a plain zag exec may not be linked to one)"
TIMELINE_LINES: Final = 8
RESULT_LINES: Final = 10
LONGEST_WORD: Final = 2000
"""Characters of a run without spaces shown on one line: Qt's word wrap lays out a longer one
in time that grows with its square (64,000 characters: 0.15 s; its escapes: 6 s)."""
_LONG_WORD: Final = re.compile(f"\\S{{{LONGEST_WORD}}}(?=\\S)")
_SELECTABLE: Final = (
    Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
)


def breakable(text: str) -> str:
    """``text`` with a line break after every :data:`LONGEST_WORD` characters of a run without
    spaces (a hash, base64, a line of escapes): what the result's box lays out at once. Its
    Copy button copies the text as the log has it."""
    return _LONG_WORD.sub(lambda match: match.group() + "\n", text)


class ActivityRows(QObject):
    """The widgets of the rows (the details pane lays them out): :data:`SUMMARY` labels, and the
    ``log`` label, ``timeline`` and ``result`` below the agent's fields. ``copy_requested``
    carries the whole result, for the clipboard."""

    copy_requested = Signal(str, str)
    """("result", the result as the log has it)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.labels: dict[str, QLabel] = {}
        for name in (*SUMMARY, "log"):
            label = self.labels[name] = QLabel()
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(_SELECTABLE)
            label.setWordWrap(True)
        self.timeline = _text_box(TIMELINE_LINES, grows=False)
        bar = self.timeline.verticalScrollBar()  # the latest events are the last: kept in sight,
        bar.rangeChanged.connect(lambda _, end: bar.setValue(end))  # once laid out too
        self.result = _text_box(RESULT_LINES, grows=True)
        self.copy_result = QToolButton()
        self.copy_result.setText("Copy")
        self.copy_result.setToolTip("Copy the whole result")
        self.copy_result.clicked.connect(self._copy)
        self.result_box = QWidget()
        row = QHBoxLayout(self.result_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.result, 1)
        row.addWidget(self.copy_result, 0, Qt.AlignmentFlag.AlignTop)
        self.shown: Activity | None = None
        self._day = 0  # the timeline's times name the day when it is not today's
        self._result: tuple[str | None, bool] = (None, False)

    def _copy(self) -> None:
        if self.shown is not None and self.shown.result is not None:
            self.copy_requested.emit("result", self.shown.result)

    def rows(self, activity: Activity | None) -> dict[str, bool]:
        """Which rows show for ``activity``: none without one (the agent does not run), the
        activity alone without a log."""
        logged = activity is not None and activity.log is not None
        return {
            "activity": activity is not None,
            **{name: logged for name in ("usage", "turns", "log", "last events")},
            "result": logged and activity is not None and activity.result is not None,
        }

    def show(self, activity: Activity | None, now: float) -> None:
        """Show ``activity`` at ``now``. Only its wording follows the clock: the rest is set
        again only when the log brought something new (the same object is the same log), and
        the result only when its text changed, so a selection in it survives."""
        self.labels["activity"].setText(_wording(activity, now))
        self.labels["activity"].setToolTip(
            APPROVAL_NOTE if activity is not None and activity.maybe_approval(now) else ""
        )
        day = time.localtime(now).tm_yday
        if activity is self.shown and day == self._day:
            return
        self.shown, self._day = activity, day
        if activity is None or activity.log is None:
            return
        usage = usage_text(activity.usage) or NO_VALUE
        self.labels["usage"].setText(f"{usage} (the turns' own)" if activity.usage.per_turn else usage)
        self.labels["turns"].setText(str(activity.turns))
        self.labels["log"].setText(capped(activity.log, SHORT_FIELD))
        if _set_text(self.timeline, "\n".join(step_line(step, now) for step in activity.steps)):
            self.timeline.verticalScrollBar().setValue(self.timeline.verticalScrollBar().maximum())
        if (activity.result, activity.result_cut) != self._result:
            self._result = (activity.result, activity.result_cut)
            _set_text(self.result, breakable(result_text(activity, RESULT_KEPT)))


def _wording(activity: Activity | None, now: float) -> str:
    if activity is None:
        return ""
    return NO_LOG if activity.log is None else activity_label(activity, now)


def _text_box(lines: int, *, grows: bool) -> QPlainTextEdit:
    """A read-only plain-text box ``lines`` lines high (at least, if it ``grows`` into the room
    the pane has left: the form's other rows stay packed at the top), in a fixed-width font
    (logs and answers are often code), that keeps no undo history."""
    box = QPlainTextEdit()
    box.setReadOnly(True)
    box.setUndoRedoEnabled(False)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    margins = box.contentsMargins()
    frame = 2 * box.frameWidth() + margins.top() + margins.bottom() + 2 * int(box.document().documentMargin())
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * lines + frame)
    if not grows:
        box.setMaximumHeight(box.minimumHeight())
        box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return box


def _set_text(box: QPlainTextEdit, text: str) -> bool:
    """``text`` in ``box`` unless it shows it already (a new text loses the selection); was it
    set?"""
    if text == box.toPlainText():
        return False
    box.setPlainText(text)
    return True
