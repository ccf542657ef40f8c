"""Untrusted text (prompts, roots, models) shown as plain text in places Qt would parse HTML."""

from __future__ import annotations

import sys

from PySide6.QtGui import Qt


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally: Qt renders tooltips that look like HTML as HTML."""
    return Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)


def balloon_text(text: str) -> str:
    """``text`` for the icon's balloon: Qt draws its own on X11 and renders text that looks
    like HTML as HTML there; macOS and Windows hand it to the system as plain text."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)
    return text
