"""rootguard._judge: the judgements evaluate(), plan() and apply() share. What the planner
builds must pass the checks' judgement of it; the checks' edge cases are in test_checks*."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rootguard._canonical import eventbridge_root_envelopes
from rootguard._event_pattern import event_pattern_matches
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
from rootguard._judge import (
    active_managed_rules,
    alarm_fires,
    is_cis_pattern,
    judge_filter_pattern,
    judge_selectors,
    parse_log_group_arn,
    records_iam,
    rule_accepts_custom_events,
    rule_matches_root_activity,
)
from rootguard._remediation._constants import ROOT_EVENT_PATTERN
from rootguard._remediation._context import (
    MANAGEMENT_ADVANCED_SELECTOR,
    MANAGEMENT_BASIC_SELECTOR,
    with_iam,
)
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._planner import plan
from rootguard._snapshot import (
    AccountSnapshot,
    Alarm,
    ConfigRule,
    EventRule,
    MetricTransformation,
)
from tests.snapshot_builders import ACCOUNT, HOME

WRITE_ONLY = {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}
KMS_EXCLUDED = {"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}


@pytest.mark.parametrize(
    ("basic", "advanced"),
    [
        ([MANAGEMENT_BASIC_SELECTOR], None),
        ([WRITE_ONLY, MANAGEMENT_BASIC_SELECTOR], None),
        (None, [MANAGEMENT_ADVANCED_SELECTOR]),
        ([], [MANAGEMENT_ADVANCED_SELECTOR]),  # advanced selectors win when present
    ],
)
def test_the_selectors_rootguard_appends_record_every_management_event(
    basic: list[dict[str, Any]] | None, advanced: list[dict[str, Any]] | None
) -> None:
    verdict = judge_selectors(basic, advanced, ACCOUNT)
    assert verdict is not None
    assert verdict.records_all
    assert verdict.kind == ("advanced" if advanced else "basic")


def test_selector_verdicts() -> None:
    assert judge_selectors(None, None, ACCOUNT) is None  # not read
    write_only = judge_selectors([WRITE_ONLY], None, ACCOUNT)
    assert write_only is not None
    assert not write_only.records_all
    assert "iam.amazonaws.com:ListUsers (read)" in write_only.unrecorded
    kms = judge_selectors([KMS_EXCLUDED], None, ACCOUNT)
    assert kms is not None
    assert not kms.records_all
    accepted = judge_selectors([KMS_EXCLUDED], None, ACCOUNT, allow_excluded_sources=True)
    assert accepted is not None
    assert accepted.records_all
    assert "kms.amazonaws.com:Decrypt (read)" in accepted.accepted_exclusions


def test_cis_pattern_text_and_meaning() -> None:
    verdict = judge_filter_pattern(CIS_ROOT_FILTER_PATTERN, ACCOUNT, HOME)
    assert verdict.ok
    assert verdict.exact_cis
    assert is_cis_pattern("  " + CIS_ROOT_FILTER_PATTERN.replace(" ", "   ") + "\n")
    reordered = (
        '{ $.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.userIdentity.type = "Root" }'
    )
    assert judge_filter_pattern(reordered, ACCOUNT, HOME).ok  # works ...
    assert not is_cis_pattern(reordered)  # ... but is not the text CloudWatch.1 wants
    assert not is_cis_pattern(None)
    broken = judge_filter_pattern("{ $.userIdentity.type = ", ACCOUNT, HOME)
    assert not broken.ok
    assert broken.error


@pytest.mark.parametrize("region", [HOME, "eu-west-1", "ap-southeast-2"])
def test_rootguards_rule_pattern_matches_root_activity(region: str) -> None:
    rule = EventRule(
        name="r",
        arn=f"arn:aws:events:{region}:{ACCOUNT}:rule/r",
        region=region,
        state="ENABLED",
        event_pattern=json.dumps(ROOT_EVENT_PATTERN),
    )
    assert rule_matches_root_activity(rule, ACCOUNT)
    api_only = rule.model_copy(
        update={"event_pattern": json.dumps({"detail-type": ["AWS API Call via CloudTrail"]})}
    )
    assert not rule_matches_root_activity(api_only, ACCOUNT)  # misses sign-ins
    assert not rule_matches_root_activity(rule.model_copy(update={"event_pattern": "["}), ACCOUNT)
    assert not rule_matches_root_activity(rule.model_copy(update={"event_pattern": None}), ACCOUNT)


def test_canonical_envelopes_carry_the_source_aws_gives_them() -> None:
    envelopes = eventbridge_root_envelopes(ACCOUNT, HOME)
    for event in envelopes:
        service = event.record["detail"]["eventSource"].split(".")[0]
        assert event.record["source"] == f"aws.{service}", event.name
    assert {e.record["source"] for e in envelopes} >= {"aws.signin", "aws.iam"}


def _rule(pattern: Any, region: str = HOME) -> EventRule:
    return EventRule(
        name="r",
        arn=f"arn:aws:events:{region}:{ACCOUNT}:rule/r",
        region=region,
        state="ENABLED",
        event_pattern=json.dumps(pattern),
    )


def test_rootguards_rule_refuses_custom_events() -> None:
    assert ROOT_EVENT_PATTERN["source"] == [{"prefix": "aws."}]
    rule = _rule(ROOT_EVENT_PATTERN)
    assert rule_matches_root_activity(rule, ACCOUNT)
    assert not rule_accepts_custom_events(rule, ACCOUNT)
    for event in eventbridge_root_envelopes(ACCOUNT, HOME):
        forged = {**event.record, "source": "my.app"}
        assert not event_pattern_matches(ROOT_EVENT_PATTERN, forged), event.name
        lookalike = {**event.record, "source": "awsx.signin"}  # prefix means "aws." exactly
        assert not event_pattern_matches(ROOT_EVENT_PATTERN, lookalike), event.name
        other_type = {**event.record, "detail-type": "Root Activity"}
        assert not event_pattern_matches(ROOT_EVENT_PATTERN, other_type), event.name


def test_a_rule_without_a_source_constraint_still_catches_root_activity() -> None:
    # Permissive is not a coverage failure: the rule sees every root event, and more.
    permissive = _rule({k: v for k, v in ROOT_EVENT_PATTERN.items() if k != "source"})
    assert rule_matches_root_activity(permissive, ACCOUNT)
    assert rule_accepts_custom_events(permissive, ACCOUNT)
    broken = permissive.model_copy(update={"event_pattern": "["})
    assert not rule_accepts_custom_events(broken, ACCOUNT)


def test_rootguards_alarm_fires_on_rootguards_metric() -> None:
    empty = {
        "region": HOME,
        "trails": [],  # read, none there (None would block the new trail and its chain)
        "log_groups": [],
        "alarms": [],
        "topics": [],
        "event_rules": [],
    }
    snap = AccountSnapshot(account_id=ACCOUNT, regions=[HOME], trails=[], region_data={HOME: empty})
    p = plan(snap, RemediationOptions(alert_emails=("a@example.com",)))
    (put,) = [a for a in p.api_actions if a.kind == "PutMetricAlarm"]
    (mf,) = [a for a in p.api_actions if a.kind == "PutMetricFilter"]
    params = {k: v for k, v in put.params.items() if k != "Tags"}
    alarm = Alarm.model_validate(params)
    metric = MetricTransformation.model_validate(mf.params["metricTransformations"][0])
    assert alarm_fires(alarm, metric.metric_name, metric.metric_namespace, metric) == (True, "")
    half = metric.model_copy(update={"metric_value": "0.5"})
    fires, why = alarm_fires(alarm, metric.metric_name, metric.metric_namespace, half)
    assert fires is False
    assert "does not fire" in why


@pytest.mark.parametrize(
    "group",
    [
        {"allSupported": True, "includeGlobalResourceTypes": False},
        {"allSupported": False, "resourceTypes": ["AWS::EC2::Instance"]},
        {
            "allSupported": False,
            "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
            "exclusionByResourceTypes": {
                "resourceTypes": [
                    "AWS::IAM::User",
                    "AWS::IAM::Role",
                    "AWS::IAM::Group",
                    "AWS::IAM::Policy",
                ]
            },
        },
    ],
)
def test_the_recording_group_rootguard_extends_records_iam(group: dict[str, Any]) -> None:
    assert records_iam(group) is False
    assert records_iam(with_iam(group)) is True


def test_records_iam_unknown_and_empty() -> None:
    assert records_iam(None) is None
    assert records_iam({}) is False


def test_active_managed_rules() -> None:
    def rule(ident: str | None, owner: str | None = "AWS", state: str | None = None) -> Any:
        return ConfigRule(
            config_rule_name="r",
            region=HOME,
            source_identifier=ident,
            source_owner=owner,
            config_rule_state=state,
        )

    rules = [
        rule("ROOT_ACCOUNT_MFA_ENABLED"),
        rule("IAM_ROOT_ACCESS_KEY_CHECK", state="DELETING"),
        rule("ROOT_ACCOUNT_HARDWARE_MFA_ENABLED", owner="CUSTOM_LAMBDA"),
        rule(None),
        rule("ACCESS_KEYS_ROTATED", owner=None, state="ACTIVE"),
    ]
    assert active_managed_rules(rules) == {"ROOT_ACCOUNT_MFA_ENABLED", "ACCESS_KEYS_ROTATED"}
    assert active_managed_rules(None) == set()


def test_parse_log_group_arn() -> None:
    arn = f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:/aws/cloudtrail/x:*"
    assert parse_log_group_arn(arn) == (HOME, ACCOUNT, "/aws/cloudtrail/x")
    assert parse_log_group_arn(arn.removesuffix(":*")) == (HOME, ACCOUNT, "/aws/cloudtrail/x")
    assert parse_log_group_arn(f"arn:aws:sns:{HOME}:{ACCOUNT}:topic") is None
    assert parse_log_group_arn("garbage") is None
