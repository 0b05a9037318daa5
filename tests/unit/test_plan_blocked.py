"""plan() never builds what it could not see.

A collection that is None was not read (a Gap names the call that failed); "unknown" is
never "absent". For each collection the planner depends on, a snapshot that needs work on
it gets, once that collection is unread, no action touching it, a blocked entry naming the
gap, and still the unrelated work. Properties: one unread collection never adds an action,
and on a fully monitored account no single unread collection makes the plan do anything.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rootguard import BlockedItem, BlockedKind, Gap, PlanError
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._plan import Plan
from rootguard._remediation._planner import plan
from rootguard._snapshot import AccountSnapshot, EventRule, RegionSnapshot
from tests.snapshot_builders import (
    ACCOUNT,
    HOME,
    LOG_GROUP_ARN,
    SECOND,
    TRAIL_ARN,
    credential_report,
    denied,
    good_snapshot,
    metric_filter,
    recorder,
    root_row,
    single_faults,
    summary,
    topic,
    trail,
    with_gap,
    with_region,
)
from tests.strategies import rm_unread_one

OPTS = RemediationOptions(alert_emails=("secops@example.com",))
PINNED = OPTS.model_copy(update={"home_region": HOME})
WRITE_ONLY = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
OUR_TOPIC = f"arn:aws:sns:{HOME}:{ACCOUNT}:rootguard-root-activity"


def kinds(p: Plan, region: str | None = "any") -> set[str]:
    return {a.kind for a in p.actions if region in ("any", a.region)}


def keys(p: Plan) -> set[tuple[str, str | None, str]]:
    """Actions keyed by kind, region and resource."""
    return {(a.kind, a.region, a.resource) for a in p.actions}


def blocked(p: Plan, kind: str, region: str | None = "any") -> BlockedItem:
    found = [b for b in p.blocked if b.kind == kind and region in ("any", b.region)]
    assert len(found) == 1, [b.id for b in p.blocked]
    return found[0]


def unread(
    snap: AccountSnapshot, region: str, field: str, service: str, operation: str
) -> tuple[AccountSnapshot, Gap]:
    """The region's collection set to None, with the gap collect() records."""
    gap = denied(service, operation, region)
    return with_gap(with_region(snap, region, **{field: None}), gap), gap


def no_rules(snap: AccountSnapshot, *regions: str) -> AccountSnapshot:
    for region in regions:
        snap = with_region(snap, region, event_rules=[])
    return snap


def empty_region(region: str, **changes: Any) -> RegionSnapshot:
    """Every collection read, none there."""
    fields: dict[str, Any] = {
        name: []
        for name in (
            "trails",
            "log_groups",
            "alarms",
            "topics",
            "event_rules",
            "config_recorders",
            "config_rules",
            "delivery_channels",
        )
    }
    fields.update(changes)
    return RegionSnapshot(region=region, **fields)


def empty_account(**changes: Any) -> AccountSnapshot:
    fields: dict[str, Any] = {
        "account_id": ACCOUNT,
        "regions": [HOME, SECOND],
        "trails": [],
        "region_data": {HOME: empty_region(HOME), SECOND: empty_region(SECOND)},
        "account_summary": summary(),
    }
    fields.update(changes)
    return AccountSnapshot(**fields)


def with_wrong_filter(snap: AccountSnapshot) -> AccountSnapshot:
    """The trail's log group holds only a filter that misses root activity."""
    group = good_snapshot().region_data[HOME].log_groups[0]  # type: ignore[index]
    wrong = metric_filter(pattern='{ $.userIdentity.type = "IAMUser" }')
    return with_region(
        snap, HOME, log_groups=[group.model_copy(update={"metric_filters": [wrong]})]
    )


def assert_blocked_not_built(
    p: Plan, gap: Gap, *never: str, kind: str | None = None
) -> BlockedItem:
    """No action of the kinds ``never``; one blocked entry (of ``kind``) names the gap
    itself (others may wait for it) and the permission that would unblock it."""
    assert not set(never) & kinds(p), [a.id for a in p.actions]
    assert not p.complete
    (item,) = [
        b for b in p.blocked if gap in b.gaps and not b.depends_on and kind in (None, b.kind)
    ]
    assert f"{gap.service}:{gap.operation}" in item.permissions
    return item


# ------------------------------------------------------------------------------ trails


def describe_trails_denied(snap: AccountSnapshot) -> tuple[AccountSnapshot, list[Gap]]:
    """DescribeTrails failed in every region: no trail could be listed at all."""
    gaps = [denied("cloudtrail", "DescribeTrails", r) for r in (HOME, SECOND)]
    snap = snap.model_copy(update={"trails": None})
    for region in (HOME, SECOND):
        snap = with_region(snap, region, trails=None, log_groups=None)
    return with_gap(snap, *gaps), gaps


def test_describe_trails_unread_on_an_account_with_a_trail_builds_no_second_trail() -> None:
    base = no_rules(good_snapshot(trails=[trail(log_file_validation_enabled=False)]), SECOND)
    assert "UpdateTrail" in kinds(plan(base, PINNED))  # the account's trail is adopted
    snap, gaps = describe_trails_denied(base)
    p = plan(snap, PINNED)
    never = {"CreateTrail", "UpdateTrail", "CreateLogGroup", "PutRetentionPolicy", "CreateBucket"}
    assert not never & kinds(p)
    assert not {"PutMetricFilter", "PutMetricAlarm"} & kinds(p)
    item = blocked(p, "trail")
    assert list(item.gaps) == gaps
    assert item.permissions == ("cloudtrail:DescribeTrails",)
    assert blocked(p, "metric_filter").depends_on == (item.id,)
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}  # the unrelated work


def test_describe_trails_unread_without_a_home_region_plans_no_home_work() -> None:
    # The home region follows the trail to adopt: unknown, so nothing is built in a region
    # that might be the wrong one; the blocked entries say to pass home_region.
    snap, _ = describe_trails_denied(no_rules(good_snapshot(), SECOND))
    p = plan(snap, OPTS)
    assert p.actions == ()
    rule = blocked(p, "eventbridge_rule", SECOND)
    assert "pass home_region" in rule.description
    assert rule.permissions == ("cloudtrail:DescribeTrails",)


def test_home_region_trails_unread_blocks_a_new_trail_not_the_rest() -> None:
    gap = denied("cloudtrail", "DescribeTrails", HOME)
    snap = with_gap(with_region(empty_account(), HOME, trails=None, log_groups=None), gap)
    assert "CreateTrail" in kinds(plan(empty_account(), OPTS))
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "CreateTrail", "CreateLogGroup", "PutMetricFilter")
    assert item.kind == "trail"
    assert {"PutRule", "PutTargets"} <= kinds(p, SECOND)
    assert "PutConfigRule" in kinds(p)
    bucket = next(a for a in p.api_actions if a.kind == "CreateBucket")
    assert bucket.fixes == ("config.root_rules",)  # for AWS Config only, not for a trail


def test_home_region_trails_unread_still_adopts_a_trail_seen_from_another_region() -> None:
    gap = denied("cloudtrail", "DescribeTrails", HOME)
    base = good_snapshot(trails=[trail(log_file_validation_enabled=False)])
    snap = with_gap(with_region(base, HOME, trails=None, log_groups=None), gap)
    p = plan(snap, OPTS)
    (update,) = [a for a in p.api_actions if a.kind == "UpdateTrail"]
    assert update.params == {"Name": "main", "EnableLogFileValidation": True}
    assert "CreateTrail" not in kinds(p)


def test_trail_status_unread_is_not_started_nor_replaced() -> None:
    base = no_rules(good_snapshot(trails=[trail(is_logging=False)]), SECOND)
    assert "StartLogging" in kinds(plan(base, OPTS))
    gap = denied("cloudtrail", "GetTrailStatus", HOME, resource=TRAIL_ARN)
    snap = with_gap(good_snapshot(trails=[trail(is_logging=None)]), gap)
    p = plan(no_rules(snap, SECOND), OPTS)
    item = assert_blocked_not_built(p, gap, "StartLogging", "CreateTrail", "UpdateTrail")
    assert item.kind == "trail"
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}


def test_adopted_trail_with_unread_status_still_gets_its_selectors() -> None:
    # Write-only selectors disqualify the trail whatever its status: it is adopted and its
    # selectors are fixed; only starting it waits for its status.
    gap = denied("cloudtrail", "GetTrailStatus", HOME, resource=TRAIL_ARN)
    snap = with_gap(good_snapshot(trails=[trail(is_logging=None, event_selectors=WRITE_ONLY)]), gap)
    p = plan(snap, OPTS)
    assert "PutEventSelectors" in kinds(p)
    item = assert_blocked_not_built(p, gap, "StartLogging", "CreateTrail")
    assert item.kind == "trail_logging"
    assert item.resource == TRAIL_ARN


def test_trail_selectors_unread_are_not_replaced() -> None:
    assert "PutEventSelectors" in kinds(
        plan(good_snapshot(trails=[trail(event_selectors=WRITE_ONLY)]), OPTS)
    )
    gap = denied("cloudtrail", "GetEventSelectors", HOME, resource=TRAIL_ARN)
    snap = with_gap(good_snapshot(trails=[trail(event_selectors=None)]), gap)
    p = plan(no_rules(snap, SECOND), OPTS)
    item = assert_blocked_not_built(p, gap, "PutEventSelectors", "CreateTrail", "UpdateTrail")
    assert item.kind == "trail"
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}


def test_stopped_trail_with_unread_selectors_is_started_but_not_reselected() -> None:
    gap = denied("cloudtrail", "GetEventSelectors", HOME, resource=TRAIL_ARN)
    snap = with_gap(good_snapshot(trails=[trail(is_logging=False, event_selectors=None)]), gap)
    p = plan(snap, OPTS)
    assert "StartLogging" in kinds(p)
    item = assert_blocked_not_built(p, gap, "PutEventSelectors", "CreateTrail")
    assert item.kind == "trail_selectors"


def test_trail_tags_unread_block_nothing_no_work_depends_on_them() -> None:
    base = good_snapshot(trails=[trail(log_file_validation_enabled=False)])
    gap = denied("cloudtrail", "ListTags", HOME, resource=TRAIL_ARN)
    snap = with_gap(
        base.model_copy(update={"trails": [trail(log_file_validation_enabled=False, tags=None)]}),
        gap,
    )
    assert plan(snap, OPTS).actions == plan(base, OPTS).actions
    assert plan(snap, OPTS).complete


def test_choosing_between_trails_whose_status_is_unread_is_not_guessed() -> None:
    # Two multi-region trails that both fail (write-only selectors): the one logging is
    # adopted. When neither status is known, which one to adopt is not guessed.
    other = f"arn:aws:cloudtrail:{HOME}:{ACCOUNT}:trail/second"
    first = trail(is_logging=True, event_selectors=WRITE_ONLY, cloud_watch_logs_log_group_arn=None)
    second = trail(name="second", trail_arn=other, is_logging=False, event_selectors=WRITE_ONLY)
    assert {
        a.resource
        for a in plan(good_snapshot(trails=[first, second]), PINNED).api_actions
        if a.kind == "PutEventSelectors"
    } == {TRAIL_ARN}
    gaps = [denied("cloudtrail", "GetTrailStatus", HOME, resource=a) for a in (TRAIL_ARN, other)]
    snap = with_gap(
        good_snapshot(
            trails=[
                first.model_copy(update={"is_logging": None}),
                second.model_copy(update={"is_logging": None}),
            ]
        ),
        *gaps,
    )
    p = plan(snap, PINNED)
    assert not {"UpdateTrail", "PutEventSelectors", "StartLogging", "CreateTrail"} & kinds(p)
    assert list(blocked(p, "trail").gaps) == gaps


# ------------------------------------------------------------------------- log groups


def test_log_group_description_unread_blocks_nothing_built_on_it() -> None:
    # DescribeLogGroups failed for the trail's group: it is still listed (its retention and
    # KMS key unknown). Nothing rootguard does changes them; the filter is still planned.
    base = with_wrong_filter(good_snapshot())
    group = base.region_data[HOME].log_groups[0]  # type: ignore[index]
    gap = denied("logs", "DescribeLogGroups", HOME, resource=LOG_GROUP_ARN)
    snap = with_gap(
        with_region(
            base,
            HOME,
            log_groups=[group.model_copy(update={"retention_in_days": None, "kms_key_id": None})],
        ),
        gap,
    )
    p = plan(snap, OPTS)
    assert keys(p) == keys(plan(base, OPTS))
    assert "PutMetricFilter" in kinds(p)
    assert not {"CreateLogGroup", "PutRetentionPolicy"} & kinds(p)


def test_log_group_named_by_a_gap_but_not_listed_is_not_recreated() -> None:
    gap = denied("logs", "DescribeLogGroups", HOME, resource=LOG_GROUP_ARN)
    snap = with_gap(with_region(with_wrong_filter(good_snapshot()), HOME, log_groups=[]), gap)
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "CreateLogGroup", "PutMetricFilter", "PutMetricAlarm")
    assert item.kind == "metric_filter"


def test_metric_filters_unread_get_no_filter_and_no_alarm() -> None:
    base = no_rules(with_wrong_filter(good_snapshot()), SECOND)
    assert {"PutMetricFilter", "PutMetricAlarm"} <= kinds(plan(base, OPTS))
    group = base.region_data[HOME].log_groups[0]  # type: ignore[index]
    gap = denied("logs", "DescribeMetricFilters", HOME, resource=LOG_GROUP_ARN)
    snap = with_gap(
        with_region(base, HOME, log_groups=[group.model_copy(update={"metric_filters": None})]),
        gap,
    )
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "PutMetricFilter", "PutMetricAlarm")
    assert item.kind == "metric_filter"
    assert item.fixes == ("monitoring.root_metric_alarm",)
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}


def test_log_groups_unread_in_the_home_region_get_no_filter() -> None:
    snap, gap = unread(
        with_wrong_filter(good_snapshot()), HOME, "log_groups", "logs", "DescribeLogGroups"
    )
    p = plan(snap, OPTS)
    assert_blocked_not_built(p, gap, "PutMetricFilter", "PutMetricAlarm", "CreateLogGroup")


# ------------------------------------------------------------------------------ alarms


def test_alarms_unread_block_the_alarm_not_the_filter() -> None:
    base = with_region(with_wrong_filter(good_snapshot()), HOME, alarms=[])
    snap, gap = unread(base, HOME, "alarms", "cloudwatch", "DescribeAlarms")
    p = plan(no_rules(snap, SECOND), OPTS)
    assert "PutMetricFilter" in kinds(p)  # the filters were read: the filter is known missing
    item = assert_blocked_not_built(p, gap, "PutMetricAlarm")
    assert item.kind == "metric_alarm"
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}


def test_alarms_unread_behind_a_working_filter_block_the_chain() -> None:
    base = with_region(good_snapshot(), HOME, alarms=[])
    assert "PutMetricAlarm" in kinds(plan(base, OPTS))
    snap, gap = unread(base, HOME, "alarms", "cloudwatch", "DescribeAlarms")
    p = plan(snap, OPTS)
    assert_blocked_not_built(
        p, gap, "PutMetricAlarm", "PutMetricFilter", "CreateTopic", "Subscribe"
    )
    assert p.actions == ()


def test_alarms_unread_in_another_region_block_nothing() -> None:
    base = no_rules(with_region(good_snapshot(), HOME, alarms=[]), SECOND)
    snap, _ = unread(base, SECOND, "alarms", "cloudwatch", "DescribeAlarms")
    p = plan(snap, OPTS)
    assert p.actions == plan(base, OPTS).actions
    assert p.complete


# ------------------------------------------------------------------------------ topics


def test_topics_unread_block_the_topic_and_what_points_at_it() -> None:
    base = no_rules(good_snapshot(), HOME, SECOND)
    clean = plan(base, OPTS)
    assert {"CreateTopic", "SetTopicPolicy", "Subscribe", "PutRule", "PutTargets"} <= kinds(
        clean, HOME
    )
    snap, gap = unread(base, HOME, "topics", "sns", "ListTopics")
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(
        p, gap, "CreateTopic", "SetTopicPolicy", "Subscribe", kind="alert_topic"
    )
    assert "PutTargets" not in kinds(p, HOME)  # no target on a topic that was not planned
    targets = blocked(p, "eventbridge_targets", HOME)
    assert targets.depends_on == (item.id,)
    assert gap in targets.gaps
    assert "PutRule" in kinds(p, HOME)  # the rule itself is known to be missing
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}  # forwards to the home bus


def test_topic_attributes_unread_block_its_policy_and_what_needs_it() -> None:
    base = with_region(
        empty_account(), HOME, topics=[topic(OUR_TOPIC, policy="{}", subscriptions=[])]
    )
    assert {"SetTopicPolicy", "PutMetricAlarm", "Subscribe"} <= kinds(plan(base, OPTS))
    gap = denied("sns", "GetTopicAttributes", HOME, resource=OUR_TOPIC)
    snap = with_gap(
        with_region(base, HOME, topics=[topic(OUR_TOPIC, policy=None, subscriptions=[])]), gap
    )
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "SetTopicPolicy", "PutMetricAlarm", "CreateTopic")
    assert item.kind == "alert_topic"
    assert "PutTargets" not in kinds(p, HOME)
    assert blocked(p, "metric_alarm").depends_on == (item.id,)
    assert "Subscribe" in kinds(p)  # the topic exists: subscribing does not need its policy
    assert "CreateTrail" in kinds(p)


def test_subscriptions_unread_are_not_subscribed_again() -> None:
    policy = next(a for a in plan(empty_account(), OPTS).api_actions if a.kind == "SetTopicPolicy")
    base = with_region(
        empty_account(),
        HOME,
        topics=[topic(OUR_TOPIC, policy=policy.params["AttributeValue"], subscriptions=[])],
    )
    assert "Subscribe" in kinds(plan(base, OPTS))
    gap = denied("sns", "ListSubscriptionsByTopic", HOME, resource=OUR_TOPIC)
    snap = with_gap(
        with_region(
            base,
            HOME,
            topics=[topic(OUR_TOPIC, policy=policy.params["AttributeValue"], subscriptions=None)],
        ),
        gap,
    )
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "Subscribe")
    assert item.kind == "alert_subscriptions"
    assert not p.manual_steps  # nor "nobody receives the alerts": that is unknown too
    assert {"PutMetricAlarm", "PutTargets", "CreateTrail"} <= kinds(p)


# ------------------------------------------------------------------------- EventBridge


def test_event_rules_unread_in_one_region_block_only_that_region() -> None:
    base = no_rules(good_snapshot(), HOME, SECOND)
    snap, gap = unread(base, SECOND, "event_rules", "events", "ListRules")
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap)
    assert item.kind == "eventbridge_rule"
    assert item.region == SECOND
    assert kinds(p, SECOND) == set()
    assert {"PutRule", "PutTargets"} <= kinds(p, HOME)  # ListRules worked there


def test_rule_targets_unread_are_not_overwritten() -> None:
    ours = EventRule(
        name="rootguard-root-activity",
        arn=f"arn:aws:events:{HOME}:{ACCOUNT}:rule/rootguard-root-activity",
        region=HOME,
        state="ENABLED",
        event_pattern=json.dumps(
            {
                "detail-type": [
                    "AWS API Call via CloudTrail",
                    "AWS Console Sign In via CloudTrail",
                ],
                "detail": {"userIdentity": {"type": ["Root"]}},
            }
        ),
        targets=[],
    )
    base = with_region(good_snapshot(), HOME, event_rules=[ours])
    assert "PutTargets" in kinds(plan(base, OPTS), HOME)
    gap = denied("events", "ListTargetsByRule", HOME, resource=ours.arn)
    snap = with_gap(
        with_region(base, HOME, event_rules=[ours.model_copy(update={"targets": None})]), gap
    )
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "PutTargets", "PutRule")
    assert item.kind == "eventbridge_rule"
    assert item.region == HOME


def test_a_region_not_collected_is_named_as_such_not_as_a_missing_gap() -> None:
    # eu-west-3 is asked for but was never collected: no call was made there, so there is
    # no gap to name; the blocked rule says the region was not collected.
    opts = OPTS.model_copy(update={"regions": (HOME, SECOND, "eu-west-3")})
    p = plan(empty_account(), opts)
    item = blocked(p, "eventbridge_rule", "eu-west-3")
    assert item.gaps == ()
    assert item.not_collected == ("eu-west-3",)
    assert item.why() == "eu-west-3 was not collected"
    assert "no gap recorded" not in p.to_text()
    assert "blocked by = eu-west-3 was not collected" in p.to_text()
    assert [b.region for b in p.blocked] == ["eu-west-3"]
    assert {"PutRule", "PutTargets"} <= kinds(p, SECOND)  # collected: planned
    assert Plan.from_json(p.to_json()) == p


def test_a_listed_region_without_data_is_not_collected_for_every_item_that_needs_it() -> None:
    snap = empty_account()
    snap = snap.model_copy(update={"region_data": {HOME: snap.region_data[HOME]}})
    p = plan(snap, OPTS)
    assert blocked(p, "eventbridge_rule", SECOND).why() == f"{SECOND} was not collected"
    assert blocked(p, "config").not_collected == (SECOND,)
    assert f"{SECOND} was not collected" in blocked(p, "config").why()


def test_why_without_gaps_or_regions_still_says_the_data_is_missing() -> None:
    item = BlockedItem(id="trail:global:x", kind="trail", region=None, description="x")
    assert "no gap recorded" in item.why()
    waiting = item.model_copy(update={"depends_on": ("trail:global:y",)})
    assert waiting.why() == "waits for trail:global:y"


# ---------------------------------------------------------------------------- Config


def without_config_rules(snap: AccountSnapshot) -> AccountSnapshot:
    return with_region(with_region(snap, HOME, config_rules=[]), SECOND, config_rules=[])


def test_config_recorders_unread_get_no_config() -> None:
    base = no_rules(without_config_rules(good_snapshot()), SECOND)
    assert "PutConfigRule" in kinds(plan(base, OPTS))
    snap, gap = unread(base, HOME, "config_recorders", "config", "DescribeConfigurationRecorders")
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "PutConfigRule", "PutConfigurationRecorder")
    assert item.kind == "config"
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}


def test_config_rules_unread_get_no_rule() -> None:
    base = no_rules(without_config_rules(good_snapshot()), SECOND)
    snap, gap = unread(base, HOME, "config_rules", "config", "DescribeConfigRules")
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "PutConfigRule")
    assert item.kind == "config"
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}


def test_delivery_channels_unread_get_no_channel_and_no_start() -> None:
    base = with_region(empty_account(), HOME, config_recorders=[recorder(HOME, recording=False)])
    assert {"PutDeliveryChannel", "StartConfigurationRecorder"} <= kinds(plan(base, OPTS))
    snap, gap = unread(base, HOME, "delivery_channels", "config", "DescribeDeliveryChannels")
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap, "PutDeliveryChannel", "StartConfigurationRecorder")
    assert item.kind == "config_delivery_channel"
    assert "CreateTrail" in kinds(p)
    assert all(a.fixes != ("config.root_rules",) for a in p.api_actions if a.kind == "CreateBucket")


# ----------------------------------------------------------------------- root, account

NO_ROOT_MFA: dict[str, Any] = {
    "credential_report": credential_report(root_row(mfa_active="false")),
    "account_summary": summary(mfa=0),
}


def test_credential_report_unread_blocks_the_root_mfa_step() -> None:
    base = no_rules(good_snapshot(**NO_ROOT_MFA), SECOND)
    assert [s.fixes for s in plan(base, OPTS).manual_steps] == [("root.mfa_enabled",)]
    gap = denied("iam", "GetCredentialReport")
    # The summary says no MFA; whether root has a password at all (when MFA matters) is
    # in the report only.
    p = plan(with_gap(base.model_copy(update={"credential_report": None}), gap), OPTS)
    item = assert_blocked_not_built(p, gap, "ManualStep")
    assert item.kind == "root_mfa"
    assert item.permissions == ("iam:GetCredentialReport", "iam:GenerateCredentialReport")
    assert kinds(p, SECOND) == {"PutRule", "PutTargets"}


def test_account_summary_unread_blocks_a_step_the_stale_report_alone_asks_for() -> None:
    base = good_snapshot(**NO_ROOT_MFA)
    gap = denied("iam", "GetAccountSummary")
    p = plan(with_gap(base.model_copy(update={"account_summary": None}), gap), OPTS)
    item = assert_blocked_not_built(p, gap, "ManualStep")
    assert item.kind == "root_mfa"
    assert "up to 4 hours old" in item.description


def test_root_step_the_live_summary_decides_is_still_planned() -> None:
    base = good_snapshot(**NO_ROOT_MFA)
    gap = denied("iam", "GetCredentialReport")
    keys_only = base.model_copy(
        update={"credential_report": None, "account_summary": summary(mfa=1, keys=1)}
    )
    p = plan(with_gap(keys_only, gap), OPTS)
    assert [s.fixes for s in p.manual_steps] == [("root.no_access_keys",)]
    assert p.complete


@pytest.mark.parametrize(
    ("field", "operation"),
    [("virtual_mfa_devices", "ListVirtualMFADevices"), ("organization", "DescribeOrganization")],
)
def test_unread_account_data_no_work_depends_on_blocks_nothing(field: str, operation: str) -> None:
    base = no_rules(good_snapshot(**NO_ROOT_MFA), SECOND)
    gap = denied("iam" if field != "organization" else "organizations", operation)
    p = plan(with_gap(base.model_copy(update={field: None}), gap), OPTS)
    assert p.actions == plan(base, OPTS).actions
    assert p.complete


def test_a_region_with_nothing_collected_is_blocked_the_others_planned() -> None:
    base = no_rules(good_snapshot(), HOME, SECOND)
    gap = denied("cloudtrail", "DescribeTrails", SECOND)
    snap = with_gap(base.model_copy(update={"region_data": {HOME: base.region_data[HOME]}}), gap)
    p = plan(snap, OPTS)
    item = assert_blocked_not_built(p, gap)
    assert (item.kind, item.region) == ("eventbridge_rule", SECOND)
    assert kinds(p, SECOND) == set()
    assert {"PutRule", "PutTargets"} <= kinds(p, HOME)


def test_the_home_region_with_nothing_collected_blocks_home_work() -> None:
    base = no_rules(good_snapshot(), HOME, SECOND)
    gap = denied("cloudtrail", "DescribeTrails", HOME)
    snap = with_gap(
        base.model_copy(update={"region_data": {SECOND: base.region_data[SECOND]}}), gap
    )
    p = plan(snap, OPTS)
    assert kinds(p, HOME) == set()
    assert gap in blocked(p, "eventbridge_rule", HOME).gaps
    assert {"PutRule", "PutTargets"} <= kinds(p, SECOND)  # forwards to the home bus


# --------------------------------------------------------------------- the plan itself


def alarms_unread_plan() -> tuple[Plan, Gap]:
    base = with_region(with_wrong_filter(good_snapshot()), HOME, alarms=[])
    snap, gap = unread(base, HOME, "alarms", "cloudwatch", "DescribeAlarms")
    return plan(snap, OPTS), gap


def test_to_text_says_first_that_the_plan_is_incomplete() -> None:
    p, gap = alarms_unread_plan()
    text = p.to_text()
    lines = text.splitlines()
    assert lines[2] == (
        "INCOMPLETE PLAN: 1 item could not be planned because rootguard could not read "
        "what it depends on."
    )
    assert text.index("? metric_alarm [us-east-1]") < text.index("+ logs:PutMetricFilter")
    assert f"blocked by = {gap.describe()}" in text
    assert "needs      = cloudwatch:DescribeAlarms" in text
    assert lines[-1].endswith("0 manual step(s); 1 blocked (incomplete).")


def test_an_empty_incomplete_plan_is_not_nothing_to_do() -> None:
    snap, _ = unread(good_snapshot(), HOME, "alarms", "cloudwatch", "DescribeAlarms")
    p = plan(snap, OPTS)
    assert p.is_empty
    assert not p.complete
    assert p.missing_permissions() == ("cloudwatch:DescribeAlarms",)
    assert "No changes could be planned safely" in p.to_text()
    assert "The root-monitoring chain is in place" not in p.to_text()
    assert plan(good_snapshot(), OPTS).complete


def test_a_blocked_plan_round_trips_through_json_exactly() -> None:
    snap, _ = unread(no_rules(good_snapshot(), HOME, SECOND), HOME, "topics", "sns", "ListTopics")
    p = plan(snap, OPTS)
    assert len(p.blocked) >= 2
    again = Plan.from_json(p.to_json())
    assert again == p
    assert again.to_json() == p.to_json()
    assert all(isinstance(g, Gap) for b in again.blocked for g in b.gaps)
    assert all(isinstance(b.kind, BlockedKind) for b in again.blocked)


def test_plan_rejects_blocked_entries_that_wait_for_unknown_ones() -> None:
    p, _ = alarms_unread_plan()
    data = json.loads(p.to_json())
    data["blocked"][0]["depends_on"] = ["nope:global:x"]
    with pytest.raises(PlanError, match="waits for unknown"):
        Plan.from_json(json.dumps(data))
    data["blocked"] = [data["blocked"][0], data["blocked"][0]]
    data["blocked"][0]["depends_on"] = []
    with pytest.raises(PlanError, match="duplicate blocked id"):
        Plan.from_json(json.dumps(data))


def test_blocked_entries_are_deterministic() -> None:
    snap, _ = unread(no_rules(good_snapshot(), HOME, SECOND), HOME, "topics", "sns", "ListTopics")
    assert plan(snap, OPTS) == plan(snap, OPTS)


# -------------------------------------------------------------------------- properties

FULLY_MONITORED = good_snapshot()
FAULTS = dict(single_faults(FULLY_MONITORED))


@pytest.mark.parametrize("options", [OPTS, PINNED], ids=["default-home", "home-region"])
@pytest.mark.parametrize("label", sorted(FAULTS))
def test_a_fully_monitored_account_plans_nothing_whatever_one_read_fails(
    label: str, options: RemediationOptions
) -> None:
    assert plan(FULLY_MONITORED, options).actions == ()
    assert plan(FAULTS[label], options).actions == ()


BROKEN = {
    "no-validation": good_snapshot(trails=[trail(log_file_validation_enabled=False)]),
    "stopped-trail": good_snapshot(trails=[trail(is_logging=False)]),
    "no-trail": good_snapshot(trails=[]),
    "wrong-filter": with_wrong_filter(good_snapshot()),
    "no-alarm": with_region(good_snapshot(), HOME, alarms=[]),
    "no-rules": no_rules(good_snapshot(), HOME, SECOND),
    "no-config-rules": without_config_rules(good_snapshot()),
    "no-root-mfa": good_snapshot(**NO_ROOT_MFA),
    "empty-account": empty_account(),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_one_unread_collection_never_adds_an_action_to_a_broken_account(name: str) -> None:
    base = BROKEN[name]
    for options in (OPTS, PINNED):
        clean = plan(base, options)
        for label, faulty in single_faults(base):
            assert keys(plan(faulty, options)) <= keys(clean), (label, options.home_region)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=rm_unread_one())
def test_one_unread_collection_never_adds_an_action(
    case: tuple[AccountSnapshot, str, AccountSnapshot],
) -> None:
    snapshot, label, faulty = case
    try:
        clean = plan(snapshot, OPTS)
    except PlanError:
        return
    p = plan(faulty, OPTS)  # a fault never turns a plan into an error
    assert keys(p) <= keys(clean), (label, sorted(keys(p) - keys(clean), key=str))
    assert {a.id for a in p.actions} <= {a.id for a in clean.actions}
    assert plan(faulty, OPTS) == p  # deterministic
    assert Plan.from_json(p.to_json()) == p
