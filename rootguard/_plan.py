"""Remediation planning (pure): from an :class:`AccountSnapshot` to a reviewable :class:`Plan`.

The planner compares the snapshot with the desired state of the root-monitoring chain
(docs/remediation.md) and emits only what is missing, as typed actions that name the exact
API call each will make. It never plans a deletion and never weakens a setting:

- **Reuse before create.** An existing multi-region trail of this account is adopted; only
  what it lacks is added (logging, management events, log-file validation, CloudWatch Logs
  delivery). An existing alert topic can be named in the options.
- **Ownership by name.** rootguard only changes resources that carry its names (options);
  anything else is read, reused when it already does the job, and left alone otherwise.
- **Secure defaults.** The bucket gets Block Public Access, default encryption and a
  delivery policy scoped with ``aws:SourceArn``; the alert topic's policy lets only this
  account's CloudWatch alarms and EventBridge rules publish; everything created is tagged
  ``rootguard:managed=true``.
- **Humans for root credentials.** Root MFA and root access keys cannot be fixed by an API
  call from the account: the plan carries :class:`ManualStep` entries saying what to do.
- **The checks decide what works.** The planner acts on the findings of
  :func:`~rootguard.evaluate`, and where it looks at a resource itself (may this trail,
  filter, alarm or rule be reused?) it asks the same judgements (:mod:`rootguard._judge`),
  so a plan is never empty while a check it owns fails.

This module never imports boto3/botocore; :func:`rootguard.apply` executes a plan.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from rootguard._checks import Finding, Policy, Report, Status, evaluate
from rootguard._errors import PlanError, RootGuardError
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
from rootguard._judge import (
    active_managed_rules,
    alarm_fires,
    alarm_watches_metric,
    is_cis_pattern,
    metric_dimensions,
    parse_log_group_arn,
    records_iam,
    rule_enabled,
    rule_matches_root_activity,
    trail_records_management,
)
from rootguard._kinds import check_kind
from rootguard._models import StrEnum
from rootguard._snapshot import (
    AccountSnapshot,
    Alarm,
    EventRule,
    MetricTransformation,
    SnsTopic,
    Trail,
)

__all__ = [
    "MANAGED_TAG_KEY",
    "MANAGED_TAG_VALUE",
    "ROOT_EVENT_PATTERN",
    "Action",
    "AlertSubscription",
    "ChangeType",
    "CreateBucket",
    "CreateLogGroup",
    "CreateRole",
    "CreateServiceLinkedRole",
    "CreateTopic",
    "CreateTrail",
    "ManualStep",
    "Plan",
    "PutBucketEncryption",
    "PutBucketPolicy",
    "PutBucketTagging",
    "PutConfigRule",
    "PutConfigurationRecorder",
    "PutDeliveryChannel",
    "PutEventSelectors",
    "PutMetricAlarm",
    "PutMetricFilter",
    "PutPublicAccessBlock",
    "PutRetentionPolicy",
    "PutRolePolicy",
    "PutRule",
    "PutTargets",
    "RemediationOptions",
    "SetTopicPolicy",
    "StartConfigurationRecorder",
    "StartLogging",
    "Subscribe",
    "UpdateTrail",
    "plan",
]

logger = logging.getLogger(__name__)

MANAGED_TAG_KEY = "rootguard:managed"
"""The tag key on everything rootguard creates (value :data:`MANAGED_TAG_VALUE`)."""
MANAGED_TAG_VALUE = "true"

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

# Check ids (see DESIGN.md "Posture checks").
_MULTI_REGION = "cloudtrail.multi_region"
_LOG_VALIDATION = "cloudtrail.log_validation"
_CLOUDWATCH_LOGS = "cloudtrail.cloudwatch_logs"
_METRIC_ALARM = "monitoring.root_metric_alarm"
_EVENTBRIDGE = "monitoring.root_eventbridge"
_TOPIC_SECURE = "monitoring.alert_topic_secure"
_CONFIG_RULES = "config.root_rules"
_ROOT_MFA = "root.mfa_enabled"
_ROOT_KEYS = "root.no_access_keys"

# Fixed names of the helper resources rootguard owns.
_CLOUDTRAIL_ROLE = "rootguard-cloudtrail-logs"
_FORWARDER_ROLE = "rootguard-events-forwarder"
_ROLE_POLICY = "rootguard"
_CONFIG_SLR = "AWSServiceRoleForConfig"
_RECORDER_NAME = "default"
_CHANNEL_NAME = "default"
_HOME_TARGET_ID = "rootguard-alert-topic"
_FORWARD_TARGET_ID = "rootguard-home-bus"
_CONFIG_RULES_WANTED: tuple[tuple[str, str], ...] = (
    ("ROOT_ACCOUNT_MFA_ENABLED", "rootguard-root-account-mfa-enabled"),
    ("IAM_ROOT_ACCESS_KEY_CHECK", "rootguard-iam-root-access-key-check"),
)
_HARDWARE_MFA_RULE = ("ROOT_ACCOUNT_HARDWARE_MFA_ENABLED", "rootguard-root-account-hardware-mfa")
_RECORDED_TYPES = ["AWS::IAM::User"]
_CIS_ALARM = {
    "Statistic": "Sum",
    "Period": 300,
    "EvaluationPeriods": 1,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
}
_VALID_RETENTION = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192}
    | {2557, 2922, 3288, 3653}
)

_TRAIL_COST = (
    "a trail's first copy of management events is free; S3 storage of the log files "
    "and CloudWatch Logs ingestion (about $0.50/GB) are charged"
)
_SECOND_TRAIL_COST = (
    "this account already has a trail recording management events: a second copy of "
    "management events is charged ($2.00 per 100,000 events)"
)
_CONFIG_COST = (
    "AWS Config charges per configuration item recorded (about $0.003 each; only "
    "AWS::IAM::User is recorded, which changes rarely) and per rule evaluation (about "
    "$0.001 each; the root rules are periodic, once a day) — see aws.amazon.com/config/pricing"
)

# ---------------------------------------------------------------------------- validation

_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$"
)
_TRAIL_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,126})[A-Za-z0-9]$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_LOG_GROUP_RE = re.compile(r"^[A-Za-z0-9._/#-]{1,512}$")
_TOPIC_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_RULE_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9./#:_ -]{1,255}$")
_PRINTABLE_RE = re.compile(r"^[\x20-\x7e]{1,255}$")
_TOPIC_ARN_RE = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$"
)
_KMS_RE = re.compile(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+"
    r"|alias/[A-Za-z0-9/_-]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|mrk-[0-9a-f]{32})$"
)
_IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_HTTPS_RE = re.compile(r"^https://[^\s/$.?#][^\s]*$")
_SMS_RE = re.compile(r"^\+[1-9]\d{6,14}$")
_ARN_RE = re.compile(r"^arn:aws[a-z-]*:(sqs|lambda|firehose):[a-z0-9-]+:\d{12}:\S+$")


def _check_region(value: str) -> str:
    if not _REGION_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an AWS region name (like 'us-east-1')")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL_RE.fullmatch(value) or ".." in value:
        raise ValueError(f"{value!r} is not a valid email address")
    return value


class SubscriptionProtocol(StrEnum):
    """SNS protocols rootguard subscribes for alerts (plain ``http`` is not offered)."""

    EMAIL = "email"
    EMAIL_JSON = "email-json"
    SMS = "sms"
    HTTPS = "https"
    SQS = "sqs"
    LAMBDA = "lambda"
    FIREHOSE = "firehose"


class AlertSubscription(BaseModel):
    """One subscriber of the alert topic (an endpoint other than a plain email address).

    Examples:
        >>> import rootguard
        >>> rootguard.AlertSubscription(protocol="https", endpoint="https://hooks.example.com/x")
        AlertSubscription(protocol=<SubscriptionProtocol.HTTPS: 'https'>, endpoint='https://hooks.example.com/x')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: SubscriptionProtocol
    endpoint: str

    @model_validator(mode="after")
    def _check_endpoint(self) -> AlertSubscription:
        p, e = self.protocol, self.endpoint
        ok = (
            (p in (SubscriptionProtocol.EMAIL, SubscriptionProtocol.EMAIL_JSON) and _ok_email(e))
            or (p is SubscriptionProtocol.SMS and bool(_SMS_RE.fullmatch(e)))
            or (p is SubscriptionProtocol.HTTPS and bool(_HTTPS_RE.fullmatch(e)))
            or (
                p in (SubscriptionProtocol.SQS, SubscriptionProtocol.LAMBDA)
                and bool(_ARN_RE.fullmatch(e))
                and e.split(":")[2] == p.value
            )
            or (p is SubscriptionProtocol.FIREHOSE and bool(_ARN_RE.fullmatch(e)))
        )
        if not ok:
            raise ValueError(f"{e!r} is not a valid {p.value} endpoint")
        return self


def _ok_email(value: str) -> bool:
    try:
        _check_email(value)
    except ValueError:
        return False
    return True


class RemediationOptions(BaseModel):
    """What :func:`plan` should build, and how to name it. All fields are optional.

    Names default to rootguard's own (``rootguard…``); rootguard only ever changes
    resources that carry the names given here. Invalid values (a malformed email address,
    an unknown region format, a name AWS would reject) raise a ``ValueError``
    (pydantic's ``ValidationError``) when the options are built; :func:`plan` turns a
    mapping it cannot validate into :class:`~rootguard.PlanError`.

    Examples:
        >>> import rootguard
        >>> opts = rootguard.RemediationOptions(alert_emails=["secops@example.com"],
        ...                                     home_region="eu-west-1")
        >>> opts.trail_name, opts.enable_eventbridge
        ('rootguard', True)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    home_region: str | None = None
    """Where the trail, log group, alarm, alert topic and Config rules live. Default: the
    adopted trail's home region, else the alert topic's region, else ``us-east-1`` when
    collected, else the first collected region."""
    regions: tuple[str, ...] | None = None
    """Regions that get an EventBridge rule. Default: every region of the snapshot."""
    alert_emails: tuple[str, ...] = ()
    """Email addresses subscribed to the alert topic (each must confirm by email)."""
    alert_subscriptions: tuple[AlertSubscription, ...] = ()
    """Other subscribers (https, sms, sqs, lambda, firehose)."""
    alert_topic_arn: str | None = None
    """Use this existing SNS topic for alerts instead of creating rootguard's. Its policy
    is extended (never replaced) with the publish grants rootguard needs."""
    alert_topic_name: str = "rootguard-root-activity"
    trail_name: str = "rootguard"
    bucket_name: str | None = None
    """The S3 bucket for CloudTrail (and AWS Config) files. Default:
    ``rootguard-logs-<account>-<home region>``."""
    log_group_name: str = "rootguard-cloudtrail"
    log_retention_days: int = 365
    """Retention of the log group rootguard creates (an existing group's retention is
    never changed)."""
    kms_key_id: str | None = None
    """A KMS key for the trail's log files and the bucket's default encryption (its key
    policy must allow CloudTrail); default SSE-S3."""
    metric_namespace: str = "RootGuard"
    metric_name: str = "RootAccountUsage"
    metric_filter_name: str = "rootguard-root-account-usage"
    alarm_name: str = "rootguard-root-account-usage"
    rule_name: str = "rootguard-root-activity"
    enable_eventbridge: bool = True
    enable_config_rules: bool = True
    enable_hardware_mfa_rule: bool = False
    """Also add the ROOT_ACCOUNT_HARDWARE_MFA_ENABLED Config rule (CIS 1.6)."""
    adopt_existing_trail: bool = True
    """Adopt an existing multi-region trail instead of creating a new one (recommended:
    a second trail's copy of management events is charged)."""

    @field_validator("home_region")
    @classmethod
    def _v_home(cls, value: str | None) -> str | None:
        return None if value is None else _check_region(value)

    @field_validator("regions")
    @classmethod
    def _v_regions(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("regions must not be empty (omit it for every region)")
        for region in value:
            _check_region(region)
        return tuple(sorted(set(value)))

    @field_validator("alert_emails")
    @classmethod
    def _v_emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_check_email(v.strip()) for v in value))

    @field_validator("alert_topic_arn")
    @classmethod
    def _v_topic_arn(cls, value: str | None) -> str | None:
        if value is not None:
            match = _TOPIC_ARN_RE.fullmatch(value)
            if match is None:
                raise ValueError(f"{value!r} is not an SNS topic ARN")
            _check_region(match.group(2))
        return value

    @field_validator("alert_topic_name")
    @classmethod
    def _v_topic_name(cls, value: str) -> str:
        if not _TOPIC_NAME_RE.fullmatch(value):
            raise ValueError("an SNS topic name has 1-256 letters, digits, '-' or '_'")
        return value

    @field_validator("trail_name")
    @classmethod
    def _v_trail(cls, value: str) -> str:
        if (
            not _TRAIL_NAME_RE.fullmatch(value)
            or re.search(r"[._-]{2}", value)
            or _IP_RE.fullmatch(value)
        ):
            raise ValueError(
                "a trail name has 3-128 letters, digits, '.', '_' or '-', starts and ends "
                "with a letter or digit, has no adjacent '.', '_', '-' and is not an IP address"
            )
        return value

    @field_validator("bucket_name")
    @classmethod
    def _v_bucket(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if (
            not _BUCKET_RE.fullmatch(value)
            or ".." in value
            or ".-" in value
            or "-." in value
            or _IP_RE.fullmatch(value)
            or value.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
            or value.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
        ):
            raise ValueError(f"{value!r} is not a valid S3 bucket name")
        return value

    @field_validator("log_group_name")
    @classmethod
    def _v_log_group(cls, value: str) -> str:
        if not _LOG_GROUP_RE.fullmatch(value) or value.startswith("aws/"):
            raise ValueError(
                "a log group name has 1-512 letters, digits, '.', '_', '-', '/' or '#'"
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _v_retention(cls, value: int) -> int:
        if value not in _VALID_RETENTION:
            raise ValueError(f"CloudWatch Logs accepts only {sorted(_VALID_RETENTION)} days")
        return value

    @field_validator("kms_key_id")
    @classmethod
    def _v_kms(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_RE.fullmatch(value):
            raise ValueError(f"{value!r} is not a KMS key id, key ARN, alias or alias ARN")
        return value

    @field_validator("metric_namespace")
    @classmethod
    def _v_namespace(cls, value: str) -> str:
        if not _NAMESPACE_RE.fullmatch(value) or value.startswith(("AWS/", ":")):
            raise ValueError(
                "a metric namespace has 1-255 letters, digits, '.', '-', '_', '/', '#', ':' "
                "or spaces and does not start with 'AWS/'"
            )
        return value

    @field_validator("metric_name", "metric_filter_name", "alarm_name")
    @classmethod
    def _v_printable(cls, value: str) -> str:
        if not _PRINTABLE_RE.fullmatch(value):
            raise ValueError("expected 1-255 printable ASCII characters")
        return value

    @field_validator("rule_name")
    @classmethod
    def _v_rule(cls, value: str) -> str:
        if not _RULE_NAME_RE.fullmatch(value):
            raise ValueError("an EventBridge rule name has 1-64 letters, digits, '.', '-', '_'")
        return value

    @model_validator(mode="after")
    def _v_home_in_regions(self) -> RemediationOptions:
        if self.home_region and self.regions and self.home_region not in self.regions:
            raise ValueError(f"home_region {self.home_region} is not one of regions")
        return self

    def subscriptions(self) -> tuple[AlertSubscription, ...]:
        """Every wanted subscriber: the emails, then the other endpoints."""
        emails = tuple(
            AlertSubscription(protocol=SubscriptionProtocol.EMAIL, endpoint=e)
            for e in self.alert_emails
        )
        return tuple(dict.fromkeys((*emails, *self.alert_subscriptions)))


# ------------------------------------------------------------------------------ actions


class ChangeType(StrEnum):
    """What an action does to the account: ``create`` a resource, ``update`` one (adding
    to it — rootguard never removes anything), or ``manual`` (a human must act)."""

    CREATE = "create"
    UPDATE = "update"
    MANUAL = "manual"


class BaseAction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Stable id ``<kind>:<region or global>:<name>`` (same inputs → same id)."""
    region: str | None
    """The region the call is sent to; None for global services (IAM)."""
    resource: str
    """The resource acted on (ARN when it is known before creation, else its name)."""
    description: str
    """One line for humans."""
    fixes: tuple[str, ...] = ()
    """The check ids this action helps to pass."""
    depends_on: tuple[str, ...] = ()
    """Ids of actions that must succeed first (always earlier in the plan)."""
    note: str | None = None
    """Cost or caution the reviewer should know."""


class ApiAction(BaseAction):
    change: ChangeType = ChangeType.CREATE
    service: str
    """The boto3 client name (``s3``, ``cloudtrail``, ``logs`` …)."""
    operation: str
    """The API operation (``CreateTrail``)."""
    params: dict[str, Any]
    """The exact API parameters. For the merging actions (bucket policy and tags, topic
    policy, event selectors, public access block) these are the wanted result computed
    from the snapshot; apply re-reads the resource and merges, so nothing added since the
    snapshot is lost."""
    permissions: tuple[str, ...]
    """The IAM actions the call needs (the first is the operation itself)."""

    @property
    def permission(self) -> str:
        """The IAM action of the operation itself."""
        return self.permissions[0]


class CreateBucket(ApiAction):
    """``s3:CreateBucket`` (unchanged when the bucket already exists and is ours)."""

    kind: Literal["CreateBucket"] = "CreateBucket"
    service: Literal["s3"] = "s3"
    operation: Literal["CreateBucket"] = "CreateBucket"


class PutBucketTagging(ApiAction):
    """``s3:PutBucketTagging`` — adds the rootguard tag, keeping the bucket's other tags."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutBucketTagging"] = "PutBucketTagging"
    service: Literal["s3"] = "s3"
    operation: Literal["PutBucketTagging"] = "PutBucketTagging"


class PutPublicAccessBlock(ApiAction):
    """``s3:PutPublicAccessBlock`` with all four settings on."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutPublicAccessBlock"] = "PutPublicAccessBlock"
    service: Literal["s3"] = "s3"
    operation: Literal["PutPublicAccessBlock"] = "PutPublicAccessBlock"


class PutBucketEncryption(ApiAction):
    """``s3:PutBucketEncryption`` — only when the bucket has no default encryption."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutBucketEncryption"] = "PutBucketEncryption"
    service: Literal["s3"] = "s3"
    operation: Literal["PutBucketEncryption"] = "PutBucketEncryption"


class PutBucketPolicy(ApiAction):
    """``s3:PutBucketPolicy`` — rootguard's statements (by Sid) merged into the policy."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutBucketPolicy"] = "PutBucketPolicy"
    service: Literal["s3"] = "s3"
    operation: Literal["PutBucketPolicy"] = "PutBucketPolicy"


class CreateLogGroup(ApiAction):
    """``logs:CreateLogGroup``."""

    kind: Literal["CreateLogGroup"] = "CreateLogGroup"
    service: Literal["logs"] = "logs"
    operation: Literal["CreateLogGroup"] = "CreateLogGroup"


class PutRetentionPolicy(ApiAction):
    """``logs:PutRetentionPolicy`` — only on a rootguard-managed group without retention."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutRetentionPolicy"] = "PutRetentionPolicy"
    service: Literal["logs"] = "logs"
    operation: Literal["PutRetentionPolicy"] = "PutRetentionPolicy"


class CreateRole(ApiAction):
    """``iam:CreateRole`` (a service role with a trust policy scoped to this account)."""

    kind: Literal["CreateRole"] = "CreateRole"
    service: Literal["iam"] = "iam"
    operation: Literal["CreateRole"] = "CreateRole"


class PutRolePolicy(ApiAction):
    """``iam:PutRolePolicy`` — the inline policy of a rootguard role."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutRolePolicy"] = "PutRolePolicy"
    service: Literal["iam"] = "iam"
    operation: Literal["PutRolePolicy"] = "PutRolePolicy"


class CreateServiceLinkedRole(ApiAction):
    """``iam:CreateServiceLinkedRole`` (AWS Config's AWSServiceRoleForConfig)."""

    kind: Literal["CreateServiceLinkedRole"] = "CreateServiceLinkedRole"
    service: Literal["iam"] = "iam"
    operation: Literal["CreateServiceLinkedRole"] = "CreateServiceLinkedRole"


class CreateTrail(ApiAction):
    """``cloudtrail:CreateTrail`` — multi-region, global events, validation, CloudWatch Logs."""

    kind: Literal["CreateTrail"] = "CreateTrail"
    service: Literal["cloudtrail"] = "cloudtrail"
    operation: Literal["CreateTrail"] = "CreateTrail"


class UpdateTrail(ApiAction):
    """``cloudtrail:UpdateTrail`` — adds what an adopted trail lacks, never removes."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["UpdateTrail"] = "UpdateTrail"
    service: Literal["cloudtrail"] = "cloudtrail"
    operation: Literal["UpdateTrail"] = "UpdateTrail"


class StartLogging(ApiAction):
    """``cloudtrail:StartLogging``."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["StartLogging"] = "StartLogging"
    service: Literal["cloudtrail"] = "cloudtrail"
    operation: Literal["StartLogging"] = "StartLogging"


class PutEventSelectors(ApiAction):
    """``cloudtrail:PutEventSelectors`` — appends an all-management-events selector."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["PutEventSelectors"] = "PutEventSelectors"
    service: Literal["cloudtrail"] = "cloudtrail"
    operation: Literal["PutEventSelectors"] = "PutEventSelectors"


class PutMetricFilter(ApiAction):
    """``logs:PutMetricFilter`` with the exact CIS root-usage pattern."""

    kind: Literal["PutMetricFilter"] = "PutMetricFilter"
    service: Literal["logs"] = "logs"
    operation: Literal["PutMetricFilter"] = "PutMetricFilter"


class CreateTopic(ApiAction):
    """``sns:CreateTopic`` — the alert topic."""

    kind: Literal["CreateTopic"] = "CreateTopic"
    service: Literal["sns"] = "sns"
    operation: Literal["CreateTopic"] = "CreateTopic"


class SetTopicPolicy(ApiAction):
    """``sns:SetTopicAttributes`` (``Policy``): only this account's CloudWatch alarms and
    EventBridge rules may publish. rootguard's own topic gets exactly this policy; a topic
    named in the options keeps its statements and gains rootguard's (``merge``)."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["SetTopicPolicy"] = "SetTopicPolicy"
    service: Literal["sns"] = "sns"
    operation: Literal["SetTopicAttributes"] = "SetTopicAttributes"
    merge: bool = False


class Subscribe(ApiAction):
    """``sns:Subscribe`` — email and https subscribers stay pending until they confirm."""

    kind: Literal["Subscribe"] = "Subscribe"
    service: Literal["sns"] = "sns"
    operation: Literal["Subscribe"] = "Subscribe"


class PutMetricAlarm(ApiAction):
    """``cloudwatch:PutMetricAlarm`` with the CIS parameters (Sum ≥ 1 over 300 s)."""

    kind: Literal["PutMetricAlarm"] = "PutMetricAlarm"
    service: Literal["cloudwatch"] = "cloudwatch"
    operation: Literal["PutMetricAlarm"] = "PutMetricAlarm"


class PutRule(ApiAction):
    """``events:PutRule`` on the default bus: root API calls and console sign-ins."""

    kind: Literal["PutRule"] = "PutRule"
    service: Literal["events"] = "events"
    operation: Literal["PutRule"] = "PutRule"


class PutTargets(ApiAction):
    """``events:PutTargets`` — the alert topic (home region) or the home region's default
    event bus (other regions, through the forwarder role)."""

    kind: Literal["PutTargets"] = "PutTargets"
    service: Literal["events"] = "events"
    operation: Literal["PutTargets"] = "PutTargets"


class PutConfigurationRecorder(ApiAction):
    """``config:PutConfigurationRecorder`` — only where no recorder exists."""

    kind: Literal["PutConfigurationRecorder"] = "PutConfigurationRecorder"
    service: Literal["config"] = "config"
    operation: Literal["PutConfigurationRecorder"] = "PutConfigurationRecorder"


class PutDeliveryChannel(ApiAction):
    """``config:PutDeliveryChannel`` — only where no delivery channel exists."""

    kind: Literal["PutDeliveryChannel"] = "PutDeliveryChannel"
    service: Literal["config"] = "config"
    operation: Literal["PutDeliveryChannel"] = "PutDeliveryChannel"


class StartConfigurationRecorder(ApiAction):
    """``config:StartConfigurationRecorder``."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["StartConfigurationRecorder"] = "StartConfigurationRecorder"
    service: Literal["config"] = "config"
    operation: Literal["StartConfigurationRecorder"] = "StartConfigurationRecorder"


class PutConfigRule(ApiAction):
    """``config:PutConfigRule`` — an AWS managed root rule."""

    kind: Literal["PutConfigRule"] = "PutConfigRule"
    service: Literal["config"] = "config"
    operation: Literal["PutConfigRule"] = "PutConfigRule"


class ManualStep(BaseAction):
    """Something only a human can do (root MFA, root access keys, confirming a
    subscription). :func:`rootguard.apply` never calls anything for it (outcome
    ``skipped``); it is listed so that nobody believes it was done."""

    change: ChangeType = ChangeType.MANUAL
    kind: Literal["ManualStep"] = "ManualStep"
    instructions: tuple[str, ...]
    """The steps, in order."""


Action = Annotated[
    CreateBucket
    | PutBucketTagging
    | PutPublicAccessBlock
    | PutBucketEncryption
    | PutBucketPolicy
    | CreateLogGroup
    | PutRetentionPolicy
    | CreateRole
    | PutRolePolicy
    | CreateServiceLinkedRole
    | CreateTrail
    | UpdateTrail
    | StartLogging
    | PutEventSelectors
    | PutMetricFilter
    | CreateTopic
    | SetTopicPolicy
    | Subscribe
    | PutMetricAlarm
    | PutRule
    | PutTargets
    | PutConfigurationRecorder
    | PutDeliveryChannel
    | StartConfigurationRecorder
    | PutConfigRule
    | ManualStep,
    Field(discriminator="kind"),
]
"""Any plan action: a discriminated union on ``kind``."""

# --------------------------------------------------------------------------------- plan


PLAN_SCHEMA_VERSION = 1
"""The ``schema_version`` of the plans this rootguard writes and the newest it reads."""


class Plan(BaseModel):
    """An ordered, reviewable, serializable remediation plan.

    ``actions`` is in execution order (each action's ``depends_on`` names earlier
    actions). :attr:`is_empty` is True when no API call is planned — :class:`ManualStep`
    entries (root MFA, root keys, pending confirmations) do not count, because no
    re-run of rootguard can make them go away.

    Examples:
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333",
        ...     regions=["us-east-1"], trails=[],
        ...     region_data={"us-east-1": {"region": "us-east-1", "log_groups": [],
        ...         "alarms": [], "topics": [], "event_rules": [], "config_recorders": [],
        ...         "config_rules": [], "delivery_channels": []}})
        >>> p = rootguard.plan(snap, rootguard.RemediationOptions(alert_emails=["a@example.com"]))
        >>> p.is_empty, p.actions[0].kind
        (False, 'CreateBucket')
        >>> rootguard.Plan.model_validate_json(p.model_dump_json()) == p
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["plan"] = "plan"
    """What this file is: a snapshot or a report given as a plan is an error."""
    schema_version: int = Field(default=PLAN_SCHEMA_VERSION, ge=1)
    account_id: str
    partition: str = "aws"
    home_region: str
    regions: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    warnings: tuple[str, ...] = ()
    """What the planner could not decide (data missing from the snapshot) or left alone."""

    @model_validator(mode="before")
    @classmethod
    def _check_kind(cls, data: Any) -> Any:
        check_kind(data, "plan", PLAN_SCHEMA_VERSION)
        return data

    @model_validator(mode="after")
    def _check_order(self) -> Plan:
        seen: set[str] = set()
        for action in self.actions:
            if action.id in seen:
                raise ValueError(f"duplicate action id {action.id!r}")
            missing = [d for d in action.depends_on if d not in seen]
            if missing:
                raise ValueError(f"action {action.id!r} depends on {missing} not before it")
            seen.add(action.id)
        return self

    @property
    def is_empty(self) -> bool:
        """True when the plan makes no API call (manual steps do not count)."""
        return not self.api_actions

    @property
    def api_actions(self) -> tuple[ApiAction, ...]:
        """The actions that call AWS."""
        return tuple(a for a in self.actions if isinstance(a, ApiAction))

    @property
    def manual_steps(self) -> tuple[ManualStep, ...]:
        """The steps a human must take."""
        return tuple(a for a in self.actions if isinstance(a, ManualStep))

    def get(self, action_id: str) -> BaseAction | None:
        """The action with this id, or None."""
        return next((a for a in self.actions if a.id == action_id), None)

    def permissions(self) -> tuple[str, ...]:
        """Every IAM action the plan's calls need (sorted, unique)."""
        return tuple(sorted({p for a in self.api_actions for p in a.permissions}))

    def to_json(self) -> str:
        """The plan as indented JSON (:meth:`from_json` reads it back)."""
        return self.model_dump_json(indent=2)

    def __repr__(self) -> str:
        return (
            f"Plan(account_id={self.account_id!r}, home_region={self.home_region!r}, "
            f"actions={len(self.actions)} [{len(self.api_actions)} API, "
            f"{len(self.manual_steps)} manual], warnings={len(self.warnings)})"
        )

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from rootguard._notebook import plan_view

        return plan_view(self).html()

    def _repr_markdown_(self) -> str:
        from rootguard._notebook import plan_view

        return plan_view(self).markdown()

    @classmethod
    def from_json(cls, data: str | bytes) -> Plan:
        """Read a plan saved with :meth:`to_json`; :class:`~rootguard.PlanError` when the
        text is not a valid plan."""
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise PlanError(
                f"not a valid rootguard plan: {where + ': ' if where else ''}{message}"
                + (f" (and {exc.error_count() - 1} more errors)" if exc.error_count() > 1 else "")
            ) from None

    def to_text(self) -> str:
        """A terraform-like rendering for review: one block per action with its exact
        parameters, then a summary line.

        Symbols: ``+`` create, ``~`` update (additive), ``!`` manual step.
        """
        lines = [
            f"rootguard plan for account {self.account_id} "
            f"(home region {self.home_region}; regions {', '.join(self.regions) or '-'})",
            "",
        ]
        if not self.actions:
            lines.append("No changes. The root-monitoring chain is in place.")
        symbols = {ChangeType.CREATE: "+", ChangeType.UPDATE: "~", ChangeType.MANUAL: "!"}
        for action in self.actions:
            symbol = symbols[action.change]
            where = action.region or "global"
            lines.append(f"  # {action.description}")
            if action.fixes:
                lines.append(f"  # fixes: {', '.join(action.fixes)}")
            if action.note:
                lines.append(f"  # note: {action.note}")
            if isinstance(action, ApiAction):
                lines.append(
                    f"  {symbol} {action.service}:{action.operation} [{where}] {action.resource}"
                )
                lines.append(f"      id         = {action.id}")
                lines.append(f"      permission = {', '.join(action.permissions)}")
                if action.depends_on:
                    lines.append(f"      depends_on = {', '.join(action.depends_on)}")
                for key, value in action.params.items():
                    lines.extend(_render_param(key, value))
            else:
                lines.append(f"  {symbol} manual step [{where}] {action.resource}")
                lines.extend(f"      {i}. {step}" for i, step in enumerate(action.instructions, 1))
            lines.append("")
        for warning in self.warnings:
            lines.append(f"Warning: {warning}")
        if self.warnings:
            lines.append("")
        counts = {c: sum(1 for a in self.actions if a.change is c) for c in ChangeType}
        lines.append(
            f"Plan: {counts[ChangeType.CREATE]} to create, {counts[ChangeType.UPDATE]} to "
            f"update, 0 to destroy; {counts[ChangeType.MANUAL]} manual step(s)."
        )
        return "\n".join(lines)


def _render_param(key: str, value: Any) -> list[str]:
    if isinstance(value, str) and value.startswith("{"):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, (dict, list)):
        text = json.dumps(value, indent=2, sort_keys=False)
        body = text.splitlines()
        return [f"      {key:<10} = {body[0]}", *(f"      {line}" for line in body[1:])]
    return [f"      {key:<10} = {json.dumps(value)}"]


# ------------------------------------------------------------------------------ helpers


def _tags_list(key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: MANAGED_TAG_KEY, value: MANAGED_TAG_VALUE}]


def _dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


MANAGEMENT_BASIC_SELECTOR: dict[str, Any] = {
    "ReadWriteType": "All",
    "IncludeManagementEvents": True,
    "DataResources": [],
}
"""The basic event selector rootguard appends: all management events."""
MANAGEMENT_ADVANCED_SELECTOR: dict[str, Any] = {
    "Name": "rootguard: all management events",
    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
}
"""The advanced event selector rootguard appends: all management events."""


def _with_iam(group: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The recording group extended to record AWS::IAM::User (None: not extensible)."""
    if not group:
        return None
    new = dict(group)
    strategy = (group.get("recordingStrategy") or {}).get("useOnly") or ""
    if group.get("allSupported"):
        new["includeGlobalResourceTypes"] = True
        return new
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
        new["exclusionByResourceTypes"] = {
            "resourceTypes": [t for t in excluded if t != "AWS::IAM::User"]
        }
        return new
    types = list(group.get("resourceTypes") or [])
    if not types:
        return None
    new["resourceTypes"] = [*types, "AWS::IAM::User"]
    return new


class _Planner:
    def __init__(self, snapshot: AccountSnapshot, options: RemediationOptions) -> None:
        self.snap = snapshot
        self.opts = options
        self.account = snapshot.account_id
        self.partition = snapshot.partition
        self.actions: list[BaseAction] = []
        self.warnings: list[str] = []
        self.home = ""
        self.regions: tuple[str, ...] = ()
        self.topic_arn = ""
        self.topic_deps: tuple[str, ...] = ()
        self.report: Report | None = None
        # The checks the plan must make pass; delivery recency is left out because no
        # API call can make CloudTrail deliver sooner.
        self.policy = Policy(
            cloudwatch_delivery_max_age_hours=None,
            required_config_rules=tuple(ident for ident, _ in self.config_rules_wanted()),
        )

    # -- small helpers
    def arn(self, service: str, region: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"

    def role_arn(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"

    def add(self, action: BaseAction) -> str:
        self.actions.append(action)
        return action.id

    @staticmethod
    def aid(kind: str, region: str | None, name: str) -> str:
        return f"{kind}:{region or 'global'}:{name}"

    def region_data(self, region: str) -> Any:
        return self.snap.region_data.get(region)

    def gap_text(self, service: str, region: str | None) -> str:
        gaps = self.snap.gaps_for(service, region=region)
        return f" ({gaps[0].describe()})" if gaps else ""

    # -- entry
    def run(self) -> Plan:
        if not _ACCOUNT_RE.fullmatch(self.account):
            raise PlanError(f"snapshot account id {self.account!r} is not 12 digits")
        self.report = self.evaluate()
        trail_ok = all(self.passes(c) for c in (_MULTI_REGION, _LOG_VALIDATION, _CLOUDWATCH_LOGS))
        trail: Trail | None = None
        if trail_ok:
            trail, create_trail = self.qualifying_trail(), False
            trail_ok = trail is not None
        if not trail_ok:
            trail, create_trail = self.pick_trail()
        # A trail that already passes constrains the home region only when the alarm
        # chain must still be built on its log group.
        chain_ok = self.passes(_METRIC_ALARM)
        self.home = self.pick_home(None if trail_ok and chain_ok else trail)
        self.regions = self.pick_regions()
        self.topic_arn = self.opts.alert_topic_arn or self.arn(
            "sns", self.home, self.opts.alert_topic_name
        )
        config_needs = (
            self.config_needs()
            if self.opts.enable_config_rules and not self.passes(_CONFIG_RULES)
            else None
        )
        need_channel = bool(config_needs and config_needs["channel"])
        trail_arn = (
            trail.trail_arn
            if trail is not None
            else self.arn("cloudtrail", self.home, f"trail/{self.opts.trail_name}")
        )
        bucket_deps: tuple[str, ...] = ()
        if create_trail or need_channel:
            bucket_deps = self.plan_bucket(trail_arn if create_trail else None, need_channel)
        log_group: str | None = None
        log_deps: tuple[str, ...] = ()
        if self.snap.trails is None:
            self.warnings.append(
                "the trails could not be read"
                + self.gap_text("cloudtrail", None)
                + ": the trail and the metric-alarm chain are not planned"
            )
        elif trail_ok and trail is not None:
            log_group = self.adopted_log_group(trail)
        else:
            log_group, log_deps = self.plan_trail(trail, create_trail, trail_arn, bucket_deps)
        chain_needed = log_group is not None and not self.passes(_METRIC_ALARM)
        rules_needed = self.opts.enable_eventbridge and any(
            not self.passes(_EVENTBRIDGE, r) for r in self.regions
        )
        home_rule_needed = self.opts.enable_eventbridge and not self.passes(_EVENTBRIDGE, self.home)
        if chain_needed or home_rule_needed or self.own_topic_insecure():
            self.plan_topic()
        if chain_needed and log_group is not None:
            self.plan_metric_chain(log_group, log_deps)
        if rules_needed:
            self.plan_eventbridge()
        if config_needs is not None:
            self.plan_config(config_needs, bucket_deps)
        self.plan_foreign_topic_steps()
        self.plan_root_manual_steps()
        try:
            return Plan(
                account_id=self.account,
                partition=self.partition,
                home_region=self.home,
                regions=self.regions,
                actions=tuple(self.actions),
                warnings=tuple(self.warnings),
            )
        except ValidationError as exc:  # pragma: no cover - planner bug
            raise PlanError(f"internal error building the plan: {exc}") from None

    # -- what the posture checks say (the planner fixes only what fails)
    def evaluate(self) -> Report | None:
        try:
            return evaluate(self.snap, policy=self.policy)
        except (RootGuardError, ValueError) as exc:  # pragma: no cover - checks bug
            logger.warning("posture checks failed on the snapshot: %s", exc)
            self.warnings.append(f"the posture checks could not judge the snapshot: {exc}")
            return None

    def findings(self, check_id: str, region: str | None = None) -> list[Finding]:
        if self.report is None:
            return []
        return [
            f
            for f in self.report.by_check(check_id)
            if region is None or f.region in (region, None)
        ]

    def passes(self, check_id: str, region: str | None = None) -> bool:
        """True when the check's findings (for ``region``) are all PASS."""
        found = self.findings(check_id, region)
        return bool(found) and all(f.status is Status.PASS for f in found)

    def records_management(self, trail: Trail) -> bool | None:
        """Whether the trail's selectors record every management event — judged as
        ``cloudtrail.multi_region`` judges it (None: the selectors were not read)."""
        return trail_records_management(
            trail,
            self.account,
            allow_excluded_sources=self.policy.allow_excluded_management_event_sources,
        )

    def qualifying_trail(self) -> Trail | None:
        """The trail the passing CloudTrail checks rest on."""
        arns = [f.resource for f in self.findings(_CLOUDWATCH_LOGS) if f.status is Status.PASS]
        return next((t for t in self.snap.trails or [] if t.trail_arn in arns), None)

    def adopted_log_group(self, trail: Trail) -> str | None:
        """The log group (in the home region of this account) the trail delivers to, on
        which the metric chain is built; None (with a warning) when it is elsewhere."""
        parsed = parse_log_group_arn(trail.cloud_watch_logs_log_group_arn or "")
        if parsed is None:
            return None
        region, account, group = parsed
        if account != self.account or region != self.home:
            if not self.passes(_METRIC_ALARM):
                self.warnings.append(
                    f"trail {trail.name} delivers to log group {group} of account "
                    f"{account} ({region}): set up the root metric filter and alarm there"
                )
            return None
        return group

    def own_topic_insecure(self) -> bool:
        return any(
            f.status is Status.FAIL and f.resource == self.topic_arn
            for f in self.findings(_TOPIC_SECURE)
        )

    def plan_foreign_topic_steps(self) -> None:
        for f in self.findings(_TOPIC_SECURE):
            if f.status is not Status.FAIL:
                continue
            if f.resource == self.topic_arn and self.opts.alert_topic_arn is None:
                continue  # rootguard's own topic: its policy is replaced (SetTopicPolicy)
            name = f.resource.split(":")[-1]
            self.add(
                ManualStep(
                    id=self.aid("ManualStep", f.region, f"topic-policy:{name}"),
                    region=f.region,
                    resource=f.resource,
                    description="an alert topic's policy grants access outside the account",
                    fixes=(_TOPIC_SECURE,),
                    instructions=(
                        f"Review the access policy of {f.resource} (SNS console → Topics → "
                        "Access policy).",
                        f"Remove or restrict what lets outsiders in — {f.detail} rootguard "
                        "does not remove statements it did not add.",
                    ),
                )
            )

    # -- choosing the trail and the home region
    def pick_trail(self) -> tuple[Trail | None, bool]:
        """(trail to adopt or None, whether a new trail must be created)."""
        trails = self.snap.trails
        if trails is None:
            return None, False
        own = [t for t in trails if t.account_id == self.account]
        named = [t for t in own if t.name == self.opts.trail_name]
        candidates = (
            [t for t in own if t.is_multi_region_trail] if self.opts.adopt_existing_trail else []
        )

        def score(t: Trail) -> tuple[int, int, int, int, str]:
            return (
                0 if t.is_logging else 1,
                0 if t.cloud_watch_logs_log_group_arn else 1,
                0 if t.log_file_validation_enabled else 1,
                0 if t.home_region in self.snap.region_data else 1,
                t.trail_arn,
            )

        if named:
            return named[0], False
        if candidates:
            return sorted(candidates, key=score)[0], False
        return None, True

    def pick_home(self, trail: Trail | None) -> str:
        constraints: dict[str, str] = {}
        if self.opts.home_region:
            constraints["home_region option"] = self.opts.home_region
        if trail is not None:
            constraints[f"adopted trail {trail.name}"] = trail.home_region
        if self.opts.alert_topic_arn:
            constraints["alert topic"] = self.opts.alert_topic_arn.split(":")[3]
        distinct = set(constraints.values())
        if len(distinct) > 1:
            shown = ", ".join(f"{k}: {v}" for k, v in constraints.items())
            hint = (
                " (pass adopt_existing_trail=False to create a trail in the home region)"
                if trail is not None
                else ""
            )
            raise PlanError(f"the home region is ambiguous — {shown}{hint}")
        if distinct:
            home = distinct.pop()
        elif "us-east-1" in self.snap.regions or (
            not self.snap.regions and "us-east-1" in self.snap.region_data
        ):
            home = "us-east-1"
        elif self.snap.regions:
            home = sorted(self.snap.regions)[0]
        elif self.snap.region_data:
            home = sorted(self.snap.region_data)[0]
        else:
            raise PlanError("the snapshot has no region: collect at least one region")
        if home not in self.snap.region_data:
            raise PlanError(
                f"the home region {home} was not collected: collect it (regions=[...]) "
                "before planning"
            )
        return home

    def pick_regions(self) -> tuple[str, ...]:
        wanted = self.opts.regions or tuple(self.snap.regions or self.snap.region_data)
        missing = [r for r in wanted if r not in self.snap.region_data]
        if missing:
            raise PlanError(f"region(s) {', '.join(missing)} were not collected")
        return tuple(sorted({*wanted, self.home}))

    # -- S3 bucket
    def bucket_name(self) -> str:
        return self.opts.bucket_name or f"rootguard-logs-{self.account}-{self.home}"

    def plan_bucket(self, trail_arn: str | None, for_config: bool) -> tuple[str, ...]:
        bucket = self.bucket_name()
        bucket_arn = f"arn:{self.partition}:s3:::{bucket}"
        fixes = tuple(
            ([_MULTI_REGION, _LOG_VALIDATION] if trail_arn else [])
            + ([_CONFIG_RULES] if for_config else [])
        )
        region = self.home
        params: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        create = self.add(
            CreateBucket(
                id=self.aid("CreateBucket", region, bucket),
                region=region,
                resource=bucket_arn,
                description=f"S3 bucket {bucket} for CloudTrail / AWS Config log files",
                fixes=fixes,
                params=params,
                permissions=("s3:CreateBucket", "s3:ListBucket"),
            )
        )
        tagging = self.add(
            PutBucketTagging(
                id=self.aid("PutBucketTagging", region, bucket),
                region=region,
                resource=bucket_arn,
                description=f"tag bucket {bucket} {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}",
                depends_on=(create,),
                params={"Bucket": bucket, "Tagging": {"TagSet": _tags_list()}},
                permissions=("s3:PutBucketTagging", "s3:GetBucketTagging"),
            )
        )
        pab = self.add(
            PutPublicAccessBlock(
                id=self.aid("PutPublicAccessBlock", region, bucket),
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
        if self.opts.kms_key_id:
            default: dict[str, Any] = {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": self.opts.kms_key_id,
            }
            rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
            rule["BucketKeyEnabled"] = True
        else:
            rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        enc = self.add(
            PutBucketEncryption(
                id=self.aid("PutBucketEncryption", region, bucket),
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
        statements = self.bucket_statements(bucket, trail_arn, for_config)
        policy = self.add(
            PutBucketPolicy(
                id=self.aid("PutBucketPolicy", region, bucket),
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
                    "Policy": _dumps({"Version": "2012-10-17", "Statement": statements}),
                },
                permissions=("s3:PutBucketPolicy", "s3:GetBucketPolicy"),
            )
        )
        return (create, tagging, pab, enc, policy)

    def bucket_statements(
        self, bucket: str, trail_arn: str | None, for_config: bool
    ) -> list[dict[str, Any]]:
        p, account = self.partition, self.account
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

    # -- IAM roles
    def plan_role(
        self,
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
                    "Condition": {"StringEquals": {"aws:SourceAccount": self.account}},
                }
            ],
        }
        role_arn = self.role_arn(name)
        create = self.add(
            CreateRole(
                id=self.aid("CreateRole", None, name),
                region=None,
                resource=role_arn,
                description=f"IAM role {name}: {description}",
                fixes=fixes,
                params={
                    "RoleName": name,
                    "AssumeRolePolicyDocument": _dumps(trust),
                    "Description": f"rootguard: {description}",
                    "Tags": _tags_list(),
                },
                permissions=(
                    "iam:CreateRole",
                    "iam:TagRole",
                    "iam:GetRole",
                    "iam:UpdateAssumeRolePolicy",
                ),
            )
        )
        policy = self.add(
            PutRolePolicy(
                id=self.aid("PutRolePolicy", None, name),
                region=None,
                resource=role_arn,
                description=f"inline policy {_ROLE_POLICY} of role {name}",
                fixes=fixes,
                depends_on=(create,),
                params={
                    "RoleName": name,
                    "PolicyName": _ROLE_POLICY,
                    "PolicyDocument": _dumps(
                        {"Version": "2012-10-17", "Statement": policy_statements}
                    ),
                },
                permissions=("iam:PutRolePolicy", "iam:GetRolePolicy"),
            )
        )
        return create, policy

    # -- trail
    def plan_log_group(self, name: str, fixes: tuple[str, ...]) -> tuple[str, ...]:
        region = self.home
        arn = self.arn("logs", region, f"log-group:{name}")
        create = self.add(
            CreateLogGroup(
                id=self.aid("CreateLogGroup", region, name),
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
        retention = self.add(
            PutRetentionPolicy(
                id=self.aid("PutRetentionPolicy", region, name),
                region=region,
                resource=arn,
                description=(
                    f"keep the trail's events in {name} for {self.opts.log_retention_days} days "
                    "(only on the group rootguard created)"
                ),
                depends_on=(create,),
                params={
                    "logGroupName": name,
                    "retentionInDays": self.opts.log_retention_days,
                },
                permissions=(
                    "logs:PutRetentionPolicy",
                    "logs:DescribeLogGroups",
                    "logs:ListTagsForResource",
                ),
            )
        )
        return (create, retention)

    def plan_cloudtrail_role(self, log_group: str) -> tuple[str, str]:
        return self.plan_role(
            _CLOUDTRAIL_ROLE,
            "cloudtrail.amazonaws.com",
            [
                {
                    "Sid": "RootGuardCloudTrailToLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": self.arn("logs", self.home, f"log-group:{log_group}:log-stream:*"),
                }
            ],
            "CloudTrail delivers events to CloudWatch Logs",
            (_CLOUDWATCH_LOGS, _METRIC_ALARM),
        )

    def plan_trail(
        self,
        trail: Trail | None,
        create: bool,
        trail_arn: str,
        bucket_deps: tuple[str, ...],
    ) -> tuple[str | None, tuple[str, ...]]:
        """Plan the trail; returns (log group name, ids the metric filter depends on)."""
        region = self.home
        if trail is None and create:
            name = self.opts.trail_name
            group = self.opts.log_group_name
            lg = self.plan_log_group(group, (_CLOUDWATCH_LOGS, _METRIC_ALARM))
            _, role_policy = self.plan_cloudtrail_role(group)
            params: dict[str, Any] = {
                "Name": name,
                "S3BucketName": self.bucket_name(),
                "IncludeGlobalServiceEvents": True,
                "IsMultiRegionTrail": True,
                "EnableLogFileValidation": True,
                "CloudWatchLogsLogGroupArn": self.arn("logs", region, f"log-group:{group}:*"),
                "CloudWatchLogsRoleArn": self.role_arn(_CLOUDTRAIL_ROLE),
            }
            if self.opts.kms_key_id:
                params["KmsKeyId"] = self.opts.kms_key_id
            params["TagsList"] = _tags_list()
            others = [t for t in self.snap.trails or [] if self.records_management(t)]
            create_id = self.add(
                CreateTrail(
                    id=self.aid("CreateTrail", region, name),
                    region=region,
                    resource=trail_arn,
                    description=(
                        f"multi-region trail {name} (global events, log-file validation, "
                        f"delivery to {group})"
                    ),
                    fixes=(_MULTI_REGION, _LOG_VALIDATION, _CLOUDWATCH_LOGS, _METRIC_ALARM),
                    depends_on=(*bucket_deps, *lg, role_policy),
                    note=_SECOND_TRAIL_COST if others else _TRAIL_COST,
                    params=params,
                    permissions=(
                        "cloudtrail:CreateTrail",
                        "cloudtrail:AddTags",
                        "iam:PassRole",
                        "cloudtrail:GetTrail",
                        "cloudtrail:UpdateTrail",
                    ),
                )
            )
            self.add(
                StartLogging(
                    id=self.aid("StartLogging", region, name),
                    region=region,
                    resource=trail_arn,
                    description=f"start logging on trail {name}",
                    fixes=(_MULTI_REGION, _CLOUDWATCH_LOGS, _METRIC_ALARM),
                    depends_on=(create_id,),
                    params={"Name": name},
                    permissions=("cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"),
                )
            )
            self.add(
                PutEventSelectors(
                    id=self.aid("PutEventSelectors", region, name),
                    region=region,
                    resource=trail_arn,
                    description=(
                        f"trail {name}: record all management events, read and write (stated "
                        "explicitly; unchanged where CloudTrail already reports it)"
                    ),
                    fixes=(_MULTI_REGION,),
                    depends_on=(create_id,),
                    params={"TrailName": name, "EventSelectors": [MANAGEMENT_BASIC_SELECTOR]},
                    permissions=("cloudtrail:PutEventSelectors", "cloudtrail:GetEventSelectors"),
                )
            )
            return group, (lg[0],)
        if trail is None:  # pragma: no cover - pick_trail never returns (None, False) here
            return None, ()

        # Adopt an existing trail: add only what it lacks.
        name = trail.name
        update: dict[str, Any] = {}
        fixes: list[str] = []
        if not trail.is_multi_region_trail:
            update["IsMultiRegionTrail"] = True
            fixes.append(_MULTI_REGION)
        if not trail.include_global_service_events:
            update["IncludeGlobalServiceEvents"] = True
            fixes.append(_MULTI_REGION)
        if not trail.log_file_validation_enabled:
            update["EnableLogFileValidation"] = True
            fixes.append(_LOG_VALIDATION)
        deps: list[str] = []
        log_deps: tuple[str, ...] = ()
        log_group: str | None
        parsed = parse_log_group_arn(trail.cloud_watch_logs_log_group_arn or "")
        if parsed is not None:
            lg_region, _, log_group = parsed
            known = self.region_data(lg_region)
            groups = None if known is None else known.log_groups
            if groups is not None and not any(g.log_group_name == log_group for g in groups):
                self.warnings.append(
                    f"trail {name} delivers to log group {log_group}, which was not found; "
                    "it is recreated"
                )
                log_deps = self.plan_log_group(log_group, (_CLOUDWATCH_LOGS, _METRIC_ALARM))
        elif trail.cloud_watch_logs_log_group_arn:
            self.warnings.append(
                f"trail {name} delivers to {trail.cloud_watch_logs_log_group_arn}, which is "
                "not a log group ARN: the metric filter and alarm are not planned"
            )
            log_group = None
        else:
            log_group = self.opts.log_group_name
            log_deps = self.plan_log_group(log_group, (_CLOUDWATCH_LOGS, _METRIC_ALARM))
            _, role_policy = self.plan_cloudtrail_role(log_group)
            update["CloudWatchLogsLogGroupArn"] = self.arn(
                "logs", region, f"log-group:{log_group}:*"
            )
            update["CloudWatchLogsRoleArn"] = self.role_arn(_CLOUDTRAIL_ROLE)
            deps += [*log_deps, role_policy]
            fixes += [_CLOUDWATCH_LOGS, _METRIC_ALARM]
        if update:
            self.add(
                UpdateTrail(
                    id=self.aid("UpdateTrail", region, name),
                    region=region,
                    resource=trail.trail_arn,
                    description=f"adopt trail {name}: add {', '.join(update)}",
                    fixes=tuple(dict.fromkeys(fixes)),
                    depends_on=tuple(deps),
                    params={"Name": name, **update},
                    permissions=(
                        "cloudtrail:UpdateTrail",
                        "iam:PassRole",
                        "cloudtrail:GetTrail",
                    ),
                )
            )
        if trail.is_logging is False:
            self.add(
                StartLogging(
                    id=self.aid("StartLogging", region, name),
                    region=region,
                    resource=trail.trail_arn,
                    description=f"start logging on trail {name}",
                    fixes=(_MULTI_REGION, _CLOUDWATCH_LOGS, _METRIC_ALARM),
                    params={"Name": name},
                    permissions=("cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"),
                )
            )
        elif trail.is_logging is None:
            self.warnings.append(
                f"the status of trail {name} could not be read"
                + self.gap_text("cloudtrail", region)
                + "; not started"
            )
        recorded = self.records_management(trail)
        if recorded is False:
            selectors = self.selectors_with_management(trail)
            if selectors is not None:
                self.add(
                    PutEventSelectors(
                        id=self.aid("PutEventSelectors", region, name),
                        region=region,
                        resource=trail.trail_arn,
                        description=(
                            f"trail {name}: add a selector for all management events "
                            "(existing selectors kept)"
                        ),
                        fixes=(_MULTI_REGION,),
                        note="recording more management events may raise the trail's cost",
                        params={"TrailName": name, **selectors},
                        permissions=(
                            "cloudtrail:PutEventSelectors",
                            "cloudtrail:GetEventSelectors",
                        ),
                    )
                )
        elif recorded is None:
            self.warnings.append(
                f"the event selectors of trail {name} could not be read; left as they are"
            )
        return log_group, tuple(log_deps[:1])

    def selectors_with_management(self, trail: Trail) -> dict[str, Any] | None:
        if trail.advanced_event_selectors:
            return {
                "AdvancedEventSelectors": [
                    *trail.advanced_event_selectors,
                    MANAGEMENT_ADVANCED_SELECTOR,
                ]
            }
        basic = list(trail.event_selectors or [])
        if len(basic) >= 5:
            self.warnings.append(
                f"trail {trail.name} has 5 event selectors and does not record all management "
                "events; add them by hand"
            )
            return None
        basic.append(MANAGEMENT_BASIC_SELECTOR)
        return {"EventSelectors": basic}

    # -- topic
    def plan_topic(self) -> None:
        region = self.home
        arn = self.topic_arn
        ours = self.opts.alert_topic_arn is None
        topics = self.region_data(region).topics
        topic: SnsTopic | None = None
        if topics is None:
            self.warnings.append(
                f"the SNS topics of {region} could not be read"
                + self.gap_text("sns", region)
                + "; apply verifies the alert topic"
            )
        else:
            topic = next((t for t in topics if t.topic_arn == arn), None)
            if topic is None and not ours:
                raise PlanError(f"the alert topic {arn} does not exist in the snapshot")
        deps: list[str] = []
        fixes = (_METRIC_ALARM, _EVENTBRIDGE, _TOPIC_SECURE)
        if ours and topic is None:
            deps.append(
                self.add(
                    CreateTopic(
                        id=self.aid("CreateTopic", region, self.opts.alert_topic_name),
                        region=region,
                        resource=arn,
                        description=f"SNS alert topic {self.opts.alert_topic_name}",
                        fixes=fixes,
                        params={"Name": self.opts.alert_topic_name, "Tags": _tags_list()},
                        permissions=(
                            "sns:CreateTopic",
                            "sns:TagResource",
                            "sns:GetTopicAttributes",
                        ),
                    )
                )
            )
        wanted = self.topic_statements()
        current = _loads(topic.policy) if topic is not None else None
        if ours:
            policy_ok = current == {"Version": "2012-10-17", "Statement": wanted}
        else:
            have = current.get("Statement", []) if isinstance(current, dict) else []
            policy_ok = all(st in have for st in wanted)
        if topic is None or topic.policy is None or not policy_ok:
            deps.append(
                self.add(
                    SetTopicPolicy(
                        id=self.aid("SetTopicPolicy", region, arn.split(":")[5]),
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
                            "AttributeValue": _dumps(
                                {"Version": "2012-10-17", "Statement": wanted}
                            ),
                        },
                        permissions=("sns:SetTopicAttributes", "sns:GetTopicAttributes"),
                    )
                )
            )
        self.topic_deps = tuple(deps)
        self.plan_subscriptions(topic, tuple(deps[:1]))

    def topic_statements(self) -> list[dict[str, Any]]:
        arn, region, account = self.topic_arn, self.home, self.account
        p = self.partition
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

    def plan_subscriptions(self, topic: SnsTopic | None, deps: tuple[str, ...]) -> None:
        region, arn = self.home, self.topic_arn
        existing = (topic.subscriptions if topic is not None else None) or []
        present = {(s.protocol, (s.endpoint or "").lower()) for s in existing}
        planned = 0
        for sub in self.opts.subscriptions():
            key = (sub.protocol.value, sub.endpoint.lower())
            if key in present:
                continue
            planned += 1
            self.add(
                Subscribe(
                    id=self.aid("Subscribe", region, f"{sub.protocol.value}:{sub.endpoint}"),
                    region=region,
                    resource=arn,
                    description=f"subscribe {sub.protocol.value} {sub.endpoint} to the alert topic",
                    fixes=(_METRIC_ALARM,),
                    depends_on=deps,
                    note=(
                        "the subscriber must confirm (a link in the email) before alerts arrive"
                        if sub.protocol
                        in (SubscriptionProtocol.EMAIL, SubscriptionProtocol.EMAIL_JSON)
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
            self.add(
                ManualStep(
                    id=self.aid(
                        "ManualStep", region, f"confirm:{waiting.protocol}:{waiting.endpoint}"
                    ),
                    region=region,
                    resource=arn,
                    description=(
                        f"confirm the pending subscription {waiting.protocol} {waiting.endpoint}"
                    ),
                    fixes=(_METRIC_ALARM,),
                    instructions=(
                        f"Open the message 'AWS Notification - Subscription Confirmation' sent "
                        f"to {waiting.endpoint} and follow 'Confirm subscription'.",
                        "If it expired (after 3 days), delete the pending subscription in the "
                        "SNS console and run rootguard again to re-send it.",
                    ),
                )
            )
        if not confirmed and not pending and not planned:
            self.add(
                ManualStep(
                    id=self.aid("ManualStep", region, "alert-subscriber"),
                    region=region,
                    resource=arn,
                    description="nobody receives the alerts: the topic has no subscriber",
                    fixes=(_METRIC_ALARM,),
                    instructions=(
                        "Plan again with alert_emails=[...] (CLI: --email ADDR) or "
                        "alert_subscriptions, or subscribe an endpoint to the topic yourself.",
                    ),
                )
            )

    # -- metric filter and alarm
    def plan_metric_chain(self, group: str, log_deps: tuple[str, ...]) -> None:
        region = self.home
        data = self.region_data(region)
        lg = next((g for g in data.log_groups or [] if g.log_group_name == group), None)
        filters = lg.metric_filters if lg is not None else []
        if lg is not None and filters is None:
            self.warnings.append(f"the metric filters of {group} could not be read")
            filters = []
        # Only a filter with the CIS pattern *text* is built on (Security Hub CloudWatch.1
        # demands the text; monitoring.root_metric_alarm accepts any pattern that works,
        # so a working non-CIS filter with its own complete chain never reaches here), and
        # only a metric rootguard's own alarm would fire on, as the check judges it.
        ours = (self.opts.metric_name, self.opts.metric_namespace)
        metrics: list[MetricTransformation] = []
        ours_ok = False
        for f in filters or []:
            if not is_cis_pattern(f.filter_pattern):
                continue
            usable = [t for t in f.metric_transformations if self.cis_alarm_would_fire(t)]
            metrics += usable
            if f.filter_name == self.opts.metric_filter_name and any(
                (t.metric_name, t.metric_namespace) == ours for t in usable
            ):
                ours_ok = True
        fixes = (_METRIC_ALARM,)
        filter_id: str | None = None
        if not metrics:
            filter_id = self.add(
                PutMetricFilter(
                    id=self.aid("PutMetricFilter", region, self.opts.metric_filter_name),
                    region=region,
                    resource=self.arn("logs", region, f"log-group:{group}"),
                    description=(
                        f"metric filter {self.opts.metric_filter_name} on {group}: the CIS "
                        f"root-usage pattern → {self.opts.metric_namespace}/{self.opts.metric_name}"
                    ),
                    fixes=fixes,
                    depends_on=log_deps,
                    params={
                        "logGroupName": group,
                        "filterName": self.opts.metric_filter_name,
                        "filterPattern": CIS_ROOT_FILTER_PATTERN,
                        "metricTransformations": [
                            {
                                "metricName": self.opts.metric_name,
                                "metricNamespace": self.opts.metric_namespace,
                                "metricValue": "1",
                            }
                        ],
                    },
                    permissions=("logs:PutMetricFilter", "logs:DescribeMetricFilters"),
                )
            )
            metrics = [
                MetricTransformation(
                    metric_name=self.opts.metric_name,
                    metric_namespace=self.opts.metric_namespace,
                    metric_value="1",
                )
            ]
        elif ours_ok:
            metrics.sort(key=lambda t: (t.metric_name, t.metric_namespace) != ours)
        alarms = data.alarms
        if alarms is None:
            self.warnings.append(
                f"the alarms of {region} could not be read"
                + self.gap_text("cloudwatch", region)
                + "; apply verifies the alarm"
            )
            alarms = []
        if any(self.alarm_ok(a, metrics) for a in alarms):
            return
        metric_name, namespace = metrics[0].metric_name, metrics[0].metric_namespace
        mine = next((a for a in alarms if a.alarm_name == self.opts.alarm_name), None)
        actions = list(dict.fromkeys([*(mine.alarm_actions if mine else []), self.topic_arn]))
        self.add(
            PutMetricAlarm(
                id=self.aid("PutMetricAlarm", region, self.opts.alarm_name),
                region=region,
                resource=self.arn("cloudwatch", region, f"alarm:{self.opts.alarm_name}"),
                description=(
                    f"alarm {self.opts.alarm_name}: {namespace}/{metric_name} Sum ≥ 1 in 5 "
                    "minutes → the alert topic"
                ),
                fixes=fixes,
                depends_on=tuple(x for x in (filter_id, *self.topic_deps[:1]) if x),
                params={
                    "AlarmName": self.opts.alarm_name,
                    "AlarmDescription": "rootguard: the root user was used (CIS root-usage alarm)",
                    "ActionsEnabled": True,
                    "AlarmActions": actions,
                    "MetricName": metric_name,
                    "Namespace": namespace,
                    **_CIS_ALARM,
                    "Tags": _tags_list(),
                },
                permissions=(
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:TagResource",
                    "cloudwatch:DescribeAlarms",
                ),
            )
        )

    def cis_alarm(self, metric_name: str, namespace: str) -> Alarm:
        """The alarm rootguard puts on a metric (as a snapshot would show it)."""
        return Alarm.model_validate(
            {
                "AlarmName": self.opts.alarm_name,
                "ActionsEnabled": True,
                "AlarmActions": [self.topic_arn],
                "MetricName": metric_name,
                "Namespace": namespace,
                **_CIS_ALARM,
            }
        )

    def cis_alarm_would_fire(self, metric: MetricTransformation) -> bool:
        """Whether rootguard's alarm on this metric would pass monitoring.root_metric_alarm
        (a positive metric value of at least 1, no dimensions)."""
        name, namespace = metric.metric_name, metric.metric_namespace
        if metric_dimensions(metric):
            return False
        fires, _ = alarm_fires(self.cis_alarm(name, namespace), name, namespace, metric)
        return fires is True

    def alarm_ok(self, alarm: Alarm, metrics: Sequence[MetricTransformation]) -> bool:
        """Whether an existing alarm already alerts the topic on one of the metrics, as
        monitoring.root_metric_alarm judges alarms. Deliberately narrower than the check:
        the alarm must notify rootguard's alert topic (whose subscribers the plan
        manages), and rootguard's own alarm must also have exactly its parameters."""
        if not alarm.actions_enabled or self.topic_arn not in alarm.alarm_actions:
            return False
        if alarm.alarm_name == self.opts.alarm_name:
            wanted = _CIS_ALARM
            cis = (
                alarm.statistic == wanted["Statistic"]
                and alarm.period == wanted["Period"]
                and alarm.evaluation_periods == wanted["EvaluationPeriods"]
                and alarm.threshold == wanted["Threshold"]
                and alarm.comparison_operator == wanted["ComparisonOperator"]
                and alarm.treat_missing_data == wanted["TreatMissingData"]
            )
            if not cis:
                return False
        return any(
            alarm_watches_metric(alarm, m.metric_name, m.metric_namespace)
            and alarm_fires(alarm, m.metric_name, m.metric_namespace, m)[0] is True
            for m in metrics
        )

    # -- EventBridge
    def plan_eventbridge(self) -> None:
        home = self.home
        bus = self.arn("events", home, "event-bus/default")
        forwarder = self.role_arn(_FORWARDER_ROLE)
        role_deps: tuple[str, ...] | None = None
        for region in sorted(self.regions, key=lambda r: (r != home, r)):
            rules = self.region_data(region).event_rules
            if rules is None:
                self.warnings.append(
                    f"the EventBridge rules of {region} could not be read"
                    + self.gap_text("events", region)
                    + "; apply verifies rootguard's rule"
                )
                rules = []
            if region == home:
                wanted_target: dict[str, Any] = {"Id": _HOME_TARGET_ID, "Arn": self.topic_arn}
            else:
                wanted_target = {"Id": _FORWARD_TARGET_ID, "Arn": bus, "RoleArn": forwarder}
            if self.passes(_EVENTBRIDGE, region) or any(
                self.rule_covers(r, region, bus) for r in rules
            ):
                continue
            mine = next((r for r in rules if r.name == self.opts.rule_name), None)
            rule_arn = self.arn("events", region, f"rule/{self.opts.rule_name}")
            deps: list[str] = []
            if not (
                mine is not None
                and _loads(mine.event_pattern) == ROOT_EVENT_PATTERN
                and mine.state == "ENABLED"
            ):
                deps.append(
                    self.add(
                        PutRule(
                            id=self.aid("PutRule", region, self.opts.rule_name),
                            region=region,
                            resource=rule_arn,
                            description=(
                                f"EventBridge rule {self.opts.rule_name} in {region}: root API "
                                "calls and root console sign-ins"
                            ),
                            fixes=(_EVENTBRIDGE,),
                            params={
                                "Name": self.opts.rule_name,
                                "EventPattern": _dumps(ROOT_EVENT_PATTERN),
                                "State": "ENABLED",
                                "Description": "rootguard: root user activity",
                                "Tags": _tags_list(),
                            },
                            permissions=(
                                "events:PutRule",
                                "events:TagResource",
                                "events:DescribeRule",
                            ),
                        )
                    )
                )
            targets = (mine.targets or []) if mine is not None else []
            if any(
                self.target_matches(t.model_dump(by_alias=True), wanted_target) for t in targets
            ):
                continue
            if region == home:
                deps += list(self.topic_deps)
                what = "the alert topic"
            else:
                if role_deps is None:
                    role_deps = self.plan_role(
                        _FORWARDER_ROLE,
                        "events.amazonaws.com",
                        [
                            {
                                "Sid": "RootGuardForwardToHomeBus",
                                "Effect": "Allow",
                                "Action": "events:PutEvents",
                                "Resource": bus,
                            }
                        ],
                        f"EventBridge forwards root activity to the {home} default bus",
                        (_EVENTBRIDGE,),
                    )
                deps.append(role_deps[1])
                what = f"the default event bus of {home}"
            self.add(
                PutTargets(
                    id=self.aid("PutTargets", region, self.opts.rule_name),
                    region=region,
                    resource=rule_arn,
                    description=f"rule {self.opts.rule_name} in {region} → {what}",
                    fixes=(_EVENTBRIDGE,),
                    depends_on=tuple(deps),
                    params={"Rule": self.opts.rule_name, "Targets": [wanted_target]},
                    permissions=(
                        "events:PutTargets",
                        *(("iam:PassRole",) if region != home else ()),
                        "events:ListTargetsByRule",
                    ),
                )
            )

    @staticmethod
    def target_matches(have: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
        return all(have.get(k) == v for k, v in want.items())

    def rule_covers(self, rule: EventRule, region: str, bus: str) -> bool:
        """Whether one rule already does rootguard's part in ``region``: enabled, matching
        root activity (as ``monitoring.root_eventbridge`` judges patterns), targeting the
        alert topic (home region) or the home region's default bus (other regions).

        Deliberately narrower than the check, which asks whether a region's rules together
        deliver each root event to someone: a rule wired to rootguard's topic or bus is
        left alone even while the check fails on what lies behind it (an unconfirmed
        subscription, a missing home-region rule), which other actions fix.
        """
        if not rule_enabled(rule) or rule.event_bus_name != "default":
            return False
        if not rule.targets or not rule_matches_root_activity(rule, self.account):
            return False
        if region == self.home:
            return any(t.arn == self.topic_arn for t in rule.targets)
        return any(t.arn == bus and t.role_arn for t in rule.targets)

    # -- AWS Config
    def config_needs(self) -> dict[str, Any] | None:
        """What the home region needs for config.root_rules to pass (asked only when the
        check does not pass); None when it cannot be planned."""
        wanted = self.config_rules_wanted()
        iam_recorded = any(
            r.recording and records_iam(r.recording_group)
            for data in self.snap.region_data.values()
            for r in data.config_recorders or []
        )
        data = self.region_data(self.home)
        if data.config_recorders is None:
            self.warnings.append(
                f"the AWS Config recorders of {self.home} could not be read"
                + self.gap_text("config", self.home)
                + ": Config is not planned"
            )
            return None
        recorders = data.config_recorders
        channels = data.delivery_channels
        if channels is None:
            self.warnings.append(
                f"the AWS Config delivery channels of {self.home} could not be read; apply verifies"
            )
        recorder = recorders[0] if recorders else None
        group = None
        if recorder is not None and not iam_recorded and not records_iam(recorder.recording_group):
            group = _with_iam(recorder.recording_group)
            if group is None:
                self.warnings.append(
                    f"the AWS Config recorder {recorder.name} does not record IAM resources "
                    "and its recording group could not be extended; add AWS::IAM::User by hand"
                )
        recording = any(r.recording for r in recorders)
        return {
            "recorder": recorder,
            "recording_group": group,
            "recording": recording,
            "channel": not channels and not recording,
            "rules": [
                (ident, name)
                for ident, name in wanted
                if ident not in active_managed_rules(data.config_rules)
            ],
        }

    def config_rules_wanted(self) -> list[tuple[str, str]]:
        """(AWS managed rule identifier, rootguard's rule name) of the rules to have."""
        wanted = list(_CONFIG_RULES_WANTED)
        if self.opts.enable_hardware_mfa_rule:
            wanted.append(_HARDWARE_MFA_RULE)
        return wanted

    def plan_config(self, needs: Mapping[str, Any], bucket_deps: tuple[str, ...]) -> None:
        region = self.home
        recorder = needs["recorder"]
        fixes = (_CONFIG_RULES,)
        recorder_deps: list[str] = []
        name = recorder.name if recorder is not None else _RECORDER_NAME
        if recorder is None:
            slr = self.add(
                CreateServiceLinkedRole(
                    id=self.aid("CreateServiceLinkedRole", None, _CONFIG_SLR),
                    region=None,
                    resource=self.role_arn(f"aws-service-role/config.amazonaws.com/{_CONFIG_SLR}"),
                    description="AWS Config's service-linked role (kept if it exists)",
                    fixes=fixes,
                    params={"AWSServiceName": "config.amazonaws.com"},
                    permissions=("iam:CreateServiceLinkedRole", "iam:ListRoles"),
                )
            )
            recorder_deps.append(
                self.add(
                    PutConfigurationRecorder(
                        id=self.aid("PutConfigurationRecorder", region, name),
                        region=region,
                        resource=self.arn("config", region, f"configuration-recorder/{name}"),
                        description=(
                            f"AWS Config recorder {name} in {region}, recording only "
                            "AWS::IAM::User (the root rules are periodic)"
                        ),
                        fixes=fixes,
                        note=_CONFIG_COST,
                        depends_on=(slr,),
                        params={
                            "ConfigurationRecorder": {
                                "name": name,
                                "roleARN": self.role_arn(
                                    f"aws-service-role/config.amazonaws.com/{_CONFIG_SLR}"
                                ),
                                "recordingGroup": {
                                    "allSupported": False,
                                    "includeGlobalResourceTypes": False,
                                    "resourceTypes": list(_RECORDED_TYPES),
                                    "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
                                },
                            },
                            "Tags": _tags_list(),
                        },
                        permissions=(
                            "config:PutConfigurationRecorder",
                            "config:TagResource",
                            "iam:PassRole",
                            "config:DescribeConfigurationRecorders",
                        ),
                    )
                )
            )
        elif needs["recording_group"] is not None:
            recorder_deps.append(
                self.add(
                    PutConfigurationRecorder(
                        id=self.aid("PutConfigurationRecorder", region, name),
                        change=ChangeType.UPDATE,
                        region=region,
                        resource=self.arn("config", region, f"configuration-recorder/{name}"),
                        description=(
                            f"AWS Config recorder {name} in {region}: also record IAM "
                            "resources (AWS::IAM::User), which the root rules report on"
                        ),
                        fixes=fixes,
                        note="recording more resource types adds configuration items "
                        "(about $0.003 each)",
                        params={
                            "ConfigurationRecorder": {
                                "name": name,
                                "roleARN": recorder.role_arn,
                                "recordingGroup": needs["recording_group"],
                                **(
                                    {"recordingMode": recorder.recording_mode}
                                    if recorder.recording_mode
                                    else {}
                                ),
                            }
                        },
                        permissions=(
                            "config:PutConfigurationRecorder",
                            "iam:PassRole",
                            "config:DescribeConfigurationRecorders",
                        ),
                    )
                )
            )
        start_deps = list(recorder_deps)
        if needs["channel"]:
            start_deps.append(
                self.add(
                    PutDeliveryChannel(
                        id=self.aid("PutDeliveryChannel", region, _CHANNEL_NAME),
                        region=region,
                        resource=f"arn:{self.partition}:s3:::{self.bucket_name()}",
                        description=(
                            f"AWS Config delivery channel {_CHANNEL_NAME} → bucket "
                            f"{self.bucket_name()}"
                        ),
                        fixes=fixes,
                        depends_on=(*recorder_deps, *bucket_deps),
                        params={
                            "DeliveryChannel": {
                                "name": _CHANNEL_NAME,
                                "s3BucketName": self.bucket_name(),
                            }
                        },
                        permissions=(
                            "config:PutDeliveryChannel",
                            "config:DescribeDeliveryChannels",
                        ),
                    )
                )
            )
        if not needs["recording"]:
            note = _CONFIG_COST
            if recorder is not None:
                group = recorder.recording_group or {}
                what = (
                    "all supported resource types"
                    if group.get("allSupported", True)
                    else ", ".join(group.get("resourceTypes") or []) or "its resource types"
                )
                note = (
                    f"the existing recorder {name} records {what}: AWS Config charges per "
                    "configuration item recorded (about $0.003 each) and per rule evaluation"
                )
            recorder_deps.append(
                self.add(
                    StartConfigurationRecorder(
                        id=self.aid("StartConfigurationRecorder", region, name),
                        region=region,
                        resource=self.arn("config", region, f"configuration-recorder/{name}"),
                        description=f"start AWS Config recorder {name} in {region}",
                        fixes=fixes,
                        note=note,
                        depends_on=tuple(start_deps),
                        params={"ConfigurationRecorderName": name},
                        permissions=(
                            "config:StartConfigurationRecorder",
                            "config:DescribeConfigurationRecorderStatus",
                        ),
                    )
                )
            )
        for ident, rule_name in needs["rules"]:
            self.add(
                PutConfigRule(
                    id=self.aid("PutConfigRule", region, rule_name),
                    region=region,
                    resource=self.arn("config", region, f"config-rule/{rule_name}"),
                    description=f"AWS Config managed rule {ident} ({rule_name}) in {region}",
                    fixes=fixes,
                    depends_on=tuple(recorder_deps[:1]),
                    params={
                        "ConfigRule": {
                            "ConfigRuleName": rule_name,
                            "Description": f"rootguard: {ident}",
                            "Source": {"Owner": "AWS", "SourceIdentifier": ident},
                            "MaximumExecutionFrequency": "TwentyFour_Hours",
                        },
                        "Tags": _tags_list(),
                    },
                    permissions=(
                        "config:PutConfigRule",
                        "config:TagResource",
                        "config:DescribeConfigRules",
                    ),
                )
            )

    # -- root credentials: humans only
    def plan_root_manual_steps(self) -> None:
        """Manual steps for the root checks that fail (root.mfa_enabled judges root
        without any credential not applicable, so it gets no step)."""
        mfa_fails = any(f.status is Status.FAIL for f in self.findings(_ROOT_MFA))
        keys = next(
            (
                _root_key_ids(f.evidence)
                for f in self.findings(_ROOT_KEYS)
                if f.status is Status.FAIL
            ),
            (),
        )
        root_arn = f"arn:{self.partition}:iam::{self.account}:root"
        if mfa_fails:
            self.add(
                ManualStep(
                    id=self.aid("ManualStep", None, "root-mfa"),
                    region=None,
                    resource=root_arn,
                    description="the root user has no MFA: a human must add it at the console",
                    fixes=(_ROOT_MFA,),
                    instructions=(
                        "Sign in to https://console.aws.amazon.com/ as the root user (the "
                        "account's email address and password).",
                        "Open the account menu (top right) → Security credentials → "
                        "Multi-factor authentication (MFA) → Assign MFA device.",
                        "Prefer a FIDO2 security key or a hardware TOTP token (CIS 1.6); "
                        "register a second device as a backup.",
                        "In an AWS Organization with centralized root access, the management "
                        "account can instead delete this account's root credentials "
                        "(IAM console → Root access management).",
                    ),
                )
            )
        if keys:
            self.add(
                ManualStep(
                    id=self.aid("ManualStep", None, "root-access-keys"),
                    region=None,
                    resource=root_arn,
                    description=(
                        (
                            "the root user has active access keys"
                            if len(keys) > 1
                            else "the root user has an active access key"
                        )
                        + f" ({', '.join(keys)}): a human must remove "
                        + ("them" if len(keys) > 1 else "it")
                    ),
                    fixes=(_ROOT_KEYS,),
                    instructions=(
                        "Find what uses the key first: the credential report's "
                        "access_key_N_last_used_* columns and CloudTrail events with "
                        "userIdentity.accessKeyId.",
                        "Sign in to https://console.aws.amazon.com/ as the root user → "
                        "Security credentials → Access keys.",
                        "Make each key Inactive, wait to see that nothing breaks, then Delete "
                        "it. rootguard cannot do this: only the root user (or an "
                        "sts:AssumeRoot session from the management account) can.",
                    ),
                )
            )


def _root_key_ids(evidence: Mapping[str, Any]) -> tuple[str, ...]:
    """The active root access keys a failing root.no_access_keys finding names (its
    evidence), else where the count came from."""
    active = evidence.get("report_active")
    if active:
        return tuple(str(key) for key in active)
    if active is None and evidence.get("source") == "account_summary":
        return ("reported by the account summary",)
    return ("reported by the posture check",)


def plan(
    snapshot: AccountSnapshot,
    options: RemediationOptions | Mapping[str, Any] | None = None,
) -> Plan:
    """Plan what must change for the root-monitoring chain to pass its checks (pure).

    The plan makes ``cloudtrail.multi_region``, ``cloudtrail.log_validation``,
    ``cloudtrail.cloudwatch_logs``, ``monitoring.root_metric_alarm``,
    ``monitoring.root_eventbridge``, ``monitoring.alert_topic_secure`` and
    ``config.root_rules`` pass once applied (and any subscription confirmed). Root MFA and
    root access keys become :class:`ManualStep` entries. Data missing from the snapshot
    (a denied call) becomes a warning, never a guess that could duplicate a resource.

    Args:
        snapshot: from :func:`rootguard.collect` (or loaded from JSON).
        options: :class:`RemediationOptions` or a mapping of its fields.

    Raises:
        PlanError: invalid options, a home region that is ambiguous or was not collected,
            a named alert topic that does not exist.

    Examples:
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333", regions=["eu-west-1"],
        ...     trails=[], region_data={"eu-west-1": {"region": "eu-west-1"}})
        >>> p = rootguard.plan(snap, {"alert_emails": ["secops@example.com"]})
        >>> sorted({a.kind for a in p.actions})[:3]
        ['CreateBucket', 'CreateLogGroup', 'CreateRole']
    """
    if options is None:
        opts = RemediationOptions()
    elif isinstance(options, RemediationOptions):
        opts = options
    else:
        try:
            opts = RemediationOptions.model_validate(dict(options))
        except ValidationError as exc:
            raise PlanError(f"invalid remediation options: {exc}") from None
    if not isinstance(snapshot, AccountSnapshot):
        raise PlanError(f"expected an AccountSnapshot, got {type(snapshot).__name__}")
    result = _Planner(snapshot, opts).run()
    logger.debug(
        "planned %d action(s) (%d manual) for %s",
        len(result.actions),
        len(result.manual_steps),
        snapshot.account_id,
    )
    return result
