"""evaluate(): root-credential checks, CloudTrail checks, gaps, report basics (pure)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import rootguard
from rootguard._posture._catalogue import ACCOUNT_CHECK_IDS, CHECK_IDS
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Finding, Status
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from rootguard._snapshot import (
    AccountSnapshot,
    CredentialReportData,
    OrganizationInfo,
    VirtualMfaDevice,
)
from tests.snapshot_builders import (
    ACCOUNT,
    HOME,
    NOW,
    OTHER_ACCOUNT,
    TRAIL_ARN,
    credential_report,
    denied,
    good_snapshot,
    iso,
    root_row,
    summary,
    trail,
    user_row,
    with_gap,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cloud-custodian"


def one(report: Report, check_id: str) -> Finding:
    found = report.by_check(check_id)
    assert len(found) == 1, found
    return found[0]


def status(snapshot: AccountSnapshot, check_id: str, **kw: Any) -> Status:
    return one(evaluate(snapshot, **kw), check_id).status


def sample_report(name: str) -> CredentialReportData:
    data = json.loads((FIXTURES / name).read_text())["data"]
    return CredentialReportData(content=data["Content"])


# ----------------------------------------------------------------------------- baseline


def test_good_snapshot_passes_every_check() -> None:
    report = evaluate(good_snapshot())
    assert {f.check_id for f in report.findings} == set(ACCOUNT_CHECK_IDS)
    assert {f.status for f in report.findings} == {Status.PASS}
    assert report.failed == []
    assert report.counts == {
        "PASS": len(report.findings),
        "FAIL": 0,
        "UNKNOWN": 0,
        "NOT_APPLICABLE": 0,
        "SUPPRESSED": 0,
    }


def test_findings_carry_controls_for_cis_v14_and_v30_and_security_hub() -> None:
    report = evaluate(good_snapshot())
    mfa = one(report, "root.mfa_enabled")
    assert "IAM.9" in mfa.controls
    assert "CIS AWS Foundations Benchmark v1.4.0/1.5" in mfa.controls
    assert "CIS AWS Foundations Benchmark v3.0.0/1.5" in mfa.controls
    assert mfa.security_hub_controls == ("IAM.9",)
    assert one(report, "root.no_access_keys").security_hub_controls == ("IAM.4",)
    assert one(report, "root.hardware_mfa").security_hub_controls == ("IAM.6",)
    chain = one(report, "monitoring.root_metric_alarm")
    assert "CloudWatch.1" in chain.controls
    assert "CIS AWS Foundations Benchmark v1.4.0/4.3" in chain.controls
    assert "CIS AWS Foundations Benchmark v3.0.0/4.3" in chain.controls
    trail_finding = one(report, "cloudtrail.multi_region")
    assert "CloudTrail.1" in trail_finding.controls
    assert "CIS AWS Foundations Benchmark v3.0.0/3.1" in trail_finding.controls
    assert "Config.1" in one(report, "config.root_rules").controls


def test_findings_are_in_deterministic_check_order() -> None:
    report = evaluate(good_snapshot())
    order = [CHECK_IDS.index(f.check_id) for f in report.findings]
    assert order == sorted(order)
    regions = [f.region for f in report.by_check("monitoring.root_eventbridge")]
    assert regions == sorted(regions)  # type: ignore[type-var]
    assert evaluate(good_snapshot()) == report


def test_passing_findings_have_no_remediation_failing_ones_do() -> None:
    snap = good_snapshot(account_summary=summary(mfa=0))
    report = evaluate(snap)
    assert one(report, "root.mfa_enabled").remediation
    assert one(report, "root.no_access_keys").remediation == ""


# ----------------------------------------------------------------------------- root.mfa_enabled


def test_realistic_root_row_password_not_supported_without_mfa_fails_mfa_enabled() -> None:
    # password_enabled is always not_supported for root: it must not gate the MFA check.
    row = root_row(mfa_active="false")
    assert row["password_enabled"] == "not_supported"
    snap = good_snapshot(credential_report=credential_report(row), account_summary=None)
    finding = one(evaluate(snap), "root.mfa_enabled")
    assert finding.status is Status.FAIL
    assert finding.evidence["mfa_source"] == "credential_report"
    assert finding.evidence["has_password"] is True


def test_real_report_root_without_mfa_and_password_no_information_fails_mfa_enabled() -> None:
    # Cloud Custodian recording: root row mfa_active false, password_last_used no_information.
    snap = good_snapshot(
        credential_report=sample_report(
            "test_iam_user_credential_multi_delete_noop__iam.GetCredentialReport_1.json"
        ),
        account_summary=None,
    )
    finding = one(evaluate(snap), "root.mfa_enabled")
    assert finding.status is Status.FAIL
    assert finding.evidence["password_last_used_reason"] == "no_information"


def test_real_report_root_with_mfa_passes_mfa_enabled() -> None:
    snap = good_snapshot(
        credential_report=sample_report(
            "test_account_credential_report__iam.GetCredentialReport_1.json"
        ),
        account_summary=None,
    )
    assert status(snap, "root.mfa_enabled") is Status.PASS


def test_real_account_summary_with_mfa_passes_mfa_enabled() -> None:
    data = json.loads(
        (FIXTURES / "test_account_root_mfa__iam.GetAccountSummary_1.json").read_text()
    )["data"]["SummaryMap"]
    snap = good_snapshot(account_summary=data, credential_report=None)
    finding = one(evaluate(snap), "root.mfa_enabled")
    assert finding.status is Status.PASS
    assert finding.evidence["mfa_source"] == "account_summary"


def test_root_credentials_removed_centrally_makes_mfa_not_applicable() -> None:
    row = root_row(mfa_active="false", password_last_used="N/A")
    snap = good_snapshot(credential_report=credential_report(row), account_summary=summary(mfa=0))
    report = evaluate(snap)
    assert one(report, "root.mfa_enabled").status is Status.NOT_APPLICABLE
    assert one(report, "root.hardware_mfa").status is Status.NOT_APPLICABLE
    assert one(report, "root.mfa_enabled").evidence["root_has_credentials"] is False


def test_root_without_password_but_with_active_key_and_no_mfa_fails() -> None:
    row = root_row(
        mfa_active="false",
        password_last_used="N/A",
        access_key_1_active="true",
        access_key_1_last_rotated="2023-01-01T00:00:00+00:00",
    )
    snap = good_snapshot(credential_report=credential_report(row), account_summary=None)
    assert status(snap, "root.mfa_enabled") is Status.FAIL


def test_account_summary_wins_over_a_stale_credential_report() -> None:
    snap = good_snapshot(
        credential_report=credential_report(root_row(mfa_active="false")),
        account_summary=summary(mfa=1),
    )
    finding = one(evaluate(snap), "root.mfa_enabled")
    assert finding.status is Status.PASS
    assert finding.evidence["sources_disagree"] is True


def test_missing_credential_report_and_summary_makes_mfa_unknown_naming_the_calls() -> None:
    snap = with_gap(
        good_snapshot(credential_report=None, account_summary=None),
        denied("iam", "GenerateCredentialReport"),
        denied("iam", "GetAccountSummary"),
    )
    finding = one(evaluate(snap), "root.mfa_enabled")
    assert finding.status is Status.UNKNOWN
    assert "iam:GenerateCredentialReport" in finding.detail
    assert "iam:GetAccountSummary" in finding.detail
    assert {g["operation"] for g in finding.evidence["gaps"]} == {
        "GenerateCredentialReport",
        "GetAccountSummary",
    }


def test_report_without_root_row_and_no_mfa_in_summary_is_unknown() -> None:
    # moto's credential report has no <root_account> row.
    snap = good_snapshot(
        credential_report=credential_report(user_row("alice")), account_summary=summary(mfa=0)
    )
    finding = one(evaluate(snap), "root.mfa_enabled")
    assert finding.status is Status.UNKNOWN
    assert "<root_account>" in finding.detail


def test_unparseable_credential_report_is_unknown_not_a_crash() -> None:
    snap = good_snapshot(
        credential_report=CredentialReportData(content="user,arn\nx,y"), account_summary=None
    )
    report = evaluate(snap)
    assert one(report, "root.mfa_enabled").status is Status.UNKNOWN
    assert one(report, "root.recent_usage").status is Status.UNKNOWN
    assert "could not be parsed" in one(report, "root.recent_usage").detail


# ----------------------------------------------------------------------------- hardware MFA


def test_virtual_mfa_device_of_user_named_rooty_does_not_fail_hardware_mfa() -> None:
    devices = [
        VirtualMfaDevice(
            serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/rooty",
            user_arn=f"arn:aws:iam::{ACCOUNT}:user/rooty",
        ),
        VirtualMfaDevice(
            serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/root",
            user_arn=f"arn:aws:iam::{ACCOUNT}:user/root",
        ),
    ]
    finding = one(evaluate(good_snapshot(virtual_mfa_devices=devices)), "root.hardware_mfa")
    assert finding.status is Status.PASS
    assert finding.evidence["root_virtual_mfa_devices"] == []


def test_virtual_mfa_device_assigned_to_root_fails_hardware_mfa() -> None:
    devices = [
        VirtualMfaDevice(
            serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
            user_arn=f"arn:aws:iam::{ACCOUNT}:root",
        )
    ]
    finding = one(evaluate(good_snapshot(virtual_mfa_devices=devices)), "root.hardware_mfa")
    assert finding.status is Status.FAIL
    assert finding.evidence["root_virtual_mfa_devices"] == [
        f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"
    ]


def test_no_mfa_at_all_fails_hardware_mfa() -> None:
    snap = good_snapshot(account_summary=summary(mfa=0))
    assert status(snap, "root.hardware_mfa") is Status.FAIL


def test_denied_virtual_mfa_listing_makes_hardware_mfa_unknown() -> None:
    snap = with_gap(good_snapshot(virtual_mfa_devices=None), denied("iam", "ListVirtualMFADevices"))
    finding = one(evaluate(snap), "root.hardware_mfa")
    assert finding.status is Status.UNKNOWN
    assert "iam:ListVirtualMFADevices failed: AccessDenied" in finding.detail


# ------------------------------------------------------------------ keys and certificates


def test_active_root_access_key_fails_no_access_keys() -> None:
    row = root_row(
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2021-01-01T00:00:00+00:00",
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="s3",
    )
    snap = good_snapshot(credential_report=credential_report(row), account_summary=None)
    finding = one(evaluate(snap), "root.no_access_keys")
    assert finding.status is Status.FAIL
    assert finding.evidence["report_active"] == ["access_key_1"]
    assert finding.evidence["last_used"] == {"access_key_1": "2021-01-01T00:00:00Z"}


def test_real_report_root_with_key_and_certificate_fails_both_checks() -> None:
    snap = good_snapshot(
        credential_report=sample_report(
            "test_iam_user_unused_keys__iam.GetCredentialReport_2.json"
        ),
        account_summary=None,
    )
    report = evaluate(snap)
    assert one(report, "root.no_access_keys").status is Status.FAIL
    assert one(report, "root.no_signing_certificates").status is Status.FAIL
    assert one(report, "root.no_signing_certificates").evidence["report_active"] == ["cert_1"]
    assert one(report, "root.mfa_enabled").status is Status.FAIL


def test_account_summary_key_count_fails_no_access_keys_without_a_report() -> None:
    snap = good_snapshot(credential_report=None, account_summary=summary(keys=1))
    finding = one(evaluate(snap), "root.no_access_keys")
    assert finding.status is Status.FAIL
    assert finding.evidence["source"] == "account_summary"


def test_account_summary_certificate_count_fails_no_signing_certificates() -> None:
    snap = good_snapshot(account_summary=summary(certs=1))
    assert status(snap, "root.no_signing_certificates") is Status.FAIL


def test_no_key_data_at_all_is_unknown_naming_both_calls() -> None:
    snap = with_gap(
        good_snapshot(credential_report=None, account_summary=None),
        denied("iam", "GetCredentialReport"),
        denied("iam", "GetAccountSummary"),
    )
    finding = one(evaluate(snap), "root.no_access_keys")
    assert finding.status is Status.UNKNOWN
    assert "iam:GetAccountSummary" in finding.detail
    assert "iam:GetCredentialReport" in finding.detail


# ----------------------------------------------------------------------------- recent usage


def test_old_password_use_and_key_used_today_fails_recent_usage() -> None:
    row = root_row(
        password_last_used=iso(NOW - timedelta(days=400)),
        access_key_2_active="true",
        access_key_2_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_2_last_used_date=iso(NOW - timedelta(hours=2)),
        access_key_2_last_used_region="eu-west-1",
        access_key_2_last_used_service="ec2",
    )
    snap = good_snapshot(credential_report=credential_report(row))
    report = evaluate(snap)
    finding = one(report, "root.recent_usage")
    assert finding.status is Status.FAIL
    assert finding.severity is rootguard.Severity.CRITICAL
    assert finding.evidence["recent"] == ["access_key_2"]
    assert [a.credential for a in report.root_activity] == ["access_key_2"]


def test_password_used_recently_fails_recent_usage_as_high() -> None:
    row = root_row(password_last_used=iso(NOW - timedelta(days=3)))
    finding = one(
        evaluate(good_snapshot(credential_report=credential_report(row))), "root.recent_usage"
    )
    assert finding.status is Status.FAIL
    assert finding.severity is rootguard.Severity.HIGH


def test_password_last_used_na_does_not_crash() -> None:
    row = root_row(password_last_used="N/A")
    report = evaluate(good_snapshot(credential_report=credential_report(row)))
    assert one(report, "root.recent_usage").status is Status.PASS
    assert one(report, "root.recent_usage").evidence["last_uses"] == []
    assert report.root_activity == ()


def test_root_usage_days_policy_moves_the_window() -> None:
    row = root_row(password_last_used=iso(NOW - timedelta(days=40)))
    snap = good_snapshot(credential_report=credential_report(row))
    assert status(snap, "root.recent_usage") is Status.FAIL
    assert status(snap, "root.recent_usage", policy=Policy(root_usage_days=30)) is Status.PASS


def test_now_defaults_to_collected_at_and_can_be_overridden() -> None:
    row = root_row(password_last_used=iso(NOW - timedelta(days=10)))
    snap = good_snapshot(credential_report=credential_report(row))
    assert evaluate(snap).generated_at == NOW
    later = NOW + timedelta(days=200)
    report = evaluate(snap, now=later)
    assert report.generated_at == later
    assert one(report, "root.recent_usage").status is Status.PASS


def test_no_reference_time_makes_recent_usage_unknown() -> None:
    snap = good_snapshot(collected_at=None)
    report = evaluate(snap)
    assert report.generated_at is None
    assert one(report, "root.recent_usage").status is Status.UNKNOWN
    assert report.root_activity == ()


def test_naive_now_is_taken_as_utc() -> None:
    report = evaluate(good_snapshot(), now=NOW.replace(tzinfo=None))
    assert report.generated_at == NOW


# ----------------------------------------------------------------------------- centralized access


def test_centralized_access_without_root_credentials_management_fails() -> None:
    org = OrganizationInfo(
        organization_id="o-x",
        management_account_id=ACCOUNT,
        is_management_account=True,
        root_features=[],
        in_organization=True,
    )
    assert status(good_snapshot(organization=org), "root.centralized_access") is Status.FAIL


def test_centralized_access_in_member_account_is_unknown() -> None:
    org = OrganizationInfo(
        organization_id="o-x",
        management_account_id=OTHER_ACCOUNT,
        is_management_account=False,
        root_features=None,
        root_features_error="AccountNotManagementOrDelegatedAdministratorException",
        in_organization=True,
    )
    finding = one(evaluate(good_snapshot(organization=org)), "root.centralized_access")
    assert finding.status is Status.UNKNOWN
    assert "AccountNotManagementOrDelegatedAdministratorException" in finding.detail


def test_centralized_access_outside_an_organization_is_not_applicable() -> None:
    org = OrganizationInfo(in_organization=False)
    assert (
        status(good_snapshot(organization=org), "root.centralized_access") is Status.NOT_APPLICABLE
    )


def test_denied_organization_read_makes_centralized_access_unknown() -> None:
    snap = with_gap(
        good_snapshot(organization=None), denied("organizations", "DescribeOrganization")
    )
    finding = one(evaluate(snap), "root.centralized_access")
    assert finding.status is Status.UNKNOWN
    assert "organizations:DescribeOrganization failed: AccessDenied" in finding.detail


# ----------------------------------------------------------------------------- cloudtrail


def test_single_region_trail_fails_multi_region_and_the_chain() -> None:
    snap = good_snapshot(trails=[trail(is_multi_region_trail=False)])
    report = evaluate(snap)
    assert one(report, "cloudtrail.multi_region").status is Status.FAIL
    assert "single-region" in one(report, "cloudtrail.multi_region").detail
    assert one(report, "monitoring.root_metric_alarm").status is Status.FAIL
    assert one(report, "cloudtrail.log_validation").status is Status.FAIL


def test_trail_that_is_not_logging_fails_multi_region() -> None:
    assert (
        status(good_snapshot(trails=[trail(is_logging=False)]), "cloudtrail.multi_region")
        is Status.FAIL
    )


def test_organization_trail_of_the_management_account_counts() -> None:
    org_trail = trail(
        name="org-trail",
        trail_arn=f"arn:aws:cloudtrail:{HOME}:{OTHER_ACCOUNT}:trail/org-trail",
        is_organization_trail=True,
        cloud_watch_logs_log_group_arn=None,
    )
    report = evaluate(good_snapshot(trails=[org_trail]))
    assert one(report, "cloudtrail.multi_region").status is Status.PASS
    assert one(report, "cloudtrail.multi_region").resource.endswith("trail/org-trail")


@pytest.mark.parametrize("name", ["Management events selector", "x", "", "Log all events"])
def test_advanced_selectors_recording_all_management_events_pass_whatever_the_name(
    name: str,
) -> None:
    advanced = [
        {"Name": name, "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {
            "Name": "S3 data",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            ],
        },
    ]
    snap = good_snapshot(trails=[trail(event_selectors=None, advanced_event_selectors=advanced)])
    finding = one(evaluate(snap), "cloudtrail.multi_region")
    assert finding.status is Status.PASS
    assert finding.evidence["trails"][0]["selector_kind"] == "advanced"


def test_advanced_selectors_split_into_read_and_write_selectors_pass() -> None:
    advanced = [
        {
            "Name": "reads",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["true"]},
            ],
        },
        {
            "Name": "writes",
            "FieldSelectors": [
                {"Field": "readOnly", "Equals": ["false"]},
                {"Field": "eventCategory", "Equals": ["Management"]},
            ],
        },
    ]
    snap = good_snapshot(trails=[trail(event_selectors=None, advanced_event_selectors=advanced)])
    assert status(snap, "cloudtrail.multi_region") is Status.PASS


def test_advanced_selector_with_write_only_management_events_fails() -> None:
    advanced = [
        {
            "Name": "Management events selector",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["false"]},
            ],
        }
    ]
    snap = good_snapshot(trails=[trail(event_selectors=None, advanced_event_selectors=advanced)])
    finding = one(evaluate(snap), "cloudtrail.multi_region")
    assert finding.status is Status.FAIL
    assert (
        "iam.amazonaws.com:ListUsers (read)"
        in (finding.evidence["trails"][0]["unrecorded_management_events"])
    )


def test_advanced_selector_limited_to_some_event_sources_fails() -> None:
    advanced = [
        {
            "Name": "Management events selector",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "eventSource", "Equals": ["iam.amazonaws.com"]},
            ],
        }
    ]
    snap = good_snapshot(trails=[trail(event_selectors=None, advanced_event_selectors=advanced)])
    assert status(snap, "cloudtrail.multi_region") is Status.FAIL


def test_advanced_selector_excluding_kms_fails_unless_the_policy_allows_it() -> None:
    advanced = [
        {
            "Name": "no kms",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]},
            ],
        }
    ]
    snap = good_snapshot(trails=[trail(event_selectors=None, advanced_event_selectors=advanced)])
    assert status(snap, "cloudtrail.multi_region") is Status.FAIL
    allowed = Policy(allow_excluded_management_event_sources=True)
    assert status(snap, "cloudtrail.multi_region", policy=allowed) is Status.PASS


def test_basic_selector_excluding_kms_events_fails_by_default() -> None:
    basic = [dict(BASIC, ExcludeManagementEventSources=["kms.amazonaws.com"])]
    snap = good_snapshot(trails=[trail(event_selectors=basic)])
    assert status(snap, "cloudtrail.multi_region") is Status.FAIL


def test_basic_selector_read_only_fails_and_read_plus_write_selectors_pass() -> None:
    read = dict(BASIC, ReadWriteType="ReadOnly")
    write = dict(BASIC, ReadWriteType="WriteOnly")
    assert (
        status(good_snapshot(trails=[trail(event_selectors=[read])]), "cloudtrail.multi_region")
        is Status.FAIL
    )
    assert (
        status(
            good_snapshot(trails=[trail(event_selectors=[read, write])]), "cloudtrail.multi_region"
        )
        is Status.PASS
    )


def test_basic_selector_without_management_events_fails() -> None:
    basic = [dict(BASIC, IncludeManagementEvents=False)]
    assert (
        status(good_snapshot(trails=[trail(event_selectors=basic)]), "cloudtrail.multi_region")
        is Status.FAIL
    )


def test_denied_trail_status_makes_multi_region_unknown_naming_the_call() -> None:
    snap = with_gap(
        good_snapshot(trails=[trail(is_logging=None)]),
        denied("cloudtrail", "GetTrailStatus", HOME, resource=TRAIL_ARN),
    )
    finding = one(evaluate(snap), "cloudtrail.multi_region")
    assert finding.status is Status.UNKNOWN
    assert "cloudtrail:GetTrailStatus" in finding.detail


def test_denied_event_selectors_make_multi_region_unknown() -> None:
    snap = with_gap(
        good_snapshot(trails=[trail(event_selectors=None, advanced_event_selectors=None)]),
        denied("cloudtrail", "GetEventSelectors", HOME, resource=TRAIL_ARN),
    )
    report = evaluate(snap)
    assert one(report, "cloudtrail.multi_region").status is Status.UNKNOWN
    assert one(report, "monitoring.root_metric_alarm").status is Status.UNKNOWN


def test_denied_describe_trails_makes_every_trail_check_unknown() -> None:
    snap = with_gap(good_snapshot(trails=None), denied("cloudtrail", "DescribeTrails", HOME))
    report = evaluate(snap)
    for check in (
        "cloudtrail.multi_region",
        "cloudtrail.log_validation",
        "cloudtrail.cloudwatch_logs",
        "monitoring.root_metric_alarm",
    ):
        finding = one(report, check)
        assert finding.status is Status.UNKNOWN
        assert "cloudtrail:DescribeTrails in us-east-1 failed: AccessDenied" in finding.detail


def test_no_trail_at_all_fails() -> None:
    report = evaluate(good_snapshot(trails=[]))
    assert one(report, "cloudtrail.multi_region").status is Status.FAIL
    assert one(report, "cloudtrail.cloudwatch_logs").status is Status.FAIL


def test_log_validation_off_fails() -> None:
    snap = good_snapshot(trails=[trail(log_file_validation_enabled=False)])
    assert status(snap, "cloudtrail.log_validation") is Status.FAIL


def test_cloudwatch_logs_not_configured_fails() -> None:
    snap = good_snapshot(trails=[trail(cloud_watch_logs_log_group_arn=None)])
    report = evaluate(snap)
    assert one(report, "cloudtrail.cloudwatch_logs").status is Status.FAIL
    assert one(report, "monitoring.root_metric_alarm").status is Status.FAIL


def test_cloudwatch_delivery_older_than_the_policy_fails() -> None:
    snap = good_snapshot(
        trails=[trail(latest_cloud_watch_logs_delivery_time=NOW - timedelta(hours=30))]
    )
    assert status(snap, "cloudtrail.cloudwatch_logs") is Status.FAIL
    policy = Policy(cloudwatch_delivery_max_age_hours=48)
    assert status(snap, "cloudtrail.cloudwatch_logs", policy=policy) is Status.PASS


def test_cloudwatch_log_group_without_delivery_time_is_unknown_not_a_guess() -> None:
    # moto never returns LatestCloudWatchLogsDeliveryTime.
    snap = good_snapshot(trails=[trail(latest_cloud_watch_logs_delivery_time=None)])
    finding = one(evaluate(snap), "cloudtrail.cloudwatch_logs")
    assert finding.status is Status.UNKNOWN
    assert "no delivery time" in finding.detail
    relaxed = Policy(cloudwatch_delivery_max_age_hours=None)
    assert status(snap, "cloudtrail.cloudwatch_logs", policy=relaxed) is Status.PASS


def test_cloudwatch_delivery_error_without_any_delivery_fails() -> None:
    snap = good_snapshot(
        trails=[
            trail(
                latest_cloud_watch_logs_delivery_time=None,
                latest_cloud_watch_logs_delivery_error="AccessDenied",
            )
        ]
    )
    assert status(snap, "cloudtrail.cloudwatch_logs") is Status.FAIL


# ----------------------------------------------------------------------------- policy, report


def test_policy_rejects_unknown_fields_and_is_frozen() -> None:
    import pydantic

    with pytest.raises(rootguard.PolicyError, match="root_usage_dayz"):
        Policy(root_usage_dayz=3)  # type: ignore[call-arg]
    with pytest.raises(rootguard.PolicyError, match="root_usage_days"):
        Policy(root_usage_days=-1)
    policy = Policy()
    with pytest.raises(pydantic.ValidationError):
        policy.root_usage_days = 5  # type: ignore[misc]
    assert policy.root_usage_days == 90
    assert policy.cloudwatch_delivery_max_age_hours == 24


def test_report_json_round_trip_is_exact() -> None:
    row = root_row(
        mfa_active="false",
        access_key_1_active="true",
        access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        access_key_1_last_used_date=iso(NOW - timedelta(days=1)),
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="iam",
    )
    report = evaluate(good_snapshot(credential_report=credential_report(row)))
    text = report.to_json()
    again = Report.from_json(text)
    assert again == report
    assert again.to_json() == text
    assert json.loads(text)["counts"] == report.counts


def test_report_from_json_rejects_other_json_with_parse_error() -> None:
    with pytest.raises(rootguard.ParseError):
        Report.from_json('{"findings": 3}')


def test_report_helpers() -> None:
    report = evaluate(good_snapshot(account_summary=summary(mfa=0, keys=1)))
    failed = {f.check_id for f in report.failed}
    assert {"root.mfa_enabled", "root.no_access_keys"} <= failed
    assert report.by_check("no.such.check") == []
    assert report.unknown == []


BASIC = {
    "ReadWriteType": "All",
    "IncludeManagementEvents": True,
    "DataResources": [],
    "ExcludeManagementEventSources": [],
}
