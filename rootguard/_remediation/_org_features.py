"""Organization planner families (pure): trusted access for IAM, the centralized root
access features, and the accounts' security contacts."""

from __future__ import annotations

from rootguard._member_root_models import (
    CONTACT_CHECK,
    MEMBER_CHECKS,
    SESSIONS_CHECK,
    MemberRootStatus,
)
from rootguard._remediation._actions import BlockedKind
from rootguard._remediation._org_actions import (
    EnableIamTrustedAccess,
    EnableRootCredentialsManagement,
    EnableRootSessions,
    PutSecurityContact,
)
from rootguard._remediation._org_context import OrgPlanContext

__all__ = ["plan_features", "plan_security_contacts", "plan_trusted_access"]

IAM_PRINCIPAL = "iam.amazonaws.com"
CREDENTIALS_FEATURE = "RootCredentialsManagement"
SESSIONS_FEATURE = "RootSessions"
_NOT_ENABLED = "ServiceAccessNotEnabledException"


def plan_trusted_access(ctx: OrgPlanContext) -> tuple[str, ...]:
    """Enable trusted access for IAM when it is known to be off; blocked when it could
    not be read. Returns the ids the feature actions depend on."""
    if not ctx.opts.enable_trusted_access or ctx.audit.iam_trusted_access is True:
        return ()
    action = EnableIamTrustedAccess(
        id=ctx.aid("EnableIamTrustedAccess", IAM_PRINCIPAL),
        region=None,
        resource=ctx.org_arn,
        description="enable trusted access for IAM (iam.amazonaws.com) in the organization",
        fixes=(SESSIONS_CHECK, *MEMBER_CHECKS),
        params={"ServicePrincipal": IAM_PRINCIPAL},
        permissions=EnableIamTrustedAccess.IAM_ACTIONS[::-1],
    )
    if ctx.audit.iam_trusted_access is None:
        ctx.block(
            BlockedKind.TRUSTED_ACCESS,
            IAM_PRINCIPAL,
            resource=ctx.org_arn,
            description="trusted access for IAM: whether it is enabled could not be read",
            gaps=ctx.gaps_of("ListAWSServiceAccessForOrganization"),
            permissions=("organizations:ListAWSServiceAccessForOrganization",),
            fixes=action.fixes,
            actions=(action.kind,),
            would_be=(action.id,),
        )
        return (action.id,)
    return (ctx.add(action),)


def _features(ctx: OrgPlanContext) -> tuple[str, ...] | None:
    """The enabled features; () when they are known to be none because trusted access
    for IAM is off (ListOrganizationsFeatures answers ServiceAccessNotEnabledException);
    None when not known."""
    if ctx.audit.root_features is not None:
        return ctx.audit.root_features
    gaps = ctx.gaps_of("ListOrganizationsFeatures")
    if (
        ctx.audit.iam_trusted_access is False
        and gaps
        and all(g.error_code == _NOT_ENABLED for g in gaps)
    ):
        return ()
    return None


def plan_features(ctx: OrgPlanContext, after: tuple[str, ...]) -> dict[str, str]:
    """Enable ``RootCredentialsManagement`` and ``RootSessions`` where they are known
    to be off (after trusted access); blocked when the features could not be read.
    Returns feature name → the id of the action that enables it (planned or blocked)."""
    features = _features(ctx)
    wanted = (
        (
            CREDENTIALS_FEATURE,
            ctx.opts.enable_root_credentials_management,
            EnableRootCredentialsManagement,
            MEMBER_CHECKS,
            "let the management account delete and recover member root credentials",
        ),
        (
            SESSIONS_FEATURE,
            ctx.opts.enable_root_sessions,
            EnableRootSessions,
            (SESSIONS_CHECK,),
            "let privileged root tasks in members run as sts:AssumeRoot sessions",
        ),
    )
    planned: dict[str, str] = {}
    for name, enabled, cls, fixes, why in wanted:
        if not enabled or (features is not None and name in features):
            continue
        action = cls(
            id=ctx.aid(cls.__name__, name),
            region=None,
            resource=ctx.org_arn,
            description=f"enable the IAM organization feature {name}: {why}",
            fixes=fixes,
            depends_on=after,
            params={},
            permissions=cls.IAM_ACTIONS[::-1],
        )
        if features is None:
            planned[name] = action.id
            ctx.block(
                BlockedKind.ROOT_FEATURES,
                name,
                resource=ctx.org_arn,
                description=f"the IAM organization feature {name}: whether it is enabled "
                "could not be read",
                gaps=ctx.gaps_of("ListOrganizationsFeatures"),
                permissions=("iam:ListOrganizationsFeatures",),
                fixes=fixes,
                actions=(cls.__name__,),
                would_be=(action.id,),
            )
            continue
        planned[name] = ctx.add(action)
    return planned


def plan_security_contacts(ctx: OrgPlanContext) -> None:
    """Set the SECURITY alternate contact from the options on every account known to
    have none (never replacing one); blocked for an account whose contact could not be
    read. Without a contact in the options, a warning names the accounts lacking one."""
    contact = ctx.opts.security_contact
    lacking: list[str] = []
    for member in ctx.audit.members:
        if member.status is MemberRootStatus.SKIPPED and not member.management:
            continue  # suspended or closed
        resource = f"AWS::::Account:{member.account_id}"
        if member.security_contact is None:
            if contact is None:
                continue
            ctx.block(
                BlockedKind.SECURITY_CONTACT,
                member.account_id,
                resource=resource,
                description=f"the security contact of {member.label}: whether it has one "
                "could not be read",
                gaps=ctx.gaps_of("GetAlternateContact", member=member),
                permissions=("account:GetAlternateContact",),
                fixes=(CONTACT_CHECK,),
                actions=("PutSecurityContact",),
            )
            continue
        if member.security_contact:
            continue
        if contact is None:
            lacking.append(member.account_id)
            continue
        params = {
            "AlternateContactType": "SECURITY",
            "Name": contact.name,
            "Title": contact.title,
            "EmailAddress": contact.email_address,
            "PhoneNumber": contact.phone_number,
        }
        if member.account_id != ctx.management:
            params["AccountId"] = member.account_id  # not for the caller's own account
        ctx.add(
            PutSecurityContact(
                id=ctx.aid("PutSecurityContact", member.account_id),
                region=None,
                resource=resource,
                description=f"set the security alternate contact of {member.label}",
                fixes=(CONTACT_CHECK,),
                params=params,
                permissions=PutSecurityContact.IAM_ACTIONS[::-1],
            )
        )
    if lacking:
        ctx.out.warnings.append(
            f"{len(lacking)} account(s) have no security alternate contact "
            f"({', '.join(lacking[:6])}{' …' if len(lacking) > 6 else ''}): pass "
            "security_contact to set one"
        )
