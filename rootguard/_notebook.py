"""What Report, OrganizationReport, ScanResult, Plan and activity lists show in a notebook
(pure): a short ``repr``, and ``_repr_html_`` / ``_repr_markdown_`` with a summary and
the top rows — not the whole object (``to_json()`` / ``to_records()`` have it all).

The HTML goes through an autoescaping jinja2 template and the markdown through
:func:`~rootguard._render.md_cell`: names and details from AWS are hostile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rootguard._terminal import STATUS_ORDER, why
from rootguard._view import TOP, View, activities_view, counts_in_order, severity_rank, status_label

if TYPE_CHECKING:
    from rootguard._org_report import OrganizationReport
    from rootguard._posture._report import Report
    from rootguard._remediation._plan import Plan

__all__ = [
    "TOP",
    "View",
    "activities_view",
    "org_view",
    "plan_view",
    "report_view",
]


def report_view(report: Report) -> View:
    """The counts by status and the most urgent findings."""
    ordered = sorted(
        report.findings,
        key=lambda f: (
            STATUS_ORDER.index(str(f.status)) if str(f.status) in STATUS_ORDER else 9,
            severity_rank(f.severity),
        ),
    )
    return View(
        title=f"rootguard report — account {report.account_id}",
        subtitle=f"{len(report.findings)} findings, {len(report.root_activity)} root "
        f"credential uses; regions {', '.join(report.regions) or 'none'}",
        counts=counts_in_order(report.counts, STATUS_ORDER),
        header=["status", "severity", "check", "region", "why"],
        rows=[
            [status_label(f.status), str(f.severity), f.check_id, f.region or "global", why(f)]
            for f in ordered[:TOP]
        ],
        total=len(ordered),
    )


def org_view(org: OrganizationReport) -> View:
    """Account states, finding counts, and the accounts with the most failing checks."""
    s = org.summary
    totals: dict[str, int] = {}
    for _, f in org.findings():
        totals[str(f.status)] = totals.get(str(f.status), 0) + 1
    failing = []
    for a in org.accounts:
        row = s.matrix.get(a.account_id, {})
        n_fail = sum(1 for v in row.values() if v == "FAIL")
        n_unknown = sum(1 for v in row.values() if v == "UNKNOWN")
        reason = ""
        if a.error is not None:
            reason = a.error.describe()
        elif a.reason:
            reason = a.reason
        failing.append((-(n_fail * 100 + n_unknown), a, n_fail, n_unknown, reason))
    failing.sort(key=lambda item: (item[0], item[1].account_id))
    states = {"checked": s.checked, "error": s.errors, "skipped": s.skipped}
    return View(
        title=f"rootguard organization report — {org.organization_id or 'organization'}",
        subtitle=f"{s.accounts} accounts",
        counts=[(k, n) for k, n in states.items() if n] + counts_in_order(totals, STATUS_ORDER),
        header=["account", "name", "state", "FAIL checks", "UNKNOWN checks", "reason"],
        rows=[
            [a.account_id, a.name or "", str(a.status), str(nf), str(nu), reason]
            for _, a, nf, nu, reason in failing[:TOP]
        ],
        total=len(failing),
    )


def plan_view(plan: Plan) -> View:
    """What the plan changes, and its first actions in execution order."""
    kinds: dict[str, int] = {}
    for a in plan.actions:
        kinds[str(a.change)] = kinds.get(str(a.change), 0) + 1
    return View(
        title=f"rootguard plan — account {plan.account_id}",
        subtitle=f"home region {plan.home_region}; {len(plan.api_actions)} API actions, "
        f"{len(plan.manual_steps)} manual steps, {len(plan.warnings)} warnings",
        counts=sorted(kinds.items()),
        header=["#", "change", "action", "region", "resource", "fixes"],
        rows=[
            [
                str(i),
                str(a.change),
                a.description,
                a.region or "global",
                a.resource,
                ", ".join(a.fixes),
            ]
            for i, a in enumerate(plan.actions[:TOP], 1)
        ],
        total=len(plan.actions),
        hint="to_text() shows every call with its parameters",
    )
