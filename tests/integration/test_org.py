"""scan_organization on moto: a management account and 16 members, each with its own state.

The organization (tests/integration/org_builder.py) is built once per module in-process
(``mock_aws``) and scanned once with the ``locked`` member's AssumeRole denied; the tests
read that scan. Fault tests (throttling, refresh) scan a few accounts again.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.credentials import CredentialResolver
from moto import mock_aws

from rootguard import (
    AccountResult,
    AccountStatus,
    CollectError,
    OrganizationReport,
    Status,
    scan_organization,
)
from rootguard._org import CALLER_ACTIONS, _assume_role_credentials
from rootguard._permissions import CHECK_ACTIONS, iam_action
from tests.integration.conftest import _AWS_VARS, HOME, new_session
from tests.integration.org_builder import (
    REGIONS,
    BuiltOrganization,
    count_assume_role,
    deny_assume_role,
    moto_organization,
    throttle_assume_role,
    verdicts,
)

ROLE = "OrganizationAccountAccessRole"


@pytest.fixture(scope="module")
def moto_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fake credentials and no AWS configuration, for the whole module."""
    tmp: Path = tmp_path_factory.mktemp("org-aws")
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


@pytest.fixture(scope="module")
def org(moto_env: None) -> Iterator[tuple[boto3.Session, BuiltOrganization]]:
    with mock_aws():
        session = new_session()
        with moto_organization(session) as built:
            yield session, built


@pytest.fixture(scope="module")
def scan(org: tuple[boto3.Session, BuiltOrganization]) -> dict[str, Any]:
    session, built = org
    progress: list[tuple[int, int]] = []
    report = scan_organization(
        session=session,
        regions=REGIONS,
        configure_session=deny_assume_role([built.id("locked")]),
        progress=lambda done, total: progress.append((done, total)),
    )
    return {"report": report, "progress": progress}


def result(report: OrganizationReport, account_id: str) -> AccountResult:
    found = report.account(account_id)
    assert found is not None
    return found


def status(report: OrganizationReport, account_id: str, check_id: str) -> Status:
    return Status(report.summary.matrix[account_id][check_id])


# --------------------------------------------------------------------------- one result each


def test_every_account_has_exactly_one_result_in_id_order(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    report: OrganizationReport = scan["report"]
    ids = [a.account_id for a in report.accounts]
    assert ids == sorted({built.management_id, *built.accounts.values()})
    assert len(ids) == 17
    assert report.organization_id == built.organization_id
    assert report.management_account_id == built.management_id
    counts = {s: sum(a.status is s for a in report.accounts) for s in AccountStatus}
    assert counts == {AccountStatus.CHECKED: 15, AccountStatus.ERROR: 1, AccountStatus.SKIPPED: 1}
    assert {a.name for a in report.accounts} >= set(built.accounts)


def test_the_management_account_is_checked_with_the_callers_credentials(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    report: OrganizationReport = scan["report"]
    management = result(report, built.management_id)
    assert management.status is AccountStatus.CHECKED
    assert management.management is True
    assert management.role_arn is None
    for name in ("hardened-1", "plain-1", "exposed-1"):
        member = result(report, built.id(name))
        assert member.role_arn == f"arn:aws:iam::{built.id(name)}:role/{ROLE}"
        assert member.management is False
        assert member.report is not None
        assert member.report.account_id == built.id(name)


def test_a_suspended_account_is_skipped_with_the_reason(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    suspended = result(scan["report"], built.id("suspended"))
    assert suspended.status is AccountStatus.SKIPPED
    assert suspended.state == "SUSPENDED"
    assert suspended.reason is not None
    assert "SUSPENDED" in suspended.reason
    assert suspended.report is None


def test_a_role_that_cannot_be_assumed_is_that_accounts_error_only(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    report: OrganizationReport = scan["report"]
    locked = result(report, built.id("locked"))
    assert locked.status is AccountStatus.ERROR
    assert locked.error is not None
    assert (locked.error.operation, locked.error.error_code) == ("sts:AssumeRole", "AccessDenied")
    assert locked.report is None
    others = [a for a in report.accounts if a.account_id != built.id("locked")]
    assert all(a.status is not AccountStatus.ERROR for a in others)


def test_progress_counts_every_scanned_account(scan: dict[str, Any]) -> None:
    progress = scan["progress"]
    assert progress[0] == (0, 16)  # the suspended account is not scanned
    assert progress[-1] == (16, 16)
    assert [d for d, _ in progress] == list(range(17))


# --------------------------------------------------------------------------- each its own state


def test_each_member_is_judged_on_its_own_state(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    report: OrganizationReport = scan["report"]
    for account in built.ids("hardened"):
        for check in ("root.mfa_enabled", "root.no_access_keys", "monitoring.root_eventbridge"):
            assert status(report, account, check) is Status.PASS, (account, check)
    for account in built.ids("exposed"):
        assert status(report, account, "root.mfa_enabled") is Status.FAIL
        assert status(report, account, "root.no_access_keys") is Status.FAIL
        assert status(report, account, "root.recent_usage") is Status.FAIL
    for account in built.ids("plain") + built.ids("org-trail-only"):
        assert status(report, account, "root.no_access_keys") is Status.PASS
        assert status(report, account, "monitoring.root_eventbridge") is Status.FAIL
    activity = {r.account_id for r in report.summary.root_activity}
    assert activity == set(built.ids("exposed"))


def test_the_organization_trail_covers_a_member_without_a_trail(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    report: OrganizationReport = scan["report"]
    assert [t.trail_arn for t in report.organization_trails] == [built.org_trail_arn]
    member = result(report, built.id("org-trail-only"))
    assert member.report is not None
    multi = member.report.by_check("cloudtrail.multi_region")[0]
    assert multi.status is Status.PASS
    assert multi.resource == built.org_trail_arn
    assert multi.evidence["organization_trail"] == built.org_trail_arn
    assert multi.evidence["account_finding"]["status"] == "FAIL"
    assert member.report.by_check("cloudtrail.log_validation")[0].status is Status.PASS
    alarm = member.report.by_check("monitoring.root_metric_alarm")[0]
    assert alarm.status is Status.PASS
    assert alarm.evidence["chain_account"] == built.management_id
    assert alarm.resource == built.management_alarm_arn


def test_a_weak_trail_of_its_own_is_kept_as_evidence(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    exposed = result(scan["report"], built.id("exposed-1"))
    assert exposed.report is not None
    multi = exposed.report.by_check("cloudtrail.multi_region")[0]
    assert multi.status is Status.PASS
    assert multi.evidence["account_finding"]["status"] == "FAIL"
    assert "weak-trail" in multi.evidence["account_finding"]["resource"]


def test_a_member_with_its_own_chain_keeps_its_own_verdicts(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    hardened = result(scan["report"], built.id("hardened-2"))
    assert hardened.report is not None
    multi = hardened.report.by_check("cloudtrail.multi_region")[0]
    assert multi.status is Status.PASS
    assert multi.resource.split(":")[4] == built.id("hardened-2")
    assert "judged_by" not in multi.evidence
    alarm = hardened.report.by_check("monitoring.root_metric_alarm")[0]
    assert alarm.status is Status.PASS
    assert "judged_by" not in alarm.evidence


def test_centralized_root_access_is_reported_once(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    report: OrganizationReport = scan["report"]
    [central] = report.organization_findings
    assert central.check_id == "root.centralized_access"
    assert central.status is Status.PASS
    assert central.evidence["reported_by"] == built.management_id
    assert central.evidence["root_sessions"] is True
    assert all(not a.report.by_check("root.centralized_access") for a in report.checked if a.report)


def test_summary_and_outputs(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    _, built = org
    report: OrganizationReport = scan["report"]
    s = report.summary
    assert s.by_check["root.no_access_keys"]["FAIL"] == len(built.ids("exposed"))
    assert s.by_check["cloudtrail.multi_region"] == {
        "PASS": 15,
        "FAIL": 0,
        "UNKNOWN": 0,
        "NOT_APPLICABLE": 0,
        "SUPPRESSED": 0,
    }
    assert {n.account_id for n in s.not_checked} == {built.id("locked"), built.id("suspended")}
    assert OrganizationReport.from_json(report.to_json()) == report
    asff = report.to_asff()
    assert {f["AwsAccountId"] for f in asff} == {a.account_id for a in report.checked}
    assert max(len(line) for line in report.to_table().splitlines()) <= 100
    assert report.exit_code("fail") == 1


# --------------------------------------------------------------------------- executors


def test_the_same_scan_on_another_executor_gives_the_same_result(
    org: tuple[boto3.Session, BuiltOrganization], scan: dict[str, Any]
) -> None:
    session, built = org
    with ThreadPoolExecutor(max_workers=3) as executor:
        again = scan_organization(
            session=session,
            regions=REGIONS,
            executor=executor,
            configure_session=deny_assume_role([built.id("locked")]),
        )
    assert verdicts(again) == verdicts(scan["report"])
    assert again.organization_findings == scan["report"].organization_findings


def test_only_the_accounts_asked_for(org: tuple[boto3.Session, BuiltOrganization]) -> None:
    session, built = org
    wanted = [built.id("plain-2"), built.management_id, built.id("suspended")]
    report = scan_organization(session=session, regions=[HOME], accounts=wanted)
    assert [a.account_id for a in report.accounts] == sorted(wanted)
    assert result(report, built.id("plain-2")).name == "plain-2"
    assert result(report, built.id("suspended")).status is AccountStatus.SKIPPED
    assert result(report, built.management_id).role_arn is None


def test_bad_account_ids_and_missing_credentials_raise_our_errors(
    org: tuple[boto3.Session, BuiltOrganization],
) -> None:
    session, _ = org
    with pytest.raises(ValueError, match="12 digits"):
        scan_organization(session=session, accounts=["12345"])
    core = botocore.session.get_session()
    core.register_component("credential_provider", CredentialResolver([]))
    with pytest.raises(CollectError):
        scan_organization(session=boto3.Session(botocore_session=core, region_name=HOME))


# --------------------------------------------------------------------------- STS faults


def test_throttled_assume_role_calls_are_retried(
    org: tuple[boto3.Session, BuiltOrganization],
) -> None:
    session, built = org
    wanted = built.ids("plain")[:4]
    throttle = throttle_assume_role(times=3)
    report = scan_organization(
        session=session, regions=[HOME], accounts=wanted, configure_session=throttle
    )
    assert throttle.throttled == 3
    assert throttle.sent >= len(wanted) + 3
    assert [a.status for a in report.accounts] == [AccountStatus.CHECKED] * len(wanted)


def test_throttled_beyond_the_retries_is_that_accounts_error(
    org: tuple[boto3.Session, BuiltOrganization],
) -> None:
    session, built = org
    victim, *others = built.ids("plain")[:3]
    report = scan_organization(
        session=session,
        regions=[HOME],
        accounts=[victim, *others],
        configure_session=deny_assume_role([victim], code="Throttling", status=400),
    )
    failed = result(report, victim)
    assert failed.error is not None
    assert (failed.error.operation, failed.error.error_code) == ("sts:AssumeRole", "Throttling")
    assert all(result(report, a).status is AccountStatus.CHECKED for a in others)


def test_role_credentials_are_refreshed_when_they_expire_during_the_scan(
    org: tuple[boto3.Session, BuiltOrganization],
) -> None:
    session, built = org
    account = built.id("plain-3")
    counter = count_assume_role(expire_in=timedelta(minutes=5))  # inside botocore's window
    report = scan_organization(
        session=session, regions=[HOME], accounts=[account], configure_session=counter
    )
    checked = result(report, account)
    assert checked.status is AccountStatus.CHECKED
    assert checked.report is not None
    assert checked.report.by_check("root.mfa_enabled")[0].status is Status.PASS
    assert counter.calls[account] > 2  # the first AssumeRole, then refreshes


def test_refresh_assumes_the_role_again_near_expiry(
    org: tuple[boto3.Session, BuiltOrganization],
) -> None:
    _, built = org
    account = built.id("plain-4")
    base = new_session()
    counter = count_assume_role()
    counter(base)
    clock: dict[str, datetime] = {}
    credentials, identity = _assume_role_credentials(
        base.client("sts"),
        f"arn:aws:iam::{account}:role/{ROLE}",
        session_name="rootguard-test",
        external_id="shared-secret",
        time_fetcher=lambda: clock.get("now") or datetime.now(timezone.utc),
    )
    assert identity == (account, "aws")  # from the assumed-role ARN of the answer
    first = credentials.get_frozen_credentials()
    credentials.get_frozen_credentials()
    assert counter.calls == {account: 1}  # an hour left: no refresh
    # moto's role sessions last an hour; 4 minutes before the end botocore must refresh
    clock["now"] = datetime.now(timezone.utc) + timedelta(minutes=56)
    second = credentials.get_frozen_credentials()
    assert counter.calls == {account: 2}
    assert second.access_key != first.access_key
    identity = boto3.Session(
        aws_access_key_id=second.access_key,
        aws_secret_access_key=second.secret_key,
        aws_session_token=second.token,
        region_name=HOME,
    ).client("sts")
    assert identity.get_caller_identity()["Account"] == account


def test_the_assumed_role_answer_names_the_account_checked(
    org: tuple[boto3.Session, BuiltOrganization],
) -> None:
    session, built = org
    honest, lying = built.ids("plain")[:2]
    calls: list[str] = []

    def hook(task_session: boto3.Session) -> None:
        def record(event_name: str, **_: Any) -> None:
            calls.append(event_name.split(".", 1)[1])

        def other_account(parsed: dict[str, Any], **_: Any) -> None:
            user = parsed.get("AssumedRoleUser") or {}
            if lying in user.get("Arn", ""):
                user["Arn"] = user["Arn"].replace(lying, honest)

        task_session.events.register("before-call", record)
        task_session.events.register("after-call.sts.AssumeRole", other_account)

    report = scan_organization(
        session=session, regions=[HOME], accounts=[honest, lying], configure_session=hook
    )
    assert result(report, honest).status is AccountStatus.CHECKED
    failed = result(report, lying)
    assert failed.error is not None
    assert failed.error.operation == "sts:AssumeRole"
    assert failed.error.error_code == "AccountMismatch"
    # the members' account comes from the AssumeRole answer: no GetCallerIdentity there
    assert calls.count("sts.AssumeRole") == 2
    assert "sts.GetCallerIdentity" not in calls


# --------------------------------------------------------------------------- permissions


def test_the_scan_calls_only_the_documented_actions(
    org: tuple[boto3.Session, BuiltOrganization],
) -> None:
    session, built = org
    seen: dict[str, set[str]] = {"caller": set(), "role": set()}

    def recorder(kind: str) -> Any:
        def record(event_name: str, **_: Any) -> None:
            _, service, operation = event_name.split(".", 2)
            seen[kind].add(iam_action(service, operation))

        return record

    def hook(task_session: boto3.Session) -> None:
        credentials = task_session.get_credentials()
        assert credentials is not None
        kind = "role" if credentials.method == "assume-role" else "caller"
        task_session.events.register("before-call", recorder(kind))

    main_thread = recorder("caller")
    session.events.register("before-call", main_thread)
    try:
        report = scan_organization(
            session=session,
            regions=REGIONS,
            accounts=[built.management_id, built.id("hardened-1")],
            configure_session=hook,
        )
    finally:
        session.events.unregister("before-call", main_thread)
    assert [a.status for a in report.accounts] == [AccountStatus.CHECKED] * 2
    check = set(CHECK_ACTIONS)
    assert seen["role"]
    assert seen["role"] <= check
    assert {"organizations:ListAccounts", "sts:AssumeRole"} <= seen["caller"]
    assert seen["caller"] <= check | set(CALLER_ACTIONS)
