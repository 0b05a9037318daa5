"""EventBridge event-pattern engine (pure). Implementation pending (issue 2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["event_pattern_matches"]


def event_pattern_matches(pattern: Mapping[str, Any] | str, event: Mapping[str, Any]) -> bool:
    """Whether an EventBridge event pattern matches an event."""
    raise NotImplementedError
