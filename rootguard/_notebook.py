"""What Report, OrganizationReport, ScanResult, Plan and activity lists show in a notebook
(pure): a short ``repr``, and ``_repr_html_`` / ``_repr_markdown_`` with a summary and
the top rows — not the whole object (``to_json()`` / ``to_records()`` have it all).

The HTML goes through an autoescaping jinja2 template and the markdown through
:func:`~rootguard._render.md_cell`: names and details from AWS are hostile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rootguard._render import md_cell
from rootguard._terminal import STATUS_ORDER, clean, severity_rank, status_label, why

if TYPE_CHECKING:
    from rootguard._fastscan import ScanResult
    from rootguard._models import RootActivity
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
    "scan_view",
]

TOP = 10
"""How many rows a notebook view shows."""

_COLORS = {
    "FAIL": "#b42318",
    "UNKNOWN": "#b54708",
    "SUPPRESSED": "#6941c6",
    "NOT_APPLICABLE": "#667085",
    "PASS": "#067647",
    "critical": "#b42318",
    "high": "#d92d20",
    "medium": "#b54708",
    "low": "#175cd3",
    "informational": "#667085",
    "error": "#b42318",
    "skipped": "#667085",
    "checked": "#067647",
}


@dataclass
class View:
    """A summary and the top rows of an object, renderable as HTML or markdown."""

    title: str
    subtitle: str = ""
    counts: list[tuple[str, int]] = field(default_factory=list)
    """(label, count) — the label is a status, severity or account state."""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    total: int = 0
    """How many rows there are in all (``rows`` holds the first :data:`TOP`)."""
    hint: str = "to_records() has them all"

    def html(self) -> str:
        from rootguard._html import render_fragment

        return render_fragment(
            title=clean(self.title),
            subtitle=clean(self.subtitle),
            counts=[
                {"label": status_label(k), "count": n, "color": _COLORS.get(k, "#475467")}
                for k, n in self.counts
            ],
            header=self.header,
            rows=[[clean(v) for v in row] for row in self.rows],
            more=max(self.total - len(self.rows), 0),
            hint=self.hint,
        )

    def markdown(self) -> str:
        lines = [
            f"**{md_cell(self.title)}**" + (f" — {md_cell(self.subtitle)}" if self.subtitle else "")
        ]
        if self.counts:
            lines += ["", " · ".join(f"{n} {md_cell(status_label(k))}" for k, n in self.counts)]
        if self.rows:
            lines += [
                "",
                "| " + " | ".join(md_cell(h) for h in self.header) + " |",
                "|" + "---|" * len(self.header),
            ]
            lines += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in self.rows]
        more = self.total - len(self.rows)
        if more > 0:
            lines += ["", f"… and {more} more ({md_cell(self.hint)})"]
        return "\n".join(lines) + "\n"


def _counts(counts: Mapping[str, int], order: Sequence[str]) -> list[tuple[str, int]]:
    return [(k, counts[k]) for k in order if counts.get(k)]


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
        counts=_counts(report.counts, STATUS_ORDER),
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
        counts=[(k, n) for k, n in states.items() if n] + _counts(totals, STATUS_ORDER),
        header=["account", "name", "state", "FAIL checks", "UNKNOWN checks", "reason"],
        rows=[
            [a.account_id, a.name or "", str(a.status), str(nf), str(nu), reason]
            for _, a, nf, nu, reason in failing[:TOP]
        ],
        total=len(failing),
    )


def activities_view(activities: Sequence[RootActivity], *, title: str, subtitle: str = "") -> View:
    """Counts by severity and the most severe activities (then the latest)."""
    counts: dict[str, int] = {}
    for a in activities:
        counts[str(a.severity)] = counts.get(str(a.severity), 0) + 1
    ordered = sorted(
        activities,
        key=lambda a: (
            severity_rank(a.severity),
            -(a.event_time.timestamp() if a.event_time else 0),
        ),
    )
    order = ("critical", "high", "medium", "low", "informational")
    return View(
        title=title,
        subtitle=subtitle,
        counts=_counts(counts, order),
        header=[
            "time (UTC)",
            "account",
            "region",
            "channel",
            "event",
            "source IP",
            "MFA",
            "severity",
        ],
        rows=[
            [
                a.event_time.strftime("%Y-%m-%d %H:%M") if a.event_time else "-",
                a.account_id or "-",
                a.region or "-",
                str(a.channel),
                a.event_name or a.credential or "-",
                a.source_ip or "-",
                "?" if a.mfa_used is None else ("yes" if a.mfa_used else "no"),
                str(a.severity),
            ]
            for a in ordered[:TOP]
        ],
        total=len(ordered),
    )


def scan_view(scan: ScanResult) -> View:
    """The scan's counts and its most severe root activities."""
    return activities_view(
        scan.activities,
        title="rootguard archive scan",
        subtitle=f"{scan.files_seen} files seen: {scan.files_scanned} scanned, "
        f"{len(scan.skipped)} skipped, {len(scan.errors)} unreadable; "
        f"{scan.events_scanned} events, {len(scan.activities)} root activities",
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
