"""The tray icon renders every state crisply; the renders are written out to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from zag_tray.agents.present import AMBER
from zag_tray.ui.icons import SIZES, IconLook, IconState, badge_text, render, tray_icon

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "icons"
LOOKS = {
    "idle": IconLook(IconState.IDLE),
    "busy-1": IconLook(IconState.BUSY, 1),
    "busy-42": IconLook(IconState.BUSY, 42),
    "busy-120": IconLook(IconState.BUSY, 120),
    "attention": IconLook(IconState.BUSY, 3, attention=True),
    "needs-you-2": IconLook(IconState.NEEDS_YOU, 2),
    "error": IconLook(IconState.ERROR),
}


def test_badge_caps_at_99_plus() -> None:
    assert [badge_text(n) for n in (1, 99, 100, 12345)] == ["1", "99", "99+", "99+"]


@pytest.mark.parametrize("name", LOOKS)
def test_each_state_renders_at_every_size_and_ratio(qapp: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        for ratio in (1.0, 2.0):
            pixmap = render(LOOKS[name], size, ratio)
            image = pixmap.toImage()
            assert (image.width(), image.height()) == (round(size * ratio), round(size * ratio))
            assert _opaque_pixels(image) > image.width() * image.height() * 0.15
            pixmap.save(str(ARTIFACTS / f"{name}-{size}@{ratio:g}x.png"))
    sizes = {s.width() for s in tray_icon(LOOKS[name]).availableSizes()}
    assert sizes == {16, 22, 32, 44, 64, 128}  # every size at 1x and 2x, in device pixels


def test_states_look_different(qapp: object) -> None:
    images = {name: render(look, 32).toImage() for name, look in LOOKS.items()}
    assert len({bytes(img.constBits()) for img in images.values()}) == len(LOOKS)
    assert _has_colour(images["attention"], QColor("#f0883e"))
    assert not _has_colour(images["busy-1"], QColor("#f0883e"))
    # needs you: the needs-you colour, which neither busy nor the attention dot has
    assert _has_colour(images["needs-you-2"], QColor(AMBER))
    assert not any(_has_colour(images[name], QColor(AMBER)) for name in ("busy-1", "attention"))


def _opaque_pixels(image: QImage) -> int:
    return sum(
        1 for y in range(image.height()) for x in range(image.width()) if image.pixelColor(x, y).alpha() > 0
    )


def _has_colour(image: QImage, colour: QColor) -> bool:
    return any(
        image.pixelColor(x, y).rgb() == colour.rgb()
        for y in range(image.height())
        for x in range(image.width())
    )
