"""scan_organization under faults: a failing call in a member is a gap in that member's
report; only a failed role assumption makes the account an error; the scan's own calls
fail with a clear CollectError, never a raw botocore exception.

A small in-process moto organization (a management account and three plain members),
built once for the module; every fault of tests/integration/faults.py is injected with a
``before-send`` handler, so botocore's retries, rootguard's before-parse check and the
parsers all run on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from rootguard import AccountStatus, CollectError, OrganizationReport, Status, scan_organization
from tests.integration.conftest import _AWS_VARS, HOME, new_session
from tests.integration.faults import STS_FAULTS, Fault, json_answer, json_faults, no_backoff
from tests.integration.org_builder import BuiltOrganization, moto_organization

MEMBERS = (("plain-1", "plain"), ("plain-2", "plain"), ("plain-3", "plain"))
RETRIED = {"throttled", "connection", "read-timeout"}


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[boto3.Session, Any]]:
    tmp: Path = tmp_path_factory.mktemp("org-faults")
    with pytest.MonkeyPatch.context() as mp:
        for name in _AWS_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", HOME)
        mp.setenv("AWS_CONFIG_FILE", str(tmp / "no-config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp / "no-credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        with mock_aws():
            session = new_session()
            with moto_organization(session, members=MEMBERS, regions=[HOME]) as built:
                yield session, built


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    no_backoff(monkeypatch)


def in_member(account_id: str, service: str, operation: str, fault: Fault) -> Any:
    """A ``configure_session`` hook: in ``account_id``'s role session, every send of
    ``service:operation`` gets ``fault``. Counts the sends it answered."""
    sent: list[str] = []

    def hook(session: boto3.Session) -> None:
        credentials = session.get_credentials()
        if credentials is None or credentials.method != "assume-role":
            return
        account = session.client("sts").get_caller_identity()["Account"]
        if account != account_id:
            return

        def answer(request: Any, **_: Any) -> AWSResponse:
            sent.append(request.url)
            return fault.answer(request.url)

        session.events.register_first(f"before-send.{service}.{operation}", answer)

    hook.sent = sent  # type: ignore[attr-defined]
    return hook


def assume_role_into(account_id: str, fault: Fault) -> Callable[[boto3.Session], None]:
    """A ``configure_session`` hook: the caller's ``sts:AssumeRole`` into ``account_id``
    gets ``fault`` (the other accounts' are answered by moto)."""

    def hook(session: boto3.Session) -> None:
        def answer(request: Any, **_: Any) -> AWSResponse | None:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            role = parse_qs(body or "").get("RoleArn", [""])[0]
            return fault.answer(request.url) if f":{account_id}:" in role else None

        session.events.register_first("before-send.sts.AssumeRole", answer)

    return hook


def statuses(report: OrganizationReport, account_id: str, check_id: str) -> list[Status]:
    found = report.account(account_id)
    assert found is not None
    assert found.report is not None
    return [f.status for f in found.report.by_check(check_id)]


@pytest.mark.parametrize("fault", json_faults("Rules"), ids=str)
def test_a_failing_call_in_a_member_is_a_gap_in_its_report(
    org: tuple[boto3.Session, BuiltOrganization], fast_retries: None, fault: Fault
) -> None:
    session, built = org
    victim, other = built.id("plain-1"), built.id("plain-2")
    hook = in_member(victim, "eventbridge", "ListRules", fault)
    report = scan_organization(
        session=session, regions=[HOME], accounts=[victim, other], configure_session=hook
    )
    assert [a.status for a in report.accounts] == [AccountStatus.CHECKED] * 2
    assert len(hook.sent) == (8 if fault.name in RETRIED else 1)
    # the victim: the gap, and the check it feeds UNKNOWN (never FAIL, never PASS)
    found = report.account(victim)
    assert found is not None
    assert found.report is not None
    [eventbridge] = found.report.by_check("monitoring.root_eventbridge")
    assert eventbridge.status is Status.UNKNOWN
    [gap] = eventbridge.evidence["gaps"]
    assert (gap["service"], gap["operation"], gap["region"], gap["error_code"]) == (
        "events",
        "ListRules",
        HOME,
        fault.code,
    )
    assert statuses(report, victim, "root.no_access_keys") == [Status.PASS]  # the rest read
    # the other member: unaffected
    assert statuses(report, other, "monitoring.root_eventbridge") == [Status.FAIL]


@pytest.mark.parametrize("fault", STS_FAULTS, ids=str)
def test_a_role_assumption_that_fails_in_any_way_is_that_accounts_error(
    org: tuple[boto3.Session, BuiltOrganization], fast_retries: None, fault: Fault
) -> None:
    session, built = org
    victim, other = built.id("plain-2"), built.id("plain-3")
    report = scan_organization(
        session=session,
        regions=[HOME],
        accounts=[victim, other],
        configure_session=assume_role_into(victim, fault),
    )
    failed = report.account(victim)
    assert failed is not None
    assert failed.status is AccountStatus.ERROR
    assert failed.error is not None
    assert (failed.error.operation, failed.error.error_code) == ("sts:AssumeRole", fault.code)
    assert failed.error.message
    assert "secret" not in failed.error.message  # no credential in the error
    checked = report.account(other)
    assert checked is not None
    assert checked.status is AccountStatus.CHECKED
    assert report.exit_code("never") == 0
    assert report.exit_code("fail") == 1  # an account in error is never green


@pytest.mark.parametrize("fault", json_faults("Accounts"), ids=str)
def test_list_accounts_failing_is_a_collect_error_unless_accounts_are_named(
    org: tuple[boto3.Session, BuiltOrganization],
    fast_retries: None,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
) -> None:
    session, built = org

    def answer(request: Any, **_: Any) -> AWSResponse:
        return fault.answer(request.url)

    session.events.register_first("before-send.organizations.ListAccounts", answer)
    try:
        with pytest.raises(
            CollectError, match=f"organizations:ListAccounts failed with {fault.code}"
        ):
            scan_organization(session=session, regions=[HOME])
        named = scan_organization(session=session, regions=[HOME], accounts=[built.id("plain-3")])
    finally:
        session.events.unregister("before-send.organizations.ListAccounts", answer)
    [only] = named.accounts
    assert only.status is AccountStatus.CHECKED
    assert only.name is None  # names come from ListAccounts


MALFORMED_ACCOUNTS = [
    {"Accounts": [{"Name": "no id"}]},
    {"Accounts": [{"Id": "12345"}]},
    {"Accounts": [{"Id": 123456789012}]},
    {"Accounts": [{"Id": "123456789012", "Name": ["not", "text"]}]},
    {"Accounts": [{"Id": "123456789012", "State": {"not": "text"}}]},
]


@pytest.mark.parametrize("body", MALFORMED_ACCOUNTS, ids=range(len(MALFORMED_ACCOUNTS)))
def test_a_list_of_accounts_that_is_not_one_is_a_collect_error(
    org: tuple[boto3.Session, BuiltOrganization], body: dict[str, Any]
) -> None:
    session, _ = org

    def answer(**_: Any) -> AWSResponse:
        return json_answer(200, body)

    session.events.register_first("before-send.organizations.ListAccounts", answer)
    try:
        with pytest.raises(CollectError, match="ListAccounts failed with InvalidResponse"):
            scan_organization(session=session, regions=[HOME])
    finally:
        session.events.unregister("before-send.organizations.ListAccounts", answer)


DESCRIBE_FAULTS = [
    *json_faults("Organization"),
    Fault(
        "bad-management-id",
        lambda url: json_answer(200, {"Organization": {"Id": "o-x", "MasterAccountId": "me"}}),
        "InvalidResponse",
    ),
]


@pytest.mark.parametrize("fault", DESCRIBE_FAULTS, ids=str)
def test_describe_organization_failing_is_a_collect_error_unless_accounts_are_named(
    org: tuple[boto3.Session, BuiltOrganization], fast_retries: None, fault: Fault
) -> None:
    session, built = org

    def answer(request: Any, **_: Any) -> AWSResponse:
        return fault.answer(request.url)

    # only the scan's own call (the caller's session): the accounts' collection reads
    # the organization with sessions of their own
    session.events.register_first("before-send.organizations.DescribeOrganization", answer)
    try:
        with pytest.raises(CollectError, match=f"DescribeOrganization failed with {fault.code}"):
            scan_organization(session=session, regions=[HOME])
        named = scan_organization(session=session, regions=[HOME], accounts=[built.id("plain-1")])
    finally:
        session.events.unregister("before-send.organizations.DescribeOrganization", answer)
    assert [a.status for a in named.accounts] == [AccountStatus.CHECKED]
    assert named.organization_id is None
