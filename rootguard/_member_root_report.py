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

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, computed_field, model_validator

from rootguard._account_failure import AccountFailure
from rootguard._errors import ParseError, choice, json_indent
from rootguard._fail_on import FAIL_ON, exit_code
from rootguard._models import StrEnum, UtcDatetime
from rootguard._posture._catalogue import CHECKS, CheckId
from rootguard._posture._models import DerivedFieldsModel, Finding, Status
from rootguard._scp import PROBE_ACTIONS, ScpVerdict, scp_denies_root
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

AUDIT_TASK_POLICY = "IAMAuditRootUserCredentials"
"""The AWS task policy of the audit's root sessions
(``arn:<partition>:iam::aws:policy/root-task/IAMAuditRootUserCredentials``)."""

PASSWORD_CHECK = CheckId.ORGANIZATION_MEMBER_ROOT_NO_PASSWORD
KEYS_CHECK = CheckId.ORGANIZATION_MEMBER_ROOT_NO_ACCESS_KEYS
CERTS_CHECK = CheckId.ORGANIZATION_MEMBER_ROOT_NO_SIGNING_CERTIFICATES
SESSIONS_CHECK = CheckId.ORGANIZATION_ROOT_SESSIONS
SCP_CHECK = CheckId.ORGANIZATION_DENY_ROOT_SCP
CONTACT_CHECK = CheckId.ORGANIZATION_SECURITY_CONTACT
MEMBER_CHECKS = (PASSWORD_CHECK, KEYS_CHECK, CERTS_CHECK)

_ORDER = {c: i for i, c in enumerate(CHECKS)}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MemberRootStatus(StrEnum):
    """What happened to one account of a member-root audit."""

    AUDITED = "audited"
    """``sts:AssumeRoot`` worked: the root user's credentials were read (each read that
    failed is a gap of the account)."""
    ERROR = "error"
    """``sts:AssumeRoot`` failed (centralized root access not enabled, denied,
    throttled beyond the retries, an answer without credentials …):
    :attr:`MemberRoot.error` names the call."""
    SKIPPED = "skipped"
    """Not audited on purpose: the management account (``sts:AssumeRoot`` reaches
    member accounts only) or a suspended / closed account. :attr:`MemberRoot.reason`
    says which."""


class RootAccessKey(_Frozen):
    """A root access key (``iam:ListAccessKeys`` with ``iam:GetAccessKeyLastUsed``)."""

    access_key_id: str
    status: str
    """``Active`` or ``Inactive``."""
    created: UtcDatetime | None = None
    last_used: UtcDatetime | None = None
    """None: never used (when :attr:`usage_read`)."""
    last_used_service: str | None = None
    last_used_region: str | None = None
    usage_read: bool = True
    """False when ``GetAccessKeyLastUsed`` failed (a gap of the account)."""

    @property
    def active(self) -> bool:
        """True when the key is ``Active``."""
        return self.status == "Active"


class RootMfaDevice(_Frozen):
    """An MFA device of the root user (``iam:ListMFADevices``)."""

    serial_number: str
    enabled: UtcDatetime | None = None

    @property
    def virtual(self) -> bool:
        """True for a virtual (authenticator app) device: its serial is an ``:mfa/`` ARN."""
        return ":mfa/" in self.serial_number


class RootSigningCertificate(_Frozen):
    """A root X.509 signing certificate (``iam:ListSigningCertificates``; the body is not
    kept)."""

    certificate_id: str
    status: str
    uploaded: UtcDatetime | None = None


class SecurityContact(_Frozen):
    """The SECURITY alternate contact of an account (``account:GetAlternateContact``)."""

    name: str | None = None
    title: str | None = None
    email_address: str | None = None
    phone_number: str | None = None


class MemberRoot(_Frozen):
    """The audit of one account's root user.

    Every fact is ``None`` when it was not read (then a gap in :attr:`gaps`, or the
    account's :attr:`error`, says why) and an empty tuple / False when read and absent.
    """

    account_id: str
    name: str | None = None
    email: str | None = None
    state: str | None = None
    management: bool = False
    status: MemberRootStatus
    error: AccountFailure | None = None
    reason: str | None = None
    password: bool | None = None
    """Whether the root user has a console password (``iam:GetLoginProfile``)."""
    password_created: UtcDatetime | None = None
    access_keys: tuple[RootAccessKey, ...] | None = None
    mfa_devices: tuple[RootMfaDevice, ...] | None = None
    signing_certificates: tuple[RootSigningCertificate, ...] | None = None
    security_contact: tuple[SecurityContact, ...] | None = None
    """``()``: no SECURITY contact set; one entry: the contact; None: not read."""
    gaps: tuple[Gap, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> MemberRoot:
        if self.status is MemberRootStatus.ERROR and self.error is None:
            raise ValueError("an account in error needs an error")
        if self.status is MemberRootStatus.SKIPPED and not self.reason:
            raise ValueError("a skipped account needs a reason")
        return self

    @property
    def label(self) -> str:
        """``name (id)``, or the id alone."""
        return f"{self.name} ({self.account_id})" if self.name else self.account_id

    def gap(self, operation: str) -> Gap | None:
        """The gap of one operation (``GetLoginProfile`` …), if it failed."""
        return next((g for g in self.gaps if g.operation == operation), None)


class NodeKind(StrEnum):
    """A place in the organization's tree."""

    ROOT = "root"
    ORGANIZATIONAL_UNIT = "organizational_unit"
    ACCOUNT = "account"


class OrganizationNode(_Frozen):
    """The root, an OU or an account of the organization, with the service control
    policies attached to it (``policy_ids`` None: ``ListPoliciesForTarget`` failed)."""

    id: str
    kind: NodeKind
    name: str | None = None
    parent_id: str | None = None
    policy_ids: tuple[str, ...] | None = None


class ServiceControlPolicy(_Frozen):
    """A service control policy (``organizations:DescribePolicy``; ``content`` None: not
    read)."""

    policy_id: str
    name: str | None = None
    arn: str | None = None
    aws_managed: bool | None = None
    content: str | None = None


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
        ...
        ... exposed-1 YES YES 1 (1 act) none 0 NONE CREDENTIALS
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
        lines = [_fit(head, width), _fit(f"Centralized root access: {_features(self)}", width)]
        for f in self.findings:
            if "account_id" in f.evidence:
                continue
            lines.append(_fit(f"{f.check_id}: {f.status.value}", width))
            lines.extend(_wrap(f.detail, width))
        lines.append("")
        header = (
            f"{'account':<14}{'name':<15}{'password':<9}{'access keys':<15}"
            f"{'mfa':<8}{'certs':<6}{'contact':<8}verdict"
        )
        lines.append(_fit(header, width))
        lines.append("-" * min(width, len(header) + 4))
        by_account: dict[str, list[Finding]] = {}
        for f in self.findings:
            by_account.setdefault(str(f.evidence.get("account_id")), []).append(f)
        for m in self.members:
            ident = m.account_id + ("*" if m.management else "")
            lines.append(
                _fit(
                    f"{ident:<14}{_fit(_oneline(m.name), 14):<15}{_password_cell(m):<9}"
                    f"{_keys_cell(m):<15}{_mfa_cell(m):<8}"
                    f"{_count_cell(m.signing_certificates, m):<6}"
                    f"{_contact_cell(m):<8}{_verdict_cell(m, by_account.get(m.account_id, []))}",
                    width,
                )
            )
        lines.append("-" * min(width, len(header) + 4))
        lines.append(
            _fit(
                "YES a standing credential · ? not read · - not audited · * management · "
                "clean: no root credentials",
                width,
            )
        )
        problems = [m for m in self.members if m.error or m.gaps]
        if problems or self.gaps:
            lines += ["", "Not read:"]
            for g in self.gaps:
                lines.append(_fit(f"  organization  {g.describe()}", width))
            for m in problems:
                if m.error is not None:
                    lines.append(_fit(f"  {m.account_id:<13} {m.error.describe()}", width))
                for g in m.gaps:
                    lines.append(_fit(f"  {m.account_id:<13} {g.describe()}", width))
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
            f"{_features(self)}.",
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
                lines.append(f"| {f.status.value} | `{f.check_id}` | {_md(f.detail)} |")
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
                f"{_md(m.name or '')} | {_password_cell(m)} | {_keys_cell(m)} | "
                f"{_mfa_cell(m)} | {_count_cell(m.signing_certificates, m)} | "
                f"{_contact_cell(m)} |"
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
                    f"`{f.check_id}` | {_md(f.detail)} |"
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


# --------------------------------------------------------------------------- cells


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _wrap(text: str, width: int, indent: str = "    ") -> list[str]:
    """``text`` in lines of at most ``width`` characters, each starting with ``indent``."""
    lines: list[str] = []
    current = indent
    for word in text.split():
        if current.strip() and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = indent + word
        else:
            current = f"{current} {word}" if current.strip() else current + word
    if current.strip():
        lines.append(current)
    return lines


def _oneline(text: str | None) -> str:
    """Text others control, on one line of printable characters (a table cell)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text or "").split())


def _md(text: str) -> str:
    text = _oneline(text)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _features(audit: MemberRootAudit) -> str:
    if audit.root_features is None:
        gap = audit.gap("ListOrganizationsFeatures")
        return f"unknown ({gap.describe()})" if gap else "unknown"
    names = ("RootCredentialsManagement", "RootSessions")
    return ", ".join(f"{n} {'on' if n in audit.root_features else 'off'}" for n in names)


def _not_audited(m: MemberRoot) -> bool:
    return m.status is not MemberRootStatus.AUDITED


def _password_cell(m: MemberRoot) -> str:
    if _not_audited(m):
        return "-"
    if m.password is None:
        return "?"
    return "YES" if m.password else "no"


def _keys_cell(m: MemberRoot) -> str:
    if _not_audited(m):
        return "-"
    if m.access_keys is None:
        return "?"
    if not m.access_keys:
        return "0"
    active = sum(k.active for k in m.access_keys)
    return f"YES {len(m.access_keys)} ({active} act)"


def _mfa_cell(m: MemberRoot) -> str:
    if _not_audited(m):
        return "-"
    if m.mfa_devices is None:
        return "?"
    if not m.mfa_devices:
        return "none"
    virtual = sum(d.virtual for d in m.mfa_devices)
    hardware = len(m.mfa_devices) - virtual
    parts = ([f"{hardware} hw"] if hardware else []) + ([f"{virtual} virt"] if virtual else [])
    return " ".join(parts)


def _count_cell(items: Sequence[Any] | None, m: MemberRoot) -> str:
    if _not_audited(m):
        return "-"
    if items is None:
        return "?"
    return f"YES {len(items)}" if items else "0"


def _contact_cell(m: MemberRoot) -> str:
    if m.security_contact is None:
        return "?" if m.status is not MemberRootStatus.SKIPPED or m.management else "-"
    return "set" if m.security_contact else "NONE"


def _verdict_cell(m: MemberRoot, findings: list[Finding]) -> str:
    if m.error is not None:
        return f"ERROR {m.error.error_code}"
    if m.status is MemberRootStatus.SKIPPED:
        return "management" if m.management else (m.state or "skipped").lower()
    found = [f for f in findings if f.check_id in MEMBER_CHECKS]
    statuses = {f.status for f in found}
    if Status.FAIL in statuses:
        return "CREDENTIALS"
    if Status.UNKNOWN in statuses:
        return "unknown"
    if statuses == {Status.NOT_APPLICABLE}:
        return "n/a"
    return "clean"


# --------------------------------------------------------------------------- judgement


def credentials_removed(member: MemberRoot) -> bool | None:
    """True when the audit proved the root user has no password, no access key and no
    signing certificate; False when it has one; None when that is not known."""
    if member.status is not MemberRootStatus.AUDITED:
        return None
    facts = (member.password, member.access_keys, member.signing_certificates)
    if any(bool(f) for f in facts if f is not None):
        return False
    if any(f is None for f in facts):
        return None
    return True


def _finding(
    check_id: str,
    status: Status,
    *,
    resource: str,
    detail: str,
    evidence: dict[str, Any],
) -> Finding:
    info = CHECKS[check_id]
    return Finding(
        check_id=check_id,
        status=status,
        severity=info.severity,
        resource=resource,
        title=info.title,
        detail=detail,
        controls=info.controls,
        evidence=json.loads(json.dumps(evidence, default=_json_default)),
        remediation=info.remediation if status is not Status.PASS else "",
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)


def _organization_resource(audit: MemberRootAudit) -> str:
    if audit.management_account_id and audit.organization_id:
        return (
            f"arn:{audit.partition}:organizations::{audit.management_account_id}:"
            f"organization/{audit.organization_id}"
        )
    return f"AWS::::Account:{audit.caller_account_id or audit.management_account_id or 'unknown'}"


def judge_member_roots(audit: MemberRootAudit) -> tuple[Finding, ...]:
    """Every finding of the audit (pure; see the module documentation)."""
    findings: list[Finding] = [_root_sessions(audit), _deny_root_scp(audit)]
    for member in audit.members:
        if member.status is not MemberRootStatus.SKIPPED:
            findings.extend(_member_credentials(audit, member))
        if not (member.status is MemberRootStatus.SKIPPED and not member.management):
            findings.append(_security_contact(audit, member))
    findings.sort(key=lambda f: (_ORDER.get(f.check_id, 99), str(f.evidence.get("account_id"))))
    return tuple(findings)


def _root_sessions(audit: MemberRootAudit) -> Finding:
    resource = _organization_resource(audit)
    features = audit.root_features
    evidence: dict[str, Any] = {"root_features": list(features) if features is not None else None}
    if features is None:
        gap = audit.gap("ListOrganizationsFeatures")
        evidence["gaps"] = [gap.model_dump(mode="json")] if gap else []
        return _finding(
            SESSIONS_CHECK,
            Status.UNKNOWN,
            resource=resource,
            detail="The centralized root access features could not be read ("
            + (gap.describe() if gap else "iam:ListOrganizationsFeatures was not called")
            + "); only the management account and the IAM delegated administrator can.",
            evidence=evidence,
        )
    if "RootSessions" in features:
        return _finding(
            SESSIONS_CHECK,
            Status.PASS,
            resource=resource,
            detail="RootSessions is enabled: root-only tasks in member accounts run as "
            "short privileged sessions (sts:AssumeRoot) from the management account or "
            "the IAM delegated administrator, without member root credentials.",
            evidence=evidence,
        )
    return _finding(
        SESSIONS_CHECK,
        Status.FAIL,
        resource=resource,
        detail="RootSessions is not enabled (enabled: "
        + (", ".join(features) or "nothing")
        + "): a root-only task in a member account (unlocking a bucket policy …) needs "
        "that member's root credentials.",
        evidence=evidence,
    )


def _member_resource(audit: MemberRootAudit, member: MemberRoot) -> str:
    return f"arn:{audit.partition}:iam::{member.account_id}:root"


def _member_credentials(audit: MemberRootAudit, member: MemberRoot) -> list[Finding]:
    resource = _member_resource(audit, member)
    base: dict[str, Any] = {"account_id": member.account_id, "account_name": member.name}
    if audit.credentials_management is False:
        detail = (
            "Centralized root access (RootCredentialsManagement) is not enabled: each member "
            "keeps its own root credentials, judged by that account's root.* checks."
        )
        return [
            _finding(c, Status.NOT_APPLICABLE, resource=resource, detail=detail, evidence=base)
            for c in MEMBER_CHECKS
        ]
    if member.error is not None:
        detail = f"The root user of {member.label} could not be read: {member.error.describe()}."
        evidence = {**base, "error": member.error.model_dump(mode="json")}
        return [
            _finding(c, Status.UNKNOWN, resource=resource, detail=detail, evidence=evidence)
            for c in MEMBER_CHECKS
        ]
    return [
        _password_finding(member, resource, base),
        _keys_finding(member, resource, base),
        _certs_finding(member, resource, base),
    ]


def _unread(
    check: str, member: MemberRoot, operation: str, resource: str, base: dict[str, Any]
) -> Finding:
    gap = member.gap(operation)
    why = gap.describe() if gap else f"{operation} was not read"
    return _finding(
        check,
        Status.UNKNOWN,
        resource=resource,
        detail=f"Not known for {member.label}: {why}.",
        evidence={**base, "gaps": [gap.model_dump(mode="json")] if gap else []},
    )


def _password_finding(member: MemberRoot, resource: str, base: dict[str, Any]) -> Finding:
    if member.password is None:
        return _unread(PASSWORD_CHECK, member, "GetLoginProfile", resource, base)
    evidence = {**base, "password": member.password, "password_created": member.password_created}
    if member.password:
        created = (
            f" (created {minute_text(member.password_created)} UTC)"
            if member.password_created
            else ""
        )
        return _finding(
            PASSWORD_CHECK,
            Status.FAIL,
            resource=resource,
            detail=f"The root user of {member.label} has a console password{created}.",
            evidence=evidence,
        )
    return _finding(
        PASSWORD_CHECK,
        Status.PASS,
        resource=resource,
        detail=f"The root user of {member.label} has no console password.",
        evidence=evidence,
    )


def _keys_finding(member: MemberRoot, resource: str, base: dict[str, Any]) -> Finding:
    keys = member.access_keys
    if keys is None:
        return _unread(KEYS_CHECK, member, "ListAccessKeys", resource, base)
    evidence = {**base, "access_keys": [k.model_dump(mode="json") for k in keys]}
    if not keys:
        return _finding(
            KEYS_CHECK,
            Status.PASS,
            resource=resource,
            detail=f"The root user of {member.label} has no access key.",
            evidence=evidence,
        )
    parts = []
    for k in keys:
        if not k.usage_read:
            use = "last use not read"
        elif k.last_used is None:
            use = "never used"
        else:
            where = ", ".join(x for x in (k.last_used_service, k.last_used_region) if x)
            use = f"last used {minute_text(k.last_used)} UTC" + (f" ({where})" if where else "")
        parts.append(f"{k.access_key_id} {k.status.lower()}, {use}")
    return _finding(
        KEYS_CHECK,
        Status.FAIL,
        resource=resource,
        detail=f"The root user of {member.label} has {len(keys)} access "
        f"key{'s' if len(keys) != 1 else ''}: " + "; ".join(parts) + ".",
        evidence=evidence,
    )


def _certs_finding(member: MemberRoot, resource: str, base: dict[str, Any]) -> Finding:
    certs = member.signing_certificates
    if certs is None:
        return _unread(CERTS_CHECK, member, "ListSigningCertificates", resource, base)
    evidence = {**base, "signing_certificates": [c.model_dump(mode="json") for c in certs]}
    if not certs:
        return _finding(
            CERTS_CHECK,
            Status.PASS,
            resource=resource,
            detail=f"The root user of {member.label} has no signing certificate.",
            evidence=evidence,
        )
    listed = ", ".join(f"{c.certificate_id} {c.status.lower()}" for c in certs)
    return _finding(
        CERTS_CHECK,
        Status.FAIL,
        resource=resource,
        detail=f"The root user of {member.label} has {len(certs)} signing "
        f"certificate{'s' if len(certs) != 1 else ''}: {listed}.",
        evidence=evidence,
    )


def _security_contact(audit: MemberRootAudit, member: MemberRoot) -> Finding:
    resource = f"AWS::::Account:{member.account_id}"
    base: dict[str, Any] = {"account_id": member.account_id, "account_name": member.name}
    contact = member.security_contact
    if contact is None:
        return _unread(CONTACT_CHECK, member, "GetAlternateContact", resource, base)
    if not contact:
        return _finding(
            CONTACT_CHECK,
            Status.FAIL,
            resource=resource,
            detail=f"{member.label} has no security alternate contact: AWS security "
            "notifications reach only the account's root email address.",
            evidence={**base, "security_contact": None},
        )
    found = contact[0]
    return _finding(
        CONTACT_CHECK,
        Status.PASS,
        resource=resource,
        detail=f"{member.label} has a security alternate contact"
        + (f" ({found.email_address})." if found.email_address else "."),
        evidence={**base, "security_contact": found.model_dump(mode="json")},
    )


# --------------------------------------------------------------------------- SCPs


def _path(nodes: dict[str, OrganizationNode], account_id: str) -> list[OrganizationNode] | None:
    """The account's node and its ancestors up to the root; None when the chain is
    broken (a node missing from the tree as read)."""
    out: list[OrganizationNode] = []
    current = nodes.get(account_id)
    seen: set[str] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        out.append(current)
        if current.kind is NodeKind.ROOT:
            return out
        current = nodes.get(current.parent_id or "")
    return None


def _verdicts(
    audit: MemberRootAudit, account_id: str, policy_ids: Iterable[str]
) -> dict[str, ScpVerdict | str]:
    """Each policy's verdict for this account, or why there is none."""
    by_id = {p.policy_id: p for p in audit.policies}
    out: dict[str, ScpVerdict | str] = {}
    for pid in policy_ids:
        policy = by_id.get(pid)
        if policy is None or policy.content is None:
            gap = next((g for g in audit.gaps if g.resource == pid), None)
            out[pid] = gap.describe() if gap else f"policy {pid} was not read"
            continue
        try:
            out[pid] = scp_denies_root(
                policy.content,
                account_id=account_id,
                partition=audit.partition,
                organization_id=audit.organization_id,
            )
        except ParseError as exc:
            out[pid] = f"policy {pid} could not be evaluated: {exc}"
    return out


def _deny_root_scp(audit: MemberRootAudit) -> Finding:
    resource = _organization_resource(audit)
    members = [
        m for m in audit.members if not m.management and m.status is not MemberRootStatus.SKIPPED
    ]
    evidence: dict[str, Any] = {"scp_enabled": audit.scp_enabled}
    if audit.scp_enabled is None or audit.nodes is None:
        gap = audit.gap("ListRoots")
        evidence["gaps"] = [gap.model_dump(mode="json")] if gap else []
        return _finding(
            SCP_CHECK,
            Status.UNKNOWN,
            resource=resource,
            detail="The organization's tree could not be read ("
            + (gap.describe() if gap else "organizations:ListRoots was not called")
            + "): which service control policies apply to the members is not known.",
            evidence=evidence,
        )
    if not members:
        return _finding(
            SCP_CHECK,
            Status.NOT_APPLICABLE,
            resource=resource,
            detail="The organization has no active member account to protect.",
            evidence=evidence,
        )
    if not audit.scp_enabled:
        return _finding(
            SCP_CHECK,
            Status.FAIL,
            resource=resource,
            detail="Service control policies are not enabled in the organization "
            "(policy type SERVICE_CONTROL_POLICY on its root): nothing denies the member "
            "accounts' root users.",
            evidence=evidence,
        )
    nodes = {n.id: n for n in audit.nodes}
    names = {p.policy_id: p.name or p.policy_id for p in audit.policies}
    accounts: dict[str, Any] = {}
    uncovered: list[str] = []
    unknown: list[str] = []
    blocking: set[str] = set()
    for m in members:
        path = _path(nodes, m.account_id)
        if path is None:
            accounts[m.account_id] = {
                "status": "UNKNOWN",
                "why": "the account's place in the organization's tree was not read",
            }
            unknown.append(m.account_id)
            continue
        covered: list[dict[str, Any]] = []
        whys: list[str] = []
        partial: list[str] = []
        for node in path:
            if node.policy_ids is None:
                gap = next(
                    (g for g in audit.gaps if g.resource == node.id),
                    None,
                )
                whys.append(gap.describe() if gap else f"the policies of {node.id} were not read")
                continue
            for pid, verdict in _verdicts(audit, m.account_id, node.policy_ids).items():
                if isinstance(verdict, str):
                    whys.append(verdict)
                elif verdict.denies_root:
                    covered.append(
                        {
                            "policy_id": pid,
                            "policy_name": names.get(pid, pid),
                            "target_id": node.id,
                            "target_kind": node.kind.value,
                            "blocks_root_sessions": verdict.blocks_root_sessions,
                        }
                    )
                    if verdict.blocks_root_sessions:
                        blocking.add(names.get(pid, pid))
                elif len(verdict.not_denied) < len(PROBE_ACTIONS):
                    partial.append(f"{names.get(pid, pid)}: {verdict.detail}")
        if covered:
            accounts[m.account_id] = {"status": "PASS", "covered_by": covered}
        elif whys:
            accounts[m.account_id] = {"status": "UNKNOWN", "why": whys}
            unknown.append(m.account_id)
        else:
            accounts[m.account_id] = {
                "status": "FAIL",
                "path": [n.id for n in path],
                "partial_denies": partial,
            }
            uncovered.append(m.account_id)
    evidence["accounts"] = accounts
    targets = _uncovered_targets(nodes, accounts)
    evidence["targets_without_deny"] = targets
    evidence["blocks_root_sessions"] = sorted(blocking)
    note = ""
    if blocking:
        note = (
            f" Note: {', '.join(sorted(blocking))} also "
            f"{'denies' if len(blocking) == 1 else 'deny'} centralized root sessions "
            "(no aws:AssumedRoot exception): privileged tasks through sts:AssumeRoot will "
            "be denied in the members it covers."
        )
    if uncovered:
        where = f"; their parents without one: {_short(targets)}" if targets else ""
        return _finding(
            SCP_CHECK,
            Status.FAIL,
            resource=resource,
            detail=f"{len(uncovered)} of {len(members)} member accounts have no service "
            f"control policy denying their root user: {_short(uncovered)}{where}." + note,
            evidence=evidence,
        )
    if unknown:
        return _finding(
            SCP_CHECK,
            Status.UNKNOWN,
            resource=resource,
            detail=f"For {len(unknown)} of {len(members)} member accounts the service "
            f"control policies that apply could not all be read: {_short(unknown)}." + note,
            evidence=evidence,
        )
    policies = sorted({c["policy_name"] for a in accounts.values() for c in a["covered_by"]})
    return _finding(
        SCP_CHECK,
        Status.PASS,
        resource=resource,
        detail=f"Every member account ({len(members)}) is covered by a service control "
        f"policy that denies its root user everything: {_short(policies)}." + note,
        evidence=evidence,
    )


def _uncovered_targets(nodes: dict[str, OrganizationNode], accounts: dict[str, Any]) -> list[str]:
    """The parents (OUs, or the root) of the uncovered member accounts: where a
    deny-root SCP is missing (attaching one to the organization root covers them all)."""
    failing = [a for a, v in accounts.items() if v["status"] == "FAIL"]
    found: list[str] = []
    for account_id in failing:
        path = accounts[account_id].get("path") or []
        if len(path) >= 2:
            found.append(path[1])  # the account's parent (an OU or the root)
        else:
            found.append(account_id)
    return sorted(dict.fromkeys(found))


def _short(items: Sequence[str], limit: int = 6) -> str:
    shown = list(items[:limit])
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")
