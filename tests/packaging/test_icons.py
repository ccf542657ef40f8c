"""The app's icon at every size the desktops want, rendered from resources/zag-tray-app.svg."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.packaging import load

icons = load("icons.py")
PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    return width, height


def test_every_icon_file_holds_the_sizes_its_platform_asks_for(tmp_path: Path) -> None:
    files = icons.write_all(tmp_path)

    ico = files["ico"].read_bytes()
    sizes = icons.read_ico_sizes(ico)
    assert sizes == sorted(sizes) and {16, 24, 32, 48, 64, 128, 256} <= set(sizes)
    assert min(sizes) == 16 and max(sizes) == 256
    for n, size in enumerate(sizes):  # each entry is a PNG of the size its directory says
        length, offset = struct.unpack_from("<II", ico, 6 + 16 * n + 8)
        assert png_size(ico[offset : offset + length]) == (size, size)

    icns = files["icns"].read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    at, found = 8, {}
    while at < len(icns):
        kind, length = icns[at : at + 4], struct.unpack(">I", icns[at + 4 : at + 8])[0]
        found[kind] = png_size(icns[at + 8 : at + length])[0]
        at += length
    assert found == {kind: px for kind, px in icons.ICNS_TYPES}

    hicolor = files["hicolor"]
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        png = hicolor / f"{size}x{size}" / "apps" / f"{icons.APP_ID}.png"
        assert png_size(png.read_bytes()) == (size, size)
    svg = hicolor / "scalable" / "apps" / f"{icons.APP_ID}.svg"
    assert svg.read_bytes() == icons.SVG.read_bytes()


def test_an_icon_is_drawn_not_blank() -> None:
    from PySide6.QtGui import QImage

    image = QImage.fromData(icons.render_png(32))
    assert image.width() == 32
    colours = {image.pixel(x, y) for x in range(32) for y in range(32)}
    assert len(colours) > 8  # the tile, the tree, their antialiased edges


def test_a_malformed_ico_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="not an ICO"):
        icons.read_ico_sizes(b"\x00\x00\x02\x00\x00\x00")
