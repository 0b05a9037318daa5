"""Vocabularies every layer shares (pure, imports nothing of rootguard): the
:class:`StrEnum` base of rootguard's own vocabularies and :class:`Severity`.

They live under the models so that the presentation core (``rootguard._view``), which the
models use for their notebook views, can use them at runtime without importing the models;
``rootguard._models`` re-exports both.
"""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - exercised on Python 3.10 only

    class StrEnum(str, Enum):
        """Backport of :class:`enum.StrEnum` for Python 3.10."""

        def __str__(self) -> str:
            return str(self.value)


__all__ = ["Severity", "StrEnum"]


class Severity(StrEnum):
    """Severity of a root activity or a finding, most severe first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"
