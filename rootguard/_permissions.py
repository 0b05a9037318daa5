"""The IAM policies rootguard needs (pure): read-only checking, and remediation.

Tests record every AWS call :func:`rootguard.collect` and :func:`rootguard.apply` make
against moto (a botocore ``before-call`` handler) and prove that these documents allow
each of them (docs/remediation.md publishes both).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from rootguard._errors import ArgumentError
from rootguard._remediation._actions import API_ACTION_CLASSES
from rootguard._remediation._org_actions import (
    ORGANIZATION_API_ACTION_CLASSES,
    ROOT_DELETE_SESSION_ACTIONS,
)

__all__ = [
    "ATHENA_ACTIONS",
    "ATHENA_CATALOG_ACTIONS",
    "ATHENA_S3_ACTIONS",
    "CHECK_ACTIONS",
    "ORGANIZATION_AUDIT_CALLER_ACTIONS",
    "ORGANIZATION_CALLER_ACTIONS",
    "ORGANIZATION_REMEDIATE_ACTIONS",
    "REMEDIATE_ACTIONS",
    "ROOT_AUDIT_SESSION_ACTIONS",
    "iam_action",
    "required_permissions",
]

CHECK_ACTIONS: tuple[str, ...] = (
    # account, credentials, organization
    "sts:GetCallerIdentity",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetAccountSummary",
    "iam:ListVirtualMFADevices",
    "iam:ListOrganizationsFeatures",
    "organizations:DescribeOrganization",
    # regions
    "ec2:DescribeRegions",
    "account:ListRegions",
    # CloudTrail (and event history for lookup_root_activity)
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:ListTags",
    "cloudtrail:LookupEvents",
    # CloudWatch Logs and alarms
    "logs:DescribeLogGroups",
    "logs:DescribeMetricFilters",
    "cloudwatch:DescribeAlarms",
    # SNS
    "sns:ListTopics",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    # EventBridge
    "events:ListRules",
    "events:ListTargetsByRule",
    # AWS Config
    "config:DescribeConfigurationRecorders",
    "config:DescribeConfigurationRecorderStatus",
    "config:DescribeConfigRules",
    "config:DescribeComplianceByConfigRule",
    "config:DescribeDeliveryChannels",
)
"""Every IAM action :func:`rootguard.collect` (and :func:`rootguard.lookup_root_activity`)
may call. All are read-only (``GenerateCredentialReport`` only starts a report)."""

_CONDITIONED_ACTIONS = frozenset({"iam:PassRole", "iam:CreateServiceLinkedRole"})
"""Granted in their own statements, with conditions (see :func:`required_permissions`)."""

REMEDIATE_ACTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(
        permission
        for action_class in API_ACTION_CLASSES
        for permission in action_class.IAM_ACTIONS
        if permission not in CHECK_ACTIONS and permission not in _CONDITIONED_ACTIONS
    )
)
"""The IAM actions :func:`rootguard.apply` needs besides :data:`CHECK_ACTIONS` (it reads
each resource before changing it), derived from each action class's
:attr:`~rootguard.ApiAction.IAM_ACTIONS`. ``iam:PassRole`` and ``iam:CreateServiceLinkedRole``
are granted in separate, conditioned statements."""

_SERVICE_PREFIX = {
    "cloudwatch-logs": "logs",
    "cloudwatch": "cloudwatch",
    "eventbridge": "events",
    "config-service": "config",
}
# Operations whose IAM action is not ``<prefix>:<Operation>``.
_ACTION_EXCEPTIONS = {
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action of one API call.

    ``service`` is botocore's hyphenated service id as it appears in event names
    (``before-call.cloudwatch-logs.PutMetricFilter`` → ``logs:PutMetricFilter``) or a
    boto3 client name (``logs``, ``events``, ``config``).

    Examples:
        >>> iam_action("config-service", "PutConfigRule")
        'config:PutConfigRule'
        >>> iam_action("s3", "HeadBucket")
        's3:ListBucket'
    """
    prefix = _SERVICE_PREFIX.get(service, service)
    return _ACTION_EXCEPTIONS.get((prefix, operation), f"{prefix}:{operation}")


ORGANIZATION_CALLER_ACTIONS: tuple[str, ...] = (
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
)
"""What the caller of :func:`rootguard.scan_organization` needs on top of ``"check"``."""

ORGANIZATION_AUDIT_CALLER_ACTIONS: tuple[str, ...] = (
    "account:GetAlternateContact",
    "iam:ListOrganizationsFeatures",
    "organizations:DescribeOrganization",
    "organizations:DescribePolicy",
    "organizations:ListAWSServiceAccessForOrganization",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListPoliciesForTarget",
    "organizations:ListRoots",
    "sts:GetCallerIdentity",
)
"""What the caller of :func:`rootguard.audit_member_roots` needs, besides
``sts:AssumeRoot`` with the audit task policy (a statement of its own)."""

ROOT_AUDIT_SESSION_ACTIONS: tuple[str, ...] = (
    "iam:GetAccessKeyLastUsed",
    "iam:GetLoginProfile",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ListSigningCertificates",
    "sts:GetCallerIdentity",
)
"""Every call the audit makes inside a member's root session. The AWS task policy
``IAMAuditRootUserCredentials`` scopes the session (``sts:GetCallerIdentity`` needs no
permission); the caller's policy does not need these."""

AUDIT_TASK_POLICY_ARN = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
DELETE_TASK_POLICY_ARN = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"

ORGANIZATION_REMEDIATE_ACTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(
        permission
        for action_class in ORGANIZATION_API_ACTION_CLASSES
        for permission in action_class.IAM_ACTIONS
        if permission not in ROOT_DELETE_SESSION_ACTIONS
        and permission != "sts:AssumeRoot"
        and permission not in CHECK_ACTIONS
        and permission not in ORGANIZATION_AUDIT_CALLER_ACTIONS
    )
)
"""The IAM actions :func:`rootguard.apply_organization` needs with the caller's
credentials besides ``"organization-audit"``, derived from each organization action
class's :attr:`~rootguard.ApiAction.IAM_ACTIONS`. ``sts:AssumeRoot`` is granted in its
own statement, limited to the task policy ``IAMDeleteRootUserCredentials``, which scopes
the calls made in the root sessions (:data:`ROOT_DELETE_SESSION_ACTIONS`)."""


ATHENA_ACTIONS: tuple[str, ...] = (
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:StopQueryExecution",
    "athena:GetDatabase",
    "athena:GetTableMetadata",
)
"""The Athena API calls of :func:`rootguard.hunt_root_activity_athena` and
:func:`rootguard.ensure_athena_table` (the last two: the table lookup)."""

ATHENA_CATALOG_ACTIONS: tuple[str, ...] = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetPartitions",
    "glue:CreateDatabase",
    "glue:CreateTable",
)
"""What Athena itself does in the AWS Glue Data Catalog on the caller's behalf: read the
table to query it; create the database and table (``ensure_athena_table`` only)."""

ATHENA_S3_ACTIONS: tuple[str, ...] = (
    "s3:GetBucketLocation",
    "s3:ListBucket",
    "s3:GetObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
"""What Athena does in S3 on the caller's behalf: read the trail's log objects, write the
query results to the output location."""


_MODES = (
    "check",
    "remediate",
    "organization",
    "organization-audit",
    "organization-remediate",
    "athena",
)


def required_permissions(
    mode: Literal[
        "check",
        "remediate",
        "organization",
        "organization-audit",
        "organization-remediate",
        "athena",
    ] = "check",
) -> dict[str, Any]:
    """The IAM policy document rootguard needs (a fresh copy each call).

    ``"check"``: read-only — everything :func:`rootguard.collect`,
    :func:`rootguard.check` and :func:`rootguard.lookup_root_activity` call; it is also
    what each member account's role needs for :func:`rootguard.scan_organization`.
    ``"organization"``: the caller of :func:`rootguard.scan_organization` (management or
    delegated-admin account): ``"check"`` for its own account, plus listing the accounts
    and assuming the member role.
    ``"organization-audit"``: that, plus what :func:`rootguard.audit_member_roots`
    (and ``scan_organization(audit_member_roots=True)``) calls with the caller's
    credentials — the organization's tree and service control policies, the accounts'
    security contacts — and ``sts:AssumeRoot`` on member root users, limited by
    ``sts:TaskPolicyArn`` to the read-only task policy ``IAMAuditRootUserCredentials``
    (which itself scopes what the root sessions can do).
    ``"organization-remediate"``: that, plus what :func:`rootguard.apply_organization`
    calls with the caller's credentials (trusted access for IAM, the centralized root
    access features, the deny-root service control policy, security contacts), and
    ``sts:AssumeRoot`` limited to the task policy ``IAMDeleteRootUserCredentials`` (which
    itself scopes what the root sessions can delete).
    ``"athena"``: what :func:`rootguard.hunt_root_activity_athena` and
    :func:`rootguard.ensure_athena_table` need — the Athena calls, the AWS Glue Data
    Catalog reads (and creates) Athena makes for them, and S3: ``GetObject`` /
    ``ListBucket`` on the trail bucket, ``PutObject`` and the rest on the query-results
    location. The S3 statement is written for ``"*"``: scope it to those two buckets. Add
    ``kms:Decrypt`` when the trail or the results are encrypted with SSE-KMS.
    ``"remediate"``: that, plus what :func:`rootguard.apply` calls, plus ``iam:PassRole``
    limited to CloudTrail, EventBridge and AWS Config, and creating only AWS Config's
    service-linked role. Scanning CloudTrail archives in S3 also needs ``s3:ListBucket``
    and ``s3:GetObject`` on the archive bucket (not included: the bucket is yours).

    Raises:
        ArgumentError: an unknown ``mode``.

    Examples:
        >>> import rootguard
        >>> doc = rootguard.required_permissions("check")
        >>> "cloudtrail:DescribeTrails" in doc["Statement"][0]["Action"]
        True
    """
    if mode not in _MODES:
        raise ArgumentError(
            "mode must be 'check', 'remediate', 'organization', 'organization-audit', "
            f"'organization-remediate' or 'athena', not {mode!r:.60}",
            parameter="mode",
        )
    if mode == "athena":
        return copy.deepcopy(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "RootGuardAthena",
                        "Effect": "Allow",
                        "Action": sorted(ATHENA_ACTIONS),
                        "Resource": "*",
                    },
                    {
                        "Sid": "RootGuardAthenaCatalog",
                        "Effect": "Allow",
                        "Action": sorted(ATHENA_CATALOG_ACTIONS),
                        "Resource": "*",
                    },
                    {
                        "Sid": "RootGuardAthenaS3",
                        "Effect": "Allow",
                        "Action": sorted(ATHENA_S3_ACTIONS),
                        "Resource": "*",
                    },
                ],
            }
        )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "RootGuardRead",
            "Effect": "Allow",
            "Action": sorted(CHECK_ACTIONS),
            "Resource": "*",
        }
    ]
    if mode in ("organization", "organization-audit", "organization-remediate"):
        statements.append(
            {
                "Sid": "RootGuardOrganization",
                "Effect": "Allow",
                "Action": sorted(ORGANIZATION_CALLER_ACTIONS),
                "Resource": "*",
            }
        )
    if mode in ("organization-audit", "organization-remediate"):
        statements += [
            {
                "Sid": "RootGuardOrganizationAudit",
                "Effect": "Allow",
                "Action": sorted(
                    set(ORGANIZATION_AUDIT_CALLER_ACTIONS)
                    - set(CHECK_ACTIONS)
                    - set(ORGANIZATION_CALLER_ACTIONS)
                ),
                "Resource": "*",
            },
            {
                "Sid": "RootGuardAuditMemberRoots",
                "Effect": "Allow",
                "Action": "sts:AssumeRoot",
                "Resource": "arn:aws:iam::*:root",
                "Condition": {"StringEquals": {"sts:TaskPolicyArn": AUDIT_TASK_POLICY_ARN}},
            },
        ]
    if mode == "organization-remediate":
        statements += [
            {
                "Sid": "RootGuardOrganizationRemediate",
                "Effect": "Allow",
                "Action": sorted(ORGANIZATION_REMEDIATE_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "RootGuardDeleteMemberRootCredentials",
                "Effect": "Allow",
                "Action": "sts:AssumeRoot",
                "Resource": "arn:aws:iam::*:root",
                "Condition": {"StringEquals": {"sts:TaskPolicyArn": DELETE_TASK_POLICY_ARN}},
            },
        ]
    if mode == "remediate":
        statements += [
            {
                "Sid": "RootGuardRemediate",
                "Effect": "Allow",
                "Action": sorted(REMEDIATE_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "RootGuardPassServiceRoles",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "iam:PassedToService": [
                            "cloudtrail.amazonaws.com",
                            "config.amazonaws.com",
                            "events.amazonaws.com",
                        ]
                    }
                },
            },
            {
                "Sid": "RootGuardConfigServiceLinkedRole",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": "config.amazonaws.com"}},
            },
        ]
    return copy.deepcopy({"Version": "2012-10-17", "Statement": statements})
