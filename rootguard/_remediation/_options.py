"""RemediationOptions: what the user may choose about the plan (pure)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rootguard._errors import PlanError, name_list
from rootguard._models import StrEnum
from rootguard._names import check_name
from rootguard._remediation._constants import VALID_RETENTION

# ---------------------------------------------------------------------------- validation

REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
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
    if not REGION_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an AWS region name (like 'us-east-1')")
    return value


def check_email(value: str) -> str:
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
            raise options_error(exc, "alert subscription") from None


def options_error(exc: ValidationError, what: str) -> PlanError:
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
        check_email(value)
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
        return tuple(dict.fromkeys(check_email(v.strip()) for v in value))

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
        if value not in VALID_RETENTION:
            raise ValueError(f"CloudWatch Logs accepts only {sorted(VALID_RETENTION)} days")
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
            raise options_error(exc, "remediation options") from None
        except PlanError as exc:  # an AlertSubscription in alert_subscriptions
            raise PlanError(f"invalid remediation options: alert_subscriptions: {exc}") from None

    def subscriptions(self) -> tuple[AlertSubscription, ...]:
        """Every wanted subscriber: the emails, then the other endpoints."""
        emails = tuple(
            AlertSubscription(protocol=SubscriptionProtocol.EMAIL, endpoint=e)
            for e in self.alert_emails
        )
        return tuple(dict.fromkeys((*emails, *self.alert_subscriptions)))
