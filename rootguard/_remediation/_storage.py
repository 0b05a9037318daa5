"""The trail's storage (pure): the log bucket, the log group and rootguard's service roles."""

from __future__ import annotations

from typing import Any

from rootguard._posture._catalogue import CheckId
from rootguard._remediation._actions import (
    CreateBucket,
    CreateLogGroup,
    CreateRole,
    PutBucketEncryption,
    PutBucketPolicy,
    PutBucketTagging,
    PutPublicAccessBlock,
    PutRetentionPolicy,
    PutRolePolicy,
)
from rootguard._remediation._constants import (
    MANAGED_TAG_KEY,
    MANAGED_TAG_VALUE,
    ROLE_POLICY,
)
from rootguard._remediation._context import PlanContext, Read, any_call, dumps, managed_tags


def bucket_name(ctx: PlanContext) -> str:
    return ctx.opts.bucket_name or f"rootguard-logs-{ctx.account}-{ctx.home}"


def plan_bucket(ctx: PlanContext, trail_arn: str | None, for_config: bool) -> tuple[str, ...]:
    bucket = bucket_name(ctx)
    bucket_arn = f"arn:{ctx.partition}:s3:::{bucket}"
    fixes = tuple(
        ([CheckId.CLOUDTRAIL_MULTI_REGION, CheckId.CLOUDTRAIL_LOG_VALIDATION] if trail_arn else [])
        + ([CheckId.CONFIG_ROOT_RULES] if for_config else [])
    )
    region = ctx.home
    params: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    create = ctx.add(
        CreateBucket(
            id=ctx.aid("CreateBucket", region, bucket),
            region=region,
            resource=bucket_arn,
            description=f"S3 bucket {bucket} for CloudTrail / AWS Config log files",
            fixes=fixes,
            params=params,
            permissions=("s3:CreateBucket", "s3:ListBucket"),
        )
    )
    tagging = ctx.add(
        PutBucketTagging(
            id=ctx.aid("PutBucketTagging", region, bucket),
            region=region,
            resource=bucket_arn,
            description=f"tag bucket {bucket} {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}",
            depends_on=(create,),
            params={"Bucket": bucket, "Tagging": {"TagSet": managed_tags()}},
            permissions=("s3:PutBucketTagging", "s3:GetBucketTagging"),
        )
    )
    pab = ctx.add(
        PutPublicAccessBlock(
            id=ctx.aid("PutPublicAccessBlock", region, bucket),
            region=region,
            resource=bucket_arn,
            description=f"block all public access to bucket {bucket}",
            fixes=fixes,
            depends_on=(create,),
            params={
                "Bucket": bucket,
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            },
            permissions=("s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
        )
    )
    if ctx.opts.kms_key_id:
        default: dict[str, Any] = {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": ctx.opts.kms_key_id,
        }
        rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
        rule["BucketKeyEnabled"] = True
    else:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    enc = ctx.add(
        PutBucketEncryption(
            id=ctx.aid("PutBucketEncryption", region, bucket),
            region=region,
            resource=bucket_arn,
            description=f"default encryption for bucket {bucket} (kept if it has one)",
            fixes=fixes,
            depends_on=(create,),
            params={
                "Bucket": bucket,
                "ServerSideEncryptionConfiguration": {"Rules": [rule]},
            },
            permissions=("s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"),
        )
    )
    statements = bucket_statements(ctx, bucket, trail_arn, for_config)
    policy = ctx.add(
        PutBucketPolicy(
            id=ctx.aid("PutBucketPolicy", region, bucket),
            region=region,
            resource=bucket_arn,
            description=(
                f"bucket policy of {bucket}: delivery by CloudTrail / AWS Config of this "
                "account only, TLS required (merged with any existing statements)"
            ),
            fixes=fixes,
            depends_on=(create, pab),
            params={
                "Bucket": bucket,
                "Policy": dumps({"Version": "2012-10-17", "Statement": statements}),
            },
            permissions=("s3:PutBucketPolicy", "s3:GetBucketPolicy"),
        )
    )
    return (create, tagging, pab, enc, policy)


def bucket_statements(
    ctx: PlanContext, bucket: str, trail_arn: str | None, for_config: bool
) -> list[dict[str, Any]]:
    p, account = ctx.partition, ctx.account
    bucket_arn = f"arn:{p}:s3:::{bucket}"
    statements: list[dict[str, Any]] = []
    if trail_arn:
        statements += [
            {
                "Sid": "RootGuardCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "RootGuardCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account}/*",
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceArn": trail_arn,
                    }
                },
            },
        ]
    if for_config:
        statements += [
            {
                "Sid": "RootGuardConfigAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            {
                "Sid": "RootGuardConfigListBucket",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
            {
                "Sid": "RootGuardConfigWrite",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account}/Config/*",
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceAccount": account,
                    }
                },
            },
        ]
    statements.append(
        {
            "Sid": "RootGuardDenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    return statements


def plan_role(  # noqa: PLR0917 - the role's parts, in the order IAM takes them
    ctx: PlanContext,
    name: str,
    service_principal: str,
    policy_statements: list[dict[str, Any]],
    description: str,
    fixes: tuple[str, ...],
) -> tuple[str, str]:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service_principal},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ctx.account}},
            }
        ],
    }
    role_arn = ctx.role_arn(name)
    create = ctx.add(
        CreateRole(
            id=ctx.aid("CreateRole", None, name),
            region=None,
            resource=role_arn,
            description=f"IAM role {name}: {description}",
            fixes=fixes,
            params={
                "RoleName": name,
                "AssumeRolePolicyDocument": dumps(trust),
                "Description": f"rootguard: {description}",
                "Tags": managed_tags(),
            },
            permissions=(
                "iam:CreateRole",
                "iam:TagRole",
                "iam:GetRole",
                "iam:UpdateAssumeRolePolicy",
            ),
        )
    )
    policy = ctx.add(
        PutRolePolicy(
            id=ctx.aid("PutRolePolicy", None, name),
            region=None,
            resource=role_arn,
            description=f"inline policy {ROLE_POLICY} of role {name}",
            fixes=fixes,
            depends_on=(create,),
            params={
                "RoleName": name,
                "PolicyName": ROLE_POLICY,
                "PolicyDocument": dumps({"Version": "2012-10-17", "Statement": policy_statements}),
            },
            permissions=("iam:PutRolePolicy", "iam:GetRolePolicy"),
        )
    )
    return create, policy


def log_group_unread(ctx: PlanContext, region: str, name: str) -> list[Read]:
    """What was not read about a log group of this account (its existence, its
    metric filters)."""
    arn = ctx.arn("logs", region, f"log-group:{name}")
    data = ctx.region_data(region)
    if data is None or data.log_groups is None:
        return [
            *([any_call(region)] if data is None else []),
            ("cloudtrail", "DescribeTrails", region, None),
            ("logs", "DescribeLogGroups", region, None),
        ]
    group = next((g for g in data.log_groups if g.log_group_name == name), None)
    if group is None:
        described = ctx.gaps_for([("logs", "DescribeLogGroups", region, arn)])
        return [("logs", "DescribeLogGroups", region, arn)] if described else []
    if group.metric_filters is None:
        return [("logs", "DescribeMetricFilters", region, arn)]
    return []


def plan_log_group(ctx: PlanContext, name: str, fixes: tuple[str, ...]) -> tuple[str, ...]:
    region = ctx.home
    arn = ctx.arn("logs", region, f"log-group:{name}")
    create = ctx.add(
        CreateLogGroup(
            id=ctx.aid("CreateLogGroup", region, name),
            region=region,
            resource=arn,
            description=f"CloudWatch Logs group {name} for the trail",
            fixes=fixes,
            params={
                "logGroupName": name,
                "tags": {MANAGED_TAG_KEY: MANAGED_TAG_VALUE},
            },
            permissions=("logs:CreateLogGroup", "logs:TagResource", "logs:DescribeLogGroups"),
        )
    )
    retention = ctx.add(
        PutRetentionPolicy(
            id=ctx.aid("PutRetentionPolicy", region, name),
            region=region,
            resource=arn,
            description=(
                f"keep the trail's events in {name} for {ctx.opts.log_retention_days} days "
                "(only on the group rootguard created)"
            ),
            depends_on=(create,),
            params={
                "logGroupName": name,
                "retentionInDays": ctx.opts.log_retention_days,
            },
            permissions=(
                "logs:PutRetentionPolicy",
                "logs:DescribeLogGroups",
                "logs:ListTagsForResource",
            ),
        )
    )
    return (create, retention)
