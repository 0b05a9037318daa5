"""rootguard: was the AWS root user used, would the next use be noticed, and what to fix.

The public API is everything in ``__all__``; every other module is private.

Example:
    >>> import rootguard
    >>> ev = rootguard.parse_cloudtrail_event({
    ...     "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
    ...     "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
    ...     "responseElements": {"ConsoleLogin": "Success"},
    ...     "additionalEventData": {"MFAUsed": "No"},
    ... })
    >>> activity = rootguard.classify_event(ev)
    >>> (activity.channel, activity.mfa_used, activity.severity)
    (<Channel.CONSOLE_SIGNIN: 'console_signin'>, False, <Severity.HIGH: 'high'>)
"""

from __future__ import annotations

import logging as _logging
import typing as _typing

from rootguard._archive import scan_cloudtrail_archive
from rootguard._athena import AthenaTableResult, ensure_athena_table, hunt_root_activity_athena
from rootguard._athena_sql import AthenaHunt, athena_table_ddl
from rootguard._check_api import check
from rootguard._cloudtrail import parse_cloudtrail_event, read_cloudtrail_file
from rootguard._collect import collect
from rootguard._credential_report import (
    CredentialReport,
    CredentialReportRow,
    CredentialUse,
    MissingReason,
    parse_credential_report,
    root_activity_from_credential_report,
)
from rootguard._detect import classify_event, detect_root_activity
from rootguard._errors import (
    ApplyError,
    ArgumentError,
    AthenaQueryError,
    CollectError,
    ParseError,
    PatternError,
    PlanError,
    PolicyError,
    RootGuardError,
    ScanError,
)
from rootguard._event_pattern import EventPattern, compile_event_pattern, event_pattern_matches
from rootguard._fastscan import FailedFile, FailureReason, ScanResult, SkippedFile, SkipReason
from rootguard._filter_pattern import (
    CIS_ROOT_FILTER_PATTERN,
    FilterPattern,
    compile_filter_pattern,
    filter_pattern_matches,
)
from rootguard._history import EventHistoryResult, lookup_root_activity
from rootguard._member_root_report import (
    MemberRoot,
    MemberRootAudit,
    MemberRootStatus,
    NodeKind,
    OrganizationNode,
    RootAccessKey,
    RootMfaDevice,
    RootSigningCertificate,
    SecurityContact,
    ServiceControlPolicy,
)
from rootguard._member_roots import audit_member_roots
from rootguard._models import (
    ActivitySource,
    Channel,
    CloudTrailEvent,
    Expectation,
    Outcome,
    RootActivities,
    RootActivity,
    SessionAttributes,
    SessionContext,
    SessionIssuer,
    Severity,
    UserIdentity,
)
from rootguard._org import scan_organization
from rootguard._org_report import (
    AccountFailure,
    AccountResult,
    AccountStatus,
    NotCheckedAccount,
    OrganizationReport,
    OrganizationSummary,
    RootActivityAccount,
)
from rootguard._permissions import required_permissions
from rootguard._posture._catalogue import CHECK_IDS, PLANNED_CHECKS, CheckId
from rootguard._posture._evaluate import evaluate
from rootguard._posture._models import Finding, Status, SuppressionNote
from rootguard._posture._policy import Policy
from rootguard._posture._report import Report
from rootguard._remediation._actions import (
    Action,
    ApiAction,
    BlockedKind,
    ChangeType,
    CreateBucket,
    CreateKey,
    CreateLogGroup,
    CreateRole,
    CreateServiceLinkedRole,
    CreateTopic,
    CreateTrail,
    ManualStep,
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
from rootguard._remediation._apply import apply
from rootguard._remediation._options import (
    AlertSubscription,
    RemediationOptions,
    SubscriptionProtocol,
)
from rootguard._remediation._org_actions import (
    AttachDenyRootPolicy,
    CreateDenyRootPolicy,
    DeactivateRootMfaDevice,
    DeleteRootAccessKey,
    DeleteRootLoginProfile,
    DeleteRootSigningCertificate,
    EnableIamTrustedAccess,
    EnableRootCredentialsManagement,
    EnableRootSessions,
    EnableScpPolicyType,
    PutSecurityContact,
    RootSessionAction,
)
from rootguard._remediation._org_apply import apply_organization
from rootguard._remediation._org_options import (
    OrganizationRemediationOptions,
    SecurityContactOptions,
)
from rootguard._remediation._org_plan import OrganizationPlan
from rootguard._remediation._org_planner import plan_organization
from rootguard._remediation._outcomes import (
    ActionOutcome,
    ActionStatus,
    ApplyResult,
    PendingConfirmation,
)
from rootguard._remediation._plan import BlockedItem, Plan
from rootguard._remediation._planner import plan
from rootguard._scp import ScpVerdict, scp_denies_root
from rootguard._snapshot import (
    AccountSnapshot,
    Alarm,
    ConfigRecorder,
    ConfigRule,
    CredentialReportData,
    DeliveryChannel,
    EventRule,
    EventTarget,
    Gap,
    LogGroup,
    MetricFilter,
    MetricTransformation,
    OrganizationInfo,
    RegionSnapshot,
    SnsSubscription,
    SnsTopic,
    Trail,
    VirtualMfaDevice,
)
from rootguard._suppress import ExpectedActivity, Suppression


def _installed_version() -> str:
    """The installed distribution's version (pyproject.toml is the one place it is set)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rootguard")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


__version__ = _installed_version()
"""The version of the installed ``rootguard`` distribution (from its package metadata)."""

__all__ = [
    "CHECK_IDS",
    "CIS_ROOT_FILTER_PATTERN",
    "PLANNED_CHECKS",
    "AccountFailure",
    "AccountResult",
    "AccountSnapshot",
    "AccountStatus",
    "Action",
    "ActionOutcome",
    "ActionStatus",
    "ActivitySource",
    "Alarm",
    "AlertSubscription",
    "ApiAction",
    "ApplyError",
    "ApplyResult",
    "ArgumentError",
    "AthenaHunt",
    "AthenaQueryError",
    "AthenaTableResult",
    "AttachDenyRootPolicy",
    "BlockedItem",
    "BlockedKind",
    "ChangeType",
    "Channel",
    "CheckId",
    "CloudTrailEvent",
    "CollectError",
    "ConfigRecorder",
    "ConfigRule",
    "CreateBucket",
    "CreateDenyRootPolicy",
    "CreateKey",
    "CreateLogGroup",
    "CreateRole",
    "CreateServiceLinkedRole",
    "CreateTopic",
    "CreateTrail",
    "CredentialReport",
    "CredentialReportData",
    "CredentialReportRow",
    "CredentialUse",
    "DeactivateRootMfaDevice",
    "DeleteRootAccessKey",
    "DeleteRootLoginProfile",
    "DeleteRootSigningCertificate",
    "DeliveryChannel",
    "EnableIamTrustedAccess",
    "EnableRootCredentialsManagement",
    "EnableRootSessions",
    "EnableScpPolicyType",
    "EventHistoryResult",
    "EventPattern",
    "EventRule",
    "EventTarget",
    "Expectation",
    "ExpectedActivity",
    "FailedFile",
    "FailureReason",
    "FilterPattern",
    "Finding",
    "Gap",
    "LogGroup",
    "ManualStep",
    "MemberRoot",
    "MemberRootAudit",
    "MemberRootStatus",
    "MetricFilter",
    "MetricTransformation",
    "MissingReason",
    "NodeKind",
    "NotCheckedAccount",
    "OrganizationInfo",
    "OrganizationNode",
    "OrganizationPlan",
    "OrganizationRemediationOptions",
    "OrganizationReport",
    "OrganizationSummary",
    "Outcome",
    "ParseError",
    "PatternError",
    "PendingConfirmation",
    "Plan",
    "PlanError",
    "Policy",
    "PolicyError",
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
    "PutSecurityContact",
    "PutTargets",
    "RegionSnapshot",
    "RemediationOptions",
    "Report",
    "RootAccessKey",
    "RootActivities",
    "RootActivity",
    "RootActivityAccount",
    "RootGuardError",
    "RootMfaDevice",
    "RootSessionAction",
    "RootSigningCertificate",
    "ScanError",
    "ScanResult",
    "ScpVerdict",
    "SecurityContact",
    "SecurityContactOptions",
    "ServiceControlPolicy",
    "SessionAttributes",
    "SessionContext",
    "SessionIssuer",
    "SetTopicEncryption",
    "SetTopicPolicy",
    "Severity",
    "SkipReason",
    "SkippedFile",
    "SnsSubscription",
    "SnsTopic",
    "StartConfigurationRecorder",
    "StartLogging",
    "Status",
    "Subscribe",
    "SubscriptionProtocol",
    "Suppression",
    "SuppressionNote",
    "Trail",
    "UpdateTrail",
    "UserIdentity",
    "VirtualMfaDevice",
    "__version__",
    "apply",
    "apply_organization",
    "athena_table_ddl",
    "audit_member_roots",
    "check",
    "classify_event",
    "collect",
    "compile_event_pattern",
    "compile_filter_pattern",
    "detect_root_activity",
    "ensure_athena_table",
    "evaluate",
    "event_pattern_matches",
    "filter_pattern_matches",
    "hunt_root_activity_athena",
    "lookup_root_activity",
    "parse_cloudtrail_event",
    "parse_credential_report",
    "plan",
    "plan_organization",
    "read_cloudtrail_file",
    "required_permissions",
    "root_activity_from_credential_report",
    "scan_cloudtrail_archive",
    "scan_organization",
    "scp_denies_root",
]

_logging.getLogger(__name__).addHandler(_logging.NullHandler())


_DEPRECATED_NAMES = {"AccountError": "AccountFailure"}
"""Old public names still importable (with a DeprecationWarning): old name → new name."""


if not _typing.TYPE_CHECKING:  # type checkers keep flagging unknown names (and the deprecated ones)

    def __getattr__(name: str) -> object:
        """Deprecated aliases: ``rootguard.AccountError`` is :class:`AccountFailure` (a data
        model, not an exception), with a ``DeprecationWarning``. Not in ``__all__``/``dir()``."""
        new_name = _DEPRECATED_NAMES.get(name)
        if new_name is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import warnings

        warnings.warn(
            f"rootguard.{name} is deprecated, use rootguard.{new_name} (same class)",
            DeprecationWarning,
            stacklevel=2,
        )
        return globals()[new_name]


def __dir__() -> list[str]:
    """The public API (``__all__``): what ``dir(rootguard)`` and tab completion show."""
    return list(__all__)


del (
    _logging,
    _installed_version,
    annotations,
    _typing,
)  # not part of the API: keep dir(rootguard) to it
