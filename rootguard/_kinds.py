"""What a saved rootguard file is: its ``kind`` and ``schema_version`` (pure).

Snapshots, plans, reports and organization reports are saved as JSON and read back later
(``--snapshot-in``, ``apply PLAN.json``, ``Report.from_json`` …). Each carries its
``kind`` and the ``schema_version`` of its format, and each model checks both before
anything else, so that a plan handed over as a snapshot — which would otherwise validate,
a snapshot keeping unknown fields — is an error instead of a report where every check is
UNKNOWN. Files written before ``kind`` existed are recognized by the fields only their
kind has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["KIND_NAMES", "check_kind", "kind_of"]

KIND_NAMES = {
    "snapshot": "an account snapshot",
    "plan": "a remediation plan",
    "organization_plan": "an organization remediation plan",
    "report": "an account report",
    "organization_report": "an organization report",
}
"""Every ``kind``, with the words errors use for it."""

# Fields only one kind has (for files written before ``kind`` existed).
_MARKERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("plan", frozenset({"actions", "home_region"})),
    ("organization_report", frozenset({"accounts", "organization_findings"})),
    ("report", frozenset({"findings"})),
    ("snapshot", frozenset({"region_data"})),
    ("snapshot", frozenset({"credential_report"})),
)


def kind_of(data: Mapping[str, Any]) -> str | None:
    """The kind of a parsed rootguard file: its ``kind`` field, else recognized by the
    fields only that kind has; None when neither tells."""
    declared = data.get("kind")
    if isinstance(declared, str):
        return declared
    for kind, fields in _MARKERS:
        if fields <= data.keys():
            return kind
    return None


def check_kind(data: Any, expected: str, schema_version: int) -> None:
    """Raise ``ValueError`` (which pydantic reports as a validation error) when ``data``
    is another kind of rootguard file, or was written by a newer rootguard.

    Anything that is not a mapping is left for the model to reject.
    """
    if not isinstance(data, Mapping):
        return
    kind = kind_of(data)
    if kind is not None and kind != expected:
        what = KIND_NAMES.get(kind, f"kind {kind!r}")
        raise ValueError(f"this is {what}, not {KIND_NAMES[expected]}")
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > schema_version:
        raise ValueError(
            f"schema_version {version} was written by a newer rootguard "
            f"(this one reads {KIND_NAMES[expected]} up to schema_version {schema_version})"
        )
