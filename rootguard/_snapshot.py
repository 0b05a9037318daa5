"""AccountSnapshot: everything the posture checks need, as collected (pure data).

A snapshot is what :func:`rootguard.collect` gathers from one account. It is plain data
that round-trips through JSON exactly, so it can be saved today and evaluated offline
tomorrow. Conventions:

- A list or value that is ``None`` was **not collected** (the call failed or was not
  made); the matching :class:`Gap` says why. An empty list means "collected, none there".
- AWS shapes are kept close to the API's (snake_case names, camelCase aliases), with
  JSON documents (policies, event patterns) kept as the text AWS returned.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel, to_pascal

from rootguard._errors import json_indent
from rootguard._kinds import check_kind
from rootguard._models import UtcDatetime

__all__ = [
    "AccountSnapshot",
    "Alarm",
    "ConfigRecorder",
    "ConfigRule",
    "CredentialReportData",
    "DeliveryChannel",
    "EventRule",
    "EventTarget",
    "Gap",
    "LogGroup",
    "MetricFilter",
    "MetricTransformation",
    "OrganizationInfo",
    "RegionSnapshot",
    "SnsSubscription",
    "SnsTopic",
    "Trail",
    "VirtualMfaDevice",
]


SNAPSHOT_SCHEMA_VERSION = 1
"""The ``schema_version`` of the snapshots this rootguard writes and the newest it reads."""


class _Data(BaseModel):
    """Snapshot data: frozen, unknown AWS fields kept, built from boto3 responses by their
    PascalCase names or by field name; dumped (``model_dump_json()``) by field name."""

    model_config = ConfigDict(
        frozen=True, extra="allow", populate_by_name=True, alias_generator=to_pascal
    )


class _CamelData(_Data):
    """For the APIs that answer in camelCase (CloudWatch Logs, Config recorders)."""

    model_config = ConfigDict(alias_generator=to_camel)


class Gap(_Data):
    """A call whose data is missing from the snapshot, and why.

    ``error_code`` is AWS's code (``AccessDenied``, ``AccessDeniedException``,
    ``UnrecognizedClientException``, ``OptInRequired``, ``UnsupportedOperation`` …) or a
    rootguard code for non-AWS failures (``ConnectionError``, ``Timeout``).
    """

    service: str
    operation: str
    region: str | None = None
    """None for global services (IAM, Organizations)."""
    error_code: str
    message: str = ""
    resource: str | None = None
    """The resource the call was about, when it was about one (a trail ARN, a topic ARN)."""

    def describe(self) -> str:
        """``service:Operation in region: ErrorCode`` — for finding details."""
        where = f" in {self.region}" if self.region else ""
        about = f" for {self.resource}" if self.resource else ""
        return f"{self.service}:{self.operation}{where}{about} failed: {self.error_code}"


class CredentialReportData(_Data):
    """The IAM credential report as fetched (raw CSV, parsed on evaluation)."""

    content: str
    """The CSV text exactly as AWS returned it (decoded)."""
    generated_at: UtcDatetime | None = None
    """``GeneratedTime`` of the report — reports are up to 4 hours old."""


class VirtualMfaDevice(_Data):
    """An entry of ``iam:ListVirtualMFADevices`` (assigned or not)."""

    serial_number: str
    user_arn: str | None = None
    """The ARN of the user it is enabled for (``arn:aws:iam::123:root`` for root)."""
    enable_date: UtcDatetime | None = None


class OrganizationInfo(_Data):
    """What the account knows of its organization and of centralized root access."""

    organization_id: str | None = None
    management_account_id: str | None = None
    is_management_account: bool | None = None
    root_features: list[str] | None = None
    """``iam:ListOrganizationsFeatures`` EnabledFeatures (``RootCredentialsManagement``,
    ``RootSessions``); None when it could not be read (gap) or the account is not the
    management / delegated-admin account."""
    root_features_error: str | None = None
    """The error code when ``root_features`` could not be read
    (e.g. ``AccountNotManagementOrDelegatedAdministratorException``)."""
    in_organization: bool | None = None
    """False when ``organizations:DescribeOrganization`` said AWSOrganizationsNotInUse."""


class Trail(_Data):
    """A CloudTrail trail with its status and selectors (from its home region)."""

    name: str
    trail_arn: str = Field(alias="TrailARN")
    home_region: str
    is_multi_region_trail: bool = False
    is_organization_trail: bool = False
    include_global_service_events: bool = False
    log_file_validation_enabled: bool = False
    s3_bucket_name: str | None = None
    s3_key_prefix: str | None = None
    sns_topic_arn: str | None = Field(default=None, alias="SnsTopicARN")
    cloud_watch_logs_log_group_arn: str | None = None
    cloud_watch_logs_role_arn: str | None = None
    kms_key_id: str | None = None
    has_custom_event_selectors: bool = False
    has_insight_selectors: bool = False
    # status (GetTrailStatus); None = not read (see gaps)
    is_logging: bool | None = None
    latest_delivery_error: str | None = None
    latest_cloud_watch_logs_delivery_time: UtcDatetime | None = None
    latest_cloud_watch_logs_delivery_error: str | None = None
    # selectors (GetEventSelectors); both None = not read (see gaps)
    event_selectors: list[dict[str, Any]] | None = None
    """Basic event selectors as AWS returns them (``ReadWriteType``,
    ``IncludeManagementEvents``, ``DataResources``, ``ExcludeManagementEventSources``)."""
    advanced_event_selectors: list[dict[str, Any]] | None = None
    """Advanced event selectors as AWS returns them (``Name``, ``FieldSelectors``)."""
    tags: dict[str, str] | None = None

    @property
    def account_id(self) -> str:
        """The account that owns the trail (from its ARN)."""
        return self.trail_arn.split(":")[4]


class MetricTransformation(_CamelData):
    """A metric filter's metric."""

    metric_name: str
    metric_namespace: str
    metric_value: str = "1"
    default_value: float | None = None


class MetricFilter(_CamelData):
    """A CloudWatch Logs metric filter."""

    filter_name: str
    log_group_name: str
    filter_pattern: str = ""
    metric_transformations: list[MetricTransformation] = []


class LogGroup(_CamelData):
    """A CloudWatch Logs log group a trail delivers to."""

    log_group_name: str
    arn: str | None = None
    retention_in_days: int | None = None
    kms_key_id: str | None = None
    metric_filters: list[MetricFilter] | None = None
    """None = could not be listed (see gaps)."""


class Alarm(_Data):
    """A CloudWatch metric alarm (``DescribeAlarms`` MetricAlarms entry)."""

    alarm_name: str
    alarm_arn: str | None = None
    metric_name: str | None = None
    namespace: str | None = None
    statistic: str | None = None
    extended_statistic: str | None = None
    dimensions: list[dict[str, Any]] = []
    period: int | None = None
    evaluation_periods: int | None = None
    datapoints_to_alarm: int | None = None
    threshold: float | None = None
    comparison_operator: str | None = None
    treat_missing_data: str | None = None
    actions_enabled: bool = True
    alarm_actions: list[str] = []
    ok_actions: list[str] = Field(default=[], alias="OKActions")
    insufficient_data_actions: list[str] = []
    metrics: list[dict[str, Any]] | None = None
    """Metric-math alarms: the ``Metrics`` list as AWS returns it."""
    state_value: str | None = None


class SnsSubscription(_Data):
    """An SNS subscription. ``pending`` when the ARN is ``PendingConfirmation``."""

    subscription_arn: str
    protocol: str
    endpoint: str | None = None
    owner: str | None = None

    @property
    def pending(self) -> bool:
        """True until the endpoint confirms (email, http(s) subscriptions)."""
        return self.subscription_arn in {"PendingConfirmation", "Deleted"} or (
            ":" not in self.subscription_arn
        )


class SnsTopic(_Data):
    """An SNS topic with its attributes, policy and subscriptions."""

    topic_arn: str
    region: str
    policy: str | None = None
    """The topic's access policy JSON text; None = not read (see gaps)."""
    kms_master_key_id: str | None = None
    attributes: dict[str, str] | None = None
    subscriptions: list[SnsSubscription] | None = None
    """None = not listed (see gaps)."""


class EventTarget(_Data):
    """An EventBridge rule target."""

    id: str
    arn: str
    role_arn: str | None = None
    input: str | None = None
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None
    dead_letter_config: dict[str, Any] | None = None


class EventRule(_Data):
    """An EventBridge rule on the default bus with its targets."""

    name: str
    arn: str
    region: str
    event_bus_name: str = "default"
    state: str | None = None
    """``ENABLED``, ``DISABLED``, ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`` …"""
    event_pattern: str | None = None
    """The pattern JSON text, as AWS returns it."""
    schedule_expression: str | None = None
    managed_by: str | None = None
    targets: list[EventTarget] | None = None
    """None = not listed (see gaps)."""


class ConfigRecorder(_CamelData):
    """An AWS Config configuration recorder with its status."""

    name: str
    region: str
    role_arn: str | None = Field(default=None, alias="roleARN")
    recording_group: dict[str, Any] | None = None
    recording_mode: dict[str, Any] | None = None
    recording: bool | None = None
    last_status: str | None = None


class ConfigRule(_Data):
    """An AWS Config rule (``DescribeConfigRules`` entry)."""

    config_rule_name: str
    region: str
    config_rule_arn: str | None = None
    source_owner: str | None = None
    source_identifier: str | None = None
    """For AWS managed rules: ``ROOT_ACCOUNT_MFA_ENABLED``, ``IAM_ROOT_ACCESS_KEY_CHECK``,
    ``ROOT_ACCOUNT_HARDWARE_MFA_ENABLED`` …"""
    config_rule_state: str | None = None
    compliance: str | None = None
    """``COMPLIANT`` / ``NON_COMPLIANT`` / ``INSUFFICIENT_DATA`` when read, else None."""


class DeliveryChannel(_CamelData):
    """An AWS Config delivery channel."""

    name: str
    region: str
    s3_bucket_name: str | None = None
    sns_topic_arn: str | None = Field(default=None, alias="snsTopicARN")


class RegionSnapshot(_Data):
    """Regional state. Each list is None when it could not be read (see gaps)."""

    region: str
    trails: list[str] | None = None
    """ARNs of the trails that apply to this region (DescribeTrails with shadow trails):
    a multi-region or organization trail shows up in every region."""
    log_groups: list[LogGroup] | None = None
    """The log groups in this region that trails deliver to (with their metric filters)."""
    alarms: list[Alarm] | None = None
    topics: list[SnsTopic] | None = None
    event_rules: list[EventRule] | None = None
    config_recorders: list[ConfigRecorder] | None = None
    config_rules: list[ConfigRule] | None = None
    delivery_channels: list[DeliveryChannel] | None = None


class AccountSnapshot(_Data):
    """Everything :func:`rootguard.evaluate` needs about one account.

    Examples:
        >>> import rootguard
        >>> snap = rootguard.AccountSnapshot(account_id="111122223333", regions=["us-east-1"])
        >>> rootguard.AccountSnapshot.model_validate_json(snap.model_dump_json()) == snap
        True
    """

    kind: Literal["snapshot"] = "snapshot"
    """What this file is: a plan, a report or anything else given as a snapshot is an
    error, not a snapshot where every check is UNKNOWN."""
    schema_version: int = Field(default=SNAPSHOT_SCHEMA_VERSION, ge=1)
    """The version of this format; a newer one than this rootguard reads is an error."""
    account_id: str
    partition: str = "aws"
    collected_at: UtcDatetime | None = None
    regions: list[str] = []
    """The regions collected (every enabled region when ``collect(regions=None)``)."""
    credential_report: CredentialReportData | None = None
    account_summary: dict[str, int] | None = None
    """``iam:GetAccountSummary`` SummaryMap (AccountMFAEnabled, AccountAccessKeysPresent,
    AccountSigningCertificatesPresent …)."""
    virtual_mfa_devices: list[VirtualMfaDevice] | None = None
    organization: OrganizationInfo | None = None
    trails: list[Trail] | None = None
    """Every trail that applies to the account, once (by ARN), read in its home region."""
    region_data: dict[str, RegionSnapshot] = {}
    gaps: list[Gap] = []

    @model_validator(mode="before")
    @classmethod
    def _check_kind(cls, data: Any) -> Any:
        check_kind(data, "snapshot", SNAPSHOT_SCHEMA_VERSION)
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        """The snapshot as JSON, to evaluate offline later (:meth:`from_json`)."""
        return self.model_dump_json(indent=json_indent(indent))

    @classmethod
    def from_json(cls, data: str | bytes) -> AccountSnapshot:
        """Read a snapshot written by :meth:`to_json` (or ``rootguard check
        --snapshot-out``).

        Raises:
            ParseError: the text is not a rootguard snapshot (a plan or a report is
                not one), or was written by a newer rootguard.
        """
        from pydantic import ValidationError

        from rootguard._errors import ParseError

        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            message = str(first["msg"]).removeprefix("Value error, ")
            raise ParseError(f"not a rootguard snapshot: {message}") from None

    def __repr__(self) -> str:
        return (
            f"AccountSnapshot(account_id={self.account_id!r}, collected_at="
            f"{self.collected_at.isoformat() if self.collected_at else None!r}, "
            f"regions={len(self.regions)}, trails="
            f"{None if self.trails is None else len(self.trails)}, gaps={len(self.gaps)})"
        )

    __str__ = __repr__

    def gaps_for(
        self, service: str, *, operation: str | None = None, region: str | None = None
    ) -> list[Gap]:
        """Gaps of one service (optionally one operation / region)."""
        return [
            g
            for g in self.gaps
            if g.service == service
            and (operation is None or g.operation == operation)
            and (region is None or g.region in (region, None))
        ]
