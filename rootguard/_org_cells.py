"""The cells of an organization report's markdown and the columns of its CSV (pure)."""

from __future__ import annotations

from rootguard._posture._models import Status

__all__ = ["CELL", "RECORD_COLUMNS", "md"]

CELL = {
    Status.PASS: "ok",
    Status.FAIL: "FAIL",
    Status.UNKNOWN: "?",
    Status.SUPPRESSED: "sup",
    Status.NOT_APPLICABLE: "n/a",
}

RECORD_COLUMNS = (
    "scope",
    "account_name",
    "account_status",
    "account_id",
    "generated_at",
    "check_id",
    "status",
    "severity",
    "region",
    "resource",
    "title",
    "detail",
    "controls",
    "security_hub_controls",
    "cis_requirements",
    "remediation",
    "evidence",
)


def md(text: str) -> str:
    from rootguard._render import md_cell

    return md_cell(text)
