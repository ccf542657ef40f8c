"""The app's icon at every size the three desktops ask for, rendered from the one SVG
(resources/zag-tray-app.svg) with Qt's own SVG renderer, so nothing else is needed to build:

- Linux: the hicolor theme's PNG sizes, 16 to 512 px, plus the SVG itself as "scalable";
- Windows: an .ico holding 16 to 256 px;
- macOS: an .icns holding 16 to 1024 px (512 at 2x).

Both containers hold PNG images, which Windows (Vista on) and macOS (10.7 on) read.
Run ``python packaging/icons.py DIR`` to write them all to DIR (the build does).
"""

from __future__ import annotations

import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "zag-tray-app.svg"
APP_ID = "dev.zag_tray.ZagTray"
"""The name an installed icon goes by: the desktop entry's Icon= (packaging/linux)."""

HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 96, 128, 256, 512)
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 96, 128, 256)
ICNS_TYPES = (  # (OSType, pixels): Apple's PNG-bearing icon types, the @2x ones too
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def render_png(size: int, svg: Path = SVG) -> bytes:
    """The SVG drawn on a transparent square of ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not an SVG Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file of PNG images, one per size (a size byte of 0 means 256)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset + len(images))
        images += data
    return header + entries + images


def read_ico_sizes(data: bytes) -> list[int]:
    """The sizes an ICO file holds, from its directory (for the tests and the build's check)."""
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    if (reserved, kind) != (0, 1):
        raise ValueError("not an ICO file")
    sizes = []
    for n in range(count):
        width, height = struct.unpack_from("<BB", data, 6 + 16 * n)
        if width != height:
            raise ValueError(f"entry {n} is not square: {width}x{height}")
        sizes.append(width or 256)
    return sizes


def icns_bytes(png_of: dict[int, bytes]) -> bytes:
    """An ICNS file of PNG images: one per type of ICNS_TYPES, taken from ``png_of`` by pixels."""
    body = b"".join(kind + struct.pack(">I", 8 + len(png_of[px])) + png_of[px] for kind, px in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_all(out: Path) -> dict[str, Path]:
    """Every icon file into ``out``: ``hicolor/`` (a theme tree), ``zag-tray.ico``,
    ``zag-tray.icns`` and ``zag-tray.png`` (256 px); their paths by kind."""
    sizes = sorted({*HICOLOR_SIZES, *ICO_SIZES, *(px for _, px in ICNS_TYPES)})
    pngs = {size: render_png(size) for size in sizes}
    hicolor = out / "hicolor"
    for size in HICOLOR_SIZES:
        folder = hicolor / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{APP_ID}.png").write_bytes(pngs[size])
    scalable = hicolor / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, scalable / f"{APP_ID}.svg")
    files = {
        "hicolor": hicolor,
        "ico": out / "zag-tray.ico",
        "icns": out / "zag-tray.icns",
        "png": out / "zag-tray.png",
    }
    files["ico"].write_bytes(ico_bytes({size: pngs[size] for size in ICO_SIZES}))
    files["icns"].write_bytes(icns_bytes(pngs))
    files["png"].write_bytes(pngs[256])
    return files


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python packaging/icons.py OUT_DIR")
    for kind, path in write_all(Path(sys.argv[1])).items():
        print(f"{kind}: {path}")
