"""Fixtures of the core tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SAMPLE


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A copy of the shared sample store (zag's exact format), in a folder of its own."""
    path = tmp_path / "processes.json"
    path.write_bytes(SAMPLE.read_bytes())
    return path
