"""OrganizationReport: organization-level judgement, summary and outputs (pure)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from rootguard._errors import ParseError
from rootguard._org_report import (
    AccountFailure,
    AccountResult,
    AccountStatus,
    OrganizationReport,
)
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Finding, Status
from rootguard._posture._report import Report
from rootguard._snapshot import AccountSnapshot, OrganizationInfo, RegionSnapshot
from tests import snapshot_builders as sb
from tests.strategies import org_judgement_cases

MANAGEMENT = sb.ACCOUNT  # the builders' account: everything passes there
MEMBER = "222233334444"
OTHER = "555566667777"
ORG_ID = "o-exampleorgid"
ORG_TRAIL = sb.trail(is_organization_trail=True)


def management_result(**snapshot_changes: Any) -> AccountResult:
    fields: dict[str, Any] = {"trails": [ORG_TRAIL]}
    fields.update(snapshot_changes)
    report = evaluate(sb.good_snapshot(**fields))
    return AccountResult(
        account_id=MANAGEMENT,
        name="management",
        management=True,
        status=AccountStatus.CHECKED,
        report=report,
    )


def member_snapshot(account_id: str = MEMBER, **changes: Any) -> AccountSnapshot:
    """A member with a clean root user and no monitoring of its own."""
    region = RegionSnapshot(
        region=sb.HOME,
        trails=[],
        log_groups=[],
        alarms=[],
        topics=[],
        event_rules=[],
        config_recorders=[],
        config_rules=[],
        delivery_channels=[],
    )
    fields: dict[str, Any] = {
        "account_id": account_id,
        "collected_at": sb.NOW,
        "regions": [sb.HOME],
        "credential_report": sb.credential_report(
            sb.root_row(arn=f"arn:aws:iam::{account_id}:root")
        ),
        "account_summary": sb.summary(),
        "virtual_mfa_devices": [],
        "organization": OrganizationInfo(
            organization_id=ORG_ID,
            management_account_id=MANAGEMENT,
            is_management_account=False,
            root_features_error="AccountNotManagementOrDelegatedAdministratorException",
            in_organization=True,
        ),
        "trails": [],
        "region_data": {sb.HOME: region},
    }
    fields.update(changes)
    return AccountSnapshot(**fields)


def member_result(account_id: str = MEMBER, **changes: Any) -> AccountResult:
    return AccountResult(
        account_id=account_id,
        name=f"member-{account_id[:4]}",
        role_arn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        status=AccountStatus.CHECKED,
        report=evaluate(member_snapshot(account_id, **changes)),
    )


def build(*accounts: AccountResult, trails: Any = (ORG_TRAIL,)) -> OrganizationReport:
    return OrganizationReport.from_accounts(
        accounts,
        organization_id=ORG_ID,
        management_account_id=MANAGEMENT,
        caller_account_id=MANAGEMENT,
        organization_trails=trails,
        generated_at=sb.NOW,
        role_name="OrganizationAccountAccessRole",
        regions=[sb.HOME],
    )


def finding(org: OrganizationReport, account_id: str, check_id: str) -> Finding:
    result = org.account(account_id)
    assert result is not None
    assert result.report is not None
    found = result.report.by_check(check_id)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- trails


def test_a_member_without_a_trail_fails_on_its_own() -> None:
    alone = member_result()
    assert alone.report is not None
    assert alone.report.by_check("cloudtrail.multi_region")[0].status is Status.FAIL


def test_the_organization_trail_makes_a_member_without_a_trail_pass() -> None:
    org = build(management_result(), member_result())
    multi = finding(org, MEMBER, "cloudtrail.multi_region")
    assert multi.status is Status.PASS
    assert multi.resource == ORG_TRAIL.trail_arn
    assert multi.evidence["organization_trail"] == ORG_TRAIL.trail_arn
    assert multi.evidence["judged_by"] == "organization"
    assert multi.evidence["account_finding"]["status"] == "FAIL"
    assert ORG_TRAIL.name in multi.detail
    # "that trail" checks follow the organization trail too
    assert finding(org, MEMBER, "cloudtrail.log_validation").status is Status.PASS
    assert finding(org, MEMBER, "cloudtrail.cloudwatch_logs").status is Status.PASS


def test_the_management_accounts_alarm_chain_on_the_org_trail_covers_the_member() -> None:
    org = build(management_result(), member_result())
    alarm = finding(org, MEMBER, "monitoring.root_metric_alarm")
    assert alarm.status is Status.PASS
    assert alarm.evidence["chain_account"] == MANAGEMENT
    assert alarm.evidence["organization_trail"] == ORG_TRAIL.trail_arn
    assert alarm.evidence["account_finding"]["status"] == "FAIL"
    assert alarm.resource == sb.alarm().alarm_arn


def test_no_alarm_opinion_when_the_owners_chain_is_broken() -> None:
    broken = management_result(
        region_data={
            sb.HOME: sb.home_region().model_copy(update={"alarms": []}),
            sb.SECOND: sb.second_region(),
        }
    )
    org = build(broken, member_result())
    assert finding(org, MEMBER, "cloudtrail.multi_region").status is Status.PASS
    assert finding(org, MEMBER, "monitoring.root_metric_alarm").status is Status.FAIL


@pytest.mark.parametrize(
    "trail",
    [
        sb.trail(is_organization_trail=True, is_logging=False),
        sb.trail(is_organization_trail=True, is_multi_region_trail=False),
        sb.trail(
            is_organization_trail=True,
            event_selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
        ),
    ],
    ids=["not-logging", "single-region", "write-only"],
)
def test_an_organization_trail_that_does_not_qualify_changes_nothing(trail: Any) -> None:
    member = member_result()
    org = build(management_result(trails=[trail]), member, trails=[trail])
    multi = finding(org, MEMBER, "cloudtrail.multi_region")
    assert multi.status is Status.FAIL
    assert "judged_by" not in multi.evidence
    assert finding(org, MEMBER, "monitoring.root_metric_alarm").status is Status.FAIL


def test_a_trail_that_is_not_an_organization_trail_is_ignored() -> None:
    plain = sb.trail(is_organization_trail=False)
    org = build(management_result(trails=[plain]), member_result(), trails=[plain])
    assert org.organization_trails == ()
    assert finding(org, MEMBER, "cloudtrail.multi_region").status is Status.FAIL


def test_a_member_of_another_organization_is_not_covered() -> None:
    stranger = member_result(
        organization=OrganizationInfo(
            organization_id="o-someoneelse", management_account_id=OTHER, in_organization=True
        )
    )
    org = build(management_result(), stranger)
    assert finding(org, MEMBER, "cloudtrail.multi_region").status is Status.FAIL


def test_a_member_whose_own_trail_qualifies_keeps_its_own_verdict() -> None:
    own_arn = f"arn:aws:cloudtrail:{sb.HOME}:{MEMBER}:trail/own"
    own = sb.trail(trail_arn=own_arn, name="own", cloud_watch_logs_log_group_arn=None)
    org = build(management_result(), member_result(trails=[own]))
    multi = finding(org, MEMBER, "cloudtrail.multi_region")
    assert multi.status is Status.PASS
    assert multi.resource == own_arn
    assert "judged_by" not in multi.evidence
    # its own trail does not deliver to CloudWatch Logs, the organization trail does
    cwl = finding(org, MEMBER, "cloudtrail.cloudwatch_logs")
    assert cwl.status is Status.PASS
    assert cwl.evidence["account_finding"]["status"] == "FAIL"


def test_unknown_delivery_of_the_org_trail_turns_a_fail_into_unknown_not_pass() -> None:
    quiet = sb.trail(is_organization_trail=True, latest_cloud_watch_logs_delivery_time=None)
    org = build(management_result(trails=[quiet]), member_result(), trails=[quiet])
    assert finding(org, MEMBER, "cloudtrail.multi_region").status is Status.PASS
    assert finding(org, MEMBER, "cloudtrail.cloudwatch_logs").status is Status.UNKNOWN


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(org_judgement_cases())
def test_the_organization_never_makes_a_verdict_worse(case: Any) -> None:
    snapshot, trails = case
    own = evaluate(snapshot)
    result = AccountResult(account_id=snapshot.account_id, status="checked", report=own)
    org = OrganizationReport.from_accounts(
        [result], organization_trails=trails, organization_id=ORG_ID
    )
    judged = org.accounts[0].report
    assert judged is not None
    rank = {Status.PASS: 3, Status.UNKNOWN: 2, Status.FAIL: 1, Status.NOT_APPLICABLE: 0}
    before = {(f.check_id, f.region): f for f in own.findings}
    after = {(f.check_id, f.region): f for f in judged.findings}
    assert set(after) == {k for k in before if k[0] != "root.centralized_access"}
    for key, new in after.items():
        old = before[key]
        if new != old:
            assert new.evidence["judged_by"] == "organization"
            assert new.evidence["organization_trail"] in {t.trail_arn for t in trails}
            assert rank[new.status] > rank[old.status]
    # the summary counts each checked account once per check
    for counts in org.summary.by_check.values():
        assert sum(counts.values()) == 1
    assert OrganizationReport.from_json(org.to_json()) == org


# --------------------------------------------------------------------------- centralized


def test_centralized_root_access_is_reported_once_for_the_organization() -> None:
    org = build(management_result(), member_result(), member_result(OTHER))
    assert [f.check_id for f in org.organization_findings] == ["root.centralized_access"]
    central = org.organization_findings[0]
    assert central.status is Status.PASS
    assert central.resource == f"arn:aws:organizations::{MANAGEMENT}:organization/{ORG_ID}"
    assert central.evidence["reported_by"] == MANAGEMENT
    assert central.evidence["root_credentials_management"] is True
    assert central.evidence["root_sessions"] is True
    for account in org.checked:
        assert account.report is not None
        assert account.report.by_check("root.centralized_access") == []
    assert "root.centralized_access" not in org.summary.by_check


def test_root_sessions_off_is_spelled_out() -> None:
    info = OrganizationInfo(
        organization_id=ORG_ID,
        management_account_id=MANAGEMENT,
        is_management_account=True,
        root_features=["RootCredentialsManagement"],
        in_organization=True,
    )
    org = build(management_result(organization=info))
    central = org.organization_findings[0]
    assert central.status is Status.PASS
    assert central.evidence["root_sessions"] is False
    assert "RootSessions" in central.detail


def test_centralized_access_is_unknown_when_the_management_account_failed() -> None:
    failed = AccountResult(
        account_id=MANAGEMENT,
        management=True,
        status=AccountStatus.ERROR,
        error=AccountFailure(operation="sts:GetCallerIdentity", error_code="ExpiredToken"),
    )
    org = build(failed, member_result())
    central = org.organization_findings[0]
    assert central.status is Status.UNKNOWN
    assert "ExpiredToken" in central.detail


def test_a_delegated_administrators_verdict_is_used_without_the_management_account() -> None:
    delegated = evaluate(
        member_snapshot(
            OTHER,
            organization=OrganizationInfo(
                organization_id=ORG_ID,
                management_account_id=MANAGEMENT,
                is_management_account=False,
                root_features=[],
                in_organization=True,
            ),
        )
    )
    result = AccountResult(account_id=OTHER, status="checked", report=delegated)
    org = build(result, member_result(), trails=())
    central = org.organization_findings[0]
    assert central.status is Status.FAIL
    assert central.evidence["reported_by"] == OTHER


# --------------------------------------------------------------------------- summary


def error_result(account_id: str = "999988887777") -> AccountResult:
    error = AccountFailure(
        operation="sts:AssumeRole", error_code="AccessDenied", message="not authorized"
    )
    return AccountResult(
        account_id=account_id, name="locked", status="error", error=error, reason=error.describe()
    )


def skipped_result(account_id: str = "888877776666") -> AccountResult:
    return AccountResult(
        account_id=account_id,
        name="gone",
        state="SUSPENDED",
        status="skipped",
        reason="the account is suspended (SUSPENDED in AWS Organizations)",
    )


def exposed_result() -> AccountResult:
    row = sb.root_row(
        arn=f"arn:aws:iam::{OTHER}:root",
        mfa_active="false",
        access_key_1_active="true",
        access_key_1_last_rotated=sb.iso(sb.NOW - timedelta(days=400)),
        access_key_1_last_used_date=sb.iso(sb.NOW - timedelta(hours=3)),
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="s3",
    )
    return member_result(
        OTHER,
        credential_report=sb.credential_report(row),
        account_summary=sb.summary(mfa=0, keys=1),
    )


def test_accounts_are_sorted_and_looked_up_by_id() -> None:
    org = build(skipped_result(), member_result(), error_result(), management_result())
    ids = [a.account_id for a in org.accounts]
    assert ids == sorted(ids)
    assert org.account(MEMBER) is not None
    assert org.account("000000000000") is None
    assert [a.account_id for a in org.errors] == ["999988887777"]
    assert [a.account_id for a in org.skipped] == ["888877776666"]
    assert len(org.checked) == 2


def test_summary_matrix_counts_and_unchecked_accounts() -> None:
    org = build(
        management_result(), member_result(), exposed_result(), error_result(), skipped_result()
    )
    s = org.summary
    assert (s.accounts, s.checked, s.errors, s.skipped) == (5, 3, 1, 1)
    assert s.matrix[OTHER]["root.no_access_keys"] == "FAIL"
    assert s.matrix[MEMBER]["root.no_access_keys"] == "PASS"
    assert s.by_check["root.no_access_keys"] == {
        "PASS": 2,
        "FAIL": 1,
        "UNKNOWN": 0,
        "NOT_APPLICABLE": 0,
        "SUPPRESSED": 0,
    }
    for counts in s.by_check.values():
        assert sum(counts.values()) == 3
    assert [(r.account_id, r.credentials) for r in s.root_activity] == [(OTHER, ("access_key_1",))]
    assert s.root_activity[0].last_used == sb.NOW - timedelta(hours=3)
    assert {(n.account_id, n.status.value, n.error_code) for n in s.not_checked} == {
        ("999988887777", "error", "AccessDenied"),
        ("888877776666", "skipped", None),
    }


def test_a_check_judged_per_region_shows_its_worst_region() -> None:
    broken = sb.with_region(sb.good_snapshot(), sb.SECOND, event_rules=[])
    result = AccountResult(account_id=MANAGEMENT, status="checked", report=evaluate(broken))
    org = build(result)
    regional = result.report.by_check("monitoring.root_eventbridge") if result.report else []
    assert {f.status for f in regional} == {Status.PASS, Status.FAIL}
    assert org.summary.matrix[MANAGEMENT]["monitoring.root_eventbridge"] == "FAIL"


def test_account_result_must_be_consistent() -> None:
    with pytest.raises(ValidationError):
        AccountResult(account_id=MEMBER, status="checked")
    with pytest.raises(ValidationError):
        AccountResult(account_id=MEMBER, status="error")
    with pytest.raises(ValidationError):
        AccountResult(account_id=MEMBER, status="skipped")
    report = Report(account_id=OTHER)
    with pytest.raises(ValidationError):
        AccountResult(account_id=MEMBER, status="checked", report=report)


# --------------------------------------------------------------------------- exit codes


def test_exit_codes_follow_fail_on() -> None:
    clean = build(management_result())
    assert clean.exit_code("fail") == 0
    failing = build(management_result(), exposed_result())
    assert failing.exit_code("fail") == 1
    assert failing.exit_code("never") == 0
    assert failing.exit_code("error") == 0  # every account was checked: findings alone
    only_skipped = build(management_result(), skipped_result())
    assert only_skipped.exit_code("unknown") == 0
    with pytest.raises(ValueError, match="fail_on"):
        clean.exit_code("sometimes")


def test_an_account_that_could_not_be_checked_is_never_green() -> None:
    with_error = build(management_result(), error_result(), skipped_result())
    assert clean_statuses(with_error)  # the checked account alone would pass
    assert with_error.exit_code("fail") == 1
    assert with_error.exit_code("unknown") == 1
    assert with_error.exit_code("error") == 1  # a gate on coverage alone
    assert with_error.exit_code("never") == 0  # report only


def clean_statuses(org: OrganizationReport) -> bool:
    return all(f.status is not Status.FAIL for _, f in org.findings())


def test_no_account_checked_at_all_is_exit_3_whatever_fail_on() -> None:
    failed_management = AccountResult(
        account_id=MANAGEMENT,
        management=True,
        status=AccountStatus.ERROR,
        error=AccountFailure(operation="collect", error_code="CollectError"),
    )
    all_errors = build(failed_management, error_result(), skipped_result())
    assert not all_errors.checked
    assert [all_errors.exit_code(f) for f in ("fail", "unknown", "error", "never")] == [3] * 4
    nothing_scanned = build(skipped_result())
    assert nothing_scanned.exit_code("fail") == 0  # nothing to check is not an error


def test_exit_code_counts_the_organization_findings() -> None:
    info = OrganizationInfo(
        organization_id=ORG_ID,
        management_account_id=MANAGEMENT,
        is_management_account=True,
        root_features=[],
        in_organization=True,
    )
    org = build(management_result(organization=info))
    assert org.organization_findings[0].status is Status.FAIL
    assert all(f.status is not Status.FAIL for _, f in org.findings()[1:])
    assert org.exit_code("fail") == 1


# --------------------------------------------------------------------------- outputs


@pytest.fixture
def sample() -> OrganizationReport:
    return build(
        management_result(), member_result(), exposed_result(), error_result(), skipped_result()
    )


def test_json_round_trip(sample: OrganizationReport) -> None:
    text = sample.to_json()
    assert OrganizationReport.from_json(text) == sample
    data = json.loads(text)
    assert data["summary"]["checked"] == 3
    assert [a["account_id"] for a in data["accounts"]] == [a.account_id for a in sample.accounts]


def test_from_json_rejects_other_documents() -> None:
    with pytest.raises(ParseError):
        OrganizationReport.from_json('{"accounts": "nope"}')
    with pytest.raises(ParseError):
        OrganizationReport.from_json("not json")


def test_asff_has_every_checked_accounts_findings_and_the_organizations(
    sample: OrganizationReport,
) -> None:
    findings = sample.to_asff()
    expected = len(sample.organization_findings) + sum(
        len(a.report.findings) for a in sample.checked if a.report
    )
    assert len(findings) == expected
    assert {f["AwsAccountId"] for f in findings} == {MANAGEMENT, MEMBER, OTHER}
    assert len({f["Id"] for f in findings}) == len(findings)
    central = [f for f in findings if f["GeneratorId"] == "rootguard/root.centralized_access"]
    assert [f["AwsAccountId"] for f in central] == [MANAGEMENT]
    covered = next(
        f
        for f in findings
        if f["AwsAccountId"] == MEMBER and f["GeneratorId"] == "rootguard/cloudtrail.multi_region"
    )
    assert covered["Compliance"]["Status"] == "PASSED"


def test_records_are_flat_and_cover_every_account(sample: OrganizationReport) -> None:
    records = sample.to_records()
    keys = set(records[0])
    assert all(set(r) == keys for r in records)
    assert all(
        v is None or isinstance(v, str | int | float | bool) for r in records for v in r.values()
    )
    assert {r["account_id"] for r in records} == {a.account_id for a in sample.accounts}
    error_row = next(r for r in records if r["account_id"] == "999988887777")
    assert (error_row["status"], error_row["check_id"]) == ("ERROR", None)
    assert "AccessDenied" in str(error_row["detail"])
    assert [r["scope"] for r in records].count("organization") == 1


def test_markdown_lists_matrix_activity_and_unchecked(sample: OrganizationReport) -> None:
    text = sample.to_markdown()
    for account in sample.accounts:
        assert account.account_id in text
    assert "## Accounts not checked" in text
    assert "## Root credentials used in the last 90 days" in text
    assert "access_key_1" in text
    assert "sts:AssumeRole failed: AccessDenied" in text


def test_table_fits_in_100_columns_and_marks_statuses(sample: OrganizationReport) -> None:
    text = sample.to_table()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    row = next(line for line in lines if line.startswith(OTHER))
    assert "FAIL" in row
    assert any(line.startswith(f"{MANAGEMENT}*") for line in lines)
    assert any("999988887777" in line and "error" in line for line in lines)
    assert any("888877776666" in line and "skipped" in line for line in lines)


def test_render_dispatches_and_rejects_unknown_outputs(sample: OrganizationReport) -> None:
    assert sample.render("table") == sample.to_table()
    assert sample.render("markdown") == sample.to_markdown()
    assert OrganizationReport.from_json(sample.render("json")) == sample
    assert len(json.loads(sample.render("asff"))) == len(sample.to_asff())
    with pytest.raises(ValueError, match="output"):
        sample.render("yaml")
