"""The member-root audit of an organization: what was read, and its judgement (pure).

:func:`rootguard.audit_member_roots` reads, from the management account (or the IAM
delegated administrator), the state of every member account's root user through
``sts:AssumeRoot`` with the task policy ``IAMAuditRootUserCredentials``, the centralized
root access features, the organization's tree with its service control policies, and
every account's security alternate contact. It hands them to :class:`MemberRootAudit`,
whose :attr:`~MemberRootAudit.findings` are judged here, without any AWS call:

- ``organization.member_root_no_password``, ``organization.member_root_no_access_keys``,
  ``organization.member_root_no_signing_certificates`` — one finding per member account:
  its root user holds no standing credential (any access key or certificate counts,
  active or not: it can be re-activated). NOT_APPLICABLE when ``RootCredentialsManagement``
  is known to be off (each member's root is then judged by its own ``root.*`` checks);
  UNKNOWN when ``sts:AssumeRoot`` or the read failed, with the failed call.
- ``organization.root_sessions`` — once: ``RootSessions`` is among the enabled features.
- ``organization.deny_root_scp`` — once: every member account lies under (or is) a target
  with a service control policy that :func:`~rootguard.scp_denies_root` finds denying the
  member root everything; policies attached to the root or a parent OU apply to
  everything beneath. The evidence lists, per account, the policies that cover it, and
  the OUs holding uncovered members.
- ``organization.security_contact`` — one finding per account (management account
  included): a SECURITY alternate contact is set.

A fact that could not be read is ``None`` with a :class:`~rootguard.Gap` (or the
account's :class:`~rootguard.AccountFailure`), and makes the checks it feeds UNKNOWN:
never "no credentials".
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from pydantic import ConfigDict, ValidationError, computed_field

from rootguard._errors import ParseError, choice, json_indent
from rootguard._fail_on import FAIL_ON, exit_code
from rootguard._member_root_cells import (
    contact_cell,
    count_cell,
    features,
    fit,
    keys_cell,
    md,
    mfa_cell,
    oneline,
    password_cell,
    verdict_cell,
    wrap,
)
from rootguard._member_root_judge import credentials_removed, judge_member_roots
from rootguard._member_root_models import (
    AUDIT_TASK_POLICY,
    MemberRoot,
    MemberRootStatus,
    NodeKind,
    OrganizationNode,
    RootAccessKey,
    RootMfaDevice,
    RootSigningCertificate,
    SecurityContact,
    ServiceControlPolicy,
)
from rootguard._models import UtcDatetime
from rootguard._posture._models import DerivedFieldsModel, Finding, Status
from rootguard._snapshot import Gap
from rootguard._time import minute_text

__all__ = [
    "AUDIT_TASK_POLICY",
    "MemberRoot",
    "MemberRootAudit",
    "MemberRootStatus",
    "NodeKind",
    "OrganizationNode",
    "RootAccessKey",
    "RootMfaDevice",
    "RootSigningCertificate",
    "SecurityContact",
    "ServiceControlPolicy",
    "credentials_removed",
    "judge_member_roots",
]


# --------------------------------------------------------------------------- the audit


class MemberRootAudit(DerivedFieldsModel):
    """The result of :func:`rootguard.audit_member_roots`: one :class:`MemberRoot` per
    account (sorted by id), the organization's facts, and the judgement
    (:attr:`findings`, derived; see the module documentation).

    Round-trips exactly through JSON (:meth:`to_json` / :meth:`from_json`).

    Examples:
        >>> import rootguard
        >>> audit = rootguard.audit_member_roots()
        >>> [m.name for m in audit.members if m.access_keys]
        ['exposed-1']
        >>> print(audit.to_table())
        Organization o-... (management 123456789012) · 4 accounts: 3 audited, 0 error, 1 skipped
        ...
        account       name           password access keys    mfa     certs contact verdict
        --------------------------------------------------------------------------------------
        ...exposed-1 YES YES 1 (1 act) none 0 NONE CREDENTIALS
        ...
        YES a standing credential · ? not read · - not audited · * management · clean: ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    organization_id: str | None = None
    management_account_id: str | None = None
    caller_account_id: str | None = None
    partition: str = "aws"
    generated_at: UtcDatetime | None = None
    root_features: tuple[str, ...] | None = None
    """``EnabledFeatures`` of ``iam:ListOrganizationsFeatures`` (None: not read)."""
    iam_trusted_access: bool | None = None
    """Whether trusted access for IAM (``iam.amazonaws.com``) is enabled in the
    organization (``organizations:ListAWSServiceAccessForOrganization``; None: not
    read)."""
    scp_enabled: bool | None = None
    """Whether the SERVICE_CONTROL_POLICY policy type is enabled on the organization's
    root (None: ``ListRoots`` failed)."""
    nodes: tuple[OrganizationNode, ...] | None = None
    """The organization's tree as read (None: ``ListRoots`` failed; a node whose
    children could not be listed has a gap naming it)."""
    policies: tuple[ServiceControlPolicy, ...] = ()
    members: tuple[MemberRoot, ...] = ()
    gaps: tuple[Gap, ...] = ()
    """The organization-level calls that failed (features, tree, policies)."""

    # ------------------------------------------------------------------ access

    def member(self, account_id: str) -> MemberRoot | None:
        """One account's audit (None when the account was not part of it)."""
        return next((m for m in self.members if m.account_id == account_id), None)

    @property
    def audited(self) -> list[MemberRoot]:
        """The accounts whose root user was read."""
        return [m for m in self.members if m.status is MemberRootStatus.AUDITED]

    @property
    def errors(self) -> list[MemberRoot]:
        """The accounts where ``sts:AssumeRoot`` failed."""
        return [m for m in self.members if m.status is MemberRootStatus.ERROR]

    @property
    def skipped(self) -> list[MemberRoot]:
        """The management account and suspended / closed accounts."""
        return [m for m in self.members if m.status is MemberRootStatus.SKIPPED]

    @property
    def credentials_management(self) -> bool | None:
        """Whether ``RootCredentialsManagement`` is enabled (None: not known)."""
        if self.root_features is None:
            return None
        return "RootCredentialsManagement" in self.root_features

    def gap(self, operation: str) -> Gap | None:
        """The organization-level gap of one operation, if it failed."""
        return next((g for g in self.gaps if g.operation == operation), None)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        """The judgement (see the module documentation), in check order, then account."""
        return judge_member_roots(self)

    def findings_for(self, account_id: str) -> list[Finding]:
        """The findings about one account."""
        return [f for f in self.findings if f.evidence.get("account_id") == account_id]

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> MemberRootAudit:
        """A copy (see pydantic); its findings are judged again from its own facts."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("findings", None)
        return copied

    # ------------------------------------------------------------------ outputs

    def to_json(self, *, indent: int | None = 2) -> str:
        """The audit as JSON, findings included (:meth:`from_json` reads it back equal)."""
        return self.model_dump_json(indent=json_indent(indent))

    @classmethod
    def from_json(cls, data: str | bytes) -> MemberRootAudit:
        """Read an audit written by :meth:`to_json`.

        Raises:
            ParseError: the text is not a rootguard member-root audit.
        """
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            raise ParseError(
                f"not a rootguard member-root audit: {exc.errors()[0]['msg']}"
            ) from None

    def to_table(self, *, width: int = 99) -> str:
        """A fixed-width text table: the organization-wide findings, then one line per
        account (password, access keys, MFA devices, signing certificates, security
        contact), then what could not be read."""
        head = (
            f"Organization {self.organization_id or '?'} (management "
            f"{self.management_account_id or '?'}) · {len(self.members)} accounts: "
            f"{len(self.audited)} audited, {len(self.errors)} error, "
            f"{len(self.skipped)} skipped"
        )
        lines = [fit(head, width), fit(f"Centralized root access: {features(self)}", width)]
        for f in self.findings:
            if "account_id" in f.evidence:
                continue
            lines.append(fit(f"{f.check_id}: {f.status.value}", width))
            lines.extend(wrap(f.detail, width))
        lines.append("")
        header = (
            f"{'account':<14}{'name':<15}{'password':<9}{'access keys':<15}"
            f"{'mfa':<8}{'certs':<6}{'contact':<8}verdict"
        )
        lines.append(fit(header, width))
        lines.append("-" * min(width, len(header) + 4))
        by_account: dict[str, list[Finding]] = {}
        for f in self.findings:
            by_account.setdefault(str(f.evidence.get("account_id")), []).append(f)
        for m in self.members:
            ident = m.account_id + ("*" if m.management else "")
            lines.append(
                fit(
                    f"{ident:<14}{fit(oneline(m.name), 14):<15}{password_cell(m):<9}"
                    f"{keys_cell(m):<15}{mfa_cell(m):<8}"
                    f"{count_cell(m.signing_certificates, m):<6}"
                    f"{contact_cell(m):<8}{verdict_cell(m, by_account.get(m.account_id, []))}",
                    width,
                )
            )
        lines.append("-" * min(width, len(header) + 4))
        lines.append(
            fit(
                "YES a standing credential · ? not read · - not audited · * management · "
                "clean: no root credentials",
                width,
            )
        )
        problems = [m for m in self.members if m.error or m.gaps]
        if problems or self.gaps:
            lines += ["", "Not read:"]
            for g in self.gaps:
                lines.append(fit(f"  organization  {g.describe()}", width))
            for m in problems:
                if m.error is not None:
                    lines.append(fit(f"  {m.account_id:<13} {m.error.describe()}", width))
                for g in m.gaps:
                    lines.append(fit(f"  {m.account_id:<13} {g.describe()}", width))
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A markdown report: the organization-wide findings, one row per account, and
        every FAIL / UNKNOWN finding."""
        lines = [
            f"# rootguard member-root audit — {self.organization_id or 'organization'}",
            "",
            f"Read at {minute_text(self.generated_at)} UTC from account "
            f"{self.caller_account_id or 'unknown'}; management account "
            f"{self.management_account_id or 'unknown'}. Centralized root access: "
            f"{features(self)}.",
            "",
            f"**{len(self.members)} accounts: {len(self.audited)} audited · "
            f"{len(self.errors)} could not be audited · {len(self.skipped)} skipped**",
            "",
            "## Organization",
            "",
            "| Status | Check | Detail |",
            "|---|---|---|",
        ]
        for f in self.findings:
            if "account_id" not in f.evidence:
                lines.append(f"| {f.status.value} | `{f.check_id}` | {md(f.detail)} |")
        lines += [
            "",
            "## Root users",
            "",
            "| Account | Name | Password | Access keys | MFA | Certificates | Security contact |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in self.members:
            lines.append(
                f"| {m.account_id}{' (management)' if m.management else ''} | "
                f"{md(m.name or '')} | {password_cell(m)} | {keys_cell(m)} | "
                f"{mfa_cell(m)} | {count_cell(m.signing_certificates, m)} | "
                f"{contact_cell(m)} |"
            )
        problems = [f for f in self.findings if f.status in (Status.FAIL, Status.UNKNOWN)]
        if problems:
            lines += [
                "",
                "## Findings to act on",
                "",
                "| Account | Status | Check | Detail |",
                "|---|---|---|---|",
            ]
            for f in problems:
                lines.append(
                    f"| {f.evidence.get('account_id') or 'organization'} | {f.status.value} | "
                    f"`{f.check_id}` | {md(f.detail)} |"
                )
        return "\n".join(lines) + "\n"

    def render(self, output: str = "table") -> str:
        """The audit as ``table``, ``json`` or ``markdown`` text (what ``rootguard org
        roots --output`` prints).

        Raises:
            ArgumentError: an unknown output name (also a ``ValueError``).
        """
        choice(output, "output", ("table", "json", "markdown"))
        if output == "table":
            return self.to_table()
        if output == "json":
            return self.to_json()
        return self.to_markdown()

    def exit_code(self, fail_on: str = "fail") -> int:
        """The ``--fail-on`` exit status of ``rootguard org roots``:

        - ``3`` when there were member accounts to audit and ``sts:AssumeRoot`` failed in
          every one of them, whatever ``fail_on``;
        - ``fail`` → 1 when a finding is FAIL or an account is in error;
        - ``unknown`` → 1 when a finding is FAIL or UNKNOWN, or an account is in error;
        - ``never`` → 0.

        Raises:
            ArgumentError: an unknown ``fail_on`` (also a ``ValueError``).
        """
        choice(fail_on, "fail_on", FAIL_ON)
        errors = bool(self.errors)
        return exit_code(
            (f.status for f in self.findings),
            fail_on,
            errors=errors,
            nothing_checked=errors and not self.audited,
            choices=FAIL_ON,
        )
