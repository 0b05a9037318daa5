"""Handlers for alerting and AWS Config (I/O): SNS topic and subscriptions, the KMS key,
the CloudWatch alarm, EventBridge rules and targets, the Config recorder, channel and
rules. Each reads the resource first and returns the mutating calls that bring it to the
wanted state (none: satisfied); registered by action class with
:func:`~rootguard._remediation._handling.handles`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rootguard._aws import CALL_ERRORS, error_code, error_message, paginate
from rootguard._judge import is_aws_managed_sns_key, key_policy_missing_services, records_iam
from rootguard._remediation._actions import (
    ApiAction,
    CreateKey,
    CreateTopic,
    PutConfigRule,
    PutConfigurationRecorder,
    PutDeliveryChannel,
    PutMetricAlarm,
    PutRule,
    PutTargets,
    SetTopicEncryption,
    SetTopicPolicy,
    StartConfigurationRecorder,
    Subscribe,
)
from rootguard._remediation._constants import KEY_ALIAS_TAG_KEY
from rootguard._remediation._handling import (
    Call,
    Conflict,
    Context,
    Decision,
    handles,
    merge_statements,
    missing_codes,
    policy_document,
    same_document,
)
from rootguard._remediation._outcomes import PendingConfirmation

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# Each handler only reads, and returns the mutating calls needed (none: satisfied).


@handles(CreateTopic)
def _create_topic(ctx: Context, a: CreateTopic) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    try:
        c.get_topic_attributes(TopicArn=a.resource)
    except ClientError as exc:
        if not missing_codes(exc, "NotFound", "NotFoundException"):
            raise
        return Decision([Call("CreateTopic", a.params)])
    return Decision(detail="the topic exists")


@handles(SetTopicPolicy)
def _topic_policy(ctx: Context, a: SetTopicPolicy) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    arn = a.params["TopicArn"]
    attributes = c.get_topic_attributes(TopicArn=arn).get("Attributes") or {}
    current = policy_document(attributes.get("Policy"))
    wanted = json.loads(a.params["AttributeValue"])
    merge = bool(getattr(a, "merge", False))
    new = merge_statements(current, wanted) if merge else wanted
    if current is not None and same_document(current, new):
        return Decision(detail="the topic policy is as wanted")
    return Decision(
        [
            Call(
                "SetTopicAttributes",
                {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": json.dumps(new)},
            )
        ],
        detail="rootguard's statements added to the topic policy" if merge else "",
    )


def _alias_name(a: ApiAction) -> str:
    alias = getattr(a, "alias_name", None)
    if not isinstance(alias, str) or not alias.startswith("alias/"):
        raise Conflict("InvalidAction", f"{a.id} names no KMS alias")
    return alias


def _adoptable_key(c: KMSClient, alias: str, aliased: set[str]) -> str | None:
    """A key an interrupted run created (tagged with ``alias``, enabled) whose alias was
    never attached: adopted instead of creating a second key. Keys that already have an
    alias are not rootguard's orphans and are not looked at; keys whose tags cannot be
    read are skipped."""
    for key in paginate(c, "ListKeys", "Keys"):
        key_id = str(key.get("KeyId") or "")
        if not key_id or key_id in aliased:
            continue
        try:
            tags = paginate(c, "ListResourceTags", "Tags", KeyId=key_id)
            if not any(
                t.get("TagKey") == KEY_ALIAS_TAG_KEY and t.get("TagValue") == alias for t in tags
            ):
                continue
            meta = c.describe_key(KeyId=key_id).get("KeyMetadata") or {}
        except ClientError:
            continue
        if meta.get("KeyState") == "Enabled" and meta.get("KeyManager", "CUSTOMER") == "CUSTOMER":
            return key_id
    return None


@handles(CreateKey)
def _kms_key(ctx: Context, a: CreateKey) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    alias = _alias_name(a)
    aliases = paginate(c, "ListAliases", "Aliases")
    found = next((x for x in aliases if x.get("AliasName") == alias), None)
    if found is not None:
        key_id = str(found.get("TargetKeyId") or "")
        if not key_id:
            raise Conflict("AliasWithoutKey", f"alias {alias} names no key")
        policy = policy_document(c.get_key_policy(KeyId=key_id, PolicyName="default").get("Policy"))
        missing = key_policy_missing_services(policy if isinstance(policy, Mapping) else None)
        if missing:
            raise Conflict(
                "KeyPolicyMissingGrants",
                f"the key {alias} ({key_id}) exists but its key policy does not let "
                f"{', '.join(missing)} use it (kms:GenerateDataKey*, kms:Decrypt); rootguard "
                "never edits an existing key policy: add those grants, or name another "
                "alias (alert_topic_key_alias)",
            )
        return Decision(detail=f"the key {alias} ({key_id}) exists and lets AWS services use it")
    aliased = {str(x.get("TargetKeyId")) for x in aliases if x.get("TargetKeyId")}
    orphan = _adoptable_key(c, alias, aliased)
    if orphan is not None:
        return Decision(
            [Call("CreateAlias", {"AliasName": alias, "TargetKeyId": orphan})],
            detail=f"adopting key {orphan}, which an interrupted run created",
        )

    def after(responses: list[dict[str, Any]]) -> str | None:
        key_id = str((responses[-1].get("KeyMetadata") or {}).get("KeyId") or "")
        if not key_id:
            raise Conflict("InvalidResponse", "CreateKey answered no KeyId")
        try:
            c.create_alias(AliasName=alias, TargetKeyId=key_id)
        except CALL_ERRORS as exc:
            raise Conflict(
                error_code(exc),
                f"key {key_id} was created but CreateAlias {alias} failed "
                f"({error_message(exc)}); the next apply adopts that key",
            ) from None
        return f"key {key_id} created, alias {alias}"

    return Decision([Call("CreateKey", a.params)], after=after)


@handles(SetTopicEncryption)
def _topic_encryption(ctx: Context, a: SetTopicEncryption) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    arn = a.params["TopicArn"]
    attributes = c.get_topic_attributes(TopicArn=arn).get("Attributes") or {}
    current = str(attributes.get("KmsMasterKeyId") or "")
    wanted = str(a.params["AttributeValue"])
    if current == wanted:
        return Decision(detail=f"the topic is encrypted with {wanted}")
    if current and not is_aws_managed_sns_key(current):
        return Decision(
            detail=f"the topic is encrypted with the customer managed key {current} (kept)"
        )
    return Decision([Call("SetTopicAttributes", a.params)])


@handles(Subscribe)
def _subscribe(ctx: Context, a: Subscribe) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    p = a.params
    subs = paginate(c, "ListSubscriptionsByTopic", "Subscriptions", TopicArn=p["TopicArn"])
    endpoint = str(p["Endpoint"]).lower()
    for sub in subs:
        if (
            sub.get("Protocol") == p["Protocol"]
            and str(sub.get("Endpoint", "")).lower() == endpoint
        ):
            arn = str(sub.get("SubscriptionArn", ""))
            if arn == "PendingConfirmation" or ":" not in arn:
                ctx.pending.append(
                    PendingConfirmation(
                        topic_arn=p["TopicArn"], protocol=p["Protocol"], endpoint=p["Endpoint"]
                    )
                )
                return Decision(detail="already subscribed, waiting for confirmation")
            return Decision(detail="already subscribed and confirmed")

    def after(responses: list[dict[str, Any]]) -> str | None:
        arn = str(responses[-1].get("SubscriptionArn", ""))
        pending = "pending" in arn.lower() or ":" not in arn
        if not pending:
            attributes = c.get_subscription_attributes(SubscriptionArn=arn).get("Attributes", {})
            pending = str(attributes.get("PendingConfirmation", "false")).lower() == "true"
        if pending:
            ctx.pending.append(
                PendingConfirmation(
                    topic_arn=p["TopicArn"], protocol=p["Protocol"], endpoint=p["Endpoint"]
                )
            )
            return "subscribed; the endpoint must confirm before alerts arrive"
        return "subscribed (confirmed)"

    return Decision([Call("Subscribe", p)], after=after)


_ALARM_KEYS = (
    "MetricName",
    "Namespace",
    "Statistic",
    "Period",
    "EvaluationPeriods",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "ActionsEnabled",
)


@handles(PutMetricAlarm)
def _metric_alarm(ctx: Context, a: PutMetricAlarm) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    p = a.params
    found = c.describe_alarms(AlarmNames=[p["AlarmName"]], AlarmTypes=["MetricAlarm"])
    alarms = found.get("MetricAlarms") or []
    if alarms:
        have = alarms[0]
        actions = list(have.get("AlarmActions") or [])
        same = all(have.get(k) == p[k] for k in _ALARM_KEYS if k in p)
        # PutMetricAlarm without DatapointsToAlarm resets it to EvaluationPeriods, so an
        # alarm that needs more breaching datapoints (the check fails it) is not as wanted.
        same = same and have.get("DatapointsToAlarm") in (None, p.get("EvaluationPeriods"))
        if same and all(x in actions for x in p["AlarmActions"]) and not have.get("Dimensions"):
            return Decision(detail="the alarm exists as wanted")
        merged = list(dict.fromkeys([*actions, *p["AlarmActions"]]))
        return Decision([Call("PutMetricAlarm", {**p, "AlarmActions": merged})])
    return Decision([Call("PutMetricAlarm", p)])


@handles(PutRule)
def _rule(ctx: Context, a: PutRule) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    p = a.params
    try:
        have = c.describe_rule(Name=p["Name"])
    except ClientError as exc:
        if not missing_codes(exc, "ResourceNotFoundException"):
            raise
        return Decision([Call("PutRule", p)])
    if (
        same_document(have.get("EventPattern"), p["EventPattern"])
        and have.get("State") == p["State"]
    ):
        return Decision(detail="the rule exists as wanted")
    return Decision([Call("PutRule", p)])


@handles(PutTargets)
def _targets(ctx: Context, a: PutTargets) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    p = a.params
    have = paginate(c, "ListTargetsByRule", "Targets", Rule=p["Rule"])
    missing = [
        t for t in p["Targets"] if not any(all(h.get(k) == v for k, v in t.items()) for h in have)
    ]
    if not missing:
        return Decision(detail="the rule has the wanted target")

    def after(responses: list[dict[str, Any]]) -> str | None:
        response = responses[-1]
        if response.get("FailedEntryCount"):
            entry = (response.get("FailedEntries") or [{}])[0]
            raise Conflict(
                str(entry.get("ErrorCode") or "FailedEntry"),
                str(entry.get("ErrorMessage") or "PutTargets rejected the target"),
            )
        return None

    return Decision([Call("PutTargets", {**p, "Targets": missing})], after=after)


@handles(PutConfigurationRecorder)
def _recorder(ctx: Context, a: PutConfigurationRecorder) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    wanted = a.params["ConfigurationRecorder"]
    recorders = c.describe_configuration_recorders().get("ConfigurationRecorders") or []
    same = next((r for r in recorders if r.get("name") == wanted["name"]), None)
    if same is not None:
        if records_iam(same.get("recordingGroup")):
            return Decision(detail=f"recorder {same['name']} exists and records IAM resources")
        return Decision([Call("PutConfigurationRecorder", a.params)])
    return _one_per_region(
        "recorder",
        recorders,
        Call(
            "PutConfigurationRecorder",
            a.params,
            frozenset({"MaxNumberOfConfigurationRecordersExceededException"}),
        ),
    )


@handles(PutDeliveryChannel)
def _delivery_channel(ctx: Context, a: PutDeliveryChannel) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    channels = c.describe_delivery_channels().get("DeliveryChannels") or []
    return _one_per_region(
        "delivery channel",
        channels,
        Call(
            "PutDeliveryChannel",
            a.params,
            frozenset({"MaxNumberOfDeliveryChannelsExceededException"}),
        ),
    )


def _one_per_region(what: str, existing: Sequence[Mapping[str, Any]], create: Call) -> Decision:
    """AWS Config has one recorder and one delivery channel per region: an existing one
    (whatever its name) is kept; otherwise ``create`` (whose "limit exceeded" error means
    someone else just created it)."""
    if existing:
        return Decision(detail=f"{what} {existing[0].get('name')} exists (kept)")
    return Decision([create])


@handles(StartConfigurationRecorder)
def _start_recorder(ctx: Context, a: StartConfigurationRecorder) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    name = a.params["ConfigurationRecorderName"]
    status = c.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    if any(s.get("recording") for s in status.get("ConfigurationRecordersStatus") or []):
        return Decision(detail="the recorder is recording")
    return Decision([Call("StartConfigurationRecorder", a.params)])


@handles(PutConfigRule)
def _config_rule(ctx: Context, a: PutConfigRule) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    rule = a.params["ConfigRule"]
    try:
        found = c.describe_config_rules(ConfigRuleNames=[rule["ConfigRuleName"]])
    except ClientError as exc:
        if not missing_codes(exc, "NoSuchConfigRuleException"):
            raise
        return Decision([Call("PutConfigRule", a.params)])
    for have in found.get("ConfigRules") or []:
        if (have.get("Source") or {}).get("SourceIdentifier") == rule["Source"][
            "SourceIdentifier"
        ] and have.get("ConfigRuleState", "ACTIVE") == "ACTIVE":
            return Decision(detail="the rule exists as wanted")
    return Decision([Call("PutConfigRule", a.params)])
