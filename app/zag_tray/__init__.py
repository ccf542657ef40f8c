"""zag-tray: a system-tray monitor for zag coding agents."""

__version__ = "0.1.0"
