"""evaluate(): the alerting chain, EventBridge per region, AWS Config, topic policies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rootguard._canonical import (
    eventbridge_root_envelopes,
    informational_events,
    non_root_events,
    root_events,
)
from rootguard._event_pattern import event_pattern_matches
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN, filter_pattern_matches
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Finding, Status
from rootguard._posture._report import Report
from rootguard._snapshot import (
    AccountSnapshot,
    EventTarget,
    LogGroup,
    MetricTransformation,
)
from tests.snapshot_builders import (
    ACCOUNT,
    HOME,
    LOG_GROUP,
    LOG_GROUP_ARN,
    METRIC,
    NAMESPACE,
    OTHER_ACCOUNT,
    ROOT_RULE_PATTERN,
    ROOT_RULES,
    SECOND,
    TOPIC_ARN,
    TOPIC_ARN_2,
    alarm,
    config_rules,
    denied,
    event_rule,
    good_snapshot,
    metric_filter,
    pending,
    recorder,
    topic,
    trail,
    with_gap,
    with_region,
)


def one(report: Report, check_id: str, region: str | None = None) -> Finding:
    found = [f for f in report.by_check(check_id) if region is None or f.region == region]
    assert len(found) == 1, found
    return found[0]


def chain(snapshot: AccountSnapshot) -> Finding:
    return one(evaluate(snapshot), "monitoring.root_metric_alarm")


def with_pattern(pattern: str) -> AccountSnapshot:
    group = LogGroup(
        log_group_name=LOG_GROUP, arn=LOG_GROUP_ARN, metric_filters=[metric_filter(pattern)]
    )
    return with_region(good_snapshot(), HOME, log_groups=[group])


def with_alarm(**changes: Any) -> AccountSnapshot:
    return with_region(good_snapshot(), HOME, alarms=[alarm(**changes)])


# ----------------------------------------------------------------------------- canonical events


def test_cis_pattern_matches_every_canonical_root_event_and_no_non_root_event() -> None:
    for event in root_events(ACCOUNT):
        assert filter_pattern_matches(CIS_ROOT_FILTER_PATTERN, event.record), event.name
    for event in non_root_events(ACCOUNT):
        assert not filter_pattern_matches(CIS_ROOT_FILTER_PATTERN, event.record), event.name


def test_cis_pattern_misses_the_legacy_console_session_form() -> None:
    legacy = next(
        e for e in informational_events(ACCOUNT) if e.name == "root_legacy_console_session"
    )
    assert not filter_pattern_matches(CIS_ROOT_FILTER_PATTERN, legacy.record)


def test_canonical_builders_return_fresh_records() -> None:
    first = root_events(ACCOUNT)
    first[0].record["userIdentity"]["type"] = "IAMUser"
    assert root_events(ACCOUNT)[0].record["userIdentity"]["type"] == "Root"


def test_root_rule_pattern_matches_every_eventbridge_envelope() -> None:
    envelopes = eventbridge_root_envelopes(ACCOUNT, SECOND)
    assert {e.record["detail-type"] for e in envelopes} == {
        "AWS API Call via CloudTrail",
        "AWS Console Sign In via CloudTrail",
    }
    assert {e.record["region"] for e in envelopes} == {SECOND}
    assert "aws.signin" in {e.record["source"] for e in envelopes}
    for event in envelopes:
        assert event_pattern_matches(ROOT_RULE_PATTERN, event.record), event.name


# ----------------------------------------------------------------------------- the metric filter


def test_exact_cis_pattern_passes_and_says_so() -> None:
    finding = chain(good_snapshot())
    assert finding.status is Status.PASS
    assert finding.evidence["chain"]["pattern_is_exact_cis"] is True
    assert finding.region == HOME
    assert finding.resource == alarm().alarm_arn


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType != "AwsServiceEvent" && $.userIdentity.type = "Root" '
        "&& $.userIdentity.invokedBy NOT EXISTS }",
        '{$.userIdentity.type="Root"&&$.userIdentity.invokedBy NOT EXISTS'
        '&&$.eventType!="AwsServiceEvent"}',
        '{ ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type = "Root") && '
        '($.eventType != "AwsServiceEvent") }',
    ],
    ids=["reordered", "without-spaces", "parenthesized"],
)
def test_cis_clauses_reordered_or_without_spaces_pass(pattern: str) -> None:
    finding = chain(with_pattern(pattern))
    assert finding.status is Status.PASS
    assert finding.evidence["chain"]["pattern_is_exact_cis"] is False
    assert "not the exact CIS text" in finding.detail


def test_cis_clauses_joined_by_or_fail() -> None:
    pattern = (
        '{ $.userIdentity.type = "Root" || $.userIdentity.invokedBy NOT EXISTS '
        '|| $.eventType != "AwsServiceEvent" }'
    )
    finding = chain(with_pattern(pattern))
    assert finding.status is Status.FAIL
    attempt = finding.evidence["attempts"][0]
    assert "iam_user_named_root" in attempt["matched_non_root_events"]
    assert "root_service_invoked" in attempt["matched_non_root_events"]


def test_pattern_without_the_service_exclusions_fails() -> None:
    finding = chain(with_pattern('{ $.userIdentity.type = "Root" }'))
    assert finding.status is Status.FAIL
    assert set(finding.evidence["attempts"][0]["matched_non_root_events"]) == {
        "root_service_invoked",
        "root_aws_service_event",
    }


def test_pattern_that_only_catches_console_sign_ins_fails() -> None:
    pattern = '{ $.userIdentity.type = "Root" && $.eventName = "ConsoleLogin" }'
    finding = chain(with_pattern(pattern))
    assert finding.status is Status.FAIL
    assert "root_access_key_write" in finding.evidence["attempts"][0]["missed_root_events"]


def test_pattern_matching_user_name_root_fails() -> None:
    finding = chain(with_pattern('{ $.userIdentity.userName = "root" }'))
    assert finding.status is Status.FAIL


def test_malformed_pattern_fails_with_the_error_in_evidence() -> None:
    finding = chain(with_pattern('{ $.userIdentity.type = "Root" && }'))
    assert finding.status is Status.FAIL
    assert finding.evidence["attempts"][0]["pattern_error"]


def test_no_metric_filter_fails() -> None:
    group = LogGroup(log_group_name=LOG_GROUP, arn=LOG_GROUP_ARN, metric_filters=[])
    assert chain(with_region(good_snapshot(), HOME, log_groups=[group])).status is Status.FAIL


def test_denied_metric_filter_listing_makes_the_chain_unknown() -> None:
    group = LogGroup(log_group_name=LOG_GROUP, arn=LOG_GROUP_ARN, metric_filters=None)
    snap = with_gap(
        with_region(good_snapshot(), HOME, log_groups=[group]),
        denied("logs", "DescribeMetricFilters", HOME),
    )
    finding = chain(snap)
    assert finding.status is Status.UNKNOWN
    assert "logs:DescribeMetricFilters in us-east-1 failed: AccessDenied" in finding.detail


def test_log_group_region_comes_from_the_log_group_arn() -> None:
    arn = f"arn:aws:logs:{SECOND}:{ACCOUNT}:log-group:{LOG_GROUP}:*"
    group = LogGroup(log_group_name=LOG_GROUP, arn=arn, metric_filters=[metric_filter()])
    eu_alarm = alarm(
        alarm_arn=f"arn:aws:cloudwatch:{SECOND}:{ACCOUNT}:alarm:root-account-usage",
        alarm_actions=[TOPIC_ARN_2],
    )
    snap = good_snapshot(trails=[trail(cloud_watch_logs_log_group_arn=arn)])
    snap = with_region(snap, SECOND, log_groups=[group], alarms=[eu_alarm])
    finding = chain(snap)
    assert finding.status is Status.PASS
    assert finding.region == SECOND
    # The same filter with the alarm left in us-east-1 (another region) does not count.
    snap = with_region(snap, SECOND, alarms=[])
    assert chain(snap).status is Status.FAIL


def test_log_group_that_does_not_exist_fails() -> None:
    assert chain(with_region(good_snapshot(), HOME, log_groups=[])).status is Status.FAIL


def test_log_group_of_another_account_is_unknown() -> None:
    arn = f"arn:aws:logs:{HOME}:{OTHER_ACCOUNT}:log-group:org-trail:*"
    snap = good_snapshot(trails=[trail(cloud_watch_logs_log_group_arn=arn)])
    finding = chain(snap)
    assert finding.status is Status.UNKNOWN
    assert OTHER_ACCOUNT in finding.detail


# ----------------------------------------------------------------------------- the alarm


def test_alarm_with_no_actions_fails() -> None:
    finding = chain(with_alarm(alarm_actions=[]))
    assert finding.status is Status.FAIL
    assert "no SNS alarm action" in finding.detail


def test_alarm_with_actions_disabled_fails() -> None:
    finding = chain(with_alarm(actions_enabled=False))
    assert finding.status is Status.FAIL
    assert "actions disabled" in finding.detail


def test_alarm_on_another_metric_name_or_namespace_fails() -> None:
    assert chain(with_alarm(metric_name="Other")).status is Status.FAIL
    assert chain(with_alarm(namespace="LogMetrics")).status is Status.FAIL


@pytest.mark.parametrize(
    ("operator", "threshold", "statistic", "expected"),
    [
        ("GreaterThanOrEqualToThreshold", 1.0, "Sum", Status.PASS),
        ("GreaterThanThreshold", 0.0, "Sum", Status.PASS),
        ("GreaterThanThreshold", 0.5, "SampleCount", Status.PASS),
        ("GreaterThanOrEqualToThreshold", 1.0, "Maximum", Status.PASS),
        ("GreaterThanOrEqualToThreshold", 2.0, "Sum", Status.FAIL),
        ("GreaterThanThreshold", 1.0, "Sum", Status.FAIL),
        ("GreaterThanOrEqualToThreshold", 0.0, "Sum", Status.FAIL),
        ("LessThanThreshold", 1.0, "Sum", Status.FAIL),
        ("LessThanLowerOrGreaterThanUpperThreshold", 1.0, "Sum", Status.FAIL),
    ],
)
def test_alarm_must_fire_on_one_event_and_not_without_one(
    operator: str, threshold: float, statistic: str, expected: Status
) -> None:
    snap = with_alarm(comparison_operator=operator, threshold=threshold, statistic=statistic)
    assert chain(snap).status is expected


def test_alarm_needing_several_breaching_periods_fails() -> None:
    assert chain(with_alarm(evaluation_periods=3, datapoints_to_alarm=2)).status is Status.FAIL
    assert chain(with_alarm(evaluation_periods=3, datapoints_to_alarm=1)).status is Status.PASS


def test_alarm_treating_missing_data_as_breaching_fails() -> None:
    assert chain(with_alarm(treat_missing_data="breaching")).status is Status.FAIL


def test_sample_count_with_a_default_value_fails() -> None:
    group = LogGroup(
        log_group_name=LOG_GROUP,
        arn=LOG_GROUP_ARN,
        metric_filters=[
            metric_filter(
                metric_transformations=[
                    MetricTransformation(
                        metric_name=METRIC,
                        metric_namespace=NAMESPACE,
                        metric_value="1",
                        default_value=0,
                    )
                ]
            )
        ],
    )
    snap = with_region(
        good_snapshot(),
        HOME,
        log_groups=[group],
        alarms=[alarm(statistic="SampleCount", threshold=1.0)],
    )
    assert chain(snap).status is Status.FAIL
    snap = with_region(snap, HOME, alarms=[alarm(statistic="Sum")])
    assert chain(snap).status is Status.PASS


def metric_math(expression: str | None, stat: str = "Sum") -> list[dict[str, Any]]:
    metric = {
        "Id": "m1",
        "MetricStat": {
            "Metric": {"Namespace": NAMESPACE, "MetricName": METRIC},
            "Period": 300,
            "Stat": stat,
        },
        "ReturnData": expression is None,
    }
    if expression is None:
        return [metric]
    return [metric, {"Id": "e1", "Expression": expression, "ReturnData": True}]


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        (metric_math(None), Status.PASS),
        (metric_math("FILL(m1, 0)"), Status.PASS),
        (metric_math("m1"), Status.PASS),
        (metric_math(None, stat="Average"), Status.PASS),
        (metric_math("RATE(m1) * 60"), Status.UNKNOWN),
    ],
)
def test_metric_math_alarms_are_considered(metrics: list[dict[str, Any]], expected: Status) -> None:
    snap = with_alarm(metric_name=None, namespace=None, statistic=None, metrics=metrics)
    assert chain(snap).status is expected


# ----------------------------------------------------------------------------- the topic


def test_topic_with_no_confirmed_subscriber_fails() -> None:
    snap = with_region(good_snapshot(), HOME, topics=[topic(subscriptions=[pending()])])
    finding = chain(snap)
    assert finding.status is Status.FAIL
    assert "no confirmed subscription" in finding.detail


def test_topic_with_no_subscription_at_all_fails() -> None:
    snap = with_region(good_snapshot(), HOME, topics=[topic(subscriptions=[])])
    assert chain(snap).status is Status.FAIL


def test_alarm_topic_that_does_not_exist_fails() -> None:
    assert chain(with_region(good_snapshot(), HOME, topics=[])).status is Status.FAIL


def test_denied_subscription_listing_makes_the_chain_unknown() -> None:
    snap = with_gap(
        with_region(good_snapshot(), HOME, topics=[topic(subscriptions=None)]),
        denied("sns", "ListSubscriptionsByTopic", HOME, resource=TOPIC_ARN),
    )
    finding = chain(snap)
    assert finding.status is Status.UNKNOWN
    assert "sns:ListSubscriptionsByTopic" in finding.detail


def test_denied_alarm_listing_makes_the_chain_unknown() -> None:
    snap = with_gap(
        with_region(good_snapshot(), HOME, alarms=None),
        denied("cloudwatch", "DescribeAlarms", HOME),
    )
    finding = chain(snap)
    assert finding.status is Status.UNKNOWN
    assert "cloudwatch:DescribeAlarms in us-east-1 failed: AccessDenied" in finding.detail


def test_a_second_good_alarm_rescues_a_broken_one() -> None:
    broken = alarm(alarm_name="a-broken", alarm_actions=[])
    snap = with_region(good_snapshot(), HOME, alarms=[broken, alarm(alarm_name="b-good")])
    finding = chain(snap)
    assert finding.status is Status.PASS
    assert finding.evidence["chain"]["alarm_name"] == "b-good"


# ----------------------------------------------------------------------------- eventbridge


def eventbridge(report: Report, region: str) -> Finding:
    return one(report, "monitoring.root_eventbridge", region)


def test_eventbridge_rule_in_only_one_of_two_regions_fails_the_other() -> None:
    snap = with_region(good_snapshot(), SECOND, event_rules=[])
    report = evaluate(snap)
    assert eventbridge(report, HOME).status is Status.PASS
    failing = eventbridge(report, SECOND)
    assert failing.status is Status.FAIL
    assert failing.resource == f"arn:aws:events:{SECOND}:{ACCOUNT}:event-bus/default"
    assert len(report.by_check("monitoring.root_eventbridge")) == 2


def test_rule_with_and_without_source_constraint_both_pass() -> None:
    from rootguard._remediation._constants import ROOT_EVENT_PATTERN

    # The user's rule (no source constraint) passes, and is named in the evidence as
    # accepting custom events; rootguard's own pattern passes and is not.
    permissive = eventbridge(evaluate(good_snapshot()), SECOND)
    assert permissive.status is Status.PASS
    assert permissive.evidence["rules_accepting_custom_events"] == ["root-activity"]
    strict = with_region(
        good_snapshot(),
        SECOND,
        event_rules=[event_rule(SECOND, TOPIC_ARN_2, event_pattern=json.dumps(ROOT_EVENT_PATTERN))],
    )
    finding = eventbridge(evaluate(strict), SECOND)
    assert finding.status is Status.PASS
    assert finding.evidence["rules_accepting_custom_events"] == []


def test_disabled_rule_does_not_count() -> None:
    snap = with_region(
        good_snapshot(), SECOND, event_rules=[event_rule(SECOND, TOPIC_ARN_2, state="DISABLED")]
    )
    finding = eventbridge(evaluate(snap), SECOND)
    assert finding.status is Status.FAIL
    assert finding.evidence["disabled_rules"] == ["root-activity"]


def test_rule_for_api_calls_only_misses_sign_ins() -> None:
    pattern = json.dumps(
        {
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"userIdentity": {"type": ["Root"]}},
        }
    )
    snap = with_region(
        good_snapshot(),
        SECOND,
        event_rules=[event_rule(SECOND, TOPIC_ARN_2, event_pattern=pattern)],
    )
    finding = eventbridge(evaluate(snap), SECOND)
    assert finding.status is Status.FAIL
    assert finding.evidence["events"]["root_console_signin_failure"]["covered"] is False
    assert finding.evidence["events"]["root_access_key_write"]["covered"] is True


def test_two_rules_together_cover_api_calls_and_sign_ins() -> None:
    api = json.dumps(
        {
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"userIdentity": {"type": ["Root"]}},
        }
    )
    signin = json.dumps({"source": ["aws.signin"], "detail": {"userIdentity": {"type": ["Root"]}}})
    rules = [
        event_rule(
            SECOND,
            TOPIC_ARN_2,
            name="a-api",
            arn="arn:aws:events:eu-west-1:1:rule/a",
            event_pattern=api,
        ),
        event_rule(
            SECOND,
            TOPIC_ARN_2,
            name="b-signin",
            arn="arn:aws:events:eu-west-1:1:rule/b",
            event_pattern=signin,
        ),
    ]
    snap = with_region(good_snapshot(), SECOND, event_rules=rules)
    assert eventbridge(evaluate(snap), SECOND).status is Status.PASS


def test_rule_whose_topic_has_no_confirmed_subscriber_fails() -> None:
    snap = with_region(
        good_snapshot(), SECOND, topics=[topic(TOPIC_ARN_2, subscriptions=[pending()])]
    )
    assert eventbridge(evaluate(snap), SECOND).status is Status.FAIL


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:lambda:{SECOND}:{ACCOUNT}:function:page-security",
        f"arn:aws:sqs:{SECOND}:{ACCOUNT}:root-alerts",
    ],
)
def test_lambda_and_sqs_targets_count(arn: str) -> None:
    rule = event_rule(SECOND, arn, targets=[EventTarget(id="t", arn=arn)])
    snap = with_region(good_snapshot(), SECOND, event_rules=[rule])
    assert eventbridge(evaluate(snap), SECOND).status is Status.PASS


def test_log_group_target_notifies_no_one() -> None:
    arn = f"arn:aws:logs:{SECOND}:{ACCOUNT}:log-group:/aws/events/root"
    rule = event_rule(SECOND, arn, targets=[EventTarget(id="t", arn=arn)])
    snap = with_region(good_snapshot(), SECOND, event_rules=[rule])
    assert eventbridge(evaluate(snap), SECOND).status is Status.FAIL


def test_forwarding_to_the_home_region_bus_counts_when_home_alerts() -> None:
    bus = f"arn:aws:events:{HOME}:{ACCOUNT}:event-bus/default"
    forward = event_rule(SECOND, bus, targets=[EventTarget(id="home", arn=bus)])
    snap = with_region(good_snapshot(), SECOND, event_rules=[forward])
    assert eventbridge(evaluate(snap), SECOND).status is Status.PASS
    # ... and fails when the home region has no alerting rule.
    snap = with_region(snap, HOME, event_rules=[])
    report = evaluate(snap)
    assert eventbridge(report, SECOND).status is Status.FAIL
    assert eventbridge(report, HOME).status is Status.FAIL


def test_forwarding_to_another_account_is_unknown() -> None:
    bus = f"arn:aws:events:{HOME}:{OTHER_ACCOUNT}:event-bus/default"
    forward = event_rule(SECOND, bus, targets=[EventTarget(id="central", arn=bus)])
    snap = with_region(good_snapshot(), SECOND, event_rules=[forward])
    assert eventbridge(evaluate(snap), SECOND).status is Status.UNKNOWN


def test_denied_rule_listing_makes_that_region_unknown() -> None:
    snap = with_gap(
        with_region(good_snapshot(), SECOND, event_rules=None),
        denied("events", "ListRules", SECOND),
    )
    report = evaluate(snap)
    finding = eventbridge(report, SECOND)
    assert finding.status is Status.UNKNOWN
    assert "events:ListRules in eu-west-1 failed: AccessDenied" in finding.detail
    assert eventbridge(report, HOME).status is Status.PASS


def test_denied_target_listing_makes_the_region_unknown() -> None:
    rule = event_rule(SECOND, TOPIC_ARN_2, targets=None)
    snap = with_gap(
        with_region(good_snapshot(), SECOND, event_rules=[rule]),
        denied("events", "ListTargetsByRule", SECOND, resource=rule.arn),
    )
    finding = eventbridge(evaluate(snap), SECOND)
    assert finding.status is Status.UNKNOWN
    assert "events:ListTargetsByRule" in finding.detail


def test_invalid_rule_pattern_is_reported_and_does_not_count() -> None:
    rule = event_rule(SECOND, TOPIC_ARN_2, event_pattern='{"detail": "Root"}')
    snap = with_region(good_snapshot(), SECOND, event_rules=[rule])
    finding = eventbridge(evaluate(snap), SECOND)
    assert finding.status is Status.FAIL
    assert "root-activity" in finding.evidence["invalid_patterns"]


def test_region_listed_but_not_collected_is_unknown() -> None:
    snap = good_snapshot(regions=[HOME, SECOND, "ap-south-1"])
    assert eventbridge(evaluate(snap), "ap-south-1").status is Status.UNKNOWN


def test_no_region_collected_still_reports_eventbridge_as_unknown() -> None:
    report = evaluate(good_snapshot(regions=[], region_data={}))
    finding = one(report, "monitoring.root_eventbridge")
    assert finding.status is Status.UNKNOWN


# ----------------------------------------------------------------------------- config


def test_config_without_the_root_rules_fails() -> None:
    snap = with_region(good_snapshot(), HOME, config_rules=config_rules(HOME, ROOT_RULES[0]))
    finding = one(evaluate(snap), "config.root_rules")
    assert finding.status is Status.FAIL
    assert "IAM_ROOT_ACCESS_KEY_CHECK" in finding.detail


def test_config_rules_in_a_region_whose_recorder_is_off_fail() -> None:
    snap = with_region(good_snapshot(), HOME, config_recorders=[recorder(HOME, recording=False)])
    assert one(evaluate(snap), "config.root_rules").status is Status.FAIL


def test_config_recording_without_global_resources_anywhere_fails() -> None:
    snap = with_region(
        good_snapshot(), HOME, config_recorders=[recorder(HOME, include_global=False)]
    )
    finding = one(evaluate(snap), "config.root_rules")
    assert finding.status is Status.FAIL
    assert "IAM (global)" in finding.detail


def test_config_rules_in_second_region_with_global_recording_in_home_pass() -> None:
    snap = with_region(good_snapshot(), HOME, config_rules=[])
    snap = with_region(snap, SECOND, config_rules=config_rules(SECOND, *ROOT_RULES))
    finding = one(evaluate(snap), "config.root_rules")
    assert finding.status is Status.PASS
    assert finding.region == SECOND


def test_config_recorder_recording_only_iam_types_counts() -> None:
    rec = recorder(HOME).model_copy(
        update={
            "recording_group": {
                "allSupported": False,
                "includeGlobalResourceTypes": False,
                "resourceTypes": ["AWS::IAM::User", "AWS::IAM::Role"],
                "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
            }
        }
    )
    snap = with_region(good_snapshot(), HOME, config_recorders=[rec])
    assert one(evaluate(snap), "config.root_rules").status is Status.PASS


def test_denied_config_reads_make_config_unknown_naming_the_call() -> None:
    snap = with_region(good_snapshot(), HOME, config_rules=None)
    snap = with_region(snap, SECOND, config_rules=None)
    snap = with_gap(
        snap,
        denied("config", "DescribeConfigRules", HOME),
        denied("config", "DescribeConfigRules", SECOND),
    )
    finding = one(evaluate(snap), "config.root_rules")
    assert finding.status is Status.UNKNOWN
    assert "config:DescribeConfigRules in us-east-1 failed: AccessDenied" in finding.detail


# ----------------------------------------------------------------------------- topic policy


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def topic_policy_finding(document: str, region: str = HOME) -> Finding:
    arn = TOPIC_ARN if region == HOME else TOPIC_ARN_2
    snap = with_region(good_snapshot(), region, topics=[topic(arn, policy=document)])
    return one(evaluate(snap), "monitoring.alert_topic_secure", region)


def test_default_sns_policy_with_source_owner_condition_passes() -> None:
    assert topic_policy_finding(topic().policy or "").status is Status.PASS


def test_wildcard_principal_without_condition_fails() -> None:
    doc = policy(
        {
            "Sid": "open",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "sns:Subscribe",
            "Resource": TOPIC_ARN,
        }
    )
    finding = topic_policy_finding(doc)
    assert finding.status is Status.FAIL
    assert finding.evidence["problems"] == [
        "statement open grants '*' without an account condition"
    ]


def test_wildcard_principal_limited_to_another_account_fails() -> None:
    doc = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sns:Publish",
            "Resource": TOPIC_ARN,
            "Condition": {"StringEquals": {"aws:SourceAccount": OTHER_ACCOUNT}},
        }
    )
    assert topic_policy_finding(doc).status is Status.FAIL


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        {"StringEquals": {"AWS:SourceOwner": ACCOUNT}},
        {"StringEquals": {"aws:PrincipalAccount": [ACCOUNT]}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{HOME}:{ACCOUNT}:alarm:*"}},
    ],
)
def test_wildcard_principal_restricted_to_this_account_passes(condition: dict[str, Any]) -> None:
    doc = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "sns:Publish",
            "Resource": TOPIC_ARN,
            "Condition": condition,
        }
    )
    assert topic_policy_finding(doc).status is Status.PASS


def test_if_exists_and_org_conditions_do_not_restrict_to_the_account() -> None:
    for condition in (
        {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}},
    ):
        doc = policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": TOPIC_ARN,
                "Condition": condition,
            }
        )
        assert topic_policy_finding(doc).status is Status.FAIL, condition


def test_other_account_principal_fails_and_own_account_passes() -> None:
    other = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
            "Action": "sns:Subscribe",
            "Resource": TOPIC_ARN,
        }
    )
    own = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/ops"]},
            "Action": "sns:Subscribe",
            "Resource": TOPIC_ARN,
        }
    )
    assert topic_policy_finding(other).status is Status.FAIL
    assert topic_policy_finding(own).status is Status.PASS


def test_service_principals_pass() -> None:
    doc = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
            "Action": "sns:Publish",
            "Resource": TOPIC_ARN,
        }
    )
    finding = topic_policy_finding(doc)
    assert finding.status is Status.PASS
    assert finding.evidence["service_principals"] == [
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    ]


def test_deny_statements_are_ignored_and_not_principal_allow_fails() -> None:
    deny = policy({"Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": TOPIC_ARN})
    assert topic_policy_finding(deny).status is Status.PASS
    not_principal = policy(
        {
            "Effect": "Allow",
            "NotPrincipal": {"AWS": ACCOUNT},
            "Action": "sns:Publish",
            "Resource": TOPIC_ARN,
        }
    )
    assert topic_policy_finding(not_principal).status is Status.FAIL


def test_eventbridge_topic_is_judged_too() -> None:
    doc = policy(
        {"Effect": "Allow", "Principal": "*", "Action": "sns:Subscribe", "Resource": TOPIC_ARN_2}
    )
    finding = topic_policy_finding(doc, SECOND)
    assert finding.status is Status.FAIL
    assert finding.evidence["used_by"] == ["rule:eu-west-1/root-activity"]


def test_denied_topic_attributes_make_the_policy_unknown() -> None:
    snap = with_gap(
        with_region(good_snapshot(), HOME, topics=[topic(policy=None)]),
        denied("sns", "GetTopicAttributes", HOME, resource=TOPIC_ARN),
    )
    finding = one(evaluate(snap), "monitoring.alert_topic_secure", HOME)
    assert finding.status is Status.UNKNOWN
    assert "sns:GetTopicAttributes" in finding.detail


def test_no_alert_topic_is_not_applicable() -> None:
    snap = with_region(good_snapshot(), HOME, alarms=[], event_rules=[])
    snap = with_region(snap, SECOND, event_rules=[])
    finding = one(evaluate(snap), "monitoring.alert_topic_secure")
    assert finding.status is Status.NOT_APPLICABLE


def test_metric_filter_publishing_dimensions_is_not_judged() -> None:
    transformation = MetricTransformation.model_validate(
        {
            "metricName": METRIC,
            "metricNamespace": NAMESPACE,
            "metricValue": "1",
            "dimensions": {"user": "$.userIdentity.arn"},
        }
    )
    group = LogGroup(
        log_group_name=LOG_GROUP,
        arn=LOG_GROUP_ARN,
        metric_filters=[metric_filter(metric_transformations=[transformation])],
    )
    finding = chain(with_region(good_snapshot(), HOME, log_groups=[group]))
    assert finding.status is Status.UNKNOWN
    assert "dimensions" in finding.detail
