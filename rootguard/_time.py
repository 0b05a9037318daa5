"""UTC: the current time, normalizing datetimes, and the text forms rootguard writes (pure).

Naive datetimes are taken as UTC everywhere. Each text form has one function:

- :func:`iso_z` — ``2024-05-02T08:00:00.123456Z``: ISO 8601 at the value's precision
  (JSON evidence, which must round-trip exactly);
- :func:`iso_z_millis` — ``2024-05-02T08:00:00.123Z``: ISO 8601 to the millisecond (the
  machine-readable outputs);
- :func:`minute_text` — ``2024-05-02 08:00``: text and Markdown of organization scans and
  member-root audits;
- :func:`second_text` — ``2024-05-02 08:00:00 UTC``: the HTML report.
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["as_utc", "iso_z", "iso_z_millis", "minute_text", "second_text", "utc_now"]

NONE_TEXT = "-"
"""What the display forms show for no time."""


def utc_now() -> datetime:
    """The current time, aware, in UTC (I/O and the command line only: pure code takes
    ``now`` as a parameter)."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (naive values are taken as UTC; None stays)."""
    return None if value is None else _aware(value)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def iso_z(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, at the value's own precision."""
    return _aware(value).isoformat().replace("+00:00", "Z")


def iso_z_millis(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the millisecond."""
    return _aware(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def minute_text(value: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` in UTC (the caller says "UTC"); ``-`` for None."""
    return NONE_TEXT if value is None else _aware(value).strftime("%Y-%m-%d %H:%M")


def second_text(value: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM:SS UTC``; ``-`` for None."""
    return NONE_TEXT if value is None else _aware(value).strftime("%Y-%m-%d %H:%M:%S UTC")
