"""What can be wrong with the store as a whole. ``str()`` of each is a one-line message."""

from __future__ import annotations


class StoreError(Exception):
    """The store as a whole cannot be used. ``str()`` is a one-line message."""


class StoreUnreadableError(StoreError):
    """The file exists but the OS refused to read it."""


class StoreNotRegularFileError(StoreError):
    """The path is a directory, FIFO, socket or device: never opened for reading."""


class StoreTooLargeError(StoreError):
    """Larger than :data:`zag_tray.store.read.MAX_STORE_BYTES`."""


class StoreNotJsonError(StoreError):
    """Not UTF-8, has a BOM, has NaN/Infinity, or is not JSON at all."""


class StoreTooDeepError(StoreError):
    """Nested deeper than the JSON parser's recursion limit (a nesting bomb)."""


class StoreWrongShapeError(StoreError):
    """Valid JSON, but not ``{"processes": [...]}``."""


class StoreWriteError(StoreError):
    """The change could not be written; the store on disk is as it was."""
