"""The organization planner (pure): from a member-root audit to an OrganizationPlan."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rootguard import PlanError, Status, scp_denies_root
from rootguard._member_root_report import (
    MemberRoot,
    MemberRootAudit,
    MemberRootStatus,
    NodeKind,
    OrganizationNode,
    RootAccessKey,
    RootMfaDevice,
    RootSigningCertificate,
    SecurityContact,
    ServiceControlPolicy,
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
from rootguard._remediation._org_options import OrganizationRemediationOptions
from rootguard._remediation._org_plan import OrganizationPlan
from rootguard._remediation._org_planner import plan_organization
from rootguard._remediation._org_scp import deny_root_policy
from rootguard._remediation._plan import Plan
from rootguard._snapshot import Gap

ORG = "o-abcdefghij"
MGMT = "111111111111"
A = "222222222222"  # in OU ou-1
B = "333333333333"  # at the root
ROOT, OU = "r-ab12", "ou-ab12-11111111"
CONTACT = {
    "name": "SecOps",
    "title": "Security",
    "email_address": "secops@example.com",
    "phone_number": "+1 555 0100",
}
SET = (SecurityContact(name="x", email_address="x@example.com"),)


def tree(
    a_parent: str = OU, b_parent: str = ROOT, policies: dict[str, tuple[str, ...]] | None = None
) -> tuple[OrganizationNode, ...]:
    policies = policies or {}
    return (
        OrganizationNode(id=ROOT, kind=NodeKind.ROOT, policy_ids=policies.get(ROOT, ("p-full",))),
        OrganizationNode(
            id=OU,
            kind=NodeKind.ORGANIZATIONAL_UNIT,
            name="workloads",
            parent_id=ROOT,
            policy_ids=policies.get(OU, ()),
        ),
        OrganizationNode(id=MGMT, kind=NodeKind.ACCOUNT, parent_id=ROOT, policy_ids=()),
        OrganizationNode(
            id=A, kind=NodeKind.ACCOUNT, parent_id=a_parent, policy_ids=policies.get(A, ())
        ),
        OrganizationNode(
            id=B, kind=NodeKind.ACCOUNT, parent_id=b_parent, policy_ids=policies.get(B, ())
        ),
    )


FULL_ACCESS = ServiceControlPolicy(
    policy_id="p-full",
    name="FullAWSAccess",
    aws_managed=True,
    content=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    ),
)
DENY = ServiceControlPolicy(
    policy_id="p-deny", name="deny-root", aws_managed=False, content=json.dumps(deny_root_policy())
)


def member(account_id: str, **fields: Any) -> MemberRoot:
    base: dict[str, Any] = {
        "status": MemberRootStatus.AUDITED,
        "password": False,
        "access_keys": (),
        "mfa_devices": (),
        "signing_certificates": (),
        "security_contact": SET,
    }
    base.update(fields)
    return MemberRoot(account_id=account_id, name=f"acct-{account_id[:3]}", **base)


def management(**fields: Any) -> MemberRoot:
    return MemberRoot(
        account_id=MGMT,
        management=True,
        status=MemberRootStatus.SKIPPED,
        reason="the management account",
        security_contact=fields.pop("security_contact", SET),
    )


def audit(**fields: Any) -> MemberRootAudit:
    base: dict[str, Any] = {
        "organization_id": ORG,
        "management_account_id": MGMT,
        "caller_account_id": MGMT,
        "root_features": ("RootCredentialsManagement", "RootSessions"),
        "iam_trusted_access": True,
        "scp_enabled": True,
        "nodes": tree(policies={ROOT: ("p-full", "p-deny")}),
        "policies": (FULL_ACCESS, DENY),
        "members": (management(), member(A), member(B)),
    }
    base.update(fields)
    return MemberRootAudit(**base)


def kinds(plan: OrganizationPlan) -> list[str]:
    return [a.kind for a in plan.actions]


# ------------------------------------------------------------------------ nothing to do


def test_an_organization_in_place_gives_an_empty_complete_plan() -> None:
    a = audit()
    assert {f.status for f in a.findings} == {Status.PASS}
    p = plan_organization(a, {"security_contact": CONTACT})
    assert p.is_empty
    assert p.complete
    assert not p.actions
    assert (p.account_id, p.organization_id) == (MGMT, ORG)
    assert "guardrails are in place" in p.to_text()


# ---------------------------------------------------------------------- a fresh organization


def fresh(**fields: Any) -> MemberRootAudit:
    base: dict[str, Any] = {
        "root_features": (),
        "iam_trusted_access": False,
        "scp_enabled": False,
        "nodes": tree(),
        "policies": (),
        "members": (
            management(security_contact=()),
            member(
                A,
                password=True,
                access_keys=(RootAccessKey(access_key_id="AKIAEXAMPLE1", status="Active"),),
                signing_certificates=(
                    RootSigningCertificate(certificate_id="CERT1", status="Active"),
                ),
                mfa_devices=(
                    RootMfaDevice(serial_number=f"arn:aws:iam::{A}:mfa/root-account-mfa-device"),
                ),
                security_contact=(),
            ),
            member(B, password=True),
        ),
    }
    base.update(fields)
    return audit(**base)


def test_a_fresh_organization_gets_every_step_in_order() -> None:
    p = plan_organization(fresh(), {"security_contact": CONTACT, "delete_root_credentials": [A]})
    assert p.complete
    assert kinds(p) == [
        "EnableIamTrustedAccess",
        "EnableRootCredentialsManagement",
        "EnableRootSessions",
        "EnableScpPolicyType",
        "CreateDenyRootPolicy",
        "AttachDenyRootPolicy",
        "AttachDenyRootPolicy",
        "PutSecurityContact",
        "PutSecurityContact",
        "DeleteRootAccessKey",
        "DeleteRootSigningCertificate",
        "DeleteRootLoginProfile",
        "DeactivateRootMfaDevice",
        "ManualStep",
    ]
    trusted, creds, sessions = p.actions[:3]
    assert isinstance(trusted, EnableIamTrustedAccess)
    assert trusted.params == {"ServicePrincipal": "iam.amazonaws.com"}
    assert creds.depends_on == sessions.depends_on == (trusted.id,)
    enable, create, *attach = p.actions[3:7]
    assert isinstance(enable, EnableScpPolicyType)
    assert enable.params == {"RootId": ROOT, "PolicyType": "SERVICE_CONTROL_POLICY"}
    assert isinstance(create, CreateDenyRootPolicy)
    assert create.depends_on == (enable.id,)
    assert {a.params["TargetId"] for a in attach if isinstance(a, AttachDenyRootPolicy)} == {
        OU,
        ROOT,
    }
    assert all(
        a.params["PolicyName"] == "rootguard-deny-root"
        for a in attach
        if isinstance(a, AttachDenyRootPolicy)
    )
    assert all(a.depends_on == (create.id,) for a in attach)
    contacts = [a for a in p.actions if isinstance(a, PutSecurityContact)]
    # the management account's own contact is set without AccountId
    assert [c.params.get("AccountId") for c in contacts] == [None, A]
    assert contacts[0].params["EmailAddress"] == "secops@example.com"
    deletions = [a for a in p.actions if a.kind.startswith(("DeleteRoot", "DeactivateRoot"))]
    assert {d.account_id for d in deletions} == {A}  # type: ignore[attr-defined]
    assert all(d.depends_on == (creds.id, sessions.id) for d in deletions)
    # B has a password too, but was not named: nothing deletes it
    assert not any(B in a.id for a in deletions)
    step = p.actions[-1]
    assert A in step.resource
    assert "Forgot password" in " ".join(step.instructions)  # type: ignore[attr-defined]
    assert OrganizationPlan.from_json(p.to_json()) == p


def test_the_created_policy_denies_root_but_not_root_sessions() -> None:
    p = plan_organization(fresh())
    [create] = [a for a in p.actions if isinstance(a, CreateDenyRootPolicy)]
    verdict = scp_denies_root(create.params["Content"], account_id=A, organization_id=ORG)
    assert verdict.denies_root
    assert not verdict.blocks_root_sessions
    assert len(create.params["Content"]) <= 5120  # AWS's limit for an SCP


def test_an_existing_qualifying_policy_is_attached_not_created() -> None:
    # p-deny covers B (attached to B itself); A's OU has nothing
    a = audit(nodes=tree(policies={B: ("p-deny",)}))
    [scp] = [f for f in a.findings if f.check_id == "organization.deny_root_scp"]
    assert scp.status is Status.FAIL
    p = plan_organization(a)
    assert kinds(p) == ["AttachDenyRootPolicy"]
    assert p.actions[0].params == {"PolicyId": "p-deny", "TargetId": OU}  # type: ignore[union-attr]


def test_a_policy_that_blocks_root_sessions_is_not_adopted() -> None:
    harsh = dict(deny_root_policy())
    harsh["Statement"] = [
        dict(
            harsh["Statement"][0],
            Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
        )
    ]
    policy = ServiceControlPolicy(policy_id="p-harsh", name="harsh", content=json.dumps(harsh))
    a = audit(nodes=tree(policies={B: ("p-harsh",)}), policies=(FULL_ACCESS, policy))
    p = plan_organization(a)
    assert "CreateDenyRootPolicy" in kinds(p)
    attach = [x for x in p.actions if isinstance(x, AttachDenyRootPolicy)]
    assert [x.params["TargetId"] for x in attach] == [OU]


# ------------------------------------------------------------------------ unknown is blocked


def gap(operation: str, code: str = "AccessDenied", resource: str | None = None) -> Gap:
    service = "iam" if "Feature" in operation else "organizations"
    return Gap(service=service, operation=operation, error_code=code, resource=resource)


def test_unread_trusted_access_blocks_it_and_what_waits_for_it() -> None:
    a = audit(
        iam_trusted_access=None,
        root_features=(),
        gaps=(gap("ListAWSServiceAccessForOrganization"),),
    )
    p = plan_organization(a)
    assert not p.actions
    assert [b.kind.value for b in p.blocked] == ["trusted_access", "root_features", "root_features"]
    assert p.blocked[0].gaps[0].operation == "ListAWSServiceAccessForOrganization"
    assert p.blocked[1].depends_on == (p.blocked[0].id,)
    assert "organizations:ListAWSServiceAccessForOrganization" in p.missing_permissions()


def test_unread_features_are_blocked_never_enabled_blind() -> None:
    a = audit(root_features=None, gaps=(gap("ListOrganizationsFeatures"),))
    p = plan_organization(a)
    assert not any(
        isinstance(x, (EnableRootSessions, EnableRootCredentialsManagement)) for x in p.actions
    )
    assert {b.id for b in p.blocked} == {
        "root_features:global:RootCredentialsManagement",
        "root_features:global:RootSessions",
    }
    assert p.missing_permissions() == ("iam:ListOrganizationsFeatures",)


def test_features_refused_because_trusted_access_is_off_are_known_off() -> None:
    a = audit(
        root_features=None,
        iam_trusted_access=False,
        gaps=(gap("ListOrganizationsFeatures", "ServiceAccessNotEnabledException"),),
    )
    p = plan_organization(a)
    assert kinds(p) == [
        "EnableIamTrustedAccess",
        "EnableRootCredentialsManagement",
        "EnableRootSessions",
    ]
    assert p.complete


def test_an_unread_tree_blocks_the_scp_work() -> None:
    a = audit(scp_enabled=None, nodes=None, gaps=(gap("ListRoots"),))
    p = plan_organization(a)
    assert not p.actions
    assert [b.id for b in p.blocked] == ["deny_root_scp:global:organization"]
    assert p.blocked[0].permissions == ("organizations:ListRoots",)


def test_members_whose_coverage_is_unknown_are_blocked_the_others_planned() -> None:
    # A's policies could not be listed; B is uncovered
    nodes = list(tree(policies={ROOT: ("p-full",)}))
    nodes[3] = nodes[3].model_copy(update={"policy_ids": None})
    a = audit(
        nodes=tuple(nodes),
        policies=(FULL_ACCESS,),
        gaps=(gap("ListPoliciesForTarget", resource=A),),
    )
    p = plan_organization(a)
    assert [x.params["TargetId"] for x in p.actions if isinstance(x, AttachDenyRootPolicy)] == [
        ROOT
    ]
    [blocked] = p.blocked
    assert blocked.id == "deny_root_scp:global:unknown-members"
    assert A in blocked.description
    assert blocked.gaps[0].resource == A


def test_an_unread_contact_is_blocked_only_when_a_contact_would_be_set() -> None:
    members = (
        management(),
        member(
            A,
            security_contact=None,
            gaps=(
                Gap(
                    service="account",
                    operation="GetAlternateContact",
                    error_code="AccessDenied",
                    resource=A,
                ),
            ),
        ),
        member(B, security_contact=()),
    )
    a = audit(members=members)
    without = plan_organization(a)
    assert not without.actions
    assert without.complete
    assert any(B in w and "security_contact" in w for w in without.warnings)
    p = plan_organization(a, {"security_contact": CONTACT})
    assert [x.id for x in p.actions] == [f"PutSecurityContact:global:{B}"]
    assert [b.id for b in p.blocked] == [f"security_contact:global:{A}"]
    assert p.blocked[0].permissions == ("account:GetAlternateContact",)


def test_root_credentials_unread_are_blocked_the_rest_deleted() -> None:
    a = audit(
        members=(
            management(),
            member(
                A,
                password=None,
                access_keys=(RootAccessKey(access_key_id="AKIAEXAMPLE1", status="Inactive"),),
                mfa_devices=None,
                gaps=(
                    Gap(service="iam", operation="GetLoginProfile", error_code="AccessDenied"),
                    Gap(service="iam", operation="ListMFADevices", error_code="Throttling"),
                ),
            ),
            member(B),
        )
    )
    p = plan_organization(a, {"delete_root_credentials": [A, B]})
    assert kinds(p) == ["DeleteRootAccessKey", "ManualStep"]
    assert isinstance(p.actions[0], DeleteRootAccessKey)
    assert p.actions[0].params == {"AccessKeyId": "AKIAEXAMPLE1"}
    assert {b.id for b in p.blocked} == {
        f"root_credentials:global:{A}/GetLoginProfile",
        f"root_credentials:global:{A}/ListMFADevices",
    }
    assert not any(
        isinstance(x, (DeleteRootLoginProfile, DeactivateRootMfaDevice)) for x in p.actions
    )


def test_a_member_that_could_not_be_audited_is_blocked_whole() -> None:
    from rootguard._account_failure import AccountFailure

    error = AccountFailure(operation="sts:AssumeRoot", error_code="AccessDenied", message="no")
    a = audit(
        members=(
            management(),
            member(A, status=MemberRootStatus.ERROR, error=error, password=None),
            member(B),
        )
    )
    p = plan_organization(a, {"delete_root_credentials": [A]})
    assert not p.actions
    assert [b.id for b in p.blocked] == [f"root_credentials:global:{A}"]
    assert "sts:AssumeRoot" in p.blocked[0].description


def test_deletions_wait_for_blocked_features() -> None:
    a = audit(
        root_features=None,
        gaps=(gap("ListOrganizationsFeatures"),),
        members=(management(), member(A, password=True), member(B)),
    )
    p = plan_organization(a, {"delete_root_credentials": [A]})
    assert not any(isinstance(x, DeleteRootLoginProfile) for x in p.actions)
    blocked = {b.id: b for b in p.blocked}
    waiting = blocked[f"root_credentials:global:{A}/password"]
    assert set(waiting.depends_on) == {
        "root_features:global:RootCredentialsManagement",
        "root_features:global:RootSessions",
    }


def test_only_named_accounts_lose_credentials_and_signing_certs_too() -> None:
    a = audit(
        members=(
            management(),
            member(
                A,
                signing_certificates=(
                    RootSigningCertificate(certificate_id="C1", status="Inactive"),
                ),
            ),
            member(B, password=True),
        )
    )
    assert not plan_organization(a).actions
    p = plan_organization(a, {"delete_root_credentials": [A]})
    assert kinds(p) == ["DeleteRootSigningCertificate", "ManualStep"]
    assert isinstance(p.actions[0], DeleteRootSigningCertificate)


@pytest.mark.parametrize(
    ("accounts", "message"),
    [([MGMT], "management account"), (["444444444444"], "not part of the member-root audit")],
)
def test_deleting_what_cannot_be_reached_is_an_error(accounts: list[str], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan_organization(audit(), {"delete_root_credentials": accounts})


# ------------------------------------------------------------------------ inputs


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"delete_root_credentials": "222222222222"}, "not one string"),
        ({"delete_root_credentials": ["12"]}, "12-digit"),
        ({"security_contact": {**CONTACT, "phone_number": "call me"}}, "phone"),
        ({"security_contact": {**CONTACT, "email_address": "nope"}}, "email"),
        ({"security_contact": {**CONTACT, "name": "x" * 65}}, "1-64"),
        ({"security_contact": {**CONTACT, "title": " "}}, "1-50"),
        ({"deny_root_scp_name": ""}, "1-128"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_invalid_options_are_plan_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        OrganizationRemediationOptions.model_validate(options)


def test_an_audit_without_the_organization_cannot_be_planned() -> None:
    with pytest.raises(PlanError, match="DescribeOrganization"):
        plan_organization(audit(organization_id=None))
    with pytest.raises(PlanError, match="MemberRootAudit"):
        plan_organization("audit")  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="region"):
        plan_organization(audit(), home_region="moon-1")


def test_plan_kinds_are_not_interchangeable() -> None:
    org_plan = plan_organization(fresh())
    with pytest.raises(PlanError, match="organization remediation plan"):
        Plan.from_json(org_plan.to_json())
    account = Plan(account_id=MGMT, home_region="us-east-1")
    with pytest.raises(PlanError, match="not an organization remediation plan"):
        OrganizationPlan.from_json(account.to_json())


def test_the_same_audit_gives_the_same_plan() -> None:
    opts = {"security_contact": CONTACT, "delete_root_credentials": [A]}
    assert plan_organization(fresh(), opts) == plan_organization(fresh(), opts)
    text = plan_organization(fresh(), opts).to_text()
    assert text.startswith(f"rootguard organization plan for {ORG} (management account {MGMT})")
    assert "? " not in text
