"""CloudWatch Logs filter-pattern engine (pure). Implementation pending (issue 2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CIS_ROOT_FILTER_PATTERN", "filter_pattern_matches"]

CIS_ROOT_FILTER_PATTERN = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
    '&& $.eventType != "AwsServiceEvent" }'
)
"""The exact CIS AWS Foundations metric-filter pattern for root usage (CloudWatch.1)."""


def filter_pattern_matches(pattern: str, event: Mapping[str, Any] | str) -> bool:
    """Whether a CloudWatch Logs filter pattern matches one log event."""
    raise NotImplementedError
