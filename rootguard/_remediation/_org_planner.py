"""The organization planner entry point (pure): the member-root audit (or an organization
report that carries one) and the options in, an :class:`OrganizationPlan` out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from rootguard._errors import PlanError
from rootguard._member_root_report import MemberRootAudit
from rootguard._org_report import OrganizationReport
from rootguard._remediation._context import PlanOutput
from rootguard._remediation._options import REGION_RE
from rootguard._remediation._org_context import OrgPlanContext
from rootguard._remediation._org_features import (
    CREDENTIALS_FEATURE,
    SESSIONS_FEATURE,
    plan_features,
    plan_security_contacts,
    plan_trusted_access,
)
from rootguard._remediation._org_options import OrganizationRemediationOptions
from rootguard._remediation._org_plan import OrganizationPlan
from rootguard._remediation._org_root_credentials import plan_root_credentials
from rootguard._remediation._org_scp import plan_deny_root_scp

__all__ = ["plan_organization"]


def _options(options: Any) -> OrganizationRemediationOptions:
    if options is None:
        return OrganizationRemediationOptions()
    if isinstance(options, OrganizationRemediationOptions):
        # validated again: model_copy(update=...) and model_construct() skip validation
        return OrganizationRemediationOptions.model_validate(options.model_dump())
    if isinstance(options, Mapping):
        return OrganizationRemediationOptions.model_validate(dict(options))
    raise PlanError(
        "options must be OrganizationRemediationOptions or a mapping of its fields, not "
        f"{type(options).__name__}"
    )


def plan_organization(
    audit: MemberRootAudit | OrganizationReport,
    options: OrganizationRemediationOptions | Mapping[str, Any] | None = None,
    *,
    home_region: str = "us-east-1",
) -> OrganizationPlan:
    """Plan what must change, at organization level, for the root guardrails to pass
    (pure): trusted access for IAM, the centralized root access features
    (``RootCredentialsManagement``, ``RootSessions``), a deny-root service control policy
    over every uncovered member, the SECURITY alternate contact of accounts lacking one,
    and — only for the accounts named in ``delete_root_credentials`` — deleting member
    root credentials through ``sts:AssumeRoot``.

    Unknown is never absent: what depends on a read that failed (a ``None`` fact of the
    audit, with its gap) becomes a :class:`~rootguard.BlockedItem`, and so does every
    action that would depend on it. Everything else is still planned.

    Args:
        audit: :func:`rootguard.audit_member_roots`'s result, or an organization report
            made with ``audit_member_roots=True``.
        options: :class:`OrganizationRemediationOptions` or a mapping of its fields.
        home_region: where the regional calls go (``sts:AssumeRoot``).

    Raises:
        PlanError: the audit does not identify the organization and its management
            account; a report without a member-root audit; invalid options; an account
            to delete root credentials of that is the management account or was not
            audited.

    Examples:
        >>> import rootguard
        >>> audit = rootguard.MemberRootAudit(organization_id="o-abcdefghij",
        ...     management_account_id="111122223333", caller_account_id="111122223333",
        ...     root_features=(), iam_trusted_access=False, scp_enabled=True, nodes=())
        >>> p = rootguard.plan_organization(audit)
        >>> [a.kind for a in p.actions]
        ['EnableIamTrustedAccess', 'EnableRootCredentialsManagement', 'EnableRootSessions']
        >>> unread = audit.model_copy(update={"root_features": None})
        >>> [b.kind.value for b in rootguard.plan_organization(unread).blocked]
        ['root_features', 'root_features']
    """
    if isinstance(audit, OrganizationReport):
        if audit.member_roots is None:
            raise PlanError(
                "the organization report has no member-root audit: scan with "
                "audit_member_roots=True (rootguard org scan --audit-roots)"
            )
        audit = audit.member_roots
    if not isinstance(audit, MemberRootAudit):
        raise PlanError(f"audit must be a MemberRootAudit, not {type(audit).__name__}")
    if not audit.organization_id or not audit.management_account_id:
        raise PlanError(
            "the audit does not identify the organization and its management account "
            "(organizations:DescribeOrganization failed): audit again from the management "
            "account"
        )
    if not isinstance(home_region, str) or not REGION_RE.fullmatch(home_region):
        raise PlanError(f"home_region {home_region!r} is not an AWS region name")
    opts = _options(options)
    out = PlanOutput()
    ctx = OrgPlanContext(audit=audit, opts=opts, out=out, home=home_region)
    trusted = plan_trusted_access(ctx)
    features = plan_features(ctx, trusted)
    plan_deny_root_scp(ctx)
    plan_security_contacts(ctx)
    root_deps = tuple(
        features[name] for name in (CREDENTIALS_FEATURE, SESSIONS_FEATURE) if name in features
    )
    plan_root_credentials(ctx, root_deps)
    try:
        return OrganizationPlan(
            account_id=audit.management_account_id,
            organization_id=audit.organization_id,
            partition=audit.partition,
            home_region=home_region,
            actions=tuple(out.actions),
            blocked=tuple(d.build() for d in out.blocked.values()),
            warnings=tuple(out.warnings),
        )
    except ValidationError as exc:  # pragma: no cover - planner bug
        raise PlanError(f"internal error building the organization plan: {exc}") from None
