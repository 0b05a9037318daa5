"""plan() is pure: options validation, what is planned for each starting state, reuse
before create, never deleting, determinism and JSON round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from rootguard import CIS_ROOT_FILTER_PATTERN, PLANNED_CHECKS, PlanError
from rootguard._permissions import required_permissions
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Status
from rootguard._posture._policy import Policy
from rootguard._remediation._actions import ApiAction, ChangeType, ManualStep
from rootguard._remediation._constants import ROOT_EVENT_PATTERN
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._plan import Plan
from rootguard._remediation._planner import plan
from rootguard._snapshot import (
    AccountSnapshot,
    MetricTransformation,
    RegionSnapshot,
    SnsSubscription,
)
from tests.snapshot_builders import (
    ACCOUNT,
    HOME,
    METRIC,
    NAMESPACE,
    SECOND,
    TOPIC_ARN,
    TOPIC_ARN_2,
    alarm,
    credential_report,
    event_rule,
    good_snapshot,
    metric_filter,
    recorder,
    root_row,
    summary,
    topic,
    trail,
    with_region,
)
from tests.strategies import rm_snapshots

OPTS = RemediationOptions(alert_emails=("secops@example.com",))
NO_ROOT_MFA: dict[str, Any] = {
    "credential_report": credential_report(root_row(mfa_active="false")),
    "account_summary": summary(mfa=0),
}
CHAIN_CHECKS = set(PLANNED_CHECKS)


def empty_region(region: str) -> RegionSnapshot:
    return RegionSnapshot(
        region=region,
        trails=[],
        log_groups=[],
        alarms=[],
        topics=[],
        event_rules=[],
        config_recorders=[],
        config_rules=[],
        delivery_channels=[],
    )


def empty_account(**changes: Any) -> AccountSnapshot:
    fields: dict[str, Any] = {
        "account_id": ACCOUNT,
        "regions": [HOME, SECOND],
        "trails": [],
        "region_data": {HOME: empty_region(HOME), SECOND: empty_region(SECOND)},
        "account_summary": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
    }
    fields.update(changes)
    return AccountSnapshot(**fields)


def kinds(p: Plan) -> list[str]:
    return [a.kind for a in p.actions]


def only(p: Plan, kind: str, region: str | None = "any") -> ApiAction:
    found = [a for a in p.api_actions if a.kind == kind and region in ("any", a.region)]
    assert len(found) == 1, [a.id for a in found]
    return found[0]


# ------------------------------------------------------------------------------ options


def test_options_defaults() -> None:
    opts = RemediationOptions()
    assert opts.trail_name == "rootguard"
    assert opts.alert_emails == ()
    assert opts.enable_eventbridge
    assert opts.enable_config_rules
    assert opts.adopt_existing_trail
    assert opts.log_retention_days == 365


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("alert_emails", ["not-an-email"]),
        ("alert_emails", ["a@b"]),
        ("alert_emails", ["a..b@example.com"]),
        ("home_region", "us-east"),
        ("home_region", "US-EAST-1"),
        ("regions", ["us-east-1", "mars-1"]),
        ("regions", []),
        ("trail_name", "ab"),
        ("trail_name", "-trail"),
        ("trail_name", "my..trail"),
        ("trail_name", "192.168.5.4"),
        ("bucket_name", "Upper-Case"),
        ("bucket_name", "xn--bucket"),
        ("bucket_name", "a" * 64),
        ("log_group_name", "bad name"),
        ("alert_topic_name", "bad.name"),
        ("alert_topic_arn", "arn:aws:sqs:us-east-1:111122223333:q"),
        ("rule_name", "r" * 65),
        ("metric_namespace", "AWS/Logs"),
        ("log_retention_days", 42),
        ("kms_key_id", "not a key"),
        ("alert_subscriptions", [{"protocol": "https", "endpoint": "http://insecure"}]),
        ("alert_subscriptions", [{"protocol": "sms", "endpoint": "12345"}]),
        ("alert_subscriptions", [{"protocol": "sqs", "endpoint": "arn:aws:lambda:x"}]),
        ("no_such_option", True),
        ("metric_filter_name", "a:b"),
        ("metric_filter_name", "a*b"),
        ("metric_filter_name", ""),
        ("metric_filter_name", "f" * 513),
        ("alarm_name", ""),
        ("alarm_name", "a" * 256),
        ("alarm_name", "line\nbreak"),
        ("metric_name", "Root$Usage"),
        ("metric_namespace", "Root:Guard"),
        ("alert_topic_name", "alerts.fifo"),
        ("trail_name", "my-_trail"),
        ("bucket_name", "logs-s3alias"),
        ("bucket_name", "logs.-x"),
        ("log_group_name", "aws/reserved"),
        ("alert_topic_key_alias", "alias/aws/sns"),
        ("rule_name", "root rule"),
        ("trail_name", 7),
    ],
)
def test_options_reject_invalid_values(field: str, value: Any) -> None:
    with pytest.raises(PlanError, match=field) as raised:
        RemediationOptions(**{field: value})
    assert not isinstance(raised.value, ValidationError)  # pydantic's never escapes
    with pytest.raises(PlanError, match=field):
        RemediationOptions.model_validate({field: value})
    with pytest.raises(PlanError, match=field):
        plan(empty_account(), {field: value})


def test_options_accept_valid_values() -> None:
    opts = RemediationOptions(
        alert_emails=["Sec.Ops+root@example.co.uk", "sec.ops+root@example.co.uk "],
        regions=["eu-west-1", "us-east-1", "us-gov-west-1", "eu-west-1"],
        home_region="us-east-1",
        trail_name="org.root-trail_1",
        bucket_name="my-logs.example-1",
        log_group_name="/aws/cloudtrail/root#1",
        alert_topic_arn="arn:aws:sns:us-east-1:111122223333:alerts",
        kms_key_id="alias/cloudtrail",
        alert_subscriptions=[
            {"protocol": "https", "endpoint": "https://hooks.example.com/x"},
            {"protocol": "sms", "endpoint": "+14155550100"},
            {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:111122223333:q"},
        ],
    )
    assert opts.regions == ("eu-west-1", "us-east-1", "us-gov-west-1")
    assert len(opts.alert_emails) == 2
    assert [s.protocol.value for s in opts.subscriptions()] == [
        "email",
        "email",
        "https",
        "sms",
        "sqs",
    ]


def test_home_region_must_be_one_of_regions() -> None:
    with pytest.raises(PlanError, match="home_region"):
        RemediationOptions(home_region="eu-west-1", regions=["us-east-1"])


def test_plan_rejects_arguments_of_the_wrong_type() -> None:
    with pytest.raises(PlanError, match="options must be RemediationOptions"):
        plan(empty_account(), "text")  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="options must be RemediationOptions"):
        plan(empty_account(), ["alert_emails"])  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="snapshot must be an AccountSnapshot"):
        plan("text", OPTS)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="snapshot must be an AccountSnapshot"):
        plan(empty_account().model_dump(), OPTS)  # type: ignore[arg-type]


def test_options_that_skipped_validation_are_checked_by_plan() -> None:
    # model_copy(update=...) does not validate: plan() checks every name again
    sneaky = OPTS.model_copy(update={"metric_filter_name": "a:b"})
    with pytest.raises(PlanError, match="metric_filter_name"):
        plan(empty_account(), sneaky)


# ------------------------------------------------------------------------- empty account


def test_empty_account_gets_the_whole_chain() -> None:
    p = plan(empty_account(), OPTS)
    assert not p.is_empty
    assert p.manual_steps == ()
    assert set(kinds(p)) == {
        "CreateBucket",
        "PutBucketTagging",
        "PutPublicAccessBlock",
        "PutBucketEncryption",
        "PutBucketPolicy",
        "CreateLogGroup",
        "PutRetentionPolicy",
        "CreateRole",
        "PutRolePolicy",
        "CreateTrail",
        "StartLogging",
        "PutEventSelectors",
        "CreateTopic",
        "SetTopicPolicy",
        "Subscribe",
        "PutMetricFilter",
        "PutMetricAlarm",
        "PutRule",
        "PutTargets",
        "CreateServiceLinkedRole",
        "PutConfigurationRecorder",
        "PutDeliveryChannel",
        "StartConfigurationRecorder",
        "PutConfigRule",
    }
    assert {c for a in p.actions for c in a.fixes} == CHAIN_CHECKS
    # dependencies come first, ids are unique and stable
    seen: set[str] = set()
    for action in p.actions:
        assert set(action.depends_on) <= seen
        seen.add(action.id)
    assert len(seen) == len(p.actions)
    assert plan(empty_account(), OPTS) == p


def test_created_resources_are_tagged_and_secure() -> None:
    p = plan(empty_account(), OPTS)
    tag = {"Key": "rootguard:managed", "Value": "true"}
    for kind, key in [
        ("CreateTrail", "TagsList"),
        ("CreateTopic", "Tags"),
        ("PutMetricAlarm", "Tags"),
        ("PutConfigRule", "Tags"),
        ("PutConfigurationRecorder", "Tags"),
    ]:
        for action in p.api_actions:
            if action.kind == kind:
                assert tag in action.params[key], action.id
    for action in p.api_actions:
        if action.kind in ("CreateRole", "PutRule"):
            assert tag in action.params["Tags"]
    assert only(p, "CreateLogGroup").params["tags"] == {"rootguard:managed": "true"}
    assert only(p, "PutBucketTagging").params["Tagging"]["TagSet"] == [tag]

    pab = only(p, "PutPublicAccessBlock").params["PublicAccessBlockConfiguration"]
    assert pab == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    enc = only(p, "PutBucketEncryption").params["ServerSideEncryptionConfiguration"]
    assert enc["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    trail_arn = f"arn:aws:cloudtrail:{HOME}:{ACCOUNT}:trail/rootguard"
    policy = json.loads(only(p, "PutBucketPolicy").params["Policy"])
    cloudtrail = [
        s
        for s in policy["Statement"]
        if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
    ]
    assert len(cloudtrail) == 2
    assert all(s["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn for s in cloudtrail)
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    topic_policy = json.loads(only(p, "SetTopicPolicy").params["AttributeValue"])
    services = sorted(s["Principal"]["Service"] for s in topic_policy["Statement"])
    assert services == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    for statement in topic_policy["Statement"]:
        assert statement["Action"] == "sns:Publish"
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert not only(p, "SetTopicPolicy").merge  # rootguard's own topic: exactly this policy


def test_trail_filter_alarm_rules_and_config_parameters() -> None:
    p = plan(empty_account(), OPTS)
    create = only(p, "CreateTrail").params
    assert create["IsMultiRegionTrail"]
    assert create["IncludeGlobalServiceEvents"]
    assert create["EnableLogFileValidation"]
    assert create["CloudWatchLogsLogGroupArn"] == (
        f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:rootguard-cloudtrail:*"
    )
    selectors = only(p, "PutEventSelectors").params["EventSelectors"]
    assert selectors == [
        {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}
    ]

    mf = only(p, "PutMetricFilter").params
    assert mf["filterPattern"] == CIS_ROOT_FILTER_PATTERN  # the exact text, byte for byte
    alarm_params = only(p, "PutMetricAlarm").params
    assert {k: alarm_params[k] for k in ("Statistic", "Period", "EvaluationPeriods")} == {
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
    }
    assert alarm_params["Threshold"] == 1.0
    assert alarm_params["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    topic_arn = f"arn:aws:sns:{HOME}:{ACCOUNT}:rootguard-root-activity"
    assert alarm_params["AlarmActions"] == [topic_arn]
    assert (alarm_params["MetricName"], alarm_params["Namespace"]) == (
        mf["metricTransformations"][0]["metricName"],
        mf["metricTransformations"][0]["metricNamespace"],
    )

    for region in (HOME, SECOND):
        assert json.loads(only(p, "PutRule", region).params["EventPattern"]) == ROOT_EVENT_PATTERN
    assert only(p, "PutTargets", HOME).params["Targets"] == [
        {"Id": "rootguard-alert-topic", "Arn": topic_arn}
    ]
    (forward,) = only(p, "PutTargets", SECOND).params["Targets"]
    assert forward["Arn"] == f"arn:aws:events:{HOME}:{ACCOUNT}:event-bus/default"
    assert forward["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/rootguard-events-forwarder"
    assert "iam:PassRole" in only(p, "PutTargets", SECOND).permissions

    group = only(p, "PutConfigurationRecorder").params["ConfigurationRecorder"]["recordingGroup"]
    assert group["resourceTypes"] == ["AWS::IAM::User"]
    assert group["allSupported"] is False
    identifiers = sorted(
        a.params["ConfigRule"]["Source"]["SourceIdentifier"]
        for a in p.api_actions
        if a.kind == "PutConfigRule"
    )
    assert identifiers == ["IAM_ROOT_ACCESS_KEY_CHECK", "ROOT_ACCOUNT_MFA_ENABLED"]
    assert "$0.003" in (only(p, "PutConfigurationRecorder").note or "")
    assert "$0.003" in p.to_text()


def test_hardware_mfa_rule_is_optional() -> None:
    p = plan(empty_account(), OPTS.model_copy(update={"enable_hardware_mfa_rule": True}))
    identifiers = {
        a.params["ConfigRule"]["Source"]["SourceIdentifier"]
        for a in p.api_actions
        if a.kind == "PutConfigRule"
    }
    assert "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED" in identifiers


def test_disabling_eventbridge_and_config() -> None:
    opts = OPTS.model_copy(update={"enable_eventbridge": False, "enable_config_rules": False})
    p = plan(empty_account(), opts)
    assert not {"PutRule", "PutTargets", "PutConfigRule", "PutDeliveryChannel"} & set(kinds(p))


# ------------------------------------------------------------------------------ plan I/O


def test_plan_round_trips_through_json() -> None:
    p = plan(empty_account(**NO_ROOT_MFA), OPTS)
    assert p.manual_steps
    again = Plan.from_json(p.to_json())
    assert again == p
    assert again.to_json() == p.to_json()
    assert [type(a) for a in again.actions] == [type(a) for a in p.actions]


def test_plan_from_json_rejects_garbage() -> None:
    with pytest.raises(PlanError):
        Plan.from_json("{}")
    with pytest.raises(PlanError):
        Plan.from_json('{"account_id": "1", "home_region": "x", "actions": [{"kind": "Nope"}]}')


def test_plan_rejects_out_of_order_dependencies() -> None:
    p = plan(empty_account(), OPTS)
    data = json.loads(p.to_json())
    data["actions"].reverse()
    with pytest.raises(PlanError, match="depends on"):
        Plan.from_json(json.dumps(data))


def test_to_text_reads_like_a_terraform_plan() -> None:
    p = plan(empty_account(**NO_ROOT_MFA), OPTS)
    text = p.to_text()
    for action in p.actions:
        assert action.id in text or isinstance(action, ManualStep)
    creates = sum(1 for a in p.actions if a.change is ChangeType.CREATE)
    updates = sum(1 for a in p.actions if a.change is ChangeType.UPDATE)
    assert (
        f"Plan: {creates} to create, {updates} to update, 0 to destroy; 1 manual step(s)." in text
    )
    assert "+ cloudtrail:CreateTrail [us-east-1]" in text
    assert "~ s3:PutBucketPolicy" in text
    assert "! manual step [global]" in text
    assert plan(good_snapshot(), OPTS).to_text().splitlines()[2] == (
        "No changes. The root-monitoring chain is in place."
    )


def test_every_permission_is_in_the_remediation_policy() -> None:
    granted: set[str] = set()
    for statement in required_permissions("remediate")["Statement"]:
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    p = plan(empty_account(), OPTS.model_copy(update={"kms_key_id": "alias/x"}))
    assert set(p.permissions()) <= granted
    assert all(a.permission == a.permissions[0] for a in p.api_actions)


# ----------------------------------------------------------------------- reuse, adoption


def test_working_chain_with_other_names_is_reused_untouched() -> None:
    p = plan(good_snapshot(), OPTS)
    assert p.actions == ()
    assert p.is_empty


def test_adopted_trail_gets_only_what_it_lacks() -> None:
    snap = good_snapshot(
        trails=[
            trail(
                log_file_validation_enabled=False,
                cloud_watch_logs_log_group_arn=None,
                cloud_watch_logs_role_arn=None,
            )
        ]
    )
    p = plan(snap, OPTS)
    assert "CreateTrail" not in kinds(p)
    assert "CreateBucket" not in kinds(p)
    update = only(p, "UpdateTrail")
    assert update.resource == trail().trail_arn
    assert set(update.params) == {
        "Name",
        "EnableLogFileValidation",
        "CloudWatchLogsLogGroupArn",
        "CloudWatchLogsRoleArn",
    }
    assert only(p, "PutMetricFilter").params["logGroupName"] == "rootguard-cloudtrail"
    assert only(p, "CreateLogGroup").id in update.depends_on
    assert only(p, "PutRetentionPolicy").id in update.depends_on


def test_stopped_trail_is_started_and_selectors_appended() -> None:
    write_only = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    snap = good_snapshot(trails=[trail(is_logging=False, event_selectors=write_only)])
    p = plan(snap, OPTS)
    assert only(p, "StartLogging").params == {"Name": "main"}
    selectors = only(p, "PutEventSelectors").params["EventSelectors"]
    assert selectors[0] == write_only[0]  # kept
    assert selectors[1]["ReadWriteType"] == "All"
    assert "CreateTrail" not in kinds(p)


def test_advanced_selectors_are_extended_not_replaced() -> None:
    advanced = [
        {
            "Name": "writes",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["false"]},
            ],
        }
    ]
    snap = good_snapshot(trails=[trail(event_selectors=None, advanced_event_selectors=advanced)])
    params = only(plan(snap, OPTS), "PutEventSelectors").params
    assert params["AdvancedEventSelectors"][0] == advanced[0]
    assert params["AdvancedEventSelectors"][1]["FieldSelectors"] == [
        {"Field": "eventCategory", "Equals": ["Management"]}
    ]


def test_single_region_trail_is_left_alone_and_a_new_one_created() -> None:
    snap = good_snapshot(trails=[trail(is_multi_region_trail=False)])
    p = plan(snap, OPTS)
    assert "UpdateTrail" not in kinds(p)
    assert all(a.resource != trail().trail_arn for a in p.actions)
    create = only(p, "CreateTrail")
    assert create.params["Name"] == "rootguard"
    assert "second copy" in (create.note or "")


def test_rootguard_named_single_region_trail_is_made_multi_region() -> None:
    ours = trail(
        name="rootguard",
        trail_arn=f"arn:aws:cloudtrail:{HOME}:{ACCOUNT}:trail/rootguard",
        is_multi_region_trail=False,
    )
    p = plan(good_snapshot(trails=[ours]), OPTS)
    assert only(p, "UpdateTrail").params == {"Name": "rootguard", "IsMultiRegionTrail": True}
    assert "CreateTrail" not in kinds(p)


def test_adopted_trail_in_another_home_region_conflicts_with_option() -> None:
    snap = good_snapshot(trails=[trail(log_file_validation_enabled=False)])
    with pytest.raises(PlanError, match="adopt_existing_trail=False"):
        plan(snap, OPTS.model_copy(update={"home_region": SECOND}))
    p = plan(snap, OPTS.model_copy(update={"home_region": SECOND, "adopt_existing_trail": False}))
    assert only(p, "CreateTrail").region == SECOND


def test_passing_trail_does_not_pin_the_home_region() -> None:
    snap = with_region(good_snapshot(), HOME, config_rules=[])
    for region in (HOME, SECOND):
        snap = with_region(snap, region, config_rules=[])
    p = plan(snap, OPTS.model_copy(update={"home_region": SECOND}))
    assert {a.region for a in p.api_actions if a.kind == "PutConfigRule"} == {SECOND}
    assert "CreateTrail" not in kinds(p)


def test_home_region_must_have_been_collected() -> None:
    with pytest.raises(PlanError, match="not collected"):
        plan(empty_account(), OPTS.model_copy(update={"home_region": "ap-south-1"}))


def test_a_wanted_region_that_was_not_collected_is_blocked_not_guessed() -> None:
    p = plan(empty_account(), OPTS.model_copy(update={"regions": ("ap-south-1", "us-east-1")}))
    assert not [a for a in p.api_actions if a.region == "ap-south-1"]
    (item,) = [b for b in p.blocked if b.region == "ap-south-1"]
    assert item.kind == "eventbridge_rule"
    assert item.fixes == ("monitoring.root_eventbridge",)
    assert item.permissions == ("events:ListRules",)
    assert only(p, "PutRule", HOME).region == HOME  # the collected region is still planned


def test_wrong_pattern_gets_rootguard_filter_and_user_filter_is_untouched() -> None:
    wrong = metric_filter(pattern='{ $.userIdentity.type = "Root" || $.eventType = "x" }')
    snap = with_region(
        good_snapshot(),
        HOME,
        log_groups=[
            good_snapshot()
            .region_data[HOME]
            .log_groups[0]  # type: ignore[index]
            .model_copy(update={"metric_filters": [wrong]})
        ],
    )
    p = plan(snap, OPTS)
    mf = only(p, "PutMetricFilter")
    assert mf.params["filterName"] == "rootguard-root-account-usage"
    assert mf.params["logGroupName"] == "aws-cloudtrail-logs-main"
    assert only(p, "PutMetricAlarm").params["MetricName"] == "RootAccountUsage"
    assert only(p, "PutMetricAlarm").params["Namespace"] == "RootGuard"
    assert all(a.params.get("filterName") != wrong.filter_name for a in p.api_actions)


def test_alarm_without_actions_is_not_modified_a_new_one_is_added() -> None:
    snap = with_region(good_snapshot(), HOME, alarms=[alarm(alarm_actions=[])])
    p = plan(snap, OPTS)
    new = only(p, "PutMetricAlarm")
    assert new.params["AlarmName"] == "rootguard-root-account-usage"
    # the user's CIS filter is reused: the alarm watches its metric
    assert (new.params["MetricName"], new.params["Namespace"]) == (
        "RootAccountUsage",
        "CISBenchmark",
    )
    assert "PutMetricFilter" not in kinds(p)


def test_topic_without_subscriber_and_no_email_is_a_manual_step() -> None:
    snap = with_region(good_snapshot(), HOME, alarms=[], topics=[topic(subscriptions=[])])
    p = plan(snap, RemediationOptions())
    assert "Subscribe" not in kinds(p)
    (step,) = [s for s in p.manual_steps if "subscriber" in s.description]
    assert step.fixes == ("monitoring.root_metric_alarm",)
    with_email = plan(snap, OPTS)
    assert only(with_email, "Subscribe").params["Endpoint"] == "secops@example.com"


def test_pending_subscription_is_not_subscribed_again() -> None:
    ours = f"arn:aws:sns:{HOME}:{ACCOUNT}:rootguard-root-activity"
    pending = SnsSubscription(
        subscription_arn="PendingConfirmation", protocol="email", endpoint="secops@example.com"
    )
    snap = empty_account()
    p = plan(snap, OPTS)
    applied = with_region(
        snap,
        HOME,
        topics=[
            topic(
                ours,
                subscriptions=[pending],
                policy=only(p, "SetTopicPolicy").params["AttributeValue"],
            )
        ],
    )
    again = plan(applied, OPTS)
    assert "Subscribe" not in kinds(again)
    assert "CreateTopic" not in kinds(again)
    assert any("confirm the pending" in s.description for s in again.manual_steps)


def test_named_alert_topic_is_extended_not_replaced() -> None:
    snap = with_region(good_snapshot(), HOME, alarms=[], event_rules=[])
    p = plan(snap, OPTS.model_copy(update={"alert_topic_arn": TOPIC_ARN}))
    assert "CreateTopic" not in kinds(p)
    policy = only(p, "SetTopicPolicy")
    assert policy.merge
    assert policy.resource == TOPIC_ARN
    assert only(p, "PutMetricAlarm").params["AlarmActions"] == [TOPIC_ARN]
    with pytest.raises(PlanError, match="does not exist"):
        plan(
            snap,
            OPTS.model_copy(update={"alert_topic_arn": f"arn:aws:sns:{HOME}:{ACCOUNT}:missing"}),
        )


def test_insecure_user_topic_is_a_manual_step() -> None:
    open_policy = json.dumps(
        {"Statement": [{"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "sns:*"}]}
    )
    snap = with_region(good_snapshot(), HOME, topics=[topic(policy=open_policy)])
    p = plan(snap, OPTS)
    assert p.is_empty
    (step,) = p.manual_steps
    assert step.fixes == ("monitoring.alert_topic_secure",)
    assert step.resource == TOPIC_ARN


def test_rule_in_one_region_only_adds_the_other_region() -> None:
    snap = with_region(good_snapshot(), SECOND, event_rules=[])
    p = plan(snap, OPTS)
    assert {a.region for a in p.api_actions if a.kind in ("PutRule", "PutTargets")} == {SECOND}
    (target,) = only(p, "PutTargets").params["Targets"]
    assert target["Arn"].endswith(":event-bus/default")
    # the home region's user rule (to the user's topic) already alerts: no rootguard topic
    assert "CreateTopic" not in kinds(p)


def test_disabled_rule_is_not_coverage() -> None:
    snap = with_region(
        good_snapshot(), SECOND, event_rules=[event_rule(SECOND, TOPIC_ARN, state="DISABLED")]
    )
    assert only(plan(snap, OPTS), "PutRule").region == SECOND


def test_config_recorder_without_iam_is_extended() -> None:
    snap = good_snapshot()
    for region in (HOME, SECOND):
        snap = with_region(snap, region, config_recorders=[recorder(region, include_global=False)])
    p = plan(snap, OPTS)
    update = only(p, "PutConfigurationRecorder")
    assert update.change is ChangeType.UPDATE
    assert update.params["ConfigurationRecorder"]["recordingGroup"]["includeGlobalResourceTypes"]
    assert "PutConfigRule" not in kinds(p)
    assert "PutDeliveryChannel" not in kinds(p)


def test_stopped_recorder_is_started_with_its_cost_named() -> None:
    snap = with_region(good_snapshot(), HOME, config_recorders=[recorder(HOME, recording=False)])
    p = plan(snap, OPTS)
    start = only(p, "StartConfigurationRecorder")
    assert "all supported resource types" in (start.note or "")
    assert "PutConfigurationRecorder" not in kinds(p)


def test_missing_config_rule_is_added_next_to_the_existing_one() -> None:
    from tests.snapshot_builders import config_rules

    snap = with_region(
        good_snapshot(), HOME, config_rules=config_rules(HOME, "ROOT_ACCOUNT_MFA_ENABLED")
    )
    p = plan(snap, OPTS)
    (rule,) = [a for a in p.api_actions if a.kind == "PutConfigRule"]
    assert rule.params["ConfigRule"]["Source"]["SourceIdentifier"] == "IAM_ROOT_ACCESS_KEY_CHECK"
    assert kinds(p) == ["PutConfigRule"]


# ------------------------------------------------------------------------- root, gaps


def test_root_mfa_and_keys_are_manual_steps() -> None:
    report = credential_report(root_row(mfa_active="false", access_key_1_active="true"))
    p = plan(good_snapshot(credential_report=report, account_summary=summary(mfa=0, keys=1)), OPTS)
    assert p.is_empty
    fixes = sorted(step.fixes[0] for step in p.manual_steps)
    assert fixes == ["root.mfa_enabled", "root.no_access_keys"]
    assert all(step.instructions for step in p.manual_steps)
    assert all(step.region is None for step in p.manual_steps)


def test_unreadable_trails_are_blocked_not_a_new_trail() -> None:
    p = plan(empty_account(trails=None), OPTS.model_copy(update={"home_region": HOME}))
    assert not {"CreateTrail", "UpdateTrail", "PutMetricFilter", "CreateLogGroup"} & set(kinds(p))
    assert {b.kind for b in p.blocked} == {"trail", "metric_filter"}
    assert not p.complete
    assert p.to_text().splitlines()[2].startswith("INCOMPLETE PLAN: 2 items")


def test_unreadable_recorders_are_blocked() -> None:
    snap = with_region(empty_account(), HOME, config_recorders=None)
    p = plan(snap, OPTS)
    assert "PutConfigurationRecorder" not in kinds(p)
    (item,) = p.blocked
    assert item.kind == "config"
    assert item.permissions == ("config:DescribeConfigurationRecorders",)


def test_account_id_must_be_twelve_digits() -> None:
    with pytest.raises(PlanError):
        plan(empty_account(account_id="123"), OPTS)


# ------------------------------------------------------------------------------ property

NEVER = ("Delete", "Remove", "Stop", "Untag", "Detach", "Disable", "Deregister")


@settings(max_examples=150, deadline=None)
@given(snap=rm_snapshots())
def test_plan_never_crashes_never_deletes_and_round_trips(snap: AccountSnapshot) -> None:
    try:
        p = plan(snap, OPTS)
    except PlanError:
        return
    assert plan(snap, OPTS) == p  # deterministic
    assert Plan.from_json(p.to_json()) == p
    seen: set[str] = set()
    for action in p.actions:
        assert set(action.depends_on) <= seen
        seen.add(action.id)
        if isinstance(action, ApiAction):
            assert not action.operation.startswith(NEVER)
            assert action.permissions[0].split(":")[1] in (
                action.operation,
                "PutBucketPublicAccessBlock",
                "PutEncryptionConfiguration",
            )
    # trails owned by other accounts are never changed
    foreign = {t.trail_arn for t in snap.trails or [] if t.account_id != snap.account_id}
    assert not any(a.resource in foreign for a in p.api_actions)


# --------------------------------------------------- plan() and evaluate() judge alike
#
# The planner fixes what the posture checks fail, using the checks' own judgements
# (rootguard._judge). Each case below is one where the planner used to judge by itself and
# disagreed with evaluate(): an empty plan for a failing check, or a change for a passing one.

PLAN_POLICY = Policy(cloudwatch_delivery_max_age_hours=None)  # what plan() evaluates with


def statuses(snap: AccountSnapshot, check_id: str) -> set[Status]:
    return {f.status for f in evaluate(snap, policy=PLAN_POLICY).by_check(check_id)}


def fixing(p: Plan, check_id: str) -> list[str]:
    return [a.kind for a in p.api_actions if check_id in a.fixes]


def advanced_trail(*field_selectors: dict[str, Any], **changes: Any) -> Any:
    selectors = [{"Name": "management", "FieldSelectors": list(field_selectors)}]
    return trail(event_selectors=None, advanced_event_selectors=selectors, **changes)


def test_selectors_the_check_fails_get_a_management_selector() -> None:
    # readOnly StartsWith "t" selects only read events: writes are not recorded
    snap = good_snapshot(
        trails=[
            advanced_trail(
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "StartsWith": ["t"]},
            )
        ]
    )
    assert statuses(snap, "cloudtrail.multi_region") == {Status.FAIL}
    p = plan(snap, OPTS)
    assert fixing(p, "cloudtrail.multi_region") == ["PutEventSelectors"]
    selectors = only(p, "PutEventSelectors").params["AdvancedEventSelectors"]
    assert selectors[-1]["FieldSelectors"] == [{"Field": "eventCategory", "Equals": ["Management"]}]


def test_selectors_the_check_passes_are_left_alone() -> None:
    # an exclusion of an event source no probe uses: every management event is recorded
    snap = good_snapshot(
        trails=[
            advanced_trail(
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "eventSource", "NotEquals": ["s3-outposts.amazonaws.com"]},
                log_file_validation_enabled=False,
            )
        ]
    )
    assert statuses(snap, "cloudtrail.multi_region") == {Status.PASS}
    assert statuses(snap, "cloudtrail.log_validation") == {Status.FAIL}
    p = plan(snap, OPTS)
    assert "PutEventSelectors" not in kinds(p)
    assert fixing(p, "cloudtrail.log_validation") == ["UpdateTrail"]


def test_rule_that_misses_failed_sign_ins_is_not_taken_as_coverage() -> None:
    # Wired to the alert topic, but "errorMessage must not exist" drops failed root
    # sign-ins: the check fails the home region, so the plan must add rootguard's rule there.
    pattern = json.dumps(
        {"detail": {"userIdentity": {"type": ["Root"]}, "errorMessage": [{"exists": False}]}}
    )
    snap = good_snapshot()
    for region, topic_arn in ((HOME, TOPIC_ARN), (SECOND, TOPIC_ARN_2)):
        snap = with_region(
            snap, region, event_rules=[event_rule(region, topic_arn, event_pattern=pattern)]
        )
    eventbridge = evaluate(snap, policy=PLAN_POLICY).by_check("monitoring.root_eventbridge")
    assert {f.region: f.status for f in eventbridge} == {HOME: Status.FAIL, SECOND: Status.FAIL}
    p = plan(snap, OPTS.model_copy(update={"alert_topic_arn": TOPIC_ARN}))
    assert {a.region for a in p.api_actions if a.kind == "PutRule"} == {HOME, SECOND}
    assert only(p, "PutTargets", HOME).params["Targets"] == [
        {"Id": "rootguard-alert-topic", "Arn": TOPIC_ARN}
    ]


def test_rule_wired_to_the_alert_topic_is_coverage() -> None:
    # The same wiring with a pattern that matches every root event is left alone.
    snap = with_region(good_snapshot(), SECOND, event_rules=[])
    p = plan(snap, OPTS.model_copy(update={"alert_topic_arn": TOPIC_ARN}))
    assert {a.region for a in p.api_actions if a.kind in ("PutRule", "PutTargets")} == {SECOND}


def user_chain(**alarm_changes: Any) -> AccountSnapshot:
    """good_snapshot() with the user's alarm changed (its topic is the alert topic)."""
    return with_region(good_snapshot(), HOME, alarms=[alarm(**alarm_changes)])


USER_TOPIC = OPTS.model_copy(update={"alert_topic_arn": TOPIC_ARN})


@pytest.mark.parametrize(
    "snap",
    [
        pytest.param(user_chain(threshold=0.0), id="fires-without-root-events"),
        pytest.param(user_chain(treat_missing_data="breaching"), id="missing-data-breaching"),
        pytest.param(
            user_chain(alarm_name="rootguard-root-account-usage", datapoints_to_alarm=2),
            id="rootguards-alarm-needing-two-datapoints",
        ),
        pytest.param(
            with_region(
                user_chain(statistic="SampleCount"),
                HOME,
                log_groups=[
                    good_snapshot()
                    .region_data[HOME]
                    .log_groups[0]  # type: ignore[index]
                    .model_copy(
                        update={
                            "metric_filters": [
                                metric_filter(
                                    metric_transformations=[
                                        MetricTransformation(
                                            metric_name=METRIC,
                                            metric_namespace=NAMESPACE,
                                            default_value=0.0,
                                        )
                                    ]
                                )
                            ]
                        }
                    )
                ],
            ),
            id="samplecount-counts-every-log-event",
        ),
    ],
)
def test_alarm_the_check_fails_is_not_taken_as_the_alarm(snap: AccountSnapshot) -> None:
    # The user's alarm notifies the alert topic but would not fire on one root event (or
    # fires without one): the planner used to accept it and plan nothing for the chain.
    assert statuses(snap, "monitoring.root_metric_alarm") == {Status.FAIL}
    p = plan(snap, USER_TOPIC)
    new = only(p, "PutMetricAlarm")
    assert new.params["AlarmName"] == "rootguard-root-account-usage"
    assert (new.params["MetricName"], new.params["Namespace"]) == (
        "RootAccountUsage",
        "CISBenchmark",
    )
    assert "PutMetricFilter" not in kinds(p)  # the user's CIS filter is reused


def test_alarm_the_check_passes_is_reused() -> None:
    # Maximum over 60 s is not rootguard's choice, but it fires on one root event.
    snap = user_chain(statistic="Maximum", period=60)
    assert statuses(snap, "monitoring.root_metric_alarm") == {Status.PASS}
    assert fixing(plan(snap, USER_TOPIC), "monitoring.root_metric_alarm") == []


def test_metric_the_check_fails_is_not_built_on() -> None:
    # The CIS filter publishes 0 per root event: no alarm on that metric can fire, so
    # rootguard's own filter and alarm are planned instead of an alarm on the dead metric.
    zero = MetricTransformation(metric_name=METRIC, metric_namespace=NAMESPACE, metric_value="0")
    group = good_snapshot().region_data[HOME].log_groups[0]  # type: ignore[index]
    snap = with_region(
        good_snapshot(),
        HOME,
        log_groups=[
            group.model_copy(
                update={"metric_filters": [metric_filter(metric_transformations=[zero])]}
            )
        ],
    )
    assert statuses(snap, "monitoring.root_metric_alarm") == {Status.FAIL}
    p = plan(snap, USER_TOPIC)
    assert only(p, "PutMetricFilter").params["metricTransformations"][0]["metricValue"] == "1"
    alarm_params = only(p, "PutMetricAlarm").params
    assert (alarm_params["MetricName"], alarm_params["Namespace"]) == (
        "RootAccountUsage",
        "RootGuard",
    )


def test_hardware_mfa_rule_is_added_to_a_passing_config_setup() -> None:
    # With enable_hardware_mfa_rule the plan judges config.root_rules with that rule
    # required (Policy.required_config_rules): an otherwise passing account gets just it.
    opts = OPTS.model_copy(update={"enable_hardware_mfa_rule": True})
    hardware = "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED"
    required = (*Policy().required_config_rules, hardware)
    snap = good_snapshot()
    assert statuses(snap, "config.root_rules") == {Status.PASS}
    with_hardware = evaluate(snap, policy=Policy(required_config_rules=required))
    assert {f.status for f in with_hardware.by_check("config.root_rules")} == {Status.FAIL}
    p = plan(snap, opts)
    assert kinds(p) == ["PutConfigRule"]
    assert only(p, "PutConfigRule").params["ConfigRule"]["Source"]["SourceIdentifier"] == hardware
    assert plan(snap, OPTS).is_empty


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        (
            {
                "credential_report": credential_report(
                    root_row(access_key_1_active="true", access_key_2_active="true")
                ),
                "account_summary": summary(keys=2),
            },
            "(access_key_1, access_key_2)",
        ),
        ({"credential_report": None, "account_summary": summary(keys=1)}, "account summary"),
    ],
)
def test_root_key_step_names_the_keys_the_check_found(changes: dict[str, Any], named: str) -> None:
    p = plan(good_snapshot(**changes), OPTS)
    (step,) = p.manual_steps
    assert step.fixes == ("root.no_access_keys",)
    assert named in step.description


def test_malformed_log_group_arn_is_a_warning_like_in_the_check() -> None:
    # The check fails the chain ("is not a log group ARN"); the planner used to crash
    # with an IndexError on it.
    snap = good_snapshot(
        trails=[trail(cloud_watch_logs_log_group_arn="garbage", log_file_validation_enabled=False)]
    )
    chain = evaluate(snap, policy=PLAN_POLICY).by_check("monitoring.root_metric_alarm")
    assert [f.status for f in chain] == [Status.FAIL]
    assert "garbage is not a log group ARN" in chain[0].detail
    p = plan(snap, OPTS)
    assert only(p, "UpdateTrail").params == {"Name": "main", "EnableLogFileValidation": True}
    assert "PutMetricFilter" not in kinds(p)
    assert any("not a log group ARN" in w for w in p.warnings)


# Checks judged on the trail cloudtrail.multi_region qualifies: fixed by fixing that one.
_TRAIL_DERIVED = {"cloudtrail.log_validation", "cloudtrail.cloudwatch_logs"}


def _addresses(entries: Any, check: str, region: str | None) -> bool:
    return any(check in e.fixes and (region is None or e.region in (region, None)) for e in entries)


@settings(max_examples=150, deadline=None)
@given(snap=rm_snapshots())
def test_every_check_the_plan_fixes_fails_is_addressed(snap: AccountSnapshot) -> None:
    # plan() never leaves a failing check without an action, a manual step, a blocked entry
    # (part of the work waits for data that could not be read) or a warning saying why it is
    # left alone. A check UNKNOWN because data was not read is addressed by a blocked entry
    # (or, when it is unknown for another reason, planned for like a failure).
    try:
        p = plan(snap, OPTS)
    except PlanError:
        return
    report = evaluate(snap, policy=PLAN_POLICY)
    for check in sorted(CHAIN_CHECKS | {"root.mfa_enabled", "root.no_access_keys"}):
        for f in report.by_check(check):
            if f.status not in (Status.FAIL, Status.UNKNOWN):
                continue
            addressed = (
                _addresses(p.actions, check, f.region)
                or _addresses(p.blocked, check, f.region)
                or (
                    check in _TRAIL_DERIVED
                    and _addresses([*p.actions, *p.blocked], "cloudtrail.multi_region", None)
                )
                or (  # "no alert topic found, but the alerting setup was not fully read"
                    check == "monitoring.alert_topic_secure"
                    and ":sns:" not in f.resource
                    and any(
                        _addresses(p.blocked, c, None)
                        for c in ("monitoring.root_metric_alarm", "monitoring.root_eventbridge")
                    )
                )
            )
            assert addressed or p.warnings, (check, f.status, f.detail, [a.id for a in p.actions])
