"""An alert topic on the AWS managed key ``alias/aws/sns`` against moto: the alerting checks
fail, the plan creates a customer managed key whose policy lets CloudWatch and EventBridge
use it and moves the topic to it, apply converges, a new plan is empty and the checks pass.
An interrupted run leaves no second key; an existing key is never edited."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from rootguard._judge import key_policy_missing_services
from rootguard._permissions import iam_action, required_permissions
from rootguard._posture._models import Status
from rootguard._remediation._apply import apply
from rootguard._remediation._constants import KEY_ALIAS_TAG_KEY
from rootguard._remediation._options import RemediationOptions
from rootguard._remediation._outcomes import ActionStatus
from rootguard._remediation._planner import plan
from tests.integration.remediation import (
    HOME,
    OPTIONS,
    checks,
    failing_chain_checks,
    record_calls,
    snapshot,
    stub_config_compliance,
    topic_arns,
)

ALIAS = "alias/rootguard-alert-topic"


def sealed_account(session: boto3.Session) -> str:
    """rootguard's whole chain, then its alert topic switched to the AWS managed key (as a
    well-meant "encrypt every topic" change would); returns the topic ARN."""
    stub_config_compliance(session)
    first = apply(plan(snapshot(session), OPTIONS), session=session)
    assert first.ok, [o.error for o in first.failed]
    (arn,) = topic_arns(session)
    session.client("sns", region_name=HOME).set_topic_attributes(
        TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns"
    )
    return arn


def status(report: Any, check_id: str, region: str | None = None) -> set[Status]:
    return {f.status for f in report.by_check(check_id) if region in (None, f.region)}


def our_keys(session: boto3.Session) -> list[str]:
    kms = session.client("kms", region_name=HOME)
    found = []
    for key in kms.list_keys()["Keys"]:
        tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
        if {"TagKey": KEY_ALIAS_TAG_KEY, "TagValue": ALIAS} in tags:
            found.append(key["KeyId"])
    return found


def test_managed_key_topic_fails_then_plan_apply_converges(aws: boto3.Session) -> None:
    arn = sealed_account(aws)
    before = snapshot(aws)
    report = checks(before)
    assert status(report, "monitoring.root_metric_alarm") == {Status.FAIL}
    assert status(report, "monitoring.root_eventbridge", HOME) == {Status.FAIL}
    (chain,) = report.by_check("monitoring.root_metric_alarm")
    assert chain.evidence["topics_with_aws_managed_key"] == [
        {"topic": arn, "kms_master_key_id": "alias/aws/sns"}
    ]
    assert status(report, "monitoring.alert_topic_secure") == {Status.PASS}  # grants only

    p = plan(before, OPTIONS)
    assert [a.kind for a in p.api_actions] == ["CreateKey", "SetTopicEncryption"]
    result = apply(p, session=aws)
    assert result.ok, [o.error for o in result.failed]
    assert [o.status for o in result.outcomes if o.action.kind != "ManualStep"] == [
        ActionStatus.APPLIED,
        ActionStatus.APPLIED,
    ]

    kms = aws.client("kms", region_name=HOME)
    key_id = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert key_policy_missing_services(policy) == []
    attributes = aws.client("sns", region_name=HOME).get_topic_attributes(TopicArn=arn)
    assert attributes["Attributes"]["KmsMasterKeyId"] == ALIAS

    after = snapshot(aws)
    assert failing_chain_checks(checks(after)) == []
    replan = plan(after, OPTIONS)
    assert replan.is_empty
    assert replan.complete

    recorder = record_calls(aws)
    again = apply(p, session=aws)  # the same plan again changes nothing
    assert again.ok
    assert {o.status for o in again.outcomes if o.action.kind != "ManualStep"} == {
        ActionStatus.UNCHANGED
    }
    assert recorder.mutating == []
    assert our_keys(aws) == [key_id]


def _fail(operation: str) -> Any:
    def handler(**_: Any) -> Any:
        parsed = {
            "Error": {"Code": "InternalFailure", "Message": f"injected fault on {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        }
        return AWSResponse("https://fault.invalid", 500, {}, None), parsed

    return handler


def test_interrupted_key_creation_is_adopted_not_duplicated(inprocess: boto3.Session) -> None:
    sealed_account(inprocess)
    p = plan(snapshot(inprocess), OPTIONS)
    fault = _fail("CreateAlias")
    inprocess.events.register_first("before-call.kms.CreateAlias", fault)
    result = apply(p, session=inprocess)
    inprocess.events.unregister("before-call.kms.CreateAlias", fault)
    (failed,) = result.failed
    assert failed.action.kind == "CreateKey"
    (orphan,) = our_keys(inprocess)
    assert orphan in (failed.error or "")  # the error names the key it made
    assert [o.status for o in result.outcomes if o.action.kind == "SetTopicEncryption"] == [
        ActionStatus.SKIPPED
    ]

    recorder = record_calls(inprocess)
    retry = apply(plan(snapshot(inprocess), OPTIONS), session=inprocess)
    assert retry.ok, [o.error for o in retry.failed]
    assert "CreateKey" not in recorder.mutating  # the orphan is adopted
    assert recorder.mutating.count("CreateAlias") == 1
    assert our_keys(inprocess) == [orphan]
    kms = inprocess.client("kms", region_name=HOME)
    assert kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"] == orphan
    assert failing_chain_checks(checks(snapshot(inprocess))) == []


def test_existing_alias_without_the_grants_is_a_conflict_not_edited(
    inprocess: boto3.Session,
) -> None:
    arn = sealed_account(inprocess)
    kms = inprocess.client("kms", region_name=HOME)
    account = inprocess.client("sts", region_name=HOME).get_caller_identity()["Account"]
    admin_only = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    key_id = kms.create_key(Policy=admin_only)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key_id)
    result = apply(plan(snapshot(inprocess), OPTIONS), session=inprocess)
    (failed,) = result.failed
    assert failed.error_code == "KeyPolicyMissingGrants"
    assert kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"] == admin_only
    topic = inprocess.client("sns", region_name=HOME).get_topic_attributes(TopicArn=arn)
    assert topic["Attributes"]["KmsMasterKeyId"] == "alias/aws/sns"  # not moved to that key


def test_topic_moved_to_another_customer_key_meanwhile_is_kept(inprocess: boto3.Session) -> None:
    arn = sealed_account(inprocess)
    p = plan(snapshot(inprocess), OPTIONS)
    sns = inprocess.client("sns", region_name=HOME)
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/team-key"
    )
    result = apply(p, session=inprocess)
    outcome = next(o for o in result.outcomes if o.action.kind == "SetTopicEncryption")
    assert outcome.status is ActionStatus.UNCHANGED
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == (
        "alias/team-key"
    )


def test_remediate_policy_covers_the_key_fix(inprocess: boto3.Session) -> None:
    sealed_account(inprocess)
    recorder = record_calls(inprocess)
    options = RemediationOptions(alert_emails=("secops@example.com",))
    assert apply(plan(snapshot(inprocess), options), session=inprocess).ok
    granted: set[str] = set()
    for statement in required_permissions("remediate")["Statement"]:
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    needed = {iam_action(service, op) for service, op, _ in recorder.calls}
    assert {"kms:CreateKey", "kms:CreateAlias", "sns:SetTopicAttributes"} <= needed
    assert needed <= granted, needed - granted
