"""One handler per API action class (I/O): each reads the resource first and returns
the mutating calls that bring it to the wanted state (none: satisfied). Registered by
class with :func:`~rootguard._remediation._handling.handles`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from rootguard._aws import (
    CALL_ERRORS,
    error_code,
    error_message,
    paginate,
)
from rootguard._judge import (
    is_aws_managed_sns_key,
    judge_selectors,
    key_policy_missing_services,
    records_iam,
)
from rootguard._remediation._actions import (
    ApiAction,
    CreateBucket,
    CreateKey,
    CreateLogGroup,
    CreateRole,
    CreateServiceLinkedRole,
    CreateTopic,
    CreateTrail,
    PutBucketEncryption,
    PutBucketPolicy,
    PutBucketTagging,
    PutConfigRule,
    PutConfigurationRecorder,
    PutDeliveryChannel,
    PutEventSelectors,
    PutMetricAlarm,
    PutMetricFilter,
    PutPublicAccessBlock,
    PutRetentionPolicy,
    PutRolePolicy,
    PutRule,
    PutTargets,
    SetTopicEncryption,
    SetTopicPolicy,
    StartConfigurationRecorder,
    StartLogging,
    Subscribe,
    UpdateTrail,
)
from rootguard._remediation._constants import (
    KEY_ALIAS_TAG_KEY,
    MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE,
)
from rootguard._remediation._context import MANAGEMENT_ADVANCED_SELECTOR, MANAGEMENT_BASIC_SELECTOR
from rootguard._remediation._handling import (
    _Call,
    _code,
    _Conflict,
    _Context,
    _Decision,
    _doc,
    _merge_statements,
    _missing_codes,
    _same_doc,
    handles,
)
from rootguard._remediation._outcomes import (
    PendingConfirmation,
)

# Each handler only reads, and returns the mutating calls needed (none: satisfied).


@handles(CreateBucket)
def _create_bucket(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        c.head_bucket(Bucket=a.params["Bucket"])
    except ClientError as exc:
        if _missing_codes(exc, "404", "NoSuchBucket", "NotFound"):
            return _Decision(
                [_Call("CreateBucket", a.params, frozenset({"BucketAlreadyOwnedByYou"}))]
            )
        if _missing_codes(exc, "403", "Forbidden", "AccessDenied"):
            raise _Conflict(
                "BucketNotOwned",
                f"bucket {a.params['Bucket']} exists and is not readable by this account "
                "(owned by another account, or access denied)",
            ) from None
        raise
    return _Decision(detail="the bucket exists")


@handles(PutBucketTagging)
def _bucket_tagging(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    bucket = a.params["Bucket"]
    try:
        have = c.get_bucket_tagging(Bucket=bucket).get("TagSet") or []
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchTagSet", "NoSuchTagSetError"):
            raise
        have = []
    wanted = a.params["Tagging"]["TagSet"]
    current = {t["Key"]: t["Value"] for t in have}
    if all(current.get(t["Key"]) == t["Value"] for t in wanted):
        return _Decision(detail="the bucket has the rootguard tag")
    merged = {**current, **{t["Key"]: t["Value"] for t in wanted}}
    tag_set = [{"Key": k, "Value": v} for k, v in merged.items()]
    return _Decision(
        [_Call("PutBucketTagging", {"Bucket": bucket, "Tagging": {"TagSet": tag_set}})],
        detail=f"{len(current)} existing tag(s) kept" if current else "",
    )


@handles(PutPublicAccessBlock)
def _public_access_block(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        have = c.get_public_access_block(Bucket=a.params["Bucket"]).get(
            "PublicAccessBlockConfiguration", {}
        )
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchPublicAccessBlockConfiguration"):
            raise
        have = {}
    wanted = a.params["PublicAccessBlockConfiguration"]
    if all(have.get(k) is True for k in wanted):
        return _Decision(detail="all public access is already blocked")
    return _Decision([_Call("PutPublicAccessBlock", a.params)])


@handles(PutBucketEncryption)
def _bucket_encryption(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        rules = (
            c.get_bucket_encryption(Bucket=a.params["Bucket"])
            .get("ServerSideEncryptionConfiguration", {})
            .get("Rules", [])
        )
    except ClientError as exc:
        if not _missing_codes(exc, "ServerSideEncryptionConfigurationNotFoundError"):
            raise
        rules = []
    algorithms = [
        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
        for r in rules
        if r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
    ]
    if algorithms:
        return _Decision(detail=f"default encryption {algorithms[0]} kept")
    return _Decision([_Call("PutBucketEncryption", a.params)])


@handles(PutBucketPolicy)
def _bucket_policy(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    bucket = a.params["Bucket"]
    try:
        current = _doc(c.get_bucket_policy(Bucket=bucket).get("Policy"))
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchBucketPolicy"):
            raise
        current = None
    merged = _merge_statements(current, json.loads(a.params["Policy"]))
    if current is not None and _same_doc(current, merged):
        return _Decision(detail="the policy has rootguard's statements")
    kept = len((current or {}).get("Statement") or []) if isinstance(current, dict) else 0
    return _Decision(
        [_Call("PutBucketPolicy", {"Bucket": bucket, "Policy": json.dumps(merged)})],
        detail=f"merged into the existing policy ({kept} statement(s))" if current else "",
    )


def _find_log_group(c: Any, name: str) -> dict[str, Any] | None:
    groups = paginate(c, "DescribeLogGroups", "logGroups", logGroupNamePrefix=name)
    return next((g for g in groups if g.get("logGroupName") == name), None)


@handles(CreateLogGroup)
def _create_log_group(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    if _find_log_group(c, a.params["logGroupName"]) is not None:
        return _Decision(detail="the log group exists")
    return _Decision(
        [_Call("CreateLogGroup", a.params, frozenset({"ResourceAlreadyExistsException"}))]
    )


@handles(PutRetentionPolicy)
def _retention(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["logGroupName"]
    group = _find_log_group(c, name)
    if group is None:
        raise _Conflict("ResourceNotFoundException", f"log group {name} does not exist")
    if group.get("retentionInDays"):
        return _Decision(detail=f"retention already {group['retentionInDays']} days (kept)")
    arn = group.get("logGroupArn") or str(group.get("arn", "")).removesuffix(":*")
    tags = c.list_tags_for_resource(resourceArn=arn).get("tags") or {}
    if tags.get(MANAGED_TAG_KEY) != MANAGED_TAG_VALUE:
        return _Decision(
            detail="the log group is not managed by rootguard: its retention is left as it is"
        )
    return _Decision([_Call("PutRetentionPolicy", a.params)])


@handles(CreateRole)
def _create_role(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["RoleName"]
    try:
        role = c.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchEntity"):
            raise
        return _Decision([_Call("CreateRole", a.params, frozenset({"EntityAlreadyExists"}))])
    if _same_doc(role.get("AssumeRolePolicyDocument"), a.params["AssumeRolePolicyDocument"]):
        return _Decision(detail="the role exists with the wanted trust policy")
    tags = {t["Key"]: t["Value"] for t in role.get("Tags") or []}
    if tags.get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE:
        return _Decision(
            [
                _Call(
                    "UpdateAssumeRolePolicy",
                    {"RoleName": name, "PolicyDocument": a.params["AssumeRolePolicyDocument"]},
                )
            ],
            detail="trust policy of the rootguard role restored",
        )
    raise _Conflict(
        "RoleConflict",
        f"role {name} exists with another trust policy and is not managed by rootguard",
    )


@handles(PutRolePolicy)
def _role_policy(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        have = c.get_role_policy(RoleName=a.params["RoleName"], PolicyName=a.params["PolicyName"])
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchEntity"):
            raise
        return _Decision([_Call("PutRolePolicy", a.params)])
    if _same_doc(have.get("PolicyDocument"), a.params["PolicyDocument"]):
        return _Decision(detail="the inline policy is as wanted")
    return _Decision([_Call("PutRolePolicy", a.params)])


@handles(CreateServiceLinkedRole)
def _service_linked_role(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    service = a.params["AWSServiceName"]
    roles = paginate(c, "ListRoles", "Roles", PathPrefix=f"/aws-service-role/{service}/")
    if roles:
        return _Decision(detail=f"the service-linked role {roles[0]['RoleName']} exists")
    return _Decision(
        [
            _Call(
                "CreateServiceLinkedRole",
                a.params,
                frozenset({"EntityAlreadyExists"}),
                exists_if=lambda e: (
                    _code(e) == "InvalidInput" and "taken" in error_message(e).lower()
                ),
            )
        ]
    )


def _trail_additions(trail: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateTrail parameters that add what ``trail`` lacks of ``wanted`` (never removes)."""
    add: dict[str, Any] = {}
    if wanted.get("IsMultiRegionTrail") and not trail.get("IsMultiRegionTrail"):
        add["IsMultiRegionTrail"] = True
    if wanted.get("IncludeGlobalServiceEvents") and not trail.get("IncludeGlobalServiceEvents"):
        add["IncludeGlobalServiceEvents"] = True
    if wanted.get("EnableLogFileValidation") and not trail.get("LogFileValidationEnabled"):
        add["EnableLogFileValidation"] = True
    if wanted.get("CloudWatchLogsLogGroupArn") and not trail.get("CloudWatchLogsLogGroupArn"):
        add["CloudWatchLogsLogGroupArn"] = wanted["CloudWatchLogsLogGroupArn"]
        add["CloudWatchLogsRoleArn"] = wanted["CloudWatchLogsRoleArn"]
    return add


def _get_trail(c: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(c.get_trail(Name=name)["Trail"])
    except ClientError as exc:
        if _missing_codes(exc, "TrailNotFoundException"):
            return None
        raise


@handles(CreateTrail)
def _create_trail(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["Name"]
    trail = _get_trail(c, name)
    if trail is None:
        return _Decision(
            [_Call("CreateTrail", a.params, frozenset({"TrailAlreadyExistsException"}))]
        )
    add = _trail_additions(trail, a.params)
    if not add:
        return _Decision(detail="the trail exists as wanted")
    return _Decision(
        [_Call("UpdateTrail", {"Name": name, **add})],
        detail=f"the trail exists; added {', '.join(add)}",
    )


@handles(UpdateTrail)
def _update_trail(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["Name"]
    trail = _get_trail(c, name)
    if trail is None:
        raise _Conflict("TrailNotFoundException", f"trail {name} does not exist")
    add = _trail_additions(trail, a.params)
    if not add:
        return _Decision(detail="the trail already has these settings")
    return _Decision([_Call("UpdateTrail", {"Name": name, **add})])


@handles(StartLogging)
def _start_logging(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    if c.get_trail_status(Name=a.params["Name"]).get("IsLogging"):
        return _Decision(detail="the trail is logging")
    return _Decision([_Call("StartLogging", a.params)])


@handles(PutEventSelectors)
def _event_selectors(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["TrailName"]
    have = c.get_event_selectors(TrailName=name)
    basic = have.get("EventSelectors") or []
    advanced = have.get("AdvancedEventSelectors") or []
    verdict = judge_selectors(basic, advanced, ctx.plan.account_id)
    if verdict is not None and verdict.records_all:
        return _Decision(detail="the trail records all management events")
    if advanced:
        params: dict[str, Any] = {
            "TrailName": name,
            "AdvancedEventSelectors": [*advanced, MANAGEMENT_ADVANCED_SELECTOR],
        }
    elif basic:
        params = {"TrailName": name, "EventSelectors": [*basic, MANAGEMENT_BASIC_SELECTOR]}
    else:
        params = {"TrailName": name, "EventSelectors": [MANAGEMENT_BASIC_SELECTOR]}
    return _Decision([_Call("PutEventSelectors", params)])


@handles(PutMetricFilter)
def _metric_filter(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    p = a.params
    filters = paginate(
        c,
        "DescribeMetricFilters",
        "metricFilters",
        logGroupName=p["logGroupName"],
        filterNamePrefix=p["filterName"],
    )
    wanted = [
        (t["metricName"], t["metricNamespace"], str(t["metricValue"]))
        for t in p["metricTransformations"]
    ]
    for f in filters:
        if f.get("filterName") != p["filterName"]:
            continue
        have = [
            (t.get("metricName"), t.get("metricNamespace"), str(t.get("metricValue")))
            for t in f.get("metricTransformations") or []
        ]
        if f.get("filterPattern") == p["filterPattern"] and have == wanted:
            return _Decision(detail="the metric filter exists as wanted")
    return _Decision([_Call("PutMetricFilter", p)])


@handles(CreateTopic)
def _create_topic(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    try:
        c.get_topic_attributes(TopicArn=a.resource)
    except ClientError as exc:
        if not _missing_codes(exc, "NotFound", "NotFoundException"):
            raise
        return _Decision([_Call("CreateTopic", a.params)])
    return _Decision(detail="the topic exists")


@handles(SetTopicPolicy)
def _topic_policy(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    arn = a.params["TopicArn"]
    attributes = c.get_topic_attributes(TopicArn=arn).get("Attributes") or {}
    current = _doc(attributes.get("Policy"))
    wanted = json.loads(a.params["AttributeValue"])
    merge = bool(getattr(a, "merge", False))
    new = _merge_statements(current, wanted) if merge else wanted
    if current is not None and _same_doc(current, new):
        return _Decision(detail="the topic policy is as wanted")
    return _Decision(
        [
            _Call(
                "SetTopicAttributes",
                {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": json.dumps(new)},
            )
        ],
        detail="rootguard's statements added to the topic policy" if merge else "",
    )


def _alias_name(a: ApiAction) -> str:
    alias = getattr(a, "alias_name", None)
    if not isinstance(alias, str) or not alias.startswith("alias/"):
        raise _Conflict("InvalidAction", f"{a.id} names no KMS alias")
    return alias


def _adoptable_key(c: Any, alias: str, aliased: set[str]) -> str | None:
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
def _kms_key(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    alias = _alias_name(a)
    aliases = paginate(c, "ListAliases", "Aliases")
    found = next((x for x in aliases if x.get("AliasName") == alias), None)
    if found is not None:
        key_id = str(found.get("TargetKeyId") or "")
        if not key_id:
            raise _Conflict("AliasWithoutKey", f"alias {alias} names no key")
        policy = _doc(c.get_key_policy(KeyId=key_id, PolicyName="default").get("Policy"))
        missing = key_policy_missing_services(policy if isinstance(policy, Mapping) else None)
        if missing:
            raise _Conflict(
                "KeyPolicyMissingGrants",
                f"the key {alias} ({key_id}) exists but its key policy does not let "
                f"{', '.join(missing)} use it (kms:GenerateDataKey*, kms:Decrypt); rootguard "
                "never edits an existing key policy: add those grants, or name another "
                "alias (alert_topic_key_alias)",
            )
        return _Decision(detail=f"the key {alias} ({key_id}) exists and lets AWS services use it")
    aliased = {str(x.get("TargetKeyId")) for x in aliases if x.get("TargetKeyId")}
    orphan = _adoptable_key(c, alias, aliased)
    if orphan is not None:
        return _Decision(
            [_Call("CreateAlias", {"AliasName": alias, "TargetKeyId": orphan})],
            detail=f"adopting key {orphan}, which an interrupted run created",
        )

    def after(responses: list[dict[str, Any]]) -> str | None:
        key_id = str((responses[-1].get("KeyMetadata") or {}).get("KeyId") or "")
        if not key_id:
            raise _Conflict("InvalidResponse", "CreateKey answered no KeyId")
        try:
            c.create_alias(AliasName=alias, TargetKeyId=key_id)
        except CALL_ERRORS as exc:
            raise _Conflict(
                error_code(exc),
                f"key {key_id} was created but CreateAlias {alias} failed "
                f"({error_message(exc)}); the next apply adopts that key",
            ) from None
        return f"key {key_id} created, alias {alias}"

    return _Decision([_Call("CreateKey", a.params)], after=after)


@handles(SetTopicEncryption)
def _topic_encryption(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    arn = a.params["TopicArn"]
    attributes = c.get_topic_attributes(TopicArn=arn).get("Attributes") or {}
    current = str(attributes.get("KmsMasterKeyId") or "")
    wanted = str(a.params["AttributeValue"])
    if current == wanted:
        return _Decision(detail=f"the topic is encrypted with {wanted}")
    if current and not is_aws_managed_sns_key(current):
        return _Decision(
            detail=f"the topic is encrypted with the customer managed key {current} (kept)"
        )
    return _Decision([_Call("SetTopicAttributes", a.params)])


@handles(Subscribe)
def _subscribe(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
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
                return _Decision(detail="already subscribed, waiting for confirmation")
            return _Decision(detail="already subscribed and confirmed")

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

    return _Decision([_Call("Subscribe", p)], after=after)


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
def _metric_alarm(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
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
            return _Decision(detail="the alarm exists as wanted")
        merged = list(dict.fromkeys([*actions, *p["AlarmActions"]]))
        return _Decision([_Call("PutMetricAlarm", {**p, "AlarmActions": merged})])
    return _Decision([_Call("PutMetricAlarm", p)])


@handles(PutRule)
def _rule(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    p = a.params
    try:
        have = c.describe_rule(Name=p["Name"])
    except ClientError as exc:
        if not _missing_codes(exc, "ResourceNotFoundException"):
            raise
        return _Decision([_Call("PutRule", p)])
    if _same_doc(have.get("EventPattern"), p["EventPattern"]) and have.get("State") == p["State"]:
        return _Decision(detail="the rule exists as wanted")
    return _Decision([_Call("PutRule", p)])


@handles(PutTargets)
def _targets(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    p = a.params
    have = paginate(c, "ListTargetsByRule", "Targets", Rule=p["Rule"])
    missing = [
        t for t in p["Targets"] if not any(all(h.get(k) == v for k, v in t.items()) for h in have)
    ]
    if not missing:
        return _Decision(detail="the rule has the wanted target")

    def after(responses: list[dict[str, Any]]) -> str | None:
        response = responses[-1]
        if response.get("FailedEntryCount"):
            entry = (response.get("FailedEntries") or [{}])[0]
            raise _Conflict(
                str(entry.get("ErrorCode") or "FailedEntry"),
                str(entry.get("ErrorMessage") or "PutTargets rejected the target"),
            )
        return None

    return _Decision([_Call("PutTargets", {**p, "Targets": missing})], after=after)


@handles(PutConfigurationRecorder)
def _recorder(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    wanted = a.params["ConfigurationRecorder"]
    recorders = c.describe_configuration_recorders().get("ConfigurationRecorders") or []
    same = next((r for r in recorders if r.get("name") == wanted["name"]), None)
    if same is not None:
        if records_iam(same.get("recordingGroup")):
            return _Decision(detail=f"recorder {same['name']} exists and records IAM resources")
        return _Decision([_Call("PutConfigurationRecorder", a.params)])
    return _one_per_region(
        "recorder",
        recorders,
        _Call(
            "PutConfigurationRecorder",
            a.params,
            frozenset({"MaxNumberOfConfigurationRecordersExceededException"}),
        ),
    )


@handles(PutDeliveryChannel)
def _delivery_channel(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    channels = c.describe_delivery_channels().get("DeliveryChannels") or []
    return _one_per_region(
        "delivery channel",
        channels,
        _Call(
            "PutDeliveryChannel",
            a.params,
            frozenset({"MaxNumberOfDeliveryChannelsExceededException"}),
        ),
    )


def _one_per_region(what: str, existing: Sequence[Mapping[str, Any]], create: _Call) -> _Decision:
    """AWS Config has one recorder and one delivery channel per region: an existing one
    (whatever its name) is kept; otherwise ``create`` (whose "limit exceeded" error means
    someone else just created it)."""
    if existing:
        return _Decision(detail=f"{what} {existing[0].get('name')} exists (kept)")
    return _Decision([create])


@handles(StartConfigurationRecorder)
def _start_recorder(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    name = a.params["ConfigurationRecorderName"]
    status = c.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    if any(s.get("recording") for s in status.get("ConfigurationRecordersStatus") or []):
        return _Decision(detail="the recorder is recording")
    return _Decision([_Call("StartConfigurationRecorder", a.params)])


@handles(PutConfigRule)
def _config_rule(ctx: _Context, c: Any, a: ApiAction) -> _Decision:
    rule = a.params["ConfigRule"]
    try:
        found = c.describe_config_rules(ConfigRuleNames=[rule["ConfigRuleName"]])
    except ClientError as exc:
        if not _missing_codes(exc, "NoSuchConfigRuleException"):
            raise
        return _Decision([_Call("PutConfigRule", a.params)])
    for have in found.get("ConfigRules") or []:
        if (have.get("Source") or {}).get("SourceIdentifier") == rule["Source"][
            "SourceIdentifier"
        ] and have.get("ConfigRuleState", "ACTIVE") == "ACTIVE":
            return _Decision(detail="the rule exists as wanted")
    return _Decision([_Call("PutConfigRule", a.params)])
