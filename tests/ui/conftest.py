"""UI tests run on Qt's offscreen platform (no display needed)."""

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread() -> Iterator[None]:
    """Garbage is collected on the GUI thread only, as the tray does (ui/collector.py).

    A test's windows and watchers die in reference cycles; an automatic collection
    triggered on a later test's worker thread would delete them there, under the
    GUI thread's feet.
    """
    gc.disable()
    yield
    gc.collect()


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    """A settings file of the test's own, not written yet (so: the defaults)."""
    return tmp_path / "config" / "settings.json"
