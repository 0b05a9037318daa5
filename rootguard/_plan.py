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
import itertools
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rootguard._checks import Finding, Policy, Report, Status, evaluate
from rootguard._errors import PlanError, RootGuardError, name_list
from rootguard._filter_pattern import CIS_ROOT_FILTER_PATTERN
from rootguard._judge import (
    PUBLISHING_SERVICES,
    SNS_KEY_ACTIONS,
    active_managed_rules,
    alarm_fires,
    alarm_watches_metric,
    is_cis_pattern,
    metric_dimensions,
    parse_log_group_arn,
    records_iam,
    rule_enabled,
    rule_matches_root_activity,
    topic_encryption,
    trail_records_management,
)
from rootguard._kinds import check_kind
from rootguard._models import StrEnum
from rootguard._names import check_name
from rootguard._snapshot import (
    AccountSnapshot,
    Alarm,
    EventRule,
    Gap,
    MetricTransformation,
    SnsTopic,
    Trail,
)

__all__ = [
    "KEY_ALIAS_TAG_KEY",
    "MANAGED_TAG_KEY",
    "MANAGED_TAG_VALUE",
    "ROOT_EVENT_PATTERN",
    "Action",
    "AlertSubscription",
    "BlockedItem",
    "BlockedKind",
    "ChangeType",
    "CreateBucket",
    "CreateKey",
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
    "SetTopicEncryption",
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
_TOPIC_ARN_RE = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$"
)
_HTTPS_RE = re.compile(r"^https://[^\s/$.?#][^\s]*$")
_SMS_RE = re.compile(r"^\+[1-9]\d{6,14}$")
_ARN_RE = re.compile(r"^arn:aws[a-z-]*:(sqs|lambda|firehose):[a-z0-9-]+:\d{12}:\S+$")


_OPTION_NAMES = {
    "alert_topic_name": "topic_name",
    "alert_topic_key_alias": "kms_alias",
    "trail_name": "trail_name",
    "bucket_name": "bucket_name",
    "log_group_name": "log_group_name",
    "kms_key_id": "kms_key_id",
    "metric_namespace": "metric_namespace",
    "metric_name": "metric_name",
    "metric_filter_name": "metric_filter_name",
    "alarm_name": "alarm_name",
    "rule_name": "rule_name",
}
"""The options that name something rootguard sends to AWS → their kind of name
(:data:`rootguard._names.NAME_RULES`)."""


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

    @model_validator(mode="wrap")
    @classmethod
    def _as_plan_error(
        cls, data: Any, handler: ModelWrapValidatorHandler[AlertSubscription]
    ) -> AlertSubscription:
        try:
            return handler(data)
        except ValidationError as exc:
            raise _options_error(exc, "alert subscription") from None


def _options_error(exc: ValidationError, what: str) -> PlanError:
    """A :class:`PlanError` saying which option is wrong and why (pydantic's
    ``ValidationError`` never leaves the public API)."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append(
            message if not where or message.startswith(where) else f"{where}: {message}"
        )
    return PlanError(f"invalid {what}: " + "; ".join(problems))


def _ok_email(value: str) -> bool:
    try:
        _check_email(value)
    except ValueError:
        return False
    return True


class RemediationOptions(BaseModel):
    """What :func:`plan` should build, and how to name it. All fields are optional.

    Names default to rootguard's own (``rootguard…``); rootguard only ever changes
    resources that carry the names given here. Every name is checked against AWS's
    documented constraints (docs/remediation.md, "Names"). Invalid values — a malformed
    email address, an unknown region format, a name AWS would reject, an unknown option,
    a bare string where a list is expected — raise :class:`~rootguard.PlanError` naming
    the option, however the options are built (constructor, ``model_validate``,
    :func:`plan` with a mapping); pydantic's ``ValidationError`` never escapes.

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
    alert_topic_key_alias: str = "alias/rootguard-alert-topic"
    """The alias of the customer managed KMS key rootguard creates (or adopts, when the
    alias exists) for an alert topic encrypted with the AWS managed key
    ``alias/aws/sns``, to which CloudWatch alarms and EventBridge cannot publish."""
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

    @field_validator("regions", "alert_emails", mode="before")
    @classmethod
    def _v_name_lists(cls, value: Any, info: ValidationInfo) -> Any:
        field = str(info.field_name)
        items = "region names" if field == "regions" else "email addresses"
        return name_list(value, field, items=items)

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

    @field_validator(*_OPTION_NAMES)
    @classmethod
    def _v_names(cls, value: str | None, info: ValidationInfo) -> str | None:
        field = str(info.field_name)
        return None if value is None else check_name(_OPTION_NAMES[field], value, field=field)

    @field_validator("log_retention_days")
    @classmethod
    def _v_retention(cls, value: int) -> int:
        if value not in _VALID_RETENTION:
            raise ValueError(f"CloudWatch Logs accepts only {sorted(_VALID_RETENTION)} days")
        return value

    @model_validator(mode="after")
    def _v_home_in_regions(self) -> RemediationOptions:
        if self.home_region and self.regions and self.home_region not in self.regions:
            raise ValueError(f"home_region {self.home_region} is not one of regions")
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _as_plan_error(
        cls, data: Any, handler: ModelWrapValidatorHandler[RemediationOptions]
    ) -> RemediationOptions:
        try:
            return handler(data)
        except ValidationError as exc:
            raise _options_error(exc, "remediation options") from None
        except PlanError as exc:  # an AlertSubscription in alert_subscriptions
            raise PlanError(f"invalid remediation options: alert_subscriptions: {exc}") from None

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


class CreateKey(ApiAction):
    """``kms:CreateKey`` and ``kms:CreateAlias`` — a customer managed key for the alert
    topic whose key policy lets CloudWatch alarms and EventBridge rules use it
    (``kms:GenerateDataKey*``, ``kms:Decrypt``), as the Amazon SNS Developer Guide asks
    for encrypted topics that AWS services publish to.

    ``params`` are CreateKey's; the alias (:attr:`alias_name`) is attached to the new key
    at once. apply adopts the key the alias already names (``unchanged``; it fails,
    without editing it, when that key's policy lacks the grants), and a key tagged with
    the alias by an interrupted run (no alias yet) instead of creating a second one."""

    kind: Literal["CreateKey"] = "CreateKey"
    service: Literal["kms"] = "kms"
    operation: Literal["CreateKey"] = "CreateKey"
    alias_name: str
    """``alias/…``: how the topic and later runs find the key."""


class SetTopicEncryption(ApiAction):
    """``sns:SetTopicAttributes`` (``KmsMasterKeyId``): encrypt the alert topic with
    rootguard's customer managed key instead of the AWS managed key. apply changes the
    topic only while it still uses the AWS managed key (or none): another customer
    managed key set since the plan was made is kept."""

    change: ChangeType = ChangeType.UPDATE
    kind: Literal["SetTopicEncryption"] = "SetTopicEncryption"
    service: Literal["sns"] = "sns"
    operation: Literal["SetTopicAttributes"] = "SetTopicAttributes"


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
    | CreateKey
    | SetTopicEncryption
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

# ------------------------------------------------------------------------------ blocked


class BlockedKind(StrEnum):
    """What a :class:`BlockedItem` could not plan (stable values)."""

    TRAIL = "trail"
    """Create or adopt the multi-region trail (with its bucket, log group and role)."""
    TRAIL_LOGGING = "trail_logging"
    """Start logging on the adopted trail (``StartLogging``)."""
    TRAIL_SELECTORS = "trail_selectors"
    """Make the adopted trail record management events (``PutEventSelectors``)."""
    METRIC_FILTER = "metric_filter"
    """The root metric filter on the trail's log group (and the alarm built on it)."""
    METRIC_ALARM = "metric_alarm"
    """The root-usage alarm (``PutMetricAlarm``)."""
    ALERT_TOPIC = "alert_topic"
    """The alert topic and its policy (``CreateTopic``, ``SetTopicAttributes``)."""
    ALERT_SUBSCRIPTIONS = "alert_subscriptions"
    """The alert topic's subscribers (``Subscribe``, confirmations)."""
    EVENTBRIDGE_RULE = "eventbridge_rule"
    """A region's root-activity rule (``PutRule`` and ``PutTargets``)."""
    EVENTBRIDGE_TARGETS = "eventbridge_targets"
    """The target of rootguard's rule in a region (``PutTargets``)."""
    CONFIG = "config"
    """AWS Config for the root rules (recorder, delivery channel, rules)."""
    CONFIG_DELIVERY_CHANNEL = "config_delivery_channel"
    """AWS Config's delivery channel (and starting the recorder, which needs it)."""
    CONFIG_RULES = "config_rules"
    """The AWS Config managed root rules (``PutConfigRule``)."""
    ROOT_MFA = "root_mfa"
    """Whether a human must add MFA to the root user."""
    ROOT_ACCESS_KEYS = "root_access_keys"
    """Whether a human must remove root access keys."""
    TOPIC_POLICY = "topic_policy"
    """Whether an alert topic's policy lets outsiders in (a manual review)."""


class BlockedItem(BaseModel):
    """Something the plan could not decide, because rootguard could not read what it
    depends on (a ``None`` collection of the snapshot, or a :class:`~rootguard.Gap` naming
    the call that would have shown it).

    rootguard never builds what it could not see: nothing in :attr:`Plan.actions` creates,
    replaces or updates a blocked item, and an action that would depend on one is blocked
    with it. Grant the read permissions named in :attr:`permissions`, collect again and
    plan again.

    Examples:
        >>> import rootguard
        >>> gap = rootguard.Gap(service="cloudwatch", operation="DescribeAlarms",
        ...                     region="us-east-1", error_code="AccessDenied")
        >>> item = rootguard.BlockedItem(
        ...     id="metric_alarm:us-east-1:rootguard-root-account-usage", kind="metric_alarm",
        ...     region="us-east-1", description="the root-usage alarm", gaps=(gap,),
        ...     permissions=("cloudwatch:DescribeAlarms",))
        >>> item.kind.value, item.why()
        ('metric_alarm', 'cloudwatch:DescribeAlarms in us-east-1 failed: AccessDenied')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Stable id ``<kind>:<region or global>:<name>`` (same inputs → same id)."""
    kind: BlockedKind
    """What could not be planned."""
    region: str | None
    """The region the work would be in; None for global work (IAM, root)."""
    resource: str | None = None
    """The resource concerned, when it is known (an ARN or a name)."""
    description: str
    """One line for humans: what could not be planned and why."""
    fixes: tuple[str, ...] = ()
    """The check ids the blocked work would help to pass."""
    actions: tuple[str, ...] = ()
    """The kinds of actions the work may need (none of them is in the plan)."""
    gaps: tuple[Gap, ...] = ()
    """The failed reads that block it (empty when the snapshot recorded no gap for a
    collection it does not have)."""
    permissions: tuple[str, ...] = ()
    """The IAM read permissions whose calls failed (or, with no gap recorded, the calls
    that fill the missing data): grant them, collect and plan again."""
    depends_on: tuple[str, ...] = ()
    """Ids of the other blocked items it waits for (it is blocked because they are)."""

    def why(self) -> str:
        """The failed reads, one phrase each (``… failed: AccessDenied``)."""
        if self.gaps:
            return "; ".join(dict.fromkeys(g.describe() for g in self.gaps))
        if self.depends_on:
            return "waits for " + ", ".join(self.depends_on)
        return "the data it needs is missing from the snapshot (no gap recorded)"


# --------------------------------------------------------------------------------- plan


PLAN_SCHEMA_VERSION = 1
"""The ``schema_version`` of the plans this rootguard writes and the newest it reads."""


class Plan(BaseModel):
    """An ordered, reviewable, serializable remediation plan.

    ``actions`` is in execution order (each action's ``depends_on`` names earlier
    actions). :attr:`is_empty` is True when no API call is planned — :class:`ManualStep`
    entries (root MFA, root keys, pending confirmations) do not count, because no
    re-run of rootguard can make them go away.

    ``blocked`` lists what could not be planned because the snapshot lacks the data it
    depends on (:class:`BlockedItem`). A plan with blocked entries is **incomplete**
    (:attr:`complete` is False): an empty but incomplete plan does not mean "nothing to
    do", only that nothing could be planned safely. :attr:`is_empty` does not look at
    ``blocked``; "nothing to do" is ``plan.is_empty and plan.complete``.

    Examples:
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333",
        ...     regions=["us-east-1"], trails=[],
        ...     account_summary={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
        ...     region_data={"us-east-1": {"region": "us-east-1", "trails": [],
        ...         "log_groups": [], "alarms": [], "topics": [], "event_rules": [],
        ...         "config_recorders": [], "config_rules": [], "delivery_channels": []}})
        >>> p = rootguard.plan(snap, rootguard.RemediationOptions(alert_emails=["a@example.com"]))
        >>> p.is_empty, p.complete, p.actions[0].kind
        (False, True, 'CreateBucket')
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
    blocked: tuple[BlockedItem, ...] = ()
    """What could not be planned because rootguard could not read what it depends on
    (see :class:`BlockedItem`); nothing in ``actions`` touches it."""
    warnings: tuple[str, ...] = ()
    """What the planner left alone or could not judge for reasons other than a failed
    read (a foreign log group, a trail with five selectors …)."""

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
        blocked: set[str] = set()
        for item in self.blocked:
            if item.id in blocked:
                raise ValueError(f"duplicate blocked id {item.id!r}")
            blocked.add(item.id)
        for item in self.blocked:
            unknown = [d for d in item.depends_on if d not in blocked]
            if unknown:
                raise ValueError(f"blocked item {item.id!r} waits for unknown {unknown}")
        return self

    @property
    def is_empty(self) -> bool:
        """True when the plan makes no API call (manual steps and blocked entries do not
        count: check :attr:`complete` before concluding there is nothing to do)."""
        return not self.api_actions

    @property
    def complete(self) -> bool:
        """True when nothing was blocked by data rootguard could not read."""
        return not self.blocked

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

    def missing_permissions(self) -> tuple[str, ...]:
        """The IAM read permissions that would unblock the blocked entries (sorted,
        unique; empty when the plan is complete)."""
        return tuple(sorted({p for b in self.blocked for p in b.permissions}))

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
        """A terraform-like rendering for review: first, when the plan is incomplete, what
        could not be planned and why; then one block per action with its exact
        parameters; then a summary line.

        Symbols: ``+`` create, ``~`` update (additive), ``!`` manual step, ``?`` blocked.
        """
        lines = [
            f"rootguard plan for account {self.account_id} "
            f"(home region {self.home_region}; regions {', '.join(self.regions) or '-'})",
            "",
        ]
        if self.blocked:
            lines.extend(self._blocked_text())
        if not self.actions:
            lines.append(
                "No changes could be planned safely: the plan is incomplete (see above)."
                if self.blocked
                else "No changes. The root-monitoring chain is in place."
            )
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
        blocked = f"; {len(self.blocked)} blocked (incomplete)" if self.blocked else ""
        lines.append(
            f"Plan: {counts[ChangeType.CREATE]} to create, {counts[ChangeType.UPDATE]} to "
            f"update, 0 to destroy; {counts[ChangeType.MANUAL]} manual step(s){blocked}."
        )
        return "\n".join(lines)

    def _blocked_text(self) -> list[str]:
        count = len(self.blocked)
        lines = [
            f"INCOMPLETE PLAN: {count} item{'s' if count != 1 else ''} could not be planned "
            "because rootguard could not read what "
            f"{'they depend' if count != 1 else 'it depends'} on.",
            "Nothing below creates, replaces or updates them. Grant the read permission(s), "
            "collect and plan again.",
            "",
        ]
        for item in self.blocked:
            where = item.region or "global"
            lines.append(f"  # {item.description}")
            if item.fixes:
                lines.append(f"  # fixes: {', '.join(item.fixes)}")
            lines.append(f"  ? {item.kind.value} [{where}] {item.resource or '-'}")
            lines.append(f"      id         = {item.id}")
            lines.append(f"      blocked by = {item.why()}")
            if item.depends_on and item.gaps:
                lines.append(f"      waits for  = {', '.join(item.depends_on)}")
            if item.permissions:
                lines.append(f"      needs      = {', '.join(item.permissions)}")
            if item.actions:
                lines.append(f"      may need   = {', '.join(item.actions)}")
            lines.append("")
        return lines


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


Read = tuple[str, str, "str | None", "str | None"]
"""A read the planner depends on: (service, operation, region or None, resource or None)."""

_PASS, _WORK, _BLOCKED = "pass", "work", "blocked"


def _any_call(region: str) -> Read:
    """Every call in a region (what failed when nothing was collected there)."""
    return ("*", "*", region, None)


# The blocked kind an action falls under when it depends on blocked work.
_DEPENDENT_KIND: dict[str, BlockedKind] = {
    "CreateBucket": BlockedKind.TRAIL,
    "PutBucketTagging": BlockedKind.TRAIL,
    "PutPublicAccessBlock": BlockedKind.TRAIL,
    "PutBucketEncryption": BlockedKind.TRAIL,
    "PutBucketPolicy": BlockedKind.TRAIL,
    "CreateLogGroup": BlockedKind.TRAIL,
    "PutRetentionPolicy": BlockedKind.TRAIL,
    "CreateRole": BlockedKind.TRAIL,
    "PutRolePolicy": BlockedKind.TRAIL,
    "CreateTrail": BlockedKind.TRAIL,
    "UpdateTrail": BlockedKind.TRAIL,
    "StartLogging": BlockedKind.TRAIL_LOGGING,
    "PutEventSelectors": BlockedKind.TRAIL_SELECTORS,
    "PutMetricFilter": BlockedKind.METRIC_FILTER,
    "PutMetricAlarm": BlockedKind.METRIC_ALARM,
    "CreateTopic": BlockedKind.ALERT_TOPIC,
    "SetTopicPolicy": BlockedKind.ALERT_TOPIC,
    "CreateKey": BlockedKind.ALERT_TOPIC,
    "SetTopicEncryption": BlockedKind.ALERT_TOPIC,
    "Subscribe": BlockedKind.ALERT_SUBSCRIPTIONS,
    "PutRule": BlockedKind.EVENTBRIDGE_RULE,
    "PutTargets": BlockedKind.EVENTBRIDGE_TARGETS,
    "CreateServiceLinkedRole": BlockedKind.CONFIG,
    "PutConfigurationRecorder": BlockedKind.CONFIG,
    "PutDeliveryChannel": BlockedKind.CONFIG_DELIVERY_CHANNEL,
    "StartConfigurationRecorder": BlockedKind.CONFIG_DELIVERY_CHANNEL,
    "PutConfigRule": BlockedKind.CONFIG_RULES,
    "ManualStep": BlockedKind.ALERT_SUBSCRIPTIONS,
}


def _norm_arn(arn: str) -> str:
    """A log-group ARN with or without its ``:*`` suffix compares equal."""
    return arn[:-2] if arn.endswith(":*") else arn


def _short(resource: str) -> str:
    """The last segment of an ARN or path (``…:alarm:x`` → ``x``)."""
    return resource.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or resource


def _unique(items: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


@dataclass
class _Why:
    """Why a piece of work cannot be planned: a sentence and the reads it waits for."""

    text: str
    reads: tuple[Read, ...] = ()
    depends_on: tuple[str, ...] = ()


@dataclass
class _Draft:
    """A blocked item being built (several causes may merge into one)."""

    id: str
    kind: BlockedKind
    region: str | None
    resource: str | None
    description: str
    fixes: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)

    def build(self) -> BlockedItem:
        return BlockedItem(
            id=self.id,
            kind=self.kind,
            region=self.region,
            resource=self.resource,
            description=self.description,
            fixes=tuple(self.fixes),
            actions=tuple(self.actions),
            gaps=tuple(self.gaps),
            permissions=tuple(self.permissions),
            depends_on=tuple(self.depends_on),
        )


@dataclass
class _TrailDecision:
    """What the trail part of the plan is: nothing (``pass``), ``work`` on ``trail``
    (``create`` a new one when None), or ``blocked`` by ``why``."""

    state: str
    trail: Trail | None = None
    create: bool = False
    why: _Why | None = None
    undecided: list[Trail] = field(default_factory=list)
    possible: list[Trail | None] | None = None
    """The trails a complete snapshot could lead the plan to build on (None: any)."""


class _Planner:
    def __init__(self, snapshot: AccountSnapshot, options: RemediationOptions) -> None:
        self.snap = snapshot
        self.opts = options
        self.account = snapshot.account_id
        self.partition = snapshot.partition
        self.actions: list[BaseAction] = []
        self.warnings: list[str] = []
        self.blocked: dict[str, _Draft] = {}
        self.blocked_actions: dict[str, str] = {}
        """Id of an action that is not planned → id of the blocked item it falls under."""
        self.home = ""
        self.home_block: _Why | None = None
        """Set when no home-region work can be planned (home undecided or not collected)."""
        self.home_ambiguous = False
        self.regions: tuple[str, ...] = ()
        self.collected = set(snapshot.regions) | set(snapshot.region_data)
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
        """Plan the action — unless it depends on blocked work: then it is blocked too."""
        waiting = _unique(
            [self.blocked_actions[d] for d in action.depends_on if d in self.blocked_actions]
        )
        if not waiting:
            self.actions.append(action)
            return action.id
        action_kind = str(getattr(action, "kind", ""))
        kind = _DEPENDENT_KIND.get(action_kind, BlockedKind.TRAIL)
        names = ", ".join(self.blocked[w].kind.value for w in waiting)
        self.block(
            kind,
            action.region,
            _short(action.resource),
            resource=action.resource,
            description=f"{action.description} (waits for blocked {names})",
            fixes=action.fixes,
            actions=(action_kind,),
            why=_Why("", depends_on=tuple(waiting)),
            would_be=(action.id,),
        )
        return action.id

    @staticmethod
    def aid(kind: str, region: str | None, name: str) -> str:
        return f"{kind}:{region or 'global'}:{name}"

    def region_data(self, region: str) -> Any:
        return self.snap.region_data.get(region)

    # -- blocked work
    def gaps_for(self, reads: Sequence[Read]) -> list[Gap]:
        """The snapshot's gaps that one of the reads names."""
        found: list[Gap] = []
        for gap in self.snap.gaps:
            for service, operation, region, resource in reads:
                if service != "*" and (gap.service != service or gap.operation != operation):
                    continue
                if region is not None and gap.region not in (region, None):
                    continue
                if resource is not None and (
                    gap.resource is None or _norm_arn(gap.resource) != _norm_arn(resource)
                ):
                    continue
                if gap not in found:
                    found.append(gap)
                break
        return found

    @staticmethod
    def permissions_for(gaps: Sequence[Gap], reads: Sequence[Read]) -> list[str]:
        calls = [(g.service, g.operation) for g in gaps] or [
            (r[0], r[1]) for r in reads if r[0] != "*"
        ]
        out: list[str] = []
        for service, operation in calls:
            out.append(f"{service}:{operation}")
            if (service, operation) == ("iam", "GetCredentialReport"):
                out.append("iam:GenerateCredentialReport")
        return _unique(out)

    def block(
        self,
        kind: BlockedKind,
        region: str | None,
        name: str,
        *,
        description: str,
        why: _Why,
        resource: str | None = None,
        fixes: Sequence[str] = (),
        actions: Sequence[str] = (),
        would_be: Sequence[str] = (),
    ) -> str:
        """Record blocked work (merged with an item of the same id) and mark the ids of
        the actions it would have planned, so that what depends on them is blocked too."""
        bid = f"{kind.value}:{region or 'global'}:{name}"
        gaps = self.gaps_for(why.reads)
        permissions = self.permissions_for(gaps, why.reads) if why.reads else []
        for dep in why.depends_on:
            item = self.blocked.get(dep)
            if item is not None:
                gaps += item.gaps
                permissions += item.permissions
        draft = self.blocked.get(bid)
        if draft is None:
            text = f"{description}: {why.text}" if why.text else description
            draft = _Draft(bid, kind, region, resource, text)
            self.blocked[bid] = draft
        draft.fixes = _unique([*draft.fixes, *fixes])
        draft.actions = _unique([*draft.actions, *actions])
        draft.gaps = _unique([*draft.gaps, *gaps])
        draft.permissions = _unique([*draft.permissions, *permissions])
        draft.depends_on = _unique([*draft.depends_on, *(d for d in why.depends_on if d != bid)])
        for action_id in would_be:
            self.blocked_actions[action_id] = bid
        logger.debug("blocked %s: %s", bid, draft.description)
        return bid

    def status(self, check_id: str, region: str | None = None) -> Status | None:
        """FAIL if any finding fails, else UNKNOWN if any is unknown, else PASS when all
        pass; None when the check has no finding (for ``region``)."""
        found = self.findings(check_id, region)
        if not found:
            return None
        statuses = {f.status for f in found}
        for status in (Status.FAIL, Status.UNKNOWN):
            if status in statuses:
                return status
        return Status.PASS if statuses == {Status.PASS} else Status.NOT_APPLICABLE

    def state(self, check_id: str, unread: Sequence[Read], region: str | None = None) -> str:
        """``pass`` (nothing to do), ``work`` (plan what fails) or ``blocked`` (the check is
        UNKNOWN because of data that was not read: whether work is needed is unknown).
        A check UNKNOWN for other reasons (an input it does not judge) is planned for."""
        status = self.status(check_id, region)
        if status is Status.PASS or status is Status.NOT_APPLICABLE:
            return _PASS
        if status is Status.UNKNOWN and unread:
            return _BLOCKED
        return _WORK

    # -- what could not be read, per piece of the chain
    def topic_unread(self, arn: str) -> list[Read]:
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "sns" or parts[4] != self.account:
            return []
        region = parts[3]
        data = self.region_data(region)
        if data is None:
            return [_any_call(region), ("sns", "ListTopics", region, None)]
        if data.topics is None:
            return [("sns", "ListTopics", region, None)]
        topic = next((t for t in data.topics if t.topic_arn == arn), None)
        reads: list[Read] = []
        if topic is not None and topic.subscriptions is None:
            reads.append(("sns", "ListSubscriptionsByTopic", region, arn))
        if topic is not None and topic_encryption(topic).state == "unknown":
            reads.append(("sns", "GetTopicAttributes", region, arn))
        return reads

    def trail_unread(self, trail: Trail) -> list[Read]:
        reads: list[Read] = []
        if trail.is_logging is None:
            reads.append(("cloudtrail", "GetTrailStatus", None, trail.trail_arn))
        if self.records_management(trail) is None:
            reads.append(("cloudtrail", "GetEventSelectors", None, trail.trail_arn))
        return reads

    def trail_undecided(self, trail: Trail) -> bool:
        """Whether ``cloudtrail.multi_region`` cannot tell if the trail qualifies: nothing
        known disqualifies it, and its status or selectors were not read."""
        known_bad = (
            not trail.is_multi_region_trail
            or trail.is_logging is False
            or self.records_management(trail) is False
        )
        return not known_bad and bool(self.trail_unread(trail))

    def log_group_unread(self, region: str, name: str) -> list[Read]:
        """What was not read about a log group of this account (its existence, its
        metric filters)."""
        arn = self.arn("logs", region, f"log-group:{name}")
        data = self.region_data(region)
        if data is None or data.log_groups is None:
            return [
                *([_any_call(region)] if data is None else []),
                ("cloudtrail", "DescribeTrails", region, None),
                ("logs", "DescribeLogGroups", region, None),
            ]
        group = next((g for g in data.log_groups if g.log_group_name == name), None)
        if group is None:
            described = self.gaps_for([("logs", "DescribeLogGroups", region, arn)])
            return [("logs", "DescribeLogGroups", region, arn)] if described else []
        if group.metric_filters is None:
            return [("logs", "DescribeMetricFilters", region, arn)]
        return []

    def chain_unread(self) -> list[Read]:
        """The unread data monitoring.root_metric_alarm can be UNKNOWN for (over the
        trails known to qualify: their log groups, the alarms there, the alarms' topics)."""
        reads: list[Read] = []
        for trail in self.snap.trails or []:
            qualifies = (
                trail.is_multi_region_trail
                and trail.is_logging is True
                and self.records_management(trail) is True
            )
            parsed = parse_log_group_arn(trail.cloud_watch_logs_log_group_arn or "")
            if not qualifies or parsed is None or parsed[1] != self.account:
                continue
            region, _, name = parsed
            reads += self.log_group_unread(region, name)
            data = self.region_data(region)
            if data is None:
                continue
            if data.alarms is None:
                reads.append(("cloudwatch", "DescribeAlarms", region, None))
                continue
            for alarm in data.alarms:
                for action in alarm.alarm_actions:
                    reads += self.topic_unread(action)
        return _unique(reads)

    def rules_unread(self, region: str, *, hop: int = 0) -> list[Read]:
        """The unread data monitoring.root_eventbridge can be UNKNOWN for in ``region``
        (rules, their targets, the topics they notify, the rules of a forwarding target)."""
        data = self.region_data(region)
        if data is None:
            return [_any_call(region), ("events", "ListRules", region, None)]
        if data.event_rules is None:
            return [("events", "ListRules", region, None)]
        reads: list[Read] = []
        for rule in data.event_rules:
            if rule.targets is None:
                reads.append(("events", "ListTargetsByRule", region, rule.arn))
            for target in rule.targets or []:
                parts = target.arn.split(":")
                if len(parts) < 6:
                    continue
                if parts[2] == "sns":
                    reads += self.topic_unread(target.arn)
                elif (
                    parts[2] == "events"
                    and parts[4] == self.account
                    and parts[5] == "event-bus/default"
                    and parts[3] != region
                    and hop == 0
                ):
                    reads += self.rules_unread(parts[3], hop=1)
        return _unique(reads)

    def config_unread(self) -> list[Read]:
        """The unread data config.root_rules can be UNKNOWN for (every region's recorders,
        recorder status and rules)."""
        reads: list[Read] = []
        for region in sorted(self.collected):
            data = self.region_data(region)
            if data is None:
                reads.append(_any_call(region))
            if data is None or data.config_recorders is None:
                reads.append(("config", "DescribeConfigurationRecorders", region, None))
            elif any(r.recording is None for r in data.config_recorders):
                reads.append(("config", "DescribeConfigurationRecorderStatus", region, None))
            if data is None or data.config_rules is None:
                reads.append(("config", "DescribeConfigRules", region, None))
        return reads

    # -- entry
    def run(self) -> Plan:
        if not _ACCOUNT_RE.fullmatch(self.account):
            raise PlanError(f"snapshot account id {self.account!r} is not 12 digits")
        self.report = self.evaluate()
        decision = self.decide_trail()
        chain, chain_why = self.decide_chain(decision)
        self.decide_home(decision, chain, chain_why)
        self.regions = self.pick_regions()
        self.topic_arn = self.opts.alert_topic_arn or self.arn(
            "sns", self.home, self.opts.alert_topic_name
        )
        config = _PASS
        if self.opts.enable_config_rules:
            config = self.state(_CONFIG_RULES, self.config_unread())
        config_needs = self.config_needs() if config == _WORK and not self.home_block else None
        need_channel = bool(config_needs and config_needs["channel"])

        # the trail
        log_group: str | None = None
        log_deps: tuple[str, ...] = ()
        trail_block: str | None = None
        trail_fixes = (_MULTI_REGION, _LOG_VALIDATION, _CLOUDWATCH_LOGS, _METRIC_ALARM)
        create = decision.state == _WORK and decision.create
        if decision.state == _BLOCKED and decision.why is not None:
            trail_block = self.block_trail(decision.why, trail_fixes)
        elif decision.state == _WORK:
            why = self.home_block
            if why is None and create:
                home_trails = self.region_data(self.home).trails
                if home_trails is None:
                    why = _Why(
                        f"the trails of {self.home} could not be listed, so whether a trail "
                        f"named {self.opts.trail_name} already exists there is unknown",
                        (("cloudtrail", "DescribeTrails", self.home, None),),
                    )
            if why is not None:
                trail_block = self.block_trail(why, trail_fixes)
                create = False
        trail = decision.trail
        trail_arn = (
            trail.trail_arn
            if trail is not None
            else self.arn("cloudtrail", self.home, f"trail/{self.opts.trail_name}")
        )
        bucket_deps: tuple[str, ...] = ()
        if create or need_channel:
            bucket_deps = self.plan_bucket(trail_arn if create else None, need_channel)
        if decision.state == _WORK and trail_block is None:
            log_group, log_deps = self.plan_trail(trail, create, trail_arn, bucket_deps)
        elif decision.state == _PASS and chain == _WORK and trail is not None:
            log_group = self.adopted_log_group(trail)

        # the metric chain, the topic, the rules, AWS Config
        chain_planned = False
        if chain == _BLOCKED:
            waits = (trail_block,) if trail_block is not None else ()
            self.block_chain(chain_why or _Why("", depends_on=waits))
        elif chain == _WORK:
            if trail_block is not None:
                self.block_chain(_Why("", depends_on=(trail_block,)))
            elif self.home_block is not None:
                self.block_chain(self.home_block)
            elif log_group is not None:
                blocked = self.log_group_unread(self.home, log_group)
                if blocked:  # even for a group this plan creates: it may exist already
                    self.block_chain(
                        _Why(f"what log group {log_group} holds could not be read", tuple(blocked))
                    )
                else:
                    chain_planned = True
        rule_states = self.rule_states() if self.opts.enable_eventbridge else {}
        if chain_planned or rule_states.get(self.home) == _WORK or self.own_topic_insecure():
            self.plan_topic()
        if chain_planned and log_group is not None:
            self.plan_metric_chain(log_group, log_deps)
        if any(state != _PASS for state in rule_states.values()):
            self.plan_eventbridge(rule_states)
        if config == _BLOCKED:
            self.block(
                BlockedKind.CONFIG,
                self.home if not self.home_ambiguous else None,
                "root-rules",
                description="AWS Config with the root rules",
                why=_Why(
                    "whether a region already records with the root rules could not be read",
                    tuple(self.config_unread()),
                ),
                fixes=(_CONFIG_RULES,),
                actions=("PutConfigurationRecorder", "StartConfigurationRecorder", "PutConfigRule"),
            )
        elif config == _WORK and self.home_block is not None:
            self.block(
                BlockedKind.CONFIG,
                None,
                "root-rules",
                description="AWS Config with the root rules",
                why=self.home_block,
                fixes=(_CONFIG_RULES,),
                actions=("PutConfigurationRecorder", "StartConfigurationRecorder", "PutConfigRule"),
            )
        elif config_needs is not None:
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
                blocked=tuple(d.build() for d in self.blocked.values()),
                warnings=tuple(self.warnings),
            )
        except ValidationError as exc:  # pragma: no cover - planner bug
            raise PlanError(f"internal error building the plan: {exc}") from None

    def block_trail(self, why: _Why, fixes: tuple[str, ...]) -> str:
        return self.block(
            BlockedKind.TRAIL,
            None,
            self.opts.trail_name,
            description="the multi-region trail (create or adopt one, with CloudWatch Logs "
            "delivery)",
            why=why,
            fixes=fixes,
            actions=("CreateTrail", "UpdateTrail", "StartLogging", "PutEventSelectors"),
        )

    def block_chain(self, why: _Why) -> str:
        return self.block(
            BlockedKind.METRIC_FILTER,
            None if self.home_ambiguous else self.home,
            self.opts.metric_filter_name,
            description="the root metric filter and its alarm",
            why=why,
            fixes=(_METRIC_ALARM,),
            actions=("PutMetricFilter", "PutMetricAlarm"),
        )

    # -- deciding what is needed, what is known, and where
    def decide_trail(self) -> _TrailDecision:
        trails = self.snap.trails
        if trails is None:
            return _TrailDecision(
                _BLOCKED,
                why=_Why(
                    "the account's trails could not be listed, so whether a trail to adopt "
                    "exists is unknown (a second trail is charged)",
                    (("cloudtrail", "DescribeTrails", None, None),),
                ),
            )
        undecided = [t for t in trails if self.trail_undecided(t)]
        if all(self.passes(c) for c in (_MULTI_REGION, _LOG_VALIDATION, _CLOUDWATCH_LOGS)):
            qualifying = self.qualifying_trail()
            if qualifying is not None:
                return _TrailDecision(_PASS, trail=qualifying, undecided=undecided)
        if undecided:
            names = ", ".join(t.name for t in undecided)
            return _TrailDecision(
                _BLOCKED,
                why=_Why(
                    f"whether trail(s) {names} qualify could not be judged",
                    tuple(r for t in undecided for r in self.trail_unread(t)),
                ),
                possible=[None, *trails],
            )
        picks, create = self.pick_trail()
        if create:
            return _TrailDecision(_WORK, create=True)
        if len(picks) > 1:
            unknown = [t for t in picks if t.is_logging is None]
            return _TrailDecision(
                _BLOCKED,
                why=_Why(
                    "which trail to adopt depends on whether "
                    + ", ".join(t.name for t in unknown)
                    + " is logging, which could not be read",
                    tuple(("cloudtrail", "GetTrailStatus", None, t.trail_arn) for t in unknown),
                ),
                possible=list(picks),
            )
        return _TrailDecision(_WORK, trail=picks[0])

    def decide_chain(self, decision: _TrailDecision) -> tuple[str, _Why | None]:
        status = self.status(_METRIC_ALARM)
        if status in (Status.PASS, Status.NOT_APPLICABLE):
            return _PASS, None
        if decision.state == _BLOCKED:
            return _BLOCKED, None  # blocked with the trail (see run)
        if decision.state == _PASS and decision.undecided:
            names = ", ".join(t.name for t in decision.undecided)
            return _BLOCKED, _Why(
                f"the chain may rest on trail(s) {names}, which could not be judged",
                tuple(r for t in decision.undecided for r in self.trail_unread(t)),
            )
        if status is Status.UNKNOWN:
            unread = self.chain_unread()
            if unread:
                return _BLOCKED, _Why(
                    "whether an alarm chain already alerts could not be read", tuple(unread)
                )
        return _WORK, None

    def decide_home(self, decision: _TrailDecision, chain: str, chain_why: _Why | None) -> None:
        """Set the home region. When it depends on data that was not read (the trail to
        adopt), no home-region work is planned: ``home_block`` says why."""
        possible: list[Trail | None] | None
        if decision.state == _PASS:
            if chain == _PASS:
                possible = [None]
            elif chain == _BLOCKED:
                possible = [None, *(self.snap.trails or [])]
            else:
                possible = [decision.trail]
        elif decision.state == _WORK:
            possible = [decision.trail]
        else:
            possible = decision.possible
        pinned = self.opts.home_region or (
            self.opts.alert_topic_arn.split(":")[3] if self.opts.alert_topic_arn else None
        )
        if possible is not None and len(possible) == 1:
            self.home = self.pick_home(possible[0])
        elif pinned:
            self.home = self.pick_home(None)
        else:
            # A trail whose home region was not collected would make the plan fail.
            homes = (
                {self.default_home() if t is None else t.home_region for t in possible}
                if possible is not None
                else set(self.collected)
            ) & self.collected
            self.home = homes.pop() if len(homes) == 1 else self.pick_home(None)
            if len(homes) > 1:
                self.home_ambiguous = True
                why = decision.why or chain_why or _Why("")
                self.home_block = _Why(
                    "the home region follows the trail to build on, which is undecided — "
                    f"{why.text or 'trail data was not read'}; pass home_region to plan the rest",
                    why.reads,
                )
        if self.home_block is None and self.home not in self.snap.region_data:
            self.home_block = _Why(
                f"nothing was collected in the home region {self.home}",
                (_any_call(self.home), ("cloudtrail", "DescribeTrails", self.home, None)),
            )

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
            if f.status not in (Status.FAIL, Status.UNKNOWN):
                continue
            ours = f.resource == self.topic_arn and self.opts.alert_topic_arn is None
            could_be_ours = (
                self.home_ambiguous
                and self.opts.alert_topic_arn is None
                and f.resource.split(":")[-1] == self.opts.alert_topic_name
            )
            name = f.resource.split(":")[-1]
            if f.status is Status.UNKNOWN:
                unread = self.topic_policy_unread(f.resource)
                if unread:
                    kind = (
                        BlockedKind.ALERT_TOPIC
                        if f.resource == self.topic_arn
                        else BlockedKind.TOPIC_POLICY
                    )
                    self.block(
                        kind,
                        f.region,
                        name,
                        resource=f.resource,
                        description=f"whether the policy of topic {name} lets outsiders in",
                        why=_Why("its policy could not be read", tuple(unread)),
                        fixes=(_TOPIC_SECURE,),
                        actions=("SetTopicPolicy",) if ours else ("ManualStep",),
                    )
                continue
            if ours:
                continue  # rootguard's own topic: its policy is replaced (SetTopicPolicy)
            if could_be_ours and self.home_block is not None:
                self.block(
                    BlockedKind.TOPIC_POLICY,
                    f.region,
                    name,
                    resource=f.resource,
                    description=f"the policy of topic {name}, which may be rootguard's alert topic",
                    why=self.home_block,
                    fixes=(_TOPIC_SECURE,),
                    actions=("SetTopicPolicy", "ManualStep"),
                )
                continue
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

    def topic_policy_unread(self, arn: str) -> list[Read]:
        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "sns" or parts[4] != self.account:
            return []
        region = parts[3]
        data = self.region_data(region)
        if data is None:
            return [_any_call(region), ("sns", "ListTopics", region, None)]
        if data.topics is None:
            return [("sns", "ListTopics", region, None)]
        topic = next((t for t in data.topics if t.topic_arn == arn), None)
        if topic is not None and topic.policy is None:
            return [("sns", "GetTopicAttributes", region, arn)]
        return []

    # -- choosing the trail and the home region
    def pick_trail(self) -> tuple[list[Trail], bool]:
        """(the trails that may be the one to adopt, whether a new trail must be created).

        More than one trail comes back when the choice depends on whether trails are
        logging and that could not be read: the choice is not guessed."""
        trails = self.snap.trails
        if trails is None:
            return [], False
        own = [t for t in trails if t.account_id == self.account]
        named = [t for t in own if t.name == self.opts.trail_name]
        if named:
            return [named[0]], False
        candidates = (
            [t for t in own if t.is_multi_region_trail] if self.opts.adopt_existing_trail else []
        )
        if not candidates:
            return [], True

        def score(t: Trail, logging: bool | None) -> tuple[int, int, int, int, str]:
            return (
                0 if logging else 1,
                0 if t.cloud_watch_logs_log_group_arn else 1,
                0 if t.log_file_validation_enabled else 1,
                0 if t.home_region in self.collected else 1,
                t.trail_arn,
            )

        unknown = [t.trail_arn for t in candidates if t.is_logging is None]
        if len(unknown) > 6:
            return candidates, False
        winners: list[Trail] = []
        for combo in itertools.product((True, False), repeat=len(unknown)):
            assumed = dict(zip(unknown, combo, strict=True))
            best = min(
                candidates,
                key=lambda t: score(t, assumed.get(t.trail_arn, t.is_logging)),
            )
            if best not in winners:
                winners.append(best)
        return winners, False

    def default_home(self) -> str:
        """The home region when nothing pins it: us-east-1 when collected, else the first
        collected region."""
        if self.opts.home_region:
            return self.opts.home_region
        if self.opts.alert_topic_arn:
            return self.opts.alert_topic_arn.split(":")[3]
        if "us-east-1" in self.snap.regions or (
            not self.snap.regions and "us-east-1" in self.snap.region_data
        ):
            return "us-east-1"
        if self.snap.regions:
            return sorted(self.snap.regions)[0]
        if self.snap.region_data:
            return sorted(self.snap.region_data)[0]
        raise PlanError("the snapshot has no region: collect at least one region")

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
        home = distinct.pop() if distinct else self.default_home()
        if home not in self.collected:
            raise PlanError(
                f"the home region {home} was not collected: collect it (regions=[...]) "
                "before planning"
            )
        return home

    def pick_regions(self) -> tuple[str, ...]:
        """The regions that get an EventBridge rule (a region with no collected data is
        blocked there, not guessed)."""
        wanted = self.opts.regions or tuple(self.snap.regions or self.snap.region_data)
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
            lg_region, lg_account, log_group = parsed
            known = self.region_data(lg_region)
            groups = None if known is None else known.log_groups
            if (
                lg_account == self.account
                and groups is not None
                and not any(g.log_group_name == log_group for g in groups)
                and not self.log_group_unread(lg_region, log_group)
            ):
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
            self.block(
                BlockedKind.TRAIL_LOGGING,
                region,
                name,
                resource=trail.trail_arn,
                description=f"start logging on trail {name} if it is stopped",
                why=_Why(
                    "its status could not be read",
                    (("cloudtrail", "GetTrailStatus", None, trail.trail_arn),),
                ),
                fixes=(_MULTI_REGION, _CLOUDWATCH_LOGS, _METRIC_ALARM),
                actions=("StartLogging",),
                would_be=(self.aid("StartLogging", region, name),),
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
            self.block(
                BlockedKind.TRAIL_SELECTORS,
                region,
                name,
                resource=trail.trail_arn,
                description=f"make trail {name} record every management event if it does not",
                why=_Why(
                    "its event selectors could not be read",
                    (("cloudtrail", "GetEventSelectors", None, trail.trail_arn),),
                ),
                fixes=(_MULTI_REGION,),
                actions=("PutEventSelectors",),
                would_be=(self.aid("PutEventSelectors", region, name),),
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
        fixes = (_METRIC_ALARM, _EVENTBRIDGE, _TOPIC_SECURE)
        name = arn.split(":")[5]
        create_id = self.aid("CreateTopic", region, self.opts.alert_topic_name)
        policy_id = self.aid("SetTopicPolicy", region, name)
        why = self.home_block
        if why is None and self.region_data(region).topics is None:
            why = _Why(
                f"the SNS topics of {region} could not be listed, so whether the alert topic "
                "exists (and who subscribes to it) is unknown",
                (("sns", "ListTopics", region, None),),
            )
        if why is not None:
            would_be = [create_id, policy_id] if ours else [policy_id]
            self.block(
                BlockedKind.ALERT_TOPIC,
                None if self.home_ambiguous else region,
                name,
                resource=None if self.home_ambiguous else arn,
                description=f"the alert topic {name}, its policy and its subscribers",
                why=why,
                fixes=fixes,
                actions=(("CreateTopic",) if ours else ()) + ("SetTopicAttributes", "Subscribe"),
                would_be=would_be,
            )
            self.topic_deps = tuple(would_be)
            return
        topic = next((t for t in self.region_data(region).topics if t.topic_arn == arn), None)
        if topic is None and not ours:
            raise PlanError(f"the alert topic {arn} does not exist in the snapshot")
        deps: list[str] = []
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
        if topic is not None and topic.policy is None:
            self.block(
                BlockedKind.ALERT_TOPIC,
                region,
                name,
                resource=arn,
                description=f"the policy of the alert topic {name}",
                why=_Why(
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
                self.add(
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
                            "AttributeValue": _dumps(
                                {"Version": "2012-10-17", "Statement": wanted}
                            ),
                        },
                        permissions=("sns:SetTopicAttributes", "sns:GetTopicAttributes"),
                    )
                )
            )
        self.topic_deps = tuple(deps)
        if topic is not None and topic_encryption(topic).services_can_publish is False:
            self.plan_topic_key(topic)
        if topic is not None and topic.subscriptions is None:
            self.block(
                BlockedKind.ALERT_SUBSCRIPTIONS,
                region,
                name,
                resource=arn,
                description=f"the subscribers of the alert topic {name}",
                why=_Why(
                    "its subscriptions could not be listed",
                    (("sns", "ListSubscriptionsByTopic", region, arn),),
                ),
                fixes=(_METRIC_ALARM,),
                actions=("Subscribe", "ManualStep"),
            )
            return
        subscribe_deps = [d for d in deps[:1] if d not in self.blocked_actions]
        self.plan_subscriptions(topic, tuple(subscribe_deps))

    def plan_topic_key(self, topic: SnsTopic) -> None:
        """The alert topic is encrypted with the AWS managed key, to which CloudWatch and
        EventBridge cannot publish: switch it to a customer managed key that lets them
        (a stronger setting, not a weaker one: the topic stays encrypted)."""
        region, arn = self.home, topic.topic_arn
        alias = self.opts.alert_topic_key_alias
        fixes = (_METRIC_ALARM, _EVENTBRIDGE)
        key_id = self.add(
            CreateKey(
                id=self.aid("CreateKey", region, alias.removeprefix("alias/")),
                region=region,
                resource=self.arn("kms", region, alias),
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
                    "Policy": _dumps(self.topic_key_policy()),
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
        self.add(
            SetTopicEncryption(
                id=self.aid("SetTopicEncryption", region, arn.split(":")[5]),
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

    def topic_key_policy(self) -> dict[str, Any]:
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
                    "Principal": {"AWS": f"arn:{self.partition}:iam::{self.account}:root"},
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
        if filters is None:  # run() blocks the chain first; kept for safety
            self.block_chain(
                _Why(
                    f"the metric filters of {group} could not be read",
                    (("logs", "DescribeMetricFilters", region, None),),
                )
            )
            return
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
            self.block(
                BlockedKind.METRIC_ALARM,
                region,
                self.opts.alarm_name,
                resource=self.arn("cloudwatch", region, f"alarm:{self.opts.alarm_name}"),
                description="the root-usage alarm on the metric filter's metric",
                why=_Why(
                    f"the CloudWatch alarms of {region} could not be read, so whether one "
                    "already alerts on the metric is unknown",
                    (("cloudwatch", "DescribeAlarms", region, None),),
                ),
                fixes=fixes,
                actions=("PutMetricAlarm",),
                would_be=(self.aid("PutMetricAlarm", region, self.opts.alarm_name),),
            )
            return
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
    def rule_states(self) -> dict[str, str]:
        """For each region of the plan: ``pass``, ``work`` or ``blocked``
        (monitoring.root_eventbridge UNKNOWN there because something was not read)."""
        states: dict[str, str] = {}
        for region in self.regions:
            if region not in self.snap.region_data:
                states[region] = _BLOCKED
            else:
                states[region] = self.state(_EVENTBRIDGE, self.rules_unread(region), region)
        return states

    def block_rule(self, region: str, why: _Why) -> None:
        self.block(
            BlockedKind.EVENTBRIDGE_RULE,
            region,
            self.opts.rule_name,
            resource=self.arn("events", region, f"rule/{self.opts.rule_name}"),
            description=f"the root-activity EventBridge rule in {region}",
            why=why,
            fixes=(_EVENTBRIDGE,),
            actions=("PutRule", "PutTargets"),
        )

    def plan_eventbridge(self, states: Mapping[str, str]) -> None:
        home = self.home
        bus = self.arn("events", home, "event-bus/default")
        forwarder = self.role_arn(_FORWARDER_ROLE)
        role_deps: tuple[str, ...] | None = None
        for region in sorted(self.regions, key=lambda r: (r != home, r)):
            state = states.get(region, _WORK)
            if state == _PASS:
                continue
            if state == _BLOCKED:
                collected = region in self.snap.region_data
                self.block_rule(
                    region,
                    _Why(
                        f"the EventBridge rules of {region}, or what they notify, could not be read"
                        if collected
                        else f"nothing was collected in {region}",
                        tuple(self.rules_unread(region)),
                    ),
                )
                continue
            if self.home_block is not None and (region == home or self.home_ambiguous):
                self.block_rule(region, self.home_block)
                continue
            rules = self.region_data(region).event_rules or []
            if region == home:
                wanted_target: dict[str, Any] = {"Id": _HOME_TARGET_ID, "Arn": self.topic_arn}
            else:
                wanted_target = {"Id": _FORWARD_TARGET_ID, "Arn": bus, "RoleArn": forwarder}
            if any(self.rule_covers(r, region, bus) for r in rules):
                continue
            unread = [r for r in rules if r.targets is None and self.rule_could_cover(r)]
            if unread:
                self.block_rule(
                    region,
                    _Why(
                        "whether rule(s) "
                        + ", ".join(r.name for r in unread)
                        + " already alert could not be read (their targets)",
                        tuple(("events", "ListTargetsByRule", region, r.arn) for r in unread),
                    ),
                )
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
            if mine is not None and mine.targets is None:
                self.block(
                    BlockedKind.EVENTBRIDGE_TARGETS,
                    region,
                    self.opts.rule_name,
                    resource=rule_arn,
                    description=f"the target of rule {self.opts.rule_name} in {region}",
                    why=_Why(
                        "its targets could not be read",
                        (("events", "ListTargetsByRule", region, mine.arn),),
                    ),
                    fixes=(_EVENTBRIDGE,),
                    actions=("PutTargets",),
                )
                continue
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

    def rule_could_cover(self, rule: EventRule) -> bool:
        """Whether the rule would be coverage (:meth:`rule_covers`) with the right target."""
        return (
            rule_enabled(rule)
            and rule.event_bus_name == "default"
            and rule_matches_root_activity(rule, self.account)
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
        status_unread = [
            ("config", "DescribeConfigurationRecorderStatus", region, None)
            for region, data in sorted(self.snap.region_data.items())
            if any(r.recording is None for r in data.config_recorders or [])
        ]
        data = self.region_data(self.home)
        if data.config_recorders is None:  # config.root_rules is then UNKNOWN: kept for safety
            self.block(
                BlockedKind.CONFIG,
                self.home,
                "root-rules",
                description="AWS Config with the root rules",
                why=_Why(
                    f"the AWS Config recorders of {self.home} could not be read",
                    (("config", "DescribeConfigurationRecorders", self.home, None),),
                ),
                fixes=(_CONFIG_RULES,),
                actions=("PutConfigurationRecorder", "StartConfigurationRecorder", "PutConfigRule"),
            )
            return None
        recorders = data.config_recorders
        channels = data.delivery_channels
        recorder = recorders[0] if recorders else None
        group = None
        group_blocked = False
        if recorder is not None and not iam_recorded and not records_iam(recorder.recording_group):
            group = _with_iam(recorder.recording_group)
            if group is None:
                self.warnings.append(
                    f"the AWS Config recorder {recorder.name} does not record IAM resources "
                    "and its recording group could not be extended; add AWS::IAM::User by hand"
                )
            elif status_unread:
                group, group_blocked = None, True
                self.block(
                    BlockedKind.CONFIG,
                    self.home,
                    recorder.name,
                    resource=self.arn(
                        "config", self.home, f"configuration-recorder/{recorder.name}"
                    ),
                    description=f"make the AWS Config recorder {recorder.name} record IAM",
                    why=_Why(
                        "whether a recorder elsewhere already records IAM could not be read "
                        "(recorder status)",
                        tuple(status_unread),
                    ),
                    fixes=(_CONFIG_RULES,),
                    actions=("PutConfigurationRecorder",),
                )
        recording = any(r.recording for r in recorders)
        rules: list[tuple[str, str]] = []
        if data.config_rules is None:
            self.block(
                BlockedKind.CONFIG_RULES,
                self.home,
                "root-rules",
                description=f"the AWS Config root rules in {self.home}",
                why=_Why(
                    f"the AWS Config rules of {self.home} could not be read",
                    (("config", "DescribeConfigRules", self.home, None),),
                ),
                fixes=(_CONFIG_RULES,),
                actions=("PutConfigRule",),
            )
        else:
            active = active_managed_rules(data.config_rules)
            rules = [(ident, name) for ident, name in wanted if ident not in active]
        return {
            "recorder": recorder,
            "recording_group": group,
            "recording_group_blocked": group_blocked,
            "recording": recording,
            "channel": channels is not None and not channels and not recording,
            "channel_blocked": channels is None and not recording,
            "rules": rules,
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
        if needs["channel_blocked"]:
            channel_id = self.aid("PutDeliveryChannel", region, _CHANNEL_NAME)
            self.block(
                BlockedKind.CONFIG_DELIVERY_CHANNEL,
                region,
                _CHANNEL_NAME,
                description=f"AWS Config's delivery channel in {region} (the recorder cannot "
                "start without one)",
                why=_Why(
                    f"the delivery channels of {region} could not be read, so whether one "
                    "exists is unknown",
                    (("config", "DescribeDeliveryChannels", region, None),),
                ),
                fixes=fixes,
                actions=("PutDeliveryChannel", "StartConfigurationRecorder"),
                would_be=(channel_id,),
            )
            start_deps.append(channel_id)
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
        without any credential not applicable, so it gets no step).

        When the credentials could not be read, the step is blocked instead; so is a step
        the checks took from the credential report alone because the live account summary
        (which wins over the report, up to 4 hours old) could not be read."""
        root_arn = f"arn:{self.partition}:iam::{self.account}:root"
        unread: list[Read] = []
        if self.snap.credential_report is None:
            unread.append(("iam", "GetCredentialReport", None, None))
        summary_unread = self.snap.account_summary is None
        if summary_unread:
            unread.append(("iam", "GetAccountSummary", None, None))
        mfa_fails = False
        keys: tuple[str, ...] = ()
        for check, kind, what, source in (
            (_ROOT_MFA, BlockedKind.ROOT_MFA, "whether the root user needs MFA", "mfa_source"),
            (
                _ROOT_KEYS,
                BlockedKind.ROOT_ACCESS_KEYS,
                "whether root access keys must go",
                "source",
            ),
        ):
            failing = [f for f in self.findings(check) if f.status is Status.FAIL]
            from_stale_report = bool(
                failing
                and summary_unread
                and failing[0].evidence.get(source) == "credential_report"
            )
            if (unread and self.status(check) is Status.UNKNOWN) or from_stale_report:
                text = "the root user's credentials could not be read"
                if from_stale_report:
                    text = (
                        "the live account summary could not be read, and the credential report "
                        "(up to 4 hours old) alone says so"
                    )
                self.block(
                    kind,
                    None,
                    "root",
                    resource=root_arn,
                    description=what,
                    why=_Why(text, tuple(unread)),
                    fixes=(check,),
                    actions=("ManualStep",),
                )
            elif failing and check == _ROOT_MFA:
                mfa_fails = True
            elif failing:
                keys = _root_key_ids(failing[0].evidence)
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
    root access keys become :class:`ManualStep` entries.

    The planner never builds what it could not see: unknown is never absent. What depends
    on data missing from the snapshot (a ``None`` collection, a :class:`~rootguard.Gap`
    naming the call) is not created, replaced or updated; it becomes a
    :class:`BlockedItem` in :attr:`Plan.blocked` (with the gap and the read permission
    that would unblock it), and so does every action that would depend on it. Everything
    else is still planned.

    Args:
        snapshot: from :func:`rootguard.collect` (or loaded from JSON).
        options: :class:`RemediationOptions` or a mapping of its fields.

    Raises:
        PlanError: ``snapshot`` is not an :class:`~rootguard.AccountSnapshot`;
            ``options`` is not :class:`RemediationOptions` or a mapping, or is invalid; a
            home region that is ambiguous or was not collected; a named alert topic that
            does not exist.

    Examples:
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333", regions=["eu-west-1"],
        ...     trails=[], account_summary={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
        ...     region_data={"eu-west-1": {"region": "eu-west-1", "trails": [],
        ...         "log_groups": [], "alarms": [], "topics": [], "event_rules": [],
        ...         "config_recorders": [], "config_rules": [], "delivery_channels": []}})
        >>> p = rootguard.plan(snap, {"alert_emails": ["secops@example.com"]})
        >>> sorted({a.kind for a in p.actions})[:3], p.complete
        (['CreateBucket', 'CreateLogGroup', 'CreateRole'], True)
        >>> unread = snap.model_copy(update={"trails": None})  # DescribeTrails denied
        >>> p = rootguard.plan(unread, {"alert_emails": ["secops@example.com"]})
        >>> [b.kind.value for b in p.blocked], "CreateTrail" in {a.kind for a in p.actions}
        (['trail', 'metric_filter'], False)
    """
    if not isinstance(snapshot, AccountSnapshot):
        raise PlanError(f"snapshot must be an AccountSnapshot, not {type(snapshot).__name__}")
    if options is None:
        opts = RemediationOptions()
    elif isinstance(options, RemediationOptions):
        # validated again: model_copy(update=...) and model_construct() skip validation,
        # and every name must be checked before it reaches a plan
        opts = RemediationOptions.model_validate(options.model_dump())
    elif isinstance(options, Mapping):
        opts = RemediationOptions.model_validate(dict(options))
    else:
        raise PlanError(
            "options must be RemediationOptions or a mapping of its fields, not "
            f"{type(options).__name__}"
        )
    result = _Planner(snapshot, opts).run()
    logger.debug(
        "planned %d action(s) (%d manual) for %s",
        len(result.actions),
        len(result.manual_steps),
        snapshot.account_id,
    )
    return result
