"""Builders of AccountSnapshots for the pure posture tests (rootguard._posture / _outputs).

``good_snapshot()`` is an account where every check passes: root with hardware MFA and no
keys, centralized root access, a multi-region trail delivering to CloudWatch Logs, the CIS
metric filter with an alarm and a confirmed SNS subscription, an EventBridge root rule in
both regions, AWS Config with the root rules. Tests change one piece with the small
``with_*`` helpers and assert the verdict of the check that piece belongs to.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from rootguard._credential_report import COLUMNS
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
from rootguard._snapshot import (
    AccountSnapshot,
    Alarm,
    ConfigRecorder,
    ConfigRule,
    CredentialReportData,
    EventRule,
    EventTarget,
    Gap,
    LogGroup,
    MetricFilter,
    MetricTransformation,
    OrganizationInfo,
    RegionSnapshot,
    SnsSubscription,
    SnsTopic,
    Trail,
    VirtualMfaDevice,
)

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
HOME = "us-east-1"
SECOND = "eu-west-1"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
TRAIL_ARN = f"arn:aws:cloudtrail:{HOME}:{ACCOUNT}:trail/main"
LOG_GROUP = "aws-cloudtrail-logs-main"
LOG_GROUP_ARN = f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:{LOG_GROUP}:*"
TOPIC_ARN = f"arn:aws:sns:{HOME}:{ACCOUNT}:root-alerts"
TOPIC_ARN_2 = f"arn:aws:sns:{SECOND}:{ACCOUNT}:root-alerts"
METRIC = "RootAccountUsage"
NAMESPACE = "CISBenchmark"
ROOT_RULE_PATTERN = json.dumps(
    {
        "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
        "detail": {"userIdentity": {"type": ["Root"]}},
    }
)


def iso(value: datetime) -> str:
    return value.isoformat()


def root_row(**cells: str) -> dict[str, str]:
    """A realistic ``<root_account>`` row: password (not_supported), MFA on, no keys."""
    row = {
        "user": "<root_account>",
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "user_creation_time": "2019-03-01T10:00:00+00:00",
        "password_enabled": "not_supported",
        "password_last_used": iso(NOW - timedelta(days=200)),
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "true",
        "access_key_1_active": "false",
        "access_key_1_last_rotated": "N/A",
        "access_key_1_last_used_date": "N/A",
        "access_key_1_last_used_region": "N/A",
        "access_key_1_last_used_service": "N/A",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": "N/A",
        "access_key_2_last_used_date": "N/A",
        "access_key_2_last_used_region": "N/A",
        "access_key_2_last_used_service": "N/A",
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    row.update(cells)
    return row


def user_row(name: str) -> dict[str, str]:
    row = root_row(
        user=name,
        arn=f"arn:aws:iam::{ACCOUNT}:user/{name}",
        password_enabled="true",
        password_last_changed="2024-01-01T00:00:00+00:00",
        password_next_rotation="N/A",
        mfa_active="false",
    )
    return row


def credential_report(*rows: dict[str, str]) -> CredentialReportData:
    lines = [",".join(COLUMNS)]
    lines += [",".join(r[c] for c in COLUMNS) for r in rows]
    return CredentialReportData(content="\n".join(lines), generated_at=NOW - timedelta(hours=1))


def summary(*, mfa: int = 1, keys: int = 0, certs: int = 0) -> dict[str, int]:
    return {
        "Users": 3,
        "AccountMFAEnabled": mfa,
        "AccountAccessKeysPresent": keys,
        "AccountSigningCertificatesPresent": certs,
        "MFADevices": 2,
    }


BASIC_ALL = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }
]


def trail(**changes: Any) -> Trail:
    fields: dict[str, Any] = {
        "name": "main",
        "trail_arn": TRAIL_ARN,
        "home_region": HOME,
        "is_multi_region_trail": True,
        "is_organization_trail": False,
        "include_global_service_events": True,
        "log_file_validation_enabled": True,
        "s3_bucket_name": "cloudtrail-logs-111122223333",
        "cloud_watch_logs_log_group_arn": LOG_GROUP_ARN,
        "cloud_watch_logs_role_arn": f"arn:aws:iam::{ACCOUNT}:role/CloudTrailToLogs",
        "is_logging": True,
        "latest_cloud_watch_logs_delivery_time": NOW - timedelta(minutes=5),
        "event_selectors": BASIC_ALL,
        "advanced_event_selectors": None,
        "tags": {"team": "security"},
    }
    fields.update(changes)
    return Trail(**fields)


def metric_filter(pattern: str = CIS_ROOT_FILTER_PATTERN, **changes: Any) -> MetricFilter:
    fields: dict[str, Any] = {
        "filter_name": "RootAccountUsage",
        "log_group_name": LOG_GROUP,
        "filter_pattern": pattern,
        "metric_transformations": [
            MetricTransformation(metric_name=METRIC, metric_namespace=NAMESPACE, metric_value="1")
        ],
    }
    fields.update(changes)
    return MetricFilter(**fields)


def alarm(**changes: Any) -> Alarm:
    fields: dict[str, Any] = {
        "alarm_name": "root-account-usage",
        "alarm_arn": f"arn:aws:cloudwatch:{HOME}:{ACCOUNT}:alarm:root-account-usage",
        "metric_name": METRIC,
        "namespace": NAMESPACE,
        "statistic": "Sum",
        "period": 300,
        "evaluation_periods": 1,
        "threshold": 1.0,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "treat_missing_data": "notBreaching",
        "actions_enabled": True,
        "alarm_actions": [TOPIC_ARN],
    }
    fields.update(changes)
    return Alarm(**fields)


def secure_topic_policy(arn: str) -> str:
    return json.dumps(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"],
                    "Resource": arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}},
                },
                {
                    "Sid": "AllowAlarmsAndRules",
                    "Effect": "Allow",
                    "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                    "Action": "sns:Publish",
                    "Resource": arn,
                },
            ],
        }
    )


def confirmed(arn: str) -> SnsSubscription:
    return SnsSubscription(
        subscription_arn=f"{arn}:0f1e2d3c-aaaa-bbbb-cccc-111122223333",
        protocol="email",
        endpoint="security@example.com",
        owner=ACCOUNT,
    )


def pending() -> SnsSubscription:
    return SnsSubscription(
        subscription_arn="PendingConfirmation", protocol="email", endpoint="ops@example.com"
    )


def topic(arn: str = TOPIC_ARN, **changes: Any) -> SnsTopic:
    fields: dict[str, Any] = {
        "topic_arn": arn,
        "region": arn.split(":")[3],
        "policy": secure_topic_policy(arn),
        "subscriptions": [confirmed(arn)],
    }
    fields.update(changes)
    return SnsTopic(**fields)


def event_rule(region: str, topic_arn: str, **changes: Any) -> EventRule:
    fields: dict[str, Any] = {
        "name": "root-activity",
        "arn": f"arn:aws:events:{region}:{ACCOUNT}:rule/root-activity",
        "region": region,
        "state": "ENABLED",
        "event_pattern": ROOT_RULE_PATTERN,
        "targets": [EventTarget(id="alert", arn=topic_arn)],
    }
    fields.update(changes)
    return EventRule(**fields)


def recorder(region: str, *, include_global: bool = True, recording: bool = True) -> ConfigRecorder:
    return ConfigRecorder(
        name="default",
        region=region,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        recording_group={
            "allSupported": True,
            "includeGlobalResourceTypes": include_global,
            "resourceTypes": [],
        },
        recording=recording,
        last_status="SUCCESS",
    )


def config_rules(region: str, *identifiers: str) -> list[ConfigRule]:
    return [
        ConfigRule(
            config_rule_name=ident.lower().replace("_", "-"),
            region=region,
            source_owner="AWS",
            source_identifier=ident,
            config_rule_state="ACTIVE",
            compliance="COMPLIANT",
        )
        for ident in identifiers
    ]


ROOT_RULES = ("ROOT_ACCOUNT_MFA_ENABLED", "IAM_ROOT_ACCESS_KEY_CHECK")


def home_region() -> RegionSnapshot:
    return RegionSnapshot(
        region=HOME,
        trails=[TRAIL_ARN],
        log_groups=[
            LogGroup(
                log_group_name=LOG_GROUP,
                arn=LOG_GROUP_ARN,
                retention_in_days=365,
                metric_filters=[metric_filter()],
            )
        ],
        alarms=[alarm()],
        topics=[topic()],
        event_rules=[event_rule(HOME, TOPIC_ARN)],
        config_recorders=[recorder(HOME)],
        config_rules=config_rules(HOME, *ROOT_RULES),
        delivery_channels=[],
    )


def second_region() -> RegionSnapshot:
    return RegionSnapshot(
        region=SECOND,
        trails=[TRAIL_ARN],
        log_groups=[],
        alarms=[],
        topics=[topic(TOPIC_ARN_2)],
        event_rules=[event_rule(SECOND, TOPIC_ARN_2)],
        config_recorders=[recorder(SECOND, include_global=False)],
        config_rules=[],
        delivery_channels=[],
    )


def good_snapshot(**changes: Any) -> AccountSnapshot:
    """An account where every check passes (change pieces with keyword arguments)."""
    fields: dict[str, Any] = {
        "account_id": ACCOUNT,
        "collected_at": NOW,
        "regions": [HOME, SECOND],
        "credential_report": credential_report(root_row(), user_row("alice")),
        "account_summary": summary(),
        "virtual_mfa_devices": [
            VirtualMfaDevice(
                serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/alice",
                user_arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
                enable_date=NOW - timedelta(days=30),
            ),
            VirtualMfaDevice(serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/unassigned"),
        ],
        "organization": OrganizationInfo(
            organization_id="o-exampleorgid",
            management_account_id=ACCOUNT,
            is_management_account=True,
            root_features=["RootCredentialsManagement", "RootSessions"],
            in_organization=True,
        ),
        "trails": [trail()],
        "region_data": {HOME: home_region(), SECOND: second_region()},
        "gaps": [],
    }
    fields.update(changes)
    return AccountSnapshot(**fields)


def with_region(snapshot: AccountSnapshot, region: str, **changes: Any) -> AccountSnapshot:
    """The snapshot with some fields of one region's data replaced."""
    data = dict(snapshot.region_data)
    data[region] = data[region].model_copy(update=changes)
    return snapshot.model_copy(update={"region_data": data})


def with_topic_key(
    snapshot: AccountSnapshot, key: str | None, *, region: str = HOME
) -> AccountSnapshot:
    """The snapshot with every topic of ``region`` encrypted with ``key`` (its
    ``KmsMasterKeyId`` attribute; None: not encrypted)."""
    topics = [
        t.model_copy(
            update={
                "kms_master_key_id": key,
                "attributes": {"TopicArn": t.topic_arn, **({"KmsMasterKeyId": key} if key else {})},
            }
        )
        for t in snapshot.region_data[region].topics or []
    ]
    return with_region(snapshot, region, topics=topics)


def with_gap(snapshot: AccountSnapshot, *gaps: Gap) -> AccountSnapshot:
    return snapshot.model_copy(update={"gaps": [*snapshot.gaps, *gaps]})


def denied(service: str, operation: str, region: str | None = None, **kw: Any) -> Gap:
    return Gap(
        service=service,
        operation=operation,
        region=region,
        error_code="AccessDenied",
        message="User is not authorized",
        **kw,
    )


# --------------------------------------------------------------------- unread collections
#
# What collect() records when one call fails: the collection it would have filled is None
# (never []) and a Gap names the call. single_faults() lists every collection a snapshot
# has read, each made unread on its own — the planner must never build more because of one.


def _gap(service: str, operation: str, region: str | None, resource: str | None = None) -> Gap:
    return denied(service, operation, region, resource=resource)


def _log_group_arn(region: str, group: LogGroup, account: str) -> str:
    return group.arn or f"arn:aws:logs:{region}:{account}:log-group:{group.log_group_name}:*"


def single_faults(snapshot: AccountSnapshot) -> list[tuple[str, AccountSnapshot]]:
    """(label, snapshot with exactly one read collection made unread, plus its Gap)."""
    out: list[tuple[str, AccountSnapshot]] = []

    def account(label: str, field: str, gap: Gap) -> None:
        if getattr(snapshot, field) is not None:
            out.append((label, with_gap(snapshot.model_copy(update={field: None}), gap)))

    account("trails", "trails", _gap("cloudtrail", "DescribeTrails", None))
    account("credential_report", "credential_report", _gap("iam", "GetCredentialReport", None))
    account("account_summary", "account_summary", _gap("iam", "GetAccountSummary", None))
    account(
        "virtual_mfa_devices", "virtual_mfa_devices", _gap("iam", "ListVirtualMFADevices", None)
    )
    account("organization", "organization", _gap("organizations", "DescribeOrganization", None))

    for index, t in enumerate(snapshot.trails or []):

        def trail_fault(label: str, gap: Gap, index: int = index, **changes: Any) -> None:
            trails = list(snapshot.trails or [])
            trails[index] = trails[index].model_copy(update=changes)
            out.append((label, with_gap(snapshot.model_copy(update={"trails": trails}), gap)))

        arn, home = t.trail_arn, t.home_region
        if t.is_logging is not None:
            trail_fault(
                f"trail[{index}].status",
                _gap("cloudtrail", "GetTrailStatus", home, arn),
                is_logging=None,
                latest_delivery_error=None,
                latest_cloud_watch_logs_delivery_time=None,
                latest_cloud_watch_logs_delivery_error=None,
            )
        if t.event_selectors is not None or t.advanced_event_selectors is not None:
            trail_fault(
                f"trail[{index}].selectors",
                _gap("cloudtrail", "GetEventSelectors", home, arn),
                event_selectors=None,
                advanced_event_selectors=None,
            )
        if t.tags is not None:
            trail_fault(
                f"trail[{index}].tags", _gap("cloudtrail", "ListTags", home, arn), tags=None
            )

    calls = {
        "trails": ("cloudtrail", "DescribeTrails"),
        "log_groups": ("logs", "DescribeLogGroups"),
        "alarms": ("cloudwatch", "DescribeAlarms"),
        "topics": ("sns", "ListTopics"),
        "event_rules": ("events", "ListRules"),
        "config_recorders": ("config", "DescribeConfigurationRecorders"),
        "config_rules": ("config", "DescribeConfigRules"),
        "delivery_channels": ("config", "DescribeDeliveryChannels"),
    }
    acct = snapshot.account_id
    for region, data in sorted(snapshot.region_data.items()):
        if region in snapshot.regions:
            rest = {r: d for r, d in snapshot.region_data.items() if r != region}
            out.append(
                (
                    f"{region}",
                    with_gap(
                        snapshot.model_copy(update={"region_data": rest}),
                        _gap("cloudtrail", "DescribeTrails", region),
                    ),
                )
            )
        for field, (service, operation) in calls.items():
            if getattr(data, field) is not None:
                out.append(
                    (
                        f"{region}.{field}",
                        with_gap(
                            with_region(snapshot, region, **{field: None}),
                            _gap(service, operation, region),
                        ),
                    )
                )

        def listed(label: str, field: str, items: list[Any], gap: Gap) -> None:
            out.append((label, with_gap(with_region(snapshot, region, **{field: items}), gap)))

        for i, group in enumerate(data.log_groups or []):
            garn = _log_group_arn(region, group, acct)
            groups = list(data.log_groups or [])
            groups[i] = group.model_copy(update={"retention_in_days": None, "kms_key_id": None})
            listed(
                f"{region}.log_groups[{i}].description",
                "log_groups",
                groups,
                _gap("logs", "DescribeLogGroups", region, garn),
            )
            if group.metric_filters is not None:
                groups = list(data.log_groups or [])
                groups[i] = group.model_copy(update={"metric_filters": None})
                listed(
                    f"{region}.log_groups[{i}].metric_filters",
                    "log_groups",
                    groups,
                    _gap("logs", "DescribeMetricFilters", region, garn),
                )
        for i, topic in enumerate(data.topics or []):
            if topic.policy is not None or topic.attributes is not None:
                topics = list(data.topics or [])
                topics[i] = topic.model_copy(
                    update={"policy": None, "attributes": None, "kms_master_key_id": None}
                )
                listed(
                    f"{region}.topics[{i}].attributes",
                    "topics",
                    topics,
                    _gap("sns", "GetTopicAttributes", region, topic.topic_arn),
                )
            if topic.subscriptions is not None:
                topics = list(data.topics or [])
                topics[i] = topic.model_copy(update={"subscriptions": None})
                listed(
                    f"{region}.topics[{i}].subscriptions",
                    "topics",
                    topics,
                    _gap("sns", "ListSubscriptionsByTopic", region, topic.topic_arn),
                )
        for i, rule in enumerate(data.event_rules or []):
            if rule.targets is not None:
                rules = list(data.event_rules or [])
                rules[i] = rule.model_copy(update={"targets": None})
                listed(
                    f"{region}.event_rules[{i}].targets",
                    "event_rules",
                    rules,
                    _gap("events", "ListTargetsByRule", region, rule.arn),
                )
    return out
