"""Handlers for the trail and its storage (I/O): S3 bucket, CloudWatch Logs, IAM roles,
CloudTrail. Each reads the resource first and returns the mutating calls that bring it to
the wanted state (none: satisfied); registered by action class with
:func:`~rootguard._remediation._handling.handles`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rootguard._aws import error_message, paginate
from rootguard._judge import judge_selectors
from rootguard._remediation._actions import (
    CreateBucket,
    CreateLogGroup,
    CreateRole,
    CreateServiceLinkedRole,
    CreateTrail,
    PutBucketEncryption,
    PutBucketPolicy,
    PutBucketTagging,
    PutEventSelectors,
    PutMetricFilter,
    PutPublicAccessBlock,
    PutRetentionPolicy,
    PutRolePolicy,
    StartLogging,
    UpdateTrail,
)
from rootguard._remediation._constants import MANAGED_TAG_KEY, MANAGED_TAG_VALUE
from rootguard._remediation._context import MANAGEMENT_ADVANCED_SELECTOR, MANAGEMENT_BASIC_SELECTOR
from rootguard._remediation._handling import (
    Call,
    Conflict,
    Context,
    Decision,
    client_error_code,
    handles,
    merge_statements,
    missing_codes,
    policy_document,
    same_document,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_logs import CloudWatchLogsClient

# Each handler only reads, and returns the mutating calls needed (none: satisfied).


@handles(CreateBucket)
def _create_bucket(ctx: Context, a: CreateBucket) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    try:
        c.head_bucket(Bucket=a.params["Bucket"])
    except ClientError as exc:
        if missing_codes(exc, "404", "NoSuchBucket", "NotFound"):
            return Decision(
                [Call("CreateBucket", a.params, frozenset({"BucketAlreadyOwnedByYou"}))]
            )
        if missing_codes(exc, "403", "Forbidden", "AccessDenied"):
            raise Conflict(
                "BucketNotOwned",
                f"bucket {a.params['Bucket']} exists and is not readable by this account "
                "(owned by another account, or access denied)",
            ) from None
        raise
    return Decision(detail="the bucket exists")


@handles(PutBucketTagging)
def _bucket_tagging(ctx: Context, a: PutBucketTagging) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    bucket = a.params["Bucket"]
    try:
        have = c.get_bucket_tagging(Bucket=bucket).get("TagSet") or []
    except ClientError as exc:
        if not missing_codes(exc, "NoSuchTagSet", "NoSuchTagSetError"):
            raise
        have = []
    wanted = a.params["Tagging"]["TagSet"]
    current = {t["Key"]: t["Value"] for t in have}
    if all(current.get(t["Key"]) == t["Value"] for t in wanted):
        return Decision(detail="the bucket has the rootguard tag")
    merged = {**current, **{t["Key"]: t["Value"] for t in wanted}}
    tag_set = [{"Key": k, "Value": v} for k, v in merged.items()]
    return Decision(
        [Call("PutBucketTagging", {"Bucket": bucket, "Tagging": {"TagSet": tag_set}})],
        detail=f"{len(current)} existing tag(s) kept" if current else "",
    )


@handles(PutPublicAccessBlock)
def _public_access_block(ctx: Context, a: PutPublicAccessBlock) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    try:
        have = c.get_public_access_block(Bucket=a.params["Bucket"]).get(
            "PublicAccessBlockConfiguration", {}
        )
    except ClientError as exc:
        if not missing_codes(exc, "NoSuchPublicAccessBlockConfiguration"):
            raise
        have = {}
    wanted = a.params["PublicAccessBlockConfiguration"]
    if all(have.get(k) is True for k in wanted):
        return Decision(detail="all public access is already blocked")
    return Decision([Call("PutPublicAccessBlock", a.params)])


@handles(PutBucketEncryption)
def _bucket_encryption(ctx: Context, a: PutBucketEncryption) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    try:
        rules = (
            c.get_bucket_encryption(Bucket=a.params["Bucket"])
            .get("ServerSideEncryptionConfiguration", {})
            .get("Rules", [])
        )
    except ClientError as exc:
        if not missing_codes(exc, "ServerSideEncryptionConfigurationNotFoundError"):
            raise
        rules = []
    algorithms = [
        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
        for r in rules
        if r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
    ]
    if algorithms:
        return Decision(detail=f"default encryption {algorithms[0]} kept")
    return Decision([Call("PutBucketEncryption", a.params)])


@handles(PutBucketPolicy)
def _bucket_policy(ctx: Context, a: PutBucketPolicy) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    bucket = a.params["Bucket"]
    try:
        current = policy_document(c.get_bucket_policy(Bucket=bucket).get("Policy"))
    except ClientError as exc:
        if not missing_codes(exc, "NoSuchBucketPolicy"):
            raise
        current = None
    merged = merge_statements(current, json.loads(a.params["Policy"]))
    if current is not None and same_document(current, merged):
        return Decision(detail="the policy has rootguard's statements")
    kept = len((current or {}).get("Statement") or []) if isinstance(current, dict) else 0
    return Decision(
        [Call("PutBucketPolicy", {"Bucket": bucket, "Policy": json.dumps(merged)})],
        detail=f"merged into the existing policy ({kept} statement(s))" if current else "",
    )


def _find_log_group(c: CloudWatchLogsClient, name: str) -> dict[str, Any] | None:
    groups = paginate(c, "DescribeLogGroups", "logGroups", logGroupNamePrefix=name)
    return next((g for g in groups if g.get("logGroupName") == name), None)


@handles(CreateLogGroup)
def _create_log_group(ctx: Context, a: CreateLogGroup) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    if _find_log_group(c, a.params["logGroupName"]) is not None:
        return Decision(detail="the log group exists")
    return Decision(
        [Call("CreateLogGroup", a.params, frozenset({"ResourceAlreadyExistsException"}))]
    )


@handles(PutRetentionPolicy)
def _retention(ctx: Context, a: PutRetentionPolicy) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    name = a.params["logGroupName"]
    group = _find_log_group(c, name)
    if group is None:
        raise Conflict("ResourceNotFoundException", f"log group {name} does not exist")
    if group.get("retentionInDays"):
        return Decision(detail=f"retention already {group['retentionInDays']} days (kept)")
    arn = group.get("logGroupArn") or str(group.get("arn", "")).removesuffix(":*")
    tags = c.list_tags_for_resource(resourceArn=arn).get("tags") or {}
    if tags.get(MANAGED_TAG_KEY) != MANAGED_TAG_VALUE:
        return Decision(
            detail="the log group is not managed by rootguard: its retention is left as it is"
        )
    return Decision([Call("PutRetentionPolicy", a.params)])


@handles(CreateRole)
def _create_role(ctx: Context, a: CreateRole) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    name = a.params["RoleName"]
    try:
        role = c.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if not missing_codes(exc, "NoSuchEntity"):
            raise
        return Decision([Call("CreateRole", a.params, frozenset({"EntityAlreadyExists"}))])
    if same_document(role.get("AssumeRolePolicyDocument"), a.params["AssumeRolePolicyDocument"]):
        return Decision(detail="the role exists with the wanted trust policy")
    tags = {t["Key"]: t["Value"] for t in role.get("Tags") or []}
    if tags.get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE:
        return Decision(
            [
                Call(
                    "UpdateAssumeRolePolicy",
                    {"RoleName": name, "PolicyDocument": a.params["AssumeRolePolicyDocument"]},
                )
            ],
            detail="trust policy of the rootguard role restored",
        )
    raise Conflict(
        "RoleConflict",
        f"role {name} exists with another trust policy and is not managed by rootguard",
    )


@handles(PutRolePolicy)
def _role_policy(ctx: Context, a: PutRolePolicy) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    try:
        have = c.get_role_policy(RoleName=a.params["RoleName"], PolicyName=a.params["PolicyName"])
    except ClientError as exc:
        if not missing_codes(exc, "NoSuchEntity"):
            raise
        return Decision([Call("PutRolePolicy", a.params)])
    if same_document(have.get("PolicyDocument"), a.params["PolicyDocument"]):
        return Decision(detail="the inline policy is as wanted")
    return Decision([Call("PutRolePolicy", a.params)])


@handles(CreateServiceLinkedRole)
def _service_linked_role(ctx: Context, a: CreateServiceLinkedRole) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    service = a.params["AWSServiceName"]
    roles = paginate(c, "ListRoles", "Roles", PathPrefix=f"/aws-service-role/{service}/")
    if roles:
        return Decision(detail=f"the service-linked role {roles[0]['RoleName']} exists")
    return Decision(
        [
            Call(
                "CreateServiceLinkedRole",
                a.params,
                frozenset({"EntityAlreadyExists"}),
                exists_if=lambda e: (
                    client_error_code(e) == "InvalidInput" and "taken" in error_message(e).lower()
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


def _get_trail(c: CloudTrailClient, name: str) -> dict[str, Any] | None:
    try:
        return dict(c.get_trail(Name=name)["Trail"])
    except ClientError as exc:
        if missing_codes(exc, "TrailNotFoundException"):
            return None
        raise


@handles(CreateTrail)
def _create_trail(ctx: Context, a: CreateTrail) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    name = a.params["Name"]
    trail = _get_trail(c, name)
    if trail is None:
        return Decision([Call("CreateTrail", a.params, frozenset({"TrailAlreadyExistsException"}))])
    add = _trail_additions(trail, a.params)
    if not add:
        return Decision(detail="the trail exists as wanted")
    return Decision(
        [Call("UpdateTrail", {"Name": name, **add})],
        detail=f"the trail exists; added {', '.join(add)}",
    )


@handles(UpdateTrail)
def _update_trail(ctx: Context, a: UpdateTrail) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    name = a.params["Name"]
    trail = _get_trail(c, name)
    if trail is None:
        raise Conflict("TrailNotFoundException", f"trail {name} does not exist")
    add = _trail_additions(trail, a.params)
    if not add:
        return Decision(detail="the trail already has these settings")
    return Decision([Call("UpdateTrail", {"Name": name, **add})])


@handles(StartLogging)
def _start_logging(ctx: Context, a: StartLogging) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    if c.get_trail_status(Name=a.params["Name"]).get("IsLogging"):
        return Decision(detail="the trail is logging")
    return Decision([Call("StartLogging", a.params)])


@handles(PutEventSelectors)
def _event_selectors(ctx: Context, a: PutEventSelectors) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
    name = a.params["TrailName"]
    have = c.get_event_selectors(TrailName=name)
    basic = have.get("EventSelectors") or []
    advanced = have.get("AdvancedEventSelectors") or []
    verdict = judge_selectors(basic, advanced, ctx.plan.account_id)
    if verdict is not None and verdict.records_all:
        return Decision(detail="the trail records all management events")
    if advanced:
        params: dict[str, Any] = {
            "TrailName": name,
            "AdvancedEventSelectors": [*advanced, MANAGEMENT_ADVANCED_SELECTOR],
        }
    elif basic:
        params = {"TrailName": name, "EventSelectors": [*basic, MANAGEMENT_BASIC_SELECTOR]}
    else:
        params = {"TrailName": name, "EventSelectors": [MANAGEMENT_BASIC_SELECTOR]}
    return Decision([Call("PutEventSelectors", params)])


@handles(PutMetricFilter)
def _metric_filter(ctx: Context, a: PutMetricFilter) -> Decision:
    c = ctx.factory.client(a.service, ctx.region(a))
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
            return Decision(detail="the metric filter exists as wanted")
    return Decision([Call("PutMetricFilter", p)])
