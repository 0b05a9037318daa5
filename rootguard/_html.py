"""HTML reports: one self-contained file per report (pure).

A page holds the summary, the findings with their evidence and remediation, the
root-activity timeline and, for an organization, the accounts-by-checks matrix as a
coloured grid. It is rendered with jinja2 with autoescaping on — names, details and
evidence come from AWS and are hostile — and it loads nothing: the CSS is inline, there
is no script and no font or image to fetch, and a Content-Security-Policy forbids any
(``default-src 'none'``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rootguard._models import Outcome, RootActivity
from rootguard._posture._catalogue import abbreviation
from rootguard._terminal import (
    STATUS_ORDER,
    clean,
    severity_rank,
    status_label,
    suppression_note,
)
from rootguard._time import second_text
from rootguard._view import render_fragment, template_environment

if TYPE_CHECKING:
    from rootguard._org_report import OrganizationReport
    from rootguard._posture._models import Finding
    from rootguard._posture._report import Report

__all__ = ["activities_html", "organization_html", "render_fragment", "report_html"]

_CELL = {"PASS": "ok", "FAIL": "FAIL", "UNKNOWN": "?", "SUPPRESSED": "sup", "NOT_APPLICABLE": "n/a"}
_CARD_LABEL = {
    "FAIL": "failing",
    "UNKNOWN": "unknown",
    "SUPPRESSED": "suppressed",
    "NOT_APPLICABLE": "not applicable",
    "PASS": "passing",
}


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("rootguard")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def _finding(f: Finding) -> dict[str, Any]:
    status = str(f.status)
    rule = f.suppression
    return {
        "status": status,
        "status_label": status_label(status),
        "severity": str(f.severity),
        "check_id": f.check_id,
        "title": f.title,
        "region": f.region or "global",
        "resource": clean(f.resource),
        "detail": clean(f.detail),
        "remediation": f.remediation,
        "evidence": json.dumps(f.evidence, indent=2, sort_keys=True) if f.evidence else "",
        "controls": ", ".join(f.controls),
        "suppression": suppression_note(f),
        "suppression_expired": bool(rule is not None and rule.expired),
    }


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    """The most urgent first: by status (FAIL, UNKNOWN …), then severity."""

    def key(f: Finding) -> tuple[int, int]:
        status = str(f.status)
        rank = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
        return (rank, severity_rank(f.severity))

    return sorted(findings, key=key)


def _cards(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    return [
        {"css": status, "count": counts.get(status, 0), "label": _CARD_LABEL[status]}
        for status in STATUS_ORDER
        if counts.get(status, 0) or status in ("FAIL", "UNKNOWN", "PASS")
    ]


def _activity(a: RootActivity) -> dict[str, Any]:
    expectation = a.expected
    note = ""
    if expectation is not None:
        if expectation.expired:
            note = f"expected-activity rule EXPIRED on {expectation.expires}: {expectation.reason}"
        else:
            note = f"expected until {expectation.expires}: {expectation.reason}"
    return {
        "when": second_text(a.event_time),
        "severity": str(a.severity),
        "channel": str(a.channel),
        "event": clean(a.event_name or a.credential or "-"),
        "failed": a.outcome is Outcome.FAILURE,
        "error_code": clean(a.error_code or ""),
        "account_id": clean(a.account_id or "-"),
        "region": clean(a.region or "-"),
        "source_ip": clean(a.source_ip or "-"),
        "mfa": "?" if a.mfa_used is None else ("yes" if a.mfa_used else "no"),
        "user_agent": clean(a.user_agent or ""),
        "source": str(a.source),
        "note": note,
        "note_expired": bool(expectation is not None and expectation.expired),
    }


def _timeline(activities: Sequence[RootActivity]) -> list[dict[str, Any]]:
    ordered = sorted(
        activities,
        key=lambda a: (a.event_time is None, a.event_time or datetime.min, a.event_id or ""),
    )
    return [_activity(a) for a in ordered]


def _page(**context: Any) -> str:
    base: dict[str, Any] = {
        "version": _version(),
        "cards": [],
        "summary_lines": [],
        "org": None,
        "findings": [],
        "show_timeline": False,
        "activities": [],
        "generated_at": "",
    }
    base.update(context)
    return template_environment().get_template("report.html.j2").render(**base)


def report_html(report: Report, *, activities: Sequence[RootActivity] | None = None) -> str:
    """One account's report as a self-contained HTML page: counts, every finding (the
    most urgent first) with its evidence and remediation, and the root-activity timeline
    (``activities``, by default the report's own credential-report activity)."""
    regions = ", ".join(report.regions) or "none"
    return _page(
        title=f"rootguard report — account {clean(report.account_id)}",
        subtitle=f"Evaluated at {second_text(report.generated_at)}; regions: {regions}.",
        cards=_cards(report.counts),
        findings=[_finding(f) for f in _ordered(report.findings)],
        show_timeline=True,
        activities=_timeline(report.root_activity if activities is None else activities),
        generated_at=second_text(report.generated_at),
    )


def activities_html(activities: Sequence[RootActivity], *, summary: str = "") -> str:
    """Root activity as a self-contained HTML page: counts by severity and the timeline."""
    counts: dict[str, int] = {}
    for a in activities:
        counts[str(a.severity)] = counts.get(str(a.severity), 0) + 1
    cards = [
        {"css": "FAIL" if s in ("critical", "high") else "UNKNOWN", "count": n, "label": s}
        for s, n in counts.items()
    ]
    return _page(
        title="rootguard — root activity",
        subtitle=f"{len(activities)} root activities.",
        cards=cards or [{"css": "PASS", "count": 0, "label": "root activities"}],
        summary_lines=[summary] if summary else [],
        show_timeline=True,
        activities=_timeline(activities),
    )


def organization_html(org: OrganizationReport) -> str:
    """An organization report as a self-contained HTML page: account and finding counts,
    the organization's findings, the accounts-by-checks grid, the accounts not checked,
    root credential use, and each checked account's findings."""
    s = org.summary
    columns = list(s.by_check)
    rows = []
    for a in org.checked:
        statuses = s.matrix[a.account_id]
        cells = []
        for c in columns:
            status = statuses.get(c)
            cells.append(
                {
                    "status": status or "none",
                    "label": _CELL.get(status or "", "-"),
                    "title": f"{a.account_id} {c}: {status or 'not judged'}",
                }
            )
        rows.append(
            {
                "account_id": a.account_id,
                "name": clean(a.name or ""),
                "management": a.management,
                "cells": cells,
            }
        )
    totals: dict[str, int] = {}
    for _, f in org.findings():
        totals[str(f.status)] = totals.get(str(f.status), 0) + 1
    cards = [
        {"css": "PASS", "count": s.checked, "label": "accounts checked"},
        {"css": "error", "count": s.errors, "label": "could not be checked"},
        {"css": "NOT_APPLICABLE", "count": s.skipped, "label": "skipped"},
        *_cards(totals),
    ]
    accounts = []
    for a in org.checked:
        assert a.report is not None
        counts = ", ".join(f"{n} {status_label(k)}" for k, n in a.report.counts.items() if n)
        accounts.append(
            {
                "label": clean(a.label),
                "counts": counts,
                "findings": [_finding(f) for f in _ordered(a.report.findings)],
            }
        )
    view = {
        "findings": [_finding(f) for f in org.organization_findings],
        "columns": [{"check_id": c, "abbreviation": abbreviation(c)} for c in columns],
        "rows": rows,
        "not_checked": [
            {
                "account_id": n.account_id,
                "name": clean(n.name or ""),
                "status": str(n.status),
                "reason": clean(n.reason),
            }
            for n in s.not_checked
        ],
        "root_activity": [
            {
                "account_id": r.account_id,
                "name": clean(r.name or ""),
                "credentials": ", ".join(r.credentials),
                "last_used": second_text(r.last_used),
            }
            for r in s.root_activity
        ],
        "days": org.policy.root_usage_days,
        "accounts": accounts,
    }
    regions = ", ".join(org.regions) if org.regions else "every enabled region"
    return _page(
        title=f"rootguard organization report — {clean(org.organization_id or 'organization')}",
        subtitle=(
            f"Scanned at {second_text(org.generated_at)}; management account "
            f"{org.management_account_id or 'unknown'}; regions: {regions}."
        ),
        cards=cards,
        summary_lines=[
            f"{s.accounts} accounts: {s.checked} checked, {s.errors} could not be checked, "
            f"{s.skipped} skipped."
        ],
        org=view,
        generated_at=second_text(org.generated_at),
    )
