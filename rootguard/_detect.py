"""Root-activity detection (pure). Implementation pending (issue 2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rootguard._models import CloudTrailEvent, RootActivity

__all__ = ["classify_event", "detect_root_activity"]


def classify_event(event: CloudTrailEvent | Mapping[str, Any]) -> RootActivity | None:
    """Classify one record: a RootActivity, or None when it is not root activity."""
    raise NotImplementedError


def detect_root_activity(
    events: Iterable[CloudTrailEvent | Mapping[str, Any]],
) -> list[RootActivity]:
    """All root activity among ``events`` (AssumeRoot pairs correlated)."""
    raise NotImplementedError
