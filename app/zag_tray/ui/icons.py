"""The tray icon, drawn from the SVG glyph: idle, busy with a count, needs you with a count,
attention, error.

Rendered per size (16, 22, 32, 64 px, and at the screen's device pixel ratio)
from vector sources, so it stays crisp at any scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache
from importlib import resources

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from zag_tray.agents.present import AMBER, GREEN, GREY, ORANGE, RED

SIZES = (16, 22, 32, 64)
GLYPH_COLOURS = {"idle": GREY, "busy": GREEN, "needs_you": AMBER, "error": RED}
BADGES = {"busy": ("#1f6feb", "white"), "needs_you": (AMBER, "black")}
"""The count's badge (background, text): running agents in blue; those that need the user in
the needs-you colour, dark text on it (white on amber cannot be read at 16 px)."""
ATTENTION_COLOUR = QColor(ORANGE)


class IconState(Enum):
    IDLE = "idle"
    BUSY = "busy"
    NEEDS_YOU = "needs_you"
    """An agent waits for the user, or may (a tool pending 30 s): above busy, below error."""
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class IconLook:
    """Everything the icon shows."""

    state: IconState
    count: int = 0
    """Busy: the agents running; needs you: the agents that need the user."""
    attention: bool = False


def badge_text(count: int) -> str:
    return "99+" if count > 99 else str(count)


@cache
def _glyph(colour: str) -> QSvgRenderer:
    svg = (resources.files("zag_tray.resources") / "zag-tray.svg").read_text(encoding="utf-8")
    return QSvgRenderer(QByteArray(svg.replace("#4a5560", colour).encode("utf-8")))


def render(look: IconLook, size: int, ratio: float = 1.0) -> QPixmap:
    """One pixmap of ``size`` logical pixels at device pixel ratio ``ratio``."""
    pixels = round(size * ratio)
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    _glyph(GLYPH_COLOURS[look.state.value]).render(painter, QRectF(0, 0, pixels, pixels))
    badge = BADGES.get(look.state.value)
    if badge is not None and look.count > 0:
        _draw_badge(painter, badge_text(look.count), pixels, *badge)
    if look.state is IconState.ERROR:
        _draw_mark(painter, "!", pixels, QColor(GLYPH_COLOURS["error"]))
    if look.attention:
        dot = pixels * 0.36
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ATTENTION_COLOUR)
        painter.drawEllipse(QRectF(pixels - dot, 0, dot, dot))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _draw_badge(painter: QPainter, text: str, pixels: int, background: str, colour: str) -> None:
    height = pixels * 0.55
    width = max(height, height * (0.45 + 0.32 * len(text)))
    rect = QRectF(pixels - width, pixels - height, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(background))
    painter.drawRoundedRect(rect, height / 2, height / 2)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(int(height * (0.78 if len(text) < 3 else 0.6)), 6))
    painter.setFont(font)
    painter.setPen(QColor(colour))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def _draw_mark(painter: QPainter, text: str, pixels: int, colour: QColor) -> None:
    size = pixels * 0.55
    rect = QRectF(pixels - size, pixels - size, size, size)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(rect)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(int(size * 0.8), 6))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


@lru_cache(maxsize=8)
def tray_icon(look: IconLook) -> QIcon:
    """A QIcon with a crisp pixmap for every common tray size, at 1x and 2x; each look drawn
    once (an agent that waits and works in turn flips the icon between two looks)."""
    icon = QIcon()
    for size in SIZES:
        for ratio in (1.0, 2.0):
            icon.addPixmap(render(look, size, ratio))
    return icon


@cache
def dot_icon(colour: str) -> QIcon:
    """A small dot of ``colour`` (an outcome's colour, agents/present.py) for menus and lists."""
    icon = QIcon()
    for size in (16, 32):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawEllipse(QRectF(size * 0.25, size * 0.25, size * 0.5, size * 0.5))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


@cache
def app_icon() -> QIcon:
    """The app's own icon (resources/zag-tray-app.svg: the window, the About box, the
    launchers the bundles install), distinct from the tray glyph, which changes with state."""
    svg = (resources.files("zag_tray.resources") / "zag-tray-app.svg").read_bytes()
    renderer = QSvgRenderer(QByteArray(svg))
    icon = QIcon()
    for size in (16, 32, 64, 128):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(pixmap)
    return icon
