"""The apply handlers of the organization actions (I/O): each reads the state first and
decides the call (none when the wanted state is already there). The caller's calls use
``ctx.factory``; the root-session actions use ``ctx.factory_for(a)`` (the member's root
session, opened by the organization apply's context)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rootguard._aws import expect, paginate
from rootguard._remediation._actions import ApiAction
from rootguard._remediation._handling import (
    Call,
    Conflict,
    Context,
    Decision,
    client_error_code,
    handles,
    same_document,
)
from rootguard._remediation._org_actions import (
    AttachDenyRootPolicy,
    CreateDenyRootPolicy,
    DeactivateRootMfaDevice,
    DeleteRootAccessKey,
    DeleteRootLoginProfile,
    DeleteRootSigningCertificate,
    EnableIamTrustedAccess,
    EnableRootCredentialsManagement,
    EnableRootSessions,
    EnableScpPolicyType,
    PutSecurityContact,
)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_organizations import OrganizationsClient

_SCP = "SERVICE_CONTROL_POLICY"


def _call(action: ApiAction, params: dict[str, Any], *codes: str) -> Decision:
    return Decision(calls=[Call(action.operation, params, exists_codes=frozenset(codes))])


@handles(EnableIamTrustedAccess)
def _trusted_access(ctx: Context, a: EnableIamTrustedAccess) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    principal = a.params["ServicePrincipal"]
    listed = paginate(c, "ListAWSServiceAccessForOrganization", "EnabledServicePrincipals")
    if any(expect(e, "ServicePrincipal", str) == principal for e in listed):
        return Decision(detail=f"trusted access for {principal} is already enabled")
    return _call(a, {"ServicePrincipal": principal})


def _feature_decision(c: IAMClient, a: ApiAction, name: str) -> Decision:
    try:
        features = expect(c.list_organizations_features(), "EnabledFeatures", list)
    except ClientError as exc:
        if client_error_code(exc) != "ServiceAccessNotEnabledException":
            raise
        features = []  # trusted access off: no feature can be on
    if name in features:
        return Decision(detail=f"{name} is already enabled")
    return _call(a, {})


@handles(EnableRootCredentialsManagement)
def _root_credentials_management(ctx: Context, a: EnableRootCredentialsManagement) -> Decision:
    return _feature_decision(
        ctx.factory.client(a.service, ctx.region(a)), a, "RootCredentialsManagement"
    )


@handles(EnableRootSessions)
def _root_sessions(ctx: Context, a: EnableRootSessions) -> Decision:
    return _feature_decision(ctx.factory.client(a.service, ctx.region(a)), a, "RootSessions")


@handles(EnableScpPolicyType)
def _scp_type(ctx: Context, a: EnableScpPolicyType) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    root_id = a.params["RootId"]
    roots = paginate(c, "ListRoots", "Roots")
    root = next((r for r in roots if r.get("Id") == root_id), None)
    if root is None:
        raise Conflict("RootNotFound", f"the organization has no root {root_id}")
    if any(
        isinstance(t, dict) and t.get("Type") == _SCP and t.get("Status") == "ENABLED"
        for t in root.get("PolicyTypes") or []
    ):
        return Decision(detail="service control policies are already enabled")
    return _call(a, dict(a.params), "PolicyTypeAlreadyEnabledException")


def _policy_by_name(c: OrganizationsClient, name: str) -> str | None:
    for entry in paginate(c, "ListPolicies", "Policies", Filter=_SCP):
        if entry.get("Name") == name:
            return expect(entry, "Id", str)
    return None


@handles(CreateDenyRootPolicy)
def _create_policy(ctx: Context, a: CreateDenyRootPolicy) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    name = a.params["Name"]
    found = _policy_by_name(c, name)
    if found is None:
        return _call(a, dict(a.params), "DuplicatePolicyException")
    policy = expect(c.describe_policy(PolicyId=found), "Policy", dict)
    if same_document(policy.get("Content"), a.params["Content"]):
        return Decision(detail=f"policy {name} ({found}) already exists with this content")
    raise Conflict(
        "PolicyConflict",
        f"a service control policy named {name} ({found}) exists with other content; "
        "rootguard does not change it (pass another deny_root_scp_name, or review it)",
    )


@handles(AttachDenyRootPolicy)
def _attach_policy(ctx: Context, a: AttachDenyRootPolicy) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    target = a.params["TargetId"]
    policy_id = a.params.get("PolicyId")
    if policy_id is None:
        name = a.params["PolicyName"]
        policy_id = _policy_by_name(c, name)
        if policy_id is None:
            raise Conflict("PolicyNotFound", f"no service control policy named {name}")
    attached = paginate(c, "ListPoliciesForTarget", "Policies", TargetId=target, Filter=_SCP)
    if any(p.get("Id") == policy_id for p in attached):
        return Decision(detail=f"{policy_id} is already attached to {target}")
    return _call(
        a,
        {"PolicyId": policy_id, "TargetId": target},
        "DuplicatePolicyAttachmentException",
    )


@handles(PutSecurityContact)
def _security_contact(ctx: Context, a: PutSecurityContact) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    try:
        if "AccountId" in a.params:
            answer = c.get_alternate_contact(
                AlternateContactType="SECURITY", AccountId=a.params["AccountId"]
            )
        else:
            answer = c.get_alternate_contact(AlternateContactType="SECURITY")
        expect(answer, "AlternateContact", dict)
    except ClientError as exc:
        if client_error_code(exc) != "ResourceNotFoundException":
            raise
        return _call(a, dict(a.params))
    return Decision(detail="the account already has a security contact (not replaced)")


@handles(DeleteRootLoginProfile)
def _delete_password(ctx: Context, a: DeleteRootLoginProfile) -> Decision:
    c = ctx.factory_for(a).client(a.service, ctx.region(a))
    try:
        c.get_login_profile()
    except ClientError as exc:
        if client_error_code(exc) != "NoSuchEntity":
            raise
        return Decision(detail="the root user has no console password")
    return _call(a, {}, "NoSuchEntity")


def _listed_delete(c: IAMClient, a: ApiAction, operation: str, key: str, field: str) -> Decision:
    """Delete the root user's ``field`` entry of ``a.params`` if ``operation`` lists it."""
    wanted = a.params[field]
    listed = paginate(c, operation, key)
    if not any(entry.get(field) == wanted for entry in listed):
        return Decision(detail=f"the root user has no {wanted} any more")
    return _call(a, {field: wanted}, "NoSuchEntity")


@handles(DeleteRootAccessKey)
def _delete_access_key(ctx: Context, a: DeleteRootAccessKey) -> Decision:
    c = ctx.factory_for(a).client(a.service, ctx.region(a))
    return _listed_delete(c, a, "ListAccessKeys", "AccessKeyMetadata", "AccessKeyId")


@handles(DeleteRootSigningCertificate)
def _delete_certificate(ctx: Context, a: DeleteRootSigningCertificate) -> Decision:
    c = ctx.factory_for(a).client(a.service, ctx.region(a))
    return _listed_delete(c, a, "ListSigningCertificates", "Certificates", "CertificateId")


@handles(DeactivateRootMfaDevice)
def _deactivate_mfa(ctx: Context, a: DeactivateRootMfaDevice) -> Decision:
    c = ctx.factory_for(a).client(a.service, ctx.region(a))
    return _listed_delete(c, a, "ListMFADevices", "MFADevices", "SerialNumber")
