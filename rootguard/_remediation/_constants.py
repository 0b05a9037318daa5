"""Names, tags, patterns and prices the remediation shares (pure)."""

from __future__ import annotations

from typing import Any

MANAGED_TAG_KEY = "rootguard:managed"
"""The tag key on everything rootguard creates (value :data:`MANAGED_TAG_VALUE`)."""
MANAGED_TAG_VALUE = "true"
KEY_ALIAS_TAG_KEY = "rootguard:alias"
"""The tag on rootguard's KMS key naming its alias: a key an interrupted run created
before its alias is found by it and adopted, never created twice."""

ROOT_EVENT_PATTERN: dict[str, Any] = {
    "source": [{"prefix": "aws."}],
    "detail-type": [
        "AWS API Call via CloudTrail",
        "AWS Console Action via CloudTrail",
        "AWS Console Sign In via CloudTrail",
    ],
    "detail": {"userIdentity": {"type": ["Root"]}},
}
"""The EventBridge pattern of rootguard's rule: root API calls, console actions and console
sign-ins. ``source`` must start with ``aws.``: ``PutEvents`` refuses that prefix, so a
custom event (``source: "my.app"``) carrying a made-up root record never reaches the rule."""

# Fixed names of the helper resources rootguard owns.
CLOUDTRAIL_ROLE = "rootguard-cloudtrail-logs"
FORWARDER_ROLE = "rootguard-events-forwarder"
ROLE_POLICY = "rootguard"
CONFIG_SLR = "AWSServiceRoleForConfig"
RECORDER_NAME = "default"
CHANNEL_NAME = "default"
HOME_TARGET_ID = "rootguard-alert-topic"
FORWARD_TARGET_ID = "rootguard-home-bus"
CONFIG_RULES_WANTED: tuple[tuple[str, str], ...] = (
    ("ROOT_ACCOUNT_MFA_ENABLED", "rootguard-root-account-mfa-enabled"),
    ("IAM_ROOT_ACCESS_KEY_CHECK", "rootguard-iam-root-access-key-check"),
)
HARDWARE_MFA_RULE = ("ROOT_ACCOUNT_HARDWARE_MFA_ENABLED", "rootguard-root-account-hardware-mfa")
RECORDED_TYPES = ["AWS::IAM::User"]
CIS_ALARM = {
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
}
VALID_RETENTION = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192}
    | {2557, 2922, 3288, 3653}
)

TRAIL_COST = (
    "a trail's first copy of management events is free; S3 storage of the log files "
    "and CloudWatch Logs ingestion (about $0.50/GB) are charged"
)
SECOND_TRAIL_COST = (
    "this account already has a trail recording management events: a second copy of "
    "management events is charged ($2.00 per 100,000 events)"
)
CONFIG_COST = (
    "AWS Config charges per configuration item recorded (about $0.003 each; only "
    "AWS::IAM::User is recorded, which changes rarely) and per rule evaluation (about "
    "$0.001 each; the root rules are periodic, once a day) — see aws.amazon.com/config/pricing"
)
