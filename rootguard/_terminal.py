"""Terminal tables with rich: cells wrap to the terminal's width (never cut), colour on a
terminal, ``NO_COLOR`` honoured (pure: no AWS, no clock).

Everything in a cell that came from AWS — names, ARNs, details, user agents — is hostile
input: it goes into rich ``Text`` objects (never parsed as rich markup), with control
characters (ANSI escape sequences included) shown as ``\\x1b`` text instead of reaching
the terminal.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING

from rich import box
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from rootguard._models import Outcome, RootActivity, Severity
from rootguard._posture._catalogue import abbreviation
from rootguard._view import clean, severity_rank, status_label

if TYPE_CHECKING:
    from rootguard._org_report import OrganizationReport
    from rootguard._posture._models import Finding
    from rootguard._posture._report import Report

__all__ = [
    "SEVERITY_STYLE",
    "STATUS_ORDER",
    "STATUS_STYLE",
    "OrganizationTable",
    "ReportTable",
    "activities_table",
    "clean",
    "make_console",
    "render_text",
    "report_table",
    "severity_rank",
    "status_label",
    "suppression_note",
    "why",
    "worst_severity",
]

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}


def cell(value: object, style: str = "") -> Text:
    """A table cell: plain text (no rich markup), cleaned, optionally styled."""
    return Text(clean(value), style=style)


def make_console(
    file: IO[str] | None = None, *, width: int | None = None, color: bool | None = None
) -> Console:
    """A console on ``file`` (stdout): rich finds out whether it is a terminal, its width
    and ``NO_COLOR``. Not on a terminal the width is ``COLUMNS``, else 100. ``color=False``
    turns styles off; ``color=True`` forces them (still not under ``NO_COLOR``)."""
    stream = file if file is not None else sys.stdout
    if width is None and "COLUMNS" not in os.environ:
        isatty = getattr(stream, "isatty", None)
        if not (callable(isatty) and isatty()):
            width = 100
    return Console(
        file=file,
        width=width,
        force_terminal=color if color else None,
        no_color=True if color is False else None,
        highlight=False,
        soft_wrap=False,
        emoji=False,
        markup=False,
    )


def render_text(renderable: RenderableType, *, width: int = 100, color: bool = False) -> str:
    """What ``renderable`` prints as at ``width`` columns (for tests, the demo and
    notebooks)."""
    buffer = io.StringIO()
    make_console(buffer, width=width, color=color).print(renderable)
    return buffer.getvalue()


def new_table(title: str | None = None) -> Table:
    """A borderless table: a rule under the header, one space between columns."""
    return Table(
        box=box.SIMPLE_HEAD,
        title=title,
        title_justify="left",
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )


def _mfa(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _event(a: RootActivity) -> str:
    name = a.event_name or a.credential or "-"
    if a.outcome is Outcome.FAILURE:
        name += f" (failed{': ' + a.error_code if a.error_code else ''})"
    return name


def activities_table(activities: Sequence[RootActivity], *, title: str | None = None) -> Table:
    """Root activity, one row each: time, account, region, channel, event (with a failure
    and its error code), source IP, MFA, severity; a note column when a rule of
    ``Policy.expected_activity`` matched."""
    table = new_table(title)
    notes = [_note(a) for a in activities]
    columns = ["time (UTC)", "account", "region", "channel", "event", "source IP", "MFA"]
    columns.append("severity")
    if any(notes):
        columns.append("note")
    for name in columns:
        table.add_column(name, overflow="fold")  # wrap, and fold long words: never cut
    for a, note in zip(activities, notes, strict=True):
        when = a.event_time.strftime("%Y-%m-%d %H:%M") if a.event_time else "-"
        expected = note.startswith("expected")
        style = "dim" if expected else SEVERITY_STYLE.get(a.severity, "")
        row = [
            cell(when),
            cell(a.account_id or "-"),
            cell(a.region or "-"),
            cell(a.channel),
            cell(_event(a)),
            cell(a.source_ip or "-"),
            cell(_mfa(a.mfa_used), "bold red" if a.mfa_used is False else ""),
            cell(a.severity, style),
        ]
        if any(notes):
            row.append(cell(note, "dim" if expected else "yellow"))
        table.add_row(*row)
    if not activities:
        table.add_row(cell("(none)"), *[cell("") for _ in columns[1:]])
    return table


def _note(a: RootActivity) -> str:
    expectation = a.expected
    if expectation is None:
        return ""
    if expectation.expired:
        return f"expected-activity rule EXPIRED on {expectation.expires}: {expectation.reason}"
    return f"expected until {expectation.expires}: {expectation.reason}"


def worst_severity(activities: Iterable[RootActivity]) -> Severity | None:
    """The most severe severity among ``activities`` (None when there is none)."""
    ranks = [severity_rank(a.severity) for a in activities]
    return list(Severity)[min(ranks)] if ranks else None


# --------------------------------------------------------------------------- findings

STATUS_STYLE = {
    "FAIL": "bold red",
    "UNKNOWN": "yellow",
    "SUPPRESSED": "magenta",
    "NOT_APPLICABLE": "dim",
    "PASS": "green",
}
STATUS_ORDER = ("FAIL", "UNKNOWN", "SUPPRESSED", "NOT_APPLICABLE", "PASS")
"""Statuses from the one that needs action most."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def why(finding: Finding) -> str:
    """A finding's reason in one sentence: the first of its detail, or for a suppressed
    finding the rule's reason and expiry."""
    note = suppression_note(finding)
    first = _SENTENCE_END.split(finding.detail.strip(), maxsplit=1)[0]
    return f"{note} — {first}" if note else first


def suppression_note(finding: Finding) -> str:
    """What a suppression rule did to ``finding`` (empty when none matched)."""
    rule = finding.suppression
    if rule is None:
        return ""
    if rule.expired:
        return f"suppression EXPIRED on {rule.expires}: {rule.reason}"
    return f"suppressed until {rule.expires}: {rule.reason}"


def _finding_order(f: Finding) -> tuple[int, int]:
    status = str(f.status)
    rank = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
    return rank, severity_rank(f.severity)


class ReportTable:
    """A report for the terminal: a summary line, then one row per finding (most urgent
    first) with status, check, region and the one-sentence why; severity too when the
    terminal is at least 110 columns wide."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        report = self.report
        counts = Text()
        counts.append(f"Account {clean(report.account_id)}  ·  ")
        shown = [(s, n) for s, n in report.counts.items() if n]
        shown.sort(key=lambda item: STATUS_ORDER.index(item[0]) if item[0] in STATUS_ORDER else 9)
        for i, (status, n) in enumerate(shown):
            if i:
                counts.append(", ")
            counts.append(f"{n} {status_label(status)}", style=STATUS_STYLE.get(status, ""))
        yield counts
        wide = options.max_width >= 110
        table = new_table()
        table.add_column("status", overflow="fold")
        if wide:
            table.add_column("severity", overflow="fold")
        table.add_column("check", overflow="fold")
        table.add_column("region", overflow="fold")
        table.add_column("why", overflow="fold", ratio=1)
        for f in sorted(report.findings, key=_finding_order):
            status = str(f.status)
            row = [cell(status_label(status), STATUS_STYLE.get(status, ""))]
            if wide:
                row.append(cell(f.severity, SEVERITY_STYLE.get(f.severity, "")))
            row += [cell(f.check_id), cell(f.region or "global"), cell(why(f))]
            table.add_row(*row)
        yield table


# --------------------------------------------------------------------------- organization

_CELL = {
    "PASS": ("ok", "green"),
    "FAIL": ("FAIL", "bold red"),
    "UNKNOWN": ("?", "yellow"),
    "SUPPRESSED": ("sup", "magenta"),
    "NOT_APPLICABLE": ("n/a", "dim"),
}


class OrganizationTable:
    """An organization report for the terminal: the organization's findings, the
    accounts-by-checks matrix (coloured), accounts failing / unknown per check, the
    legend, root credential use, and the accounts not checked."""

    def __init__(self, org: OrganizationReport) -> None:
        self.org = org

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        org = self.org
        s = org.summary
        yield Text(
            f"Organization {clean(org.organization_id or '?')} (management "
            f"{clean(org.management_account_id or '?')}) · {s.accounts} accounts: "
            f"{s.checked} checked, {s.errors} error, {s.skipped} skipped"
        )
        per_account: dict[str, dict[str, int]] = {}
        for f in org.organization_findings:
            status = str(f.status)
            if "account_id" in f.evidence:  # one account's: in the matrix, counted below
                tally = per_account.setdefault(f.check_id, {})
                tally[status] = tally.get(status, 0) + 1
                continue
            line = Text(f"{abbreviation(f.check_id)} {f.check_id} (organization): ")
            line.append(status_label(status), style=STATUS_STYLE.get(status, ""))
            line.append(f" — {clean(why(f))}")
            yield line
        for check, tally in per_account.items():
            order = ("FAIL", "UNKNOWN", "SUPPRESSED", "PASS", "NOT_APPLICABLE")
            ranked = sorted(tally.items(), key=lambda i: order.index(i[0]) if i[0] in order else 9)
            summary = ", ".join(f"{n} {st}" for st, n in ranked)
            yield Text(f"{abbreviation(check)} {check} (per account): {clean(summary)}")
        columns = list(s.by_check)
        if not org.checked or not columns:
            yield Text("")
            yield Text("No account was checked: no matrix to show.", style="bold")
        else:
            yield Text("")
            table = new_table()
            table.add_column("account", overflow="fold")
            table.add_column("name", overflow="fold")
            for c in columns:
                table.add_column(abbreviation(c), overflow="fold")
            for a in org.checked:
                row = s.matrix[a.account_id]
                marks = []
                for c in columns:
                    label, style = _CELL.get(row.get(c, ""), ("-", ""))
                    marks.append(cell(label, style))
                ident = a.account_id + ("*" if a.management else "")
                table.add_row(cell(ident), cell(a.name or ""), *marks)
            table.add_section()
            for status, label in (("FAIL", "accounts failing"), ("UNKNOWN", "unknown")):
                counts = [s.by_check[c].get(status, 0) for c in columns]
                table.add_row(
                    cell(label),
                    cell(""),
                    *[cell(n, STATUS_STYLE[status] if n else "dim") for n in counts],
                )
            yield table
            yield Text(
                "ok pass · FAIL fail · ? unknown · sup suppressed · n/a not applicable · "
                "* management account",
                style="dim",
            )
            yield Text("Checks: " + ", ".join(f"{abbreviation(c)} {c}" for c in columns))
        if s.root_activity:
            yield Text("")
            yield Text(
                f"Root credentials used in the last {org.policy.root_usage_days} days:",
                style="bold",
            )
            used = new_table()
            for name in ("account", "name", "credentials", "last used (UTC)"):
                used.add_column(name, overflow="fold")
            for r in s.root_activity:
                when = r.last_used.strftime("%Y-%m-%d %H:%M") if r.last_used else "-"
                used.add_row(
                    cell(r.account_id),
                    cell(r.name or ""),
                    cell(", ".join(r.credentials), "red"),
                    cell(when),
                )
            yield used
        if s.not_checked:
            yield Text("")
            yield Text("Not checked:", style="bold")
            missing = new_table()
            for name in ("account", "name", "status", "reason"):
                missing.add_column(name, overflow="fold", ratio=1 if name == "reason" else None)
            for n in s.not_checked:
                missing.add_row(
                    cell(n.account_id),
                    cell(n.name or ""),
                    cell(n.status, "bold red" if str(n.status) == "error" else "dim"),
                    cell(n.reason),
                )
            yield missing


def report_table(report: Report, *, width: int = 100, color: bool = False) -> str:
    """The report as the terminal table, at ``width`` columns (cells wrap, never cut)."""
    return render_text(ReportTable(report), width=width, color=color).rstrip("\n")
