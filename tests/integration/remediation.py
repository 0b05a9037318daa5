"""Test helpers of the remediation tests: record calls, fail the N-th mutating call, seed
partial root-alerting chains, and run the collect → plan → apply loop against moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from rootguard import CIS_ROOT_FILTER_PATTERN, PLANNED_CHECKS
from rootguard._collect import collect
from rootguard._credential_report import COLUMNS
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Status
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from rootguard._remediation._apply import apply
from rootguard._remediation._constants import ROOT_EVENT_PATTERN
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._outcomes import ApplyResult
from rootguard._remediation._plan import Plan
from rootguard._remediation._planner import plan
from rootguard._snapshot import AccountSnapshot, CredentialReportData, RegionSnapshot

HOME = "us-east-1"
SECOND = "eu-west-1"
REGIONS = (HOME, SECOND)

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup")
# Calls collect makes that are not reads in name but change nothing rootguard cares about.
NON_MUTATING = frozenset({"GenerateCredentialReport", "GetCallerIdentity"})

CHAIN_CHECKS = PLANNED_CHECKS
"""The checks a plan must make pass (issue 4)."""

MOTO_POLICY = Policy(cloudwatch_delivery_max_age_hours=None)
"""moto never reports a CloudWatch Logs delivery time: judge the configuration only."""

OPTIONS = RemediationOptions(alert_emails=("secops@example.com",))


def is_mutating(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES) and operation not in NON_MUTATING


@dataclass
class Recorder:
    """Every API call made through a session: ``(event service, Operation, region)``."""

    calls: list[tuple[str, str, str | None]] = field(default_factory=list)

    def handler(self, event_name: str, context: dict[str, Any] | None = None, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        region = (context or {}).get("client_region")
        self.calls.append((service, operation, region))

    @property
    def operations(self) -> list[str]:
        return [op for _, op, _ in self.calls]

    @property
    def mutating(self) -> list[str]:
        return [op for op in self.operations if is_mutating(op)]

    def clear(self) -> None:
        self.calls.clear()


def record_calls(session: boto3.Session) -> Recorder:
    recorder = Recorder()
    session.events.register("before-call", recorder.handler)
    return recorder


def fail_nth_mutating(
    session: boto3.Session, n: int, *, code: str = "InternalFailure", status: int = 500
) -> Callable[[], str | None]:
    """The ``n``-th (0-based) mutating call through ``session`` answers an AWS error.

    Returns a function giving the operation that was failed (None if there were fewer
    mutating calls)."""
    state: dict[str, Any] = {"seen": 0, "failed": None}

    def handler(event_name: str, **_: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        if not is_mutating(operation):
            return None
        index = state["seen"]
        state["seen"] += 1
        if index != n:
            return None
        state["failed"] = operation
        parsed = {
            "Error": {"Code": code, "Message": f"injected fault on {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://fault.invalid", status, {}, None), parsed

    session.events.register_first("before-call", handler)
    return lambda: state["failed"]


def stub_config_compliance(session: boto3.Session) -> None:
    """Answer ``config:DescribeComplianceByConfigRule`` (not implemented by moto) with no
    results. In-process moto raises at once; over HTTP it answers 500, which botocore
    retries for ~40 s before collect records the gap."""

    def empty(**_: Any) -> Any:
        return AWSResponse("https://stub.invalid", 200, {}, None), {
            "ComplianceByConfigRules": [],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    session.events.register_first(
        "before-call.config-service.DescribeComplianceByConfigRule", empty
    )


MOTO_ACCOUNT = "123456789012"
"""moto's default account."""


def empty_account_plan(account_id: str = MOTO_ACCOUNT) -> Plan:
    """The plan of a fresh (moto) account, built without AWS."""
    data = {
        r: RegionSnapshot(
            region=r,
            trails=[],
            log_groups=[],
            alarms=[],
            topics=[],
            event_rules=[],
            config_recorders=[],
            config_rules=[],
            delivery_channels=[],
        )
        for r in REGIONS
    }
    snap = AccountSnapshot(
        account_id=account_id,
        regions=list(REGIONS),
        trails=[],
        region_data=data,
        account_summary={"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0},
        # read, with no <root_account> row (moto's): an unread report would block root MFA
        credential_report=CredentialReportData(content=",".join(COLUMNS)),
    )
    return plan(snap, OPTIONS)


def snapshot(session: boto3.Session, regions: Sequence[str] = REGIONS) -> AccountSnapshot:
    return collect(session=session, regions=list(regions))


def checks(snap: AccountSnapshot) -> Report:
    return evaluate(snap, policy=MOTO_POLICY)


def failing_chain_checks(report: Report) -> list[str]:
    """``check_id[region]: STATUS`` of every chain finding that does not pass."""
    return [
        f"{f.check_id}[{f.region}]: {f.status.value} {f.detail}"
        for f in report.findings
        if f.check_id in CHAIN_CHECKS and f.status is not Status.PASS
    ]


def plan_apply(
    session: boto3.Session,
    options: RemediationOptions = OPTIONS,
    regions: Sequence[str] = REGIONS,
) -> tuple[Plan, ApplyResult]:
    p = plan(snapshot(session, regions), options)
    return p, apply(p, session=session)


# ------------------------------------------------------------------------------ counting


def trails(session: boto3.Session) -> list[dict[str, Any]]:
    return list(
        session.client("cloudtrail", region_name=HOME).describe_trails(includeShadowTrails=False)[
            "trailList"
        ]
    )


def topic_arns(session: boto3.Session, region: str = HOME) -> list[str]:
    sns = session.client("sns", region_name=region)
    return [t["TopicArn"] for t in sns.list_topics()["Topics"]]


def rules_with_root_pattern(session: boto3.Session, region: str) -> list[str]:
    events = session.client("events", region_name=region)
    return [
        r["Name"]
        for r in events.list_rules()["Rules"]
        if json.loads(r.get("EventPattern") or "{}") == ROOT_EVENT_PATTERN
    ]


def alarm_names(session: boto3.Session) -> list[str]:
    cw = session.client("cloudwatch", region_name=HOME)
    return [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]]


# ------------------------------------------------------------------------------ seeding
# Pieces of a root-alerting chain, some deliberately misconfigured, created through the
# API like a user would have (names that are not rootguard's unless stated).


def account_id(session: boto3.Session) -> str:
    return str(session.client("sts", region_name=HOME).get_caller_identity()["Account"])


def seed_bucket(session: boto3.Session, name: str = "user-trail-bucket") -> str:
    session.client("s3", region_name=HOME).create_bucket(Bucket=name)
    return name


def seed_trail(
    session: boto3.Session,
    *,
    name: str = "user-trail",
    multi_region: bool = True,
    logging: bool = True,
    validation: bool = False,
    log_group: str | None = None,
    write_only: bool = False,
) -> str:
    bucket = seed_bucket(session, f"{name}-bucket")
    ct = session.client("cloudtrail", region_name=HOME)
    kwargs: dict[str, Any] = {}
    if log_group:
        logs = session.client("logs", region_name=HOME)
        logs.create_log_group(logGroupName=log_group)
        acct = account_id(session)
        kwargs["CloudWatchLogsLogGroupArn"] = f"arn:aws:logs:{HOME}:{acct}:log-group:{log_group}:*"
        kwargs["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{acct}:role/user-cloudtrail-logs"
    arn = ct.create_trail(
        Name=name,
        S3BucketName=bucket,
        IsMultiRegionTrail=multi_region,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=validation,
        **kwargs,
    )["TrailARN"]
    ct.put_event_selectors(
        TrailName=name,
        EventSelectors=[
            {
                "ReadWriteType": "WriteOnly" if write_only else "All",
                "IncludeManagementEvents": True,
                "DataResources": [],
            }
        ],
    )
    if logging:
        ct.start_logging(Name=name)
    return str(arn)


def seed_metric_filter(session: boto3.Session, log_group: str, *, wrong: bool = False) -> None:
    pattern = (
        '{ $.userIdentity.type = "Root" || $.eventType != "AwsServiceEvent" }'
        if wrong
        else CIS_ROOT_FILTER_PATTERN
    )
    session.client("logs", region_name=HOME).put_metric_filter(
        logGroupName=log_group,
        filterName="user-root-usage",
        filterPattern=pattern,
        metricTransformations=[
            {"metricName": "UserRootUsage", "metricNamespace": "User", "metricValue": "1"}
        ],
    )


def seed_topic(session: boto3.Session, name: str, *, subscribed: bool, region: str = HOME) -> str:
    sns = session.client("sns", region_name=region)
    arn = str(sns.create_topic(Name=name)["TopicArn"])
    if subscribed:
        sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="user@example.com")
    return arn


def seed_alarm(session: boto3.Session, *, topic_arn: str | None) -> None:
    session.client("cloudwatch", region_name=HOME).put_metric_alarm(
        AlarmName="user-root-usage",
        MetricName="UserRootUsage",
        Namespace="User",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic_arn] if topic_arn else [],
    )


def seed_rule(session: boto3.Session, region: str, topic_arn: str) -> None:
    events = session.client("events", region_name=region)
    events.put_rule(Name="user-root-rule", EventPattern=json.dumps(ROOT_EVENT_PATTERN))
    events.put_targets(Rule="user-root-rule", Targets=[{"Id": "t", "Arn": topic_arn}])


def seed_config(session: boto3.Session, *, recording: bool, rules: bool) -> None:
    cfg = session.client("config", region_name=HOME)
    acct = account_id(session)
    cfg.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{acct}:role/config-role",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    bucket = seed_bucket(session, "user-config-bucket")
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    if recording:
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    if rules:
        cfg.put_config_rule(
            ConfigRule={
                "ConfigRuleName": "root-account-mfa-enabled",
                "Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"},
            }
        )
