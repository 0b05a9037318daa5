"""audit_member_roots on moto: an organization of 12 members whose root users differ.

moto has no ``sts:AssumeRoot``: rootguard/_moto_seed.py answers it (a stand-in, see its
documentation) with credentials moto maps to the member, and answers the root user's
IAM reads in that session from the member's seeded :class:`RootState`. The organization
is built once per module (in-process), with OUs, service control policies and security
contacts; the module's audit denies ``sts:AssumeRoot`` into one member.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from rootguard import (
    AccountStatus,
    MemberRootAudit,
    MemberRootStatus,
    OrganizationReport,
    Status,
    audit_member_roots,
    required_permissions,
    scan_organization,
)
from rootguard._cli import main
from rootguard._moto_seed import root_sessions
from rootguard._permissions import ROOT_AUDIT_SESSION_ACTIONS, iam_action
from tests.integration.conftest import _AWS_VARS, HOME, count_calls, new_session
from tests.integration.faults import (
    HTML_PAGE,
    STS_FAULTS,
    Fault,
    json_answer,
    no_backoff,
    xml_answer,
)
from tests.integration.moto_root import RootKey, RootState, moto_root
from tests.integration.org_builder import BuiltOrganization, moto_organization

NOW = datetime.now(timezone.utc)
AUDIT_TASK = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"


def removed(account_id: str) -> RootState:
    """Root credentials deleted through centralized root access."""
    return RootState(account_id=account_id, password_last_used="N/A", mfa="none")


ROOTS: dict[str, Callable[[str], RootState]] = {
    "removed-1": removed,
    "removed-2": removed,
    "removed-3": removed,
    "removed-4": removed,
    "password-only": lambda a: RootState(account_id=a, mfa="hardware"),
    "active-key": lambda a: RootState(
        account_id=a,
        mfa="none",
        password_last_used=NOW - timedelta(days=2),
        access_keys=(RootKey(last_used=NOW - timedelta(hours=2), service="ec2"),),
    ),
    "inactive-key": lambda a: RootState(
        account_id=a, password_last_used="N/A", mfa="none", access_keys=(RootKey(active=False),)
    ),
    "certificate": lambda a: RootState(
        account_id=a, password_last_used="N/A", mfa="none", signing_certificates=(True,)
    ),
    "virtual-mfa": lambda a: RootState(account_id=a, mfa="virtual"),
    "denied": removed,
    "no-contact": removed,
}
MEMBERS = (*((name, "plain") for name in ROOTS), ("suspended", "suspended"))
"""12 members: 11 active with mixed root users, one suspended."""

WORKLOADS = ("removed-1", "removed-2", "removed-3", "removed-4", "password-only", "active-key")
SANDBOX = ("inactive-key", "certificate", "no-contact")
AT_ROOT = ("virtual-mfa", "denied")

DENY_ROOT_SCP = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]},
                "Null": {"aws:AssumedRoot": "true"},
            },
        }
    ],
}
"""AWS's example: deny member roots everything, centralized root sessions excepted."""
NEAR_MISS_SCP = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "iam:CreateUser",
            "Resource": "*",
            "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
        }
    ],
}


@pytest.fixture(scope="module")
def moto_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    tmp: Path = tmp_path_factory.mktemp("roots-aws")
    with pytest.MonkeyPatch.context() as mp:
        for name in _AWS_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", HOME)
        mp.setenv("AWS_CONFIG_FILE", str(tmp / "no-config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp / "no-credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


class Layout:
    """The organization built for the module: ids of accounts, OUs and policies."""

    def __init__(self, built: BuiltOrganization, root_id: str, ous: dict[str, str]) -> None:
        self.built = built
        self.root_id = root_id
        self.ous = ous

    def id(self, name: str) -> str:
        return self.built.id(name)


def arrange(session: boto3.Session, built: BuiltOrganization) -> Layout:
    """OUs Workloads (deny-root SCP) and Sandbox (a near miss), SCPs enabled, security
    contacts on every account but ``no-contact``."""
    org = session.client("organizations", region_name=HOME)
    root_id = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    ous = {
        name: org.create_organizational_unit(ParentId=root_id, Name=name)["OrganizationalUnit"][
            "Id"
        ]
        for name in ("Workloads", "Sandbox")
    }
    for names, ou in ((WORKLOADS, ous["Workloads"]), (SANDBOX, ous["Sandbox"])):
        for name in names:
            org.move_account(
                AccountId=built.id(name), SourceParentId=root_id, DestinationParentId=ou
            )
    for name, content, target in (
        ("DenyRootUser", DENY_ROOT_SCP, ous["Workloads"]),
        ("DenyRootCreateUser", NEAR_MISS_SCP, ous["Sandbox"]),
    ):
        policy = org.create_policy(
            Name=name,
            Description=name,
            Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps(content),
        )["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=policy, TargetId=target)
    account = session.client("account", region_name=HOME)
    contact = {
        "AlternateContactType": "SECURITY",
        "EmailAddress": "security@example.com",
        "Name": "Security team",
        "PhoneNumber": "+1-555-0100",
        "Title": "SecOps",
    }
    account.put_alternate_contact(**contact)  # the management account's own
    for name in ROOTS:
        if name != "no-contact":
            account.put_alternate_contact(AccountId=built.id(name), **contact)
    return Layout(built, root_id, ous)


@pytest.fixture(scope="module")
def org(moto_env: None) -> Iterator[tuple[boto3.Session, Layout]]:
    with mock_aws():
        session = new_session()
        with moto_organization(
            session, members=MEMBERS, regions=[HOME], root_states=ROOTS
        ) as built:
            yield session, arrange(session, built)


def deny_assume_root(account_ids: list[str], *, code: str = "AccessDenied") -> Any:
    """A ``configure_session`` hook: ``sts:AssumeRoot`` into these accounts is refused
    (a ``before-call`` answer, as when every retry failed)."""

    def hook(session: boto3.Session) -> None:
        def handler(params: dict[str, Any], **_: Any) -> Any:
            body = params.get("body")
            target = body.get("TargetPrincipal") if isinstance(body, dict) else None
            if target not in account_ids:
                return None
            parsed = {
                "Error": {"Code": code, "Message": "not authorized to perform sts:AssumeRoot"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            }
            return AWSResponse("https://sts.invalid", 403, {}, None), parsed

        session.events.register_first("before-call.sts.AssumeRoot", handler)

    return hook


@pytest.fixture(scope="module")
def audit(org: tuple[boto3.Session, Layout]) -> dict[str, Any]:
    session, layout = org
    progress: list[tuple[int, int]] = []
    result = audit_member_roots(
        session=session,
        configure_session=deny_assume_root([layout.id("denied")]),
        progress=lambda done, total: progress.append((done, total)),
    )
    return {"audit": result, "progress": progress}


def finding(audit: MemberRootAudit, check: str, account_id: str | None = None) -> Any:
    found = [
        f
        for f in audit.findings
        if f.check_id == check and f.evidence.get("account_id") == account_id
    ]
    assert len(found) == 1, (check, account_id, found)
    return found[0]


# --------------------------------------------------------------------------- one result each


def test_every_account_has_one_result_in_id_order(
    org: tuple[boto3.Session, Layout], audit: dict[str, Any]
) -> None:
    _, layout = org
    result: MemberRootAudit = audit["audit"]
    ids = [m.account_id for m in result.members]
    assert ids == sorted({layout.built.management_id, *layout.built.accounts.values()})
    assert len(ids) == 13  # the management account and 12 members
    counts = {s: sum(m.status is s for m in result.members) for s in MemberRootStatus}
    assert counts == {
        MemberRootStatus.AUDITED: 10,
        MemberRootStatus.ERROR: 1,
        MemberRootStatus.SKIPPED: 2,
    }
    management = result.member(layout.built.management_id)
    assert management is not None
    assert management.management
    assert management.status is MemberRootStatus.SKIPPED
    suspended = result.member(layout.id("suspended"))
    assert suspended is not None
    assert suspended.status is MemberRootStatus.SKIPPED
    assert suspended.reason is not None
    assert "SUSPENDED" in suspended.reason
    assert audit["progress"][0] == (0, 12)  # the management account: its contact
    assert audit["progress"][-1] == (12, 12)
    assert result.organization_id == layout.built.organization_id
    assert result.root_features == ("RootCredentialsManagement", "RootSessions")


def test_each_root_user_is_read_in_its_own_root_session(
    org: tuple[boto3.Session, Layout], audit: dict[str, Any]
) -> None:
    _, layout = org
    result: MemberRootAudit = audit["audit"]
    expected = {
        # name: (password, access keys [(status, used)], mfa kinds, certificates)
        "removed-1": (False, [], [], 0),
        "password-only": (True, [], [False], 0),
        "active-key": (True, [("Active", True)], [], 0),
        "inactive-key": (False, [("Inactive", False)], [], 0),
        "certificate": (False, [], [], 1),
        "virtual-mfa": (True, [], [True], 0),
    }
    for name, (password, keys, mfa, certs) in expected.items():
        member = result.member(layout.id(name))
        assert member is not None, name
        assert member.status is MemberRootStatus.AUDITED, name
        assert member.gaps == (), name
        assert member.password is password, name
        assert member.access_keys is not None
        assert [(k.status, k.last_used is not None) for k in member.access_keys] == keys, name
        assert all(k.usage_read for k in member.access_keys)
        assert member.mfa_devices is not None
        assert [d.virtual for d in member.mfa_devices] == mfa, name
        assert member.signing_certificates is not None
        assert len(member.signing_certificates) == certs, name
    key = result.member(layout.id("active-key")).access_keys[0]  # type: ignore[union-attr]
    assert key.last_used_service == "ec2"
    assert key.last_used_region == "us-east-1"
    # one root session per audited member, with the audit task policy, none elsewhere
    sessions = sorted(v for v in root_sessions().values())
    audited = sorted((m.account_id, AUDIT_TASK) for m in result.audited)
    assert sorted(set(sessions)) == audited


def test_member_root_findings_have_stable_ids_and_statuses(
    org: tuple[boto3.Session, Layout], audit: dict[str, Any]
) -> None:
    _, layout = org
    result: MemberRootAudit = audit["audit"]
    expected = {
        # name: (no password, no access keys, no signing certificates)
        "removed-1": ("PASS", "PASS", "PASS"),
        "password-only": ("FAIL", "PASS", "PASS"),
        "active-key": ("FAIL", "FAIL", "PASS"),
        "inactive-key": ("PASS", "FAIL", "PASS"),
        "certificate": ("PASS", "PASS", "FAIL"),
        "virtual-mfa": ("FAIL", "PASS", "PASS"),
        "denied": ("UNKNOWN", "UNKNOWN", "UNKNOWN"),
    }
    checks = (
        "organization.member_root_no_password",
        "organization.member_root_no_access_keys",
        "organization.member_root_no_signing_certificates",
    )
    for name, statuses in expected.items():
        got = tuple(finding(result, c, layout.id(name)).status.value for c in checks)
        assert got == statuses, name
    denied = finding(result, checks[0], layout.id("denied"))
    assert "sts:AssumeRoot failed: AccessDenied" in denied.detail
    assert denied.evidence["error"]["operation"] == "sts:AssumeRoot"
    # no member-root finding for the management account or the suspended one
    for skipped in (layout.built.management_id, layout.id("suspended")):
        assert not [
            f for f in result.findings_for(skipped) if f.check_id.startswith("organization.member")
        ]
    key_finding = finding(result, checks[1], layout.id("active-key"))
    assert key_finding.severity.value == "critical"
    assert "last used" in key_finding.detail


def test_organization_findings(org: tuple[boto3.Session, Layout], audit: dict[str, Any]) -> None:
    _, layout = org
    result: MemberRootAudit = audit["audit"]
    sessions = finding(result, "organization.root_sessions")
    assert sessions.status is Status.PASS
    scp = finding(result, "organization.deny_root_scp")
    assert scp.status is Status.FAIL
    accounts = scp.evidence["accounts"]
    for name in WORKLOADS:
        assert accounts[layout.id(name)]["status"] == "PASS", name
        [cover] = accounts[layout.id(name)]["covered_by"]
        assert (cover["policy_name"], cover["target_id"]) == (
            "DenyRootUser",
            layout.ous["Workloads"],
        )
        assert cover["blocks_root_sessions"] is False
    for name in (*SANDBOX, *AT_ROOT):
        assert accounts[layout.id(name)]["status"] == "FAIL", name
    # the near miss is named as a partial deny, and where the deny is missing
    assert any(
        "DenyRootCreateUser" in p for p in accounts[layout.id("certificate")]["partial_denies"]
    )
    assert scp.evidence["targets_without_deny"] == sorted([layout.ous["Sandbox"], layout.root_id])
    assert layout.built.management_id not in accounts  # SCPs never apply to it
    assert layout.id("suspended") not in accounts


def test_security_contacts(org: tuple[boto3.Session, Layout], audit: dict[str, Any]) -> None:
    _, layout = org
    result: MemberRootAudit = audit["audit"]
    check = "organization.security_contact"
    assert finding(result, check, layout.id("no-contact")).status is Status.FAIL
    for name in ("removed-1", "denied", "virtual-mfa"):  # AssumeRoot's failure does not matter
        assert finding(result, check, layout.id(name)).status is Status.PASS, name
    management = finding(result, check, layout.built.management_id)
    assert management.status is Status.PASS
    assert management.evidence["security_contact"]["email_address"] == "security@example.com"
    assert not result.findings_for(layout.id("suspended"))


def test_outputs_and_json_round_trip(audit: dict[str, Any]) -> None:
    result: MemberRootAudit = audit["audit"]
    again = MemberRootAudit.from_json(result.to_json())
    assert again == result
    assert again.findings == result.findings
    table = result.to_table()
    assert all(len(line) <= 100 for line in table.splitlines())
    assert "CREDENTIALS" in table
    assert "ERROR AccessDenied" in table
    markdown = result.to_markdown()
    assert "## Findings to act on" in markdown
    assert json.loads(result.render("json"))["findings"]
    assert result.exit_code("fail") == 1
    assert result.exit_code("never") == 0


def test_a_given_executor_gives_the_same_audit(
    org: tuple[boto3.Session, Layout], audit: dict[str, Any]
) -> None:
    session, layout = org
    with ThreadPoolExecutor(max_workers=2) as pool:
        again = audit_member_roots(
            session=session,
            executor=pool,
            configure_session=deny_assume_root([layout.id("denied")]),
        )
    strip = ("generated_at",)
    assert again.model_dump(exclude=set(strip)) == audit["audit"].model_dump(exclude=set(strip))


# --------------------------------------------------------------------------- faults


_STS = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'


def _assume_root_answer(credentials: str) -> Callable[[str], AWSResponse]:
    body = (
        f"<AssumeRootResponse {_STS}><AssumeRootResult>{credentials}</AssumeRootResult>"
        "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRootResponse>"
    )
    return lambda url: xml_answer(200, body.encode())


ASSUME_ROOT_FAULTS = [
    *(
        f
        for f in STS_FAULTS
        if f.name in ("access-denied", "throttled", "connection", "read-timeout", "html-200")
    ),
    Fault("no-credentials", _assume_root_answer(""), "InvalidResponse"),
    Fault(
        "empty-secret",
        _assume_root_answer(
            "<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE00</AccessKeyId>"
            "<SecretAccessKey> </SecretAccessKey><SessionToken>token</SessionToken>"
            "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
        ),
        "InvalidResponse",
    ),
    Fault(
        "another-accounts-session",
        lambda url: _other_session(),
        "AccountMismatch",
    ),
]

_OTHER: dict[str, Any] = {}


def _other_session() -> AWSResponse:
    """A real AssumeRoot answer, but for the account stored in ``_OTHER``."""
    return _assume_root_answer(_OTHER["credentials"])("")


def assume_root_into(account_id: str, fault: Fault) -> Callable[[boto3.Session], None]:
    def hook(session: boto3.Session) -> None:
        def answer(request: Any, **_: Any) -> AWSResponse | None:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            target = parse_qs(body or "").get("TargetPrincipal", [""])[0]
            return fault.answer(request.url) if target == account_id else None

        session.events.register_first("before-send.sts.AssumeRoot", answer)

    return hook


@pytest.mark.parametrize("fault", ASSUME_ROOT_FAULTS, ids=str)
def test_assume_root_failing_in_any_way_is_that_accounts_error(
    org: tuple[boto3.Session, Layout], monkeypatch: pytest.MonkeyPatch, fault: Fault
) -> None:
    no_backoff(monkeypatch)
    session, layout = org
    victim, other = layout.id("removed-2"), layout.id("removed-3")
    if fault.name == "another-accounts-session":
        answer = session.client("sts").assume_root(
            TargetPrincipal=other, TaskPolicyArn={"arn": AUDIT_TASK}
        )["Credentials"]
        _OTHER["secrets"] = (answer["SecretAccessKey"], answer["SessionToken"])
        _OTHER["credentials"] = (
            f"<Credentials><AccessKeyId>{answer['AccessKeyId']}</AccessKeyId>"
            f"<SecretAccessKey>{answer['SecretAccessKey']}</SecretAccessKey>"
            f"<SessionToken>{answer['SessionToken']}</SessionToken>"
            "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
        )
    result = audit_member_roots(
        session=session, accounts=[victim, other], configure_session=assume_root_into(victim, fault)
    )
    failed = result.member(victim)
    assert failed is not None
    assert failed.status is MemberRootStatus.ERROR
    assert failed.error is not None
    assert (failed.error.operation, failed.error.error_code) == ("sts:AssumeRoot", fault.code)
    assert failed.password is None
    assert failed.access_keys is None
    for check in (
        "organization.member_root_no_password",
        "organization.member_root_no_access_keys",
    ):
        assert finding(result, check, victim).status is Status.UNKNOWN
    checked = result.member(other)
    assert checked is not None
    assert checked.status is MemberRootStatus.AUDITED
    assert finding(result, "organization.member_root_no_password", other).status is Status.PASS
    assert result.exit_code("fail") == 1  # an account in error is never green
    for secret in _OTHER.get("secrets", ()) if fault.name == "another-accounts-session" else ():
        assert secret not in failed.error.message  # no credential in the error


_IAM = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"'


def _iam_error(code: str, status: int) -> Callable[[str], AWSResponse]:
    error = f"<Type>Sender</Type><Code>{code}</Code><Message>injected</Message>"
    body = f"<ErrorResponse {_IAM}><Error>{error}</Error><RequestId>r</RequestId></ErrorResponse>"
    return lambda url: xml_answer(status, body.encode())


def _iam_empty(operation: str) -> Callable[[str], AWSResponse]:
    body = (
        f"<{operation}Response {_IAM}><{operation}Result></{operation}Result>"
        f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{operation}Response>"
    )
    return lambda url: xml_answer(200, body.encode())


IAM_READS = {
    # operation: (the check it feeds, the member seeded with something to find)
    "GetLoginProfile": ("organization.member_root_no_password", "password-only"),
    "ListAccessKeys": ("organization.member_root_no_access_keys", "removed-1"),
    "ListSigningCertificates": ("organization.member_root_no_signing_certificates", "removed-1"),
}


def iam_faults(operation: str) -> list[Fault]:
    return [
        Fault("access-denied", _iam_error("AccessDenied", 403), "AccessDenied"),
        Fault("throttled", _iam_error("Throttling", 400), "Throttling"),
        Fault("html-200", lambda url: xml_answer(200, HTML_PAGE), "ResponseParserError"),
        Fault("empty-answer", _iam_empty(operation), "InvalidResponse"),
    ]


def in_root_session(account_id: str, operation: str, fault: Fault) -> Any:
    sent: list[str] = []

    def hook(session: boto3.Session) -> None:
        credentials = session.get_credentials()
        if credentials is None or credentials.method != "assume-root":
            return
        if root_sessions().get(credentials.access_key, ("",))[0] != account_id:
            return

        def answer(request: Any, **_: Any) -> AWSResponse:
            sent.append(request.url)
            return fault.answer(request.url)

        session.events.register_first(f"before-send.iam.{operation}", answer)

    hook.sent = sent  # type: ignore[attr-defined]
    return hook


@pytest.mark.parametrize(
    ("operation", "fault"),
    [(op, f) for op in IAM_READS for f in iam_faults(op)],
    ids=lambda x: x if isinstance(x, str) else str(x),
)
def test_a_failing_read_in_a_root_session_is_a_gap_never_no_credentials(
    org: tuple[boto3.Session, Layout],
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
    fault: Fault,
) -> None:
    no_backoff(monkeypatch)
    session, layout = org
    check, name = IAM_READS[operation]
    victim, other = layout.id(name), layout.id("removed-4")
    hook = in_root_session(victim, operation, fault)
    result = audit_member_roots(session=session, accounts=[victim, other], configure_session=hook)
    assert len(hook.sent) == (8 if fault.name == "throttled" else 1)
    member = result.member(victim)
    assert member is not None
    assert member.status is MemberRootStatus.AUDITED  # only AssumeRoot makes an error
    [gap] = member.gaps
    assert (gap.service, gap.operation, gap.error_code) == ("iam", operation, fault.code)
    unknown = finding(result, check, victim)
    assert unknown.status is Status.UNKNOWN
    assert unknown.evidence["gaps"][0]["error_code"] == fault.code
    # the rest of the member was read, and the other member is untouched
    others = [f for f in result.findings_for(victim) if f.check_id != check]
    assert Status.UNKNOWN not in {f.status for f in others}
    assert {f.status for f in result.findings_for(other)} == {Status.PASS}


def test_a_failing_last_use_read_keeps_the_key(
    org: tuple[boto3.Session, Layout], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, layout = org
    victim = layout.id("active-key")
    fault = Fault("access-denied", _iam_error("AccessDenied", 403), "AccessDenied")
    hook = in_root_session(victim, "GetAccessKeyLastUsed", fault)
    result = audit_member_roots(session=session, accounts=[victim], configure_session=hook)
    member = result.member(victim)
    assert member is not None
    assert member.access_keys is not None
    [key] = member.access_keys
    assert key.usage_read is False
    assert key.last_used is None
    check = finding(result, "organization.member_root_no_access_keys", victim)
    assert check.status is Status.FAIL  # the key is there whatever its last use
    assert "last use not read" in check.detail


def caller_fault(session: boto3.Session, operation: str, code: str) -> Callable[[], None]:
    """Make the caller's ``organizations``/``iam``/``account`` call fail; returns the undo."""
    service = {
        "ListOrganizationsFeatures": "iam",
        "GetAlternateContact": "account",
    }.get(operation, "organizations")

    def answer(request: Any, **_: Any) -> AWSResponse:
        if service == "iam":
            return _iam_error(code, 403)(request.url)
        return json_answer(400, {"__type": code, "message": "injected"})

    event = f"before-send.{service}.{operation}"
    session.events.register_first(event, answer)
    return lambda: session.events.unregister(event, answer)


@pytest.mark.parametrize(
    ("operation", "check"),
    [
        ("ListOrganizationsFeatures", "organization.root_sessions"),
        ("ListRoots", "organization.deny_root_scp"),
        ("ListPoliciesForTarget", "organization.deny_root_scp"),
        ("DescribePolicy", "organization.deny_root_scp"),
    ],
)
def test_a_failing_organization_read_is_unknown_never_a_verdict(
    org: tuple[boto3.Session, Layout], operation: str, check: str
) -> None:
    session, layout = org
    members = [layout.id("removed-1"), layout.id("virtual-mfa")]
    undo = caller_fault(session, operation, "AccessDeniedException")
    try:
        result = audit_member_roots(session=session, accounts=members)
    finally:
        undo()
    judged = finding(result, check)
    assert judged.status is Status.UNKNOWN, judged.detail
    assert any(g.operation == operation for g in result.gaps)
    # what the failed read does not feed is still judged
    assert (
        finding(result, "organization.member_root_no_password", layout.id("virtual-mfa")).status
        is Status.FAIL
    )


def test_a_failing_contact_read_is_unknown(org: tuple[boto3.Session, Layout]) -> None:
    session, layout = org
    undo = caller_fault(session, "GetAlternateContact", "AccessDeniedException")
    try:
        # the caller's session is built inside the tasks: fail it through the hook
        def hook(s: boto3.Session) -> None:
            credentials = s.get_credentials()
            if credentials is not None and credentials.method != "assume-root":
                caller_fault(s, "GetAlternateContact", "AccessDeniedException")

        result = audit_member_roots(
            session=session, accounts=[layout.id("no-contact")], configure_session=hook
        )
    finally:
        undo()
    contact = finding(result, "organization.security_contact", layout.id("no-contact"))
    assert contact.status is Status.UNKNOWN
    assert contact.evidence["gaps"][0]["operation"] == "GetAlternateContact"


def test_without_root_sessions_every_member_is_an_error_naming_assume_root(
    org: tuple[boto3.Session, Layout],
) -> None:
    session, layout = org
    members = [layout.id("removed-1"), layout.id("active-key")]
    off = RootState(
        account_id=layout.built.management_id, organization_features=("RootCredentialsManagement",)
    )
    with moto_root(off, config_compliance=False):
        result = audit_member_roots(session=session, accounts=members)
    assert [m.status for m in result.members] == [MemberRootStatus.ERROR] * 2
    assert {m.error.operation for m in result.members if m.error} == {"sts:AssumeRoot"}
    assert result.exit_code("never") == 3  # nothing could be audited
    assert finding(result, "organization.root_sessions").status is Status.FAIL
    for m in members:
        assert finding(result, "organization.member_root_no_password", m).status is Status.UNKNOWN


def test_without_credentials_management_the_member_checks_do_not_apply(
    org: tuple[boto3.Session, Layout],
) -> None:
    session, layout = org
    member = layout.id("active-key")
    off = RootState(account_id=layout.built.management_id, organization_features=("RootSessions",))
    with moto_root(off, config_compliance=False):
        result = audit_member_roots(session=session, accounts=[member])
    for check in (
        "organization.member_root_no_password",
        "organization.member_root_no_access_keys",
        "organization.member_root_no_signing_certificates",
    ):
        judged = finding(result, check, member)
        assert judged.status is Status.NOT_APPLICABLE
        assert "RootCredentialsManagement" in judged.detail


# --------------------------------------------------------------------------- scan_organization


def unreadable_root_facts(account_id: str) -> Callable[[boto3.Session], None]:
    """A ``configure_session`` hook: in ``account_id``'s role session, the credential
    report and the account summary are denied (the account's own root verdicts turn
    UNKNOWN)."""

    def hook(session: boto3.Session) -> None:
        credentials = session.get_credentials()
        if credentials is None or credentials.method != "assume-role":
            return
        if session.client("sts").get_caller_identity()["Account"] != account_id:
            return

        def answer(**_: Any) -> Any:
            parsed = {
                "Error": {"Code": "AccessDenied", "Message": "denied by the test"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            }
            return AWSResponse("https://iam.invalid", 403, {}, None), parsed

        for operation in ("GenerateCredentialReport", "GetCredentialReport", "GetAccountSummary"):
            session.events.register_first(f"before-call.iam.{operation}", answer)

    return hook


@pytest.fixture(scope="module")
def scanned(org: tuple[boto3.Session, Layout]) -> OrganizationReport:
    session, layout = org
    deny = deny_assume_root([layout.id("denied")])
    unreadable = unreadable_root_facts(layout.id("removed-1"))

    def hook(s: boto3.Session) -> None:
        deny(s)
        unreadable(s)

    return scan_organization(
        session=session,
        regions=[HOME],
        accounts=[
            layout.built.management_id,
            *(
                layout.id(n)
                for n in ("removed-1", "removed-2", "password-only", "active-key", "denied")
            ),
        ],
        audit_member_roots=True,
        configure_session=hook,
    )


def test_scan_organization_includes_the_audit(
    org: tuple[boto3.Session, Layout], scanned: OrganizationReport
) -> None:
    _, layout = org
    assert scanned.member_roots is not None
    assert [a.status for a in scanned.accounts] == [AccountStatus.CHECKED] * 6
    ids = [f.check_id for f in scanned.organization_findings]
    assert ids[0] == "root.centralized_access"
    assert {"organization.root_sessions", "organization.deny_root_scp"} <= set(ids)
    matrix = scanned.summary.matrix
    assert matrix[layout.id("active-key")]["organization.member_root_no_access_keys"] == "FAIL"
    assert matrix[layout.id("removed-1")]["organization.member_root_no_password"] == "PASS"
    assert matrix[layout.id("denied")]["organization.member_root_no_password"] == "UNKNOWN"
    assert OrganizationReport.from_json(scanned.to_json()) == scanned
    table = scanned.to_table()
    assert "organization.member_root_no_access_keys (per account)" in table
    assert all(len(line) <= 100 for line in table.splitlines())


def test_root_mfa_does_not_apply_where_the_audit_proved_the_credentials_removed(
    org: tuple[boto3.Session, Layout], scanned: OrganizationReport
) -> None:
    _, layout = org

    def status(name: str, check: str) -> Status:
        account = scanned.account(layout.id(name))
        assert account is not None
        assert account.report is not None
        [found] = account.report.by_check(check)
        return found.status

    # removed-1's own report could not tell (credential report denied): the audit can
    removed_account = scanned.account(layout.id("removed-1"))
    assert removed_account is not None
    assert removed_account.report is not None
    [mfa] = removed_account.report.by_check("root.mfa_enabled")
    assert mfa.status is Status.NOT_APPLICABLE
    assert mfa.evidence["judged_by"] == "organization"
    assert mfa.evidence["account_finding"]["status"] == "UNKNOWN"
    assert status("removed-1", "root.hardware_mfa") is Status.NOT_APPLICABLE
    # removed-2's own report already shows no credential: same verdict
    assert status("removed-2", "root.mfa_enabled") is Status.NOT_APPLICABLE
    # a root that still has a password keeps its own verdict
    assert status("password-only", "root.mfa_enabled") is Status.PASS
    assert status("active-key", "root.mfa_enabled") is Status.FAIL
    # not audited (AssumeRoot denied): the account's own verdict stands
    denied = scanned.account(layout.id("denied"))
    assert denied is not None
    assert denied.report is not None
    [own] = denied.report.by_check("root.mfa_enabled")
    assert own.evidence.get("judged_by") != "organization"


# --------------------------------------------------------------------------- permissions


def test_every_call_of_the_audit_is_allowed(org: tuple[boto3.Session, Layout]) -> None:
    session, _layout = org
    caller_calls = count_calls(session)
    in_tasks: dict[str, set[str]] = {"caller": set(), "root": set()}

    def hook(s: boto3.Session) -> None:
        credentials = s.get_credentials()
        whose = (
            "root" if credentials is not None and credentials.method == "assume-root" else "caller"
        )

        def record(event_name: str, **_: Any) -> None:
            _, service, operation = event_name.split(".", 2)
            in_tasks[whose].add(iam_action(service, operation))

        s.events.register("before-call", record)

    audit_member_roots(session=session, configure_session=hook)
    caller = {iam_action(*c.split(":", 1)) for c in caller_calls} | in_tasks["caller"]
    policy = required_permissions("organization-audit")
    allowed = {
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert caller - allowed == set()
    assert "sts:AssumeRoot" in caller
    [assume] = [s for s in policy["Statement"] if s["Action"] == "sts:AssumeRoot"]
    assert assume["Condition"]["StringEquals"]["sts:TaskPolicyArn"] == AUDIT_TASK
    assert in_tasks["root"] - set(ROOT_AUDIT_SESSION_ACTIONS) == set()
    assert in_tasks["root"] >= {"iam:GetLoginProfile", "iam:ListAccessKeys"}


# --------------------------------------------------------------------------- command line


def test_org_roots_json_is_the_audit(
    org: tuple[boto3.Session, Layout], capsys: pytest.CaptureFixture[str]
) -> None:
    _, layout = org
    code = main(["org", "roots", "--output", "json"])
    captured = capsys.readouterr()
    result = MemberRootAudit.from_json(captured.out)
    assert len(result.members) == 13
    assert len(result.audited) == 11  # nothing denies AssumeRoot here
    assert (
        finding(result, "organization.member_root_no_access_keys", layout.id("active-key")).status
        is Status.FAIL
    )
    assert code == 1  # FAIL findings, default --fail-on fail


def test_org_roots_table_and_markdown(
    org: tuple[boto3.Session, Layout], capsys: pytest.CaptureFixture[str]
) -> None:
    _, layout = org
    code = main(["org", "roots", "--account", layout.id("removed-1"), "--fail-on", "never"])
    table = capsys.readouterr().out
    assert code == 0
    assert layout.id("removed-1") in table
    assert "clean" in table
    assert all(len(line) <= 100 for line in table.splitlines())
    code = main(["org", "roots", "--account", layout.id("removed-1"), "--output", "markdown"])
    markdown = capsys.readouterr().out
    assert markdown.startswith("# rootguard member-root audit")
    assert code == 0  # a clean root, covered by the deny-root SCP, with a contact
    assert "| PASS | `organization.deny_root_scp` |" in markdown
    assert main(["org", "roots", "--account", layout.id("virtual-mfa")]) == 1  # a password
    assert "CREDENTIALS" in capsys.readouterr().out


def test_org_roots_exit_codes_of_errors(
    org: tuple[boto3.Session, Layout], capsys: pytest.CaptureFixture[str]
) -> None:
    _, layout = org
    off = RootState(account_id=layout.built.management_id, organization_features=())
    with moto_root(off, config_compliance=False):
        code = main(["org", "roots", "--account", layout.id("removed-1")])
    captured = capsys.readouterr()
    assert code == 3
    assert "not audited: sts:AssumeRoot failed: AccessDenied" in captured.err
    assert main(["org", "roots", "--account", "12345"]) == 2
    assert "not AWS account ids" in capsys.readouterr().err


def test_a_task_pickles_without_its_live_credentials(org: tuple[boto3.Session, Layout]) -> None:
    import pickle

    from rootguard._member_roots import _RootTask
    from rootguard._sessions import settings_of

    session, layout = org
    live = session.get_credentials()
    frozen = live.get_frozen_credentials()
    task = _RootTask(
        account_id=layout.id("removed-1"),
        caller=settings_of(live, region_name=HOME),
        caller_account=layout.built.management_id,
        home_region=HOME,
    )
    again = pickle.loads(pickle.dumps(task))
    assert again == task
    assert again.caller.live is None
    assert frozen.secret_key not in repr(task)
