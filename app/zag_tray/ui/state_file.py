"""What the tray shows, written as JSON to ``$ZAG_TRAY_STATE_FILE``: a seam for the end-to-end
tests (tests/e2e), which drive the real app from outside and read back what it shows. Unset
(always, for users), nothing is written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zag_tray.agents.glance import running_states
from zag_tray.agents.present import activity_label
from zag_tray.desktop.files import atomic_write

if TYPE_CHECKING:
    from zag_tray.ui.tray import TrayApp

STATE_FILE_ENV = "ZAG_TRAY_STATE_FILE"


def write_state_file(tray: TrayApp) -> None:
    target = os.environ.get(STATE_FILE_ENV)
    if target:
        atomic_write(Path(target), json.dumps(tray_state(tray), indent=2).encode("utf-8"))


def tray_state(tray: TrayApp) -> dict[str, Any]:
    observation = tray.observation
    window = tray.window if tray.window_built() else None
    return {
        "observed": observation is not None,
        "tooltip": tray.icon.toolTip(),
        "icon": {"state": tray.look.state.value, "count": tray.look.count, "attention": tray.look.attention},
        "tray_available": tray.tray_available,
        "running": [] if observation is None else running_states(observation),
        "activity": {}
        if observation is None
        else {
            entry.id: activity_label(observation.activity_of(entry), observation.observed_at, ticking=False)
            for entry in observation.running
        },
        "window_visible": tray.window_visible(),
        "window_selected": window.selected_id() if window is not None else None,
        "window_note": window.note.text() if window is not None and window.note.isVisible() else "",
        "window_rows": [] if window is None else window.visible_rows(),
    }
