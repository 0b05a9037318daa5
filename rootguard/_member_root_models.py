"""The facts of a member-root audit (pure): each account's root user, the organization's
tree and its service control policies (:class:`~rootguard.MemberRootAudit` holds them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from rootguard._account_failure import AccountFailure
from rootguard._models import StrEnum, UtcDatetime
from rootguard._posture._catalogue import CheckId
from rootguard._snapshot import Gap

__all__ = [
    "AUDIT_TASK_POLICY",
    "CERTS_CHECK",
    "CONTACT_CHECK",
    "KEYS_CHECK",
    "MEMBER_CHECKS",
    "PASSWORD_CHECK",
    "SCP_CHECK",
    "SESSIONS_CHECK",
    "MemberRoot",
    "MemberRootStatus",
    "NodeKind",
    "OrganizationNode",
    "RootAccessKey",
    "RootMfaDevice",
    "RootSigningCertificate",
    "SecurityContact",
    "ServiceControlPolicy",
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
