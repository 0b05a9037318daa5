"""The apply handlers of the organization actions (I/O): each reads the state first and
decides the call (none when the wanted state is already there)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from rootguard._aws import expect, paginate
from rootguard._remediation._actions import ApiAction
from rootguard._remediation._handling import (
    _Call,
    _code,
    _Conflict,
    _Context,
    _Decision,
    _same_doc,
    handles,
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

_SCP = "SERVICE_CONTROL_POLICY"


def _call(action: ApiAction, params: dict[str, Any], *codes: str) -> _Decision:
    return _Decision(calls=[_Call(action.operation, params, exists_codes=frozenset(codes))])


@handles(EnableIamTrustedAccess)
def _trusted_access(ctx: _Context, client: Any, action: ApiAction) -> _Decision:
    principal = action.params["ServicePrincipal"]
    listed = paginate(client, "ListAWSServiceAccessForOrganization", "EnabledServicePrincipals")
    if any(expect(e, "ServicePrincipal", str) == principal for e in listed):
        return _Decision(detail=f"trusted access for {principal} is already enabled")
    return _call(action, {"ServicePrincipal": principal})


def _feature(name: str) -> Any:
    def handler(ctx: _Context, client: Any, action: ApiAction) -> _Decision:
        try:
            features = expect(client.list_organizations_features(), "EnabledFeatures", list)
        except ClientError as exc:
            if _code(exc) != "ServiceAccessNotEnabledException":
                raise
            features = []  # trusted access off: no feature can be on
        if name in features:
            return _Decision(detail=f"{name} is already enabled")
        return _call(action, {})

    return handler


handles(EnableRootCredentialsManagement)(_feature("RootCredentialsManagement"))
handles(EnableRootSessions)(_feature("RootSessions"))


@handles(EnableScpPolicyType)
def _scp_type(ctx: _Context, client: Any, action: ApiAction) -> _Decision:
    root_id = action.params["RootId"]
    roots = paginate(client, "ListRoots", "Roots")
    root = next((r for r in roots if r.get("Id") == root_id), None)
    if root is None:
        raise _Conflict("RootNotFound", f"the organization has no root {root_id}")
    if any(
        isinstance(t, dict) and t.get("Type") == _SCP and t.get("Status") == "ENABLED"
        for t in root.get("PolicyTypes") or []
    ):
        return _Decision(detail="service control policies are already enabled")
    return _call(action, dict(action.params), "PolicyTypeAlreadyEnabledException")


def _policy_by_name(client: Any, name: str) -> str | None:
    for entry in paginate(client, "ListPolicies", "Policies", Filter=_SCP):
        if entry.get("Name") == name:
            return expect(entry, "Id", str)
    return None


@handles(CreateDenyRootPolicy)
def _create_policy(ctx: _Context, client: Any, action: ApiAction) -> _Decision:
    name = action.params["Name"]
    found = _policy_by_name(client, name)
    if found is None:
        return _call(action, dict(action.params), "DuplicatePolicyException")
    policy = expect(client.describe_policy(PolicyId=found), "Policy", dict)
    if _same_doc(policy.get("Content"), action.params["Content"]):
        return _Decision(detail=f"policy {name} ({found}) already exists with this content")
    raise _Conflict(
        "PolicyConflict",
        f"a service control policy named {name} ({found}) exists with other content; "
        "rootguard does not change it (pass another deny_root_scp_name, or review it)",
    )


@handles(AttachDenyRootPolicy)
def _attach_policy(ctx: _Context, client: Any, action: ApiAction) -> _Decision:
    target = action.params["TargetId"]
    policy_id = action.params.get("PolicyId")
    if policy_id is None:
        name = action.params["PolicyName"]
        policy_id = _policy_by_name(client, name)
        if policy_id is None:
            raise _Conflict("PolicyNotFound", f"no service control policy named {name}")
    attached = paginate(client, "ListPoliciesForTarget", "Policies", TargetId=target, Filter=_SCP)
    if any(p.get("Id") == policy_id for p in attached):
        return _Decision(detail=f"{policy_id} is already attached to {target}")
    return _call(
        action,
        {"PolicyId": policy_id, "TargetId": target},
        "DuplicatePolicyAttachmentException",
    )


@handles(PutSecurityContact)
def _security_contact(ctx: _Context, client: Any, action: ApiAction) -> _Decision:
    read: dict[str, Any] = {"AlternateContactType": "SECURITY"}
    if "AccountId" in action.params:
        read["AccountId"] = action.params["AccountId"]
    try:
        expect(client.get_alternate_contact(**read), "AlternateContact", dict)
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        return _call(action, dict(action.params))
    return _Decision(detail="the account already has a security contact (not replaced)")


@handles(DeleteRootLoginProfile)
def _delete_password(ctx: _Context, client: Any, action: ApiAction) -> _Decision:
    try:
        client.get_login_profile()
    except ClientError as exc:
        if _code(exc) != "NoSuchEntity":
            raise
        return _Decision(detail="the root user has no console password")
    return _call(action, {}, "NoSuchEntity")


def _listed_delete(operation: str, key: str, field: str, param: str) -> Any:
    def handler(ctx: _Context, client: Any, action: ApiAction) -> _Decision:
        wanted = action.params[param]
        listed = paginate(client, operation, key)
        if not any(entry.get(field) == wanted for entry in listed):
            return _Decision(detail=f"the root user has no {wanted} any more")
        return _call(action, {param: wanted}, "NoSuchEntity")

    return handler


handles(DeleteRootAccessKey)(
    _listed_delete("ListAccessKeys", "AccessKeyMetadata", "AccessKeyId", "AccessKeyId")
)
handles(DeleteRootSigningCertificate)(
    _listed_delete("ListSigningCertificates", "Certificates", "CertificateId", "CertificateId")
)
handles(DeactivateRootMfaDevice)(
    _listed_delete("ListMFADevices", "MFADevices", "SerialNumber", "SerialNumber")
)
