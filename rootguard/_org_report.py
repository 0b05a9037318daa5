"""Organization reports: per-account results, organization-level judgement, outputs (pure).

:func:`rootguard.scan_organization` checks every account of an AWS Organization and hands
the per-account results to :meth:`OrganizationReport.from_accounts`, which judges what
only the organization as a whole can show:

- an **organization trail** records every member account: a member whose own trails do
  not qualify is judged again with the organization trail (``cloudtrail.multi_region``,
  ``cloudtrail.log_validation``, ``cloudtrail.cloudwatch_logs``), and when the account
  that owns that trail has a complete root-alert chain on it, the member's
  ``monitoring.root_metric_alarm`` passes too. The finding then names the organization
  trail, and keeps the account's own verdict in its evidence (``account_finding``);
- **centralized root access** (``RootCredentialsManagement``, ``RootSessions``) is a
  setting of the organization: it is reported once, in
  :attr:`OrganizationReport.organization_findings`, and removed from the account reports.

Nothing here talks to AWS: a saved report can be re-read (:meth:`OrganizationReport.from_json`)
and rendered anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    model_validator,
)

from rootguard._account_failure import AccountFailure
from rootguard._errors import ParseError, PolicyError, choice, json_indent, time_or_none
from rootguard._fail_on import ORG_FAIL_ON, exit_code
from rootguard._kinds import check_kind
from rootguard._member_root_report import MemberRootAudit
from rootguard._models import UtcDatetime
from rootguard._org_accounts import (
    AccountResult,
    AccountStatus,
    NotCheckedAccount,
    OrganizationSummary,
    RootActivityAccount,
)
from rootguard._org_cells import CELL, RECORD_COLUMNS, md
from rootguard._org_judge import (
    CENTRALIZED_CHECK,
    apply_member_root_opinion,
    judge_account,
    organization_access_finding,
    organization_statuses,
)
from rootguard._outputs import Record
from rootguard._posture._catalogue import CHECK_IDS, abbreviation
from rootguard._posture._models import DerivedFieldsModel, Finding, Status
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from rootguard._snapshot import Trail
from rootguard._time import minute_text

__all__ = [
    "AccountFailure",
    "AccountResult",
    "AccountStatus",
    "NotCheckedAccount",
    "OrganizationReport",
    "OrganizationSummary",
    "RootActivityAccount",
]

ORG_OUTPUTS = ("table", "json", "asff", "markdown", "csv", "html")
"""The ``output`` values of :meth:`OrganizationReport.render`."""


ORG_REPORT_SCHEMA_VERSION = 1
"""The ``schema_version`` of the organization reports this rootguard writes and reads."""


class OrganizationReport(DerivedFieldsModel):
    """The result of :func:`rootguard.scan_organization`: one :class:`AccountResult` per
    account (sorted by account id), the organization-level findings, and a summary.

    Round-trips exactly through JSON (:meth:`to_json` / :meth:`from_json`).

    Examples:
        >>> import rootguard
        >>> from rootguard import CheckId
        >>> org = rootguard.scan_organization(regions=["us-east-1"])
        >>> org.summary.by_check[CheckId.CLOUDTRAIL_MULTI_REGION]  # the organization trail
        {'PASS': 4, 'FAIL': 0, 'UNKNOWN': 0, 'NOT_APPLICABLE': 0, 'SUPPRESSED': 0}
        >>> org.summary.by_check[CheckId.ROOT_NO_ACCESS_KEYS]["FAIL"]  # one exposed member
        1
        >>> [a.account_id for a in org.errors]  # accounts that could not be checked
        []
        >>> org.exit_code("fail")
        1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["organization_report"] = "organization_report"
    """What this file is: an account report or a snapshot given as one is an error."""
    schema_version: int = Field(default=ORG_REPORT_SCHEMA_VERSION, ge=1)
    organization_id: str | None = None
    management_account_id: str | None = None
    caller_account_id: str | None = None
    """The account whose credentials ran the scan (checked without assuming a role)."""
    partition: str = "aws"
    generated_at: UtcDatetime | None = None
    """When the scan started."""
    role_name: str | None = None
    regions: tuple[str, ...] | None = None
    """The regions asked for; None means every enabled region of each account."""
    policy: Policy = Policy()
    accounts: tuple[AccountResult, ...] = ()
    organization_trails: tuple[Trail, ...] = ()
    """The organization trails found (in the accounts that own them), as collected: the
    facts the organization-level judgement used."""
    organization_findings: tuple[Finding, ...] = ()
    """Findings about the organization as a whole (``root.centralized_access``), then,
    with :attr:`member_roots`, the audit's findings (``organization.*``; those about one
    account name it in ``evidence["account_id"]``)."""
    member_roots: MemberRootAudit | None = None
    """The member-root audit (``scan_organization(audit_member_roots=True)``), or None."""

    @model_validator(mode="before")
    @classmethod
    def _check_kind(cls, data: Any) -> Any:
        check_kind(data, "organization_report", ORG_REPORT_SCHEMA_VERSION)
        return data

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_accounts(
        cls,
        accounts: Iterable[AccountResult],
        *,
        organization_id: str | None = None,
        management_account_id: str | None = None,
        caller_account_id: str | None = None,
        partition: str = "aws",
        organization_trails: Iterable[Trail] = (),
        policy: Policy | None = None,
        generated_at: datetime | None = None,
        role_name: str | None = None,
        regions: Sequence[str] | None = None,
        member_roots: MemberRootAudit | None = None,
    ) -> OrganizationReport:
        """Judge the organization from per-account results as each account's own
        :func:`~rootguard.evaluate` gave them (pure; this is what
        :func:`~rootguard.scan_organization` calls).

        Args:
            accounts: one result per account (in any order; duplicates by id: the last
                one counts).
            organization_trails: the organization trails (``is_organization_trail``)
                read in the accounts that own them.
            management_account_id: the management account; its
                ``root.centralized_access`` finding becomes the organization's.
            member_roots: the member-root audit
                (:func:`~rootguard.audit_member_roots`): its findings join the
                organization's, and a member whose root credentials the audit proved
                removed, with ``RootCredentialsManagement`` on, has ``root.mfa_enabled``
                and ``root.hardware_mfa`` NOT_APPLICABLE.

        Returns:
            The report, accounts sorted by id, with the organization-level judgement
            applied (see the module documentation).
        """
        by_id = {a.account_id: a for a in accounts}
        ordered = [by_id[k] for k in sorted(by_id)]
        trails = tuple(
            sorted(
                {t.trail_arn: t for t in organization_trails if t.is_organization_trail}.values(),
                key=lambda t: t.trail_arn,
            )
        )
        org_finding = organization_access_finding(
            ordered, management_account_id, organization_id, partition
        )
        judged = [judge_account(a, trails, by_id, organization_id) for a in ordered]
        if member_roots is not None:
            judged = [apply_member_root_opinion(a, member_roots) for a in judged]
        return cls(
            organization_id=organization_id,
            management_account_id=management_account_id,
            caller_account_id=caller_account_id,
            partition=partition,
            generated_at=generated_at,
            role_name=role_name,
            regions=tuple(regions) if regions is not None else None,
            policy=policy if policy is not None else Policy(),
            accounts=tuple(judged),
            organization_trails=trails,
            organization_findings=(org_finding, *(member_roots.findings if member_roots else ())),
            member_roots=member_roots,
        )

    # ------------------------------------------------------------------ access

    def account(self, account_id: str) -> AccountResult | None:
        """The result of one account (None when it was not part of the scan)."""
        return next((a for a in self.accounts if a.account_id == account_id), None)

    @property
    def checked(self) -> list[AccountResult]:
        """The accounts that were checked (each has a report)."""
        return [a for a in self.accounts if a.status is AccountStatus.CHECKED]

    @property
    def errors(self) -> list[AccountResult]:
        """The accounts that could not be checked (each has an error)."""
        return [a for a in self.accounts if a.status is AccountStatus.ERROR]

    @property
    def skipped(self) -> list[AccountResult]:
        """The accounts skipped on purpose (suspended, closed …)."""
        return [a for a in self.accounts if a.status is AccountStatus.SKIPPED]

    def findings(self) -> list[tuple[str, Finding]]:
        """Every finding with its account id: the organization's first (attributed to the
        management account), then each checked account's, by account id."""
        owner = self.management_account_id or self.caller_account_id or ""
        out = [(owner, f) for f in self.organization_findings]
        for a in self.checked:
            assert a.report is not None
            out.extend((a.account_id, f) for f in a.report.findings)
        return out

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> OrganizationSummary:
        """Counts, the accounts-by-checks matrix, root activity and unchecked accounts."""
        check_ids = [c for c in CHECK_IDS if c != CENTRALIZED_CHECK]
        matrix: dict[str, dict[str, str]] = {}
        per_account = organization_statuses(self.organization_findings)
        for a in self.checked:
            statuses = {**a.statuses(), **per_account.get(a.account_id, {})}
            for extra in statuses:
                if extra not in check_ids:
                    check_ids.append(extra)
            matrix[a.account_id] = {c: s.value for c, s in statuses.items()}
        by_check = {
            c: {s.value: 0 for s in Status}
            for c in check_ids
            if any(c in m for m in matrix.values())
        }
        for row in matrix.values():
            for c, s in row.items():
                by_check[c][s] += 1
        activity = []
        for a in self.checked:
            assert a.report is not None
            if a.report.root_activity:
                creds = tuple(
                    dict.fromkeys(x.credential or str(x.channel) for x in a.report.root_activity)
                )
                times = [x.event_time for x in a.report.root_activity if x.event_time]
                activity.append(
                    RootActivityAccount(
                        account_id=a.account_id,
                        name=a.name,
                        credentials=creds,
                        last_used=max(times) if times else None,
                    )
                )
        not_checked = tuple(
            NotCheckedAccount(
                account_id=a.account_id,
                name=a.name,
                status=a.status,
                reason=a.error.describe() if a.error else (a.reason or ""),
                operation=a.error.operation if a.error else None,
                error_code=a.error.error_code if a.error else None,
            )
            for a in self.accounts
            if a.status is not AccountStatus.CHECKED
        )
        return OrganizationSummary(
            accounts=len(self.accounts),
            checked=len(self.checked),
            errors=len(self.errors),
            skipped=len(self.skipped),
            by_check=by_check,
            matrix=matrix,
            root_activity=tuple(activity),
            not_checked=not_checked,
        )

    # ------------------------------------------------------------------ outputs

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON, summary included (:meth:`from_json` reads it back equal)."""
        return self.model_dump_json(indent=json_indent(indent))

    @classmethod
    def from_json(cls, data: str | bytes) -> OrganizationReport:
        """Read a report written by :meth:`to_json`.

        Raises:
            ParseError: the text is not a rootguard organization report.
        """
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise ParseError(
                f"not a rootguard organization report: {exc.errors()[0]['msg']}"
            ) from None
        except PolicyError as exc:  # the policy of the report or of an account's report
            raise ParseError(f"not a rootguard organization report: {exc}") from None

    def to_asff(
        self,
        *,
        region: str | None = None,
        product_arn: str | None = None,
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Every finding of every checked account in AWS Security Finding Format (each
        with its own ``AwsAccountId``), the organization's findings attributed to the
        management account. Arguments as for :meth:`rootguard.Report.to_asff`
        (``now`` defaults to each report's own ``generated_at``)."""
        time_or_none(now, "now")
        out: list[dict[str, Any]] = []
        owner = self.management_account_id or self.caller_account_id
        if self.organization_findings and owner:
            org_report = self._organization_report(owner)
            out.extend(org_report.to_asff(region=region, product_arn=product_arn, now=now))
        for a in self.checked:
            assert a.report is not None
            out.extend(a.report.to_asff(region=region, product_arn=product_arn, now=now))
        return out

    def _organization_report(self, owner: str) -> Report:
        """The organization findings as a report of the account ``owner`` (the
        management account), for the per-report output formats."""
        return Report(
            account_id=owner,
            partition=self.partition,
            generated_at=self.generated_at,
            regions=self.regions or (),
            policy=self.policy,
            findings=self.organization_findings,
        )

    def to_records(self) -> list[Record]:
        """Flat records for ``pandas.DataFrame(records)``: one per finding of every checked
        account (the columns of :meth:`rootguard.Report.to_records`), one per organization
        finding (``scope`` = ``organization``), and one per account not checked
        (``check_id`` None, ``status`` ``ERROR`` or ``SKIPPED``, the reason in
        ``detail``). Extra columns: ``scope``, ``account_name``, ``account_status``."""
        names = {a.account_id: a.name for a in self.accounts}
        owner = self.management_account_id or self.caller_account_id or ""
        records: list[Record] = []
        if self.organization_findings:
            org_report = self._organization_report(owner)
            for r in org_report.to_records():
                records.append(
                    {
                        "scope": "organization",
                        "account_name": names.get(owner),
                        "account_status": "checked",
                        **r,
                    }
                )
        template: Record | None = records[0] if records else None
        for a in self.accounts:
            if a.report is not None:
                for r in a.report.to_records():
                    records.append(
                        {
                            "scope": "account",
                            "account_name": a.name,
                            "account_status": a.status.value,
                            **r,
                        }
                    )
                    template = template or records[-1]
        for a in self.accounts:
            if a.report is not None:
                continue
            row: Record = dict.fromkeys(template or RECORD_COLUMNS)
            row.update(
                {
                    "scope": "account",
                    "account_name": a.name,
                    "account_status": a.status.value,
                    "account_id": a.account_id,
                    "status": a.status.value.upper(),
                    "detail": a.error.describe() if a.error else a.reason,
                }
            )
            records.append(row)
        return records

    def to_markdown(self) -> str:
        """A markdown report: organization findings, counts per check, the
        accounts-by-checks matrix, root activity, accounts not checked, and every FAIL / UNKNOWN."""
        s = self.summary
        columns = list(s.by_check)
        title = md(self.organization_id or "organization")
        lines = [
            f"# rootguard organization report — {title}",
            "",
            f"Scanned at {minute_text(self.generated_at)} UTC; management account "
            f"{self.management_account_id or 'unknown'}; regions: "
            f"{', '.join(self.regions) if self.regions else 'every enabled region'}.",
            "",
            f"**{s.accounts} accounts: {s.checked} checked · {s.errors} could not be checked"
            f" · {s.skipped} skipped**",
            "",
            "## Organization",
            "",
            "| Status | Check | Resource | Detail |",
            "|---|---|---|---|",
        ]
        for f in self.organization_findings:
            lines.append(
                f"| {f.status.value} | `{f.check_id}` | {md(f.resource)} | {md(f.detail)} |"
            )
        if not self.checked or not columns:
            lines += ["", "**No account was checked**: no matrix to show."]
        else:
            lines += self._markdown_matrix(columns)
        if s.root_activity:
            days = self.policy.root_usage_days
            lines += [
                "",
                f"## Root credentials used in the last {days} days",
                "",
                "| Account | Name | Credentials | Last used (UTC) |",
                "|---|---|---|---|",
            ]
            for r in s.root_activity:
                lines.append(
                    f"| {r.account_id} | {md(r.name or '')} | {', '.join(r.credentials)} | "
                    f"{minute_text(r.last_used)} |"
                )
        if s.not_checked:
            lines += ["", "## Accounts not checked", "", "| Account | Name | Status | Reason |"]
            lines.append("|---|---|---|---|")
            for nc in s.not_checked:
                lines.append(
                    f"| {md(nc.account_id)} | {md(nc.name or '')} | {nc.status.value} | "
                    f"{md(nc.reason)} |"
                )
        problems = [
            (a, f)
            for a in self.checked
            for f in (a.report.findings if a.report else ())
            if f.status in (Status.FAIL, Status.UNKNOWN)
        ]
        if problems:
            lines += [
                "",
                "## Findings to act on",
                "",
                "| Account | Status | Check | Region | Detail |",
                "|---|---|---|---|---|",
            ]
            for a, f in problems:
                lines.append(
                    f"| {a.account_id} | {f.status.value} | `{f.check_id}` | "
                    f"{f.region or 'global'} | {md(f.detail)} |"
                )
        return "\n".join(lines) + "\n"

    def _markdown_matrix(self, columns: list[str]) -> list[str]:
        s = self.summary
        lines = [
            "",
            "## Accounts per check",
            "",
            "| Check | FAIL | UNKNOWN | SUPPRESSED | PASS | N/A |",
        ]
        lines.append("|---|---|---|---|---|---|")
        for c in columns:
            n = s.by_check[c]
            lines.append(
                f"| `{c}` | {n['FAIL']} | {n['UNKNOWN']} | {n['SUPPRESSED']} | {n['PASS']} | "
                f"{n['NOT_APPLICABLE']} |"
            )
        lines += ["", "## Accounts by check", ""]
        lines.append("| Account | Name | " + " | ".join(abbreviation(c) for c in columns) + " |")
        lines.append("|---|---|" + "---|" * len(columns))
        for a in self.checked:
            row = s.matrix[a.account_id]
            cells = [CELL.get(Status(row[c]), "?") if c in row else "-" for c in columns]
            lines.append(f"| {md(a.account_id)} | {md(a.name or '')} | " + " | ".join(cells) + " |")
        lines += ["", "Columns: " + ", ".join(f"{abbreviation(c)} `{c}`" for c in columns) + "."]
        return lines

    def to_table(self, *, width: int = 99, color: bool = False) -> str:
        """The report as text for a terminal of ``width`` + 1 columns (cells wrap, never
        cut): the organization's findings, the accounts-by-checks matrix with the accounts
        failing / unknown per check, the legend, root credential use and the accounts not
        checked. ``color=True`` adds ANSI colours."""
        from rootguard._terminal import OrganizationTable, render_text

        return render_text(OrganizationTable(self), width=width + 1, color=color).rstrip("\n")

    def to_html(self) -> str:
        """A self-contained HTML page (no script, no network): counts, the organization's
        findings, the accounts-by-checks grid, the accounts not checked, root credential
        use and every checked account's findings with evidence and remediation."""
        from rootguard._html import organization_html

        return organization_html(self)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"OrganizationReport(organization_id={self.organization_id!r}, "
            f"accounts={s.accounts} [{s.checked} checked, {s.errors} error, "
            f"{s.skipped} skipped], findings={len(self.findings())})"
        )

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from rootguard._notebook import org_view

        return org_view(self).html()

    def _repr_markdown_(self) -> str:
        from rootguard._notebook import org_view

        return org_view(self).markdown()

    def render(self, output: str = "table") -> str:
        """The report as ``table``, ``json``, ``asff`` (a JSON array), ``markdown``,
        ``csv`` or ``html`` text (what ``rootguard org check --output`` prints).

        Raises:
            ArgumentError: an unknown output name (also a ``ValueError``).
        """
        choice(output, "output", ORG_OUTPUTS)
        if output == "table":
            return self.to_table()
        if output == "json":
            return self.to_json()
        if output == "asff":
            return json.dumps(self.to_asff(), indent=2)
        if output == "markdown":
            return self.to_markdown()
        if output == "csv":
            from rootguard._outputs import records_to_csv

            return records_to_csv(self.to_records())
        return self.to_html()

    def exit_code(self, fail_on: str = "fail") -> int:
        """The ``--fail-on`` exit status of ``rootguard org check``, also handy as a CI
        gate. An account in error could not be checked, so it is never green:

        - ``3`` when no account could be checked at all — every account scanned is in
          error (a wrong role name, no access to any member …) — whatever ``fail_on``;
        - ``fail`` → 1 when any finding (of any account, or of the organization) is
          FAIL, or an account is in error;
        - ``unknown`` → 1 when any finding is FAIL or UNKNOWN, or an account is in error;
        - ``error`` → 1 only when an account is in error (findings do not count: a
          gate on coverage alone);
        - ``never`` → 0 (report only), unless no account could be checked (3).

        Skipped accounts (suspended, closed) never count; an organization whose every
        account was skipped gives 0.

        Raises:
            ArgumentError: an unknown ``fail_on`` (also a ``ValueError``).
        """
        choice(fail_on, "fail_on", ORG_FAIL_ON)
        errors = bool(self.errors)
        return exit_code(
            (f.status for _, f in self.findings()),
            fail_on,
            errors=errors,
            nothing_checked=errors and not self.checked,
            choices=ORG_FAIL_ON,
        )
