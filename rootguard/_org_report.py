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
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
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
from rootguard._member_root_report import MemberRootAudit, credentials_removed
from rootguard._models import StrEnum, UtcDatetime
from rootguard._outputs import Record
from rootguard._posture._catalogue import CHECK_IDS, CHECKS, CheckId, abbreviation
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import DerivedFieldsModel, Finding, Status
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from rootguard._snapshot import AccountSnapshot, Trail
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

CENTRALIZED_CHECK = CheckId.ROOT_CENTRALIZED_ACCESS
TRAIL_CHECKS = (
    CheckId.CLOUDTRAIL_MULTI_REGION,
    CheckId.CLOUDTRAIL_LOG_VALIDATION,
    CheckId.CLOUDTRAIL_CLOUDWATCH_LOGS,
)
ALARM_CHECK = CheckId.MONITORING_ROOT_METRIC_ALARM
ORG_OUTPUTS = ("table", "json", "asff", "markdown", "csv", "html")
"""The ``output`` values of :meth:`OrganizationReport.render`."""

# How good a verdict is, when the organization trail offers a second opinion.
# A SUPPRESSED finding ranks as the status it stands for.
_RANK = {Status.PASS: 3, Status.UNKNOWN: 2, Status.FAIL: 1, Status.NOT_APPLICABLE: 0}
# The status an account shows for a check judged in several regions: the worst.
_SEVERITY_ORDER = (
    Status.FAIL,
    Status.UNKNOWN,
    Status.SUPPRESSED,
    Status.PASS,
    Status.NOT_APPLICABLE,
)

_CELL = {
    Status.PASS: "ok",
    Status.FAIL: "FAIL",
    Status.UNKNOWN: "?",
    Status.SUPPRESSED: "sup",
    Status.NOT_APPLICABLE: "n/a",
}


def _rank(finding: Finding) -> int:
    status = finding.suppression.status if finding.suppression else finding.status
    return _RANK.get(status, 0)


class AccountStatus(StrEnum):
    """What happened to one account of an organization scan."""

    CHECKED = "checked"
    """Collected and evaluated: :attr:`AccountResult.report` is set."""
    ERROR = "error"
    """Could not be checked (role not assumable, access denied, throttled beyond the
    retries …): :attr:`AccountResult.error` says which call failed and why."""
    SKIPPED = "skipped"
    """Not checked on purpose (suspended, closed or pending closure):
    :attr:`AccountResult.reason` says why."""


class AccountResult(BaseModel):
    """The outcome for one account of an organization scan.

    Exactly one of :attr:`report` (``checked``), :attr:`error` (``error``) or
    :attr:`reason` (``skipped``) tells what happened.

    Examples:
        >>> import rootguard
        >>> r = rootguard.AccountResult(
        ...     account_id="111122223333", status="skipped", reason="account is SUSPENDED"
        ... )
        >>> r.status, r.report
        (<AccountStatus.SKIPPED: 'skipped'>, None)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    name: str | None = None
    """The account's name in AWS Organizations (None when not listed)."""
    email: str | None = None
    state: str | None = None
    """The account's state in AWS Organizations (``ACTIVE``, ``SUSPENDED``,
    ``PENDING_CLOSURE`` …), None when not listed."""
    management: bool = False
    """True for the organization's management account."""
    role_arn: str | None = None
    """The role assumed to check the account; None when the caller's own credentials
    were used (the caller's own account)."""
    status: AccountStatus
    report: Report | None = None
    error: AccountFailure | None = None
    reason: str | None = None
    """Why the account was skipped (``skipped``), or the error described (``error``)."""

    @model_validator(mode="after")
    def _consistent(self) -> AccountResult:
        if self.status is AccountStatus.CHECKED and self.report is None:
            raise ValueError("a checked account needs a report")
        if self.status is AccountStatus.ERROR and self.error is None:
            raise ValueError("an account in error needs an error")
        if self.status is AccountStatus.SKIPPED and not self.reason:
            raise ValueError("a skipped account needs a reason")
        if self.report is not None and self.report.account_id != self.account_id:
            raise ValueError(
                f"report of account {self.report.account_id} given for {self.account_id}"
            )
        return self

    @property
    def label(self) -> str:
        """``name (id)``, or the id alone."""
        return f"{self.name} ({self.account_id})" if self.name else self.account_id

    def statuses(self) -> dict[str, Status]:
        """Each check's status for this account: the worst over its findings (a check
        judged per region fails when one region fails). Empty when not checked."""
        if self.report is None:
            return {}
        found: dict[str, set[Status]] = {}
        for f in self.report.findings:
            found.setdefault(f.check_id, set()).add(f.status)
        return {c: _worst(s) for c, s in found.items()}


class NotCheckedAccount(BaseModel):
    """An account the scan could not (``error``) or did not (``skipped``) check."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    name: str | None = None
    status: AccountStatus
    reason: str
    operation: str | None = None
    error_code: str | None = None


class RootActivityAccount(BaseModel):
    """An account whose root credentials were used within the policy's window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str
    name: str | None = None
    credentials: tuple[str, ...]
    """``password``, ``access_key_1``, ``access_key_2`` — each credential used."""
    last_used: UtcDatetime | None = None


class OrganizationSummary(BaseModel):
    """The organization at a glance (derived from the report; not stored in JSON input).

    ``matrix`` maps account id → check id → that account's status for the check (the
    worst over its regions); ``by_check`` counts, for each check, the accounts in each
    status (every status present, zeros included).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    accounts: int
    checked: int
    errors: int
    skipped: int
    by_check: dict[str, dict[str, int]]
    matrix: dict[str, dict[str, str]]
    root_activity: tuple[RootActivityAccount, ...] = ()
    not_checked: tuple[NotCheckedAccount, ...] = ()


def _worst(statuses: Iterable[Status]) -> Status:
    found = set(statuses)
    for status in _SEVERITY_ORDER:
        if status in found:
            return status
    return Status.NOT_APPLICABLE


def _md(text: str) -> str:
    from rootguard._render import md_cell

    return md_cell(text)


ORG_REPORT_SCHEMA_VERSION = 1
"""The ``schema_version`` of the organization reports this rootguard writes and reads."""


class OrganizationReport(DerivedFieldsModel):
    """The result of :func:`rootguard.scan_organization`: one :class:`AccountResult` per
    account (sorted by account id), the organization-level findings, and a summary.

    Round-trips exactly through JSON (:meth:`to_json` / :meth:`from_json`).

    Examples:
        >>> import rootguard
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
        org_finding = _organization_access_finding(
            ordered, management_account_id, organization_id, partition
        )
        judged = [_judge_account(a, trails, by_id, organization_id) for a in ordered]
        if member_roots is not None:
            judged = [_apply_member_root_opinion(a, member_roots) for a in judged]
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
        per_account = _organization_statuses(self.organization_findings)
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
            row: Record = dict.fromkeys(template or _RECORD_COLUMNS)
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
        title = _md(self.organization_id or "organization")
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
                f"| {f.status.value} | `{f.check_id}` | {_md(f.resource)} | {_md(f.detail)} |"
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
                    f"| {r.account_id} | {_md(r.name or '')} | {', '.join(r.credentials)} | "
                    f"{minute_text(r.last_used)} |"
                )
        if s.not_checked:
            lines += ["", "## Accounts not checked", "", "| Account | Name | Status | Reason |"]
            lines.append("|---|---|---|---|")
            for nc in s.not_checked:
                lines.append(
                    f"| {_md(nc.account_id)} | {_md(nc.name or '')} | {nc.status.value} | "
                    f"{_md(nc.reason)} |"
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
                    f"{f.region or 'global'} | {_md(f.detail)} |"
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
            cells = [_CELL.get(Status(row[c]), "?") if c in row else "-" for c in columns]
            lines.append(
                f"| {_md(a.account_id)} | {_md(a.name or '')} | " + " | ".join(cells) + " |"
            )
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


_RECORD_COLUMNS = (
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


def _organization_statuses(findings: Iterable[Finding]) -> dict[str, dict[str, Status]]:
    """account id → check id → the worst status of the organization findings about that
    one account (``evidence["account_id"]``)."""
    found: dict[str, dict[str, set[Status]]] = {}
    for f in findings:
        account = f.evidence.get("account_id")
        if isinstance(account, str):
            found.setdefault(account, {}).setdefault(f.check_id, set()).add(f.status)
    return {a: {c: _worst(s) for c, s in checks.items()} for a, checks in found.items()}


MFA_CHECKS = (CheckId.ROOT_MFA_ENABLED, CheckId.ROOT_HARDWARE_MFA)


def _apply_member_root_opinion(result: AccountResult, audit: MemberRootAudit) -> AccountResult:
    """A member whose root credentials the audit proved removed, with centralized root
    credentials management on: root MFA does not apply (CIS v5 notes it is not required
    in such members)."""
    report = result.report
    member = audit.member(result.account_id)
    if (
        report is None
        or member is None
        or member.management
        or audit.credentials_management is not True
        or credentials_removed(member) is not True
    ):
        return result
    detail = (
        "Not applicable: centralized root access manages this member's root user, and "
        "sts:AssumeRoot (IAMAuditRootUserCredentials) found no password, no access key and "
        "no signing certificate on it — no credential to protect with MFA; privileged tasks "
        "go through root sessions from the management account."
    )
    findings = []
    for own in report.findings:
        f = own
        if own.check_id in MFA_CHECKS and own.status is not Status.NOT_APPLICABLE:
            f = own.model_copy(
                update={
                    "status": Status.NOT_APPLICABLE,
                    "detail": detail,
                    "remediation": "",
                    "evidence": {
                        "judged_by": "organization",
                        "root_credentials_removed": True,
                        "account_finding": _account_finding_evidence(own),
                    },
                }
            )
        findings.append(f)
    if tuple(findings) == report.findings:
        return result
    return result.model_copy(
        update={"report": report.model_copy(update={"findings": tuple(findings)})}
    )


def _account_finding_evidence(own: Finding | None) -> dict[str, Any] | None:
    if own is None:
        return None
    return {"status": own.status.value, "resource": own.resource, "detail": own.detail}


def _judge_account(
    result: AccountResult,
    trails: tuple[Trail, ...],
    by_id: Mapping[str, AccountResult],
    organization_id: str | None,
) -> AccountResult:
    """The account's report with the organization trail's second opinion and without
    the organization-wide centralized-access finding."""
    report = result.report
    if report is None:
        return result
    findings = [f for f in report.findings if f.check_id != CENTRALIZED_CHECK]
    covering = _covering_trails(report, trails, organization_id)
    if covering:
        findings = _apply_trail_opinion(report, findings, covering, by_id)
    if tuple(findings) == report.findings:
        return result
    return result.model_copy(
        update={"report": report.model_copy(update={"findings": tuple(findings)})}
    )


def _covering_trails(
    report: Report, trails: tuple[Trail, ...], organization_id: str | None
) -> tuple[Trail, ...]:
    """The organization trails that record this account: every one, unless the account
    says it belongs to another organization than the one scanned."""
    if not trails:
        return ()
    own_org = next(
        (
            f.evidence.get("organization_id")
            for f in report.findings
            if f.check_id == CENTRALIZED_CHECK
        ),
        None,
    )
    if own_org and organization_id and own_org != organization_id:
        return ()
    return trails


def _apply_trail_opinion(
    report: Report,
    findings: list[Finding],
    trails: tuple[Trail, ...],
    by_id: Mapping[str, AccountResult],
) -> list[Finding]:
    snapshot = AccountSnapshot(
        account_id=report.account_id,
        partition=report.partition,
        collected_at=report.generated_at,
        regions=list(report.regions),
        trails=list(trails),
    )
    opinion = evaluate(snapshot, policy=report.policy, now=report.generated_at)
    theirs = {f.check_id: f for f in opinion.findings if f.check_id in TRAIL_CHECKS}
    multi = theirs.get(CheckId.CLOUDTRAIL_MULTI_REGION)
    if multi is None or multi.status is not Status.PASS:
        return findings  # no organization trail qualifies: nothing to add
    org_trail = multi.resource
    trail = next((t for t in trails if t.trail_arn == org_trail), None)
    owner = trail.account_id if trail else org_trail.split(":")[4]
    out = list(findings)
    for check in TRAIL_CHECKS:
        other = theirs.get(check)
        index = next((i for i, f in enumerate(out) if f.check_id == check), None)
        own = out[index] if index is not None else None
        if other is None or (own is not None and _rank(own) >= _rank(other)):
            continue
        name = trail.name if trail else org_trail
        replaced = other.model_copy(
            update={
                "detail": f"Recorded by organization trail {name} of account {owner}: "
                + other.detail,
                "evidence": {
                    **other.evidence,
                    "organization_trail": org_trail,
                    "judged_by": "organization",
                    "account_finding": _account_finding_evidence(own),
                },
            }
        )
        if index is None:
            out.append(replaced)
        else:
            out[index] = replaced
    return _apply_alarm_opinion(report, out, trails, by_id)


def _apply_alarm_opinion(
    report: Report,
    findings: list[Finding],
    trails: tuple[Trail, ...],
    by_id: Mapping[str, AccountResult],
) -> list[Finding]:
    index = next((i for i, f in enumerate(findings) if f.check_id == ALARM_CHECK), None)
    own = findings[index] if index is not None else None
    if own is not None and own.status is Status.PASS:
        return findings
    arns = {t.trail_arn for t in trails}
    for trail in trails:
        owner = by_id.get(trail.account_id)
        if owner is None or owner.report is None or owner.account_id == report.account_id:
            continue
        chain_finding = next(
            (
                f
                for f in owner.report.findings
                if f.check_id == ALARM_CHECK
                and f.status is Status.PASS
                and (f.evidence.get("chain") or {}).get("trail") in arns
            ),
            None,
        )
        if chain_finding is None:
            continue
        chain = chain_finding.evidence.get("chain") or {}
        replaced = chain_finding.model_copy(
            update={
                "detail": f"Root activity in this account is recorded by organization trail "
                f"{chain.get('trail')} and reaches the alert chain of account "
                f"{owner.account_id}: " + chain_finding.detail,
                "evidence": {
                    "chain": chain,
                    "chain_account": owner.account_id,
                    "organization_trail": chain.get("trail"),
                    "judged_by": "organization",
                    "account_finding": _account_finding_evidence(own),
                },
            }
        )
        out = list(findings)
        if index is None:
            out.append(replaced)
        else:
            out[index] = replaced
        return out
    return findings


def _organization_access_finding(
    accounts: Sequence[AccountResult],
    management_account_id: str | None,
    organization_id: str | None,
    partition: str,
) -> Finding:
    """``root.centralized_access`` once for the organization: the management account's
    verdict (else a delegated administrator's PASS / FAIL), with RootSessions spelled out."""
    info = CHECKS[CENTRALIZED_CHECK]
    resource = (
        f"arn:{partition}:organizations::{management_account_id}:organization/{organization_id}"
        if management_account_id and organization_id
        else f"AWS::::Account:{management_account_id or 'unknown'}"
    )

    def finding_of(a: AccountResult) -> Finding | None:
        if a.report is None:
            return None
        return next((f for f in a.report.findings if f.check_id == CENTRALIZED_CHECK), None)

    source: tuple[AccountResult, Finding] | None = None
    management = next((a for a in accounts if a.account_id == management_account_id), None)
    if management is not None and (found := finding_of(management)) is not None:
        source = (management, found)
    else:
        for a in accounts:
            found = finding_of(a)
            if found is not None and found.status in (Status.PASS, Status.FAIL):
                source = (a, found)
                break
    if source is None:
        if management is None:
            why = "the management account was not part of the scan"
        elif management.error is not None:
            why = f"the management account could not be checked ({management.error.describe()})"
        else:
            why = "the management account was not checked"
        return Finding(
            check_id=CENTRALIZED_CHECK,
            status=Status.UNKNOWN,
            severity=info.severity,
            resource=resource,
            title=info.title,
            detail="Centralized root access can only be read in the management account or "
            f"the IAM delegated administrator account, and {why}.",
            controls=info.controls,
            evidence={"reported_by": None, "organization_id": organization_id},
            remediation=info.remediation,
        )
    account, found = source
    raw_features = found.evidence.get("root_features")
    features = [str(x) for x in raw_features] if isinstance(raw_features, list) else None
    credentials = ("RootCredentialsManagement" in features) if features is not None else None
    sessions = ("RootSessions" in features) if features is not None else None
    detail = found.detail
    if features is not None:
        detail += " RootSessions (privileged root tasks through sts:AssumeRoot) is " + (
            "enabled." if sessions else "not enabled."
        )
    return found.model_copy(
        update={
            "resource": resource if management_account_id and organization_id else found.resource,
            "detail": detail,
            "evidence": {
                **found.evidence,
                "reported_by": account.account_id,
                "root_credentials_management": credentials,
                "root_sessions": sessions,
            },
        }
    )
