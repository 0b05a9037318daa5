"""MemberRootAudit: the organization.* checks judged from what the audit read (pure)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rootguard import (
    AccountFailure,
    AccountResult,
    AccountStatus,
    MemberRoot,
    MemberRootAudit,
    MemberRootStatus,
    OrganizationReport,
    ParseError,
    Status,
    evaluate,
)
from rootguard._member_root_report import (
    NodeKind,
    OrganizationNode,
    RootAccessKey,
    RootMfaDevice,
    RootSigningCertificate,
    SecurityContact,
    ServiceControlPolicy,
    credentials_removed,
)
from rootguard._posture._catalogue import CHECKS, ORGANIZATION_CHECK_IDS
from rootguard._snapshot import AccountSnapshot, Gap

MGMT = "999999999999"
A, B, C = "111111111111", "222222222222", "333333333333"
T = datetime(2024, 5, 1, tzinfo=timezone.utc)
FEATURES = ("RootCredentialsManagement", "RootSessions")
CONTACT = (SecurityContact(name="Sec", email_address="sec@example.com"),)

DENY_ROOT = json.dumps(
    {
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
        }
    }
)
FULL_ACCESS = json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})


def clean(account_id: str, **fields: Any) -> MemberRoot:
    values: dict[str, Any] = {
        "account_id": account_id,
        "status": MemberRootStatus.AUDITED,
        "password": False,
        "access_keys": (),
        "mfa_devices": (),
        "signing_certificates": (),
        "security_contact": CONTACT,
    }
    values.update(fields)
    return MemberRoot(**values)


def management() -> MemberRoot:
    return MemberRoot(
        account_id=MGMT,
        management=True,
        status=MemberRootStatus.SKIPPED,
        reason="the management account",
        security_contact=CONTACT,
    )


def tree(
    *, root_policies: tuple[str, ...] = ("p-full",), ou_policies: tuple[str, ...] = ("p-full",)
) -> tuple[OrganizationNode, ...]:
    """root r-1 → ou-1 → ou-2 → C; A under ou-1; B at the root."""
    return (
        OrganizationNode(id="r-1", kind=NodeKind.ROOT, policy_ids=root_policies),
        OrganizationNode(
            id="ou-1", kind=NodeKind.ORGANIZATIONAL_UNIT, parent_id="r-1", policy_ids=ou_policies
        ),
        OrganizationNode(
            id="ou-2", kind=NodeKind.ORGANIZATIONAL_UNIT, parent_id="ou-1", policy_ids=("p-full",)
        ),
        OrganizationNode(id=A, kind=NodeKind.ACCOUNT, parent_id="ou-1", policy_ids=("p-full",)),
        OrganizationNode(id=B, kind=NodeKind.ACCOUNT, parent_id="r-1", policy_ids=("p-full",)),
        OrganizationNode(id=C, kind=NodeKind.ACCOUNT, parent_id="ou-2", policy_ids=("p-full",)),
    )


POLICIES = (
    ServiceControlPolicy(policy_id="p-full", name="FullAWSAccess", content=FULL_ACCESS),
    ServiceControlPolicy(policy_id="p-deny", name="DenyRoot", content=DENY_ROOT),
)


def audit(**fields: Any) -> MemberRootAudit:
    values: dict[str, Any] = {
        "organization_id": "o-abc",
        "management_account_id": MGMT,
        "caller_account_id": MGMT,
        "generated_at": T,
        "root_features": FEATURES,
        "scp_enabled": True,
        "nodes": tree(root_policies=("p-full", "p-deny")),
        "policies": POLICIES,
        "members": (management(), clean(A), clean(B), clean(C)),
    }
    values.update(fields)
    return MemberRootAudit(**values)


def status(result: MemberRootAudit, check: str, account: str | None = None) -> Status:
    [found] = [
        f
        for f in result.findings
        if f.check_id == check and f.evidence.get("account_id") == account
    ]
    return found.status


# --------------------------------------------------------------------------- catalogue


def test_the_organization_checks_are_in_the_catalogue() -> None:
    assert set(ORGANIZATION_CHECK_IDS) == {
        "organization.member_root_no_password",
        "organization.member_root_no_access_keys",
        "organization.member_root_no_signing_certificates",
        "organization.root_sessions",
        "organization.deny_root_scp",
        "organization.security_contact",
    }
    for check in ORGANIZATION_CHECK_IDS:
        info = CHECKS[check]
        assert info.scope == "organization"
        assert info.title
        assert info.remediation
    assert "Account.1" in CHECKS["organization.security_contact"].controls


def test_a_clean_organization_passes_everything() -> None:
    result = audit()
    assert {f.status for f in result.findings} == {Status.PASS}
    ids = [f.check_id for f in result.findings]
    assert ids == sorted(ids, key=list(CHECKS).index)  # check order
    assert len(result.findings) == 2 + 3 * 3 + 4  # org-wide, 3 per member, contacts
    assert result.exit_code("unknown") == 0


# --------------------------------------------------------------------------- member roots

KEY = RootAccessKey(access_key_id="AKIAEXAMPLE", status="Inactive")
CERT = RootSigningCertificate(certificate_id="CERT", status="Active")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"password": True}, ("FAIL", "PASS", "PASS")),
        ({"access_keys": (KEY,)}, ("PASS", "FAIL", "PASS")),
        ({"signing_certificates": (CERT,)}, ("PASS", "PASS", "FAIL")),
        ({"password": None}, ("UNKNOWN", "PASS", "PASS")),
        ({"access_keys": None}, ("PASS", "UNKNOWN", "PASS")),
        ({"signing_certificates": None}, ("PASS", "PASS", "UNKNOWN")),
        (
            {"mfa_devices": (RootMfaDevice(serial_number="arn:aws:iam::1:mfa/root"),)},
            ("PASS", "PASS", "PASS"),
        ),
    ],
)
def test_member_root_credentials(fields: dict[str, Any], expected: tuple[str, ...]) -> None:
    result = audit(members=(management(), clean(A, **fields)))
    got = tuple(
        status(result, c, A).value
        for c in (
            "organization.member_root_no_password",
            "organization.member_root_no_access_keys",
            "organization.member_root_no_signing_certificates",
        )
    )
    assert got == expected


def test_an_unread_fact_names_its_gap() -> None:
    gap = Gap(service="iam", operation="ListAccessKeys", error_code="AccessDenied")
    result = audit(members=(clean(A, access_keys=None, gaps=(gap,)),))
    [found] = [
        f for f in result.findings_for(A) if f.check_id == "organization.member_root_no_access_keys"
    ]
    assert found.status is Status.UNKNOWN
    assert found.evidence["gaps"][0]["error_code"] == "AccessDenied"
    assert "iam:ListAccessKeys failed: AccessDenied" in found.detail


def test_an_account_in_error_is_unknown_everywhere_but_its_contact() -> None:
    error = AccountFailure(operation="sts:AssumeRoot", error_code="AccessDenied", message="no")
    member = MemberRoot(
        account_id=A,
        status=MemberRootStatus.ERROR,
        error=error,
        reason=error.describe(),
        security_contact=(),
    )
    result = audit(members=(member,))
    for check in (
        "organization.member_root_no_password",
        "organization.member_root_no_access_keys",
        "organization.member_root_no_signing_certificates",
    ):
        assert status(result, check, A) is Status.UNKNOWN
    assert status(result, "organization.security_contact", A) is Status.FAIL
    assert result.exit_code("never") == 3


def test_without_credentials_management_the_member_checks_do_not_apply() -> None:
    result = audit(root_features=("RootSessions",), members=(clean(A, password=True),))
    assert status(result, "organization.member_root_no_password", A) is Status.NOT_APPLICABLE
    # unknown features: judged from the facts
    unknown = audit(root_features=None, members=(clean(A, password=True),))
    assert status(unknown, "organization.member_root_no_password", A) is Status.FAIL
    assert status(unknown, "organization.root_sessions") is Status.UNKNOWN


def test_root_sessions() -> None:
    assert status(audit(), "organization.root_sessions") is Status.PASS
    off = audit(root_features=("RootCredentialsManagement",))
    assert status(off, "organization.root_sessions") is Status.FAIL


def test_credentials_removed_needs_every_fact() -> None:
    assert credentials_removed(clean(A)) is True
    assert credentials_removed(clean(A, password=True)) is False
    assert credentials_removed(clean(A, access_keys=None)) is None
    assert credentials_removed(clean(A, access_keys=None, password=True)) is False
    assert credentials_removed(management()) is None


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "password": st.booleans(),
            "access_keys": st.sampled_from(((), (KEY,))),
            "signing_certificates": st.sampled_from(((), (CERT,))),
            "security_contact": st.sampled_from(((), CONTACT)),
        }
    ),
    st.sampled_from(("password", "access_keys", "signing_certificates", "security_contact")),
    st.sampled_from((FEATURES, None)),
)
def test_an_unread_fact_turns_its_check_unknown_never_another_verdict(
    facts: dict[str, Any], lost: str, features: tuple[str, ...] | None
) -> None:
    read = audit(root_features=features, members=(clean(A, **facts),))
    unread = audit(root_features=features, members=(clean(A, **{**facts, lost: None}),))
    before = {f.check_id: f.status for f in read.findings_for(A)}
    after = {f.check_id: f.status for f in unread.findings_for(A)}
    fed = {
        "password": "organization.member_root_no_password",
        "access_keys": "organization.member_root_no_access_keys",
        "signing_certificates": "organization.member_root_no_signing_certificates",
        "security_contact": "organization.security_contact",
    }[lost]
    for check, was in before.items():
        assert after[check] == (Status.UNKNOWN if check == fed else was)


# --------------------------------------------------------------------------- SCPs


def scp(result: MemberRootAudit) -> Any:
    [found] = [f for f in result.findings if f.check_id == "organization.deny_root_scp"]
    return found


def test_a_policy_on_the_root_covers_every_member() -> None:
    found = scp(audit())
    assert found.status is Status.PASS
    assert found.evidence["accounts"][C]["covered_by"][0]["target_id"] == "r-1"
    assert MGMT not in found.evidence["accounts"]


def test_a_policy_on_a_parent_ou_covers_everything_beneath() -> None:
    found = scp(audit(nodes=tree(ou_policies=("p-full", "p-deny"))))
    assert found.status is Status.FAIL
    accounts = found.evidence["accounts"]
    assert accounts[A]["status"] == "PASS"
    assert accounts[C]["status"] == "PASS"  # two levels down
    assert accounts[B]["status"] == "FAIL"
    assert found.evidence["targets_without_deny"] == ["r-1"]
    assert B in found.detail


def test_scps_not_enabled_fail() -> None:
    found = scp(audit(scp_enabled=False))
    assert found.status is Status.FAIL
    assert "not enabled" in found.detail


def test_an_unread_tree_or_policy_is_unknown() -> None:
    gap = Gap(service="organizations", operation="ListRoots", error_code="AccessDenied")
    assert scp(audit(nodes=None, scp_enabled=None, gaps=(gap,))).status is Status.UNKNOWN
    unread = (
        ServiceControlPolicy(policy_id="p-full", content=FULL_ACCESS),
        ServiceControlPolicy(policy_id="p-deny"),
    )
    found = scp(audit(policies=unread))
    assert found.status is Status.UNKNOWN
    nodes = list(tree())
    nodes[1] = nodes[1].model_copy(update={"policy_ids": None})  # ou-1's policies unread
    found = scp(audit(nodes=tuple(nodes)))
    assert found.status is Status.FAIL  # B (at the root) is known to be uncovered
    assert found.evidence["accounts"][A]["status"] == "UNKNOWN"


def test_an_unread_policy_does_not_hide_a_known_cover() -> None:
    nodes = list(tree(root_policies=("p-full", "p-deny")))
    nodes[1] = nodes[1].model_copy(update={"policy_ids": None})
    assert scp(audit(nodes=tuple(nodes))).status is Status.PASS


def test_a_member_missing_from_the_tree_is_unknown() -> None:
    nodes = tuple(n for n in tree(root_policies=("p-full", "p-deny")) if n.id != C)
    found = scp(audit(nodes=nodes))
    assert found.status is Status.UNKNOWN
    assert found.evidence["accounts"][C]["status"] == "UNKNOWN"


def test_a_policy_that_is_not_a_policy_is_unknown_with_the_reason() -> None:
    broken = (
        ServiceControlPolicy(policy_id="p-full", content=FULL_ACCESS),
        ServiceControlPolicy(policy_id="p-deny", content="{not json"),
    )
    found = scp(audit(policies=broken))
    assert found.status is Status.UNKNOWN
    assert "could not be evaluated" in json.dumps(found.evidence["accounts"][A])


def test_no_member_no_scp_verdict() -> None:
    assert scp(audit(members=(management(),))).status is Status.NOT_APPLICABLE


# --------------------------------------------------------------------------- contacts


def test_security_contacts() -> None:
    gap = Gap(service="account", operation="GetAlternateContact", error_code="AccessDenied")
    suspended = MemberRoot(
        account_id="444444444444", status=MemberRootStatus.SKIPPED, reason="suspended"
    )
    result = audit(
        members=(
            management(),
            clean(A, security_contact=()),
            clean(B, security_contact=None, gaps=(gap,)),
            suspended,
        )
    )
    assert status(result, "organization.security_contact", MGMT) is Status.PASS
    assert status(result, "organization.security_contact", A) is Status.FAIL
    assert status(result, "organization.security_contact", B) is Status.UNKNOWN
    assert result.findings_for("444444444444") == []


# --------------------------------------------------------------------------- outputs


def test_json_round_trip_and_outputs() -> None:
    result = audit(members=(management(), clean(A, password=True), clean(B)))
    again = MemberRootAudit.from_json(result.to_json())
    assert again == result
    assert json.loads(result.to_json())["findings"]
    with pytest.raises(ParseError):
        MemberRootAudit.from_json('{"members": 3}')
    table = result.render("table")
    assert all(len(line) <= 100 for line in table.splitlines())
    assert "CREDENTIALS" in table
    assert result.render("markdown").startswith("# rootguard member-root audit — o-abc")
    with pytest.raises(ValueError, match="unknown output"):
        result.render("html")
    assert result.exit_code() == 1
    with pytest.raises(ValueError, match="fail_on"):
        result.exit_code("sometimes")


def test_names_are_escaped_in_markdown() -> None:
    result = audit(members=(clean(A, name="a|b\nc"),))
    row = next(line for line in result.to_markdown().splitlines() if line.startswith(f"| {A}"))
    assert "a\\|b c" in row


# --------------------------------------------------------------------------- organization report


def checked(account_id: str) -> AccountResult:
    report = evaluate(AccountSnapshot(account_id=account_id, collected_at=T))
    return AccountResult(account_id=account_id, status=AccountStatus.CHECKED, report=report)


def mfa_status(report: OrganizationReport, account_id: str) -> Status:
    found = report.account(account_id)
    assert found is not None
    assert found.report is not None
    [mfa] = found.report.by_check("root.mfa_enabled")
    return mfa.status


def test_the_organization_report_takes_the_audit() -> None:
    member_roots = audit(members=(management(), clean(A), clean(B, password=True)))
    report = OrganizationReport.from_accounts(
        [checked(MGMT), checked(A), checked(B)],
        organization_id="o-abc",
        management_account_id=MGMT,
        member_roots=member_roots,
    )
    assert report.member_roots == member_roots
    assert report.organization_findings[0].check_id == "root.centralized_access"
    assert report.organization_findings[1:] == member_roots.findings
    # A: credentials removed, proven: MFA does not apply; B: has a password
    assert mfa_status(report, A) is Status.NOT_APPLICABLE
    assert mfa_status(report, B) is Status.UNKNOWN  # its own verdict (nothing collected)
    assert mfa_status(report, MGMT) is Status.UNKNOWN  # never for the management account
    assert report.summary.matrix[B]["organization.member_root_no_password"] == "FAIL"
    assert OrganizationReport.from_json(report.to_json()) == report
    assert report.exit_code("fail") == 1
    table = report.to_table()
    assert "MPW organization.member_root_no_password (per account): 1 FAIL, 1 PASS" in table


def test_no_mfa_opinion_without_credentials_management() -> None:
    for features in (("RootSessions",), None):
        member_roots = audit(root_features=features, members=(clean(A),))
        report = OrganizationReport.from_accounts(
            [checked(A)], management_account_id=MGMT, member_roots=member_roots
        )
        assert mfa_status(report, A) is Status.UNKNOWN


def test_without_the_audit_the_report_is_unchanged() -> None:
    report = OrganizationReport.from_accounts([checked(A)], management_account_id=MGMT)
    assert report.member_roots is None
    assert [f.check_id for f in report.organization_findings] == ["root.centralized_access"]


def test_hostile_names_stay_on_their_line() -> None:
    result = audit(members=(clean(A, name="evil\n\x1b[31mname\rX|y"),))
    table = result.to_table()
    row = next(line for line in table.splitlines() if line.startswith(A))
    assert "\x1b" not in table
    assert "evil" in row
    assert len(table.splitlines()) == len(audit(members=(clean(A),)).to_table().splitlines())


def test_a_copy_is_judged_from_its_own_facts() -> None:
    first = audit(members=(management(), clean(A)))
    assert status(first, "organization.member_root_no_password", A) is Status.PASS
    changed = first.model_copy(update={"members": (management(), clean(A, password=True))})
    assert status(changed, "organization.member_root_no_password", A) is Status.FAIL
    assert status(first, "organization.member_root_no_password", A) is Status.PASS
