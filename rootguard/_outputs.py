"""Report outputs: AWS Security Finding Format, OCSF, markdown, flat records (pure).

These are the implementations behind :meth:`Report.to_asff`,
:meth:`Report.to_ocsf`, :meth:`Report.to_markdown` and :meth:`Report.to_records`. They
build plain Python data: no AWS SDK is imported (send ASFF findings with your own
``securityhub.batch_import_findings`` call, 100 per call).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib.metadata
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from rootguard._errors import RootGuardError, time_or_none
from rootguard._models import RootActivity, Severity
from rootguard._posture._models import Finding
from rootguard._render import Record
from rootguard._time import iso_z_millis

__all__ = [
    "ASFF_SCHEMA_VERSION",
    "OCSF_VERSION",
    "Record",
    "ReportData",
    "finding_uid",
    "records_to_csv",
    "to_asff",
    "to_markdown",
    "to_ocsf",
    "to_records",
]

ASFF_SCHEMA_VERSION = "2018-10-08"
"""The AWS Security Finding Format schema version."""
OCSF_VERSION = "1.1.0"
"""The OCSF schema version of :func:`to_ocsf` events."""


class ReportData(Protocol):
    """What the outputs read of a report: :class:`~rootguard.Report` is one. The outputs
    depend on this, not on ``Report``, whose methods call them (no import circle)."""

    @property
    def account_id(self) -> str: ...
    @property
    def partition(self) -> str: ...
    @property
    def generated_at(self) -> datetime | None: ...
    @property
    def regions(self) -> tuple[str, ...]: ...
    @property
    def findings(self) -> tuple[Finding, ...]: ...
    @property
    def counts(self) -> dict[str, int]: ...
    @property
    def root_activity(self) -> tuple[RootActivity, ...]: ...


_ASFF_LABEL = {
    Severity.CRITICAL: "CRITICAL",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MEDIUM",
    Severity.LOW: "LOW",
    Severity.INFORMATIONAL: "INFORMATIONAL",
}
_ASFF_COMPLIANCE = {
    "PASS": "PASSED",
    "FAIL": "FAILED",
    "UNKNOWN": "WARNING",
    "NOT_APPLICABLE": "NOT_AVAILABLE",
}
_OCSF_SEVERITY = {
    Severity.INFORMATIONAL: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
_OCSF_COMPLIANCE = {
    "PASS": (1, "Pass"),
    "UNKNOWN": (2, "Warning"),
    "FAIL": (3, "Fail"),
    "NOT_APPLICABLE": (99, "Not Applicable"),
}
_TYPES_CIS = (
    "Software and Configuration Checks/Industry and Regulatory Standards/"
    "CIS AWS Foundations Benchmark"
)
_TYPES_BEST_PRACTICE = "Software and Configuration Checks/AWS Security Best Practices"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reference_time(report: ReportData, now: datetime | None) -> datetime:
    when = time_or_none(now, "now") or report.generated_at
    if when is None:
        raise RootGuardError(
            "the report has no generated_at (the snapshot had no collected_at): pass now="
        )
    return when


def _resource_type(resource: str) -> str:
    if resource.startswith("AWS::::Account:"):
        return "AwsAccount"
    parts = resource.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return "Other"
    service, rest = parts[2], ":".join(parts[5:])
    if service == "iam" and rest == "root":
        return "AwsAccount"
    if service == "cloudtrail":
        return "AwsCloudTrailTrail"
    if service == "cloudwatch" and rest.startswith("alarm"):
        return "AwsCloudWatchAlarm"
    if service == "sns":
        return "AwsSnsTopic"
    if service == "events" and rest.startswith("event-bus/"):
        return "AwsEventsEventbus"
    return "Other"


def finding_uid(report: ReportData, finding: Finding) -> str:
    """A stable id for a finding: the same check on the same resource gets the same id
    in every run (so Security Hub updates instead of duplicating)."""
    where = finding.region or "global"
    raw = f"rootguard/{report.account_id}/{finding.check_id}/{where}/{finding.resource}"
    if len(raw) <= 512:
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return f"rootguard/{report.account_id}/{finding.check_id}/{digest}"


def to_asff(
    report: ReportData,
    *,
    region: str | None = None,
    product_arn: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """AWS Security Finding Format findings (``BatchImportFindings`` input).

    Args:
        report: the report.
        region: the Security Hub region (default: the report's first region, else
            ``us-east-1``); global findings are reported in it.
        product_arn: default the account's own product,
            ``arn:<partition>:securityhub:<region>:<account>:product/<account>/default``.
        now: ``CreatedAt`` / ``UpdatedAt``; default the report's ``generated_at``.

    Raises:
        RootGuardError: neither ``now`` nor the report's ``generated_at`` is known.
    """
    home = region or (report.regions[0] if report.regions else "us-east-1")
    account = report.account_id
    partition = report.partition
    product = product_arn or (
        f"arn:{partition}:securityhub:{home}:{account}:product/{account}/default"
    )
    stamp = iso_z_millis(_reference_time(report, now))
    out: list[dict[str, Any]] = []
    for finding in report.findings:
        status = finding.status.value
        # A suppressed finding is reported as what it is (its compliance status), with
        # Security Hub's own workflow status SUPPRESSED.
        judged = finding.suppression.status.value if finding.suppression else status
        passed = judged in ("PASS", "NOT_APPLICABLE")
        label = "INFORMATIONAL" if passed else _ASFF_LABEL[finding.severity]
        cis = list(finding.cis_requirements)[:32]
        product_fields = {
            "rootguard/CheckId": finding.check_id,
            "rootguard/Status": status,
        }
        if finding.security_hub_controls:
            product_fields["rootguard/SecurityHubControls"] = ",".join(
                finding.security_hub_controls
            )
        if finding.suppression is not None:
            product_fields["rootguard/SuppressionReason"] = _clip(finding.suppression.reason, 512)
            product_fields["rootguard/SuppressedUntil"] = finding.suppression.expires.isoformat()
            if finding.suppression.expired:
                product_fields["rootguard/SuppressionExpired"] = "true"
        evidence = json.dumps(finding.evidence, sort_keys=True, separators=(",", ":"))
        if len(evidence) <= 2048:
            product_fields["rootguard/Evidence"] = evidence
        item: dict[str, Any] = {
            "SchemaVersion": ASFF_SCHEMA_VERSION,
            "Id": finding_uid(report, finding),
            "ProductArn": product,
            "GeneratorId": f"rootguard/{finding.check_id}",
            "AwsAccountId": account,
            "Types": [_TYPES_CIS if cis else _TYPES_BEST_PRACTICE],
            "CreatedAt": stamp,
            "UpdatedAt": stamp,
            "Severity": {"Label": label, "Original": finding.severity.value},
            "Title": _clip(finding.title, 256),
            "Description": _clip(finding.detail, 1024),
            "ProductFields": product_fields,
            "Resources": [
                {
                    "Type": _resource_type(finding.resource),
                    "Id": finding.resource,
                    "Partition": partition,
                    "Region": finding.region or home,
                }
            ],
            "Compliance": {"Status": _ASFF_COMPLIANCE[judged]},
            "Workflow": {
                "Status": "SUPPRESSED"
                if status == "SUPPRESSED"
                else ("RESOLVED" if passed else "NEW")
            },
            "RecordState": "ACTIVE",
            "Region": finding.region or home,
        }
        if cis:
            item["Compliance"]["RelatedRequirements"] = cis
        if finding.remediation:
            item["Remediation"] = {"Recommendation": {"Text": _clip(finding.remediation, 512)}}
        out.append(item)
    return out


def _standards(finding: Finding) -> list[str]:
    standards: list[str] = []
    for requirement in finding.cis_requirements:
        name = requirement.split("/", 1)[0]
        if name not in standards:
            standards.append(name)
    if finding.security_hub_controls:
        standards.append("AWS Security Hub")
    return standards or ["rootguard"]


def _ocsf_product() -> dict[str, str]:
    product = {"name": "rootguard", "vendor_name": "rootguard"}
    # The installed distribution's version (importing the package itself would pull the
    # I/O modules into this pure one).
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        product["version"] = importlib.metadata.version("rootguard")
    return product


def to_ocsf(report: ReportData, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """OCSF Compliance Finding events (``class_uid`` 2003, schema :data:`OCSF_VERSION`).

    Raises:
        RootGuardError: neither ``now`` nor the report's ``generated_at`` is known.
    """
    when = _reference_time(report, now)
    millis = int(when.timestamp() * 1000)
    out: list[dict[str, Any]] = []
    for finding in report.findings:
        severity_id, severity = _OCSF_SEVERITY[finding.severity]
        suppressed = finding.status.value == "SUPPRESSED"
        judged = finding.suppression.status.value if finding.suppression else finding.status.value
        compliance_id, compliance = _OCSF_COMPLIANCE[judged]
        resource: dict[str, Any] = {
            "uid": finding.resource,
            "type": _resource_type(finding.resource),
            "cloud_partition": report.partition,
        }
        if finding.region:
            resource["region"] = finding.region
        event: dict[str, Any] = {
            "activity_id": 1,
            "activity_name": "Create",
            "category_uid": 2,
            "category_name": "Findings",
            "class_uid": 2003,
            "class_name": "Compliance Finding",
            "type_uid": 200301,
            "type_name": "Compliance Finding: Create",
            "severity_id": severity_id,
            "severity": severity,
            "status_id": 3 if suppressed else 1,
            "status": "Suppressed" if suppressed else "New",
            "time": millis,
            "message": finding.detail,
            "metadata": {
                "version": OCSF_VERSION,
                "product": _ocsf_product(),
            },
            "finding_info": {
                "uid": finding_uid(report, finding),
                "title": finding.title,
                "desc": finding.detail,
                "types": [finding.check_id],
                "created_time": millis,
            },
            "compliance": {
                "control": finding.check_id,
                "requirements": list(finding.controls),
                "standards": _standards(finding),
                "status": compliance,
                "status_id": compliance_id,
                "status_detail": finding.detail,
            },
            "cloud": {
                "provider": "AWS",
                "account": {"uid": report.account_id, "type": "AWS Account", "type_id": 10},
            },
            "resources": [resource],
            "unmapped": {"evidence": finding.evidence},
        }
        if finding.suppression is not None:
            event["unmapped"]["suppression"] = finding.suppression.model_dump(mode="json")
            if suppressed:
                event["status_detail"] = (
                    f"Suppressed until {finding.suppression.expires}: {finding.suppression.reason}"
                )
        if finding.region:
            event["cloud"]["region"] = finding.region
        if finding.remediation:
            event["remediation"] = {"desc": finding.remediation}
        out.append(event)
    return out


def _md(text: str) -> str:
    from rootguard._render import md_cell

    return md_cell(text)


def _suppression_prefix(f: Finding) -> str:
    rule = f.suppression
    if rule is None:
        return ""
    if rule.expired:
        return f"(suppression EXPIRED {rule.expires}: {rule.reason}) "
    return f"(suppressed until {rule.expires}: {rule.reason}; {rule.status.value}) "


def to_markdown(report: ReportData) -> str:
    """A markdown heading, a status summary and a table with one row per finding."""
    counts = report.counts
    when = iso_z_millis(report.generated_at) if report.generated_at else "unknown time"
    regions = ", ".join(report.regions) if report.regions else "none"
    shown = ("FAIL", "UNKNOWN", "SUPPRESSED", "PASS", "NOT_APPLICABLE")
    summary = " · ".join(f"{counts[s]} {s}" for s in shown if counts[s] or s != "SUPPRESSED")
    lines = [
        f"# rootguard report — account {_md(report.account_id)}",
        "",
        f"Evaluated at {when}; regions: {regions}.",
        "",
        f"**{summary}**",
        "",
        "| Status | Check | Severity | Region | Resource | Detail |",
        "|---|---|---|---|---|---|",
    ]
    for f in report.findings:
        lines.append(
            "| "
            + " | ".join(
                cell if i == 1 else _md(cell)
                for i, cell in enumerate(
                    (
                        f.status.value,
                        f"`{f.check_id}`",  # our own id: a code span, not escaped
                        f.severity.value,
                        f.region or "global",
                        f.resource,
                        _suppression_prefix(f) + f.detail,
                    )
                )
            )
            + " |"
        )
    if report.root_activity:
        lines += ["", "## Root credential use", "", "| Credential | Last used | Region | Service |"]
        lines.append("|---|---|---|---|")
        for a in report.root_activity:
            lines.append(
                "| "
                + " | ".join(
                    _md(c)
                    for c in (
                        a.credential or str(a.channel),
                        iso_z_millis(a.event_time) if a.event_time else "-",
                        a.region or "-",
                        a.event_source or "-",
                    )
                )
                + " |"
            )
    return "\n".join(lines) + "\n"


def to_records(report: ReportData) -> list[Record]:
    """One flat record per finding, scalars only (``pandas.DataFrame(records)`` as is).

    Columns: ``account_id``, ``generated_at`` (ISO text), ``check_id``, ``status``,
    ``severity``, ``region``, ``resource``, ``title``, ``detail``, ``controls``,
    ``security_hub_controls``, ``cis_requirements`` (``"; "``-joined), ``remediation``,
    ``evidence`` (JSON text), and for a rule of the policy ``suppressed_status``,
    ``suppression_reason``, ``suppression_expires``, ``suppression_expired``.
    """
    when = iso_z_millis(report.generated_at) if report.generated_at else None
    return [
        {
            "account_id": report.account_id,
            "generated_at": when,
            "check_id": f.check_id,
            "status": f.status.value,
            "severity": f.severity.value,
            "region": f.region,
            "resource": f.resource,
            "title": f.title,
            "detail": f.detail,
            "controls": "; ".join(f.controls),
            "security_hub_controls": "; ".join(f.security_hub_controls),
            "cis_requirements": "; ".join(f.cis_requirements),
            "remediation": f.remediation,
            "evidence": json.dumps(f.evidence, sort_keys=True),
            "suppressed_status": f.suppression.status.value if f.suppression else None,
            "suppression_reason": f.suppression.reason if f.suppression else None,
            "suppression_expires": f.suppression.expires.isoformat() if f.suppression else None,
            "suppression_expired": f.suppression.expired if f.suppression else None,
        }
        for f in report.findings
    ]


# A spreadsheet runs a cell that starts like a formula; text from AWS is hostile.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def records_to_csv(records: Sequence[Record]) -> str:
    """Flat records as CSV text: a header row of every column (in first-seen order), then
    one row per record. A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading ``'`` so that no spreadsheet runs it as a formula."""
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _csv_value(v) for k, v in record.items()})
    return out.getvalue()
