"""Test helper: build a fully-populated moto account (the whole root-alerting chain).

Used by the collect tests and by ``benchmarks/check.py``. Everything is created through
the AWS API of the session given (in-process ``mock_aws`` or a moto server).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import boto3

from rootguard import CIS_ROOT_FILTER_PATTERN

__all__ = ["ROOT_EVENT_PATTERN", "Populated", "populate_account"]

ROOT_EVENT_PATTERN = {
    "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
    "detail": {"userIdentity": {"type": ["Root"]}},
}


@dataclass
class Populated:
    """What :func:`populate_account` created (ARNs and names to assert on)."""

    account_id: str
    home: str
    regions: list[str]
    trail_arn: str = ""
    regional_trail_arn: str | None = None
    log_group_name: str = "cloudtrail/root-activity"
    log_group_arn: str = ""
    metric_name: str = "RootAccountUsage"
    metric_namespace: str = "CISBenchmark"
    alarm_name: str = "root-account-usage"
    topic_arns: dict[str, str] = field(default_factory=dict)
    rule_name: str = "rootguard-root-activity"
    config_rule_names: tuple[str, ...] = ("root-account-mfa-enabled", "iam-root-access-key-check")


def populate_account(
    session: boto3.Session,
    *,
    regions: Sequence[str],
    home: str = "us-east-1",
    regional_trail: bool = True,
) -> Populated:
    """Create, in ``home``: a logging multi-region trail with log file validation that
    delivers to a CloudWatch Logs group with the CIS root metric filter, an alarm on it
    that notifies an SNS topic with an email subscriber, an organization, and the two
    AWS Config root rules; in every region of ``regions``: an SNS topic with a
    subscriber, an EventBridge rule for root activity targeting it, a Config recorder
    (recording) and delivery channel. With ``regional_trail``, a second (single-region)
    trail is created in the second region."""
    sts = session.client("sts", region_name=home)
    account_id = sts.get_caller_identity()["Account"]
    done = Populated(account_id=account_id, home=home, regions=list(regions))

    bucket = f"rootguard-trail-{account_id}"
    session.client("s3", region_name=home).create_bucket(Bucket=bucket)
    logs = session.client("logs", region_name=home)
    logs.create_log_group(logGroupName=done.log_group_name)
    logs.put_retention_policy(logGroupName=done.log_group_name, retentionInDays=365)
    done.log_group_arn = f"arn:aws:logs:{home}:{account_id}:log-group:{done.log_group_name}:*"
    logs.put_metric_filter(
        logGroupName=done.log_group_name,
        filterName="root-account-usage",
        filterPattern=CIS_ROOT_FILTER_PATTERN,
        metricTransformations=[
            {
                "metricName": done.metric_name,
                "metricNamespace": done.metric_namespace,
                "metricValue": "1",
            }
        ],
    )

    cloudtrail = session.client("cloudtrail", region_name=home)
    trail = cloudtrail.create_trail(
        Name="organization-trail",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True,
        CloudWatchLogsLogGroupArn=done.log_group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account_id}:role/CloudTrailToLogs",
        TagsList=[{"Key": "team", "Value": "security"}],
    )
    done.trail_arn = trail["TrailARN"]
    cloudtrail.start_logging(Name=done.trail_arn)
    cloudtrail.put_event_selectors(
        TrailName=done.trail_arn,
        AdvancedEventSelectors=[
            {
                "Name": "Management events selector",
                "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
            }
        ],
    )
    if regional_trail and len(regions) > 1:
        second = regions[1]
        s3_second = session.client("s3", region_name=second)
        s3_second.create_bucket(
            Bucket=f"{bucket}-{second}",
            CreateBucketConfiguration={"LocationConstraint": second},  # type: ignore[typeddict-item]
        )
        regional = session.client("cloudtrail", region_name=second).create_trail(
            Name="regional-trail", S3BucketName=f"{bucket}-{second}"
        )
        done.regional_trail_arn = regional["TrailARN"]

    for region in regions:
        sns = session.client("sns", region_name=region)
        topic = sns.create_topic(Name="root-alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="security@example.com")
        done.topic_arns[region] = topic
        events = session.client("events", region_name=region)
        events.put_rule(Name=done.rule_name, EventPattern=json.dumps(ROOT_EVENT_PATTERN))
        events.put_targets(Rule=done.rule_name, Targets=[{"Id": "sns", "Arn": topic}])
        config = session.client("config", region_name=region)
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": f"arn:aws:iam::{account_id}:role/aws-service-role/config",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
            }
        )
        config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
        config.start_configuration_recorder(ConfigurationRecorderName="default")

    config_home = session.client("config", region_name=home)
    for name, identifier in zip(
        done.config_rule_names, ("ROOT_ACCOUNT_MFA_ENABLED", "IAM_ROOT_ACCESS_KEY_CHECK")
    ):
        config_home.put_config_rule(
            ConfigRule={
                "ConfigRuleName": name,
                "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
            }
        )

    session.client("cloudwatch", region_name=home).put_metric_alarm(
        AlarmName=done.alarm_name,
        MetricName=done.metric_name,
        Namespace=done.metric_namespace,
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[done.topic_arns[home]],
    )
    session.client("organizations", region_name=home).create_organization(FeatureSet="ALL")
    return done
