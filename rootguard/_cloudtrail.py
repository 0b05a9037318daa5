"""CloudTrail record and log-file parsing (pure). Implementation pending (issue 2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from os import PathLike
from typing import Any

from rootguard._models import CloudTrailEvent

__all__ = ["parse_cloudtrail_event", "read_cloudtrail_file"]


def parse_cloudtrail_event(data: Mapping[str, Any] | str | bytes) -> CloudTrailEvent:
    """Parse a raw CloudTrail record, an EventBridge envelope or a LookupEvents item."""
    raise NotImplementedError


def read_cloudtrail_file(
    source: str | PathLike[str] | bytes, *, name: str | None = None
) -> Iterator[CloudTrailEvent]:
    """Read a CloudTrail log file (gzip or plain)."""
    raise NotImplementedError
