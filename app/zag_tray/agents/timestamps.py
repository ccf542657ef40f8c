"""RFC 3339 timestamps as zag writes them (``started_at``, ``exited_at``)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(text: str) -> float | None:
    """RFC 3339 with an offset (``Z`` or ``+hh:mm``, 0-9 fraction digits) to epoch seconds."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def rfc3339(moment: datetime) -> str:
    """``moment`` in UTC, as zag records times."""
    return moment.astimezone(UTC).isoformat()


def now_rfc3339() -> str:
    """The current UTC time as zag records ``exited_at``."""
    return datetime.now(UTC).isoformat()
