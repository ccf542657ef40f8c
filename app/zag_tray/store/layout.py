"""zag's byte layout of ``processes.json``, written down once.

zag saves with serde_json's ``to_string_pretty`` (zag-agent/src/process_store.rs in
zag's source), which is what ``json.dumps(indent=2, ensure_ascii=False)`` writes. The layout is deterministic,
which is what lets the reader re-parse only the entries whose bytes changed
(store/reader.py) and the writer replace one entry's bytes in place
(store/write.py). The separators hold raw line breaks, which JSON strings cannot,
and an indentation only top-level entries have, so they never match inside a value.
"""

from __future__ import annotations

import json
from typing import Final

from zag_tray.agents.entry import JSONValue

INDENT: Final = 2
"""serde_json's pretty printer indents by two spaces."""
ENTRY_INDENT: Final = " " * (2 * INDENT)
"""An entry's own lines inside ``{"processes": [ ... ]}``."""

HEAD: Final = f'{{\n  "processes": [\n{ENTRY_INDENT}{{\n'.encode()
"""Everything before the first key of the first entry."""
TAIL: Final = f"\n{ENTRY_INDENT}}}\n  ]\n}}".encode()
"""Everything after the last value of the last entry."""
BETWEEN: Final = f"\n{ENTRY_INDENT}}},\n{ENTRY_INDENT}{{\n".encode()
"""What stands between two entries."""
EMPTY: Final = b'{\n  "processes": []\n}'
"""A store with no entries."""
UTF8_BOM: Final = b"\xef\xbb\xbf"


def serialise(doc: JSONValue) -> bytes:
    """The bytes zag (serde_json ``to_string_pretty``) writes for ``doc``."""
    return json.dumps(doc, indent=INDENT, ensure_ascii=False).encode("utf-8")


def entry_bytes(item: JSONValue) -> bytes:
    """One entry as it stands inside zag's store, from the line break before it on."""
    text = serialise(item).decode("utf-8")
    return ("\n" + "\n".join(ENTRY_INDENT + line for line in text.split("\n"))).encode("utf-8")
