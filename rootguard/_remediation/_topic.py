"""The alert topic family (pure): the topic, its policy, its encryption key, its subscribers,
and manual steps for other topics that let outsiders in."""

from __future__ import annotations

from typing import Any

from rootguard._errors import PlanError
from rootguard._judge import PUBLISHING_SERVICES, SNS_KEY_ACTIONS, topic_encryption
from rootguard._posture._catalogue import CheckId
from rootguard._posture._models import Status
from rootguard._remediation._actions import (
    BlockedKind,
    CreateKey,
    CreateTopic,
    ManualStep,
    SetTopicEncryption,
    SetTopicPolicy,
    Subscribe,
)
from rootguard._remediation._constants import (
    KEY_ALIAS_TAG_KEY,
    MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE,
)
from rootguard._remediation._context import (
    PlanContext,
    Read,
    Why,
    any_call,
    dumps,
    loads,
    managed_tags,
)
from rootguard._remediation._options import SubscriptionProtocol
from rootguard._snapshot import SnsTopic


def _listed_topic(ctx: PlanContext, arn: str) -> tuple[str, SnsTopic | None, list[Read]] | None:
    """(region, the topic if listed, what was not read) for a topic of this account; None
    for a topic of another account (or not a topic ARN)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "sns" or parts[4] != ctx.account:
        return None
    region = parts[3]
    data = ctx.region_data(region)
    if data is None:
        return region, None, [any_call(region), ("sns", "ListTopics", region, None)]
    if data.topics is None:
        return region, None, [("sns", "ListTopics", region, None)]
    return region, next((t for t in data.topics if t.topic_arn == arn), None), []


def topic_unread(ctx: PlanContext, arn: str) -> list[Read]:
    """What was not read about a topic an alarm or rule notifies (its existence, its
    subscribers, its encryption)."""
    found = _listed_topic(ctx, arn)
    if found is None:
        return []
    region, topic, unread = found
    if unread:
        return unread
    reads: list[Read] = []
    if topic is not None and topic.subscriptions is None:
        reads.append(("sns", "ListSubscriptionsByTopic", region, arn))
    if topic is not None and topic_encryption(topic).state == "unknown":
        reads.append(("sns", "GetTopicAttributes", region, arn))
    return reads


def topic_policy_unread(ctx: PlanContext, arn: str) -> list[Read]:
    """What was not read about a topic's policy."""
    found = _listed_topic(ctx, arn)
    if found is None:
        return []
    region, topic, unread = found
    if unread:
        return unread
    if topic is not None and topic.policy is None:
        return [("sns", "GetTopicAttributes", region, arn)]
    return []


def own_topic_insecure(ctx: PlanContext) -> bool:
    return any(
        f.status is Status.FAIL and f.resource == ctx.topic_arn
        for f in ctx.findings(CheckId.MONITORING_ALERT_TOPIC_SECURE)
    )


def plan_topic(ctx: PlanContext) -> tuple[str, ...]:
    """Plan the alert topic; returns the ids the actions that publish to it depend on."""
    region = ctx.home
    arn = ctx.topic_arn
    ours = ctx.opts.alert_topic_arn is None
    fixes = (
        CheckId.MONITORING_ROOT_METRIC_ALARM,
        CheckId.MONITORING_ROOT_EVENTBRIDGE,
        CheckId.MONITORING_ALERT_TOPIC_SECURE,
    )
    name = arn.split(":")[5]
    create_id = ctx.aid("CreateTopic", region, ctx.opts.alert_topic_name)
    policy_id = ctx.aid("SetTopicPolicy", region, name)
    why = ctx.home_block
    if why is None and ctx.region_data(region).topics is None:
        why = Why(
            f"the SNS topics of {region} could not be listed, so whether the alert topic "
            "exists (and who subscribes to it) is unknown",
            (("sns", "ListTopics", region, None),),
        )
    if why is not None:
        would_be = [create_id, policy_id] if ours else [policy_id]
        ctx.block(
            BlockedKind.ALERT_TOPIC,
            None if ctx.home_ambiguous else region,
            name,
            resource=None if ctx.home_ambiguous else arn,
            description=f"the alert topic {name}, its policy and its subscribers",
            why=why,
            fixes=fixes,
            actions=(("CreateTopic",) if ours else ()) + ("SetTopicAttributes", "Subscribe"),
            would_be=would_be,
        )
        return tuple(would_be)
    topic = next((t for t in ctx.region_data(region).topics if t.topic_arn == arn), None)
    if topic is None and not ours:
        raise PlanError(f"the alert topic {arn} does not exist in the snapshot")
    deps: list[str] = []
    if ours and topic is None:
        deps.append(
            ctx.add(
                CreateTopic(
                    id=ctx.aid("CreateTopic", region, ctx.opts.alert_topic_name),
                    region=region,
                    resource=arn,
                    description=f"SNS alert topic {ctx.opts.alert_topic_name}",
                    fixes=fixes,
                    params={"Name": ctx.opts.alert_topic_name, "Tags": managed_tags()},
                    permissions=(
                        "sns:CreateTopic",
                        "sns:TagResource",
                        "sns:GetTopicAttributes",
                    ),
                )
            )
        )
    wanted = topic_statements(ctx)
    current = loads(topic.policy) if topic is not None else None
    if ours:
        policy_ok = current == {"Version": "2012-10-17", "Statement": wanted}
    else:
        have = current.get("Statement", []) if isinstance(current, dict) else []
        policy_ok = all(st in have for st in wanted)
    if topic is not None and topic.policy is None:
        ctx.block(
            BlockedKind.ALERT_TOPIC,
            region,
            name,
            resource=arn,
            description=f"the policy of the alert topic {name}",
            why=Why(
                "its attributes could not be read, so its policy is unknown",
                (("sns", "GetTopicAttributes", region, arn),),
            ),
            fixes=fixes,
            actions=("SetTopicAttributes",),
            would_be=(policy_id,),
        )
        deps.append(policy_id)  # what needs the policy waits for it: blocked too
    elif topic is None or not policy_ok:
        deps.append(
            ctx.add(
                SetTopicPolicy(
                    id=policy_id,
                    region=region,
                    resource=arn,
                    description=(
                        "alert topic policy: only this account's CloudWatch alarms and "
                        "EventBridge rules may publish"
                        + ("" if ours else " (added to the topic's existing statements)")
                    ),
                    fixes=fixes,
                    depends_on=tuple(deps),
                    merge=not ours,
                    params={
                        "TopicArn": arn,
                        "AttributeName": "Policy",
                        "AttributeValue": dumps({"Version": "2012-10-17", "Statement": wanted}),
                    },
                    permissions=("sns:SetTopicAttributes", "sns:GetTopicAttributes"),
                )
            )
        )
    topic_deps = tuple(deps)
    if topic is not None and topic_encryption(topic).services_can_publish is False:
        plan_topic_key(ctx, topic)
    if topic is not None and topic.subscriptions is None:
        ctx.block(
            BlockedKind.ALERT_SUBSCRIPTIONS,
            region,
            name,
            resource=arn,
            description=f"the subscribers of the alert topic {name}",
            why=Why(
                "its subscriptions could not be listed",
                (("sns", "ListSubscriptionsByTopic", region, arn),),
            ),
            fixes=(CheckId.MONITORING_ROOT_METRIC_ALARM,),
            actions=("Subscribe", "ManualStep"),
        )
        return topic_deps
    subscribe_deps = [d for d in deps[:1] if d not in ctx.out.blocked_actions]
    plan_subscriptions(ctx, topic, tuple(subscribe_deps))
    return topic_deps


def plan_topic_key(ctx: PlanContext, topic: SnsTopic) -> None:
    """The alert topic is encrypted with the AWS managed key, to which CloudWatch and
    EventBridge cannot publish: switch it to a customer managed key that lets them
    (a stronger setting, not a weaker one: the topic stays encrypted)."""
    region, arn = ctx.home, topic.topic_arn
    alias = ctx.opts.alert_topic_key_alias
    fixes = (CheckId.MONITORING_ROOT_METRIC_ALARM, CheckId.MONITORING_ROOT_EVENTBRIDGE)
    key_id = ctx.add(
        CreateKey(
            id=ctx.aid("CreateKey", region, alias.removeprefix("alias/")),
            region=region,
            resource=ctx.arn("kms", region, alias),
            description=(
                f"customer managed KMS key {alias} for the alert topic, usable by "
                "CloudWatch alarms and EventBridge rules"
            ),
            fixes=fixes,
            note=(
                "a customer managed key costs $1 a month plus requests "
                "(aws.amazon.com/kms/pricing); the AWS managed key alias/aws/sns is "
                "free but AWS services cannot publish to a topic encrypted with it"
            ),
            alias_name=alias,
            params={
                "Description": f"rootguard: encrypts the root-alert SNS topic {arn}",
                "KeyUsage": "ENCRYPT_DECRYPT",
                "KeySpec": "SYMMETRIC_DEFAULT",
                "Policy": dumps(topic_key_policy(ctx)),
                "Tags": [
                    {"TagKey": MANAGED_TAG_KEY, "TagValue": MANAGED_TAG_VALUE},
                    {"TagKey": KEY_ALIAS_TAG_KEY, "TagValue": alias},
                ],
            },
            permissions=(
                "kms:CreateKey",
                "kms:TagResource",
                "kms:CreateAlias",
                "kms:ListAliases",
                "kms:ListKeys",
                "kms:ListResourceTags",
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
            ),
        )
    )
    ctx.add(
        SetTopicEncryption(
            id=ctx.aid("SetTopicEncryption", region, arn.split(":")[5]),
            region=region,
            resource=arn,
            description=(
                f"encrypt the alert topic with {alias} instead of the AWS managed key "
                f"{topic_encryption(topic).key_id}"
            ),
            fixes=fixes,
            depends_on=(key_id,),
            params={
                "TopicArn": arn,
                "AttributeName": "KmsMasterKeyId",
                "AttributeValue": alias,
            },
            permissions=("sns:SetTopicAttributes", "sns:GetTopicAttributes"),
        )
    )


def topic_key_policy(ctx: PlanContext) -> dict[str, Any]:
    """The key policy of rootguard's alert-topic key: the account (so IAM policies
    govern its administration, as in AWS's default key policy) and the statement the
    Amazon SNS Developer Guide gives for AWS services that publish to encrypted
    topics, for CloudWatch and EventBridge. No condition keys: EventBridge's KMS
    requests for SNS delivery do not carry ``aws:SourceArn``/``aws:SourceAccount``,
    and a condition they do not satisfy drops every alert silently. Who may publish
    is decided by the topic policy."""
    sids = {
        "cloudwatch.amazonaws.com": "RootGuardCloudWatchAlarms",
        "events.amazonaws.com": "RootGuardEventBridgeRules",
    }
    return {
        "Version": "2012-10-17",
        "Id": "rootguard-alert-topic-key",
        "Statement": [
            {
                "Sid": "EnableIAMPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{ctx.partition}:iam::{ctx.account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            *(
                {
                    "Sid": sids[service],
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": list(SNS_KEY_ACTIONS),
                    "Resource": "*",
                }
                for service in PUBLISHING_SERVICES
            ),
        ],
    }


def topic_statements(ctx: PlanContext) -> list[dict[str, Any]]:
    arn, region, account = ctx.topic_arn, ctx.home, ctx.account
    p = ctx.partition
    return [
        {
            "Sid": "RootGuardCloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{p}:cloudwatch:{region}:{account}:alarm:*"},
            },
        },
        {
            "Sid": "RootGuardEventBridgeRules",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{p}:events:{region}:{account}:rule/*"},
            },
        },
    ]


def plan_subscriptions(ctx: PlanContext, topic: SnsTopic | None, deps: tuple[str, ...]) -> None:
    region, arn = ctx.home, ctx.topic_arn
    existing = (topic.subscriptions if topic is not None else None) or []
    present = {(s.protocol, (s.endpoint or "").lower()) for s in existing}
    planned = 0
    for sub in ctx.opts.subscriptions():
        key = (sub.protocol.value, sub.endpoint.lower())
        if key in present:
            continue
        planned += 1
        ctx.add(
            Subscribe(
                id=ctx.aid("Subscribe", region, f"{sub.protocol.value}:{sub.endpoint}"),
                region=region,
                resource=arn,
                description=f"subscribe {sub.protocol.value} {sub.endpoint} to the alert topic",
                fixes=(CheckId.MONITORING_ROOT_METRIC_ALARM,),
                depends_on=deps,
                note=(
                    "the subscriber must confirm (a link in the email) before alerts arrive"
                    if sub.protocol in (SubscriptionProtocol.EMAIL, SubscriptionProtocol.EMAIL_JSON)
                    else None
                ),
                params={
                    "TopicArn": arn,
                    "Protocol": sub.protocol.value,
                    "Endpoint": sub.endpoint,
                    "ReturnSubscriptionArn": True,
                },
                permissions=(
                    "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic",
                    "sns:GetSubscriptionAttributes",
                ),
            )
        )
    confirmed = [s for s in existing if not s.pending]
    pending = [s for s in existing if s.pending]
    for waiting in pending:
        ctx.add(
            ManualStep(
                id=ctx.aid("ManualStep", region, f"confirm:{waiting.protocol}:{waiting.endpoint}"),
                region=region,
                resource=arn,
                description=(
                    f"confirm the pending subscription {waiting.protocol} {waiting.endpoint}"
                ),
                fixes=(CheckId.MONITORING_ROOT_METRIC_ALARM,),
                instructions=(
                    f"Open the message 'AWS Notification - Subscription Confirmation' sent "
                    f"to {waiting.endpoint} and follow 'Confirm subscription'.",
                    "If it expired (after 3 days), delete the pending subscription in the "
                    "SNS console and run rootguard again to re-send it.",
                ),
            )
        )
    if not confirmed and not pending and not planned:
        ctx.add(
            ManualStep(
                id=ctx.aid("ManualStep", region, "alert-subscriber"),
                region=region,
                resource=arn,
                description="nobody receives the alerts: the topic has no subscriber",
                fixes=(CheckId.MONITORING_ROOT_METRIC_ALARM,),
                instructions=(
                    "Plan again with alert_emails=[...] (CLI: --email ADDR) or "
                    "alert_subscriptions, or subscribe an endpoint to the topic yourself.",
                ),
            )
        )


def plan_foreign_topic_steps(ctx: PlanContext) -> None:
    for f in ctx.findings(CheckId.MONITORING_ALERT_TOPIC_SECURE):
        if f.status not in (Status.FAIL, Status.UNKNOWN):
            continue
        ours = f.resource == ctx.topic_arn and ctx.opts.alert_topic_arn is None
        could_be_ours = (
            ctx.home_ambiguous
            and ctx.opts.alert_topic_arn is None
            and f.resource.split(":")[-1] == ctx.opts.alert_topic_name
        )
        name = f.resource.split(":")[-1]
        if f.status is Status.UNKNOWN:
            unread = topic_policy_unread(ctx, f.resource)
            if unread:
                kind = (
                    BlockedKind.ALERT_TOPIC
                    if f.resource == ctx.topic_arn
                    else BlockedKind.TOPIC_POLICY
                )
                ctx.block(
                    kind,
                    f.region,
                    name,
                    resource=f.resource,
                    description=f"whether the policy of topic {name} lets outsiders in",
                    why=Why("its policy could not be read", tuple(unread)),
                    fixes=(CheckId.MONITORING_ALERT_TOPIC_SECURE,),
                    actions=("SetTopicPolicy",) if ours else ("ManualStep",),
                )
            continue
        if ours:
            continue  # rootguard's own topic: its policy is replaced (SetTopicPolicy)
        if could_be_ours and ctx.home_block is not None:
            ctx.block(
                BlockedKind.TOPIC_POLICY,
                f.region,
                name,
                resource=f.resource,
                description=f"the policy of topic {name}, which may be rootguard's alert topic",
                why=ctx.home_block,
                fixes=(CheckId.MONITORING_ALERT_TOPIC_SECURE,),
                actions=("SetTopicPolicy", "ManualStep"),
            )
            continue
        ctx.add(
            ManualStep(
                id=ctx.aid("ManualStep", f.region, f"topic-policy:{name}"),
                region=f.region,
                resource=f.resource,
                description="an alert topic's policy grants access outside the account",
                fixes=(CheckId.MONITORING_ALERT_TOPIC_SECURE,),
                instructions=(
                    f"Review the access policy of {f.resource} (SNS console → Topics → "
                    "Access policy).",
                    f"Remove or restrict what lets outsiders in — {f.detail} rootguard "
                    "does not remove statements it did not add.",
                ),
            )
        )
