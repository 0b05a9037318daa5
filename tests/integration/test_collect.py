"""collect() against moto: in-process (mock_aws) and over HTTP (ThreadedMotoServer)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError
from botocore.retries import standard

import rootguard
from rootguard import CIS_ROOT_FILTER_PATTERN, AccountSnapshot, CollectError
from tests.integration.accounts import ROOT_EVENT_PATTERN, populate_account
from tests.integration.conftest import HOME, count_calls, deny, new_session, throttle
from tests.integration.moto_root import RootKey, RootState, moto_root

SECOND = "eu-west-1"
REGIONS = [HOME, SECOND]
ROOT = RootState(
    mfa="virtual",
    password_last_used=datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc),
    access_keys=(RootKey(last_used=datetime(2024, 6, 1, tzinfo=timezone.utc)),),
    signing_certificates=(True,),
    organization_features=("RootCredentialsManagement", "RootSessions"),
)


@pytest.fixture
def account(aws: boto3.Session) -> Any:
    """A fully-populated account (both moto modes) with a realistic root user."""
    with moto_root(ROOT):
        yield aws, populate_account(aws, regions=REGIONS)


def _gap_keys(snapshot: AccountSnapshot) -> set[tuple[str, str, str | None, str]]:
    return {(g.service, g.operation, g.region, g.error_code) for g in snapshot.gaps}


def test_collects_every_part_of_a_populated_account(account: Any) -> None:
    session, made = account
    progress: list[str] = []
    snapshot = rootguard.collect(session=session, regions=REGIONS, progress=progress.append)

    assert snapshot.gaps == []
    assert snapshot.account_id == made.account_id == ROOT.account_id
    assert snapshot.partition == "aws"
    assert snapshot.regions == REGIONS
    assert sorted(progress) == sorted(REGIONS)
    assert set(snapshot.region_data) == set(REGIONS)

    # credential report: the realistic root row, raw
    report = snapshot.credential_report
    assert report is not None
    assert report.generated_at is not None
    lines = report.content.splitlines()
    assert lines[0].startswith("user,arn,user_creation_time,password_enabled")
    assert lines[1] == ROOT.credential_report_row()
    assert ",not_supported,2024-05-06T07:08:09+00:00," in lines[1]

    # account summary, virtual MFA, organization
    summary = snapshot.account_summary
    assert summary is not None
    assert summary["AccountMFAEnabled"] == 1
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccountSigningCertificatesPresent"] == 1
    assert snapshot.virtual_mfa_devices is not None
    assert [d.user_arn for d in snapshot.virtual_mfa_devices] == [ROOT.root_arn]
    assert snapshot.virtual_mfa_devices[0].enable_date == ROOT.mfa_enabled
    org = snapshot.organization
    assert org is not None
    assert org.in_organization is True
    assert org.is_management_account is True
    assert org.management_account_id == made.account_id
    assert org.organization_id is not None
    assert org.organization_id.startswith("o-")
    assert org.root_features == ["RootCredentialsManagement", "RootSessions"]
    assert org.root_features_error is None

    # trails: each read once, in its home region, with status and selectors
    assert snapshot.trails is not None
    trails = {t.trail_arn: t for t in snapshot.trails}
    assert set(trails) == {made.trail_arn, made.regional_trail_arn}
    main = trails[made.trail_arn]
    assert main.home_region == HOME
    assert main.is_multi_region_trail is True
    assert main.log_file_validation_enabled is True
    assert main.is_logging is True
    assert main.cloud_watch_logs_log_group_arn == made.log_group_arn
    assert main.event_selectors == []
    assert main.advanced_event_selectors == [
        {
            "Name": "Management events selector",
            "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
        }
    ]
    assert main.tags == {"team": "security"}
    regional = trails[str(made.regional_trail_arn)]
    assert regional.home_region == SECOND
    assert regional.is_multi_region_trail is False
    assert regional.is_logging is False

    home = snapshot.region_data[HOME]
    second = snapshot.region_data[SECOND]
    assert home.trails == [made.trail_arn]
    assert sorted(second.trails or []) == sorted([made.trail_arn, str(made.regional_trail_arn)])

    # the alerting chain in the home region
    assert home.log_groups is not None
    assert [g.log_group_name for g in home.log_groups] == [made.log_group_name]
    group = home.log_groups[0]
    assert group.retention_in_days == 365
    assert group.metric_filters is not None
    assert [f.filter_pattern for f in group.metric_filters] == [CIS_ROOT_FILTER_PATTERN]
    transformation = group.metric_filters[0].metric_transformations[0]
    assert (transformation.metric_name, transformation.metric_namespace) == (
        made.metric_name,
        made.metric_namespace,
    )
    assert second.log_groups == []
    assert home.alarms is not None
    [alarm] = home.alarms
    assert (alarm.alarm_name, alarm.metric_name, alarm.namespace) == (
        made.alarm_name,
        made.metric_name,
        made.metric_namespace,
    )
    assert alarm.threshold == 1.0
    assert alarm.comparison_operator == "GreaterThanOrEqualToThreshold"
    assert alarm.alarm_actions == [made.topic_arns[HOME]]
    assert second.alarms == []

    for region in REGIONS:
        data = snapshot.region_data[region]
        assert data.topics is not None
        [topic] = data.topics
        assert topic.topic_arn == made.topic_arns[region]
        assert topic.region == region
        assert topic.policy is not None
        assert json.loads(topic.policy)["Statement"]
        assert topic.subscriptions is not None
        assert [(s.protocol, s.endpoint) for s in topic.subscriptions] == [
            ("email", "security@example.com")
        ]
        assert not topic.subscriptions[0].pending
        assert data.event_rules is not None
        [rule] = data.event_rules
        assert (rule.name, rule.state, rule.region) == (made.rule_name, "ENABLED", region)
        assert json.loads(rule.event_pattern or "") == ROOT_EVENT_PATTERN
        assert [(t.id, t.arn) for t in rule.targets or []] == [("sns", made.topic_arns[region])]
        assert data.config_recorders is not None
        [recorder] = data.config_recorders
        assert (recorder.name, recorder.recording, recorder.region) == ("default", True, region)
        assert recorder.recording_group is not None
        assert recorder.recording_group["allSupported"] is True
        assert [(c.name, c.s3_bucket_name) for c in data.delivery_channels or []] == [
            ("default", f"rootguard-trail-{made.account_id}")
        ]

    assert home.config_rules is not None
    rules = {r.source_identifier: r for r in home.config_rules}
    assert set(rules) == {"ROOT_ACCOUNT_MFA_ENABLED", "IAM_ROOT_ACCESS_KEY_CHECK"}
    assert rules["ROOT_ACCOUNT_MFA_ENABLED"].compliance == "COMPLIANT"
    assert rules["IAM_ROOT_ACCESS_KEY_CHECK"].compliance == "NON_COMPLIANT"
    assert all(r.source_owner == "AWS" and r.region == HOME for r in rules.values())
    assert second.config_rules == []


def test_snapshot_round_trips_through_json_exactly(account: Any) -> None:
    session, _ = account
    snapshot = rootguard.collect(session=session, regions=REGIONS)
    text = snapshot.model_dump_json()
    again = AccountSnapshot.model_validate_json(text)
    assert again == snapshot
    assert again.model_dump_json() == text
    assert json.loads(again.model_dump_json(indent=2)) == json.loads(text)


def test_each_trail_is_read_once_in_its_home_region(account: Any) -> None:
    session, _made = account
    calls = count_calls(session)
    snapshot = rootguard.collect(session=session, regions=REGIONS)
    assert snapshot.gaps == []
    # two distinct trails, a multi-region one seen in both regions
    assert calls["cloudtrail:DescribeTrails"] == 2
    assert calls["cloudtrail:GetTrailStatus"] == 2
    assert calls["cloudtrail:GetEventSelectors"] == 2
    assert calls["cloudwatch-logs:DescribeMetricFilters"] == 1
    assert calls["iam:GenerateCredentialReport"] == 1
    # every call of one region stays well within the call budget
    regional = sum(v for k, v in calls.items() if not k.startswith(("iam:", "sts:", "org")))
    assert regional / len(REGIONS) <= 30


def test_access_denied_in_one_service_one_region_is_a_gap(account: Any) -> None:
    session, made = account
    denied = deny(session, "cloudwatch", "DescribeAlarms", region=SECOND)
    snapshot = rootguard.collect(session=session, regions=REGIONS)

    assert denied == [SECOND]
    assert _gap_keys(snapshot) == {("cloudwatch", "DescribeAlarms", SECOND, "AccessDenied")}
    [gap] = snapshot.gaps
    assert "DescribeAlarms" in gap.message
    assert snapshot.region_data[SECOND].alarms is None
    # everything else is collected
    assert [a.alarm_name for a in snapshot.region_data[HOME].alarms or []] == [made.alarm_name]
    assert snapshot.region_data[SECOND].event_rules is not None
    assert snapshot.region_data[SECOND].topics is not None
    assert snapshot.trails is not None
    assert len(snapshot.trails) == 2
    assert snapshot.credential_report is not None
    assert snapshot.gaps_for("cloudwatch", region=SECOND) == [gap]
    assert snapshot.gaps_for("cloudwatch", region=HOME) == []


def test_denied_trail_status_is_a_gap_with_the_trail(account: Any) -> None:
    session, made = account
    deny(session, "cloudtrail", "GetTrailStatus", code="AccessDeniedException", status=400)
    snapshot = rootguard.collect(session=session, regions=REGIONS)

    gaps = [g for g in snapshot.gaps if g.operation == "GetTrailStatus"]
    assert {(g.region, g.resource, g.error_code) for g in gaps} == {
        (HOME, made.trail_arn, "AccessDeniedException"),
        (SECOND, made.regional_trail_arn, "AccessDeniedException"),
    }
    assert len(snapshot.gaps) == 2
    trails = {t.trail_arn: t for t in snapshot.trails or []}
    assert trails[made.trail_arn].is_logging is None
    assert trails[made.trail_arn].advanced_event_selectors is not None


def test_throttling_is_retried(account: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    session, made = account
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    # more than botocore's default attempts (3) and legacy mode's (5): only the
    # configured standard retries with 8 attempts get through
    throttled = throttle(session, "events", "ListRules", times=6)
    snapshot = rootguard.collect(session=session, regions=[HOME])
    assert throttled() == 6
    assert snapshot.gaps == []
    assert [r.name for r in snapshot.region_data[HOME].event_rules or []] == [made.rule_name]


def test_throttling_beyond_the_retries_is_a_gap(
    account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = account
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    throttled = throttle(session, "events", "ListRules", times=1000)
    snapshot = rootguard.collect(session=session, regions=REGIONS)
    assert throttled() == 8 * len(REGIONS)  # 8 attempts per call
    assert _gap_keys(snapshot) == {
        ("events", "ListRules", region, "ThrottlingException") for region in REGIONS
    }
    assert all(snapshot.region_data[r].event_rules is None for r in REGIONS)
    assert all(snapshot.region_data[r].topics for r in REGIONS)


def test_region_not_enabled_is_one_gap_and_no_more_calls(account: Any) -> None:
    session, _ = account
    calls = count_calls(session)
    deny(session, "cloudtrail", "DescribeTrails", region=SECOND, code="OptInRequired")
    snapshot = rootguard.collect(session=session, regions=REGIONS)
    assert _gap_keys(snapshot) == {("cloudtrail", "DescribeTrails", SECOND, "OptInRequired")}
    assert snapshot.regions == REGIONS  # asked for explicitly: kept, with its gap
    data = snapshot.region_data[SECOND]
    assert (data.trails, data.alarms, data.topics, data.event_rules) == (None,) * 4
    assert (data.config_recorders, data.config_rules, data.log_groups) == (None,) * 3
    assert calls["cloudwatch:DescribeAlarms"] == 1  # only the enabled region
    assert calls["eventbridge:ListRules"] == 1


def test_trail_home_region_outside_the_regions_asked(account: Any) -> None:
    session, made = account
    snapshot = rootguard.collect(session=session, regions=[SECOND])
    assert snapshot.regions == [SECOND]
    assert snapshot.gaps == []
    trails = {t.trail_arn: t for t in snapshot.trails or []}
    assert trails[made.trail_arn].home_region == HOME
    assert trails[made.trail_arn].is_logging is True  # read in its home region
    # its log group, in the home region, is there too
    assert [g.log_group_name for g in snapshot.region_data[HOME].log_groups or []] == [
        made.log_group_name
    ]
    assert snapshot.region_data[HOME].alarms is None  # that region was not collected


def test_no_credentials_is_a_collect_error(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CollectError, match="credentials"):
        rootguard.collect(session=new_session(), regions=[HOME])


def test_invalid_credentials_is_a_collect_error(inprocess: boto3.Session) -> None:
    deny(inprocess, "sts", "GetCallerIdentity", code="InvalidClientTokenId")
    with pytest.raises(CollectError, match="InvalidClientTokenId"):
        rootguard.collect(session=inprocess, regions=[HOME])


def test_nothing_collected_is_a_collect_error(inprocess: boto3.Session) -> None:
    def deny_all(event_name: str, **_: Any) -> Any:
        if ".sts." in event_name:
            return None
        parsed = {"Error": {"Code": "AccessDenied", "Message": "no"}}
        return AWSResponse("https://denied.invalid", 403, {}, None), parsed

    inprocess.events.register_first("before-call", deny_all)
    with pytest.raises(CollectError, match="nothing could be collected"):
        rootguard.collect(session=inprocess, regions=[HOME])


def test_org_trail_of_another_account_is_gaps_not_a_crash(inprocess: boto3.Session) -> None:
    """A member account sees the management account's organization trail in every region;
    reading its status and its log group is not allowed from here."""
    org_trail = {
        "Name": "org-trail",
        "S3BucketName": "org-cloudtrail-999988887777",
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True,
        "HomeRegion": HOME,
        "TrailARN": "arn:aws:cloudtrail:us-east-1:999988887777:trail/org-trail",
        "LogFileValidationEnabled": True,
        "CloudWatchLogsLogGroupArn": (
            "arn:aws:logs:us-east-1:999988887777:log-group:aws-controltower/CloudTrailLogs:*"
        ),
        "CloudWatchLogsRoleArn": "arn:aws:iam::999988887777:role/CloudTrailRole",
        "HasCustomEventSelectors": True,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": True,
    }

    def describe_trails(**_: Any) -> Any:
        response = {"trailList": [org_trail], "ResponseMetadata": {"HTTPStatusCode": 200}}
        return AWSResponse("https://ok.invalid", 200, {}, None), response

    inprocess.events.register_first("before-call.cloudtrail.DescribeTrails", describe_trails)
    snapshot = rootguard.collect(session=inprocess, regions=REGIONS)

    [trail] = snapshot.trails or []
    assert trail.trail_arn == org_trail["TrailARN"]
    assert trail.is_organization_trail is True
    assert trail.account_id == "999988887777"
    assert trail.is_logging is None
    assert all(snapshot.region_data[r].trails == [org_trail["TrailARN"]] for r in REGIONS)
    by_operation = {g.operation: g for g in snapshot.gaps}
    assert by_operation["GetTrailStatus"].resource == org_trail["TrailARN"]
    assert by_operation["GetTrailStatus"].region == HOME
    cross = by_operation["DescribeMetricFilters"]
    assert (cross.service, cross.error_code, cross.resource) == (
        "logs",
        "CrossAccountResource",
        org_trail["CloudWatchLogsLogGroupArn"],
    )
    assert sum(g.operation == "GetTrailStatus" for g in snapshot.gaps) == 1  # read once


def test_missing_compliance_results_keep_the_rules(inprocess: boto3.Session) -> None:
    """moto has no Config compliance: a gap for that call only; the rules are there."""
    with moto_root(ROOT, config_compliance=False):
        made = populate_account(inprocess, regions=[HOME])
        snapshot = rootguard.collect(session=inprocess, regions=[HOME])
    assert _gap_keys(snapshot) == {
        ("config", "DescribeComplianceByConfigRule", HOME, "NotImplemented")
    }
    rules = snapshot.region_data[HOME].config_rules
    assert rules is not None
    assert sorted(r.config_rule_name for r in rules) == sorted(made.config_rule_names)
    assert all(r.compliance is None for r in rules)


def test_outside_an_organization_and_not_management(inprocess: boto3.Session) -> None:
    with moto_root(RootState(mfa="none")):
        snapshot = rootguard.collect(session=inprocess, regions=[HOME])
    org = snapshot.organization
    assert org is not None
    assert (org.in_organization, org.is_management_account, org.root_features) == (
        False,
        False,
        None,
    )
    assert org.root_features_error == "AWSOrganizationsNotInUseException"
    assert snapshot.virtual_mfa_devices == []
    assert snapshot.account_summary is not None
    assert snapshot.account_summary["AccountMFAEnabled"] == 0
    # an empty account: collected, nothing there
    data = snapshot.region_data[HOME]
    assert (data.trails, data.log_groups, data.alarms, data.topics) == ([], [], [], [])
    assert (data.event_rules, data.config_recorders, data.config_rules) == ([], [], [])
    assert snapshot.trails == []
    assert snapshot.gaps == []


def test_member_of_organization_without_root_features(inprocess: boto3.Session) -> None:
    with moto_root(RootState(organization_features=None)):
        inprocess.client("organizations").create_organization(FeatureSet="ALL")
        snapshot = rootguard.collect(session=inprocess, regions=[HOME])
    org = snapshot.organization
    assert org is not None
    assert org.in_organization is True
    assert org.root_features is None
    assert org.root_features_error == "AccountNotManagementOrDelegatedAdministratorException"
    assert snapshot.gaps == []  # an expected answer, not a gap


def test_every_list_call_is_paginated(inprocess: boto3.Session) -> None:
    config = inprocess.client("config", region_name=HOME)
    for i in range(30):  # moto pages config rules by 25
        config.put_config_rule(
            ConfigRule={
                "ConfigRuleName": f"rule-{i:02d}",
                "Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"},
            }
        )
    iam = inprocess.client("iam")
    extra = tuple(
        {
            "SerialNumber": f"arn:aws:iam::123456789012:mfa/device-{i:03d}",
            "User": {
                "Path": "/",
                "UserName": f"rooty{i}",
                "UserId": f"AIDA{i:016d}",
                "Arn": f"arn:aws:iam::123456789012:user/rooty{i}",
                "CreateDate": datetime(2020, 1, 1, tzinfo=timezone.utc),
            },
            "EnableDate": datetime(2020, 1, 2, tzinfo=timezone.utc),
        }
        for i in range(120)  # ListVirtualMFADevices pages by 100
    )
    calls = count_calls(inprocess)
    with moto_root(RootState(mfa="virtual", extra_devices=extra)):
        assert len(iam.list_virtual_mfa_devices()["VirtualMFADevices"]) == 100
        snapshot = rootguard.collect(session=inprocess, regions=[HOME])
    assert len(snapshot.region_data[HOME].config_rules or []) == 30
    assert calls["config-service:DescribeConfigRules"] == 2
    devices = snapshot.virtual_mfa_devices or []
    assert len(devices) == 121
    assert [d.user_arn for d in devices if d.user_arn and d.user_arn.endswith(":root")] == [
        "arn:aws:iam::123456789012:root"
    ]
    assert calls["iam:ListVirtualMFADevices"] == 2  # two pages


def test_alarm_notifying_a_missing_topic_is_not_a_gap(inprocess: boto3.Session) -> None:
    inprocess.client("cloudwatch", region_name=HOME).put_metric_alarm(
        AlarmName="dangling",
        MetricName="RootAccountUsage",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=["arn:aws:sns:us-east-1:123456789012:deleted-topic"],
    )
    snapshot = rootguard.collect(session=inprocess, regions=[HOME])
    assert snapshot.gaps == []
    assert snapshot.region_data[HOME].topics == []
    assert [a.alarm_actions for a in snapshot.region_data[HOME].alarms or []] == [
        ["arn:aws:sns:us-east-1:123456789012:deleted-topic"]
    ]


def test_regions_none_collects_every_enabled_region(inprocess: boto3.Session) -> None:
    # moto enables 24 regions (and builds its EC2 backend, slowly); answer DescribeRegions
    # with a realistic short list instead, so the test stays fast
    regions = [
        {
            "RegionName": "eu-west-1",
            "Endpoint": "ec2.eu-west-1.amazonaws.com",
            "OptInStatus": "opt-in-not-required",
        },
        {
            "RegionName": "ap-east-1",
            "Endpoint": "ec2.ap-east-1.amazonaws.com",
            "OptInStatus": "not-opted-in",
        },
        {
            "RegionName": "us-east-1",
            "Endpoint": "ec2.us-east-1.amazonaws.com",
            "OptInStatus": "opt-in-not-required",
        },
        {
            "RegionName": "af-south-1",
            "Endpoint": "ec2.af-south-1.amazonaws.com",
            "OptInStatus": "opted-in",
        },
    ]
    asked: list[dict[str, Any]] = []

    def describe_regions(params: dict[str, Any], **_: Any) -> Any:
        asked.append(params)
        return AWSResponse("https://ec2.invalid", 200, {}, None), {"Regions": regions}

    inprocess.events.register_first("before-call.ec2.DescribeRegions", describe_regions)
    progress: list[str] = []
    snapshot = rootguard.collect(session=inprocess, progress=progress.append)
    assert [p["body"].get("AllRegions") for p in asked] == ["false"]  # enabled regions only
    assert snapshot.regions == ["af-south-1", "eu-west-1", "us-east-1"]
    assert sorted(progress) == snapshot.regions
    assert sorted(snapshot.region_data) == snapshot.regions
    assert snapshot.gaps == []


def test_connection_error_on_one_call_is_a_gap(account: Any) -> None:
    session, _ = account

    def unreachable(context: dict[str, Any], **_: Any) -> None:
        if context.get("client_region") == SECOND:
            raise EndpointConnectionError(endpoint_url=f"https://sns.{SECOND}.amazonaws.com/")

    session.events.register_first("before-call.sns.ListTopics", unreachable)
    snapshot = rootguard.collect(session=session, regions=REGIONS)
    assert _gap_keys(snapshot) == {("sns", "ListTopics", SECOND, "EndpointConnectionError")}
    assert snapshot.region_data[SECOND].topics is None
    assert snapshot.region_data[HOME].topics is not None
    assert snapshot.region_data[SECOND].event_rules is not None
